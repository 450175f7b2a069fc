"""ECS Managed Instances: EC2 capacity that AWS launches, patches and replaces, beside Fargate."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi
import pulumi_aws as aws
from fargate_policies import facts

from components.tagging import tagged


@dataclass(frozen=True, kw_only=True)
class ManagedInstancesArgs:
    """Inputs of :class:`ManagedInstances`."""

    vpc_id: pulumi.Input[str]
    """VPC of the instances' security group."""
    subnet_ids: pulumi.Input[Sequence[str]]
    """Private subnets the instances launch into; they get no public IP there."""
    cluster_name: pulumi.Input[str] | None = None
    """Cluster the provider belongs to (providers are per cluster); None when :class:`components.cluster.Cluster`
    creates it (``ClusterArgs.managed_instances``) and names its own cluster."""
    architecture: Literal["X86_64", "ARM64"] = "X86_64"
    """CPU architecture of the instances (their CPU makers follow from it)."""
    vcpu_min: int = 1
    """Fewest vCPUs an instance may have."""
    vcpu_max: int | None = None
    """Most vCPUs an instance may have; None leaves it open."""
    memory_min_mib: int = 1024
    """Least memory (MiB) an instance may have."""
    memory_max_mib: int | None = None
    """Most memory (MiB) an instance may have; None leaves it open."""
    instance_types: Sequence[str] = ()
    """Allowed instance types or families (``g5.xlarge``, ``m7g.*``); empty lets ECS choose within the ranges."""
    accelerator_types: Sequence[str] = ()
    """Accelerator kinds the instances must have (``gpu``, ``fpga``, ``inference``); empty requires none."""
    accelerator_manufacturers: Sequence[str] = ()
    """Accelerator makers to choose from; empty allows any."""
    accelerator_count_min: int | None = None
    """Fewest accelerators an instance may have."""
    accelerator_count_max: int | None = None
    """Most accelerators an instance may have; None leaves it open."""
    capacity_option: Literal["ON_DEMAND", "SPOT"] = "ON_DEMAND"
    """Buy the instances on demand, or as Spot capacity AWS may reclaim."""
    storage_gib: int | None = None
    """Size (GiB) of each instance's volume for task data; None keeps AWS's default."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


def _range(low: int | None, high: int | None) -> dict[str, int] | None:
    if low is None and high is None:
        return None
    return {key: value for key, value in (("min", low), ("max", high)) if value is not None}


def _trust(service: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})


class ManagedInstances(pulumi.ComponentResource):
    """An ECS Managed Instances capacity provider and what AWS needs to run it.

    Children:
    - ``{name}-infrastructure-role`` (aws.iam.Role) and ``{name}-infrastructure-policy`` (the AWS managed
      policy for Managed Instances): what ECS launches, tags and terminates instances as.
    - ``{name}-instance-role`` (aws.iam.Role, named ``ecsInstanceRole-...`` because the managed policy passes
      only such roles), ``{name}-instance-policy`` (the AWS managed instance policy) and
      ``{name}-instance-profile`` (aws.iam.InstanceProfile): what the instances' ECS agent runs as.
    - ``{name}-sg`` (aws.ec2.SecurityGroup) and ``{name}-sg-egress-https`` (aws.vpc.SecurityGroupEgressRule):
      the instances' own network interface; tasks run in awsvpc mode with their service's group, so nothing
      comes in and only HTTPS (ECS, ECR, logs, SSM) goes out.
    - ``{name}-provider`` (aws.ecs.CapacityProvider): the provider, with its instance requirements.
    """

    provider_name: pulumi.Output[str]
    """Name of the capacity provider, for the cluster's provider list and services' strategies."""
    provider_arn: pulumi.Output[str]
    """ARN of the capacity provider."""
    security_group_id: pulumi.Output[str]
    """Security group of the instances."""
    infrastructure_role_arn: pulumi.Output[str]
    """Role ECS manages the instances with."""
    instance_profile_arn: pulumi.Output[str]
    """Instance profile the instances run with."""

    def __init__(self, name: str, args: ManagedInstancesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fargate-platform:index:ManagedInstances", name, None, opts)
        if args.cluster_name is None:
            raise ValueError(f"{name}: ManagedInstancesArgs.cluster_name is required")
        partition = aws.get_partition_output(opts=pulumi.InvokeOutputOptions(parent=self)).partition
        managed = pulumi.Output.concat("arn:", partition, ":iam::aws:policy/")

        # ECS assumes this role to launch, tag, replace and terminate the instances; it is trusted by ECS only.
        infrastructure_role = aws.iam.Role(
            f"{name}-infrastructure-role",
            description="ECS infrastructure role for Managed Instances",
            assume_role_policy=_trust("ecs.amazonaws.com"),
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # AWS's least-privilege policy for it, scoped to instances and fleets ECS tags as its own.
        infrastructure_policy = aws.iam.RolePolicyAttachment(
            f"{name}-infrastructure-policy",
            role=infrastructure_role.name,
            policy_arn=pulumi.Output.concat(managed, facts.MANAGED_INSTANCES_INFRASTRUCTURE_POLICY),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The instances' identity: the ECS agent registers and reports with it; tasks use their own task roles.
        instance_role = aws.iam.Role(
            f"{name}-instance-role",
            name_prefix=f"{facts.MANAGED_INSTANCES_ROLE_PREFIX}-",
            description="Role of the ECS Managed Instances' agent",
            assume_role_policy=_trust("ec2.amazonaws.com"),
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Exactly what the agent needs (register, poll, report state), as AWS maintains it.
        instance_policy = aws.iam.RolePolicyAttachment(
            f"{name}-instance-policy",
            role=instance_role.name,
            policy_arn=pulumi.Output.concat(managed, facts.MANAGED_INSTANCES_INSTANCE_POLICY),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Hands the instance role to the instances ECS launches.
        profile = aws.iam.InstanceProfile(
            f"{name}-instance-profile",
            name_prefix=f"{facts.MANAGED_INSTANCES_ROLE_PREFIX}-",
            role=instance_role.name,
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The instances' own interface: no ingress at all, every rule a separate resource.
        group = aws.ec2.SecurityGroup(
            f"{name}-sg",
            vpc_id=args.vpc_id,
            description="ECS Managed Instances: no ingress; tasks use their service's security group",
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # HTTPS out only: the agent's ECS endpoints, image pulls, logs and SSM, through NAT or VPC endpoints.
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-sg-egress-https",
            security_group_id=group.id,
            cidr_ipv4="0.0.0.0/0",
            ip_protocol="tcp",
            from_port=443,
            to_port=443,
            description="HTTPS to AWS APIs and image registries",
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The capacity provider: instances chosen by their requirements, in private subnets only.
        provider = aws.ecs.CapacityProvider(
            f"{name}-provider",
            cluster=args.cluster_name,
            managed_instances_provider={
                # Waits for both policies, so ECS never tries to launch with a role that cannot yet.
                "infrastructure_role_arn": pulumi.Output.all(
                    infrastructure_role.arn, infrastructure_policy.id, instance_policy.id).apply(lambda v: v[0]),
                "propagate_tags": "CAPACITY_PROVIDER",
                "instance_launch_template": self._launch_template(args, profile.arn, group.id),
            },
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.provider_name = provider.name
        self.provider_arn = provider.arn
        self.security_group_id = group.id
        self.infrastructure_role_arn = infrastructure_role.arn
        self.instance_profile_arn = profile.arn
        self.register_outputs({
            "provider_name": self.provider_name,
            "provider_arn": self.provider_arn,
            "security_group_id": self.security_group_id,
            "infrastructure_role_arn": self.infrastructure_role_arn,
            "instance_profile_arn": self.instance_profile_arn,
        })

    @staticmethod
    def _launch_template(args: ManagedInstancesArgs, profile_arn: pulumi.Input[str],
                         security_group_id: pulumi.Input[str]) -> dict[str, Any]:
        requirements: dict[str, Any] = {
            "vcpu_count": _range(args.vcpu_min, args.vcpu_max),
            "memory_mib": _range(args.memory_min_mib, args.memory_max_mib),
            "cpu_manufacturers": list(facts.CPU_MANUFACTURERS[args.architecture]),
        }
        if args.instance_types:
            requirements["allowed_instance_types"] = list(args.instance_types)
        else:
            # Left to choose, ECS picks among current-generation types only.
            requirements["instance_generations"] = ["current"]
        if args.accelerator_types:
            requirements["accelerator_types"] = list(args.accelerator_types)
        if args.accelerator_manufacturers:
            requirements["accelerator_manufacturers"] = list(args.accelerator_manufacturers)
        accelerators = _range(args.accelerator_count_min, args.accelerator_count_max)
        if accelerators is not None:
            requirements["accelerator_count"] = accelerators
        template: dict[str, Any] = {
            "ec2_instance_profile_arn": profile_arn,
            "capacity_option_type": args.capacity_option,
            "network_configuration": {"subnets": args.subnet_ids, "security_groups": [security_group_id]},
            "instance_requirements": requirements,
            "monitoring": "BASIC",
        }
        if args.storage_gib is not None:
            template["storage_configuration"] = {"storage_size_gib": args.storage_gib}
        return template
