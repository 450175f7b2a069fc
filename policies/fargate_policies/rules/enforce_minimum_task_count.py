"""enforce-minimum-task-count: a service never runs, or scales in to, fewer tasks than the minimum.

Checks ``desiredCount`` of ECS services and ``minCapacity`` of ECS scalable
targets (aws:appautoscaling/target with serviceNamespace ``ecs``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, SCALABLE_TARGET, NotApplicable, as_int, config_value, get, resource_rule
from ._ecs import is_daemon, show

MSG_DESIRED_COUNT = "desiredCount is {value}; run at least {minimum} task(s)."
MSG_DESIRED_COUNT_MISSING = "desiredCount is not set, so AWS runs 0 tasks; set it to at least {minimum}."
MSG_MIN_CAPACITY = "minCapacity is {value}; the ECS scalable target must keep at least {minimum} task(s) running."
MSG_DAEMON = "schedulingStrategy is 'DAEMON'; a daemon service runs one task per container instance."
MSG_OTHER_NAMESPACE = "serviceNamespace is {value}; only ECS scalable targets ('ecs') are checked."

CONFIG = {
    "minimum": {
        "type": "integer",
        "minimum": 0,
        "default": 1,
        "description": "Fewest tasks a service may run (desiredCount) or scale in to (minCapacity).",
    },
}


def _minimum(config: Mapping[str, Any]) -> int:
    value = as_int(config_value(config, "minimum", 1))
    return 1 if value is None else value


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    minimum = _minimum(config)
    # Scalable targets always carry serviceNamespace (a required input); services never do.
    if "serviceNamespace" in props:
        namespace = get(props, "serviceNamespace")
        if not (isinstance(namespace, str) and namespace.strip().lower() == "ecs"):
            raise NotApplicable(MSG_OTHER_NAMESPACE.format(value=show(namespace)))
        raw = get(props, "minCapacity")
        value = as_int(raw)
        if value is None or value < minimum:
            yield MSG_MIN_CAPACITY.format(value=show(raw), minimum=minimum)
        return
    if is_daemon(props):
        raise NotApplicable(MSG_DAEMON)
    raw = get(props, "desiredCount")
    if raw is None:
        if minimum > 0:
            yield MSG_DESIRED_COUNT_MISSING.format(minimum=minimum)
        return
    value = as_int(raw)
    if value is None or value < minimum:
        yield MSG_DESIRED_COUNT.format(value=show(raw), minimum=minimum)


POLICY = resource_rule(
    name="enforce-minimum-task-count",
    description=(
        "ECS services run, and their ECS scalable targets keep, at least the configured minimum number of tasks."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Set desired_count on the service and min_capacity on its aws.appautoscaling.Target to at least the "
        "stack's minimum, and spread the service's subnets over two or more Availability Zones."
    ),
    types=ECS_SERVICE + SCALABLE_TARGET,
    check=check,
    tags=["availability"],
    config=CONFIG,
)
