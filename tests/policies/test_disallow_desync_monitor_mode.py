"""disallow-desync-monitor-mode."""

import pytest
from fargate_policies.rules import disallow_desync_monitor_mode as rule
from fargate_policies.rules._common import LOAD_BALANCER


def baseline() -> dict:
    """A compliant application load balancer."""
    return {"name": "web", "loadBalancerType": "application", "desyncMitigationMode": "defensive"}


@pytest.mark.parametrize("resource_type", LOAD_BALANCER)
def test_baseline_passes_on_every_alias(run, resource_type):
    assert run(baseline(), resource_type=resource_type) == []


def test_strictest_and_left_out_pass(run):
    assert run({**baseline(), "desyncMitigationMode": "strictest"}) == []
    props = baseline()
    del props["desyncMitigationMode"]
    assert run(props) == []


@pytest.mark.parametrize("resource_type", LOAD_BALANCER)
def test_monitor_mode(run, resource_type):
    assert run({**baseline(), "desyncMitigationMode": "monitor"}, resource_type=resource_type) == [
        rule.MSG_MODE.format(value="'monitor'")
    ]


@pytest.mark.parametrize(("mode", "shown"), [("off", "'off'"), (1.0, "1")])
def test_unknown_mode(run, mode, shown):
    assert run({**baseline(), "desyncMitigationMode": mode}) == [rule.MSG_MODE.format(value=shown)]


def test_network_load_balancers_are_not_applicable(evaluate):
    props = {**baseline(), "loadBalancerType": "network", "desyncMitigationMode": "monitor"}
    outcome = evaluate(rule.POLICY, LOAD_BALANCER[0], props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_APPLICATION.format(value="'network'")


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:elb/loadBalancer:LoadBalancer", {"desyncMitigationMode": "monitor"})
    assert outcome.violations == [] and outcome.not_applicable is None
