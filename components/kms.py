"""A customer-managed KMS key for the stack's logs and ECS Exec sessions."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from fargate_policies import facts

from components.tagging import tagged


@dataclass(frozen=True)
class EncryptionKeyArgs:
    """Inputs of :class:`EncryptionKey`."""

    description: str
    """What the key protects, shown in the KMS console."""
    protect: bool = True
    """Protect the key from deletion (it guards data that outlives any deploy)."""
    deletion_window_days: int = 30
    """Days KMS waits before deleting a key scheduled for deletion (7-30)."""
    fargate_ephemeral_storage: bool = False
    """Let Fargate encrypt the ephemeral storage of this account's tasks with the key."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


def _fargate_statements(account_id: str) -> list[dict[str, object]]:
    """What Fargate needs of the key to encrypt ephemeral storage, for clusters of this account only."""
    context = {"kms:EncryptionContext:aws:ecs:clusterAccount": [account_id]}
    return [
        {
            # Data keys without plaintext: Fargate never sees the key material.
            "Sid": "FargateEphemeralStorageDataKeys",
            "Effect": "Allow",
            "Principal": {"Service": facts.FARGATE_SERVICE_PRINCIPAL},
            "Action": list(facts.FARGATE_EPHEMERAL_KEY_ACTIONS),
            "Resource": "*",
            "Condition": {"StringEquals": context},
        },
        {
            # Grants that let a task's host decrypt its own storage, and nothing more.
            "Sid": "FargateEphemeralStorageGrants",
            "Effect": "Allow",
            "Principal": {"Service": facts.FARGATE_SERVICE_PRINCIPAL},
            "Action": "kms:CreateGrant",
            "Resource": "*",
            "Condition": {"StringEquals": context, "ForAllValues:StringEquals": {
                "kms:GrantOperations": list(facts.FARGATE_EPHEMERAL_GRANT_OPERATIONS)}},
        },
        {
            "Sid": "FargateEphemeralStorageDescribe",
            "Effect": "Allow",
            "Principal": {"Service": facts.FARGATE_SERVICE_PRINCIPAL},
            "Action": "kms:DescribeKey",
            "Resource": "*",
        },
    ]


class EncryptionKey(pulumi.ComponentResource):
    """A rotating symmetric KMS key that CloudWatch Logs (and, when asked, Fargate's ephemeral storage) may use.

    Children:
    - ``{name}-key``: the ``aws.kms.Key``, with yearly rotation and a key policy.
    - ``{name}-alias``: an ``alias/{name}`` alias so operators can find it.
    """

    key_arn: pulumi.Output[str]
    """ARN of the key."""
    key_id: pulumi.Output[str]
    """Id of the key."""
    alias_name: pulumi.Output[str]
    """Name of the key's alias."""

    def __init__(self, name: str, args: EncryptionKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fargate-platform:index:EncryptionKey", name, None, opts)
        identity = aws.get_caller_identity()
        region = aws.get_region().region
        partition = aws.get_partition().partition
        account_root = f"arn:{partition}:iam::{identity.account_id}:root"
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    # Key policies must grant the account itself, or the key becomes unmanageable.
                    "Sid": "AccountAdministers",
                    "Effect": "Allow",
                    "Principal": {"AWS": account_root},
                    "Action": "kms:*",
                    "Resource": "*",
                },
                {
                    # CloudWatch Logs encrypts log groups of this account and region only.
                    "Sid": "CloudWatchLogsUse",
                    "Effect": "Allow",
                    "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                    "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                               "kms:Describe*"],
                    "Resource": "*",
                    "Condition": {"ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn":
                            f"arn:{partition}:logs:{region}:{identity.account_id}:log-group:*"}},
                },
            ],
        }
        if args.fargate_ephemeral_storage:
            policy["Statement"].extend(_fargate_statements(identity.account_id))
        # The key itself: symmetric, rotating yearly, so logs stay readable and keys do not age.
        key = aws.kms.Key(
            f"{name}-key",
            description=args.description,
            enable_key_rotation=True,
            deletion_window_in_days=args.deletion_window_days,
            policy=json.dumps(policy),
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # A stable, human-readable handle on the key.
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=f"alias/{name}",
            target_key_id=key.key_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.key_arn = key.arn
        self.key_id = key.key_id
        self.alias_name = alias.name
        self.register_outputs({"key_arn": self.key_arn, "key_id": self.key_id, "alias_name": self.alias_name})
