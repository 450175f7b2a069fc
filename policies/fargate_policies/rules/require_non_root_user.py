"""require-non-root-user: every Linux container names a user, and that user is not root."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ..facts import is_root_user, names_no_user
from ._common import ECS_TASK_DEFINITION, resource_rule
from ._ecs import (
    MSG_BAD_CONTAINERS,
    bad_containers_reason,
    linux_containers,
    show,
)

MSG_USER_MISSING = (
    "{container} has user {value}; set user to a non-root user or uid (for example '1000:1000'), "
    "otherwise the image decides and most images run as root."
)
MSG_USER_ROOT = "{container} has user {value}, which is root; set user to a non-root user or uid (for example '1000')."
MSG_USER_NOT_STRING = "{container} has user {value}; user must be a string such as 'app' or '1000:1000'."
MSG_WINDOWS = "runtimePlatform.operatingSystemFamily is {family}; ECS ignores user for Windows containers."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    containers = linux_containers(props, MSG_WINDOWS)
    if containers is None:
        yield MSG_BAD_CONTAINERS.format(what=bad_containers_reason(props))
        return
    for label, container in containers:
        user = container.get("user")
        if user is None or (isinstance(user, str) and names_no_user(user)):
            yield MSG_USER_MISSING.format(container=label, value=show(user))
        elif not isinstance(user, str):
            yield MSG_USER_NOT_STRING.format(container=label, value=show(user))
        elif is_root_user(user):
            yield MSG_USER_ROOT.format(container=label, value=show(user))


POLICY = resource_rule(
    name="require-non-root-user",
    description="Every Linux container in an ECS task definition runs as a named non-root user.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set user on each container to a non-root user or uid:gid (for example '1000:1000'), and make sure the "
        "image gives that user the files it needs. A USER line in the Dockerfile is not enough: the task "
        "definition must say it so the rule can check it."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    tags=["containers"],
)
