"""The alarm set of one ECS service, notifying the stack's alarm topic (components.alarm_topic).

Alarm names are explicit and computed from plain strings (``<alarm_name_prefix>-<role>``), never
from outputs, so that a service can list its deployment alarms (:func:`critical_alarm_names`)
before the alarms, which watch that service, exist.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.tagging import tagged

TYPE_TOKEN = "fargate-platform:index:Alarms"

# Alarm roles: the resource is ``<name>-<role>``, the alarm ``<alarm_name_prefix>-<role>``.
CPU_HIGH = "cpu-high"
MEMORY_HIGH = "memory-high"
RUNNING_TASKS_LOW = "running-tasks-low"
TARGET_5XX_RATE = "target-5xx-rate"
TARGET_P99_LATENCY = "target-p99-latency"
UNHEALTHY_HOSTS = "unhealthy-hosts"
# The same three on the alternate target group, where a blue/green, canary or linear release starts.
ALTERNATE_5XX_RATE = "alternate-5xx-rate"
ALTERNATE_P99_LATENCY = "alternate-p99-latency"
ALTERNATE_UNHEALTHY_HOSTS = "alternate-unhealthy-hosts"

# CloudWatch's values for treat_missing_data.
NOT_BREACHING = "notBreaching"
BREACHING = "breaching"


def watches_running_tasks(min_count: int, container_insights: bool) -> bool:
    """Whether a service gets the running-task alarm: it needs a floor above zero and Container Insights."""
    return min_count > 0 and container_insights


def critical_alarm_names(alarm_name_prefix: str, *, load_balanced: bool, min_count: int,
                         container_insights: bool = True, alternate: bool = False) -> list[str]:
    """Names of the alarms :class:`Alarms` creates for deployment rollback, computed without any output.

    Pass the same values as to :class:`AlarmsArgs` (``load_balanced`` is whether target group and load
    balancer suffixes are given, ``alternate`` whether an alternate target group suffix is), so the service's
    ``alarms.alarm_names`` equal the alarms' real names.
    """
    roles = [TARGET_5XX_RATE, UNHEALTHY_HOSTS] if load_balanced else []
    if load_balanced and alternate:
        roles += [ALTERNATE_5XX_RATE, ALTERNATE_UNHEALTHY_HOSTS]
    if watches_running_tasks(min_count, container_insights):
        roles.append(RUNNING_TASKS_LOW)
    return [f"{alarm_name_prefix}-{role}" for role in roles]


@dataclass(frozen=True, kw_only=True)
class AlarmsArgs:
    """Inputs of :class:`Alarms`."""

    cluster_name: pulumi.Input[str]
    """Name of the ECS cluster the service runs in (the ClusterName dimension)."""
    service_name: pulumi.Input[str]
    """Name of the ECS service (the ServiceName dimension)."""
    topic_arn: pulumi.Input[str]
    """SNS topic notified when an alarm fires and when it recovers."""
    alarm_name_prefix: str | None = None
    """Plain-string prefix of the alarm names (``<prefix>-<role>``); None uses the component name."""
    target_group_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the service's target group; None (an internal service) skips the target alarms."""
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the load balancer in front of the target group; needed with the target group."""
    alternate_target_group_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the target group a traffic-shifting release starts the new version in; None: none."""
    min_count: int = 1
    """Lowest task count the service may be scaled to, scheduled actions included; 0 skips the task alarm."""
    container_insights: bool = True
    """Container Insights is on for the cluster; the running-task metric exists only then."""
    cpu_percent: float = 80
    """Average CPU utilisation (%) that raises the CPU alarm."""
    memory_percent: float = 85
    """Average memory utilisation (%) that raises the memory alarm."""
    target_5xx_percent: float = 5
    """Share of requests answered 5xx by the targets (%) that raises the 5xx alarm."""
    p99_latency_ms: int = 2000
    """p99 target response time (milliseconds) that raises the latency alarm."""
    period_seconds: int = 60
    """Length of one evaluated period (seconds)."""
    evaluation_periods: int = 3
    """Consecutive breaching periods before an alarm fires."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


class Alarms(pulumi.ComponentResource):
    """The alarm set of one ECS service; every alarm notifies the topic on ALARM and on OK.

    Children (MetricAlarm, named ``{name}-<role>``; alarm names ``<alarm_name_prefix>-<role>``):
    - ``cpu-high``, ``memory-high``: AWS/ECS utilisation of the service.
    - ``running-tasks-low``: ECS/ContainerInsights RunningTaskCount below ``min_count`` (only when
      ``min_count`` > 0 and Container Insights is on).
    - ``target-5xx-rate``, ``target-p99-latency``, ``unhealthy-hosts``: AWS/ApplicationELB metrics of the
      service's target group (only with a target group).
    - ``alternate-5xx-rate``, ``alternate-p99-latency``, ``alternate-unhealthy-hosts``: the same metrics of the
      alternate target group, where a blue/green, canary or linear release runs the new version (only with one).
    """

    alarm_names: pulumi.Output[list[str]]
    """Names of every alarm of the service."""
    alarm_arns: pulumi.Output[list[str]]
    """ARNs of every alarm of the service."""
    critical_alarm_names: pulumi.Output[list[str]]
    """Names of the alarms that roll a deployment back (5xx rate and unhealthy hosts of each target group,
    running tasks)."""

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        prefix = args.alarm_name_prefix or name
        load_balanced = args.target_group_arn_suffix is not None
        if load_balanced and args.load_balancer_arn_suffix is None:
            raise ValueError("Alarms needs load_balancer_arn_suffix together with target_group_arn_suffix")
        alternate = args.alternate_target_group_arn_suffix is not None
        if alternate and not load_balanced:
            raise ValueError("Alarms needs target_group_arn_suffix together with alternate_target_group_arn_suffix")
        actions = [args.topic_arn]
        service_dims = {"ClusterName": args.cluster_name, "ServiceName": args.service_name}
        common = {"alarm_actions": actions, "ok_actions": actions, "evaluation_periods": args.evaluation_periods}
        alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}

        def alarm(role: str, description: str, **props: object) -> None:
            alarms[role] = aws.cloudwatch.MetricAlarm(
                f"{name}-{role}", name=f"{prefix}-{role}", alarm_description=description, **common, **props,
                tags=tagged(args.tags),
                opts=pulumi.ResourceOptions(parent=self))

        # Sustained CPU pressure: the service needs more tasks or bigger ones.
        alarm(CPU_HIGH, f"{prefix}: average CPU utilisation >= {args.cpu_percent:g}%",
              namespace="AWS/ECS", metric_name="CPUUtilization", dimensions=service_dims,
              statistic="Average", period=args.period_seconds,
              comparison_operator="GreaterThanOrEqualToThreshold", threshold=args.cpu_percent,
              # No datapoints means no tasks, which the running-task alarm reports; not a CPU incident.
              treat_missing_data=NOT_BREACHING)
        # Memory close to the task limit: the next step is an out-of-memory kill.
        alarm(MEMORY_HIGH, f"{prefix}: average memory utilisation >= {args.memory_percent:g}%",
              namespace="AWS/ECS", metric_name="MemoryUtilization", dimensions=service_dims,
              statistic="Average", period=args.period_seconds,
              comparison_operator="GreaterThanOrEqualToThreshold", threshold=args.memory_percent,
              # As for CPU: missing data is the running-task alarm's business.
              treat_missing_data=NOT_BREACHING)
        if watches_running_tasks(args.min_count, args.container_insights):
            # Fewer tasks than the autoscaling floor: capacity is lost. (Not created for a floor of 0: a service
            # scaled to zero sends no datapoints, and with missing data breaching it would alarm forever.)
            alarm(RUNNING_TASKS_LOW, f"{prefix}: fewer than {args.min_count} running tasks",
                  namespace="ECS/ContainerInsights", metric_name="RunningTaskCount", dimensions=service_dims,
                  period=args.period_seconds,
                  statistic="Minimum", comparison_operator="LessThanThreshold", threshold=args.min_count,
                  # Container Insights sends nothing when no task runs: no datapoints means no tasks.
                  treat_missing_data=BREACHING)
        def target_alarms(target_group_arn_suffix: pulumi.Input[str], roles: tuple[str, str, str],
                          group: str) -> None:
            """The 5xx-rate, p99-latency and unhealthy-host alarms of one target group (``roles`` in that order);
            ``group`` names it in the descriptions."""
            target_dims = {"TargetGroup": target_group_arn_suffix, "LoadBalancer": args.load_balancer_arn_suffix}
            rate_role, latency_role, unhealthy_role = roles

            def elb_metric(query_id: str, metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
                return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id=query_id, return_data=False,
                    metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                        namespace="AWS/ApplicationELB", metric_name=metric_name, dimensions=target_dims,
                        stat="Sum", period=args.period_seconds))

            # Users see errors: the share of the service's requests its tasks answer 5xx.
            alarm(rate_role, f"{prefix}: >= {args.target_5xx_percent:g}% of {group}requests answered 5xx",
                  # Metric math: the period goes on each query (a top-level period conflicts with metric_queries).
                  metric_queries=[
                      elb_metric("errors", "HTTPCode_Target_5XX_Count"),
                      elb_metric("requests", "RequestCount"),
                      aws.cloudwatch.MetricAlarmMetricQueryArgs(
                          id="rate", expression="100 * FILL(errors, 0) / requests",
                          label="Target 5xx rate (%)", return_data=True),
                  ],
                  comparison_operator="GreaterThanOrEqualToThreshold", threshold=args.target_5xx_percent,
                  # No 5xx datapoint means none (FILL makes it 0%); no requests at all is not an incident.
                  treat_missing_data=NOT_BREACHING)
            # Users wait: the slowest 1% of responses are too slow.
            alarm(latency_role, f"{prefix}: p99 {group or 'target '}response time >= {args.p99_latency_ms} ms",
                  namespace="AWS/ApplicationELB", metric_name="TargetResponseTime", dimensions=target_dims,
                  period=args.period_seconds,
                  extended_statistic="p99", comparison_operator="GreaterThanOrEqualToThreshold",
                  threshold=args.p99_latency_ms / 1000,
                  # No requests means no latency to judge.
                  treat_missing_data=NOT_BREACHING)
            # Tasks failing the load balancer's health check: capacity is lost, and a deployment is bad.
            alarm(unhealthy_role, f"{prefix}: unhealthy targets in the {group}target group",
                  namespace="AWS/ApplicationELB", metric_name="UnHealthyHostCount", dimensions=target_dims,
                  period=args.period_seconds,
                  statistic="Maximum", comparison_operator="GreaterThanThreshold", threshold=0,
                  # Sent every minute while the target group is in use; a gap is not a sick task.
                  treat_missing_data=NOT_BREACHING)

        if load_balanced:
            target_alarms(args.target_group_arn_suffix, (TARGET_5XX_RATE, TARGET_P99_LATENCY, UNHEALTHY_HOSTS), "")
        if alternate:
            # A release's new version runs in the alternate target group: a bad one fires these and rolls back.
            target_alarms(args.alternate_target_group_arn_suffix,
                          (ALTERNATE_5XX_RATE, ALTERNATE_P99_LATENCY, ALTERNATE_UNHEALTHY_HOSTS), "alternate ")

        critical = critical_alarm_names(prefix, load_balanced=load_balanced, min_count=args.min_count,
                                        container_insights=args.container_insights, alternate=alternate)
        self.alarm_names = pulumi.Output.all(*[a.name for a in alarms.values()])
        self.alarm_arns = pulumi.Output.all(*[a.arn for a in alarms.values()])
        self.critical_alarm_names = pulumi.Output.all(
            *[alarms[n.removeprefix(f"{prefix}-")].name for n in critical])
        self.register_outputs({
            "alarm_names": self.alarm_names,
            "alarm_arns": self.alarm_arns,
            "critical_alarm_names": self.critical_alarm_names,
        })
