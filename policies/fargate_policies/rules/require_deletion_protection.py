"""require-deletion-protection: a load balancer cannot be deleted by a stray ``pulumi destroy`` or replace."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import LOAD_BALANCER, NotApplicable, as_bool, config_value, get, resource_rule
from ._ecs import show

MSG_NOT_PROTECTED = "enableDeletionProtection is {value}; set it to true."
MSG_NOT_REQUIRED = "required is false for this stack; load balancers may be deleted freely."

CONFIG = {
    "required": {
        "type": "boolean",
        "default": True,
        "description": "Demand enableDeletionProtection on every load balancer (turn off for throw-away stacks).",
    },
}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if as_bool(config_value(config, "required", True)) is False:
        raise NotApplicable(MSG_NOT_REQUIRED)
    value = get(props, "enableDeletionProtection")
    if as_bool(value) is not True:
        yield MSG_NOT_PROTECTED.format(value=show(value))


def remediate(props: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    """enableDeletionProtection on, where the config requires it."""
    return {"enableDeletionProtection": True} if list(check(props, config)) else None


POLICY = resource_rule(
    name="require-deletion-protection",
    description="Application, network and gateway load balancers have deletion protection enabled.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set enable_deletion_protection=True on the load balancer. To delete it on purpose, first deploy it "
        "with the flag off."
    ),
    types=LOAD_BALANCER,
    check=check,
    tags=["availability", "load-balancing"],
    remediate=remediate,
    config=CONFIG,
    security_hub=("ELB.6",),
    checkov=("CKV_AWS_150",),
)
