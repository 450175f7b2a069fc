"""Typed, immutable stack settings parsed once from Pulumi config.

Every key lives in the ``fargate-platform`` namespace and is declared in
``Pulumi.yaml``. :func:`load_settings` reads them all, validates types,
ranges and cross-field rules, and returns a frozen :class:`StackSettings`.
Any problem raises :class:`ConfigError`, whose one-line message names the key
path and what is allowed in the config's words, before a single resource is
registered.

The AWS facts (Fargate sizes, log retention values, what a plaintext secret
or a root user looks like) come from the policy pack's ``fargate_policies.facts``,
so these settings accept a service exactly when the pack's rules would pass it.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import re
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import pulumi
from fargate_policies import facts
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from pydantic.fields import FieldInfo

NAMESPACE = "fargate-platform"

SECRET_ARN = re.compile(r"^arn:aws[a-z-]*:(ssm:[a-z0-9-]+:\d{12}:parameter/.+"
                        r"|secretsmanager:[a-z0-9-]+:\d{12}:secret:.+)$")
SERVICE_NAME = re.compile(r"^[a-z][a-z0-9-]{0,23}$")
TAG_PAIR = re.compile(r"^[^=]{1,128}=.{0,256}$")

# Patterns the models check, and how an error message says them in the config's words.
SCHEDULE_NAME = r"^[a-zA-Z0-9-]{1,64}$"
SCHEDULE_EXPRESSION = r"^(cron\(.+\)|rate\(.+\)|at\(.+\))$"
URL_PATH = r"^/.*"
ABSOLUTE_PATH = r"^/"
HEADER_NAME = r"^[A-Za-z0-9-]{1,40}$"
HEADER_VALUE = r"^[A-Za-z0-9._~-]{1,128}$"

VOLUME_NAME = rf"^{facts.VOLUME_NAME.pattern}$"
_PATTERN_WORDS = {
    VOLUME_NAME: "letters, digits, hyphens and underscores, 1 to 255 characters",
    SCHEDULE_NAME: "letters, digits and hyphens, 1 to 64 characters",
    SCHEDULE_EXPRESSION: "cron(...), rate(...) or at(...)",
    URL_PATH: "a path starting with /",
    ABSOLUTE_PATH: "an absolute path, starting with /",
    HEADER_NAME: "an HTTP header name: letters, digits and hyphens, 1 to 40 characters",
    HEADER_VALUE: "letters, digits, '.', '_', '~' and '-', 1 to 128 characters",
}

# Deployment strategies in the config's words, and the ECS strategy each one is.
STRATEGY_WORDS: dict[str, str] = {"rolling": facts.ROLLING, "blue-green": facts.BLUE_GREEN,
                                  "canary": facts.CANARY, "linear": facts.LINEAR}
# What a pause hook does when its time runs out, in the config's words.
TIMEOUT_WORDS: dict[str, str] = {action.lower(): action for action in facts.HOOK_TIMEOUT_ACTIONS}
# Ports of the production listeners, which a test listener cannot take.
PRODUCTION_PORTS = (80, 443)

# The service component's own writable /tmp volume: a configured volume may not take its name.
TMP_VOLUME_NAME = "tmp"

# The pack's rule whose allowedNames settings honour, and where each stack's policy config lives.
PLAINTEXT_SECRETS_POLICY = "disallow-plaintext-secrets"
POLICY_CONFIG_DIR = Path(__file__).resolve().parent.parent / "policies" / "config"


class ConfigError(pulumi.RunError):
    """Bad stack config. The message is one line: ``<namespace>:<key path>: <problem>; allowed: ...``."""

    def __init__(self, path: str, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{NAMESPACE}:{path}: {problem}")


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", alias_generator=to_camel, populate_by_name=True)


PositiveInt = Annotated[int, Field(ge=1)]
NonEmptyStr = Annotated[str, Field(min_length=1)]


class ScheduledScaling(_Model):
    """A scheduled change of a service's capacity range, e.g. scale to zero at night."""

    name: Annotated[str, Field(pattern=SCHEDULE_NAME)]
    """Name of the scheduled action (unique within the service)."""
    schedule: Annotated[str, Field(pattern=SCHEDULE_EXPRESSION)]
    """Application Auto Scaling schedule expression: cron(...), rate(...) or at(...)."""
    min_count: Annotated[int, Field(ge=0)]
    """Minimum task count from this time on."""
    max_count: Annotated[int, Field(ge=0)]
    """Maximum task count from this time on."""
    timezone: str = "UTC"
    """IANA time zone the cron expression is read in."""


class PolicyStatement(_Model):
    """One IAM statement granted to a service's task role."""

    effect: Literal["Allow", "Deny"] = "Allow"
    """Allow or Deny."""
    actions: Annotated[tuple[str, ...], Field(min_length=1)]
    """IAM actions, e.g. s3:GetObject."""
    resources: Annotated[tuple[str, ...], Field(min_length=1)]
    """Resource ARNs the actions apply to."""


BakeMinutes = Annotated[int, Field(ge=facts.BAKE_MINUTES_MIN, le=facts.BAKE_MINUTES_MAX)]


class CandidateTraffic(_Model):
    """How a release is tried before production traffic moves: a test listener of its own, or a header rule."""

    port: Annotated[int, Field(ge=1, le=65535)] | None = None
    """Port of a test listener on the load balancer, reachable only from testTrafficCidrs; exclusive with header."""
    header: Annotated[str, Field(pattern=HEADER_NAME)] | None = None
    """Header (e.g. X-Release) whose value sends a request to the new version; exclusive with port."""
    header_value: Annotated[str, Field(pattern=HEADER_VALUE)] = "candidate"
    """Value of that header that selects the new version."""


class LifecycleHook(_Model):
    """One lifecycle hook: a pause, or a Lambda function, at one stage of a release."""

    stage: Literal[facts.LIFECYCLE_STAGES]  # type: ignore[valid-type]
    """Lifecycle stage the hook runs at."""
    lambda_arn: str | None = None
    """Lambda function ECS invokes at the stage; its answer continues or rolls back the release."""
    pause: bool = False
    """Hold the release until ContinueServiceDeployment continues or rolls it back; exclusive with lambdaArn."""
    timeout_minutes: Annotated[int, Field(ge=facts.HOOK_TIMEOUT_MINUTES_MIN,
                                          le=facts.HOOK_TIMEOUT_MINUTES_MAX)] | None = None
    """Minutes a pause lasts before onTimeout applies; null: 1440. Pause hooks only."""
    on_timeout: Literal[tuple(TIMEOUT_WORDS)] | None = None  # type: ignore[valid-type]
    """What happens when a pause times out; null: rollback. Pause hooks only."""


class DeploymentSettings(_Model):
    """How ECS releases a new version of the service."""

    strategy: Literal[tuple(STRATEGY_WORDS)] = "rolling"  # type: ignore[valid-type]
    """rolling replaces tasks in place; the others start the new version beside the old and move traffic."""
    bake_minutes: BakeMinutes | None = None
    """Minutes both versions run after all traffic has moved; required with blue-green, canary and linear."""
    canary_percent: Annotated[float, Field(ge=facts.CANARY_PERCENT_MIN, le=facts.CANARY_PERCENT_MAX)] | None = None
    """Share of production traffic (%) the new version takes first; canary only, required there."""
    canary_bake_minutes: BakeMinutes | None = None
    """Minutes the canary share runs before the rest of the traffic moves; canary only, required there."""
    linear_step_percent: Annotated[float, Field(ge=facts.LINEAR_STEP_PERCENT_MIN,
                                                le=facts.LINEAR_STEP_PERCENT_MAX)] | None = None
    """Share of production traffic (%) each step moves; linear only, required there."""
    linear_step_bake_minutes: BakeMinutes | None = None
    """Minutes between two steps; linear only, required there."""
    test_traffic: CandidateTraffic | None = None
    """How the new version is tried before production traffic moves; null: no test traffic."""
    hooks: tuple[LifecycleHook, ...] = ()
    """Lifecycle hooks, each at one stage of the release."""
    rollback_on_alarms: bool = True
    """The service's critical alarms watch the new version's target group too, and roll the release back."""

    @property
    def ecs_strategy(self) -> str:
        """The strategy as ECS names it (ROLLING, BLUE_GREEN, CANARY, LINEAR)."""
        return STRATEGY_WORDS[self.strategy]

    @property
    def shifts_traffic(self) -> bool:
        """Whether the new version starts beside the old one and traffic moves to it."""
        return self.ecs_strategy in facts.TRAFFIC_SHIFTING_STRATEGIES

