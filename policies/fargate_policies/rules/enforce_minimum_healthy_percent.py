"""enforce-minimum-healthy-percent: a rolling deployment keeps enough tasks serving."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, NotApplicable, as_int, config_value, get, resource_rule
from ._ecs import deployment_controller, is_daemon, show

AWS_DEFAULT = 100

MSG_TOO_LOW = "deploymentMinimumHealthyPercent is {value}; it must be at least {minimum}."
MSG_DEFAULT_TOO_LOW = (
    "deploymentMinimumHealthyPercent is not set, so AWS uses 100, below the required minimum of {minimum}; "
    "set it to at least {minimum}."
)
MSG_NOT_A_NUMBER = "deploymentMinimumHealthyPercent is {value}; it must be a whole number of at least {minimum}."
MSG_NOT_ROLLING = (
    "deploymentController.type is {value}; Fargate ignores deploymentMinimumHealthyPercent outside the ECS controller."
)
MSG_DAEMON = "schedulingStrategy is 'DAEMON'; a daemon service runs one task per instance and has no such floor."

CONFIG = {
    "minimum": {
        "type": "integer",
        "minimum": 0,
        "maximum": 100,
        "default": 50,
        "description": "Lowest deploymentMinimumHealthyPercent allowed (AWS default when unset: 100).",
    },
}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if deployment_controller(props) != "ECS":
        raise NotApplicable(MSG_NOT_ROLLING.format(value=show(get(props, "deploymentController", "type"))))
    if is_daemon(props):
        raise NotApplicable(MSG_DAEMON)
    minimum = as_int(config_value(config, "minimum", 50))
    minimum = 50 if minimum is None else minimum
    raw = get(props, "deploymentMinimumHealthyPercent")
    if raw is None:
        if AWS_DEFAULT < minimum:
            yield MSG_DEFAULT_TOO_LOW.format(minimum=minimum)
        return
    value = as_int(raw)
    if value is None:
        yield MSG_NOT_A_NUMBER.format(value=show(raw), minimum=minimum)
    elif value < minimum:
        yield MSG_TOO_LOW.format(value=show(raw), minimum=minimum)


POLICY = resource_rule(
    name="enforce-minimum-healthy-percent",
    description=(
        "ECS services keep at least the configured percentage of their desired tasks healthy during a "
        "deployment (AWS default when unset: 100)."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Set deployment_minimum_healthy_percent to at least the stack's minimum (100 in production, so a "
        "deployment starts new tasks before stopping old ones), or leave it out to get the AWS default of 100. "
        "Raise deployment_maximum_percent (for example 200) so the deployment has room to start them."
    ),
    types=ECS_SERVICE,
    check=check,
    tags=["availability"],
    config=CONFIG,
)
