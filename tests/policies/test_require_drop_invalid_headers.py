"""require-drop-invalid-headers."""

import pytest
from fargate_policies.rules import require_drop_invalid_headers as rule
from fargate_policies.rules._common import LOAD_BALANCER, NotApplicable


def baseline() -> dict:
    """A compliant application load balancer."""
    return {"name": "web", "loadBalancerType": "application", "internal": False, "dropInvalidHeaderFields": True,
            "subnets": ["subnet-1", "subnet-2"]}


@pytest.mark.parametrize("resource_type", LOAD_BALANCER)
def test_baseline_passes_on_every_alias(run, resource_type):
    assert run(baseline(), resource_type=resource_type) == []


@pytest.mark.parametrize("resource_type", LOAD_BALANCER)
def test_headers_kept(run, resource_type):
    assert run({**baseline(), "dropInvalidHeaderFields": False}, resource_type=resource_type) == [
        rule.MSG_NOT_DROPPING.format(value="false")
    ]


def test_left_out_keeps_headers_and_type_defaults_to_application(run):
    props = baseline()
    del props["dropInvalidHeaderFields"], props["loadBalancerType"]
    assert run(props) == [rule.MSG_NOT_DROPPING.format(value="not set")]


@pytest.mark.parametrize("kind", ["network", "gateway"])
def test_other_load_balancer_types_are_not_applicable(evaluate, kind):
    props = {**baseline(), "loadBalancerType": kind, "dropInvalidHeaderFields": None}
    outcome = evaluate(rule.POLICY, LOAD_BALANCER[1], props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_APPLICATION.format(value=f"'{kind}'")


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:lb/listener:Listener", {**baseline(), "dropInvalidHeaderFields": False})
    assert outcome.violations == [] and outcome.not_applicable is None


# ---------------------------------------------------------------------------
# Remediation.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", [False, None, "false"])
def test_remediation_drops_invalid_headers(remediated, value):
    props = {**baseline(), "dropInvalidHeaderFields": value}
    assert remediated(rule.POLICY, LOAD_BALANCER[0], props) == {**props, "dropInvalidHeaderFields": True}


def test_remediation_of_a_network_load_balancer_is_not_applicable(remediate):
    with pytest.raises(NotApplicable):
        remediate(rule.POLICY, {**baseline(), "loadBalancerType": "network", "dropInvalidHeaderFields": False})
