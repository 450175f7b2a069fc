"""require-verifiable-container-definitions: a task definition's containers can be checked at preview.

The engine sends ``containerDefinitions`` as one JSON string. When any value in
it comes from another resource's output that is not known yet (at preview, a
database's address in an environment variable), the whole string is unknown
and no container rule can read a single container. They skip such a task
definition (see ``_ecs.labelled_containers``), and this rule reports it once,
so that the unchecked containers are one clear finding rather than seven
"can't run policy" notes. At ``pulumi up`` the values are known and the
container rules judge the containers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_TASK_DEFINITION, resource_rule
from ._ecs import containers_unknown

MSG_UNKNOWN = (
    "containerDefinitions is unknown at preview (it is built from other resources' outputs), so its containers "
    "(image, user, privileges, secrets, logging) cannot be verified now; they are verified at pulumi up."
)


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if containers_unknown(props):
        yield MSG_UNKNOWN


POLICY = resource_rule(
    name="require-verifiable-container-definitions",
    description="The container definitions of an ECS task definition are known at preview, so the pack can check them.",
    severity=Severity.MEDIUM,
    remediation=(
        "Expect the container rules to judge this task definition at pulumi up. To have them judge it at preview "
        "too, keep other resources' outputs out of containerDefinitions: pass them at run time instead, for "
        "example as secrets or valueFrom references to SSM parameters whose names the program sets."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    tags=["containers"],
)