Capacity = Literal["fargate", "fargate-spot", "managed-instances"]
MANAGED_INSTANCES = "managed-instances"


class CapacityShare(_Model):
    """One entry of a service's capacity provider strategy."""

    capacity: Capacity
    """fargate (FARGATE), fargate-spot (FARGATE_SPOT) or managed-instances (the stack's provider)."""
    weight: Annotated[int, Field(ge=0, le=facts.STRATEGY_WEIGHT_MAX)] = 1
    """Relative share of the tasks above the bases."""
    base: Annotated[int, Field(ge=0, le=facts.STRATEGY_BASE_MAX)] = 0
    """Tasks always placed here first (only one entry may have a base)."""


class VolumeSettings(_Model):
    """An EBS volume ECS creates for each task and mounts into the container, writable."""

    name: Annotated[str, Field(pattern=VOLUME_NAME)]
    """Volume name: letters, digits, hyphens and underscores (not tmp)."""
    mount_path: Annotated[str, Field(pattern=ABSOLUTE_PATH)]
    """Absolute path the container sees the volume at (not /tmp)."""
    size_gib: PositiveInt
    """Size in GiB (gp3: 1-16384, io2: 4-16384)."""
    type: Literal[tuple(facts.EBS_VOLUME_TYPES)] = facts.EBS_DEFAULT_VOLUME_TYPE  # type: ignore[valid-type]
    """EBS volume type."""
    iops: PositiveInt | None = None
    """Provisioned IOPS (gp3: 3000-16000, at most 500 per GiB; io2: 100-256000, required); null: gp3's 3000."""
    throughput: PositiveInt | None = None
    """Throughput in MiB/s (gp3 only: 125-1000, at most 0.25 per IOPS); null: gp3's 125."""


class ManagedInstancesSettings(_Model):
    """ECS Managed Instances: EC2 capacity that AWS picks, patches and replaces, beside Fargate."""

    enabled: bool = False
    """Create the stack's Managed Instances capacity provider (services choose it with capacity)."""
    architecture: Literal[tuple(facts.CPU_MANUFACTURERS)] = "X86_64"  # type: ignore[valid-type]
    """CPU architecture of the instances; the services on them use the same."""
    vcpu_min: PositiveInt = 1
    """Fewest vCPUs an instance may have."""
    vcpu_max: PositiveInt | None = None
    """Most vCPUs an instance may have; null leaves it open."""
    memory_min_mib: Annotated[int, Field(ge=0)] = 1024
    """Least memory (MiB) an instance may have."""
    memory_max_mib: PositiveInt | None = None
    """Most memory (MiB) an instance may have; null leaves it open."""
    instance_types: tuple[str, ...] = ()
    """Allowed instance types or families (g5.xlarge, m7g.*); empty lets ECS choose within the ranges."""
    accelerator_types: tuple[Literal[facts.ACCELERATOR_TYPES], ...] = ()  # type: ignore[valid-type]
    """Accelerators the instances must have: gpu, fpga, inference; empty requires none."""
    accelerator_manufacturers: tuple[Literal[facts.ACCELERATOR_MANUFACTURERS], ...] = ()  # type: ignore[valid-type]
    """Accelerator makers to choose from (nvidia, amd, ...); empty allows any."""
    accelerator_count_min: Annotated[int, Field(ge=0)] | None = None
    """Fewest accelerators (GPUs) an instance may have."""
    accelerator_count_max: Annotated[int, Field(ge=0)] | None = None
    """Most accelerators (GPUs) an instance may have; null leaves it open."""
    capacity_option: Literal["on-demand", "spot"] = "on-demand"
    """Buy the instances on demand, or as Spot capacity AWS may reclaim."""
    storage_gib: Annotated[int, Field(ge=facts.MANAGED_INSTANCES_STORAGE_MIN_GIB,
                                      le=facts.MANAGED_INSTANCES_STORAGE_MAX_GIB)] | None = None
    """Size (GiB) of each instance's volume for task data; null keeps AWS's default."""
    subnet_ids: tuple[str, ...] = ()
    """Private subnets to launch into (of existingPrivateSubnetIds); empty: every private subnet of the stack."""


class ServiceSettings(_Model):
    """One ECS service: its task, routing, scaling and deployment settings."""

    name: str
    """Service name: lowercase letters, digits and hyphens, at most 24 characters."""
    image: str | None = None
    """Pinned image URI (tag other than latest, or @sha256 digest). Exclusive with build."""
    build: str | None = None
    """Directory with a Dockerfile, relative to the project; built and pushed to a private ECR repository."""
    cpu: int = 256
    """Task CPU units: on Fargate 256, 512, 1024, 2048, 4096, 8192 or 16384; on managed instances 128-196608."""
    memory: int = 512
    """Task memory in MiB: on Fargate valid for the CPU per the Fargate size table; on managed instances any."""
    architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """CPU architecture of the task."""
    ephemeral_storage_gib: Annotated[int, Field(ge=facts.EPHEMERAL_STORAGE_MIN_GIB,
                                                le=facts.EPHEMERAL_STORAGE_MAX_GIB)] | None = None
    """Ephemeral storage in GiB (21-200); unset keeps Fargate's 20 GiB."""
    container_port: Annotated[int, Field(ge=1, le=65535)] = 8080
    """Port the container listens on."""
    command: Annotated[tuple[NonEmptyStr, ...], Field(min_length=1)] | None = None
    """Command the container runs (arguments to the entry point); null keeps the image's CMD."""
    entry_point: Annotated[tuple[NonEmptyStr, ...], Field(min_length=1)] | None = None
    """Entry point of the container; null keeps the image's ENTRYPOINT."""
    working_directory: Annotated[str, Field(pattern=ABSOLUTE_PATH)] | None = None
    """Absolute directory the command runs in; null keeps the image's WORKDIR."""
    health_check_path: Annotated[str, Field(pattern=URL_PATH)] = "/health"
    """HTTP path the load balancer's target group health check requests."""
    health_check_command: tuple[str, ...] | None = None
    """Container health check (ECS form, e.g. ["CMD", "python3", "/app/healthcheck.py"]); required when internal."""
    environment: Mapping[str, str] = Field(default_factory=dict)
    """Plain environment variables, never secrets (use ``secrets``); checked as disallow-plaintext-secrets does."""
    secrets: Mapping[str, str] = Field(default_factory=dict)
    """Environment variable name -> SSM parameter or Secrets Manager secret ARN."""
    path_patterns: tuple[str, ...] = ("/*",)
    """Listener rule path patterns routed to this service."""
    host_headers: tuple[str, ...] = ()
    """Listener rule host headers routed to this service (optional)."""
    priority: Annotated[int, Field(ge=1, le=50000)] = 100
    """Listener rule priority; unique across services."""
    desired_count: Annotated[int, Field(ge=0)] = 1
    """Task count at creation; the autoscaler owns it afterwards."""
    min_count: Annotated[int, Field(ge=0)] = 1
    """Autoscaling minimum task count."""
    max_count: PositiveInt = 4
    """Autoscaling maximum task count."""
    cpu_target: Annotated[float, Field(gt=0, le=100)] | None = 60.0
    """Target average CPU utilisation (%); null disables the policy."""
    memory_target: Annotated[float, Field(gt=0, le=100)] | None = 75.0
    """Target average memory utilisation (%); null disables the policy."""
    requests_per_target: PositiveInt | None = None
    """Target ALB requests per task per minute; null disables the policy."""
    scale_in_cooldown: Annotated[int, Field(ge=0, le=3600)] = 300
    """Seconds after a scale-in before another scale-in."""
    scale_out_cooldown: Annotated[int, Field(ge=0, le=3600)] = 60
    """Seconds after a scale-out before another scale-out."""
    schedules: tuple[ScheduledScaling, ...] = ()
    """Scheduled capacity changes."""
    min_healthy_percent: Annotated[int, Field(ge=0, le=100)] = 100
    """Deployment minimum healthy percent."""
    max_percent: Annotated[int, Field(ge=100, le=400)] = 200
    """Deployment maximum percent."""
    health_check_grace_period: Annotated[int, Field(ge=0, le=2147483647)] = 60
    """Seconds ECS ignores load balancer health checks after a task starts."""
    enable_exec: bool = False
    """Allow ECS Exec sessions into this service's tasks (logged)."""
    task_role_statements: tuple[PolicyStatement, ...] = ()
    """IAM statements granted to the task role; nothing else is granted."""
    user: str = "1000:1000"
    """User (uid[:gid]) the container runs as; root is refused."""
    readonly_root_filesystem: bool = True
    """Mount the container's root filesystem read-only."""
    internal: bool = False
    """Internal service: reachable only through Service Connect by its callers, with no load balancer route."""
    callers: tuple[str, ...] = ()
    """Names of the services allowed to call this one through Service Connect."""
    deployment_alarms: bool = True
    """Roll back a deployment when this service's critical alarms fire."""
    deployment: DeploymentSettings = Field(default_factory=DeploymentSettings)
    """How a new version is released: strategy, bake time, test traffic, lifecycle hooks."""

    capacity: Capacity | None = None
    """fargate, fargate-spot or managed-instances; null: the stack's fargateBase/fargateWeight/fargateSpotWeight."""
    capacity_provider_strategy: tuple[CapacityShare, ...] = ()
    """Capacities mixed by weight and base, instead of capacity (Fargate and managed instances never mix)."""
    gpus: Annotated[int, Field(ge=0)] = 0
    """GPUs reserved for the container; only on managed-instances capacity with GPU instances."""
    volumes: tuple[VolumeSettings, ...] = ()
    """EBS volume attached to each task (at most one), encrypted with the stack's KMS key when there is one."""


