"""The real pack in ``policies/``, started and driven through the Analyzer protocol as the Pulumi CLI does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from stacks.offline.analyzer import PolicyPackProcess
from stacks.offline.policy_config import load_policy_config
from stacks.offline.runner import RecordedResource

ROOT = Path(__file__).resolve().parents[2]
PACK = ROOT / "policies"
PROD_CONFIG = PACK / "config" / "prod.json"
PREFIX = "urn:pulumi:prod::fargate-platform::"
STACK = PREFIX + "pulumi:pulumi:Stack::fargate-platform-prod"
TAGS = {"Environment": "prod", "Owner": "platform", "CostCenter": "cc-100"}


def resource(type_token: str, name: str, inputs: dict, **extra) -> RecordedResource:
    return RecordedResource(urn=f"{PREFIX}{type_token}::{name}", type=type_token, name=name, parent=STACK,
                            inputs=inputs, version="7.51.1", **extra)


ROOT_STACK = RecordedResource(urn=STACK, type="pulumi:pulumi:Stack", name="fargate-platform-prod", parent=None,
                              inputs={}, custom=False)
KEPT = resource("aws:cloudwatch/logGroup:LogGroup", "kept",
                {"name": "/ecs/kept", "retentionInDays": 365.0, "tags": TAGS,
                 "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"})
FOREVER = resource("aws:cloudwatch/logGroup:LogGroup", "forever", {"name": "/ecs/forever", "tags": TAGS})
WATCHED_VPC = resource("aws:ec2/vpc:Vpc", "watched", {"cidrBlock": "10.0.0.0/16", "tags": TAGS},
                       id="vpc-0123456789abcdef0")
BLIND_VPC = resource("aws:ec2/vpc:Vpc", "blind", {"cidrBlock": "10.1.0.0/16", "tags": TAGS},
                     id="vpc-0fedcba9876543210")
FLOW_LOG = resource("aws:ec2/flowLog:FlowLog", "watched-flow-log",
                    {"vpcId": WATCHED_VPC.id, "trafficType": "ALL", "logDestinationType": "cloud-watch-logs",
                     "logDestination": "arn:aws:logs:us-east-1:123456789012:log-group:/vpc/watched", "tags": TAGS},
                    dependencies=(WATCHED_VPC.urn,), property_dependencies={"vpcId": (WATCHED_VPC.urn,)})


@pytest.fixture(scope="module")
def pack():
    """The real pack, started once for this module."""
    with PolicyPackProcess(PACK, "fargate-platform", "prod", config={"aws:region": "us-east-1"}) as process:
        yield process


@pytest.fixture(scope="module")
def config():
    return load_policy_config(PROD_CONFIG) if PROD_CONFIG.exists() else {}


@pytest.fixture(scope="module")
def info(pack):
    return pack.info()


def test_info_lists_policies_with_names_and_remediation(info):
    assert info.name == "fargate-platform"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", info.version), info.version
    assert info.policies, "the pack defines policies"
    for policy in info.policies:
        assert re.fullmatch(r"(disallow|require|enforce|configure)-[a-z0-9-]+", policy.name), policy.name
        assert policy.description.strip(), f"{policy.name}: description"
        assert policy.remediation.strip(), f"{policy.name}: remediation steps"
        assert policy.enforcement_level in ("advisory", "mandatory", "remediate", "disabled"), policy.name
        assert policy.policy_type in ("resource", "stack"), policy.name


def test_log_group_retention_is_enforced_at_the_configured_level(pack, info, config):
    if info.policy("require-log-group-retention") is None:
        pytest.skip("require-log-group-retention is not in the pack yet")
    report = pack.analyze([ROOT_STACK, KEPT, FOREVER], config, config_source=str(PROD_CONFIG))
    level = report.config["require-log-group-retention"][0]
    retention = {v.urn: v for v in report.violations if v.policy == "require-log-group-retention"}
    assert FOREVER.urn in retention, f"{FOREVER.urn}: no retention violation in {report.violations}"
    assert retention[FOREVER.urn].level == ("mandatory" if level == "remediate" else level), FOREVER.urn
    assert "retentionInDays" in retention[FOREVER.urn].message, FOREVER.urn
    assert retention[FOREVER.urn].remediation == info.policy("require-log-group-retention").remediation
    assert KEPT.urn not in retention, f"{KEPT.urn}: {retention.get(KEPT.urn)}"
    if config.get("require-log-group-retention"):
        configured = config["require-log-group-retention"][0]
        assert configured is None or level == configured, "the config file's level is the one sent"
    assert report.analyzed == 2


def test_configure_sends_the_prod_config(pack, info, config):
    if not config:
        pytest.skip(f"{PROD_CONFIG} does not exist yet")
    report = pack.analyze([ROOT_STACK], config, config_source=str(PROD_CONFIG))
    for name, (level, props) in config.items():
        if name == "all" or info.policy(name) is None:
            continue
        sent_level, sent_props = report.config[name]
        if level is not None:
            assert sent_level == level, name
        for key, value in props.items():
            assert sent_props[key] == value, f"{name}.{key}"


def test_analyze_stack_sees_dependencies(pack, info, config):
    if info.policy("require-vpc-flow-logs") is None:
        pytest.skip("require-vpc-flow-logs is not in the pack yet")
    report = pack.analyze([ROOT_STACK, WATCHED_VPC, BLIND_VPC, FLOW_LOG], config)
    flagged = {v.urn: v for v in report.violations if v.policy == "require-vpc-flow-logs"}
    assert BLIND_VPC.urn in flagged, f"{BLIND_VPC.urn}: {report.violations}"
    assert WATCHED_VPC.urn not in flagged, f"{WATCHED_VPC.urn}: the flow log's property dependency links it"
    level = report.config["require-vpc-flow-logs"][0]
    assert flagged[BLIND_VPC.urn].level == ("mandatory" if level == "remediate" else level), BLIND_VPC.urn
