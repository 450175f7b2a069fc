"""Unit tests of components/alarm_topic.py: AlarmTopic under PlatformMocks."""

from __future__ import annotations

import json
from typing import Any

from components.alarm_topic import TYPE_TOKEN, AlarmTopic, AlarmTopicArgs
from tests.harness import Built, assert_children_parented_and_named, build_component

TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0d6f7c2e-2b1e-4a5c-9b7d-3f1c2a4e5d6f"


def build_topic(mocks: Any, **extra: Any) -> Built:
    args = AlarmTopicArgs(**extra)
    return build_component(mocks, TYPE_TOKEN, lambda opts: AlarmTopic("fp-test-alarms", args, opts=opts),
                           ("topic_arn", "kms_key_arn"))


def topic_policy(b: Built) -> tuple[str, dict[str, Any]]:
    policy = b.one(TOPIC_POLICY, "fp-test-alarms-topic-policy")
    return policy.urn, json.loads(policy.inputs["policy"])


def test_topic_is_encrypted_with_the_given_key(pulumi_mocks: Any) -> None:
    b = build_topic(pulumi_mocks, kms_key_arn=KEY_ARN)
    topic = b.one(TOPIC, "fp-test-alarms-topic")
    assert topic.inputs.get("kmsMasterKeyId") == KEY_ARN, f"{topic.urn}: kmsMasterKeyId"
    assert b.of_type(KMS_KEY) == [], f"{TYPE_TOKEN}::fp-test-alarms created a key although one was given"
    assert b.outputs["topic_arn"] == topic.outputs["arn"], f"{topic.urn}: topic_arn output"
    assert b.outputs["kms_key_arn"] == topic.inputs["kmsMasterKeyId"], f"{topic.urn}: kms_key_arn is not its key"
    assert_children_parented_and_named(b, "fp-test-alarms")


def test_without_a_key_the_topic_gets_one_cloudwatch_may_use(pulumi_mocks: Any) -> None:
    b = build_topic(pulumi_mocks)
    key = b.one(KMS_KEY, "fp-test-alarms-key")
    topic = b.one(TOPIC, "fp-test-alarms-topic")
    assert topic.inputs.get("kmsMasterKeyId") == key.outputs["arn"], f"{topic.urn}: kmsMasterKeyId"
    assert topic.inputs.get("kmsMasterKeyId") != "alias/aws/sns", f"{topic.urn}: AWS-managed key blocks alarms"
    assert key.inputs.get("enableKeyRotation") is True, f"{key.urn}: rotation"
    statements = json.loads(key.inputs["policy"])["Statement"]
    cloudwatch = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}, \
        f"{key.urn}: key policy {statements}"
    assert b.names(KMS_ALIAS) == ["fp-test-alarms-key-alias"], f"{TYPE_TOKEN}::fp-test-alarms"
    assert b.outputs["kms_key_arn"] == key.outputs["arn"] == topic.inputs["kmsMasterKeyId"], \
        f"{key.urn}: kms_key_arn is not the created key the topic uses"


def test_topic_policy_denies_plaintext_and_admits_cloudwatch_alarms(pulumi_mocks: Any) -> None:
    b = build_topic(pulumi_mocks, kms_key_arn=KEY_ARN)
    topic_arn = b.one(TOPIC, "fp-test-alarms-topic").outputs["arn"]
    urn, document = topic_policy(b)
    assert b.one(TOPIC_POLICY, "fp-test-alarms-topic-policy").inputs["arn"] == topic_arn, f"{urn}: arn"
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    deny = by_sid["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Principal"], deny["Action"], deny["Resource"]) == \
        ("Deny", "*", "sns:Publish", topic_arn), f"{urn}: {deny}"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, f"{urn}: {deny}"
    allow = by_sid["AllowCloudWatchAlarms"]
    assert (allow["Effect"], allow["Principal"], allow["Action"], allow["Resource"]) == \
        ("Allow", {"Service": "cloudwatch.amazonaws.com"}, "sns:Publish", topic_arn), f"{urn}: {allow}"
    assert allow["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"}}, \
        f"{urn}: {allow}"


def test_subscriptions_follow_config(pulumi_mocks: Any) -> None:
    emails = ("oncall@example.com", "team@example.com")
    hooks = ("https://events.pagerduty.com/integration/abc/enqueue",)
    b = build_topic(pulumi_mocks, kms_key_arn=KEY_ARN, email_endpoints=emails, https_endpoints=hooks)
    topic_arn = b.one(TOPIC, "fp-test-alarms-topic").outputs["arn"]
    subs = b.of_type(SUBSCRIPTION)
    assert sorted(s.name for s in subs) == ["fp-test-alarms-email-0", "fp-test-alarms-email-1",
                                            "fp-test-alarms-https-0"], f"{TYPE_TOKEN}::fp-test-alarms"
    for sub in subs:
        assert sub.inputs["topic"] == topic_arn, f"{sub.urn}: topic"
    got = {(s.inputs["protocol"], s.inputs["endpoint"]) for s in subs}
    assert got == {("email", emails[0]), ("email", emails[1]), ("https", hooks[0])}, f"{got}"
    https = b.one(SUBSCRIPTION, "fp-test-alarms-https-0")
    assert https.inputs.get("endpointAutoConfirms") is True, f"{https.urn}: endpointAutoConfirms"


def test_no_endpoints_no_subscriptions(pulumi_mocks: Any) -> None:
    b = build_topic(pulumi_mocks, kms_key_arn=KEY_ARN)
    assert b.of_type(SUBSCRIPTION) == [], f"{TYPE_TOKEN}::fp-test-alarms subscriptions"


def test_created_key_is_protected_unless_the_caller_says_otherwise(pulumi_mocks: Any) -> None:
    key = build_topic(pulumi_mocks).one(KMS_KEY, "fp-test-alarms-key")
    assert key.opts is not None and key.opts.protect is True, f"{key.urn}: not protected by default"
    key = build_topic(pulumi_mocks, protect=False).one(KMS_KEY, "fp-test-alarms-key")
    assert key.opts is not None and not key.opts.protect, f"{key.urn}: protected although protect=False"
