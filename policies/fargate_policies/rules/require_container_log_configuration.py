"""require-container-log-configuration: every container of a task definition ships its logs somewhere."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_TASK_DEFINITION, get, parse_json_document, resource_rule, show
from ._ecs import labelled_containers

# How MSG_UNREADABLE describes containerDefinitions ({what}) and MSG_NO_LOG_CONFIGURATION a bad value ({value}).
NOT_SET = "not set"
NOT_JSON = "a string that is not valid JSON"
NOT_AN_ARRAY = "a JSON {kind}, not an array"
OF_TYPE = "of type {kind}"

MSG_UNREADABLE = "containerDefinitions is {what}; it must be a JSON array of container definitions."
MSG_NO_CONTAINERS = (
    "containerDefinitions holds no container definition; add the containers, each with a logConfiguration."
)
MSG_NO_LOG_CONFIGURATION = (
    "{container} has logConfiguration {value}; set logConfiguration with a logDriver (for Fargate: awslogs, "
    "awsfirelens or splunk)."
)
MSG_NO_LOG_DRIVER = (
    "{container} has logConfiguration.logDriver {value}; set it to a log driver (for Fargate: awslogs, "
    "awsfirelens or splunk)."
)


def _unreadable(raw: Any) -> str:
    # Never echo the definitions themselves: they can hold environment values.
    if raw is None:
        return NOT_SET
    if isinstance(raw, str) and parse_json_document(raw) is None:
        return NOT_JSON
    parsed = parse_json_document(raw)
    return NOT_AN_ARRAY.format(kind=type(parsed).__name__ if parsed is not None else type(raw).__name__)


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    containers = labelled_containers(props)
    if containers is None:
        yield MSG_UNREADABLE.format(what=_unreadable(get(props, "containerDefinitions")))
        return
    if not containers:
        yield MSG_NO_CONTAINERS
        return
    for name, container in containers:
        log_configuration = container.get("logConfiguration")
        if not isinstance(log_configuration, Mapping):
            # Show only the kind of value: options can carry tokens (splunk-token).
            value = NOT_SET if log_configuration is None else OF_TYPE.format(kind=type(log_configuration).__name__)
            yield MSG_NO_LOG_CONFIGURATION.format(container=name, value=value)
            continue
        driver = log_configuration.get("logDriver")
        if not isinstance(driver, str) or not driver.strip():
            yield MSG_NO_LOG_DRIVER.format(container=name, value=show(driver))


POLICY = resource_rule(
    name="require-container-log-configuration",
    description="Every container of an ECS task definition has a logConfiguration that names a logDriver.",
    severity=Severity.HIGH,
    remediation=(
        "Give every container definition a logConfiguration, for example logDriver awslogs with the options "
        "awslogs-group (a log group with retention), awslogs-region and awslogs-stream-prefix. FireLens "
        "sidecars and application containers both need one."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    tags=["containers", "logging"],
    security_hub=("ECS.9",),
)
