"""Application Auto Scaling of one ECS service's task count.

Target tracking on CPU, memory and load balancer requests per task, each only
when its target is configured, plus scheduled changes of the capacity range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.tagging import tagged

TYPE_TOKEN = "fargate-platform:index:Autoscaling"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"


@dataclass(frozen=True, kw_only=True)
class ScheduledCapacity:
    """A scheduled change of the capacity range, e.g. to zero outside office hours."""

    name: str
    """Name of the scheduled action, unique within the service (letters, digits and hyphens)."""
    schedule: str
    """Application Auto Scaling schedule expression: ``cron(...)``, ``rate(...)`` or ``at(...)``."""
    min_count: int
    """Minimum task count from this time on."""
    max_count: int
    """Maximum task count from this time on."""
    timezone: str = "UTC"
    """IANA time zone the cron expression is read in."""


@dataclass(frozen=True, kw_only=True)
class AutoscalingArgs:
    """Inputs of :class:`Autoscaling`."""

    cluster_name: pulumi.Input[str]
    """Name of the ECS cluster the service runs in."""
    service_name: pulumi.Input[str]
    """Name of the ECS service to scale."""
    min_count: int = 1
    """Lowest task count the autoscaler keeps."""
    max_count: int = 4
    """Highest task count the autoscaler may reach."""
    cpu_target: float | None = 60.0
    """Target average CPU utilisation (%); None creates no CPU policy."""
    memory_target: float | None = 75.0
    """Target average memory utilisation (%); None creates no memory policy."""
    requests_per_target: int | None = None
    """Target load balancer requests per task per minute; None creates no request policy."""
    scale_in_cooldown: int = 300
    """Seconds after a scale-in before another scale-in."""
    scale_out_cooldown: int = 60
    """Seconds after a scale-out before another scale-out."""
    schedules: Sequence[ScheduledCapacity] = ()
    """Scheduled changes of the capacity range."""
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the load balancer; required with ``requests_per_target``."""
    target_group_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the service's target group; required with ``requests_per_target``."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


class Autoscaling(pulumi.ComponentResource):
    """Scales one ECS service between its minimum and maximum task count.

    Child resources (``<name>-<role>``):

    - ``target`` (aws.appautoscaling.Target)
    - ``cpu``, ``memory``, ``requests`` (aws.appautoscaling.Policy, target tracking): each only when its
      target in the args is not None.
    - ``schedule-<schedule name>`` (aws.appautoscaling.ScheduledAction): one per ``schedules`` entry.
    """

    scalable_target_id: pulumi.Output[str]
    """Id of the scalable target."""
    resource_id: pulumi.Output[str]
    """Application Auto Scaling resource id: ``service/<cluster>/<service>``."""
    policy_names: pulumi.Output[list[str]]
    """Names of the target-tracking policies created (empty when every target is disabled)."""
    scheduled_action_names: pulumi.Output[list[str]]
    """Names of the scheduled actions created."""

    def __init__(self, name: str, args: AutoscalingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        if args.requests_per_target is not None and (args.load_balancer_arn_suffix is None
                                                     or args.target_group_arn_suffix is None):
            raise ValueError(f"{name}: requests_per_target needs load_balancer_arn_suffix and target_group_arn_suffix")
        child = pulumi.ResourceOptions(parent=self)

        # Registers the service's desired count with Application Auto Scaling within [min, max].
        target = aws.appautoscaling.Target(
            f"{name}-target",
            service_namespace="ecs",
            scalable_dimension=SCALABLE_DIMENSION,
            resource_id=pulumi.Output.format("service/{0}/{1}", args.cluster_name, args.service_name),
            min_capacity=args.min_count,
            max_capacity=args.max_count,
            tags=tagged(args.tags),
            opts=child,
        )

        metrics: list[tuple[str, float, dict[str, pulumi.Input[str]]]] = []
        if args.cpu_target is not None:
            metrics.append(("cpu", args.cpu_target, {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}))
        if args.memory_target is not None:
            metrics.append(("memory", args.memory_target,
                            {"predefined_metric_type": "ECSServiceAverageMemoryUtilization"}))
        if args.requests_per_target is not None:
            metrics.append(("requests", float(args.requests_per_target), {
                "predefined_metric_type": "ALBRequestCountPerTarget",
                "resource_label": pulumi.Output.format("{0}/{1}", args.load_balancer_arn_suffix,
                                                       args.target_group_arn_suffix),
            }))

        policies: list[aws.appautoscaling.Policy] = []
        for role, value, metric in metrics:
            # Adds tasks quickly when the metric exceeds its target and removes them slowly when it falls below.
            policies.append(aws.appautoscaling.Policy(
                f"{name}-{role}",
                policy_type="TargetTrackingScaling",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                target_tracking_scaling_policy_configuration={
                    "target_value": value,
                    "predefined_metric_specification": metric,
                    "scale_in_cooldown": args.scale_in_cooldown,
                    "scale_out_cooldown": args.scale_out_cooldown,
                    "disable_scale_in": False,
                },
                opts=child,
            ))

        actions: list[aws.appautoscaling.ScheduledAction] = []
        for sched in args.schedules:
            # Moves the capacity range at a known time, e.g. to zero outside office hours.
            actions.append(aws.appautoscaling.ScheduledAction(
                f"{name}-schedule-{sched.name}",
                service_namespace=target.service_namespace,
                scalable_dimension=target.scalable_dimension,
                resource_id=target.resource_id,
                schedule=sched.schedule,
                timezone=sched.timezone,
                scalable_target_action={"min_capacity": sched.min_count, "max_capacity": sched.max_count},
                opts=child,
            ))

        self.scalable_target_id = target.id
        self.resource_id = target.resource_id
        self.policy_names = pulumi.Output.all(*(p.name for p in policies))
        self.scheduled_action_names = pulumi.Output.all(*(a.name for a in actions))
        self.register_outputs({
            "scalable_target_id": self.scalable_target_id,
            "resource_id": self.resource_id,
            "policy_names": self.policy_names,
            "scheduled_action_names": self.scheduled_action_names,
        })