class StackSettings(_Model):
    """Every setting of one stack, validated."""

    environment: Annotated[str, Field(min_length=1, max_length=64)] = "dev"
    """Environment tag value."""
    owner: Annotated[str, Field(min_length=1, max_length=128)] = "platform-team"
    """Owner tag value."""
    cost_center: Annotated[str, Field(min_length=1, max_length=128)] = "engineering"
    """CostCenter tag value."""
    extra_tags: tuple[str, ...] = ()
    """Additional tags as Key=Value strings."""
    protect: bool = False
    """Protect stateful resources (log groups, buckets, repositories, keys) from deletion."""
    vpc_cidr: str = "10.0.0.0/16"
    """CIDR of a created VPC (/16 to /22)."""
    az_count: Annotated[int, Field(ge=2, le=6)] = 2
    """Availability zones the created VPC spans."""
    availability_zones: tuple[str, ...] = ()
    """Explicit AZ names; empty looks them up in the region."""
    nat_strategy: Literal["single", "one-per-az", "none"] = "single"
    """NAT gateways: one shared, one per AZ, or none (use VPC endpoints)."""
    vpc_endpoints: bool = False
    """Create ECR, logs, Secrets Manager, SSM interface endpoints and an S3 gateway endpoint."""
    existing_vpc_id: str = ""
    """Use this VPC instead of creating one."""
    existing_private_subnet_ids: tuple[str, ...] = ()
    """Private subnets of the existing VPC (tasks run here)."""
    existing_public_subnet_ids: tuple[str, ...] = ()
    """Public subnets of the existing VPC (the load balancer runs here)."""
    flow_log_retention_days: int = 14
    """Retention of the VPC flow log group (days)."""
    log_retention_days: int = 14
    """Retention of service and ECS Exec log groups (days)."""
    kms_key_arn: str = ""
    """Existing KMS key for logs, ECS Exec and SNS; exclusive with createKmsKey."""
    create_kms_key: bool = False
    """Create a rotating KMS key for logs and ECS Exec sessions."""
    container_insights: Literal["enabled", "enhanced", "disabled"] = "enabled"
    """ECS Container Insights level."""
    fargate_base: Annotated[int, Field(ge=0, le=100000)] = 0
    """Tasks always placed on FARGATE before weights apply."""
    fargate_weight: Annotated[int, Field(ge=0, le=1000)] = 1
    """Relative weight of FARGATE in the default capacity provider strategy."""
    fargate_spot_weight: Annotated[int, Field(ge=0, le=1000)] = 0
    """Relative weight of FARGATE_SPOT in the default capacity provider strategy."""
    fargate_ephemeral_storage_kms: bool = False
    """Encrypt every Fargate task's ephemeral storage with the stack's KMS key (createKmsKey or kmsKeyArn)."""
    managed_instances: ManagedInstancesSettings = Field(default_factory=ManagedInstancesSettings)
    """ECS Managed Instances capacity beside Fargate; off unless enabled (see its fields below)."""
    certificate_arn: str = ""
    """ACM certificate ARN for the HTTPS listener."""
    allow_http_only: bool = False
    """Permit an HTTP-only load balancer when no certificate is given."""
    ingress_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    """CIDRs allowed to reach the load balancer on 80/443."""
    deletion_protection: bool = False
    """Load balancer deletion protection."""
    ssl_policy: str = facts.ELB_RECOMMENDED_TLS_POLICY
    """ELB security policy of the HTTPS listener (a TLS 1.3 policy)."""
    access_log_expiration_days: Annotated[int, Field(ge=1, le=3650)] = 90
    """Days before load balancer access logs expire."""
    alb_idle_timeout: Annotated[int, Field(ge=1, le=4000)] = 60
    """Load balancer idle timeout (seconds)."""
    alarm_emails: tuple[str, ...] = ()
    """Email addresses subscribed to the alarm topic."""
    alarm_https_endpoints: tuple[str, ...] = ()
    """HTTPS endpoints (e.g. a paging service's webhook) subscribed to the alarm topic."""
    alarm_cpu_percent: Annotated[int, Field(ge=1, le=100)] = 80
    """Service CPU utilisation (%) that raises the CPU alarm."""
    alarm_memory_percent: Annotated[int, Field(ge=1, le=100)] = 85
    """Service memory utilisation (%) that raises the memory alarm."""
    alarm_target_5xx_percent: Annotated[int, Field(ge=1, le=100)] = 5
    """Share of a service's requests answered 5xx by its targets (%) that raises the 5xx alarm."""
    alarm_p99_latency_ms: Annotated[int, Field(ge=1, le=300000)] = 2000
    """p99 target response time (milliseconds) that raises the latency alarm."""
    alarm_alb_5xx_count: PositiveInt = 10
    """5xx responses generated by the load balancer itself per period that raise its alarm."""
    alarm_rejected_connections: PositiveInt = 1
    """Connections the load balancer rejected per period that raise its alarm."""
    alarm_period_seconds: Literal[60, 300, 900, 3600] = 60
    """Alarm metric period (seconds)."""
    alarm_evaluation_periods: Annotated[int, Field(ge=1, le=100)] = 3
    """Consecutive breaching periods before an alarm fires."""
    waf_enabled: bool = False
    """Associate the load balancer with a WAFv2 web ACL (managed rule groups and a rate limit)."""
    waf_rate_limit: Annotated[int, Field(ge=10, le=2000000000)] = 2000
    """Requests per 5 minutes from one IP before the WAF rate rule blocks it."""
    test_traffic_cidrs: tuple[str, ...] = ()
    """CIDRs allowed to reach the test listeners of services released with testTraffic.port; never 0.0.0.0/0."""
    services: Annotated[tuple[ServiceSettings, ...], Field(min_length=1)]
    """The ECS services to run; see the config reference."""

    @property
    def tags(self) -> dict[str, str]:
        """Tags applied to every taggable resource."""
        tags = {"Environment": self.environment, "Owner": self.owner, "CostCenter": self.cost_center,
                "ManagedBy": "pulumi", "Project": NAMESPACE}
        for pair in self.extra_tags:
            key, _, value = pair.partition("=")
            tags[key] = value
        return tags

    @property
    def https(self) -> bool:
        """Whether the load balancer terminates HTTPS."""
        return bool(self.certificate_arn)


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------
def _field_is_text(model: type[BaseModel], key: str) -> bool:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            annotation = info.annotation
            if getattr(annotation, "__origin__", None) is Literal:
                return all(isinstance(value, str) for value in annotation.__args__)
            return annotation in (str, str | None)
    return False


