"""require-distinct-task-roles: the application does not run with the execution role's permissions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_TASK_DEFINITION, get, resource_rule
from ._ecs import show

MSG_SAME_ROLE = (
    "taskRoleArn is {value}, the same role as executionRoleArn; give the task its own role with only "
    "the permissions the application needs."
)


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    execution = get(props, "executionRoleArn")
    task = get(props, "taskRoleArn")
    if isinstance(execution, str) and isinstance(task, str) and execution.strip() and (
        execution.strip() == task.strip()
    ):
        yield MSG_SAME_ROLE.format(value=show(task))


POLICY = resource_rule(
    name="require-distinct-task-roles",
    description="An ECS task definition's task role differs from its execution role.",
    severity=Severity.MEDIUM,
    remediation=(
        "Create a separate IAM role for taskRoleArn that grants only what the application calls. Keep "
        "image pulls, log delivery and secret retrieval on the execution role. Leave taskRoleArn out if "
        "the application calls no AWS API."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    tags=["iam"],
    checkov=("CKV_AWS_249",),
)
