"""require-cross-zone-load-balancing: one change from a compliant network load balancer per test."""

import pytest
from fargate_policies.rules import require_cross_zone_load_balancing as rule
from fargate_policies.rules._common import LOAD_BALANCER


def baseline() -> dict:
    """A compliant network load balancer."""
    return {"name": "grpc", "loadBalancerType": "network", "internal": True, "enableCrossZoneLoadBalancing": True}


@pytest.fixture
def run(evaluate):
    def _run(props: dict, resource_type: str = LOAD_BALANCER[0]) -> list[str]:
        return evaluate(rule.POLICY, resource_type, props).messages

    return _run


@pytest.mark.parametrize("resource_type", LOAD_BALANCER)
def test_baseline_passes_on_every_alias(run, resource_type):
    assert run(baseline(), resource_type) == []


@pytest.mark.parametrize("kind", ["network", "gateway"])
def test_turned_off(run, kind):
    props = {**baseline(), "loadBalancerType": kind, "enableCrossZoneLoadBalancing": False}
    assert run(props, LOAD_BALANCER[1]) == [rule.MSG_OFF.format(value="false")]


def test_left_out_is_off(run):
    props = baseline()
    del props["enableCrossZoneLoadBalancing"]
    assert run(props) == [rule.MSG_OFF.format(value="not set")]


@pytest.mark.parametrize(("kind", "shown"), [("application", "'application'"), (None, "not set")])
def test_application_load_balancers_are_not_applicable(evaluate, kind, shown):
    props = {**baseline(), "loadBalancerType": kind, "enableCrossZoneLoadBalancing": False}
    outcome = evaluate(rule.POLICY, LOAD_BALANCER[0], props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_APPLICATION.format(value=shown)


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:elb/loadBalancer:LoadBalancer", {"crossZoneLoadBalancing": False})
    assert outcome.violations == [] and outcome.not_applicable is None
