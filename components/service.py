"""One ECS service on Fargate (or ECS Managed Instances) behind the shared load balancer.

The component owns everything one service needs and nothing shared: its image
(built and pushed to a private ECR repository, or a pinned URI from config), its
log group, two least-privilege IAM roles, the task definition, a security group
that only the load balancer can reach, a target group, a listener rule and the
ECS service itself; and, for a blue/green, canary or linear release, the pieces
``components.release`` builds (alternate target group, test rule, infrastructure role).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
import pulumi_awsx as awsx

from components import release
from components.release import ReleaseArgs
from components.tagging import tagged
from components.volumes import (
    Compatibility,
    EbsVolume,
    container_extras,
    placement_strategy,
    platform_version,
    task_volumes,
    volume_configuration,
)

TYPE_TOKEN = "fargate-platform:index:FargateService"

# ECR image URI: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]/<repo>[:tag][@sha256:digest]
ECR_IMAGE = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<cn>\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*?)(?::[A-Za-z0-9_.-]+)?(?:@sha256:[a-f0-9]{64})?$"
)

# The four channels the SSM agent opens for an ECS Exec session; AWS only accepts "*" for them.
EXEC_CHANNEL_ACTIONS = (
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
)

# Build-context entries that never reach the image and must not change its tag.
_HASH_SKIP_DIRS = frozenset({"__pycache__", ".git", ".pytest_cache", ".mypy_cache", ".ruff_cache"})
_HASH_SKIP_SUFFIXES = (".pyc", ".pyo")

TMP_VOLUME = "tmp"


@dataclass(frozen=True, kw_only=True)
class TaskRoleStatement:
    """One IAM statement granted to a service's task role."""

    actions: Sequence[str]
    """IAM actions, e.g. ``s3:GetObject``."""
    resources: Sequence[str]
    """ARNs the actions apply to."""
    effect: Literal["Allow", "Deny"] = "Allow"
    """Allow or Deny."""


@dataclass(frozen=True, kw_only=True)
class ListenerRoute:
    """How the shared load balancer reaches a service: its listener rule and target group health check."""

    listener_arn: pulumi.Input[str]
    """Listener the service's rule attaches to (HTTPS, or HTTP when HTTP-only)."""
    load_balancer_security_group_id: pulumi.Input[str]
    """Security group of the load balancer, the only source allowed in."""
    priority: int
    """Listener rule priority, unique on the listener (1 to 50,000)."""
    path_patterns: Sequence[str] = ("/*",)
    """Path patterns routed to this service."""
    host_headers: Sequence[str] = ()
    """Host headers routed to this service (optional)."""
    health_check_path: str = "/health"
    """HTTP path the target group's health check requests; 200-399 is healthy."""
    health_check_grace_period: int = 60
    """Seconds ECS ignores the target group's health check after a task starts."""