def _decode(raw: Any, text: bool) -> Any:
    """Config values arrive as strings; structured ones as JSON. Keep text fields as given."""
    if not isinstance(raw, str) or text:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def parse_settings(values: Mapping[str, Any], *, allowed_secret_names: Sequence[str] = ()) -> StackSettings:
    """Validate raw config values (keys without namespace; values as JSON text or decoded).

    ``allowed_secret_names`` are environment variable names that look like
    secrets but hold none, as the pack's ``disallow-plaintext-secrets`` takes them.
    """
    decoded = {key: _decode(raw, _field_is_text(StackSettings, key)) for key, raw in values.items()}
    try:
        settings = StackSettings.model_validate(decoded)
    except ValidationError as exc:
        raise _explain(exc.errors()[0]) from None
    _check_semantics(settings, allowed_secret_names)
    return settings


def load_settings(config: pulumi.Config | None = None) -> StackSettings:
    """Read every ``fargate-platform:*`` key of the running stack and validate it."""
    prefix = f"{NAMESPACE}:"
    raw = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    values = {key[len(prefix):]: value for key, value in raw.items() if key.startswith(prefix)}
    return parse_settings(values, allowed_secret_names=plaintext_allowed_names(pulumi.get_stack()))


def plaintext_allowed_names(stack: str) -> tuple[str, ...]:
    """The ``allowedNames`` of ``disallow-plaintext-secrets`` in ``policies/config/<stack>.json``.

    Settings refuse a secret-looking environment variable unless the pack would
    let it through, so they read the list the pack is given. A stack with no
    policy config has the pack's default: no names.
    """
    path = POLICY_CONFIG_DIR / f"{stack}.json"
    shown = f"policies/config/{stack}.json"
    if not path.is_file():
        return ()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise pulumi.RunError(f"{shown}: cannot be read as JSON ({exc.__class__.__name__})") from None
    entry = document.get(PLAINTEXT_SECRETS_POLICY) if isinstance(document, dict) else None
    names = entry.get("allowedNames", []) if isinstance(entry, dict) else []
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise pulumi.RunError(f"{shown}: {PLAINTEXT_SECRETS_POLICY}.allowedNames must be a list of names")
    return tuple(names)


# ---------------------------------------------------------------------------
# Pydantic's errors, said in the config's words
# ---------------------------------------------------------------------------
_NOUNS: dict[type[BaseModel], str] = {ServiceSettings: "service", ScheduledScaling: "schedule",
                                      PolicyStatement: "IAM statement", DeploymentSettings: "deployment",
                                      CandidateTraffic: "test traffic route", LifecycleHook: "lifecycle hook",
                                      CapacityShare: "capacity share", VolumeSettings: "volume",
                                      ManagedInstancesSettings: "managed instances configuration"}


def _path(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _keys(model: type[BaseModel]) -> dict[str, FieldInfo]:
    """A model's fields by the keys the config may use: the camelCase alias and the Python name."""
    keys: dict[str, FieldInfo] = {}
    for name, info in model.model_fields.items():
        keys[name] = keys[info.alias or name] = info
    return keys


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """``annotation`` without Annotated and ``| None``: (the type, its constraints, whether null is allowed)."""
    constraints: list[Any] = []
    nullable = False
    while True:
        if typing.get_origin(annotation) is Annotated:
            annotation, *extra = typing.get_args(annotation)
            for item in extra:
                constraints.extend(item.metadata if isinstance(item, FieldInfo) else [item])
        elif typing.get_origin(annotation) in (typing.Union, types.UnionType):
            others = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(others) < len(typing.get_args(annotation))
            annotation = others[0]
        else:
            return annotation, constraints, nullable


def _item_type(annotation: Any) -> Any:
    """The type of a list's items (``tuple[X, ...]``) or a map's values (``Mapping[str, X]``)."""
    kind = _unwrap(annotation)[0]
    args = typing.get_args(kind)
    return args[0] if typing.get_origin(kind) is tuple else args[-1]


def _is_model(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, BaseModel)


def _inner_model(annotation: Any) -> tuple[type[BaseModel] | None, bool]:
    """The model a field holds (``services`` a list of services, ``deployment`` one), if any, and whether in a list."""
    kind = _unwrap(annotation)[0]
    if typing.get_origin(kind) is tuple:
        item = _item_type(kind)
        return (item, True) if _is_model(item) else (None, False)
    return (kind, False) if _is_model(kind) else (None, False)


def _object_model(annotation: Any) -> type[BaseModel] | None:
    """The model an object field is (``managedInstances``), if any."""
    kind = _unwrap(annotation)[0]
    return kind if isinstance(kind, type) and issubclass(kind, BaseModel) else None


def _locate(model: type[BaseModel], loc: Sequence[Any]) -> tuple[type[BaseModel], FieldInfo | None, tuple[Any, ...]]:
    """Where an error points: the model holding the key, the key's field (None if unknown), and the parts below."""
    if not loc or not isinstance(loc[0], str) or loc[0] not in _keys(model):
        return model, None, tuple(loc)
    info = _keys(model)[loc[0]]
    below = tuple(loc[1:])
    inner, listed = _inner_model(info.annotation)
    if inner is not None and listed and len(below) >= 2 and isinstance(below[0], int):
        return _locate(inner, below[1:])
    if inner is not None and not listed and below and isinstance(below[0], str):
        return _locate(inner, below)

    obj = _object_model(info.annotation)
    if obj is not None and below and isinstance(below[0], str):
        return _locate(obj, below)
    return model, info, below


def _words(annotation: Any, constraints: Sequence[Any] = ()) -> str:
    """What a value of this type is, in the config's words: "a whole number", "a list of at least one service"."""
    kind, own, nullable = _unwrap(annotation)
    origin = typing.get_origin(kind)
    if origin is Literal:
        words = "one of " + ", ".join(json.dumps(v) for v in typing.get_args(kind))
    elif origin is tuple:
        noun = _NOUNS.get(_item_type(kind), "string")
        least = next((c.min_length for c in [*constraints, *own] if getattr(c, "min_length", None)), 0)
        words = f"a list of at least one {noun}" if least == 1 else f"a list of {noun}s"
    elif origin in (Mapping, dict):
        words = "a map of names to strings"
    elif kind in _NOUNS:
        noun = _NOUNS[kind]
        words = f"{'an' if noun[0] in 'AEIOUaeiou' else 'a'} {noun}: an object of its settings"
    else:
        words = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}.get(kind, "valid")
    return words + " or null" if nullable else words


