"""require-health-check-grace-period."""

import pytest
from fargate_policies.rules import require_health_check_grace_period as rule

SERVICE = "aws:ecs/service:Service"


def baseline() -> dict:
    """A compliant load-balanced service."""
    return {
        "name": "web",
        "desiredCount": 2.0,
        "healthCheckGracePeriodSeconds": 60.0,
        "loadBalancers": [{"containerName": "app", "containerPort": 8080.0,
                           "targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/1"}],
    }


def test_baseline_passes(run):
    assert run(baseline()) == []


@pytest.mark.parametrize(("value", "shown"), [(0.0, "0"), (None, "not set"), ("soon", "'soon'")])
def test_no_grace_period(run, value, shown):
    assert run({**baseline(), "healthCheckGracePeriodSeconds": value}) == [
        rule.MSG_TOO_SHORT.format(value=shown, minimum=1)
    ]


def test_configured_minimum(run):
    assert run(baseline(), {"minimum": 90}) == [rule.MSG_TOO_SHORT.format(value="60", minimum=90)]


@pytest.mark.parametrize("load_balancers", [[], None, "none"])
def test_services_without_load_balancer_are_not_applicable(evaluate, load_balancers):
    props = {**baseline(), "loadBalancers": load_balancers, "healthCheckGracePeriodSeconds": None}
    outcome = evaluate(rule.POLICY, SERVICE, props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NO_LOAD_BALANCER


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/taskDefinition:TaskDefinition", {**baseline(), "loadBalancers": [1]})
    assert outcome.violations == [] and outcome.not_applicable is None
