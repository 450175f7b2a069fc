"""require-container-insights: ECS clusters publish Container Insights metrics."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_CLUSTER, as_list, get, resource_rule, show

ACCEPTED = ("enabled", "enhanced")
REMEDIATED_VALUE = "enabled"
"""What a remediation turns on: the standard metrics ('enhanced' costs more, a human's choice)."""

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


def remediate(props: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    """Container Insights 'enabled' in settings, the cluster's other settings kept."""
    if not list(check(props, config)):
        return None
    settings = get(props, "settings")
    if settings is not None and (isinstance(settings, str | bytes) or not isinstance(settings, Sequence)):
        return None  # not a list of settings: nothing to add to without guessing
    kept = [s for s in as_list(settings) if get(s, "name") != "containerInsights"]
    return {"settings": [*kept, {"name": "containerInsights", "value": REMEDIATED_VALUE}]}


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
    tags=["monitoring"],
    remediate=remediate,
    security_hub=("ECS.12",),
    checkov=("CKV_AWS_65",),
)
