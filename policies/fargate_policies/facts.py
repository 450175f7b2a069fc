"""The AWS facts the pack checks, each stated once.

The Fargate task sizes and platforms, the retention values CloudWatch Logs
accepts, what a plaintext secret looks like, which users are root, and the
ECS deployment strategies with their ranges and lifecycle stages. The
pack's rules and cost estimator read them here, and so do the program's
settings (``stacks/settings.py``): config the pack would pass is never refused
before it runs, and config it would refuse is refused with the config's key.

Nothing here imports pulumi or pulumi-policy, so the program can use these
facts without loading the pack.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, NamedTuple

# ---------------------------------------------------------------------------
# Fargate task sizes and platforms. Source: "Task CPU and memory" and "Fargate
# task ephemeral storage" in the Amazon ECS Developer Guide. CPU is in CPU
# units (1024 = 1 vCPU), memory in MiB.
# ---------------------------------------------------------------------------


def _steps(first: int, last: int, step: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1, step))


#: Task-level cpu -> every memory value Fargate accepts with it.
MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}
VALID_CPUS: tuple[int, ...] = tuple(MEMORY_BY_CPU)

# ephemeralStorage.sizeInGib: the 20 GiB default is implied; an explicit value must be 21..200.
EPHEMERAL_STORAGE_MIN_GIB = 21
EPHEMERAL_STORAGE_MAX_GIB = 200

CPU_ARCHITECTURES: tuple[str, ...] = ("X86_64", "ARM64")
LINUX = "LINUX"
# WINDOWS_SERVER_2019_CORE, WINDOWS_SERVER_2022_FULL, ... (AWS adds families over time).
WINDOWS_FAMILY = re.compile(r"WINDOWS_SERVER_[A-Z0-9]+_(CORE|FULL)")
# Windows containers on Fargate need at least 1 vCPU and run on X86_64 only.
WINDOWS_MIN_CPU = 1024
WINDOWS_ARCHITECTURE = "X86_64"

_VCPU = re.compile(r"(\d+(?:\.\d+)?)\s*vcpu", re.IGNORECASE)
_GB = re.compile(r"(\d+(?:\.\d+)?)\s*gb", re.IGNORECASE)


def whole_number(value: Any) -> int | None:
    """An int for ints, integral floats and digit strings; None otherwise (bools included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        return int(value.strip())
    return None


def _scaled(value: Any, unit: re.Pattern[str]) -> int | None:
    """Units from a number, a digit string, or a string with the unit ECS also accepts ("1 vCPU", "2 GB")."""
    plain = whole_number(value)
    if plain is not None:
        return plain
    if isinstance(value, str):
        match = unit.fullmatch(value.strip())
        if match:
            scaled = float(match.group(1)) * 1024
            if scaled.is_integer():
                return int(scaled)
    return None


def cpu_units(value: Any) -> int | None:
    """Task cpu in CPU units: 256, 256.0, "256" and "0.25 vCPU" all give 256; None when unreadable."""
    return _scaled(value, _VCPU)


def memory_mib(value: Any) -> int | None:
    """Task memory in MiB: 2048, "2048" and "2 GB" all give 2048; None when unreadable."""
    return _scaled(value, _GB)


def allowed_memory(cpu: int) -> tuple[int, ...]:
    """The memory values Fargate accepts with ``cpu`` (empty for a cpu Fargate does not offer)."""
    return MEMORY_BY_CPU.get(cpu, ())


def is_valid_size(cpu: int, memory: int) -> bool:
    return memory in MEMORY_BY_CPU.get(cpu, ())


def is_windows_family(family: Any) -> bool:
    return isinstance(family, str) and WINDOWS_FAMILY.fullmatch(family) is not None


def valid_pairs() -> list[tuple[int, int]]:
    """Every (cpu, memory) pair Fargate accepts."""
    return [(cpu, memory) for cpu, memories in MEMORY_BY_CPU.items() for memory in memories]


# ---------------------------------------------------------------------------
# Capacity: where ECS places tasks. Source: "Amazon ECS capacity providers",
# "Amazon ECS Managed Instances" and RegisterTaskDefinition / CreateService in
# the Amazon ECS Developer Guide and API Reference.
# ---------------------------------------------------------------------------

#: requiresCompatibilities values (and the launch types they validate against).
COMPATIBILITY_FARGATE = "FARGATE"
COMPATIBILITY_MANAGED_INSTANCES = "MANAGED_INSTANCES"
#: The capacity providers every cluster can use without creating them.
FARGATE_PROVIDERS: tuple[str, ...] = ("FARGATE", "FARGATE_SPOT")
#: A capacity provider strategy holds either Fargate providers or others (Auto Scaling group or Managed
#: Instances providers), never both; only one of its entries may have a base above 0.
STRATEGY_MAX_PROVIDERS = 20
STRATEGY_WEIGHT_MAX = 1000
STRATEGY_BASE_MAX = 100000
#: Task-level cpu a task on EC2 capacity (Managed Instances included) may ask for, in CPU units.
EC2_TASK_CPU_MIN = 128
EC2_TASK_CPU_MAX = 196608
#: A container needs at least this much memory (MiB); a task's memory must hold its containers.
CONTAINER_MEMORY_MIN_MIB = 6
#: resourceRequirements type that reserves GPUs for a container; Fargate offers no GPUs.
GPU_RESOURCE = "GPU"
#: The AWS managed policies of the two roles Managed Instances need.
MANAGED_INSTANCES_INFRASTRUCTURE_POLICY = "AmazonECSInfrastructureRolePolicyForManagedInstances"
MANAGED_INSTANCES_INSTANCE_POLICY = "AmazonECSInstanceRolePolicyForManagedInstances"
#: The infrastructure policy passes only instance roles whose names start with this (iam:PassRole on
#: ``role/ecsInstanceRole*``).
MANAGED_INSTANCES_ROLE_PREFIX = "ecsInstanceRole"
#: Managed Instances capacity options (capacityOptionType) the program uses.
CAPACITY_OPTIONS: tuple[str, ...] = ("ON_DEMAND", "SPOT")
#: instanceRequirements.cpuManufacturers per CPU architecture.
CPU_MANUFACTURERS: dict[str, tuple[str, ...]] = {"X86_64": ("intel", "amd"), "ARM64": ("amazon-web-services",)}
#: instanceRequirements.acceleratorTypes and acceleratorManufacturers AWS accepts.
ACCELERATOR_TYPES: tuple[str, ...] = ("gpu", "fpga", "inference")
ACCELERATOR_MANUFACTURERS: tuple[str, ...] = ("amazon-web-services", "amd", "nvidia", "xilinx", "habana")
#: instanceRequirements.allowedInstanceTypes holds at most this many types or patterns.
ALLOWED_INSTANCE_TYPES_MAX = 400
#: Size of the volume a managed instance keeps task data on (storageConfiguration.storageSizeGib).
MANAGED_INSTANCES_STORAGE_MIN_GIB = 1
MANAGED_INSTANCES_STORAGE_MAX_GIB = 16384
_INSTANCE_TYPE = re.compile(r"[a-z][a-z0-9-]*\.(\*|[a-z0-9-]+)")


class InstanceType(NamedTuple):
    """What one EC2 instance type offers a task (Amazon EC2 instance type specifications)."""

    vcpus: int
    memory_mib: int
    gpus: int = 0
    architecture: str = "X86_64"


#: Instance types whose size the checks know: the GPU types of the example stack and common general-purpose
#: ones. A type not listed is taken at the instance requirements' own ranges.
INSTANCE_TYPES: dict[str, InstanceType] = {
    "g4dn.xlarge": InstanceType(4, 16384, 1),
    "g4dn.2xlarge": InstanceType(8, 32768, 1),
    "g5.xlarge": InstanceType(4, 16384, 1),
    "g5.2xlarge": InstanceType(8, 32768, 1),
    "g5.4xlarge": InstanceType(16, 65536, 1),
    "g5.12xlarge": InstanceType(48, 196608, 4),
    "g6.xlarge": InstanceType(4, 16384, 1),
    "g6.2xlarge": InstanceType(8, 32768, 1),
    "m7i.large": InstanceType(2, 8192),
    "m7i.xlarge": InstanceType(4, 16384),
    "c7i.large": InstanceType(2, 4096),
    "m7g.large": InstanceType(2, 8192, 0, "ARM64"),
    "m7g.xlarge": InstanceType(4, 16384, 0, "ARM64"),
    "c7g.large": InstanceType(2, 4096, 0, "ARM64"),
}


def is_instance_type_name(value: str) -> bool:
    """True for 'g5.xlarge' and for a family pattern such as 'g5.*'."""
    return _INSTANCE_TYPE.fullmatch(value) is not None


class InstanceRequirements(NamedTuple):
    """The instance requirements of a Managed Instances capacity provider, as far as a task's size goes.

    ``None`` is a bound AWS leaves open.
    """

    vcpu_min: int | None = None
    vcpu_max: int | None = None
    memory_min_mib: int | None = None
    memory_max_mib: int | None = None
    accelerator_min: int | None = None
    accelerator_max: int | None = None
    allowed_types: tuple[str, ...] = ()


class TaskFit(NamedTuple):
    """Whether a task fits on an instance the requirements allow, and the largest such instance."""

    fits: bool
    vcpus: int | None
    """vCPUs of the largest allowed instance (None: unbounded)."""
    memory_mib: int | None
    """Memory of the largest allowed instance (None: unbounded)."""
    gpus: int | None
    """GPUs of the largest allowed instance (None: unbounded)."""


def _within(value: int, low: int | None, high: int | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def known_instance_types(requirements: InstanceRequirements) -> list[InstanceType] | None:
    """The known instance types the requirements allow, or None when the allowed types are not all known
    (no list, a family pattern, or a type missing from :data:`INSTANCE_TYPES`)."""
    if not requirements.allowed_types or not all(t in INSTANCE_TYPES for t in requirements.allowed_types):
        return None
    r = requirements
    return [t for t in (INSTANCE_TYPES[name] for name in r.allowed_types)
            if _within(t.vcpus, r.vcpu_min, r.vcpu_max) and _within(t.memory_mib, r.memory_min_mib, r.memory_max_mib)
            and _within(t.gpus, r.accelerator_min, r.accelerator_max)]


def task_fit(requirements: InstanceRequirements, cpu: int, memory_mib: int, gpus: int = 0) -> TaskFit:
    """Whether a task of ``cpu`` units, ``memory_mib`` and ``gpus`` fits on one instance the requirements allow.

    With every allowed type known, the task must fit one of them; otherwise it must fit within the vCPU,
    memory and accelerator maxima (an open maximum fits anything; no accelerator bounds means no GPUs).
    """
    known = known_instance_types(requirements)
    if known is not None:
        fits = any(cpu <= t.vcpus * 1024 and memory_mib <= t.memory_mib and gpus <= t.gpus for t in known)
        return TaskFit(fits, max((t.vcpus for t in known), default=0), max((t.memory_mib for t in known), default=0),
                       max((t.gpus for t in known), default=0))
    r = requirements
    if r.accelerator_max is not None:
        gpus_max: int | None = r.accelerator_max
    else:
        gpus_max = None if (r.accelerator_min or 0) > 0 else 0
    fits = ((r.vcpu_max is None or cpu <= r.vcpu_max * 1024)
            and (r.memory_max_mib is None or memory_mib <= r.memory_max_mib)
            and (gpus_max is None or gpus <= gpus_max))
    return TaskFit(fits, r.vcpu_max, r.memory_max_mib, gpus_max)


# ---------------------------------------------------------------------------
# EBS volumes that ECS attaches to tasks (a service's volumeConfiguration.managedEbsVolume).
# Source: "Amazon EBS volumes" in the Amazon ECS Developer Guide and ServiceManagedEBSVolumeConfiguration in
# the Amazon ECS API Reference; "Amazon EBS volume types" in the Amazon EBS User Guide.
# ---------------------------------------------------------------------------


class EbsVolumeType(NamedTuple):
    """The size, IOPS and throughput ranges of one EBS volume type, as ECS accepts them."""

    size_min_gib: int
    size_max_gib: int
    iops_min: int
    iops_max: int
    iops_per_gib_max: int
    """Provisioned IOPS may be at most this many per GiB of size."""
    iops_required: bool
    """The type has no baseline: IOPS must be given."""
    throughput_min: int | None = None
    """MiB/s; None: the type takes no throughput setting."""
    throughput_max: int | None = None
    throughput_per_iops_max: float | None = None
    """Throughput may be at most this many MiB/s per provisioned IOPS."""
    baseline_iops: int | None = None
    baseline_throughput: int | None = None


EBS_VOLUME_TYPES: dict[str, EbsVolumeType] = {
    "gp3": EbsVolumeType(1, 16384, 3000, 16000, 500, False, 125, 1000, 0.25, 3000, 125),
    "io2": EbsVolumeType(4, 16384, 100, 256000, 1000, True),
}
EBS_DEFAULT_VOLUME_TYPE = "gp3"
#: ECS attaches at most one EBS volume (configured at launch) to each task.
EBS_VOLUMES_PER_TASK_MAX = 1
EBS_FILE_SYSTEM_TYPES: tuple[str, ...] = ("xfs", "ext4", "ext3")
#: A task definition volume name: letters, digits, hyphens and underscores, up to 255 characters.
VOLUME_NAME = re.compile(r"[A-Za-z0-9_-]{1,255}")
#: The AWS managed policy of the role ECS uses to create and attach a task's EBS volume.
EBS_INFRASTRUCTURE_POLICY = "AmazonECSInfrastructureRolePolicyForVolumes"
#: What the infrastructure role needs of a customer managed key to create encrypted volumes with it.
EBS_KMS_ACTIONS: tuple[str, ...] = ("kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey",
                                    "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:ReEncryptTo")


def ebs_volume_problems(volume_type: str, size_gib: int, iops: int | None,
                        throughput: int | None) -> list[tuple[str, str]]:
    """What AWS refuses in an EBS volume of ``volume_type`` with this size, IOPS (None: the type's baseline) and
    throughput (MiB/s; None: the baseline): ``(field, problem)`` pairs, the field one of ``type``, ``sizeGib``,
    ``iops`` and ``throughput``. Empty when AWS accepts the volume."""
    spec = EBS_VOLUME_TYPES.get(volume_type)
    if spec is None:
        return [("type", f"'{volume_type}' is not allowed; allowed: {', '.join(EBS_VOLUME_TYPES)}")]
    problems: list[tuple[str, str]] = []
    if not spec.size_min_gib <= size_gib <= spec.size_max_gib:
        problems.append(("sizeGib", f"{size_gib} is out of range for {volume_type}; allowed: "
                                    f"{spec.size_min_gib} to {spec.size_max_gib}"))
    if iops is None and spec.iops_required:
        problems.append(("iops", f"is required for {volume_type}; allowed: {spec.iops_min} to {spec.iops_max}"))
    if iops is not None:
        per_gib = spec.iops_per_gib_max * size_gib
        if not spec.iops_min <= iops <= spec.iops_max:
            problems.append(("iops", f"{iops} is out of range for {volume_type}; allowed: "
                                     f"{spec.iops_min} to {spec.iops_max}"))
        elif iops > max(per_gib, spec.iops_min):
            problems.append(("iops", f"{iops} is more than {spec.iops_per_gib_max} per GiB of {size_gib} GiB; "
                                     f"allowed: at most {max(per_gib, spec.iops_min)}, or a larger sizeGib"))
    if throughput is not None:
        if spec.throughput_min is None or spec.throughput_max is None:
            problems.append(("throughput", f"{volume_type} takes no throughput setting; allowed: null"))
        elif not spec.throughput_min <= throughput <= spec.throughput_max:
            problems.append(("throughput", f"{throughput} is out of range for {volume_type}; allowed: "
                                           f"{spec.throughput_min} to {spec.throughput_max}"))
        elif spec.throughput_per_iops_max is not None:
            provisioned = iops if iops is not None else spec.baseline_iops or 0
            ceiling = max(int(provisioned * spec.throughput_per_iops_max), spec.baseline_throughput or 0)
            if throughput > ceiling:
                problems.append(("throughput", f"{throughput} MiB/s is more than {spec.throughput_per_iops_max} "
                                               f"per IOPS of {provisioned} IOPS; allowed: at most {ceiling}, or "
                                               "more iops"))
    return problems


# ---------------------------------------------------------------------------
# Fargate ephemeral storage under a customer managed key (the cluster's
# configuration.managedStorageConfiguration.fargateEphemeralStorageKmsKeyId). Source: "Customer managed keys
# for AWS Fargate ephemeral storage for Amazon ECS" in the Amazon ECS Developer Guide.
# ---------------------------------------------------------------------------
FARGATE_SERVICE_PRINCIPAL = "fargate.amazonaws.com"
#: Fargate makes data keys without plaintext, and creates grants that allow Decrypt only.
FARGATE_EPHEMERAL_KEY_ACTIONS: tuple[str, ...] = ("kms:GenerateDataKeyWithoutPlaintext",)
FARGATE_EPHEMERAL_GRANT_OPERATIONS: tuple[str, ...] = ("Decrypt",)


# ---------------------------------------------------------------------------
# CloudWatch Logs
# ---------------------------------------------------------------------------

#: The values CloudWatch Logs accepts for a log group's retentionInDays (unset or 0 keeps events forever).
LOG_RETENTION_DAYS: tuple[int, ...] = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
                                       2192, 2557, 2922, 3288, 3653)


# ---------------------------------------------------------------------------
# ELB security policies. Source: "Security policies for your Application Load
# Balancer" in the Elastic Load Balancing User Guide.
# ---------------------------------------------------------------------------

#: The policy AWS applies to an HTTPS or TLS listener that names none (it accepts TLS 1.0).
ELB_API_DEFAULT_TLS_POLICY = "ELBSecurityPolicy-2016-08"
#: The policy to recommend: TLS 1.3, and TLS 1.2 for older clients.
ELB_RECOMMENDED_TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
_ELB_TLS10_POLICIES = frozenset({"ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-2015-05",
                                 "ELBSecurityPolicy-FS-2018-06"})
# TLS13-1-<n>-...: TLS 1.3 down to 1.<n> (with -Res, -Ext1, -Ext2, -FIPS-2023-04 and -PQ-2025-09 variants).
_ELB_TLS13 = re.compile(r"ELBSecurityPolicy-TLS13-1-([0-3])-[A-Za-z0-9-]+")
# TLS-1-<n>-... and FS-1-<n>-...: TLS 1.2 at most, down to 1.<n>.
_ELB_TLS12_MAX = re.compile(r"ELBSecurityPolicy-(?:TLS|FS)-1-([0-2])-[A-Za-z0-9-]+")


def elb_policy_tls(name: str) -> tuple[int, bool] | None:
    """``(lowest TLS 1.x minor accepted, offers TLS 1.3)`` for a predefined ELB policy name; None if unknown."""
    if name in _ELB_TLS10_POLICIES:
        return 0, False
    match = _ELB_TLS13.fullmatch(name)
    if match:
        return int(match.group(1)), True
    match = _ELB_TLS12_MAX.fullmatch(name)
    if match:
        return int(match.group(1)), False
    return None


# ---------------------------------------------------------------------------
# Container users. A container definition's ``user`` is ``user``, ``uid``,
# ``user:group`` or ``uid:gid``; the part before ':' decides who runs.
# ---------------------------------------------------------------------------

# The container runtime reads a numeric user with Go's strconv.Atoi, which takes a sign and leading zeros.
_UID = re.compile(r"[+-]?[0-9]+")


def _user_part(user: str) -> str:
    return user.split(":", 1)[0].strip()


def names_no_user(user: str) -> bool:
    """True for '' and ':1000': no user before ':' leaves the choice to the image, which is most often root."""
    return not _user_part(user)


def is_root_user(user: str) -> bool:
    """True for root, 0, 00, +0, 0:0, 00:00, root:root, 0:<gid>, root:<group>: the part before ':' is uid 0."""
    name = _user_part(user)
    return name == "root" or (_UID.fullmatch(name) is not None and int(name) == 0)


# ---------------------------------------------------------------------------
# Plaintext secrets in a container's environment
# ---------------------------------------------------------------------------

#: A variable whose name holds one of these (case-insensitively) is taken to hold a secret.
SECRET_NAME_PARTS: tuple[str, ...] = (
    "PASSWORD", "PASSWD", "SECRET", "TOKEN", "API_KEY", "APIKEY", "PRIVATE_KEY", "ACCESS_KEY", "CREDENTIAL",
)
# A value that is itself a reference (an ARN) holds no secret, whatever the name says.
_REFERENCE = re.compile(r"arn:aws[a-z-]*:", re.IGNORECASE)

_ACCESS_KEY_ID = re.compile(r"(?<![A-Z0-9])(AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")
# A password between the user and the host of a URL: scheme://user:password@host. The password may not hold
# '/', '?' or '#', so a port followed by a path with an '@' in it (https://host:8080/?mail=a@b) is no password.
_URL_PASSWORD = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:[^\s/?#@]+@")
_PRIVATE_KEY = re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")
# Token formats their issuers publish; each starts after a non-word character or at the start.
_TOKENS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(r"(?<![A-Za-z0-9_])" + pattern)) for what, pattern in (
        ("a GitHub token", r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        ("a GitLab token", r"glpat-[A-Za-z0-9_-]{20,}"),
        ("a Slack token", r"xox[abposr]-[A-Za-z0-9-]{10,}"),
        ("a Slack webhook URL", r"https://hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]+"),
        ("a Stripe live key", r"(?:sk|rk)_live_[A-Za-z0-9]{16,}"),
        ("a Google API key", r"AIza[0-9A-Za-z_-]{35}"),
        ("an npm token", r"npm_[A-Za-z0-9]{36}"),
        ("a PyPI token", r"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
        ("a SendGrid API key", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
    )
)
# An AWS secret access key is 40 base64 characters; only suspicious next to a name that says it is a key,
# and never when it is all hex (a commit or content hash).
_SECRET_ACCESS_KEY = re.compile(r"[A-Za-z0-9/+]{40}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_KEYISH_NAME = re.compile(r"KEY|AWS|SECRET|CREDENTIAL", re.IGNORECASE)

#: Kinds of :class:`PlaintextSecret`.
ACCESS_KEY_ID = "access-key-id"
CREDENTIAL = "credential"
SECRET_NAME = "secret-name"
SECRET_ACCESS_KEY = "secret-access-key"


class PlaintextSecret(NamedTuple):
    """Why an environment variable looks like a secret in plain text."""

    kind: str
    """One of ACCESS_KEY_ID, CREDENTIAL (a credential-shaped value), SECRET_NAME, SECRET_ACCESS_KEY."""
    what: str
    """What it looks like, for messages: "an AWS access key id", "a GitHub token", "a secret"..."""


def looks_like_secret_name(name: str) -> bool:
    upper = name.upper()
    return any(part in upper for part in SECRET_NAME_PARTS)


def is_reference(value: str) -> bool:
    """True for an ARN: it names where a secret lives, not the secret."""
    return _REFERENCE.match(value.strip()) is not None


def credential_in(value: str) -> PlaintextSecret | None:
    """The credential ``value`` holds, whatever its variable is called: a key id, a token, a password, a key."""
    if _ACCESS_KEY_ID.search(value):
        return PlaintextSecret(ACCESS_KEY_ID, "an AWS access key id")
    if _URL_PASSWORD.search(value):
        return PlaintextSecret(CREDENTIAL, "a URL with a password")
    if _PRIVATE_KEY.search(value):
        return PlaintextSecret(CREDENTIAL, "a PEM private key")
    for what, pattern in _TOKENS:
        if pattern.search(value):
            return PlaintextSecret(CREDENTIAL, what)
    return None


def plaintext_secret(name: str, value: str, allowed_names: Collection[str] = ()) -> PlaintextSecret | None:
    """Whether environment variable ``name`` set to ``value`` puts a secret in plain text.

    A credential-shaped value counts under any name. Otherwise an empty value,
    an ARN, or a name in ``allowed_names`` (compared case-insensitively) holds
    no secret, and a name that looks like a secret does.
    """
    credential = credential_in(value)
    if credential is not None:
        return credential
    text = value.strip()
    allowed = {n.strip().upper() for n in allowed_names}
    if not text or name.strip().upper() in allowed or is_reference(text):
        return None
    if looks_like_secret_name(name):
        return PlaintextSecret(SECRET_NAME, "a secret")
    if _KEYISH_NAME.search(name) and _SECRET_ACCESS_KEY.fullmatch(text) and not _HEX.fullmatch(text):
        return PlaintextSecret(SECRET_ACCESS_KEY, "an AWS secret access key")
    return None


# ---------------------------------------------------------------------------
# AWS Security Hub controls: the ones about what this pack checks (ECS, load balancers, ECR, CloudWatch, the
# VPC's security groups and flow logs, KMS). Titles and membership of the AWS Foundational Security Best
# Practices (FSBP) standard as the Security Hub user guide lists them; a control outside FSBP belongs to other
# Security Hub standards (CIS, NIST SP 800-53, PCI DSS). ECS.9 came after that list and is not marked FSBP here.
# ---------------------------------------------------------------------------
FSBP_NAME = "AWS Foundational Security Best Practices"
FSBP_VERSION = "1.0.0"
SECURITY_HUB_NAME = "AWS Security Hub"


@dataclass(frozen=True)
class SecurityHubControl:
    """One Security Hub control."""

    id: str
    title: str
    fsbp: bool
    """Whether the FSBP standard holds it."""

    @property
    def url(self) -> str:
        """Its section in the Security Hub user guide."""
        service, number = self.id.split(".")
        return f"https://docs.aws.amazon.com/securityhub/latest/userguide/{service.lower()}-controls.html" \
               f"#{service.lower()}-{number}"


SECURITY_HUB_CONTROLS: dict[str, SecurityHubControl] = {c.id: c for c in (
    SecurityHubControl("ECS.2", "ECS services should not have public IP addresses assigned to them automatically",
                       True),
    SecurityHubControl("ECS.3", "ECS task definitions should not share the host's process namespace", True),
    SecurityHubControl("ECS.4", "ECS containers should run as non-privileged", True),
    SecurityHubControl("ECS.5", "ECS containers should be limited to read-only access to root filesystems", True),
    SecurityHubControl("ECS.8", "Secrets should not be passed as container environment variables", True),
    SecurityHubControl("ECS.9", "ECS task definitions should have a logging configuration", False),
    SecurityHubControl("ECS.10", "ECS Fargate services should run on the latest Fargate platform version", True),
    SecurityHubControl("ECS.12", "ECS clusters should use Container Insights", True),
    SecurityHubControl("ELB.1", "Application Load Balancer should be configured to redirect all HTTP requests to "
                                "HTTPS", True),
    SecurityHubControl("ELB.4", "Application Load Balancer should be configured to drop http headers", True),
    SecurityHubControl("ELB.5", "Application and Classic Load Balancers logging should be enabled", True),
    SecurityHubControl("ELB.6", "Application Load Balancer deletion protection should be enabled", True),
    SecurityHubControl("ELB.12", "Application Load Balancer should be configured with defensive or strictest "
                                 "desync mitigation mode", True),
    SecurityHubControl("ELB.13", "Application, Network and Gateway Load Balancers should span multiple "
                                 "Availability Zones", True),
    SecurityHubControl("ECR.1", "ECR private repositories should have image scanning configured", True),
    SecurityHubControl("ECR.2", "ECR private repositories should have tag immutability configured", True),
    SecurityHubControl("ECR.3", "ECR repositories should have at least one lifecycle policy configured", True),
    SecurityHubControl("CloudWatch.15", "CloudWatch alarms should have an action configured for the ALARM state",
                       False),
    SecurityHubControl("CloudWatch.16", "CloudWatch log groups should be retained for at least 1 year", False),
    SecurityHubControl("CloudWatch.17", "CloudWatch alarm actions should be activated", False),
    SecurityHubControl("EC2.2", "The VPC default security group should not allow inbound and outbound traffic",
                       True),
    SecurityHubControl("EC2.6", "VPC flow logging should be enabled in all VPCs", True),
    SecurityHubControl("EC2.13", "Security groups should not allow ingress from 0.0.0.0/0 to port 22", False),
    SecurityHubControl("EC2.14", "Ensure no security groups allow ingress from 0.0.0.0/0 to port 3389", False),
    SecurityHubControl("EC2.15", "Amazon EC2 subnets should not automatically assign public IP addresses", True),
    SecurityHubControl("EC2.18", "Security groups should only allow unrestricted incoming traffic for authorized "
                                 "ports", True),
    SecurityHubControl("EC2.19", "Security groups should not allow unrestricted access to ports with high risk",
                       True),
    SecurityHubControl("EC2.21", "Network ACLs should not allow ingress from 0.0.0.0/0 to port 22 or port 3389",
                       True),
    SecurityHubControl("KMS.4", "AWS KMS key rotation should be enabled", False),
)}

# ECS deployments. Source: DeploymentConfiguration, DeploymentLifecycleHook and
# AdvancedConfiguration in the Amazon ECS API Reference, as pulumi-aws 7.51
# documents them (aws.ecs.ServiceDeploymentConfigurationArgs and friends).
# ---------------------------------------------------------------------------
ROLLING = "ROLLING"
BLUE_GREEN = "BLUE_GREEN"
CANARY = "CANARY"
LINEAR = "LINEAR"
#: Every value of ``deploymentConfiguration.strategy``; ECS uses ROLLING when it is unset.
DEPLOYMENT_STRATEGIES: tuple[str, ...] = (ROLLING, BLUE_GREEN, CANARY, LINEAR)
DEFAULT_DEPLOYMENT_STRATEGY = ROLLING
#: Strategies that start the new revision beside the old one and move load balancer (or Service Connect)
#: traffic to it: they take a bake time, an alternate target group and lifecycle hooks.
TRAFFIC_SHIFTING_STRATEGIES: tuple[str, ...] = (BLUE_GREEN, CANARY, LINEAR)

#: bakeTimeInMinutes, canaryBakeTimeInMinutes and stepBakeTimeInMinutes: whole minutes in this range.
BAKE_MINUTES_MIN = 0
BAKE_MINUTES_MAX = 1440
#: canaryPercent: the share of production traffic the canary takes first.
CANARY_PERCENT_MIN = 0.1
CANARY_PERCENT_MAX = 100.0
#: stepPercent: the share of production traffic each linear step moves.
LINEAR_STEP_PERCENT_MIN = 3.0
LINEAR_STEP_PERCENT_MAX = 100.0

RECONCILE_SERVICE = "RECONCILE_SERVICE"
PRE_SCALE_UP = "PRE_SCALE_UP"
POST_SCALE_UP = "POST_SCALE_UP"
TEST_TRAFFIC_SHIFT = "TEST_TRAFFIC_SHIFT"
POST_TEST_TRAFFIC_SHIFT = "POST_TEST_TRAFFIC_SHIFT"
PRODUCTION_TRAFFIC_SHIFT = "PRODUCTION_TRAFFIC_SHIFT"
POST_PRODUCTION_TRAFFIC_SHIFT = "POST_PRODUCTION_TRAFFIC_SHIFT"
#: The lifecycle stages a hook can run at, in the order a deployment passes them.
LIFECYCLE_STAGES: tuple[str, ...] = (RECONCILE_SERVICE, PRE_SCALE_UP, POST_SCALE_UP, TEST_TRAFFIC_SHIFT,
                                     POST_TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT,
                                     POST_PRODUCTION_TRAFFIC_SHIFT)
#: The stages each strategy passes and runs hooks at. A rolling deployment replaces tasks in place: it has no
#: green revision, no test or production traffic shift, and no hooks.
HOOK_STAGES: dict[str, tuple[str, ...]] = {
    ROLLING: (),
    BLUE_GREEN: LIFECYCLE_STAGES,
    CANARY: LIFECYCLE_STAGES,
    LINEAR: LIFECYCLE_STAGES,
}

HOOK_TARGET_LAMBDA = "AWS_LAMBDA"
HOOK_TARGET_PAUSE = "PAUSE"
#: A pause hook cannot hold a deployment while traffic is moving.
PAUSE_EXCLUDED_STAGES: tuple[str, ...] = (TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT)
#: timeoutConfiguration of a pause hook: minutes, and what ECS does when they run out.
HOOK_TIMEOUT_MINUTES_MIN = 1
HOOK_TIMEOUT_MINUTES_MAX = 20160
HOOK_TIMEOUT_MINUTES_DEFAULT = 1440
HOOK_TIMEOUT_ROLLBACK = "ROLLBACK"
HOOK_TIMEOUT_CONTINUE = "CONTINUE"
HOOK_TIMEOUT_ACTIONS: tuple[str, ...] = (HOOK_TIMEOUT_ROLLBACK, HOOK_TIMEOUT_CONTINUE)
#: The hook target of a Lambda hook: a function ARN, optionally with a version or alias.
LAMBDA_FUNCTION_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}"
                                 r"(:[A-Za-z0-9_$-]{1,128})?")

#: The principal of the infrastructure role ECS assumes to move load balancer traffic and invoke hooks.
ECS_SERVICE_PRINCIPAL = "ecs.amazonaws.com"


def is_traffic_shifting(strategy: Any) -> bool:
    """True for BLUE_GREEN, CANARY and LINEAR (any case); False for ROLLING, unset and anything else."""
    return isinstance(strategy, str) and strategy.strip().upper() in TRAFFIC_SHIFTING_STRATEGIES


def linear_steps(step_percent: float) -> int:
    """How many traffic shifts a linear deployment makes: 100 % in steps of ``step_percent``, the last one smaller."""
    return max(1, math.ceil(100.0 / step_percent - 1e-9))