def _bounds(constraints: Sequence[Any]) -> dict[str, Any]:
    """A number's bounds (ge, gt, le, lt) from a field's constraints."""
    return {name: getattr(c, name) for c in constraints for name in ("ge", "gt", "le", "lt")
            if getattr(c, name, None) is not None}


def _range(bounds: Mapping[str, Any]) -> str:
    """Bounds in words: "2 to 6", "at least 1", "above 0 and at most 100"."""
    def number(value: Any) -> str:
        return str(int(value)) if float(value).is_integer() else str(value)

    if "ge" in bounds and "le" in bounds:
        return f"{number(bounds['ge'])} to {number(bounds['le'])}"
    words = {"ge": "at least", "gt": "above", "le": "at most", "lt": "below"}
    return " and ".join(f"{words[name]} {number(bounds[name])}" for name in words if name in bounds)


def _shown(value: Any, secret: bool) -> str:
    """A given value, short, for a message: a list or object by its kind, and a number that may be a PIN as such."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an empty list" if not value else "a list"
    if secret and isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    shown = json.dumps(value, default=str)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _unknown_key(key: Any, model: type[BaseModel]) -> str:
    allowed = sorted(info.alias or name for name, info in model.model_fields.items())
    by_lower = {name.lower(): name for name in allowed}
    nearest = difflib.get_close_matches(str(key).lower(), list(by_lower), n=1, cutoff=0.6)
    if nearest:
        return f"unknown key; did you mean {by_lower[nearest[0]]}?"
    return "unknown key; allowed: " + ", ".join(allowed)


def _explain(error: Mapping[str, Any]) -> ConfigError:
    """One of pydantic's errors as a :class:`ConfigError` in the config's words, never pydantic's."""
    loc = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    model, info, below = _locate(StackSettings, loc)
    if info is None:
        # The key is not one of the model's: pydantic reports that as extra_forbidden.
        return ConfigError(_path(loc), _unknown_key(below[0] if below else "", model))
    # The type at the error: the field's own, or its items' for an error inside a list or map.
    annotation = info.annotation
    for _ in below:
        annotation = _item_type(annotation)
    constraints = [*([] if below else info.metadata), *_unwrap(annotation)[1]]
    path = _path(loc)
    value = _shown(error.get("input"), secret=info is ServiceSettings.model_fields["environment"])
    if kind == "missing":
        return ConfigError(path, f"is missing; it must be {_words(annotation, constraints)}")
    if kind == "literal_error":
        return ConfigError(path, f"{value} is not allowed; allowed: {ctx.get('expected', '')}")
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        return ConfigError(path, f"{value} is out of range; allowed: {_range({**ctx, **_bounds(constraints)})}")
    if kind == "string_pattern_mismatch":
        return ConfigError(path, f"{value} is invalid; allowed: {_PATTERN_WORDS.get(ctx.get('pattern'), 'other text')}")
    if kind in ("string_too_short", "string_too_long"):
        low = next((c.min_length for c in constraints if getattr(c, "min_length", None) is not None), 0)
        high = next((c.max_length for c in constraints if getattr(c, "max_length", None) is not None), None)
        allowed = (f"{low} to {high} characters" if high is not None
                   else "text that is not empty" if low == 1 else f"at least {low} characters")
        problem = "is too long" if kind == "string_too_long" else "is too short"
        if error.get("input") == "":
            problem = "is empty"
        return ConfigError(path, f"{value} {problem}; allowed: {allowed}")
    # Every other error says the value is of the wrong kind: say what the key takes.
    return ConfigError(path, f"must be {_words(annotation, constraints)}; got {value}")


# ---------------------------------------------------------------------------
# Cross-field rules pydantic cannot express per field
# ---------------------------------------------------------------------------
def _check_cidr(path: str, cidr: str, *, min_prefix: int = 0, max_prefix: int = 32) -> None:
    try:
        net = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        raise ConfigError(path, f"'{cidr}' is not a CIDR block; expected e.g. 10.0.0.0/16") from None
    if not min_prefix <= net.prefixlen <= max_prefix:
        raise ConfigError(path, f"'{cidr}' has prefix /{net.prefixlen}; allowed: /{min_prefix} to /{max_prefix}")


def _check_secret_free(path: str, name: str, value: str, allowed_names: Sequence[str]) -> None:
    """Refuse exactly what the pack's disallow-plaintext-secrets refuses, in the config's words."""
    found = facts.plaintext_secret(name, value, allowed_names)
    if found is None:
        return
    move = "move it to `secrets` as an SSM parameter or Secrets Manager ARN"
    if found.kind == facts.SECRET_NAME:
        problem = (f"looks like a secret in plaintext; allowed: {move}, or add the name to allowedNames of "
                   f"{PLAINTEXT_SECRETS_POLICY} in the stack's policy config if it holds no secret")
    elif found.kind in (facts.ACCESS_KEY_ID, facts.SECRET_ACCESS_KEY):
        problem = (f"holds what looks like {found.what} in plaintext; allowed: no AWS keys, grant the task role "
                   "what it needs with taskRoleStatements")
    else:
        problem = f"holds what looks like {found.what} in plaintext; allowed: {move}"
    raise ConfigError(f"{path}.{name}", problem)


def _check_service(index: int, svc: ServiceSettings, allowed_secret_names: Sequence[str]) -> None:
    base = f"services[{index}]"
    if not SERVICE_NAME.match(svc.name):
        raise ConfigError(f"{base}.name", f"'{svc.name}' is invalid; allowed: lowercase letters, digits and "
                          "hyphens, starting with a letter, at most 24 characters")
    if (svc.image is None) == (svc.build is None):
        raise ConfigError(f"{base}.image", "give exactly one of image (a pinned URI) or build (a Dockerfile directory)")
    if svc.image is not None:
        last = svc.image.rsplit("/", 1)[-1]
        if "@sha256:" not in svc.image and (":" not in last or last.endswith(":latest")):
            raise ConfigError(f"{base}.image", f"'{svc.image}' is not pinned; allowed: a tag other than latest "
                              "or an @sha256 digest")
    # The Fargate size table applies to Fargate only; a task on managed instances is checked by _check_capacity.
    if not on_managed_instances(svc):
        if svc.cpu not in facts.MEMORY_BY_CPU:
            raise ConfigError(f"{base}.cpu", f"{svc.cpu} is not a Fargate size; allowed: "
                              + ", ".join(map(str, facts.VALID_CPUS)))
        allowed = facts.allowed_memory(svc.cpu)
        if svc.memory not in allowed:
            raise ConfigError(f"{base}.memory", f"{svc.memory} is not valid with cpu {svc.cpu}; allowed: "
                              + ", ".join(map(str, allowed)))
    if svc.min_count > svc.max_count:
        raise ConfigError(f"{base}.minCount", f"{svc.min_count} is greater than maxCount {svc.max_count}")
    if not svc.min_count <= svc.desired_count <= svc.max_count:
        raise ConfigError(f"{base}.desiredCount", f"{svc.desired_count} is outside minCount..maxCount "
                          f"({svc.min_count}..{svc.max_count})")
    if svc.enable_exec and svc.readonly_root_filesystem:
        raise ConfigError(f"{base}.enableExec", "ECS Exec needs a writable root filesystem; allowed: enableExec "
                          "false, or readonlyRootFilesystem: false set explicitly")
    if facts.names_no_user(svc.user):
        raise ConfigError(f"{base}.user", f"'{svc.user}' names no user, so the image chooses (most often "
                          "root); allowed: a non-root user or uid[:gid], e.g. 1000:1000")
    if facts.is_root_user(svc.user):
        raise ConfigError(f"{base}.user", f"'{svc.user}' runs as root; allowed: a non-root user or "
                          "uid[:gid], e.g. 1000:1000")
    if not svc.internal and not svc.path_patterns and not svc.host_headers:
        raise ConfigError(f"{base}.pathPatterns", "empty with no hostHeaders; allowed: at least one pattern or host")
    for name, value in svc.environment.items():
        _check_secret_free(f"{base}.environment", name, value, allowed_secret_names)
    for name, arn in svc.secrets.items():
        if not SECRET_ARN.match(arn):
            raise ConfigError(f"{base}.secrets.{name}", f"'{arn}' is not an SSM parameter or Secrets Manager ARN")
    seen: set[str] = set()
    for j, sched in enumerate(svc.schedules):
        if sched.name in seen:
            raise ConfigError(f"{base}.schedules[{j}].name", f"'{sched.name}' is used twice in this service")
        seen.add(sched.name)
        if sched.min_count > sched.max_count:
            raise ConfigError(f"{base}.schedules[{j}].minCount",
                              f"{sched.min_count} is greater than maxCount {sched.max_count}")
    if svc.internal and svc.health_check_command is None:
        raise ConfigError(f"{base}.healthCheckCommand", "is required for an internal service: no load balancer "
                          'checks its health; allowed: a command in the image, e.g. ["CMD", "python3", '
                          '"/app/healthcheck.py"]')
    if svc.internal and svc.requests_per_target is not None:
        raise ConfigError(f"{base}.requestsPerTarget", "an internal service has no load balancer requests to "
                          "scale on; allowed: null, with cpuTarget or memoryTarget")
    if svc.callers and not svc.internal:
        raise ConfigError(f"{base}.callers", "only internal services list callers (the load balancer reaches "
                          "the others); allowed: set internal: true, or remove callers")
    if svc.cpu_target is None and svc.memory_target is None and svc.requests_per_target is None \
            and svc.max_count > svc.min_count:
        raise ConfigError(f"{base}.cpuTarget", "every scaling policy is disabled but maxCount > minCount; "
                          "allowed: enable cpuTarget, memoryTarget or requestsPerTarget")


