"""The pack's remediations as pulumi-policy runs them: which rules remediate, and ``resource_rule``'s wrapper.

The wrapper gets the resource's inputs the way the SDK's ``Remediate`` hands
them over (decoded with secrets kept, unknown values unchecked) and must: fix
only resources of its rule's types, write only the properties the pure
remediation returns, keep secrets secret, refuse to decide on an unknown
value, and leave a resource alone when the remediation fails.
"""

from __future__ import annotations

from typing import Any

import pytest
from fargate_policies import rules
from fargate_policies.rules import require_log_group_retention, require_tags
from fargate_policies.rules._common import resource_rule
from google.protobuf import json_format, struct_pb2
from pulumi_policy import ResourceValidationArgs, ResourceValidationPolicy, Severity
from pulumi_policy.deserialize import (
    SPECIAL_SECRET_SIG,
    SPECIAL_SIG_KEY,
    deserialize_properties,
    serialize_properties,
)
from pulumi_policy.proxy import UNKNOWN_NUMBER_VALUE, UnknownValueError

# The rules whose fix needs no human decision. A rule that is not here must never remediate: an open security
# group, a wildcard IAM action or a secret in plain text is for its owner to fix.
REMEDIATING = {
    "require-container-insights",
    "require-deletion-protection",
    "require-deployment-circuit-breaker",
    "require-drop-invalid-headers",
    "require-ecr-immutable-tags",
    "require-ecr-scan-on-push",
    "require-log-group-retention",
    "require-tags",
}
NEVER = {"disallow-open-ingress", "disallow-iam-wildcards", "disallow-plaintext-secrets",
         "disallow-privileged-containers", "disallow-ecs-public-ip"}

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
URN = f"urn:pulumi:dev::p::{LOG_GROUP}::logs"
CONFIG = {"minRetentionDays": 7}


class _NotApplicable(Exception):
    pass


class _Args(ResourceValidationArgs):
    def not_applicable(self, reason: str | None = None) -> None:
        raise _NotApplicable(reason)


def sent(props: dict[str, Any]) -> Any:
    """``props`` as the SDK's Remediate decodes them: secrets kept, unknowns as the engine's sentinels."""
    struct = struct_pb2.Struct()
    struct.update(props)
    return deserialize_properties(json_format.MessageToDict(struct), True)


def remediate(policy: ResourceValidationPolicy, props: dict[str, Any], config: dict[str, Any] | None = None,
              resource_type: str = LOG_GROUP) -> Any:
    args = _Args(resource_type, sent(props), URN, "logs", None, None, config)
    return policy.remediate(args)


def test_exactly_the_rules_whose_fix_is_unambiguous_remediate():
    remediating = {p.name for p in rules.ALL_POLICIES
                   if isinstance(p, ResourceValidationPolicy) and p.has_remediation()}
    assert remediating == REMEDIATING
    assert {p.name for p in rules.ALL_POLICIES if p.remedy is not None} == REMEDIATING, "pure remediations attached"
    assert not remediating & NEVER


def test_the_wrapper_writes_the_fix_into_the_engines_properties():
    props = {"name": "logs", "retentionInDays": 3, "kmsKeyId": "key-1", "tags": {"Owner": "o"}}
    result = remediate(require_log_group_retention.POLICY, props, CONFIG)
    assert serialize_properties(result) == {**props, "retentionInDays": 7}


def test_the_wrapper_keeps_secrets_secret():
    secret = {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": "k-123"}
    props = {"retentionInDays": 3, "kmsKeyId": secret, "tags": {"Owner": secret}}
    result = serialize_properties(remediate(require_log_group_retention.POLICY, props, CONFIG))
    assert result["kmsKeyId"] == secret and result["tags"]["Owner"] == secret, result
    assert result["retentionInDays"] == 7


def test_a_replaced_secret_stays_secret():
    props = {"tags": {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG, "value": {"Environment": "dev"}}}
    config = {"tagValues": {"Owner": "o", "CostCenter": "c"}}
    result = serialize_properties(remediate(require_tags.POLICY, props, config, "aws:sns/topic:Topic"))
    assert result["tags"] == {SPECIAL_SIG_KEY: SPECIAL_SECRET_SIG,
                              "value": {"Environment": "dev", "Owner": "o", "CostCenter": "c"}}, result


def test_nothing_to_fix_returns_none_and_other_types_are_left_alone():
    assert remediate(require_log_group_retention.POLICY, {"retentionInDays": 14}, CONFIG) is None
    assert remediate(require_log_group_retention.POLICY, {"retentionInDays": 3}, CONFIG, "aws:s3/bucket:Bucket") is None


def test_an_unknown_value_is_never_decided_on():
    with pytest.raises(UnknownValueError):
        remediate(require_log_group_retention.POLICY, {"retentionInDays": UNKNOWN_NUMBER_VALUE}, CONFIG)


def test_an_unknown_value_the_fix_does_not_read_stays_unknown():
    props = {"retentionInDays": 3, "kmsKeyId": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}
    result = serialize_properties(remediate(require_log_group_retention.POLICY, props, CONFIG))
    assert result == {**props, "retentionInDays": 7}


def test_not_applicable_is_reported_as_the_sdk_expects():
    with pytest.raises(_NotApplicable, match="DELIVERY"):
        remediate(require_log_group_retention.POLICY, {"retentionInDays": 3, "logGroupClass": "DELIVERY"}, CONFIG)


def test_a_failing_remediation_leaves_the_resource_alone():
    def broken(props, config):
        raise KeyError("bug")

    policy = resource_rule(name="require-x", description="X is required of every log group.", severity=Severity.LOW,
                           remediation="Set x on the log group.", types=(LOG_GROUP,),
                           check=lambda props, config: ["x is missing"], tags=["logging"], remediate=broken)
    assert remediate(policy, {"retentionInDays": 3}) is None
