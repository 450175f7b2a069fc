"""disallow-desync-monitor-mode: an ALB blocks requests that could desynchronise it from its targets.

``monitor`` forwards every request, even ones classified as HTTP request
smuggling risks; ``defensive`` (the AWS default) and ``strictest`` block them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import LOAD_BALANCER, NotApplicable, get, resource_rule
from ._ecs import is_application, show

ALLOWED_MODES: tuple[str, ...] = ("defensive", "strictest")

MSG_MODE = "desyncMitigationMode is {value}; set it to 'defensive' or 'strictest', or leave it out (defensive)."
MSG_NOT_APPLICATION = "loadBalancerType is {value}; desync mitigation applies to application load balancers."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if not is_application(props):
        raise NotApplicable(MSG_NOT_APPLICATION.format(value=show(get(props, "loadBalancerType"))))
    value = get(props, "desyncMitigationMode")
    if value is None:
        return
    if not (isinstance(value, str) and value.strip().lower() in ALLOWED_MODES):
        yield MSG_MODE.format(value=show(value))


POLICY = resource_rule(
    name="disallow-desync-monitor-mode",
    description="Application load balancers use the defensive or strictest desync mitigation mode, not monitor.",
    severity=Severity.MEDIUM,
    remediation="Leave desync_mitigation_mode out (AWS uses defensive) or set it to 'defensive' or 'strictest'.",
    types=LOAD_BALANCER,
    check=check,
    tags=["load-balancing", "network"],
    security_hub=("ELB.12",),
    checkov=("CKV_AWS_328",),
)
