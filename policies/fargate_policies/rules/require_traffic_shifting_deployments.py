"""require-traffic-shifting-deployments: a load-balanced service releases beside its running version.

A rolling deployment replaces tasks in place: once a new task takes traffic, every
user it serves meets the new version, and a bad release is found by its users. With
``BLUE_GREEN``, ``CANARY`` or ``LINEAR`` ECS starts the new version beside the old
one, moves load balancer traffic to it (all at once, a canary share first, or in
steps), watches the service's alarms and keeps the old version for the bake time,
so a release rolls back without an outage. Which strategies pass is the policy
config's ``allowedStrategies``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ..facts import DEPLOYMENT_STRATEGIES, TRAFFIC_SHIFTING_STRATEGIES
from ._common import ECS_SERVICE, NotApplicable, as_list, config_value, get, resource_rule
from ._ecs import deployment_controller, deployment_strategy, load_balancer_entries, show

MSG_NOT_ECS_CONTROLLER = (
    "deploymentController.type is {value}; ECS-native traffic shifting needs the ECS deployment controller."
)
MSG_NO_LOAD_BALANCER = "loadBalancers is not set: there is no load balancer traffic to shift."
MSG_STRATEGY = (
    "deploymentConfiguration.strategy is {value}; a load-balanced service releases with one of {allowed}, so a "
    "bad version meets few users and rolls back without an outage."
)

CONFIG = {
    "allowedStrategies": {
        "type": "array",
        "items": {"enum": list(DEPLOYMENT_STRATEGIES)},
        "uniqueItems": True,
        "minItems": 1,
        "default": list(TRAFFIC_SHIFTING_STRATEGIES),
        "description": "deploymentConfiguration.strategy values a load-balanced ECS service may use.",
    },
}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if deployment_controller(props) != "ECS":
        raise NotApplicable(MSG_NOT_ECS_CONTROLLER.format(value=show(get(props, "deploymentController", "type"))))
    if not load_balancer_entries(props):
        raise NotApplicable(MSG_NO_LOAD_BALANCER)
    allowed = [s for s in as_list(config_value(config, "allowedStrategies", list(TRAFFIC_SHIFTING_STRATEGIES)))
               if isinstance(s, str)]
    strategy = deployment_strategy(props)
    if strategy not in allowed:
        raw = get(props, "deploymentConfiguration", "strategy")
        shown = show(raw) if raw is not None else "not set (ROLLING)"
        yield MSG_STRATEGY.format(value=shown, allowed=", ".join(allowed))


POLICY = resource_rule(
    name="require-traffic-shifting-deployments",
    description=(
        "Load-balanced ECS services release new versions with a traffic-shifting strategy (BLUE_GREEN, CANARY or "
        "LINEAR, as the policy config allows) instead of replacing tasks in place."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Set deployment_configuration={'strategy': 'CANARY' (or 'BLUE_GREEN', 'LINEAR'), 'bake_time_in_minutes': "
        "...} with an alternate target group, production listener rule and infrastructure role in the load "
        "balancer entry's advanced_configuration; in this project, set services[].deployment.strategy in the stack "
        "config."
    ),
    tags=["availability"],
    types=ECS_SERVICE,
    check=check,
    config=CONFIG,
)
