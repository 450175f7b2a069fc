"""disallow-host-namespaces: a task does not share the host's network, process or IPC namespace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_TASK_DEFINITION, get, resource_rule
from ._ecs import show

MSG_HOST_NAMESPACE = "{prop} is {value}; use {allowed} instead of 'host'."

# Property -> what to use instead (awsvpc is the only network mode Fargate accepts).
_NAMESPACES: dict[str, str] = {
    "networkMode": "'awsvpc'",
    "pidMode": "'task' or leave it out",
    "ipcMode": "'task', 'none' or leave it out",
}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    for prop, allowed in _NAMESPACES.items():
        value = get(props, prop)
        if isinstance(value, str) and value.strip().lower() == "host":
            yield MSG_HOST_NAMESPACE.format(prop=prop, value=show(value), allowed=allowed)


POLICY = resource_rule(
    name="disallow-host-namespaces",
    description="ECS task definitions do not share the host's network, process or IPC namespace.",
    severity=Severity.HIGH,
    remediation=(
        "Set networkMode to awsvpc, and pidMode and ipcMode to task (or leave them out). A container that "
        "needs to see another container's processes can share the task's namespace with pidMode task."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    tags=["containers"],
    security_hub=("ECS.3",),
    checkov=("CKV_AWS_335",),
)
