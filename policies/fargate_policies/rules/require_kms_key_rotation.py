"""require-kms-key-rotation: symmetric KMS keys rotate their key material."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import KMS_KEY, NotApplicable, as_bool, as_int, config_value, get, resource_rule, show

MSG_NO_ROTATION = "enableKeyRotation is {value}; set it to true."
MSG_PERIOD_TOO_LONG = "rotationPeriodInDays is {value}, above the maximum of {max} days; set it to {max} or less."

CONFIG = {
    "maxRotationPeriodDays": {
        "type": "integer",
        "minimum": 90,
        "maximum": 2560,
        "default": 365,
        "description": "Longest rotationPeriodInDays a key may set (KMS accepts 90 to 2560; its default is 365).",
    },
}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    spec = get(props, "customerMasterKeySpec")
    if spec is not None and spec != "SYMMETRIC_DEFAULT":
        raise NotApplicable(f"customerMasterKeySpec is {show(spec)}: KMS rotates only SYMMETRIC_DEFAULT keys")
    if get(props, "customKeyStoreId") is not None:
        raise NotApplicable("the key lives in a custom key store, where KMS does not rotate key material")
    raw = get(props, "enableKeyRotation")
    if as_bool(raw) is not True:
        yield MSG_NO_ROTATION.format(value=show(raw))
        return
    limit = as_int(config_value(config, "maxRotationPeriodDays", 365)) or 365
    period = get(props, "rotationPeriodInDays")
    days = as_int(period)
    if period is not None and (days is None or days > limit):
        yield MSG_PERIOD_TOO_LONG.format(value=show(period), max=limit)


POLICY = resource_rule(
    name="require-kms-key-rotation",
    description="Symmetric KMS keys have automatic key rotation turned on.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set enableKeyRotation=true on the key, and leave rotationPeriodInDays unset (365 days) or at most "
        "maxRotationPeriodDays of the policy config."
    ),
    types=KMS_KEY,
    check=check,
    tags=["encryption"],
    config=CONFIG,
    security_hub=("KMS.4",),
    checkov=("CKV_AWS_7",),
)
