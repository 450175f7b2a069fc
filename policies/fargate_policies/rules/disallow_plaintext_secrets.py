"""disallow-plaintext-secrets: credentials reach containers through ``secrets``, not ``environment``.

A value in ``environment`` is stored in clear text in the task definition,
readable by anyone with ``ecs:DescribeTaskDefinition``, and kept in every
revision. Messages name the variable and never repeat its value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from .. import facts
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
MSG_CREDENTIAL = (
    "{container} sets environment variable '{name}' to what looks like {what}; move it to secrets (valueFrom a "
    "Secrets Manager secret or SSM SecureString parameter) and rotate it."
)
MSG_BAD_ENVIRONMENT = "{container} has an environment that is {what}; it must be an array of {{name, value}} objects."

_MESSAGES = {
    facts.ACCESS_KEY_ID: MSG_ACCESS_KEY_ID,
    facts.CREDENTIAL: MSG_CREDENTIAL,
    facts.SECRET_NAME: MSG_SECRET_NAME,
    facts.SECRET_ACCESS_KEY: MSG_SECRET_ACCESS_KEY,
}

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


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    allowed = [n for n in as_list(config_value(config, "allowedNames", [])) if isinstance(n, str)]
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
            found = facts.plaintext_secret(name, _text(entry.get("value")), allowed)
            if found is not None:
                yield _MESSAGES[found.kind].format(container=label, name=name, what=found.what)


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
    tags=["containers", "secrets"],
    config=CONFIG,
    security_hub=("ECS.8",),
)
