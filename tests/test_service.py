"""Unit tests of components/service.py: one FargateService built under PlatformMocks.

Each test builds the component once from its own arguments and checks the production
properties on the children's resolved inputs (as the engine sees them, camelCase) and options.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.service import (
    EXEC_CHANNEL_ACTIONS,
    TYPE_TOKEN,
    FargateService,
    FargateServiceArgs,
    ListenerRoute,
    TaskRoleStatement,
    build_context_hash,
    ecr_repository_arn,
    secret_resource_arn,
)
from stacks.offline.mocks import ACCOUNT_ID, DEFAULT_REGION
from tests.harness import Built, Child, build_component

ROOT = Path(__file__).resolve().parents[1]
CLUSTER_ARN = f"arn:aws:ecs:{DEFAULT_REGION}:{ACCOUNT_ID}:cluster/platform"
VPC_ID = "vpc-0123456789abcdef0"
SUBNETS = ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"]
ALB_SG = "sg-0a1b2c3d4e5f60718"
LISTENER_ARN = (f"arn:aws:elasticloadbalancing:{DEFAULT_REGION}:{ACCOUNT_ID}:"
                "listener/app/alb/50dc6c495c0c9188/f2f7dc8efc522ab2")
KMS_ARN = f"arn:aws:kms:{DEFAULT_REGION}:{ACCOUNT_ID}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SSM_ARN = f"arn:aws:ssm:{DEFAULT_REGION}:{ACCOUNT_ID}:parameter/api/db-password"
SECRET_ARN = f"arn:aws:secretsmanager:{DEFAULT_REGION}:{ACCOUNT_ID}:secret:api/token-AbCdEf"
PINNED_ECR = f"{ACCOUNT_ID}.dkr.ecr.{DEFAULT_REGION}.amazonaws.com/team/worker@sha256:" + "a" * 64

SERVICE = "aws:ecs/service:Service"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
REPO = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
IMAGE = "awsx:ecr:Image"
TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
RULE = "aws:lb/listenerRule:ListenerRule"


OUTPUT_NAMES = ("service_name", "service_arn", "cluster_arn", "task_definition_arn", "log_group_name",
                "target_group_arn", "target_group_arn_suffix", "security_group_id", "execution_role_arn",
                "task_role_arn", "image_uri", "repository_url")


ROUTE = ListenerRoute(listener_arn=LISTENER_ARN, load_balancer_security_group_id=ALB_SG, priority=120,
                      path_patterns=("/api/*",), host_headers=("api.example.com",), health_check_path="/health",
                      health_check_grace_period=45)


def build(mocks: Any, args: FargateServiceArgs, name: str = "api") -> Built:
    return build_component(mocks, TYPE_TOKEN, lambda opts: FargateService(name, args, opts=opts), OUTPUT_NAMES)


def service_args(**extra: Any) -> FargateServiceArgs:
    """The arguments of a built, load-balanced service; ``extra`` replaces fields."""
    base: dict[str, Any] = dict(
        container_name="api", cluster_arn=CLUSTER_ARN, vpc_id=VPC_ID, private_subnet_ids=SUBNETS,
        log_retention_days=30, kms_key_arn=KMS_ARN, protect=True, build_context=ROOT / "app",
        cpu=512, memory=1024, container_port=8080,
        environment={"LOG_LEVEL": "info", "APP_MODE": "web"},
        secrets={"DB_PASSWORD": SSM_ARN, "API_TOKEN": SECRET_ARN + ":token::"},
        route=ROUTE, desired_count=2, min_healthy_percent=100, max_percent=200)
    base.update(extra)
    return FargateServiceArgs(**base)


def internal_args(**extra: Any) -> FargateServiceArgs:
    """An internal service (no route) listening on 9000."""
    return service_args(**{"container_name": "ledger", "route": None, "container_port": 9000, **extra})


def policy(child: Child) -> dict[str, Any]:
    return json.loads(child.inputs["policy"])


def statements_by_sid(child: Child) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in policy(child)["Statement"]}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture
def built(pulumi_mocks: Any) -> Built:
    return build(pulumi_mocks, service_args())


# ---------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------
EXPECTED_BUILT = {
    "api-repository": REPO, "api-repository-lifecycle": LIFECYCLE, "api-image": IMAGE, "api-logs": LOG_GROUP,
    "api-execution-role": ROLE, "api-execution-policy": ROLE_POLICY, "api-task-role": ROLE, "api-task": TASK_DEF,
    "api-sg": SG, "api-sg-ingress-alb": INGRESS, "api-sg-egress-https": EGRESS, "api-alb-egress": EGRESS,
    "api-tg": TARGET_GROUP, "api-rule": RULE, "api-service": SERVICE,
}


def test_children_are_named_by_role_and_parented(built: Built) -> None:
    got = {name: child.type for name, child in built.children.items()}
    assert got == EXPECTED_BUILT, f"children of {TYPE_TOKEN}::api: {got}"
    for child in built.children.values():
        assert child.opts is not None and child.opts.parent is built.component, f"{child.urn}: parent is not api"
        assert child.name.startswith("api-"), f"{child.urn}: not named api-<role>"


def test_outputs_registered(built: Built) -> None:
    out = built.outputs
    service = built.one(SERVICE, "api-service")
    assert out["cluster_arn"] == service.outputs["cluster"], f"{service.urn}: cluster_arn is not the service's"
    assert out["service_name"] == service.outputs["name"], f"{service.urn}: service_name"
    assert out["task_definition_arn"] == built.one(TASK_DEF, "api-task").outputs["arn"], f"{TYPE_TOKEN}::api"
    assert out["service_arn"].startswith(f"arn:aws:ecs:{DEFAULT_REGION}:{ACCOUNT_ID}:service/platform/"), \
        f"{TYPE_TOKEN}::api service_arn: {out['service_arn']}"
    assert out["target_group_arn_suffix"].startswith("targetgroup/"), f"{TYPE_TOKEN}::api: {out}"
    assert out["security_group_id"].startswith("sg-"), f"{TYPE_TOKEN}::api: {out}"
    assert out["repository_url"].startswith(f"{ACCOUNT_ID}.dkr.ecr."), f"{TYPE_TOKEN}::api: {out}"
    assert "@sha256:" in out["image_uri"], f"{TYPE_TOKEN}::api image_uri is not pinned: {out['image_uri']}"
    for key in OUTPUT_NAMES:
        assert out[key], f"{TYPE_TOKEN}::api output {key} is empty"


# ---------------------------------------------------------------------------
# ECS service
# ---------------------------------------------------------------------------
def test_service_network_and_deployment(built: Built) -> None:
    svc = built.one(SERVICE, "api-service")
    net = svc.inputs["networkConfiguration"]
    assert net["assignPublicIp"] is False, f"{svc.urn}: public IP assigned"
    assert net["subnets"] == SUBNETS, f"{svc.urn}: not in the private subnets: {net}"
    assert net["securityGroups"] == [built.outputs["security_group_id"]], f"{svc.urn}: {net}"
    assert svc.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}, f"{svc.urn}"
    assert svc.inputs["cluster"] == CLUSTER_ARN, f"{svc.urn}"
    assert svc.inputs["taskDefinition"] == built.outputs["task_definition_arn"], f"{svc.urn}"
    assert svc.inputs["desiredCount"] == 2, f"{svc.urn}"
    assert svc.inputs["deploymentMinimumHealthyPercent"] == 100, f"{svc.urn}"
    assert svc.inputs["deploymentMaximumPercent"] == 200, f"{svc.urn}"
    assert svc.inputs["healthCheckGracePeriodSeconds"] == 45, f"{svc.urn}"
    assert svc.inputs["platformVersion"] == "LATEST", f"{svc.urn}"
    assert svc.inputs["propagateTags"] == "SERVICE", f"{svc.urn}"
    assert svc.inputs["enableEcsManagedTags"] is True, f"{svc.urn}"
    assert svc.inputs["waitForSteadyState"] is False, f"{svc.urn}"
    assert svc.inputs["enableExecuteCommand"] is False, f"{svc.urn}: exec on although not enabled"
    assert "launchType" not in svc.inputs, f"{svc.urn}: launch type overrides the cluster's capacity strategy"
    assert "capacityProviderStrategies" not in svc.inputs, f"{svc.urn}: strategy set without an override"
    assert svc.inputs["loadBalancers"] == [{"targetGroupArn": built.outputs["target_group_arn"],
                                            "containerName": "api", "containerPort": 8080}], f"{svc.urn}"


def test_service_options(built: Built) -> None:
    svc = built.one(SERVICE, "api-service")
    assert svc.opts is not None and svc.opts.ignore_changes == ["desiredCount"], \
        f"{svc.urn}: desiredCount must belong to the autoscaler"
    rule = built.one(RULE, "api-rule").resource
    assert rule is not None and rule in (svc.opts.depends_on or []), f"{svc.urn}: does not depend on the rule"


# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------
def test_security_group_only_admits_the_alb(built: Built) -> None:
    sg = built.one(SG, "api-sg")
    assert not sg.inputs.get("ingress") and not sg.inputs.get("egress"), f"{sg.urn}: inline rules"
    assert sg.inputs["vpcId"] == VPC_ID, f"{sg.urn}"
    sg_id = built.outputs["security_group_id"]
    ingress = [c for c in built.of_type(INGRESS) if c.inputs["securityGroupId"] == sg_id]
    assert [c.name for c in ingress] == ["api-sg-ingress-alb"], f"{sg.urn}: ingress rules {ingress}"
    rule = ingress[0]
    assert rule.inputs["referencedSecurityGroupId"] == ALB_SG, f"{rule.urn}: source is not the ALB's group"
    assert (rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) == ("tcp", 8080, 8080), \
        f"{rule.urn}: {rule.inputs}"
    assert "cidrIpv4" not in rule.inputs and "cidrIpv6" not in rule.inputs, f"{rule.urn}: CIDR ingress"


def test_egress_rules(built: Built) -> None:
    sg_id = built.outputs["security_group_id"]
    egress = built.one(EGRESS, "api-sg-egress-https")
    assert egress.inputs["securityGroupId"] == sg_id, f"{egress.urn}"
    assert (egress.inputs["cidrIpv4"], egress.inputs["ipProtocol"], egress.inputs["fromPort"],
            egress.inputs["toPort"]) == ("0.0.0.0/0", "tcp", 443, 443), f"{egress.urn}: {egress.inputs}"
    own = [c.name for c in built.of_type(EGRESS) if c.inputs["securityGroupId"] == sg_id]
    assert own == ["api-sg-egress-https"], f"{TYPE_TOKEN}::api: egress of the service group: {own}"
    alb = built.one(EGRESS, "api-alb-egress")
    assert alb.inputs["securityGroupId"] == ALB_SG, f"{alb.urn}: not on the ALB's group"
    assert alb.inputs["referencedSecurityGroupId"] == sg_id, f"{alb.urn}: not to the service's group"
    assert (alb.inputs["fromPort"], alb.inputs["toPort"]) == (8080, 8080), f"{alb.urn}"


def test_target_group_and_listener_rule(built: Built) -> None:
    tg = built.one(TARGET_GROUP, "api-tg")
    assert tg.inputs["targetType"] == "ip", f"{tg.urn}"
    assert (tg.inputs["protocol"], tg.inputs["port"], tg.inputs["vpcId"]) == ("HTTP", 8080, VPC_ID), f"{tg.urn}"
    assert tg.inputs["deregistrationDelay"] == 30, f"{tg.urn}"
    hc = tg.inputs["healthCheck"]
    assert (hc["path"], hc["matcher"], hc["healthyThreshold"], hc["unhealthyThreshold"], hc["interval"]) == \
        ("/health", "200-399", 2, 3, 15), f"{tg.urn}: {hc}"
    rule = built.one(RULE, "api-rule")
    assert rule.inputs["listenerArn"] == LISTENER_ARN, f"{rule.urn}"
    assert rule.inputs["priority"] == 120, f"{rule.urn}"
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/api/*"]}},
                                         {"hostHeader": {"values": ["api.example.com"]}}], f"{rule.urn}"
    assert rule.inputs["actions"] == [{"type": "forward", "targetGroupArn": built.outputs["target_group_arn"]}], \
        f"{rule.urn}"


# ---------------------------------------------------------------------------
# IAM
# ---------------------------------------------------------------------------
def test_roles_trust_only_ecs_tasks_of_this_account(built: Built) -> None:
    for name in ("api-execution-role", "api-task-role"):
        role = built.one(ROLE, name)
        (stmt,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert stmt["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}, f"{role.urn}: {stmt}"
        assert stmt["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}, f"{role.urn}: {stmt}"
        assert "managedPolicyArns" not in role.inputs, f"{role.urn}: managed policies attached"


def test_execution_policy_is_least_privilege(built: Built) -> None:
    pol = built.one(ROLE_POLICY, "api-execution-policy")
    assert pol.inputs["role"] == built.one(ROLE, "api-execution-role").outputs["name"], f"{pol.urn}"
    for stmt in policy(pol)["Statement"]:
        assert stmt["Effect"] == "Allow", f"{pol.urn}: {stmt}"
        if "*" in as_list(stmt["Resource"]):
            assert stmt["Action"] == ["ecr:GetAuthorizationToken"], f"{pol.urn}: '*' on {stmt['Action']}"
        for action in stmt["Action"]:
            assert "*" not in action, f"{pol.urn}: wildcard action {action}"
    sids = statements_by_sid(pol)
    repo_arn = built.one(REPO, "api-repository").outputs["arn"]
    assert sids["EcrPull"]["Resource"] == [repo_arn], f"{pol.urn}: {sids['EcrPull']}"
    log_arn = built.one(LOG_GROUP, "api-logs").outputs["arn"]
    assert sids["Logs"] == {"Sid": "Logs", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Resource": [log_arn + ":*"]}, f"{pol.urn}: {sids['Logs']}"
    assert sids["SsmParameters"]["Resource"] == [SSM_ARN], f"{pol.urn}: {sids['SsmParameters']}"
    assert sids["SsmParameters"]["Action"] == ["ssm:GetParameters"], f"{pol.urn}"
    assert sids["SecretsManager"]["Resource"] == [SECRET_ARN], f"{pol.urn}: {sids['SecretsManager']}"
    assert sids["SecretsManager"]["Action"] == ["secretsmanager:GetSecretValue"], f"{pol.urn}"
    assert sids["KmsDecrypt"]["Resource"] == [KMS_ARN], f"{pol.urn}"
    secret_resources = {r for s in policy(pol)["Statement"] if s["Sid"] in ("SsmParameters", "SecretsManager")
                        for r in s["Resource"]}
    assert secret_resources == {SSM_ARN, SECRET_ARN}, f"{pol.urn}: secrets granted {secret_resources}"


def test_task_role_has_no_policy_without_statements_or_exec(built: Built) -> None:
    assert "api-task-policy" not in built.children, f"{TYPE_TOKEN}::api: task role granted something"


# ---------------------------------------------------------------------------
# Logs, task definition, container
# ---------------------------------------------------------------------------
def test_log_group(built: Built) -> None:
    logs = built.one(LOG_GROUP, "api-logs")
    assert logs.inputs["retentionInDays"] == 30, f"{logs.urn}"
    assert logs.inputs["kmsKeyId"] == KMS_ARN, f"{logs.urn}: not encrypted with the stack key"
    assert logs.opts is not None and logs.opts.protect is True, f"{logs.urn}: not protected"
    assert built.outputs["log_group_name"] == logs.outputs["name"], f"{logs.urn}"


def test_task_definition(built: Built) -> None:
    task = built.one(TASK_DEF, "api-task")
    i = task.inputs
    assert i["requiresCompatibilities"] == ["FARGATE"] and i["networkMode"] == "awsvpc", f"{task.urn}"
    assert (i["cpu"], i["memory"]) == ("512", "1024"), f"{task.urn}"
    assert i["runtimePlatform"] == {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"}, f"{task.urn}"
    assert "ephemeralStorage" not in i, f"{task.urn}"
    assert i["executionRoleArn"] == built.outputs["execution_role_arn"], f"{task.urn}"
    assert i["taskRoleArn"] == built.outputs["task_role_arn"], f"{task.urn}"
    assert i["volumes"] == [{"name": "tmp"}], f"{task.urn}: no writable /tmp volume"


def test_container_definition(built: Built) -> None:
    task = built.one(TASK_DEF, "api-task")
    (c,) = json.loads(task.inputs["containerDefinitions"])
    assert c["name"] == "api" and c["essential"] is True, f"{task.urn}"
    assert c["image"] == built.outputs["image_uri"], f"{task.urn}: image is not the pushed digest"
    assert c["portMappings"] == [{"name": "api", "containerPort": 8080, "protocol": "tcp", "appProtocol": "http"}], \
        f"{task.urn}: port mapping must be named for Service Connect"
    assert c["readonlyRootFilesystem"] is True, f"{task.urn}: writable root filesystem"
    assert c["user"] == "1000:1000" and c["privileged"] is False, f"{task.urn}: runs as root or privileged"
    assert c["linuxParameters"] == {"initProcessEnabled": True}, f"{task.urn}"
    assert c["mountPoints"] == [{"sourceVolume": "tmp", "containerPath": "/tmp", "readOnly": False}], f"{task.urn}"
    assert "healthCheck" not in c, f"{task.urn}: a container health check nobody configured"
    log_name = built.outputs["log_group_name"]
    assert c["logConfiguration"] == {"logDriver": "awslogs", "options": {
        "awslogs-group": log_name, "awslogs-region": DEFAULT_REGION, "awslogs-stream-prefix": "api"}}, f"{task.urn}"
    assert c["environment"] == [{"name": "APP_MODE", "value": "web"}, {"name": "LOG_LEVEL", "value": "info"}], \
        f"{task.urn}: environment not sorted or wrong"
    assert c["secrets"] == [{"name": "API_TOKEN", "valueFrom": SECRET_ARN + ":token::"},
                            {"name": "DB_PASSWORD", "valueFrom": SSM_ARN}], f"{task.urn}"
    env_names = {e["name"] for e in c["environment"]}
    assert not env_names & {"API_TOKEN", "DB_PASSWORD"}, f"{task.urn}: secret in environment"
    assert not any(e["value"].startswith("arn:") for e in c["environment"]), f"{task.urn}: secret ARN in environment"


# ---------------------------------------------------------------------------
# Image
# ---------------------------------------------------------------------------
def test_repository_and_lifecycle(built: Built) -> None:
    repo = built.one(REPO, "api-repository")
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}, f"{repo.urn}"
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE", f"{repo.urn}"
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "KMS", "kmsKey": KMS_ARN}], f"{repo.urn}"
    assert repo.inputs["forceDelete"] is False, f"{repo.urn}: a protected repository can be force-deleted"
    assert repo.opts is not None and repo.opts.protect is True, f"{repo.urn}: not protected"
    life = built.one(LIFECYCLE, "api-repository-lifecycle")
    assert life.inputs["repository"] == repo.outputs["name"], f"{life.urn}"
    rules = {r["selection"]["tagStatus"]: r for r in json.loads(life.inputs["policy"])["rules"]}
    assert rules["untagged"]["selection"]["countType"] == "sinceImagePushed", f"{life.urn}"
    assert rules["untagged"]["selection"]["countNumber"] == 7, f"{life.urn}"
    assert rules["any"]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan",
                                         "countNumber": 20}, f"{life.urn}"
    assert rules["any"]["rulePriority"] > rules["untagged"]["rulePriority"], f"{life.urn}: 'any' must come last"


def test_image_build(built: Built) -> None:
    image = built.one(IMAGE, "api-image")
    assert image.inputs["repositoryUrl"] == built.outputs["repository_url"], f"{image.urn}"
    assert image.inputs["context"] == str(ROOT / "app"), f"{image.urn}"
    assert image.inputs["platform"] == "linux/amd64", f"{image.urn}"
    assert image.inputs["imageTag"] == build_context_hash(ROOT / "app", "linux/amd64")[:32], f"{image.urn}"
    assert built.outputs["image_uri"].startswith(built.outputs["repository_url"] + "@sha256:"), f"{image.urn}"


def test_unprotected_repository_can_be_deleted(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, service_args(architecture="ARM64", kms_key_arn=None, protect=False))
    repo = b.one(REPO, "api-repository")
    assert repo.inputs["forceDelete"] is True, f"{repo.urn}"
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}], f"{repo.urn}"
    assert not (repo.opts and repo.opts.protect), f"{repo.urn}: protected although protect=False"
    logs = b.one(LOG_GROUP, "api-logs")
    assert "kmsKeyId" not in logs.inputs, f"{logs.urn}"
    assert b.one(IMAGE, "api-image").inputs["platform"] == "linux/arm64", f"{TYPE_TOKEN}::api-image"
    task = b.one(TASK_DEF, "api-task")
    assert task.inputs["runtimePlatform"]["cpuArchitecture"] == "ARM64", f"{task.urn}"
    sids = statements_by_sid(b.one(ROLE_POLICY, "api-execution-policy"))
    assert "KmsDecrypt" not in sids, f"{TYPE_TOKEN}::api-execution-policy: kms without a key"


# ---------------------------------------------------------------------------
# Pinned images, exec, task role, capacity strategy
# ---------------------------------------------------------------------------
def test_pinned_ecr_image_with_exec_and_task_statements(pulumi_mocks: Any) -> None:
    args = service_args(
        container_name="worker", image=PINNED_ECR, build_context=None, enable_exec=True, ephemeral_storage_gib=40,
        readonly_root_filesystem=False, user="1001", health_check_command=("CMD", "/bin/true"),
        environment={}, secrets={},
        task_role_statements=[TaskRoleStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::bucket/*"])],
        capacity_provider_strategy=[("FARGATE_SPOT", 3, 0), ("FARGATE", 1, 1)])
    b = build(pulumi_mocks, args, name="worker")
    assert not b.of_type(REPO) and not b.of_type(IMAGE), f"{TYPE_TOKEN}::worker built an image"
    assert b.outputs["repository_url"] is None, f"{TYPE_TOKEN}::worker repository_url"
    assert b.outputs["image_uri"] == PINNED_ECR, f"{TYPE_TOKEN}::worker image_uri"
    pol = b.one(ROLE_POLICY, "worker-execution-policy")
    sids = statements_by_sid(pol)
    assert sids["EcrPull"]["Resource"] == [f"arn:aws:ecr:{DEFAULT_REGION}:{ACCOUNT_ID}:repository/team/worker"], \
        f"{pol.urn}: {sids['EcrPull']}"
    assert "SsmParameters" not in sids and "SecretsManager" not in sids, f"{pol.urn}: secrets without secrets"

    svc = b.one(SERVICE, "worker-service")
    assert svc.inputs["enableExecuteCommand"] is True, f"{svc.urn}"
    assert "launchType" not in svc.inputs, f"{svc.urn}: launch type set together with a strategy"
    assert svc.inputs["capacityProviderStrategies"] == [
        {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1}], f"{svc.urn}"

    task_pol = b.one(ROLE_POLICY, "worker-task-policy")
    assert task_pol.inputs["role"] == b.one(ROLE, "worker-task-role").outputs["name"], f"{task_pol.urn}"
    sids = statements_by_sid(task_pol)
    assert sids["Config0"] == {"Sid": "Config0", "Effect": "Allow", "Action": ["s3:GetObject"],
                               "Resource": ["arn:aws:s3:::bucket/*"]}, f"{task_pol.urn}"
    assert sorted(sids["EcsExecChannels"]["Action"]) == sorted(EXEC_CHANNEL_ACTIONS), f"{task_pol.urn}"
    assert sids["EcsExecChannels"]["Resource"] == "*", f"{task_pol.urn}"
    log_arn = b.one(LOG_GROUP, "worker-logs").outputs["arn"]
    assert sids["EcsExecLogs"]["Resource"] == [log_arn + ":*"], f"{task_pol.urn}"
    assert sids["EcsExecKms"]["Resource"] == [KMS_ARN], f"{task_pol.urn}"
    wildcard = [s["Sid"] for s in sids.values() if "*" in as_list(s["Resource"])]
    assert sorted(wildcard) == ["EcsExecChannels", "EcsExecDescribeLogGroups"], f"{task_pol.urn}: {wildcard}"

    task = b.one(TASK_DEF, "worker-task")
    assert task.inputs["ephemeralStorage"] == {"sizeInGib": 40}, f"{task.urn}"
    assert "volumes" not in task.inputs, f"{task.urn}"
    (c,) = json.loads(task.inputs["containerDefinitions"])
    assert c["readonlyRootFilesystem"] is False and "mountPoints" not in c, f"{task.urn}"
    assert c["user"] == "1001", f"{task.urn}"
    assert c["healthCheck"] == {"command": ["CMD", "/bin/true"], "interval": 30, "timeout": 5, "retries": 3,
                                "startPeriod": 15}, f"{task.urn}"
    assert c["secrets"] == [] and c["environment"] == [], f"{task.urn}"


def test_exec_logs_go_to_the_cluster_exec_log_group(pulumi_mocks: Any) -> None:
    exec_logs = f"arn:aws:logs:{DEFAULT_REGION}:{ACCOUNT_ID}:log-group:/ecs/exec"
    b = build(pulumi_mocks, service_args(enable_exec=True, readonly_root_filesystem=False,
                                         exec_log_group_arn=exec_logs))
    pol = b.one(ROLE_POLICY, "api-task-policy")
    assert statements_by_sid(pol)["EcsExecLogs"]["Resource"] == [exec_logs + ":*"], f"{pol.urn}"


def test_non_ecr_image_gets_no_ecr_permissions(pulumi_mocks: Any) -> None:
    args = service_args(container_name="web", image="public.example.com/nginx:1.27.3", build_context=None,
                        container_port=80, kms_key_arn=None, secrets={},
                        route=replace(ROUTE, path_patterns=("/*",), host_headers=()))
    b = build(pulumi_mocks, args, name="web")
    pol = b.one(ROLE_POLICY, "web-execution-policy")
    actions = [a for s in policy(pol)["Statement"] for a in s["Action"]]
    assert not any(a.startswith("ecr:") for a in actions), f"{pol.urn}: {actions}"
    assert all(s["Resource"] != "*" for s in policy(pol)["Statement"]), f"{pol.urn}: '*' resource"
    assert "web-task-policy" not in b.children, f"{TYPE_TOKEN}::web: task policy without statements"
    rule = b.one(RULE, "web-rule")
    assert rule.inputs["conditions"] == [{"pathPattern": {"values": ["/*"]}}], f"{rule.urn}"
    ingress = b.one(INGRESS, "web-sg-ingress-alb")
    assert (ingress.inputs["fromPort"], ingress.inputs["toPort"]) == (80, 80), f"{ingress.urn}"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------
def test_build_context_hash_is_deterministic(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "sub" / "a.py").write_text("print(1)\n")
    first = build_context_hash(tmp_path, "linux/amd64")
    assert first == build_context_hash(tmp_path, "linux/amd64")
    assert first != build_context_hash(tmp_path, "linux/arm64"), "platform must change the tag"
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"\0")
    (tmp_path / "sub" / "b.pyc").write_bytes(b"\0")
    assert build_context_hash(tmp_path, "linux/amd64") == first, "bytecode must not change the tag"
    (tmp_path / "sub" / "a.py").write_text("print(2)\n")
    assert build_context_hash(tmp_path, "linux/amd64") != first, "content must change the tag"
    with pytest.raises(pulumi.RunError):
        build_context_hash(tmp_path / "missing", "linux/amd64")


def test_ecr_repository_arn() -> None:
    assert ecr_repository_arn(PINNED_ECR) == f"arn:aws:ecr:{DEFAULT_REGION}:{ACCOUNT_ID}:repository/team/worker"
    assert ecr_repository_arn(f"{ACCOUNT_ID}.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1.2") == \
        f"arn:aws-cn:ecr:cn-north-1:{ACCOUNT_ID}:repository/app"
    assert ecr_repository_arn(f"{ACCOUNT_ID}.dkr.ecr.us-gov-west-1.amazonaws.com/app:v1") == \
        f"arn:aws-us-gov:ecr:us-gov-west-1:{ACCOUNT_ID}:repository/app"
    assert ecr_repository_arn("public.ecr.aws/nginx/nginx:1.27") is None
    assert ecr_repository_arn("nginx:1.27") is None


def test_secret_resource_arn() -> None:
    assert secret_resource_arn(SECRET_ARN + ":token:AWSCURRENT:") == SECRET_ARN
    assert secret_resource_arn(SECRET_ARN) == SECRET_ARN
    assert secret_resource_arn(SSM_ARN) == SSM_ARN


NAMESPACE_ARN = f"arn:aws:servicediscovery:{DEFAULT_REGION}:{ACCOUNT_ID}:namespace/ns-0123456789abcdef"


def test_deployment_alarms_roll_back(pulumi_mocks: Any) -> None:
    names = ("fp-test-api-target-5xx-rate", "fp-test-api-unhealthy-hosts")
    b = build(pulumi_mocks, service_args(deployment_alarm_names=names))
    svc = b.one(SERVICE, "api-service")
    assert svc.inputs["alarms"] == {"alarmNames": list(names), "enable": True, "rollback": True}, svc.urn


def test_no_deployment_alarms_when_none_given(built: Built) -> None:
    svc = built.one(SERVICE, "api-service")
    assert "alarms" not in svc.inputs, svc.urn


def test_service_connect_registers_the_service_by_name(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, service_args(service_connect_namespace_arn=NAMESPACE_ARN))
    svc = b.one(SERVICE, "api-service")
    connect = svc.inputs["serviceConnectConfiguration"]
    assert connect["enabled"] is True and connect["namespace"] == NAMESPACE_ARN, svc.urn
    assert connect["services"] == [{"portName": "api", "discoveryName": "api",
                                    "clientAlias": [{"port": 8080, "dnsName": "api"}]}], svc.urn
    assert connect["logConfiguration"]["logDriver"] == "awslogs", f"{svc.urn}: proxy logs not shipped"


def test_internal_service_has_no_load_balancer_route(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, internal_args(service_connect_namespace_arn=NAMESPACE_ARN), name="ledger")
    assert not b.of_type(TARGET_GROUP) and not b.of_type(RULE), sorted(b.children)
    assert not b.of_type(INGRESS), "an internal service admits nobody until callers are admitted"
    svc = b.one(SERVICE, "ledger-service")
    assert "loadBalancers" not in svc.inputs and "healthCheckGracePeriodSeconds" not in svc.inputs, svc.urn
    assert b.outputs["target_group_arn"] is None and b.outputs["target_group_arn_suffix"] is None


@pytest.mark.parametrize("source", [{"image": None}, {"image": PINNED_ECR}], ids=["neither", "both"])
def test_exactly_one_image_source(pulumi_mocks: Any, source: dict[str, Any]) -> None:
    args = service_args(**source, build_context=None if source["image"] is None else ROOT / "app")
    with pytest.raises(ValueError, match="exactly one of image"):
        build(pulumi_mocks, args)


def test_defaults_are_secure(pulumi_mocks: Any) -> None:
    """Given only what has no safe default, the service is protected, non-root, read-only and closed."""
    b = build(pulumi_mocks, FargateServiceArgs(
        container_name="api", cluster_arn=CLUSTER_ARN, vpc_id=VPC_ID, private_subnet_ids=SUBNETS,
        log_retention_days=30, image=PINNED_ECR))
    logs = b.one(LOG_GROUP, "api-logs")
    assert logs.opts is not None and logs.opts.protect is True, f"{logs.urn}: not protected by default"
    task = b.one(TASK_DEF, "api-task")
    (c,) = json.loads(task.inputs["containerDefinitions"])
    assert c["readonlyRootFilesystem"] is True and c["privileged"] is False, f"{task.urn}"
    assert c["user"].split(":")[0] not in ("0", "root"), f"{task.urn}: runs as root by default"
    svc = b.one(SERVICE, "api-service")
    assert svc.inputs["enableExecuteCommand"] is False, f"{svc.urn}: exec on by default"
    assert svc.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}, f"{svc.urn}"
    assert svc.inputs["networkConfiguration"]["assignPublicIp"] is False, f"{svc.urn}"
    assert not b.of_type(INGRESS), f"{TYPE_TOKEN}::api: admits traffic although nothing routes to it"


def test_command_entry_point_and_working_directory_reach_the_container(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, service_args(command=("serve", "--port", "8080"), entry_point=("/usr/bin/tini", "--"),
                                         working_directory="/srv"))
    task = b.one(TASK_DEF, "api-task")
    (c,) = json.loads(task.inputs["containerDefinitions"])
    got = (c.get("entryPoint"), c.get("command"), c.get("workingDirectory"))
    assert got == (["/usr/bin/tini", "--"], ["serve", "--port", "8080"], "/srv"), f"{task.urn}: {got}"


def test_the_image_keeps_its_own_command_unless_one_is_given(built: Built) -> None:
    task = built.one(TASK_DEF, "api-task")
    (c,) = json.loads(task.inputs["containerDefinitions"])
    assert not {"entryPoint", "command", "workingDirectory"} & set(c), f"{task.urn}: overrides nobody configured"


def test_admit_opens_only_the_container_port_to_the_caller(pulumi_mocks: Any) -> None:
    caller_sg = "sg-0caller0000000000"

    def make(opts: pulumi.ResourceOptions) -> FargateService:
        service = FargateService("ledger", internal_args(), opts=opts)
        service.admit("api", caller_sg)
        return service

    b = build_component(pulumi_mocks, TYPE_TOKEN, make, ("security_group_id",))
    ingress = b.one(INGRESS, "ledger-sg-ingress-api")
    assert ingress.inputs["referencedSecurityGroupId"] == caller_sg, ingress.urn
    assert ingress.inputs["securityGroupId"] == b.outputs["security_group_id"], ingress.urn
    assert (ingress.inputs["fromPort"], ingress.inputs["toPort"]) == (9000, 9000), ingress.urn
    egress = b.one(EGRESS, "ledger-egress-from-api")
    assert egress.inputs["securityGroupId"] == caller_sg, egress.urn
    assert egress.inputs["referencedSecurityGroupId"] == b.outputs["security_group_id"], egress.urn
    assert egress.opts.parent is b.component, f"{egress.urn}: not parented to the callee"
