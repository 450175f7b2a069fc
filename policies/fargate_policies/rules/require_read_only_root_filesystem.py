"""require-read-only-root-filesystem: every container mounts its root filesystem read-only."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_TASK_DEFINITION, as_bool, resource_rule
from ._ecs import (
    MSG_BAD_CONTAINERS,
    bad_containers_reason,
    linux_containers,
    show,
)

MSG_NOT_READ_ONLY = "{container} has readonlyRootFilesystem {value}; set it to true."
MSG_WINDOWS = (
    "runtimePlatform.operatingSystemFamily is {family}; Windows containers do not support readonlyRootFilesystem."
)



def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    containers = linux_containers(props, MSG_WINDOWS)
    if containers is None:
        yield MSG_BAD_CONTAINERS.format(what=bad_containers_reason(props))
        return
    for label, container in containers:
        if as_bool(container.get("readonlyRootFilesystem")) is not True:
            yield MSG_NOT_READ_ONLY.format(container=label, value=show(container.get("readonlyRootFilesystem")))


POLICY = resource_rule(
    name="require-read-only-root-filesystem",
    description="Every container in an ECS task definition has a read-only root filesystem.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set readonlyRootFilesystem to true on each container. Give the paths the application writes to "
        "(for example /tmp) their own volume and mountPoints entry."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    tags=["containers"],
    security_hub=("ECS.5",),
    checkov=("CKV_AWS_336",),
)
