"""disallow-plaintext-secrets: credentials reach containers through ``secrets``, not ``environment``.

A value in ``environment`` is stored in clear text in the task definition,
readable by anyone with ``ecs:DescribeTaskDefinition``, and kept in every
revision. Messages name the variable and never repeat its value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_TASK_DEFINITION, as_list, config_value, resource_rule
from ._ecs import MSG_BAD_CONTAINERS, bad_containers_reason, json_kind, labelled_containers

MSG_SECRET_NAME = (
    "{container} sets environment variable '{name}' in plain text and its name looks like a secret; "
    "move it to secrets (valueFrom a Secrets Manager secret or SSM SecureString parameter), "
    "or add the name to allowedNames if it holds no secret."
)
MSG_ACCESS_KEY_ID = (
    "{container} sets environment variable '{name}' to what looks like an AWS access key id; "
    "remove it and give the task a taskRoleArn instead of long-lived keys."
)
MSG_SECRET_ACCESS_KEY = (
    "{container} sets environment variable '{name}' to what looks like an AWS secret access key; "
    "remove it and give the task a taskRoleArn instead of long-lived keys."
)
MSG_BAD_ENVIRONMENT = "{container} has an environment that is {what}; it must be an array of {{name, value}} objects."

SECRET_NAME_PARTS: tuple[str, ...] = (
    "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL",
)
_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
_SECRET_ACCESS_KEY = re.compile(r"[A-Za-z0-9/+]{40}")
# A 40-character base64-ish value is only suspicious next to a name that says it is a key.
_KEYISH_NAME = re.compile(r"KEY|AWS|SECRET|CREDENTIAL", re.IGNORECASE)
# A value that is itself a reference (an ARN) holds no secret, whatever the name says.
_REFERENCE = re.compile(r"arn:aws[a-z-]*:", re.IGNORECASE)

CONFIG = {
    "allowedNames": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Environment variable names (case-insensitive) whose name looks secret but holds no secret.",
    },
}



def _text(value: Any) -> str:
    """An environment value as ECS would pass it; numbers count too (a numeric PIN is still a secret)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def looks_secret(name: str) -> bool:
    upper = name.upper()
    return any(part in upper for part in SECRET_NAME_PARTS)


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    allowed = {n.strip().upper() for n in as_list(config_value(config, "allowedNames", [])) if isinstance(n, str)}
    containers = labelled_containers(props)
    if containers is None:
        yield MSG_BAD_CONTAINERS.format(what=bad_containers_reason(props))
        return
    for label, container in containers:
        environment = container.get("environment")
        if environment is None:
            continue
        if isinstance(environment, str | bytes) or not isinstance(environment, Sequence):
            yield MSG_BAD_ENVIRONMENT.format(container=label, what=json_kind(environment))
            continue
        for index, entry in enumerate(environment):
            if not isinstance(entry, Mapping):
                continue
            name = entry.get("name")
            name = name.strip() if isinstance(name, str) and name.strip() else f"environment[{index}]"
            value = _text(entry.get("value"))
            exempt = name.upper() in allowed
            if _ACCESS_KEY_ID.search(value):
                yield MSG_ACCESS_KEY_ID.format(container=label, name=name)
            elif exempt or not value.strip() or _REFERENCE.match(value.strip()):
                continue
            elif looks_secret(name):
                yield MSG_SECRET_NAME.format(container=label, name=name)
            elif _KEYISH_NAME.search(name) and _SECRET_ACCESS_KEY.fullmatch(value.strip()):
                yield MSG_SECRET_ACCESS_KEY.format(container=label, name=name)


POLICY = resource_rule(
    name="disallow-plaintext-secrets",
    description="ECS task definitions do not put passwords, tokens or AWS keys in container environment variables.",
    severity=Severity.CRITICAL,
    remediation=(
        "Store the value in AWS Secrets Manager or as an SSM SecureString parameter and reference it from the "
        "container's secrets list (name + valueFrom); grant the execution role read access to it. Replace AWS "
        "access keys with a task role. Rotate any value that was ever deployed in plain text."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    config=CONFIG,
    security_hub=("ECS.8",),
)
