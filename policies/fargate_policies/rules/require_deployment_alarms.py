"""require-deployment-alarms: a deployment that breaks the service's alarms rolls itself back.

The circuit breaker only sees tasks that fail to start. A release that starts fine
but answers 5xx or fails health checks is caught by ECS deployment alarms, which
roll back to the last deployment that completed when a listed alarm fires.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, NotApplicable, as_bool, get, resource_rule
from ._ecs import deployment_controller, show

MSG_NOT_REQUIRED = "config required is false: deployment alarms are not required in this environment."
MSG_NOT_ECS_CONTROLLER = (
    "deploymentController.type is {value}; deployment alarms work only with the ECS deployment controller."
)
MSG_MISSING = (
    "alarms is not set; set it to {{alarmNames: [<critical alarm names>], enable: true, rollback: true}} so a "
    "deployment that fires the service's alarms is rolled back."
)
MSG_FIELD = "alarms.{field} is {value}; set it to true."
MSG_NO_NAMES = "alarms.alarmNames is {value}; list the service's critical alarms (5xx rate, unhealthy hosts)."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if as_bool(config.get("required")) is not True:
        raise NotApplicable(MSG_NOT_REQUIRED)
    controller = deployment_controller(props)
    if controller != "ECS":
        raise NotApplicable(MSG_NOT_ECS_CONTROLLER.format(value=show(get(props, "deploymentController", "type"))))
    alarms = get(props, "alarms")
    if not isinstance(alarms, Mapping):
        yield MSG_MISSING
        return
    for field in ("enable", "rollback"):
        value = get(alarms, field)
        if as_bool(value) is not True:
            yield MSG_FIELD.format(field=field, value=show(value))
    names = get(alarms, "alarmNames")
    # Only the count is read: names built from outputs may be unknown at preview.
    if not isinstance(names, Sequence) or isinstance(names, str | bytes) or len(names) == 0:
        yield MSG_NO_NAMES.format(value=show(names))


CONFIG = {
    "required": {
        "type": "boolean",
        "default": False,
        "description": "Require deployment alarms on every ECS service (true in production).",
    },
}

POLICY = resource_rule(
    name="require-deployment-alarms",
    description=(
        "ECS services on the ECS deployment controller roll back deployments on CloudWatch alarms: alarms is set "
        "with enable and rollback true and at least one alarm name."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Pass alarms=aws.ecs.ServiceAlarmsArgs(alarm_names=critical_alarm_names(...), enable=True, rollback=True) "
        "to the service, naming its 5xx-rate, unhealthy-host and running-task alarms (give the alarms explicit "
        "names computed from plain strings, so the service can list them before they exist)."
    ),
    types=ECS_SERVICE,
    check=check,
    tags=["availability", "monitoring"],
    config=CONFIG,
)
