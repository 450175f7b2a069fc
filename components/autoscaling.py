"""Application Auto Scaling of one ECS service's task count.

Target tracking on CPU, memory and load balancer requests per task, each only
when its target is configured, plus scheduled changes of the capacity range.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from stacks.settings import ServiceSettings

TYPE_TOKEN = "fargate-platform:index:Autoscaling"
SCALABLE_DIMENSION = "ecs:service:DesiredCount"


@dataclass(frozen=True, kw_only=True)
class AutoscalingArgs:
    """Inputs of :class:`Autoscaling`."""

    settings: ServiceSettings
    """Validated settings of the service: capacity range, targets, cooldowns and schedules."""
    cluster_name: pulumi.Input[str]
    """Name of the ECS cluster the service runs in."""
    service_name: pulumi.Input[str]
    """Name of the ECS service to scale."""
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the load balancer; required when ``settings.requests_per_target`` is set."""
    target_group_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the service's target group; required when ``settings.requests_per_target`` is set."""


class Autoscaling(pulumi.ComponentResource):
    """Scales one ECS service between its minimum and maximum task count.

    Child resources (``<name>-<role>``):

    - ``target`` (aws.appautoscaling.Target)
    - ``cpu``, ``memory``, ``requests`` (aws.appautoscaling.Policy, target tracking): each only when its
      target in the settings is not None.
    - ``schedule-<schedule name>`` (aws.appautoscaling.ScheduledAction): one per ``settings.schedules`` entry.
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
        svc = args.settings
        child = pulumi.ResourceOptions(parent=self)

        # Registers the service's desired count with Application Auto Scaling within [min, max].
        target = aws.appautoscaling.Target(
            f"{name}-target",
            service_namespace="ecs",
            scalable_dimension=SCALABLE_DIMENSION,
            resource_id=pulumi.Output.format("service/{0}/{1}", args.cluster_name, args.service_name),
            min_capacity=svc.min_count,
            max_capacity=svc.max_count,
            opts=child,
        )

        metrics: list[tuple[str, float, dict[str, pulumi.Input[str]]]] = []
        if svc.cpu_target is not None:
            metrics.append(("cpu", svc.cpu_target, {"predefined_metric_type": "ECSServiceAverageCPUUtilization"}))
        if svc.memory_target is not None:
            metrics.append(("memory", svc.memory_target,
                            {"predefined_metric_type": "ECSServiceAverageMemoryUtilization"}))
        if svc.requests_per_target is not None:
            if args.load_balancer_arn_suffix is None or args.target_group_arn_suffix is None:
                raise pulumi.RunError(f"{name}: requestsPerTarget of service '{svc.name}' needs "
                                      "load_balancer_arn_suffix and target_group_arn_suffix")
            metrics.append(("requests", float(svc.requests_per_target), {
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
                    "scale_in_cooldown": svc.scale_in_cooldown,
                    "scale_out_cooldown": svc.scale_out_cooldown,
                    "disable_scale_in": False,
                },
                opts=child,
            ))

        actions: list[aws.appautoscaling.ScheduledAction] = []
        for sched in svc.schedules:
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
