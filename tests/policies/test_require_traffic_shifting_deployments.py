"""require-traffic-shifting-deployments."""

import pytest
from fargate_policies import facts
from fargate_policies.rules import require_traffic_shifting_deployments as rule
from pulumi_policy.proxy import UnknownValueError

SERVICE = "aws:ecs/service:Service"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api-tg/943f017f100becff"


def baseline() -> dict:
    """A compliant load-balanced ECS service released as a canary, shaped as the engine sends it."""
    return {
        "name": "web",
        "deploymentConfiguration": {"strategy": "CANARY", "bakeTimeInMinutes": "10",
                                    "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": "5"}},
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "web", "containerPort": 8080.0}],
    }


def test_baseline_passes(run):
    assert run(baseline()) == []


@pytest.mark.parametrize("strategy", facts.TRAFFIC_SHIFTING_STRATEGIES)
def test_every_traffic_shifting_strategy_passes_by_default(run, strategy):
    props = baseline()
    props["deploymentConfiguration"] = {"strategy": strategy}
    assert run(props) == []


def test_rolling_fails(run):
    props = baseline()
    props["deploymentConfiguration"] = {"strategy": "ROLLING"}
    assert run(props) == [rule.MSG_STRATEGY.format(value="'ROLLING'", allowed="BLUE_GREEN, CANARY, LINEAR")]


def test_no_strategy_is_rolling(run):
    props = baseline()
    del props["deploymentConfiguration"]
    assert run(props) == [rule.MSG_STRATEGY.format(value="not set (ROLLING)", allowed="BLUE_GREEN, CANARY, LINEAR")]


def test_the_allowed_strategies_come_from_the_config(run):
    assert run(baseline(), {"allowedStrategies": ["BLUE_GREEN"]}) == [
        rule.MSG_STRATEGY.format(value="'CANARY'", allowed="BLUE_GREEN")]
    props = baseline()
    props["deploymentConfiguration"] = {"strategy": "ROLLING"}
    assert run(props, {"allowedStrategies": ["ROLLING", "CANARY"]}) == []


def test_a_service_without_a_load_balancer_is_not_applicable(evaluate):
    props = {**baseline(), "loadBalancers": [], "deploymentConfiguration": {"strategy": "ROLLING"}}
    outcome = evaluate(rule.POLICY, SERVICE, props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NO_LOAD_BALANCER


def test_other_controllers_are_not_applicable(evaluate):
    props = {**baseline(), "deploymentController": {"type": "CODE_DEPLOY"}}
    outcome = evaluate(rule.POLICY, SERVICE, props)
    assert outcome.not_applicable == rule.MSG_NOT_ECS_CONTROLLER.format(value="'CODE_DEPLOY'")


def test_a_strategy_unknown_at_preview_is_not_passed(evaluate):
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

    props = baseline()
    props["deploymentConfiguration"]["strategy"] = UNKNOWN_STRING_VALUE
    with pytest.raises(UnknownValueError):
        evaluate(rule.POLICY, SERVICE, props)
