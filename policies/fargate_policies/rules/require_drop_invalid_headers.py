"""require-drop-invalid-headers: an ALB drops headers that are not valid HTTP header names.

Targets that parse such headers differently from the load balancer are open to
request smuggling and header injection.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import LOAD_BALANCER, NotApplicable, as_bool, get, resource_rule
from ._ecs import is_application, show

MSG_NOT_DROPPING = "dropInvalidHeaderFields is {value}; set it to true."
MSG_NOT_APPLICATION = "loadBalancerType is {value}; only application load balancers parse HTTP headers."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if not is_application(props):
        raise NotApplicable(MSG_NOT_APPLICATION.format(value=show(get(props, "loadBalancerType"))))
    value = get(props, "dropInvalidHeaderFields")
    if as_bool(value) is not True:
        yield MSG_NOT_DROPPING.format(value=show(value))


def remediate(props: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    """dropInvalidHeaderFields on."""
    return {"dropInvalidHeaderFields": True} if list(check(props, config)) else None


POLICY = resource_rule(
    name="require-drop-invalid-headers",
    description="Application load balancers drop HTTP headers with invalid names.",
    severity=Severity.MEDIUM,
    remediation="Set drop_invalid_header_fields=True on the application load balancer.",
    types=LOAD_BALANCER,
    check=check,
    tags=["load-balancing", "network"],
    remediate=remediate,
    security_hub=("ELB.4",),
    checkov=("CKV_AWS_131",),
)
