"""require-deployment-circuit-breaker: a failing rolling deployment stops and rolls back by itself."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, NotApplicable, as_bool, get, resource_rule
from ._ecs import deployment_controller, show

MSG_NOT_ECS_CONTROLLER = (
    "deploymentController.type is {value}; the deployment circuit breaker works only with the ECS controller."
)
MSG_MISSING = "deploymentCircuitBreaker is not set; set it to {enable: true, rollback: true}."
MSG_FIELD = "deploymentCircuitBreaker.{field} is {value}; set it to true."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    controller = deployment_controller(props)
    if controller != "ECS":
        raise NotApplicable(MSG_NOT_ECS_CONTROLLER.format(value=show(get(props, "deploymentController", "type"))))
    breaker = get(props, "deploymentCircuitBreaker")
    if breaker is None:
        yield MSG_MISSING
        return
    for field in ("enable", "rollback"):
        value = get(breaker, field)
        if as_bool(value) is not True:
            yield MSG_FIELD.format(field=field, value=show(value))


def remediate(props: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    """deploymentCircuitBreaker enable and rollback on, anything else in it kept."""
    if not list(check(props, config)):
        return None
    breaker = get(props, "deploymentCircuitBreaker")
    kept = dict(breaker) if isinstance(breaker, Mapping) else {}
    return {"deploymentCircuitBreaker": {**kept, "enable": True, "rollback": True}}


POLICY = resource_rule(
    name="require-deployment-circuit-breaker",
    description="ECS services on the ECS deployment controller enable the deployment circuit breaker with rollback.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set deployment_circuit_breaker={'enable': True, 'rollback': True} on the service, so a deployment "
        "whose tasks keep failing stops and returns to the last working revision."
    ),
    types=ECS_SERVICE,
    check=check,
    tags=["availability"],
    remediate=remediate,
)
