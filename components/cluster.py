"""The ECS cluster: Container Insights, Fargate (and Managed Instances) capacity providers, logged ECS Exec."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.managed_instances import ManagedInstances, ManagedInstancesArgs
from components.tagging import tagged


@dataclass(frozen=True)
class ClusterArgs:
    """Inputs of :class:`Cluster`."""

    container_insights: Literal["enabled", "enhanced", "disabled"] = "enabled"
    """Container Insights level; disabling it takes an explicit argument."""
    fargate_base: int = 0
    """Tasks of each service always placed on FARGATE before the weights apply."""
    fargate_weight: int = 1
    """Relative weight of FARGATE in the default capacity provider strategy."""
    fargate_spot_weight: int = 0
    """Relative weight of FARGATE_SPOT in the default capacity provider strategy."""
    log_retention_days: int = 14
    """Retention of the ECS Exec session log group (days)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS key that encrypts ECS Exec sessions and their log group; None leaves AWS defaults."""
    protect: bool = True
    """Protect the session log group from deletion."""
    service_connect_namespace: str | None = None
    """Name of a private Cloud Map namespace for Service Connect; None creates none."""
    vpc_id: pulumi.Input[str] | None = None
    """VPC the Service Connect namespace resolves in (required with ``service_connect_namespace``)."""
    managed_instances: ManagedInstancesArgs | None = None
    """ECS Managed Instances capacity to create in this cluster and attach beside the Fargate providers; None: none."""
    fargate_ephemeral_storage_kms: bool = False
    """Encrypt Fargate tasks' ephemeral storage with ``kms_key_arn`` (whose key policy must grant Fargate)."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


class Cluster(pulumi.ComponentResource):
    """An ECS cluster for Fargate services.

    Children:
    - ``{name}-exec-logs``: log group that records every ECS Exec session.
    - ``{name}-cluster``: the cluster, with Container Insights and Exec logging configured.
    - ``{name}-mi`` (:class:`components.managed_instances.ManagedInstances`): the Managed Instances provider,
      when asked for.
    - ``{name}-capacity``: FARGATE and FARGATE_SPOT providers (and the Managed Instances one) with the default
      strategy.
    - ``{name}-namespace``: the private Cloud Map namespace services call each other in (when named).
    """

    cluster_name: pulumi.Output[str]
    """Name of the cluster."""
    cluster_arn: pulumi.Output[str]
    """ARN of the cluster."""
    exec_log_group_name: pulumi.Output[str]
    """Log group that records ECS Exec sessions."""
    exec_log_group_arn: pulumi.Output[str]
    """ARN of that log group, for the task roles that write session logs."""
    namespace_arn: pulumi.Output[str] | None
    """ARN of the Service Connect namespace, or None."""
    managed_instances_provider: pulumi.Output[str] | None
    """Name of the Managed Instances capacity provider, or None."""

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fargate-platform:index:Cluster", name, None, opts)
        if args.fargate_ephemeral_storage_kms and args.kms_key_arn is None:
            raise ValueError("ClusterArgs.kms_key_arn is required with fargate_ephemeral_storage_kms")
        # Audit trail of interactive sessions: who ran what inside a task.
        exec_logs = aws.cloudwatch.LogGroup(
            f"{name}-exec-logs",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        namespace = None
        if args.service_connect_namespace:
            if args.vpc_id is None:
                raise ValueError("ClusterArgs.vpc_id is required with service_connect_namespace")
            # Services find each other by name here, without a load balancer in between.
            namespace = aws.servicediscovery.PrivateDnsNamespace(
                f"{name}-namespace", name=args.service_connect_namespace, vpc=args.vpc_id,
                description="Service Connect namespace",
                tags=tagged(args.tags), opts=pulumi.ResourceOptions(parent=self))
        # The cluster itself; Exec sessions are always logged, and encrypted when a key is given.
        cluster = aws.ecs.Cluster(
            f"{name}-cluster",
            settings=[aws.ecs.ClusterSettingArgs(name="containerInsights", value=args.container_insights)],
            configuration=aws.ecs.ClusterConfigurationArgs(
                execute_command_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationArgs(
                    kms_key_id=args.kms_key_arn,
                    logging="OVERRIDE",
                    log_configuration=aws.ecs.ClusterConfigurationExecuteCommandConfigurationLogConfigurationArgs(
                        cloud_watch_log_group_name=exec_logs.name,
                        cloud_watch_encryption_enabled=args.kms_key_arn is not None,
                    ),
                ),
                # Fargate's ephemeral storage under the stack's key instead of an AWS-owned one, when asked.
                managed_storage_configuration=(
                    aws.ecs.ClusterConfigurationManagedStorageConfigurationArgs(
                        fargate_ephemeral_storage_kms_key_id=args.kms_key_arn)
                    if args.fargate_ephemeral_storage_kms else None),
            ),
            service_connect_defaults=({"namespace": namespace.arn} if namespace is not None else None),
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self),
        )
        strategy = [
            aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs(
                capacity_provider="FARGATE", weight=args.fargate_weight, base=args.fargate_base),
        ]
        if args.fargate_spot_weight:
            strategy.append(aws.ecs.ClusterCapacityProvidersDefaultCapacityProviderStrategyArgs(
                capacity_provider="FARGATE_SPOT", weight=args.fargate_spot_weight))
        managed = None
        if args.managed_instances is not None:
            # The Managed Instances provider belongs to this cluster, so it is created here, before the attachment.
            # Its own tags win over the cluster's, as a resource's own tags do.
            managed_args = replace(args.managed_instances, cluster_name=cluster.name,
                                   tags=tagged(args.tags, args.managed_instances.tags))
            managed = ManagedInstances(f"{name}-mi", managed_args, opts=pulumi.ResourceOptions(parent=self))
        # Both Fargate providers, so services may weight Spot; the default strategy comes from config.
        capacity = aws.ecs.ClusterCapacityProviders(
            f"{name}-capacity",
            cluster_name=cluster.name,
            capacity_providers=(["FARGATE", "FARGATE_SPOT"] if managed is None
                                else ["FARGATE", "FARGATE_SPOT", managed.provider_name]),
            default_capacity_provider_strategies=strategy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.cluster_name = cluster.name
        # Services must see the default strategy, so the ARN handed out waits for the providers.
        self.cluster_arn = pulumi.Output.all(cluster.arn, capacity.id).apply(lambda values: values[0])
        self.exec_log_group_name = exec_logs.name
        self.exec_log_group_arn = exec_logs.arn
        self.namespace_arn = namespace.arn if namespace is not None else None
        self.managed_instances_provider = managed.provider_name if managed is not None else None
        self.register_outputs({
            "namespace_arn": self.namespace_arn,
            "managed_instances_provider": self.managed_instances_provider,
            "exec_log_group_arn": self.exec_log_group_arn,
            "cluster_name": self.cluster_name,
            "cluster_arn": self.cluster_arn,
            "exec_log_group_name": self.exec_log_group_name,
        })
