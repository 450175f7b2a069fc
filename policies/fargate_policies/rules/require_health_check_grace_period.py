"""require-health-check-grace-period: new tasks get time to start before load balancer checks count.

Without a grace period, ECS stops a task that fails its first load balancer
health checks while still starting, and a slow-starting service never becomes
stable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, NotApplicable, as_int, as_list, config_value, get, resource_rule
from ._ecs import show

MSG_TOO_SHORT = "healthCheckGracePeriodSeconds is {value}; set it to at least {minimum} for a load-balanced service."
MSG_NO_LOAD_BALANCER = "loadBalancers is empty; the grace period only applies to load-balanced services."

CONFIG = {
    "minimum": {
        "type": "integer",
        "minimum": 1,
        "default": 1,
        "description": "Fewest seconds of healthCheckGracePeriodSeconds for a service behind a load balancer.",
    },
}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if not as_list(get(props, "loadBalancers")):
        raise NotApplicable(MSG_NO_LOAD_BALANCER)
    minimum = as_int(config_value(config, "minimum", 1))
    minimum = 1 if minimum is None else minimum
    raw = get(props, "healthCheckGracePeriodSeconds")
    value = as_int(raw)
    if value is None or value < minimum:
        yield MSG_TOO_SHORT.format(value=show(raw), minimum=minimum)


POLICY = resource_rule(
    name="require-health-check-grace-period",
    description="Load-balanced ECS services set a health check grace period of at least the configured seconds.",
    severity=Severity.LOW,
    remediation=(
        "Set health_check_grace_period_seconds on the service to a bit more than the container's start-up time "
        "(for example 60)."
    ),
    types=ECS_SERVICE,
    check=check,
    tags=["availability"],
    config=CONFIG,
)