def _check_hooks(base: str, deployment: DeploymentSettings) -> None:
    stages = facts.HOOK_STAGES[deployment.ecs_strategy]
    seen: dict[tuple[str, bool], int] = {}
    for j, hook in enumerate(deployment.hooks):
        path = f"{base}.hooks[{j}]"
        if hook.stage not in stages:
            raise ConfigError(f"{path}.stage", f"'{hook.stage}' is not a stage of strategy {deployment.strategy}; "
                              "allowed: " + (", ".join(stages) or "none (a rolling deployment runs no hooks)"))
        if hook.pause == (hook.lambda_arn is not None):
            raise ConfigError(path, "give exactly one of lambdaArn (a Lambda function ECS invokes) or pause: true")
        if hook.lambda_arn is not None and not facts.LAMBDA_FUNCTION_ARN.fullmatch(hook.lambda_arn):
            raise ConfigError(f"{path}.lambdaArn", f"'{hook.lambda_arn}' is not a Lambda function ARN "
                              "(arn:aws:lambda:<region>:<account>:function:<name>[:<alias>])")
        if not hook.pause:
            for key, value in (("timeoutMinutes", hook.timeout_minutes), ("onTimeout", hook.on_timeout)):
                if value is not None:
                    raise ConfigError(f"{path}.{key}", "applies to pause hooks only; a Lambda hook ends the stage "
                                      "with its own answer; allowed: remove it, or use pause: true")
        if hook.pause and hook.stage in facts.PAUSE_EXCLUDED_STAGES:
            allowed = [stage for stage in stages if stage not in facts.PAUSE_EXCLUDED_STAGES]
            raise ConfigError(f"{path}.stage", f"a pause cannot hold a release at {hook.stage}, while traffic "
                              "moves; allowed: " + ", ".join(allowed))
        key = (hook.stage, hook.pause)
        if key in seen:
            raise ConfigError(path, f"a second {'pause' if hook.pause else 'Lambda'} hook at {hook.stage} "
                              f"(hooks[{seen[key]}] is one); allowed: one of each kind per stage")
        seen[key] = j


def _check_deployment(index: int, svc: ServiceSettings, test_traffic_cidrs: Sequence[str]) -> None:
    """The release settings of one service: each key with its strategy, test traffic and hooks ECS can run."""
    base = f"services[{index}].deployment"
    deployment = svc.deployment
    strategy = deployment.strategy
    own_keys = {"bakeMinutes": ("blue-green", "canary", "linear"), "testTraffic": ("blue-green", "canary", "linear"),
                "hooks": ("blue-green", "canary", "linear"), "canaryPercent": ("canary",),
                "canaryBakeMinutes": ("canary",), "linearStepPercent": ("linear",),
                "linearStepBakeMinutes": ("linear",)}
    given = {key: getattr(deployment, name) for name, info in DeploymentSettings.model_fields.items()
             if (key := info.alias or name) in own_keys}
    for key, strategies in own_keys.items():
        if given[key] not in (None, ()) and strategy not in strategies:
            either = " or ".join([", ".join(strategies[:-1]), strategies[-1]] if len(strategies) > 1 else strategies)
            raise ConfigError(f"{base}.{key}", f"does not apply to strategy {strategy}; allowed: strategy {either}, "
                              f"or remove {key}")
    for key, strategies in own_keys.items():
        if key not in ("testTraffic", "hooks") and strategy in strategies and given[key] is None:
            bounds = _bounds(_unwrap(DeploymentSettings.model_fields[_to_name(key)].annotation)[1])
            raise ConfigError(f"{base}.{key}", f"is required with strategy {strategy}; allowed: {_range(bounds)}")
    if deployment.rollback_on_alarms and "rollback_on_alarms" in deployment.model_fields_set \
            and not svc.deployment_alarms:
        raise ConfigError(f"{base}.rollbackOnAlarms", "is true but deploymentAlarms is false, so no alarm rolls a "
                          "release back; allowed: rollbackOnAlarms false, or deploymentAlarms true")
    traffic = deployment.test_traffic
    if traffic is not None:
        path = f"{base}.testTraffic"
        if (traffic.port is None) == (traffic.header is None):
            raise ConfigError(path, "give exactly one of port (a test listener) or header (a header rule on the "
                              "production listener)")
        if traffic.port is not None and svc.internal:
            raise ConfigError(f"{path}.port", "an internal service has no load balancer to open a test listener "
                              "on; allowed: header, which Service Connect routes to the new version")
        if traffic.port in PRODUCTION_PORTS:
            raise ConfigError(f"{path}.port", f"{traffic.port} is a production listener's port; allowed: another "
                              "port, opened to testTrafficCidrs only")
        if traffic.port is not None and not test_traffic_cidrs:
            raise ConfigError(f"{path}.port", "needs testTrafficCidrs, the only sources the test listener admits; "
                              "allowed: set testTrafficCidrs, or use header instead of port")
        if traffic.header is not None and not svc.internal and svc.priority <= 1:
            raise ConfigError(f"{path}.header", "the header rule takes the priority just before the service's, "
                              "and priority is 1; allowed: a service priority of at least 2")
    _check_hooks(base, deployment)


def _to_name(alias: str) -> str:
    """A DeploymentSettings field's Python name from its config key."""
    return next(name for name, info in DeploymentSettings.model_fields.items() if (info.alias or name) == alias)

def on_managed_instances(svc: ServiceSettings) -> bool:
    """Whether the service's tasks run on the stack's Managed Instances capacity."""
    return svc.capacity == MANAGED_INSTANCES or any(share.capacity == MANAGED_INSTANCES
                                                    for share in svc.capacity_provider_strategy)


