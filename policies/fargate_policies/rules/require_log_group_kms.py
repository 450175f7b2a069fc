"""require-log-group-kms: log groups are encrypted with a customer managed KMS key, when config asks for it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import LOG_GROUP, NotApplicable, as_bool, config_value, get, resource_rule, show

MSG_NO_KEY = "kmsKeyId is {value}; set it to the ARN of a customer managed KMS key that CloudWatch Logs may use."

CONFIG = {
    "required": {
        "type": "boolean",
        "default": False,
        "description": "Whether log groups must name a KMS key; when false the rule does not apply.",
    },
}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if as_bool(config_value(config, "required", False)) is not True:
        raise NotApplicable("the policy config sets required to false")
    key = get(props, "kmsKeyId")
    if not isinstance(key, str) or not key.strip():
        yield MSG_NO_KEY.format(value=show(key))


POLICY = resource_rule(
    name="require-log-group-kms",
    description="CloudWatch log groups are encrypted with a customer managed KMS key when the config requires it.",
    severity=Severity.MEDIUM,
    remediation=(
        "Create an aws.kms.Key with key rotation on, whose key policy lets the logs.<region>.amazonaws.com "
        "service principal use it, and pass its ARN as kmsKeyId of the log group."
    ),
    types=LOG_GROUP,
    check=check,
    tags=["encryption", "logging"],
    config=CONFIG,
    checkov=("CKV_AWS_158",),
)
