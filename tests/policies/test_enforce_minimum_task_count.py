"""enforce-minimum-task-count: services' desiredCount and ECS scalable targets' minCapacity."""

import pytest
from fargate_policies.rules import enforce_minimum_task_count as rule

SERVICE = "aws:ecs/service:Service"
TARGET = "aws:appautoscaling/target:Target"
PROD = {"minimum": 2}


def baseline_service() -> dict:
    """A compliant service (also under the production minimum of 2)."""
    return {"name": "web", "launchType": "FARGATE", "desiredCount": 2.0}


def baseline_target() -> dict:
    """A compliant ECS scalable target (also under the production minimum of 2)."""
    return {"serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
            "resourceId": "service/prod/web", "minCapacity": 2.0, "maxCapacity": 6.0}


def test_baselines_pass(run):
    for config in (None, PROD):
        assert run(baseline_service(), config, resource_type=SERVICE) == []
        assert run(baseline_target(), config, resource_type=TARGET) == []


def test_desired_count_below_minimum(run):
    props = {**baseline_service(), "desiredCount": 1.0}
    assert run(props, resource_type=SERVICE) == []
    assert run(props, PROD, resource_type=SERVICE) == [rule.MSG_DESIRED_COUNT.format(value="1", minimum=2)]


def test_desired_count_zero(run):
    props = {**baseline_service(), "desiredCount": 0.0}
    assert run(props, resource_type=SERVICE) == [rule.MSG_DESIRED_COUNT.format(value="0", minimum=1)]


def test_desired_count_left_out_means_zero(run):
    props = baseline_service()
    del props["desiredCount"]
    assert run(props, resource_type=SERVICE) == [rule.MSG_DESIRED_COUNT_MISSING.format(minimum=1)]
    assert run(props, {"minimum": 0}, resource_type=SERVICE) == []


def test_desired_count_not_a_number(run):
    props = {**baseline_service(), "desiredCount": "two"}
    assert run(props, resource_type=SERVICE) == [rule.MSG_DESIRED_COUNT.format(value="'two'", minimum=1)]


def test_min_capacity_below_minimum(run):
    props = {**baseline_target(), "minCapacity": 1.0}
    assert run(props, resource_type=TARGET) == []
    assert run(props, PROD, resource_type=TARGET) == [rule.MSG_MIN_CAPACITY.format(value="1", minimum=2)]


@pytest.mark.parametrize(("value", "shown"), [(None, "not set"), ("x", "'x'")])
def test_min_capacity_unreadable(run, value, shown):
    props = {**baseline_target(), "minCapacity": value}
    assert run(props, resource_type=TARGET) == [rule.MSG_MIN_CAPACITY.format(value=shown, minimum=1)]


def test_targets_outside_ecs_are_not_applicable(evaluate):
    props = {**baseline_target(), "serviceNamespace": "dynamodb", "minCapacity": 0.0}
    outcome = evaluate(rule.POLICY, TARGET, props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_OTHER_NAMESPACE.format(value="'dynamodb'")


def test_daemon_services_are_not_applicable(evaluate):
    props = {**baseline_service(), "schedulingStrategy": "DAEMON", "desiredCount": None}
    assert evaluate(rule.POLICY, SERVICE, props).not_applicable == rule.MSG_DAEMON


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:autoscaling/group:Group", {"minSize": 0.0, "desiredCapacity": 0.0})
    assert outcome.violations == [] and outcome.not_applicable is None
