"""EBS volumes that ECS creates for each task of a service, and how a service's tasks are placed.

Helpers of :class:`components.service.FargateService`, kept apart so the service
module stays about the service: the task definition's volume entries and the
container's mount points for a volume configured at launch, the service's
``volume_configuration`` with the infrastructure role ECS uses to create and
attach the volume, and the compatibility, platform version, placement and GPU
reservation each capacity takes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from fargate_policies import facts

from components.tagging import tagged

FARGATE = facts.COMPATIBILITY_FARGATE
MANAGED_INSTANCES = facts.COMPATIBILITY_MANAGED_INSTANCES
Compatibility = Literal["FARGATE", "MANAGED_INSTANCES"]

# Tasks on managed instances spread over zones first, then pack instances by memory (fewer instances to pay for).
MANAGED_INSTANCES_PLACEMENT = (
    {"type": "spread", "field": "attribute:ecs.availability-zone"},
    {"type": "binpack", "field": "memory"},
)


@dataclass(frozen=True, kw_only=True)
class EbsVolume:
    """An EBS volume ECS creates for each task, mounted writable into the container."""

    name: str
    """Volume name in the task definition (letters, digits, hyphens, underscores)."""
    mount_path: str
    """Absolute path the container sees the volume at."""
    size_gib: int
    """Size in GiB."""
    volume_type: Literal["gp3", "io2"] = "gp3"
    """EBS volume type."""
    iops: int | None = None
    """Provisioned IOPS; None keeps the type's baseline (gp3: 3000)."""
    throughput: int | None = None
    """Throughput in MiB/s (gp3 only); None keeps the baseline (125)."""
    file_system_type: Literal["xfs", "ext4", "ext3"] = "xfs"
    """Filesystem ECS formats the volume with."""


def task_volumes(tmp_volume: str | None, volumes: Sequence[EbsVolume]) -> list[dict[str, Any]] | None:
    """The task definition's volumes: the writable /tmp (when named) and each EBS volume, configured at launch."""
    entries: list[dict[str, Any]] = [{"name": tmp_volume}] if tmp_volume is not None else []
    entries += [{"name": v.name, "configure_at_launch": True} for v in volumes]
    return entries or None


def mount_points(volumes: Sequence[EbsVolume]) -> list[dict[str, Any]]:
    """The container's mount points of the EBS volumes (ECS's camelCase): the writable places of a read-only root."""
    return [{"sourceVolume": v.name, "containerPath": v.mount_path, "readOnly": False} for v in volumes]


def gpu_requirements(gpus: int) -> list[dict[str, str]]:
    """The container's resourceRequirements reserving ``gpus`` GPUs (none for 0)."""
    return [{"type": facts.GPU_RESOURCE, "value": str(gpus)}] if gpus else []


def platform_version(compatibility: Compatibility) -> str | None:
    """Fargate services run on LATEST; other capacity takes no platform version."""
    return "LATEST" if compatibility == FARGATE else None


def placement_strategy(compatibility: Compatibility) -> list[dict[str, str]] | None:
    """Placement strategies for the capacity: none on Fargate (AWS refuses them), zone spread and binpack otherwise."""
    return [dict(s) for s in MANAGED_INSTANCES_PLACEMENT] if compatibility == MANAGED_INSTANCES else None


def _assume_ecs() -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def volume_configuration(name: str, container_name: str, volumes: Sequence[EbsVolume],
                         kms_key_arn: pulumi.Input[str] | None, parent: pulumi.Resource,
                         tags: Mapping[str, str]) -> dict[str, Any] | None:
    """The service's ``volume_configuration`` for its EBS volume, with the role ECS creates it with; None without.

    Children of ``parent``: ``{name}-ebs-role`` (aws.iam.Role, tagged with ``tags``), ``{name}-ebs-policy``
    (the AWS managed policy for volumes) and, with a key, ``{name}-ebs-kms`` (aws.iam.RolePolicy: that key only).
    """
    if not volumes:
        return None
    if len(volumes) > 1:
        raise ValueError(f"{name}: ECS attaches one EBS volume per task; got {len(volumes)}")
    volume = volumes[0]
    partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=parent)).partition
    # The role ECS assumes to create, attach and delete this service's task volumes; nothing else trusts it.
    role = aws.iam.Role(
        f"{name}-ebs-role",
        description=f"ECS infrastructure role for the EBS volumes of {container_name}",
        assume_role_policy=_assume_ecs(),
        tags=tagged(tags),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    # AWS's least-privilege policy for task volumes: EC2 volume calls on volumes ECS tags as its own.
    attachment = aws.iam.RolePolicyAttachment(
        f"{name}-ebs-policy",
        role=role.name,
        policy_arn=pulumi.Output.concat("arn:", partition, ":iam::aws:policy/service-role/",
                                        facts.EBS_INFRASTRUCTURE_POLICY),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    grants = [attachment]
    if kms_key_arn is not None:
        # The stack's key, for encrypting the volumes with it: this key and these actions only.
        grants.append(aws.iam.RolePolicy(
            f"{name}-ebs-kms",
            role=role.id,
            policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": [{
                "Sid": "EbsVolumeKey", "Effect": "Allow", "Action": list(facts.EBS_KMS_ACTIONS),
                "Resource": [kms_key_arn]}]}),
            opts=pulumi.ResourceOptions(parent=parent),
        ))
    managed: dict[str, Any] = {
        # The service's tasks only start once the role can create their volume.
        "role_arn": pulumi.Output.all(role.arn, *(g.id for g in grants)).apply(lambda values: values[0]),
        "encrypted": True,
        "kms_key_id": kms_key_arn,
        "size_in_gb": volume.size_gib,
        "volume_type": volume.volume_type,
        "file_system_type": volume.file_system_type,
        "tag_specifications": [{"resource_type": "volume", "propagate_tags": "SERVICE"}],
    }
    if volume.iops is not None:
        managed["iops"] = volume.iops
    if volume.throughput is not None:
        managed["throughput"] = volume.throughput
    return {"name": volume.name, "managed_ebs_volume": managed}


def container_extras(volumes: Sequence[EbsVolume], gpus: int, mounts: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """What the EBS volumes and GPUs add to a container definition: its mount points and GPU reservation."""
    extras: dict[str, Any] = {}
    if volumes:
        extras["mountPoints"] = [*mounts, *mount_points(volumes)]
    if gpus:
        extras["resourceRequirements"] = gpu_requirements(gpus)
    return extras
