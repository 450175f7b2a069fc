"""require-distinct-task-roles."""

import json

import pytest
from fargate_policies.rules import require_distinct_task_roles as rule
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

TASK = "aws:ecs/taskDefinition:TaskDefinition"
EXECUTION = "arn:aws:iam::123456789012:role/app-execution"
TASK_ROLE = "arn:aws:iam::123456789012:role/app-task"


def baseline() -> dict:
    """A compliant task definition, shaped as the engine sends it."""
    return {
        "family": "app",
        "executionRoleArn": EXECUTION,
        "taskRoleArn": TASK_ROLE,
        "containerDefinitions": json.dumps([{"name": "app", "image": "repo/app:1.0.0"}]),
    }


@pytest.fixture
def run(evaluate):
    def _run(props: dict) -> list[str]:
        return evaluate(rule.POLICY, TASK, props).messages

    return _run


def test_baseline_passes(run):
    assert run(baseline()) == []


def test_same_role(run):
    assert run({**baseline(), "taskRoleArn": EXECUTION}) == [rule.MSG_SAME_ROLE.format(value=f"'{EXECUTION}'")]


@pytest.mark.parametrize("missing", ["taskRoleArn", "executionRoleArn"])
def test_a_missing_role_is_fine(run, missing):
    props = baseline()
    del props[missing]
    assert run(props) == []


def test_unknown_role_is_left_to_the_engine(evaluate):
    with pytest.raises(UnknownValueError):
        evaluate(rule.POLICY, TASK, {**baseline(), "taskRoleArn": UNKNOWN_STRING_VALUE})


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", {**baseline(), "taskRoleArn": EXECUTION})
    assert outcome.violations == [] and outcome.not_applicable is None
