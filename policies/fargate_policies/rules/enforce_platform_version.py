"""enforce-platform-version: Fargate services run on platform version 1.4.0 or later.

Versions before 1.4.0 lack, among others, encrypted ephemeral storage, EFS
volumes and task-ENI traffic for image pulls and secrets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, NotApplicable, get, resource_rule
from ._ecs import show

MINIMUM_VERSION: tuple[int, int, int] = (1, 4, 0)

MSG_TOO_OLD = "platformVersion is {value}; use 'LATEST' or {minimum} or later."
MSG_UNREADABLE = "platformVersion is {value}, which is not 'LATEST' or a version like '1.4.0'; use 'LATEST'."
MSG_NOT_FARGATE = "launchType is {value}; platformVersion applies only to Fargate services."

_VERSION = re.compile(r"(\d+)(?:\.(\d+))?(?:\.(\d+))?")


def parse_version(value: str) -> tuple[int, int, int] | None:
    """'1.4.0' -> (1, 4, 0); '1.4' -> (1, 4, 0); None for anything else."""
    match = _VERSION.fullmatch(value.strip())
    if not match:
        return None
    major, minor, patch = (int(part) if part else 0 for part in match.groups())
    return major, minor, patch


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    launch_type = get(props, "launchType")
    if isinstance(launch_type, str) and launch_type.strip().upper() in ("EC2", "EXTERNAL", "MANAGED_INSTANCES"):
        raise NotApplicable(MSG_NOT_FARGATE.format(value=show(launch_type)))
    raw = get(props, "platformVersion")
    if raw is None or (isinstance(raw, str) and raw.strip().upper() == "LATEST"):
        return
    version = parse_version(raw) if isinstance(raw, str) else None
    minimum = ".".join(str(part) for part in MINIMUM_VERSION)
    if version is None:
        yield MSG_UNREADABLE.format(value=show(raw))
    elif version < MINIMUM_VERSION:
        yield MSG_TOO_OLD.format(value=show(raw), minimum=f"'{minimum}'")


POLICY = resource_rule(
    name="enforce-platform-version",
    description="Fargate ECS services run on platform version LATEST or 1.4.0 and later.",
    severity=Severity.MEDIUM,
    remediation="Leave platform_version out (AWS uses LATEST) or set it to 'LATEST' or '1.4.0'.",
    types=ECS_SERVICE,
    check=check,
    tags=["containers"],
    security_hub=("ECS.10",),
    checkov=("CKV_AWS_332",),
)
