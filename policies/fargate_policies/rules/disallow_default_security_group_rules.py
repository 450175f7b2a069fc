"""disallow-default-security-group-rules: a VPC's default security group allows no traffic."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import DEFAULT_SECURITY_GROUP, get, resource_rule, show

MSG_HAS_RULES = (
    "{prop} has {count} rule(s): {value}; set {prop} to an empty list so the default security group "
    "allows no traffic."
)
MSG_INVALID = "{prop} is {value}, which is not a list of rules; set {prop} to an empty list."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    for prop in ("ingress", "egress"):
        rules = get(props, prop)
        if rules is None:
            continue  # absent: the provider removes every rule of the default group
        if isinstance(rules, str | bytes) or not isinstance(rules, Sequence):
            yield MSG_INVALID.format(prop=prop, value=show(rules))
        elif len(rules) > 0:
            yield MSG_HAS_RULES.format(prop=prop, count=len(rules), value=show(rules))


POLICY = resource_rule(
    name="disallow-default-security-group-rules",
    description="A VPC's default security group has no ingress and no egress rules.",
    severity=Severity.HIGH,
    remediation=(
        "Manage the default security group with aws.ec2.DefaultSecurityGroup and leave ingress and egress "
        "empty. Create a dedicated security group for every workload and attach that instead, so nothing "
        "falls back to the default group."
    ),
    types=DEFAULT_SECURITY_GROUP,
    check=check,
    security_hub=("EC2.2",),
    checkov=("CKV2_AWS_12",),
)
