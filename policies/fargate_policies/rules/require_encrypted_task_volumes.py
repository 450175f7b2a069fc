"""require-encrypted-task-volumes: the EBS volume an ECS service gives each task is encrypted.

ECS creates the volume from the service's ``volumeConfiguration.managedEbsVolume`` when a task
starts, so that block is where encryption is decided. With ``requireCustomerKey`` (prod) the
volume must also name a customer managed KMS key, not the account's AWS managed EBS key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, NotApplicable, as_bool, config_value, get, resource_rule, show

MSG_NOT_ENCRYPTED = (
    "volumeConfiguration.managedEbsVolume.encrypted is {value}; set it to true so the task's EBS volume and its "
    "snapshots are encrypted at rest."
)
MSG_NO_CUSTOMER_KEY = (
    "volumeConfiguration.managedEbsVolume.kmsKeyId is {value}; name a customer managed KMS key (its ARN) whose "
    "key policy lets the volume's infrastructure role use it."
)
MSG_AWS_MANAGED_KEY = (
    "volumeConfiguration.managedEbsVolume.kmsKeyId is {value}, the AWS managed EBS key; name a customer managed "
    "KMS key instead, whose rotation and key policy the stack controls."
)
NOT_APPLICABLE = "the service configures no EBS volume at launch (volumeConfiguration is not set)"

# The account's AWS managed key for EBS: by alias, or an alias ARN naming it.
_AWS_MANAGED = re.compile(r"(^|:)alias/aws/", re.IGNORECASE)

CONFIG = {
    "requireCustomerKey": {
        "type": "boolean",
        "default": False,
        "description": "Whether the volume must be encrypted with a customer managed KMS key (kmsKeyId).",
    },
}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    volume = get(props, "volumeConfiguration")
    if volume is None:
        raise NotApplicable(NOT_APPLICABLE)
    managed = get(volume, "managedEbsVolume")
    encrypted = get(managed, "encrypted")
    if as_bool(encrypted) is not True:
        yield MSG_NOT_ENCRYPTED.format(value=show(encrypted))
    if as_bool(config_value(config, "requireCustomerKey", False)) is not True:
        return
    key = get(managed, "kmsKeyId")
    if not isinstance(key, str) or not key.strip():
        yield MSG_NO_CUSTOMER_KEY.format(value=show(key))
    elif _AWS_MANAGED.search(key.strip()):
        yield MSG_AWS_MANAGED_KEY.format(value=show(key))


POLICY = resource_rule(
    name="require-encrypted-task-volumes",
    description=(
        "EBS volumes that ECS services configure at launch for their tasks are encrypted, with a customer managed "
        "KMS key when the config requires one."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Set volumeConfiguration.managedEbsVolume.encrypted to true on the service, and kmsKeyId to the ARN of a "
        "customer managed KMS key (the stack's key) whose key policy allows the account's IAM policies; grant the "
        "volume's infrastructure role kms:CreateGrant, kms:GenerateDataKeyWithoutPlaintext, kms:Decrypt, "
        "kms:DescribeKey and kms:ReEncrypt* on that key."
    ),
    tags=["encryption", "containers"],
    types=ECS_SERVICE,
    check=check,
    config=CONFIG,
)
