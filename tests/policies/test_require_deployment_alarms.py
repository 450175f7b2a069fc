"""require-deployment-alarms."""

import pytest
from fargate_policies.rules import require_deployment_alarms as rule
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

SERVICE = "aws:ecs/service:Service"
REQUIRED = {"required": True}


def baseline() -> dict:
    """A compliant ECS service, shaped as the engine sends it."""
    return {
        "name": "api",
        "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/fp-prod",
        "desiredCount": 2.0,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "alarms": {
            "alarmNames": ["fp-prod-api-target-5xx-rate", "fp-prod-api-unhealthy-hosts"],
            "enable": True,
            "rollback": True,
        },
    }


@pytest.fixture
def run(evaluate):
    def _run(props: dict, config: dict | None = None) -> list[str]:
        return evaluate(rule.POLICY, SERVICE, props, REQUIRED if config is None else config).messages

    return _run


def test_baseline_passes(run):
    assert run(baseline()) == []


def test_not_required_by_default(evaluate):
    props = baseline()
    del props["alarms"]
    outcome = evaluate(rule.POLICY, SERVICE, props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_REQUIRED


def test_not_required_when_config_says_false(evaluate):
    outcome = evaluate(rule.POLICY, SERVICE, {**baseline(), "alarms": None}, {"required": False})
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_REQUIRED


def test_missing_alarms(run):
    props = baseline()
    del props["alarms"]
    assert run(props) == [rule.MSG_MISSING]


@pytest.mark.parametrize("field", ["enable", "rollback"])
@pytest.mark.parametrize("value", [False, None])
def test_flag_not_true(run, field, value):
    props = baseline()
    props["alarms"][field] = value
    if value is None:
        del props["alarms"][field]
    assert run(props) == [rule.MSG_FIELD.format(field=field, value=rule.show(value))]


@pytest.mark.parametrize("value", [[], None])
def test_no_alarm_names(run, value):
    props = baseline()
    props["alarms"]["alarmNames"] = value
    if value is None:
        del props["alarms"]["alarmNames"]
    assert run(props) == [rule.MSG_NO_NAMES.format(value=rule.show(value))]


def test_everything_wrong_reports_each(run):
    props = {**baseline(), "alarms": {"alarmNames": [], "enable": False, "rollback": False}}
    assert run(props) == [
        rule.MSG_FIELD.format(field="enable", value="false"),
        rule.MSG_FIELD.format(field="rollback", value="false"),
        rule.MSG_NO_NAMES.format(value="[]"),
    ]


def test_alarm_names_unknown_at_preview_count(run):
    props = baseline()
    props["alarms"]["alarmNames"] = [UNKNOWN_STRING_VALUE, UNKNOWN_STRING_VALUE]
    assert run(props) == []


@pytest.mark.parametrize("controller", ["CODE_DEPLOY", "EXTERNAL"])
def test_not_applicable_without_the_ecs_controller(evaluate, controller):
    props = {**baseline(), "deploymentController": {"type": controller}, "alarms": None}
    outcome = evaluate(rule.POLICY, SERVICE, props, REQUIRED)
    assert outcome.violations == []
    assert outcome.not_applicable == rule.MSG_NOT_ECS_CONTROLLER.format(value=f"'{controller}'")


def test_explicit_ecs_controller_is_checked(run):
    props = {**baseline(), "deploymentController": {"type": "ECS"}}
    del props["alarms"]
    assert run(props) == [rule.MSG_MISSING]


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/taskDefinition:TaskDefinition", {"family": "api"}, REQUIRED)
    assert outcome.violations == [] and outcome.not_applicable is None
