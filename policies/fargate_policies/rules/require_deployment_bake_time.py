"""require-deployment-bake-time: after a release takes all traffic, the old version stays for a while.

During the bake time both versions run: the new one serves every request while the
service's alarms watch it, and the old one waits. An alarm in that window rolls back
by moving traffic back at once, without starting a task. A bake time of 0 ends the
old version as soon as traffic has moved, so a fault found a minute later needs a
new deployment to undo.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ..facts import BAKE_MINUTES_MAX, BAKE_MINUTES_MIN, is_traffic_shifting
from ._common import ECS_SERVICE, NotApplicable, as_int, config_value, get, resource_rule
from ._ecs import deployment_controller, deployment_strategy, show

DEFAULT_MINIMUM = 5

MSG_NOT_ECS_CONTROLLER = "deploymentController.type is {value}; bake time is a setting of the ECS controller."
MSG_NOT_SHIFTING = (
    "deploymentConfiguration.strategy is {value}; only BLUE_GREEN, CANARY and LINEAR releases keep the old "
    "version for a bake time."
)
MSG_NOT_SET = (
    "deploymentConfiguration.bakeTimeInMinutes is not set; set it to at least {minimum} minutes, so the old "
    "version stays ready to take traffic back while the alarms watch the new one."
)
MSG_TOO_SHORT = (
    "deploymentConfiguration.bakeTimeInMinutes is {value}; it must be at least {minimum} minutes, so the old "
    "version stays ready to take traffic back while the alarms watch the new one."
)
MSG_NOT_A_NUMBER = (
    "deploymentConfiguration.bakeTimeInMinutes is {value}; it must be a whole number of minutes from {minimum} to "
    f"{BAKE_MINUTES_MAX}."
)

CONFIG = {
    "minimumMinutes": {
        "type": "integer",
        "minimum": BAKE_MINUTES_MIN,
        "maximum": BAKE_MINUTES_MAX,
        "default": DEFAULT_MINIMUM,
        "description": "Shortest bakeTimeInMinutes allowed for a BLUE_GREEN, CANARY or LINEAR release.",
    },
}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if deployment_controller(props) != "ECS":
        raise NotApplicable(MSG_NOT_ECS_CONTROLLER.format(value=show(get(props, "deploymentController", "type"))))
    strategy = deployment_strategy(props)
    if not is_traffic_shifting(strategy):
        raise NotApplicable(MSG_NOT_SHIFTING.format(value=show(strategy)))
    minimum = as_int(config_value(config, "minimumMinutes", DEFAULT_MINIMUM))
    minimum = DEFAULT_MINIMUM if minimum is None else minimum
    raw = get(props, "deploymentConfiguration", "bakeTimeInMinutes")
    if raw is None:
        yield MSG_NOT_SET.format(minimum=minimum)
        return
    # The provider takes the minutes as a string ("10"); the engine may send a number too.
    value = as_int(raw)
    if value is None or not BAKE_MINUTES_MIN <= value <= BAKE_MINUTES_MAX:
        yield MSG_NOT_A_NUMBER.format(value=show(raw), minimum=minimum)
    elif value < minimum:
        yield MSG_TOO_SHORT.format(value=show(raw), minimum=minimum)


POLICY = resource_rule(
    name="require-deployment-bake-time",
    description=(
        "BLUE_GREEN, CANARY and LINEAR releases of ECS services keep the old version running for at least the "
        "configured bake time after all traffic has moved."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Set deployment_configuration.bake_time_in_minutes to at least the stack's minimum (5 in production); in "
        "this project, set services[].deployment.bakeMinutes in the stack config."
    ),
    tags=["availability"],
    types=ECS_SERVICE,
    check=check,
    config=CONFIG,
)
