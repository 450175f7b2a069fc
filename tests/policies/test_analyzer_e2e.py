"""The real pack in ``policies/``, started and driven through the Analyzer protocol as the Pulumi CLI does.

Every policy these tests name must be in the pack: a renamed or removed rule fails them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stacks.offline.analyzer import PolicyPackProcess
from stacks.offline.policy_config import load_policy_config
from stacks.offline.runner import UNKNOWN, RecordedResource

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
    return load_policy_config(PROD_CONFIG)


@pytest.fixture(scope="module")
def info(pack):
    return pack.info()


def policy(info, name: str):
    """The pack's policy ``name``; a test that names a policy the pack lacks fails here."""
    found = info.policy(name)
    assert found is not None, f"{name} is not in the pack (renamed or removed?): {[p.name for p in info.policies]}"
    return found


CANT_RUN = "can't run policy"


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
    retention_policy = policy(info, "require-log-group-retention")
    report = pack.analyze([ROOT_STACK, KEPT, FOREVER], config, config_source=str(PROD_CONFIG))
    level = report.config["require-log-group-retention"][0]
    retention = {v.urn: v for v in report.violations if v.policy == "require-log-group-retention"}
    assert FOREVER.urn in retention, f"{FOREVER.urn}: no retention violation in {report.violations}"
    assert retention[FOREVER.urn].level == ("mandatory" if level == "remediate" else level), FOREVER.urn
    assert "retentionInDays" in retention[FOREVER.urn].message, FOREVER.urn
    assert retention[FOREVER.urn].remediation == retention_policy.remediation
    assert KEPT.urn not in retention, f"{KEPT.urn}: {retention.get(KEPT.urn)}"
    configured = config["require-log-group-retention"][0]
    assert configured is None or level == configured, "the config file's level is the one sent"
    assert report.analyzed == 2


def test_configure_sends_the_prod_config(pack, info, config):
    assert config, f"{PROD_CONFIG} configures no policy"
    report = pack.analyze([ROOT_STACK], config, config_source=str(PROD_CONFIG))
    for name, (level, props) in config.items():
        if name == "all":
            continue
        policy(info, name)
        sent_level, sent_props = report.config[name]
        if level is not None:
            assert sent_level == level, name
        for key, value in props.items():
            assert sent_props[key] == value, f"{name}.{key}"


def test_analyze_stack_sees_dependencies(pack, info, config):
    policy(info, "require-vpc-flow-logs")
    report = pack.analyze([ROOT_STACK, WATCHED_VPC, BLIND_VPC, FLOW_LOG], config)
    flagged = {v.urn: v for v in report.violations if v.policy == "require-vpc-flow-logs"}
    assert BLIND_VPC.urn in flagged, f"{BLIND_VPC.urn}: {report.violations}"
    assert WATCHED_VPC.urn not in flagged, f"{WATCHED_VPC.urn}: the flow log's property dependency links it"
    level = report.config["require-vpc-flow-logs"][0]
    assert flagged[BLIND_VPC.urn].level == ("mandatory" if level == "remediate" else level), BLIND_VPC.urn


# ---------------------------------------------------------------------------
# Unknown values at preview: reported, never silent.
# ---------------------------------------------------------------------------
CONTAINER_RULES = ("disallow-plaintext-secrets", "disallow-privileged-containers",
                   "require-container-log-configuration", "require-immutable-image-references",
                   "require-non-root-user", "require-pinned-images", "require-read-only-root-filesystem")
ROLE = "arn:aws:iam::123456789012:role/"


def task_definition(name: str, containers: object) -> RecordedResource:
    return resource("aws:ecs/taskDefinition:TaskDefinition", name, {
        "family": name, "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256",
        "memory": "512", "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"},
        "executionRoleArn": f"{ROLE}{name}-execution", "taskRoleArn": f"{ROLE}{name}-task", "tags": TAGS,
        "containerDefinitions": containers,
    })


def test_a_task_definition_with_unknown_containers_is_one_finding(pack, info, config):
    for name in (*CONTAINER_RULES, "require-verifiable-container-definitions"):
        policy(info, name)
    unknown = task_definition("later", UNKNOWN)
    known = task_definition("now", json.dumps([{
        "name": "app", "image": "nginx:latest", "privileged": True, "user": "1000", "readonlyRootFilesystem": True,
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/now"}},
    }]))
    report = pack.analyze([ROOT_STACK, unknown, known], config)
    on_unknown = [(v.policy, v.message) for v in report.violations if v.urn == unknown.urn]
    assert [p for p, _ in on_unknown] == ["require-verifiable-container-definitions"], on_unknown
    assert "verified at pulumi up" in on_unknown[0][1], on_unknown
    cant_run = [v for v in report.violations if v.message.startswith(CANT_RUN) and v.policy in CONTAINER_RULES]
    assert cant_run == [], cant_run
    skipped = {n.policy for n in report.not_applicable if n.urn == unknown.urn}
    assert skipped >= set(CONTAINER_RULES) - {"require-immutable-image-references"}, skipped
    on_known = {v.policy for v in report.violations if v.urn == known.urn}
    assert on_known >= {"disallow-privileged-containers", "require-pinned-images"}, on_known
    assert "require-verifiable-container-definitions" not in on_known


def test_service_alarms_with_unknowns_report_what_they_can_then_say_they_cannot_run(pack, info, config):
    """An alarm whose metric is unknown may be the one service 'api' lacks: that is said at preview, and
    service 'web', which no alarm watches, is still reported."""
    policy(info, "require-service-alarms")
    services = [resource("aws:ecs/service:Service", name, {"name": name, "desiredCount": 2.0, "tags": TAGS})
                for name in ("api", "web")]
    alarm = resource("aws:cloudwatch/metricAlarm:MetricAlarm", "api-unknown", {
        "namespace": "AWS/ECS", "metricName": UNKNOWN, "dimensions": {"ServiceName": "api"}, "tags": TAGS,
        "comparisonOperator": "GreaterThanThreshold", "threshold": 80.0, "evaluationPeriods": 3.0})
    report = pack.analyze([ROOT_STACK, *services, alarm], config)
    found = [v for v in report.violations if v.policy == "require-service-alarms"]
    assert [v.urn for v in found if not v.message.startswith(CANT_RUN)] == [services[1].urn], found
    assert [v.message for v in found if v.message.startswith(CANT_RUN)], f"no 'can't run' in {found}"