@dataclass(frozen=True, kw_only=True)
class FargateServiceArgs:
    """Inputs of :class:`FargateService`."""

    container_name: str
    """Name of the container, of its port mapping and of its Service Connect name (``<name>:<port>``)."""
    cluster_arn: pulumi.Input[str]
    """ARN of the ECS cluster the service runs in."""
    vpc_id: pulumi.Input[str]
    """VPC of the cluster; the target group and security group are created in it."""
    private_subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets the tasks run in (no public IPs are assigned)."""
    log_retention_days: int
    """Retention of the service's log group (days)."""
    image: str | None = None
    """Pinned image URI (a tag other than latest, or a digest); exclusive with ``build_context``."""
    build_context: Path | None = None
    """Directory with a Dockerfile, built into the service's own immutable ECR repository; exclusive with ``image``."""
    cpu: int = 256
    """Task CPU units (a Fargate size)."""
    memory: int = 512
    """Task memory (MiB), valid for ``cpu`` per the Fargate size table."""
    architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """CPU architecture of the task (and of a built image)."""
    ephemeral_storage_gib: int | None = None
    """Ephemeral storage (GiB, 21-200); None keeps Fargate's 20 GiB."""
    container_port: int = 8080
    """Port the container listens on."""
    command: Sequence[str] | None = None
    """Command the container runs (arguments to the entry point); None keeps the image's CMD."""
    entry_point: Sequence[str] | None = None
    """Entry point of the container; None keeps the image's ENTRYPOINT."""
    working_directory: str | None = None
    """Absolute directory the command runs in; None keeps the image's WORKDIR."""
    health_check_command: Sequence[str] | None = None
    """Container health check in ECS form (``["CMD", ...]``), run in the image; None: none (routes have their own)."""
    environment: Mapping[str, str] = field(default_factory=dict)
    """Plain environment variables; never secrets (use ``secrets``)."""
    secrets: Mapping[str, str] = field(default_factory=dict)
    """Environment variable name -> SSM parameter or Secrets Manager secret ARN, injected at start."""
    user: str = "1000:1000"
    """User (uid[:gid]) the container runs as; running as root takes an explicit value."""
    readonly_root_filesystem: bool = True
    """Mount the container's root filesystem read-only (``/tmp`` stays writable)."""
    enable_exec: bool = False
    """Allow ECS Exec sessions into the tasks (logged); needs a writable root filesystem."""
    task_role_statements: Sequence[TaskRoleStatement] = ()
    """IAM statements granted to the task role; nothing else is granted (ECS Exec's channels aside)."""
    route: ListenerRoute | None = None
    """Load balancer route; None makes an internal service, reachable only through :meth:`FargateService.admit`."""
    desired_count: int = 1
    """Task count at creation; an autoscaler owns it afterwards."""
    min_healthy_percent: int = 100
    """Deployment minimum healthy percent."""
    max_percent: int = 200
    """Deployment maximum percent."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS key that encrypts the log group, the ECR repository and secrets; None uses AWS-owned keys."""
    protect: bool = True
    """Protect the stateful children (log group, ECR repository) from deletion."""
    capacity_provider_strategy: Sequence[tuple[pulumi.Input[str], int, int]] | None = None
    """(capacity provider, weight, base) entries; None uses the cluster's default strategy."""
    exec_log_group_arn: pulumi.Input[str] | None = None
    """Log group the cluster sends ECS Exec session logs to; None means this service's own log group."""
    deployment_alarm_names: Sequence[str] = ()
    """Alarms that roll a deployment back (explicit names, see components.alarms.critical_alarm_names)."""
    release: ReleaseArgs = field(default_factory=ReleaseArgs)
    """How a new version is deployed: rolling (the default), or blue/green, canary or linear traffic shifting."""
    service_connect_namespace_arn: pulumi.Input[str] | None = None
    """Cloud Map namespace for Service Connect; the service is reachable there as ``<container_name>:<port>``."""
    compatibility: Compatibility = "FARGATE"
    """Capacity the task definition is validated for: FARGATE, or MANAGED_INSTANCES (whose provider
    ``capacity_provider_strategy`` then names); it decides the platform version and placement too."""
    gpus: int = 0
    """GPUs reserved for the container; MANAGED_INSTANCES capacity with GPU instances only."""
    volumes: Sequence[EbsVolume] = ()
    """EBS volume ECS creates for each task (at most one): encrypted, with ``kms_key_arn`` when given."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


def build_context_hash(context: Path, platform: str) -> str:
    """Deterministic SHA-256 over the build context's file paths and contents, and the target platform.

    Used as the image tag: the repository's tags are immutable, so a tag must change exactly
    when the image would. Caches and bytecode are skipped because they never reach the image.
    """
    if not context.is_dir():
        raise pulumi.RunError(f"build context '{context}' is not a directory")
    digest = hashlib.sha256(f"platform={platform}\0".encode())
    files: list[Path] = []
    for root, dirs, names in os.walk(context):
        dirs[:] = [d for d in dirs if d not in _HASH_SKIP_DIRS]
        files.extend(Path(root, n) for n in names if not n.endswith(_HASH_SKIP_SUFFIXES))
    for path in sorted(files, key=lambda p: p.relative_to(context).as_posix()):
        rel = path.relative_to(context).as_posix()
        data = path.read_bytes()
        mode = "x" if os.access(path, os.X_OK) else "-"
        digest.update(f"{rel}\0{mode}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def ecr_repository_arn(image: str) -> str | None:
    """The ECR repository ARN of a pinned ECR image URI, or None for an image from another registry."""
    match = ECR_IMAGE.match(image)
    if not match:
        return None
    region = match["region"]
    partition = "aws-cn" if match["cn"] else "aws-us-gov" if region.startswith("us-gov-") else "aws"
    return f"arn:{partition}:ecr:{region}:{match['account']}:repository/{match['repository']}"


def secret_resource_arn(value_from: str) -> str:
    """The IAM resource for a secret reference: a Secrets Manager ARN without its ':json-key:stage:version' tail."""
    parts = value_from.split(":")
    if len(parts) > 7 and parts[2] == "secretsmanager":
        return ":".join(parts[:7])
    return value_from


def _account_of(arn: str) -> str:
    parts = arn.split(":")
    if len(parts) < 6 or not parts[4]:
        raise pulumi.RunError(f"'{arn}' is not an ARN with an account id")
    return parts[4]


def _assume_ecs_tasks(account: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust policy for ECS tasks of this account only (guards against the confused deputy)."""
    return pulumi.Output.json_dumps({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": account}},
        }],
    })