def instance_requirements(mi: ManagedInstancesSettings) -> facts.InstanceRequirements:
    """The settings' instance requirements as the pack's facts read them."""
    return facts.InstanceRequirements(
        vcpu_min=mi.vcpu_min, vcpu_max=mi.vcpu_max, memory_min_mib=mi.memory_min_mib,
        memory_max_mib=mi.memory_max_mib, accelerator_min=mi.accelerator_count_min,
        accelerator_max=mi.accelerator_count_max, allowed_types=mi.instance_types)


def _check_managed_instances(s: StackSettings) -> None:
    mi, base = s.managed_instances, "managedInstances"
    if not mi.enabled:
        given = sorted(to_camel(name) for name in mi.model_fields_set - {"enabled"})
        if given:
            raise ConfigError(f"{base}.enabled", f"is false but {base} sets {', '.join(given)}; allowed: enabled: "
                              "true, or leave the other keys out")
        return
    for low, high, low_key, high_key in (
            (mi.vcpu_min, mi.vcpu_max, "vcpuMin", "vcpuMax"),
            (mi.memory_min_mib, mi.memory_max_mib, "memoryMinMib", "memoryMaxMib"),
            (mi.accelerator_count_min, mi.accelerator_count_max, "acceleratorCountMin", "acceleratorCountMax")):
        if low is not None and high is not None and high < low:
            raise ConfigError(f"{base}.{high_key}", f"{high} is below {low_key} {low}; allowed: at least {low}")
    if len(mi.instance_types) > facts.ALLOWED_INSTANCE_TYPES_MAX:
        raise ConfigError(f"{base}.instanceTypes", f"lists {len(mi.instance_types)} types; allowed: at most "
                          f"{facts.ALLOWED_INSTANCE_TYPES_MAX}")
    seen: set[str] = set()
    for i, name in enumerate(mi.instance_types):
        where = f"{base}.instanceTypes[{i}]"
        if not facts.is_instance_type_name(name):
            raise ConfigError(where, f"'{name}' is not an instance type; allowed: a type such as g5.xlarge or a "
                              "family such as g5.*")
        if name in seen:
            raise ConfigError(where, f"'{name}' is listed twice")
        seen.add(name)
        known = facts.INSTANCE_TYPES.get(name)
        if known is not None and known.architecture != mi.architecture:
            raise ConfigError(where, f"'{name}' is {known.architecture} but architecture is {mi.architecture}; "
                              f"allowed: {mi.architecture} instance types")
    if facts.known_instance_types(instance_requirements(mi)) == []:
        raise ConfigError(f"{base}.instanceTypes", "no listed type has the vCPUs, memory and accelerators the "
                          "ranges ask for; allowed: types within vcpuMin..vcpuMax, memoryMinMib..memoryMaxMib "
                          "and acceleratorCountMin..acceleratorCountMax")
    if (mi.accelerator_count_min or 0) > 0 and not mi.accelerator_types:
        raise ConfigError(f"{base}.acceleratorTypes", f"is empty but acceleratorCountMin is "
                          f"{mi.accelerator_count_min}; allowed: the kinds to count, e.g. [gpu]")
    for i, subnet in enumerate(mi.subnet_ids):
        where = f"{base}.subnetIds[{i}]"
        if not s.existing_vpc_id:
            raise ConfigError(where, "the stack creates its VPC, whose private subnets are used; allowed: leave "
                              "subnetIds empty, or set existingVpcId with existingPrivateSubnetIds")
        if subnet in s.existing_public_subnet_ids:
            raise ConfigError(where, f"'{subnet}' is a public subnet; allowed: private subnets only: "
                              + ", ".join(s.existing_private_subnet_ids))
        if subnet not in s.existing_private_subnet_ids:
            raise ConfigError(where, f"'{subnet}' is not one of existingPrivateSubnetIds; allowed: "
                              + ", ".join(s.existing_private_subnet_ids))


def _check_strategy(base: str, svc: ServiceSettings) -> None:
    shares = svc.capacity_provider_strategy
    key = f"{base}.capacityProviderStrategy"
    if svc.capacity is not None:
        raise ConfigError(key, "is given with capacity; allowed: one of capacity or capacityProviderStrategy")
    if len(shares) > facts.STRATEGY_MAX_PROVIDERS:
        raise ConfigError(key, f"has {len(shares)} entries; allowed: at most {facts.STRATEGY_MAX_PROVIDERS}")
    seen: set[str] = set()
    for j, share in enumerate(shares):
        if share.capacity in seen:
            raise ConfigError(f"{key}[{j}].capacity", f"'{share.capacity}' is listed twice")
        seen.add(share.capacity)
    if MANAGED_INSTANCES in seen and len(seen) > 1:
        raise ConfigError(key, "mixes managed-instances with Fargate, which AWS refuses; allowed: fargate and "
                          "fargate-spot together, or managed-instances alone")
    bases = [j for j, share in enumerate(shares) if share.base > 0]
    if len(bases) > 1:
        raise ConfigError(f"{key}[{bases[1]}].base", "a second entry with a base, which AWS refuses; allowed: a "
                          "base on one entry only")
    if shares and not any(share.weight > 0 for share in shares):
        raise ConfigError(key, "every weight is 0; allowed: at least one weight above 0")


def _check_capacity(index: int, svc: ServiceSettings, s: StackSettings) -> None:
    """Where the tasks run, and what their capacity accepts of their size and GPUs."""
    base = f"services[{index}]"
    if svc.capacity_provider_strategy:
        _check_strategy(base, svc)
    mi = s.managed_instances
    if not on_managed_instances(svc):
        if svc.gpus:
            raise ConfigError(f"{base}.gpus", f"{svc.gpus} on Fargate, which has no GPUs; allowed: 0, or capacity: "
                              "managed-instances with GPU instances")
        return
    key = f"{base}.capacity" if svc.capacity is not None else f"{base}.capacityProviderStrategy"
    if not mi.enabled:
        raise ConfigError(key, "is managed-instances but the stack has none; allowed: fargate or fargate-spot, or "
                          "set managedInstances.enabled: true")
    if not facts.EC2_TASK_CPU_MIN <= svc.cpu <= facts.EC2_TASK_CPU_MAX:
        raise ConfigError(f"{base}.cpu", f"{svc.cpu} is out of range on managed instances; allowed: "
                          f"{facts.EC2_TASK_CPU_MIN} to {facts.EC2_TASK_CPU_MAX}")
    if svc.memory < facts.CONTAINER_MEMORY_MIN_MIB:
        raise ConfigError(f"{base}.memory", f"{svc.memory} is too small; allowed: at least "
                          f"{facts.CONTAINER_MEMORY_MIN_MIB}")
    if svc.ephemeral_storage_gib is not None:
        raise ConfigError(f"{base}.ephemeralStorageGib", "applies to Fargate tasks only; allowed: null (on managed "
                          "instances, size the instances' volume with managedInstances.storageGib)")
    if svc.architecture != mi.architecture:
        raise ConfigError(f"{base}.architecture", f"{svc.architecture} differs from managedInstances.architecture "
                          f"{mi.architecture}; allowed: {mi.architecture}")
    fit = facts.task_fit(instance_requirements(mi), svc.cpu, svc.memory, svc.gpus)
    if fit.fits:
        return
    largest = (f"{'any number of' if fit.vcpus is None else fit.vcpus} vCPUs, "
               f"{'any' if fit.memory_mib is None else fit.memory_mib} MiB, "
               f"{'any number of' if fit.gpus is None else fit.gpus} GPU(s)")
    if fit.vcpus is not None and svc.cpu > fit.vcpus * 1024:
        field = "cpu"
    elif fit.memory_mib is not None and svc.memory > fit.memory_mib:
        field = "memory"
    else:
        field = "gpus"
    raise ConfigError(f"{base}.{field}", f"a task of cpu {svc.cpu}, memory {svc.memory} and {svc.gpus} GPU(s) is "
                      f"larger than every instance managedInstances allows (at most {largest}); allowed: a task "
                      "that fits, or larger instanceTypes / vcpuMax / memoryMaxMib / acceleratorCountMax")


