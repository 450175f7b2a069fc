"""enforce-minimum-healthy-percent."""

import pytest
from fargate_policies.rules import enforce_minimum_healthy_percent as rule

SERVICE = "aws:ecs/service:Service"
PROD = {"minimum": 100}


def baseline() -> dict:
    """A compliant service (also under the production minimum of 100)."""
    return {"name": "web", "desiredCount": 2.0, "deploymentMinimumHealthyPercent": 100.0,
            "deploymentMaximumPercent": 200.0}


def test_baseline_passes_with_default_and_production_minimum(run):
    assert run(baseline()) == []
    assert run(baseline(), PROD) == []


def test_below_default_minimum(run):
    props = {**baseline(), "deploymentMinimumHealthyPercent": 0.0}
    assert run(props) == [rule.MSG_TOO_LOW.format(value="0", minimum=50)]


def test_below_production_minimum(run):
    props = {**baseline(), "deploymentMinimumHealthyPercent": 50.0}
    assert run(props) == []
    assert run(props, PROD) == [rule.MSG_TOO_LOW.format(value="50", minimum=100)]


def test_left_out_means_aws_default_of_100(run):
    props = baseline()
    del props["deploymentMinimumHealthyPercent"]
    assert run(props) == [] and run(props, PROD) == []


def test_left_out_fails_a_minimum_above_100(run):
    props = baseline()
    del props["deploymentMinimumHealthyPercent"]
    assert run(props, {"minimum": 150}) == [rule.MSG_DEFAULT_TOO_LOW.format(minimum=150)]


@pytest.mark.parametrize("value", ["half", 50.5, True])
def test_not_a_number(run, value):
    props = {**baseline(), "deploymentMinimumHealthyPercent": value}
    assert run(props) == [rule.MSG_NOT_A_NUMBER.format(value=rule.show(value), minimum=50)]


def test_code_deploy_is_not_applicable(evaluate):
    props = {**baseline(), "deploymentController": {"type": "CODE_DEPLOY"}, "deploymentMinimumHealthyPercent": 0.0}
    outcome = evaluate(rule.POLICY, SERVICE, props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_ROLLING.format(value="'CODE_DEPLOY'")


def test_daemon_is_not_applicable(evaluate):
    props = {**baseline(), "schedulingStrategy": "DAEMON", "deploymentMinimumHealthyPercent": 0.0}
    assert evaluate(rule.POLICY, SERVICE, props).not_applicable == rule.MSG_DAEMON


def test_other_resource_types_are_ignored(evaluate):
    props = {**baseline(), "deploymentMinimumHealthyPercent": 0.0}
    outcome = evaluate(rule.POLICY, "aws:appautoscaling/target:Target", props)
    assert outcome.violations == [] and outcome.not_applicable is None