def _log_streams(log_group: aws.cloudwatch.LogGroup) -> pulumi.Output[str]:
    """The IAM resource of every stream in a log group."""
    return pulumi.Output.concat(log_group.arn, ":*")


def _statement(sid: str, actions: Sequence[str], resources: Any, effect: str = "Allow") -> dict[str, Any]:
    return {"Sid": sid, "Effect": effect, "Action": list(actions), "Resource": resources}


class FargateService(pulumi.ComponentResource):
    """One ECS service on Fargate, reachable only through the shared load balancer or from its callers.

    Child resources (``<name>-<role>``):

    - ``repository`` (aws.ecr.Repository), ``repository-lifecycle`` (aws.ecr.LifecyclePolicy) and
      ``image`` (awsx.ecr.Image): only when ``build_context`` is set.
    - ``logs`` (aws.cloudwatch.LogGroup)
    - ``execution-role`` (aws.iam.Role) and ``execution-policy`` (aws.iam.RolePolicy)
    - ``task-role`` (aws.iam.Role) and ``task-policy`` (aws.iam.RolePolicy, only when it would grant anything)
    - ``task`` (aws.ecs.TaskDefinition)
    - ``sg`` (aws.ec2.SecurityGroup), ``sg-ingress-alb`` (aws.vpc.SecurityGroupIngressRule),
      ``sg-egress-https`` (aws.vpc.SecurityGroupEgressRule) and ``alb-egress`` (aws.vpc.SecurityGroupEgressRule
      on the load balancer's group)
    - ``tg`` (aws.lb.TargetGroup) and ``rule`` (aws.lb.ListenerRule)
    - ``tg-alternate`` (aws.lb.TargetGroup), ``test-rule`` (aws.lb.ListenerRule, with test traffic) and
      ``release-role``/``release-policy`` (aws.iam.Role/RolePolicy): only for a blue/green, canary or linear
      release (see ``components.release``); the role also exists for Lambda hooks of an internal service.
    - ``service`` (aws.ecs.Service)
    - ``ebs-role`` (aws.iam.Role), ``ebs-policy`` (aws.iam.RolePolicyAttachment) and ``ebs-kms``
      (aws.iam.RolePolicy, with a key): what ECS creates the task's EBS volume with, when it has one
      (:mod:`components.volumes`).

    Internal services (no ``route``) get no load balancer rules, target group or listener rule: they are
    reachable only through Service Connect, from the services :meth:`admit` lets in (``sg-ingress-<caller>`` on
    this group and ``egress-from-<caller>`` on the caller's).
    """

    service_name: pulumi.Output[str]
    """Name of the ECS service."""
    service_arn: pulumi.Output[str]
    """ARN of the ECS service."""
    cluster_arn: pulumi.Output[str]
    """ARN of the cluster the service runs in."""
    task_definition_arn: pulumi.Output[str]
    """ARN (with revision) of the service's task definition."""
    log_group_name: pulumi.Output[str]
    """CloudWatch log group the container logs to."""
    target_group_arn: pulumi.Output[str] | None
    """ARN of the service's target group (None for internal services)."""
    target_group_arn_suffix: pulumi.Output[str] | None
    """ARN suffix of the target group, for CloudWatch metrics and request-count scaling (None if internal)."""
    alternate_target_group_arn_suffix: pulumi.Output[str] | None
    """ARN suffix of the target group a new version starts in (None unless a load-balanced traffic-shifting release)."""
    security_group_id: pulumi.Output[str]
    """Security group of the service's tasks."""
    execution_role_arn: pulumi.Output[str]
    """Role ECS uses to pull the image, write logs and read secrets."""
    task_role_arn: pulumi.Output[str]
    """Role the application's code runs as."""
    image_uri: pulumi.Output[str]
    """Image the task runs: the pushed image pinned by digest, or the pinned URI from config."""
    repository_url: pulumi.Output[str] | None
    """URL of the service's ECR repository, or None when the image is a pinned URI."""

    def __init__(self, name: str, args: FargateServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        if (args.image is None) == (args.build_context is None):
            raise ValueError(f"{name}: give exactly one of image (a pinned URI) or build_context (a directory)")
        if args.enable_exec and args.readonly_root_filesystem:
            pulumi.log.warn(f"service '{args.container_name}': ECS Exec needs a writable root filesystem for the "
                            "SSM agent; sessions will fail unless readonlyRootFilesystem is false", resource=self)
        self._name, self._args = name, args
        # Both roles trust the same document: one Output for the two.
        self._account = pulumi.Output.from_input(args.cluster_arn).apply(_account_of)
        self._trust_policy = _assume_ecs_tasks(self._account)
        self._region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region

        image_uri, pull_repository_arn, repository = self._image()
        log_group = self._log_group()
        execution_role = self._execution_role(log_group, pull_repository_arn)
        task_role = self._task_role(log_group)
        task_definition = self._task_definition(image_uri, log_group, execution_role, task_role)
        self._security_group = self._tasks_security_group()
        target_group, alternate, listener_rule = self._routing() if args.route is not None else (None, None, None)
        wiring = self._release(target_group, alternate, listener_rule)
        service = self._service(task_definition, log_group, target_group, listener_rule, alternate, wiring)

        self.service_name = service.name
        self.service_arn = service.arn
        self.cluster_arn = service.cluster
        self.task_definition_arn = task_definition.arn
        self.log_group_name = log_group.name
        self.target_group_arn = target_group.arn if target_group is not None else None
        self.target_group_arn_suffix = target_group.arn_suffix if target_group is not None else None
        self.alternate_target_group_arn_suffix = alternate.arn_suffix if alternate is not None else None
        self.security_group_id = self._security_group.id
        self.execution_role_arn = execution_role.arn
        self.task_role_arn = task_role.arn
        self.image_uri = image_uri
        self.repository_url = repository.repository_url if repository is not None else None
        self.register_outputs(self._outputs())

    def _child(self, protect: bool | None = None) -> pulumi.ResourceOptions:
        """Options of a child: parented here; ``protect`` None inherits the component's own."""
        return pulumi.ResourceOptions(parent=self, protect=protect)

    def _image(self) -> tuple[pulumi.Output[str], pulumi.Input[str] | None, aws.ecr.Repository | None]:
        """The image the task runs, the ECR repository to pull it from (if any) and the repository built into."""
        name, args = self._name, self._args
        if args.image is not None:
            return pulumi.Output.from_input(args.image), ecr_repository_arn(args.image), None
        assert args.build_context is not None  # __init__ checked that exactly one is given
        context = args.build_context.resolve()
        platform = "linux/arm64" if args.architecture == "ARM64" else "linux/amd64"
        encryption = ({"encryption_type": "KMS", "kms_key": args.kms_key_arn} if args.kms_key_arn is not None
                      else {"encryption_type": "AES256"})
        # Private registry for the image built from this service's source; tags can never be overwritten.
        repository = aws.ecr.Repository(
            f"{name}-repository",
            image_scanning_configuration={"scan_on_push": True},
            image_tag_mutability="IMMUTABLE",
            encryption_configurations=[encryption],
            force_delete=not args.protect,
            tags=tagged(args.tags),
            opts=self._child(protect=args.protect),
        )
        # Keeps the repository (and its storage bill) bounded: drop untagged layers, keep the last 20 images.
        aws.ecr.LifecyclePolicy(
            f"{name}-repository-lifecycle",
            repository=repository.name,
            policy=json.dumps({"rules": [
                {"rulePriority": 1, "description": "Expire untagged images after 7 days",
                 "selection": {"tagStatus": "untagged", "countType": "sinceImagePushed",
                               "countUnit": "days", "countNumber": 7},
                 "action": {"type": "expire"}},
                {"rulePriority": 2, "description": "Keep the last 20 images",
                 "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 20},
                 "action": {"type": "expire"}},
            ]}),
            opts=self._child(),
        )
        # Builds the service's image for the task's architecture; the tag is the content hash of the context.
        image = awsx.ecr.Image(
            f"{name}-image",
            repository_url=repository.repository_url,
            context=str(context),
            platform=platform,
            image_tag=build_context_hash(context, platform)[:32],
            opts=self._child(),
        )
        return image.image_uri, repository.arn, repository

    def _log_group(self) -> aws.cloudwatch.LogGroup:
        args = self._args
        # The container's stdout/stderr, kept for an explicit retention and encrypted with the stack's key if any.
        return aws.cloudwatch.LogGroup(
            f"{self._name}-logs",
            name=f"/ecs/{pulumi.get_project()}/{pulumi.get_stack()}/{self._name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tagged(args.tags),
            opts=self._child(protect=args.protect),
        )

    def _execution_role(self, log_group: aws.cloudwatch.LogGroup,
                        pull_repository_arn: pulumi.Input[str] | None) -> aws.iam.Role:
        name, args = self._name, self._args
        statements: list[dict[str, Any]] = []
        if pull_repository_arn is not None:
            statements.append(_statement("EcrAuth", ["ecr:GetAuthorizationToken"], "*"))  # AWS requires "*"
            statements.append(_statement(
                "EcrPull",
                ["ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage"],
                [pull_repository_arn]))
        statements.append(_statement("Logs", ["logs:CreateLogStream", "logs:PutLogEvents"],
                                     [_log_streams(log_group)]))
        ssm_arns = sorted({arn for arn in args.secrets.values() if ":ssm:" in arn})
        sm_arns = sorted({secret_resource_arn(arn) for arn in args.secrets.values() if ":secretsmanager:" in arn})
        if ssm_arns:
            statements.append(_statement("SsmParameters", ["ssm:GetParameters"], ssm_arns))
        if sm_arns:
            statements.append(_statement("SecretsManager", ["secretsmanager:GetSecretValue"], sm_arns))
        if args.kms_key_arn is not None:
            statements.append(_statement("KmsDecrypt", ["kms:Decrypt"], [args.kms_key_arn]))
        # Role the ECS agent uses to start the task: pull the image, create log streams, inject secrets.
        role = aws.iam.Role(
            f"{name}-execution-role",
            description=f"ECS task execution role of {args.container_name}",
            assume_role_policy=self._trust_policy,
            tags=tagged(args.tags),
            opts=self._child(),
        )
        # Exactly what starting this service's task needs; no managed policies.
        aws.iam.RolePolicy(
            f"{name}-execution-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
            opts=self._child(),
        )
        return role

    def _task_role(self, log_group: aws.cloudwatch.LogGroup) -> aws.iam.Role:
        name, args = self._name, self._args
        statements: list[dict[str, Any]] = [
            _statement(f"Config{i}", stmt.actions, list(stmt.resources), stmt.effect)
            for i, stmt in enumerate(args.task_role_statements)
        ]
        if args.enable_exec:
            exec_logs = (pulumi.Output.concat(args.exec_log_group_arn, ":*") if args.exec_log_group_arn is not None
                         else _log_streams(log_group))
            statements.append(_statement("EcsExecChannels", EXEC_CHANNEL_ACTIONS, "*"))  # AWS requires "*"
            statements.append(_statement("EcsExecDescribeLogGroups", ["logs:DescribeLogGroups"], "*"))
            statements.append(_statement(
                "EcsExecLogs", ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"], [exec_logs]))
            if args.kms_key_arn is not None:
                statements.append(_statement("EcsExecKms", ["kms:Decrypt"], [args.kms_key_arn]))
        # Identity of the application's code; it gets only the configured statements.
        role = aws.iam.Role(
            f"{name}-task-role",
            description=f"ECS task role of {args.container_name}",
            assume_role_policy=self._trust_policy,
            tags=tagged(args.tags),
            opts=self._child(),
        )
        if statements:
            document = {"Version": "2012-10-17", "Statement": statements}
            # The configured statements, plus the ECS Exec channels only when exec is enabled.
            aws.iam.RolePolicy(
                f"{name}-task-policy",
                role=role.id,
                # The configured statements are plain; only exec's log streams and key are Outputs.
                policy=pulumi.Output.json_dumps(document) if args.enable_exec else json.dumps(document),
                opts=self._child(),
            )
        return role

    def _container(self, image_uri: str, log_group_name: str, region: str) -> dict[str, Any]:
        """The container definition, as ECS reads it (camelCase), once its image, log group and region are known."""
        args = self._args
        container: dict[str, Any] = {
            "name": args.container_name,
            "image": image_uri,
            "essential": True,
            "portMappings": [{"name": args.container_name, "containerPort": args.container_port, "protocol": "tcp",
                              "appProtocol": "http"}],
            "environment": [{"name": k, "value": v} for k, v in sorted(args.environment.items())],
            "secrets": [{"name": k, "valueFrom": v} for k, v in sorted(args.secrets.items())],
            "readonlyRootFilesystem": args.readonly_root_filesystem,
            "user": args.user,
            "privileged": False,
            "linuxParameters": {"initProcessEnabled": True},
        }
        # Only what the caller gives: the image's own ENTRYPOINT, CMD and WORKDIR apply otherwise.
        if args.entry_point is not None:
            container["entryPoint"] = list(args.entry_point)
        if args.command is not None:
            container["command"] = list(args.command)
        if args.working_directory is not None:
            container["workingDirectory"] = args.working_directory
        # No health check is invented: a probe the image cannot run would mark every task unhealthy.
        if args.health_check_command is not None:
            container["healthCheck"] = {"command": list(args.health_check_command),
                                        "interval": 30, "timeout": 5, "retries": 3, "startPeriod": 15}
        container["logConfiguration"] = {
            "logDriver": "awslogs",
            "options": {"awslogs-group": log_group_name, "awslogs-region": region,
                        "awslogs-stream-prefix": args.container_name},
        }
        if args.readonly_root_filesystem:
            # A read-only root still needs somewhere to write temporary files.
            container["mountPoints"] = [{"sourceVolume": TMP_VOLUME, "containerPath": "/tmp", "readOnly": False}]
        # An EBS volume is another writable place; GPUs are reserved on capacity that has them.
        container.update(container_extras(args.volumes, args.gpus, container.get("mountPoints", [])))
        return container

    def _task_definition(self, image_uri: pulumi.Input[str], log_group: aws.cloudwatch.LogGroup,
                         execution_role: aws.iam.Role, task_role: aws.iam.Role) -> aws.ecs.TaskDefinition:
        args = self._args
        # The container's image, size, user, health check, logging and secrets, versioned per deployment.
        return aws.ecs.TaskDefinition(
            f"{self._name}-task",
            family=f"{pulumi.get_project()}-{pulumi.get_stack()}-{self._name}",
            requires_compatibilities=[args.compatibility],
            network_mode="awsvpc",
            cpu=str(args.cpu),
            memory=str(args.memory),
            runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": args.architecture},
            ephemeral_storage=({"size_in_gib": args.ephemeral_storage_gib}
                               if args.ephemeral_storage_gib is not None else None),
            execution_role_arn=execution_role.arn,
            task_role_arn=task_role.arn,
            volumes=task_volumes(TMP_VOLUME if args.readonly_root_filesystem else None, args.volumes),
            # Only these three are awaited: Output.json_dumps would make an Output of every value in the definition.
            container_definitions=pulumi.Output.all(image_uri, log_group.name, self._region).apply(
                lambda known: json.dumps([self._container(*known)])),
            tags=tagged(args.tags),
            opts=self._child(),
        )

    def _tasks_security_group(self) -> aws.ec2.SecurityGroup:
        name, args = self._name, self._args
        # The tasks' own group; every rule is a separate resource so none is hidden inline.
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description=(f"ECS tasks of {args.container_name}: ingress from the load balancer only"
                         if args.route is not None
                         else f"ECS tasks of {args.container_name}: ingress from its callers only"),
            tags=tagged(args.tags),
            opts=self._child(),
        )
        # HTTPS out only: image pulls (ECR, S3 layers), CloudWatch Logs, Secrets Manager/SSM and other AWS APIs,
        # through the NAT gateway or VPC endpoints. DNS goes to the VPC resolver, which security groups do not filter.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-sg-egress-https",
            security_group_id=group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs and image registries",
            tags=tagged(args.tags),
            opts=self._child(),
        )
        return group

    def _routing(self) -> tuple[aws.lb.TargetGroup, aws.lb.TargetGroup | None, aws.lb.ListenerRule]:
        """The load balancer's way in: security group rules both ways, target groups and a listener rule."""
        name, args, route = self._name, self._args, self._args.route
        assert route is not None  # only called for a routed service
        port = args.container_port
        # The only way in: the load balancer, on the container port.
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-sg-ingress-alb",
            security_group_id=self._security_group.id,
            referenced_security_group_id=route.load_balancer_security_group_id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description="Load balancer to container port",
            tags=tagged(args.tags),
            opts=self._child(),
        )
        # Lets the load balancer reach this service (and only it) so the ALB's group needs no open egress.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-alb-egress",
            security_group_id=route.load_balancer_security_group_id,
            referenced_security_group_id=self._security_group.id,
            ip_protocol="tcp",
            from_port=port,
            to_port=port,
            description=f"Load balancer to {args.container_name} tasks",
            tags=tagged(args.tags),
            opts=self._child(),
        )
        target_group_args: dict[str, Any] = dict(
            target_type="ip",
            protocol="HTTP",
            port=port,
            vpc_id=args.vpc_id,
            deregistration_delay=30,
            health_check={
                "enabled": True,
                "path": route.health_check_path,
                "protocol": "HTTP",
                "port": "traffic-port",
                "matcher": "200-399",
                "healthy_threshold": 2,
                "unhealthy_threshold": 3,
                "interval": 15,
                "timeout": 5,
            },
        )
        # Task IPs the load balancer forwards to, with a health check on the service's health path.
        target_group = aws.lb.TargetGroup(f"{name}-tg", **target_group_args, tags=tagged(args.tags), opts=self._child())
        # The same, for the new version of a traffic-shifting release; ECS swaps the two at each release.
        alternate = (aws.lb.TargetGroup(f"{name}-tg-alternate", **target_group_args, tags=tagged(args.tags),
                                        opts=self._child())
                     if args.release.shifts_traffic else None)
        # Routes this service's paths and hosts on the shared listener to its target group(s).
        listener_rule = aws.lb.ListenerRule(
            f"{name}-rule",
            listener_arn=route.listener_arn,
            priority=route.priority,
            conditions=self._conditions(),
            actions=release.forward_actions(target_group, alternate),
            # During a release ECS moves the weights between the two target groups; Pulumi must not move them back.
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["actions"] if alternate is not None else None),
        )
        return target_group, alternate, listener_rule

    def _conditions(self) -> list[dict[str, Any]]:
        """The listener rule conditions that select this service's requests: its paths and hosts."""
        route = self._args.route
        assert route is not None  # only called for a routed service
        conditions: list[dict[str, Any]] = []
        if route.path_patterns:
            conditions.append({"path_pattern": {"values": list(route.path_patterns)}})
        if route.host_headers:
            conditions.append({"host_header": {"values": list(route.host_headers)}})
        return conditions

    def _release(self, target_group: aws.lb.TargetGroup | None, alternate: aws.lb.TargetGroup | None,
                 listener_rule: aws.lb.ListenerRule | None) -> release.Wiring:
        """The test rule and infrastructure role of a traffic-shifting release (nothing for a rolling one)."""
        route = self._args.route
        return release.wire(
            self._name, self._args.release,
            production_listener_arn=route.listener_arn if route is not None else None,
            priority=route.priority if route is not None else 0,
            conditions=self._conditions() if route is not None else (),
            target_group=target_group, alternate=alternate, production_rule=listener_rule,
            account=self._account, description=self._args.container_name, tags=self._args.tags,
            opts=self._child())

    def _service(self, task_definition: aws.ecs.TaskDefinition, log_group: aws.cloudwatch.LogGroup,
                 target_group: aws.lb.TargetGroup | None, listener_rule: aws.lb.ListenerRule | None,
                 alternate: aws.lb.TargetGroup | None, wiring: release.Wiring) -> aws.ecs.Service:
        args, route = self._args, self._args.route
        strategy = None
        if args.capacity_provider_strategy is not None:
            strategy = [{"capacity_provider": provider, "weight": weight, "base": base}
                        for provider, weight, base in args.capacity_provider_strategy]
        balancer = None
        if target_group is not None:
            balancer = {"target_group_arn": target_group.arn, "container_name": args.container_name,
                        "container_port": args.container_port}
            advanced = release.advanced_configuration(alternate, listener_rule, wiring)
            if advanced is not None:  # a rolling release has none, and sends no null for it
                balancer["advanced_configuration"] = advanced
        # Keeps the tasks running in private subnets, registered with the target group, rolling back bad deploys.
        return aws.ecs.Service(
            f"{self._name}-service",
            cluster=args.cluster_arn,
            task_definition=task_definition.arn,
            desired_count=args.desired_count,
            # No launch_type: ECS uses the cluster's default capacity provider strategy unless one is given.
            capacity_provider_strategies=strategy,
            platform_version=platform_version(args.compatibility),
            ordered_placement_strategies=placement_strategy(args.compatibility),
            volume_configuration=volume_configuration(self._name, args.container_name, args.volumes,
                                                      args.kms_key_arn, self, args.tags),
            network_configuration={
                "subnets": args.private_subnet_ids,
                "security_groups": [self._security_group.id],
                "assign_public_ip": False,
            },
            load_balancers=[balancer] if balancer is not None else None,
            # Rolling, or blue/green, canary or linear traffic shifting with its bake time and hooks.
            deployment_configuration=release.deployment_configuration(args.release, wiring.role),
            deployment_circuit_breaker={"enable": True, "rollback": True},
            # Critical alarms roll a deployment back even when the new tasks pass their health checks.
            alarms=({"alarm_names": list(args.deployment_alarm_names), "enable": True, "rollback": True}
                    if args.deployment_alarm_names else None),
            deployment_minimum_healthy_percent=args.min_healthy_percent,
            deployment_maximum_percent=args.max_percent,
            health_check_grace_period_seconds=route.health_check_grace_period if route is not None else None,
            # Tasks are spread over the zones again after a zone loses some.
            availability_zone_rebalancing="ENABLED",
            enable_execute_command=args.enable_exec,
            service_connect_configuration=self._service_connect(log_group),
            propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            wait_for_steady_state=False,
            # desiredCount belongs to the autoscaler after creation; the rule attaches the target group to the ALB,
            # and ECS checks the release role and rules when the service is created.
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["desiredCount"], depends_on=[
                r for r in (listener_rule, wiring.test_rule, wiring.policy) if r is not None]),
        )

    def _service_connect(self, log_group: aws.cloudwatch.LogGroup,
                         ) -> aws.ecs.ServiceServiceConnectConfigurationArgs | None:
        args = self._args
        if args.service_connect_namespace_arn is None:
            return None
        # Other services call this one as http://<name>:<port>; the proxy's own logs go to the service's group.
        return aws.ecs.ServiceServiceConnectConfigurationArgs(
            enabled=True,
            namespace=args.service_connect_namespace_arn,
            services=[aws.ecs.ServiceServiceConnectConfigurationServiceArgs(
                port_name=args.container_name,
                discovery_name=args.container_name,
                client_alias=[aws.ecs.ServiceServiceConnectConfigurationServiceClientAliasArgs(
                    port=args.container_port, dns_name=args.container_name,
                    # An internal service's release is tried by the callers that send the release header.
                    test_traffic_rules=(release.service_connect_test_rules(args.release)
                                        if args.route is None else None))],
            )],
            log_configuration=aws.ecs.ServiceServiceConnectConfigurationLogConfigurationArgs(
                log_driver="awslogs",
                options={"awslogs-group": log_group.name, "awslogs-region": self._region,
                         "awslogs-stream-prefix": f"{args.container_name}-connect"},
            ),
        )

    def admit(self, caller: str, caller_security_group_id: pulumi.Input[str]) -> None:
        """Let service ``caller`` reach this one through Service Connect, on the container port only."""
        port = self._args.container_port
        # In: the named caller's tasks, nobody else.
        aws.vpc.SecurityGroupIngressRule(
            f"{self._name}-sg-ingress-{caller}",
            security_group_id=self._security_group.id,
            referenced_security_group_id=caller_security_group_id,
            ip_protocol="tcp", from_port=port, to_port=port,
            description=f"{caller} to container port",
            tags=tagged(self._args.tags),
            opts=self._child(),
        )
        # Out: the caller's group allows only HTTPS otherwise, so it needs a rule to reach this service.
        aws.vpc.SecurityGroupEgressRule(
            f"{self._name}-egress-from-{caller}",
            security_group_id=caller_security_group_id,
            referenced_security_group_id=self._security_group.id,
            ip_protocol="tcp", from_port=port, to_port=port,
            description=f"{caller} to this service",
            tags=tagged(self._args.tags),
            opts=self._child(),
        )

    def _outputs(self) -> Mapping[str, Any]:
        return {
            "service_name": self.service_name,
            "service_arn": self.service_arn,
            "cluster_arn": self.cluster_arn,
            "task_definition_arn": self.task_definition_arn,
            "log_group_name": self.log_group_name,
            "target_group_arn": self.target_group_arn,
            "target_group_arn_suffix": self.target_group_arn_suffix,
            "alternate_target_group_arn_suffix": self.alternate_target_group_arn_suffix,
            "security_group_id": self.security_group_id,
            "execution_role_arn": self.execution_role_arn,
            "task_role_arn": self.task_role_arn,
            "image_uri": self.image_uri,
            "repository_url": self.repository_url,
        }
