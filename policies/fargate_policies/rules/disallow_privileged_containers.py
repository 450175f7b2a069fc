"""disallow-privileged-containers: no container runs with ``privileged`` true."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_TASK_DEFINITION, as_bool, resource_rule
from ._ecs import MSG_BAD_CONTAINERS, bad_containers_reason, labelled_containers, show

MSG_PRIVILEGED = "{container} has privileged {value}; set it to false or leave it out."



def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    containers = labelled_containers(props)
    if containers is None:
        yield MSG_BAD_CONTAINERS.format(what=bad_containers_reason(props))
        return
    for label, container in containers:
        if as_bool(container.get("privileged")) is True:
            yield MSG_PRIVILEGED.format(container=label, value=show(container.get("privileged")))


POLICY = resource_rule(
    name="disallow-privileged-containers",
    description="Containers in ECS task definitions do not run in privileged mode.",
    severity=Severity.HIGH,
    remediation=(
        "Remove privileged from the container definition (or set it to false). Grant the specific Linux "
        "capability the container needs with linuxParameters.capabilities.add instead."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    tags=["containers"],
    security_hub=("ECS.4",),
    checkov=("CKV_AWS_334",),
)