def _check_volumes(index: int, svc: ServiceSettings) -> None:
    base = f"services[{index}].volumes"
    if len(svc.volumes) > facts.EBS_VOLUMES_PER_TASK_MAX:
        raise ConfigError(base, f"lists {len(svc.volumes)} volumes; allowed: at most "
                          f"{facts.EBS_VOLUMES_PER_TASK_MAX} (ECS attaches one EBS volume per task)")
    for j, volume in enumerate(svc.volumes):
        where = f"{base}[{j}]"
        if volume.name == TMP_VOLUME_NAME:
            raise ConfigError(f"{where}.name", f"'{volume.name}' is the service's own /tmp volume; allowed: "
                              "another name")
        if volume.mount_path.rstrip("/") in ("", "/tmp"):
            raise ConfigError(f"{where}.mountPath", f"'{volume.mount_path}' is taken (the root filesystem or /tmp); "
                              "allowed: another absolute path, e.g. /data")
        for field, problem in facts.ebs_volume_problems(volume.type, volume.size_gib, volume.iops, volume.throughput):
            raise ConfigError(f"{where}.{field}", problem)


def _check_semantics(s: StackSettings, allowed_secret_names: Sequence[str]) -> None:
    _check_cidr("vpcCidr", s.vpc_cidr, min_prefix=16, max_prefix=22)
    for i, cidr in enumerate(s.ingress_cidrs):
        _check_cidr(f"ingressCidrs[{i}]", cidr)
    for i, pair in enumerate(s.extra_tags):
        if not TAG_PAIR.match(pair):
            raise ConfigError(f"extraTags[{i}]", f"'{pair}' is not Key=Value")
    for key, days in (("logRetentionDays", s.log_retention_days), ("flowLogRetentionDays", s.flow_log_retention_days)):
        if days not in facts.LOG_RETENTION_DAYS:
            raise ConfigError(key, f"{days} is not a CloudWatch retention; allowed: "
                              + ", ".join(map(str, facts.LOG_RETENTION_DAYS)))
    if s.kms_key_arn and s.create_kms_key:
        raise ConfigError("kmsKeyArn", "set together with createKmsKey; allowed: one of them")
    if s.kms_key_arn and not re.match(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)/.+$", s.kms_key_arn):
        raise ConfigError("kmsKeyArn", f"'{s.kms_key_arn}' is not a KMS key ARN")
    if s.fargate_weight + s.fargate_spot_weight == 0:
        raise ConfigError("fargateWeight", "fargateWeight and fargateSpotWeight are both 0; allowed: at least one > 0")
    if s.certificate_arn and not re.match(r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/.+$",
                                          s.certificate_arn):
        raise ConfigError("certificateArn", f"'{s.certificate_arn}' is not an ACM certificate ARN")
    if not s.certificate_arn and not s.allow_http_only:
        raise ConfigError("certificateArn", "is empty, so the load balancer would serve HTTP only; allowed: an ACM "
                          "certificate ARN, or set allowHttpOnly: true explicitly")
    if facts.elb_policy_tls(s.ssl_policy) not in ((2, True), (3, True)):
        raise ConfigError("sslPolicy", f"'{s.ssl_policy}' is not a TLS 1.3 policy; allowed: an "
                          f"ELBSecurityPolicy-TLS13-1-2-* or -TLS13-1-3-* policy, such as "
                          f"'{facts.ELB_RECOMMENDED_TLS_POLICY}'")
    if s.existing_vpc_id:
        if not re.match(r"^vpc-[0-9a-f]{8,17}$", s.existing_vpc_id):
            raise ConfigError("existingVpcId", f"'{s.existing_vpc_id}' is not a VPC id (vpc-...)")
        for key, ids in (("existingPrivateSubnetIds", s.existing_private_subnet_ids),
                         ("existingPublicSubnetIds", s.existing_public_subnet_ids)):
            if len(ids) < 2:
                raise ConfigError(key, f"has {len(ids)} subnet ids; allowed: at least 2 (in different AZs) "
                                  "when existingVpcId is set")
            for i, subnet in enumerate(ids):
                if not re.match(r"^subnet-[0-9a-f]{8,17}$", subnet):
                    raise ConfigError(f"{key}[{i}]", f"'{subnet}' is not a subnet id (subnet-...)")
    elif s.existing_private_subnet_ids or s.existing_public_subnet_ids:
        raise ConfigError("existingVpcId", "is empty but existing subnet ids are given; allowed: set existingVpcId too")
    if s.availability_zones and len(s.availability_zones) != s.az_count:
        raise ConfigError("availabilityZones", f"lists {len(s.availability_zones)} zones but azCount is "
                          f"{s.az_count}; allowed: exactly azCount zones, or none to look them up")
    if s.nat_strategy == "none" and not s.vpc_endpoints and not s.existing_vpc_id:
        raise ConfigError("natStrategy", "is 'none' without vpcEndpoints, so tasks could not pull images; allowed: "
                          "single, one-per-az, or none with vpcEndpoints: true")
    for i, email in enumerate(s.alarm_emails):
        if not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email):
            raise ConfigError(f"alarmEmails[{i}]", f"'{email}' is not an email address")
    for i, url in enumerate(s.alarm_https_endpoints):
        if not url.startswith("https://"):
            raise ConfigError(f"alarmHttpsEndpoints[{i}]", f"'{url}' is not an https:// URL")
    for i, cidr in enumerate(s.test_traffic_cidrs):
        _check_cidr(f"testTrafficCidrs[{i}]", cidr)
        if ipaddress.ip_network(cidr).prefixlen == 0:
            raise ConfigError(f"testTrafficCidrs[{i}]", f"'{cidr}' opens the test listeners to the internet; "
                              "allowed: the CIDRs of the people and systems that test a release")

    if s.fargate_ephemeral_storage_kms and not (s.create_kms_key or s.kms_key_arn):
        raise ConfigError("fargateEphemeralStorageKms", "is true but the stack has no KMS key; allowed: set "
                          "createKmsKey: true or kmsKeyArn, or false")
    _check_managed_instances(s)
    names: dict[str, int] = {}
    priorities: dict[int, int] = {}
    header_rules: dict[int, int] = {}
    for i, svc in enumerate(s.services):
        _check_service(i, svc, allowed_secret_names)
        _check_deployment(i, svc, s.test_traffic_cidrs)

        _check_capacity(i, svc, s)
        _check_volumes(i, svc)
        if svc.name in names:
            raise ConfigError(f"services[{i}].name", f"'{svc.name}' duplicates services[{names[svc.name]}].name")
        names[svc.name] = i
        if svc.internal:
            continue
        if svc.priority in priorities:
            raise ConfigError(f"services[{i}].priority",
                              f"{svc.priority} duplicates services[{priorities[svc.priority]}].priority")
        priorities[svc.priority] = i
        if svc.deployment.test_traffic is not None and svc.deployment.test_traffic.header is not None:
            header_rules[svc.priority - 1] = i
    for priority, i in header_rules.items():
        if priority in priorities:
            raise ConfigError(f"services[{i}].deployment.testTraffic.header", f"its header rule takes priority "
                              f"{priority} (the service's priority - 1), which services[{priorities[priority]}]"
                              ".priority takes; allowed: leave that priority free")
    for i, svc in enumerate(s.services):
        for j, caller in enumerate(svc.callers):
            if caller not in names or caller == svc.name:
                raise ConfigError(f"services[{i}].callers[{j}]", f"'{caller}' is not another service; allowed: "
                                  + ", ".join(n for n in names if n != svc.name))
