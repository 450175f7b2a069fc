"""Unit tests of components/cluster.py and components/kms.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.cluster import Cluster, ClusterArgs
from components.kms import EncryptionKey, EncryptionKeyArgs
from tests.harness import Built, assert_children_parented_and_named, build_component

KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
CLUSTER_OUTPUTS = ("cluster_name", "cluster_arn", "exec_log_group_name", "exec_log_group_arn")


def build(mocks: Any, **overrides: Any) -> Built:
    args = ClusterArgs(**overrides)
    return build_component(mocks, "fargate-platform:index:Cluster", lambda opts: Cluster("ecs", args, opts=opts),
                           CLUSTER_OUTPUTS)


def test_children_are_parented_and_named(pulumi_mocks):
    assert_children_parented_and_named(build(pulumi_mocks), "ecs")


def test_container_insights_on_by_default(pulumi_mocks):
    cluster = build(pulumi_mocks).one("aws:ecs/cluster:Cluster", "ecs-cluster")
    assert {"name": "containerInsights", "value": "enabled"} in cluster.inputs["settings"], cluster.urn


def test_exec_sessions_are_logged_and_encrypted_with_the_key(pulumi_mocks):
    built = build(pulumi_mocks, kms_key_arn=KMS, log_retention_days=365, protect=True)
    cluster = built.one("aws:ecs/cluster:Cluster", "ecs-cluster")
    exec_config = cluster.inputs["configuration"]["executeCommandConfiguration"]
    assert exec_config["logging"] == "OVERRIDE", cluster.urn
    assert exec_config["kmsKeyId"] == KMS, cluster.urn
    log_config = exec_config["logConfiguration"]
    assert log_config["cloudWatchEncryptionEnabled"] is True, cluster.urn
    group = built.one("aws:cloudwatch/logGroup:LogGroup", "ecs-exec-logs")
    assert log_config["cloudWatchLogGroupName"] == group.outputs["name"], cluster.urn
    assert group.inputs["retentionInDays"] == 365 and group.inputs["kmsKeyId"] == KMS, group.urn
    assert group.opts.protect is True, group.urn


def test_exec_logs_unencrypted_without_a_key(pulumi_mocks):
    cluster = build(pulumi_mocks).one("aws:ecs/cluster:Cluster", "ecs-cluster")
    exec_config = cluster.inputs["configuration"]["executeCommandConfiguration"]
    assert "kmsKeyId" not in exec_config, cluster.urn
    assert exec_config["logConfiguration"]["cloudWatchEncryptionEnabled"] is False, cluster.urn


@pytest.mark.parametrize(("base", "weight", "spot"), [(0, 1, 3), (2, 1, 0)])
def test_capacity_providers_and_default_strategy(pulumi_mocks, base, weight, spot):
    built = build(pulumi_mocks, fargate_base=base, fargate_weight=weight, fargate_spot_weight=spot)
    capacity = built.one("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", "ecs-capacity")
    assert capacity.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT"], capacity.urn
    strategy = {s["capacityProvider"]: s for s in capacity.inputs["defaultCapacityProviderStrategies"]}
    assert strategy["FARGATE"]["weight"] == weight and strategy["FARGATE"]["base"] == base, capacity.urn
    if spot:
        assert strategy["FARGATE_SPOT"]["weight"] == spot, capacity.urn
    else:
        assert "FARGATE_SPOT" not in strategy, capacity.urn


def test_kms_key_rotates_and_lets_cloudwatch_logs_use_it(pulumi_mocks):
    built = build_component(pulumi_mocks, "fargate-platform:index:EncryptionKey",
                            lambda opts: EncryptionKey("keys", EncryptionKeyArgs(description="logs", protect=True),
                                                       opts=opts),
                            ("key_arn", "key_id", "alias_name"))
    assert_children_parented_and_named(built, "keys")
    key = built.one("aws:kms/key:Key", "keys-key")
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.opts.protect is True, key.urn
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    logs = statements["CloudWatchLogsUse"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}, key.urn
    assert "ArnLike" in logs["Condition"], f"{key.urn}: logs may use the key for any account"
    assert built.one("aws:kms/alias:Alias", "keys-alias").inputs["name"] == "alias/keys"
