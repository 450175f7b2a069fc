"""require-distinct-task-roles: one change from the compliant task definition of conftest per test."""

import pytest
from fargate_policies.rules import require_distinct_task_roles as rule
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError


def test_baseline_passes(run, task_definition):
    assert run(task_definition()) == []


def test_same_role(run, task_definition):
    props = task_definition()
    execution = props["executionRoleArn"]
    assert run({**props, "taskRoleArn": execution}) == [rule.MSG_SAME_ROLE.format(value=f"'{execution}'")]


@pytest.mark.parametrize("missing", ["taskRoleArn", "executionRoleArn"])
def test_a_missing_role_is_fine(run, task_definition, missing):
    props = task_definition()
    del props[missing]
    assert run(props) == []


def test_unknown_role_is_left_to_the_engine(run, task_definition):
    with pytest.raises(UnknownValueError):
        run(task_definition(taskRoleArn=UNKNOWN_STRING_VALUE))


def test_other_resource_types_are_ignored(evaluate, task_definition):
    props = task_definition()
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", {**props, "taskRoleArn": props["executionRoleArn"]})
    assert outcome.violations == [] and outcome.not_applicable is None
