"""The SNS topic every alarm of the stack notifies: encrypted, TLS-only, writable by CloudWatch alarms only."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.tagging import tagged

TYPE_TOKEN = "fargate-platform:index:AlarmTopic"


@dataclass(frozen=True, kw_only=True)
class AlarmTopicArgs:
    """Inputs of :class:`AlarmTopic`."""

    kms_key_arn: pulumi.Input[str] | None = None
    """KMS key of the topic; its policy must let cloudwatch.amazonaws.com GenerateDataKey*/Decrypt. None: a new key."""
    email_endpoints: Sequence[str] = ()
    """Email addresses subscribed to the topic (each confirms by email)."""
    https_endpoints: Sequence[str] = ()
    """HTTPS endpoints (e.g. a paging service's webhook) subscribed to the topic."""
    https_auto_confirms: bool = True
    """The HTTPS endpoints confirm their subscription themselves, as paging services do."""
    protect: bool = True
    """Protect the topic's own key (when one is created) from deletion."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


class AlarmTopic(pulumi.ComponentResource):
    """The SNS topic every alarm notifies, encrypted, TLS-only and writable by CloudWatch alarms only.

    Children:
    - ``{name}-key`` and ``{name}-key-alias``: a rotating KMS key CloudWatch alarms may use (only when no
      ``kms_key_arn`` is given; the AWS-managed ``alias/aws/sns`` key cannot be used, because its policy
      does not let CloudWatch alarms encrypt, so every notification would fail).
    - ``{name}-topic``: the KMS-encrypted topic.
    - ``{name}-topic-policy``: denies publishing without TLS, lets this account's alarms publish.
    - ``{name}-email-<n>`` and ``{name}-https-<n>``: one subscription per configured endpoint.
    """

    topic_arn: pulumi.Output[str]
    """ARN of the topic; pass it to the alarms' actions."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the KMS key that encrypts the topic (given or created)."""

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity().account_id
        region = aws.get_region().region
        partition = aws.get_partition().partition

        key_arn: pulumi.Input[str]
        if args.kms_key_arn is not None:
            key_arn = args.kms_key_arn
        else:
            # Alarms can only notify an encrypted topic whose key lets CloudWatch encrypt; AWS-managed keys do not.
            key = aws.kms.Key(
                f"{name}-key",
                description=f"{name} alarm notifications",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=json.dumps({
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "CloudWatchAlarmsEncrypt",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                        },
                    ],
                }),
                tags=tagged(args.tags),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            # A findable handle on the key for operators.
            aws.kms.Alias(f"{name}-key-alias", name=f"alias/{name}", target_key_id=key.key_id, opts=child)
            key_arn = key.arn

        # The topic itself: encrypted at rest, SHA256-signed deliveries for HTTPS subscribers.
        topic = aws.sns.Topic(
            f"{name}-topic",
            kms_master_key_id=key_arn,
            signature_version=2,
            tags=tagged(args.tags),
            opts=child,
        )
        # Only TLS publishing, and only CloudWatch alarms of this account and region may publish.
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sns:Publish",
                        "Resource": topic.arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "AllowCloudWatchAlarms",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": topic.arn,
                        "Condition": {"ArnLike": {
                            "aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"}},
                    },
                ],
            }),
            opts=child,
        )
        for index, address in enumerate(args.email_endpoints):
            # People on call read alarms by email; the address owner confirms the subscription.
            aws.sns.TopicSubscription(f"{name}-email-{index}", topic=topic.arn, protocol="email",
                                      endpoint=address, opts=child)
        for index, url in enumerate(args.https_endpoints):
            # Paging services take alarms over HTTPS and confirm the subscription themselves.
            aws.sns.TopicSubscription(f"{name}-https-{index}", topic=topic.arn, protocol="https", endpoint=url,
                                      endpoint_auto_confirms=args.https_auto_confirms, opts=child)

        self.topic_arn = topic.arn
        self.kms_key_arn = pulumi.Output.from_input(key_arn)
        self.register_outputs({"topic_arn": self.topic_arn, "kms_key_arn": self.kms_key_arn})
