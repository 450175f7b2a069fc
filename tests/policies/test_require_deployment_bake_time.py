"""require-deployment-bake-time."""

import pytest
from fargate_policies.rules import require_deployment_bake_time as rule

SERVICE = "aws:ecs/service:Service"
PROD = {"minimumMinutes": 5}


def baseline() -> dict:
    """A compliant blue/green ECS service, shaped as the engine sends it (the minutes as a string)."""
    return {"name": "api", "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15"}}


def test_baseline_passes(run):
    assert run(baseline(), PROD) == []


@pytest.mark.parametrize("minutes", ["5", 5.0, "1440"])
def test_at_least_the_minimum_passes(run, minutes):
    props = baseline()
    props["deploymentConfiguration"]["bakeTimeInMinutes"] = minutes
    assert run(props, PROD) == []


@pytest.mark.parametrize("minutes", ["0", "4", 0.0])
def test_below_the_minimum_fails(run, minutes):
    props = baseline()
    props["deploymentConfiguration"]["bakeTimeInMinutes"] = minutes
    assert run(props, PROD) == [rule.MSG_TOO_SHORT.format(value=rule.show(minutes), minimum=5)]


def test_the_pack_default_minimum_is_five(run):
    props = baseline()
    props["deploymentConfiguration"]["bakeTimeInMinutes"] = "4"
    assert run(props) == [rule.MSG_TOO_SHORT.format(value="'4'", minimum=rule.DEFAULT_MINIMUM)]
    assert rule.DEFAULT_MINIMUM == 5


def test_not_set_fails(run):
    props = baseline()
    del props["deploymentConfiguration"]["bakeTimeInMinutes"]
    assert run(props, PROD) == [rule.MSG_NOT_SET.format(minimum=5)]


@pytest.mark.parametrize("minutes", ["ten", "1441", -1.0, True])
def test_not_a_bake_time_fails(run, minutes):
    props = baseline()
    props["deploymentConfiguration"]["bakeTimeInMinutes"] = minutes
    assert run(props, PROD) == [rule.MSG_NOT_A_NUMBER.format(value=rule.show(minutes), minimum=5)]


@pytest.mark.parametrize("deployment", [{"strategy": "ROLLING"}, None])
def test_rolling_is_not_applicable(evaluate, deployment):
    props = {"name": "api", "deploymentConfiguration": deployment}
    outcome = evaluate(rule.POLICY, SERVICE, props, PROD)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_SHIFTING.format(value="'ROLLING'")


def test_other_controllers_are_not_applicable(evaluate):
    props = {**baseline(), "deploymentController": {"type": "EXTERNAL"}}
    outcome = evaluate(rule.POLICY, SERVICE, props, PROD)
    assert outcome.not_applicable == rule.MSG_NOT_ECS_CONTROLLER.format(value="'EXTERNAL'")
