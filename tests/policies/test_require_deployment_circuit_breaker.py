"""require-deployment-circuit-breaker."""

import pytest
from fargate_policies.rules import require_deployment_circuit_breaker as rule
from fargate_policies.rules._common import NotApplicable

SERVICE = "aws:ecs/service:Service"


def baseline() -> dict:
    """A compliant service, shaped as the engine sends it."""
    return {
        "name": "web",
        "launchType": "FARGATE",
        "desiredCount": 2.0,
        "deploymentController": {"type": "ECS"},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    }


def test_baseline_passes(run):
    assert run(baseline()) == []


def test_controller_left_out_means_ecs(run):
    props = baseline()
    del props["deploymentController"]
    assert run(props) == []


def test_breaker_missing(run):
    props = baseline()
    del props["deploymentCircuitBreaker"]
    assert run(props) == [rule.MSG_MISSING]


@pytest.mark.parametrize("field", ["enable", "rollback"])
def test_breaker_half_on(run, field):
    props = baseline()
    props["deploymentCircuitBreaker"][field] = False
    assert run(props) == [rule.MSG_FIELD.format(field=field, value="false")]


def test_breaker_of_the_wrong_shape(run):
    props = {**baseline(), "deploymentCircuitBreaker": "yes"}
    assert run(props) == [rule.MSG_FIELD.format(field=f, value="not set") for f in ("enable", "rollback")]


@pytest.mark.parametrize("controller", ["CODE_DEPLOY", "EXTERNAL"])
def test_other_controllers_are_not_applicable(evaluate, controller):
    props = {**baseline(), "deploymentController": {"type": controller}, "deploymentCircuitBreaker": None}
    outcome = evaluate(rule.POLICY, SERVICE, props)
    assert outcome.violations == []
    assert outcome.not_applicable == rule.MSG_NOT_ECS_CONTROLLER.format(value=f"'{controller}'")


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/taskDefinition:TaskDefinition", {"family": "x"})
    assert outcome.violations == [] and outcome.not_applicable is None


# ---------------------------------------------------------------------------
# Remediation: enable and rollback on, anything else in the breaker kept.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("breaker", [None, {"enable": True, "rollback": False}, {"enable": False}])
def test_remediation_turns_rollback_on(remediated, breaker):
    props = {**baseline(), "deploymentCircuitBreaker": breaker}
    fixed = remediated(rule.POLICY, SERVICE, props)
    assert fixed == {**props, "deploymentCircuitBreaker": {"enable": True, "rollback": True}}


def test_remediation_keeps_the_breakers_other_fields(remediated):
    props = {**baseline(), "deploymentCircuitBreaker": {"enable": False, "rollback": False, "futureField": 1.0}}
    fixed = remediated(rule.POLICY, SERVICE, props)
    assert fixed["deploymentCircuitBreaker"] == {"enable": True, "rollback": True, "futureField": 1.0}


def test_remediation_under_another_controller_is_not_applicable(remediate):
    props = {**baseline(), "deploymentController": {"type": "CODE_DEPLOY"}, "deploymentCircuitBreaker": None}
    with pytest.raises(NotApplicable):
        remediate(rule.POLICY, props)
