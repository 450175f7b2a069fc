"""require-container-insights: ECS clusters publish Container Insights metrics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_CLUSTER, as_list, get, resource_rule, show

ACCEPTED = ("enabled", "enhanced")

MSG_MISSING = "settings has no entry named 'containerInsights'; add one with value 'enhanced' (or 'enabled')."
MSG_DISABLED = "settings containerInsights is {value}; set it to 'enhanced' or 'enabled'."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    values = [
        get(setting, "value")
        for setting in as_list(get(props, "settings"))
        if get(setting, "name") == "containerInsights"
    ]
    if not values:
        yield MSG_MISSING
        return
    for value in values:
        if not isinstance(value, str) or value.strip().lower() not in ACCEPTED:
            yield MSG_DISABLED.format(value=show(value))


POLICY = resource_rule(
    name="require-container-insights",
    description="ECS clusters turn on Container Insights.",
    severity=Severity.MEDIUM,
    remediation=(
        "Add settings=[{name: 'containerInsights', value: 'enhanced'}] to the cluster ('enabled' for the "
        "standard metrics only)."
    ),
    types=ECS_CLUSTER,
    check=check,
    security_hub=("ECS.12",),
    checkov=("CKV_AWS_65",),
)
