"""Alarms and where they go: the encrypted alarm topic, per-service alarms and load balancer alarms.

Three components live here because they only make sense together: every alarm of
:class:`Alarms` and :class:`LoadBalancerAlarms` notifies the topic of :class:`AlarmTopic`.

Alarm names are explicit and computed from plain strings (``<alarm_name_prefix>-<role>``), never
from outputs, so that a service can list its deployment alarms (:func:`critical_alarm_names`)
before the alarms, which watch that service, exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

ALARMS_TYPE = "fargate-platform:index:Alarms"
LOAD_BALANCER_ALARMS_TYPE = "fargate-platform:index:LoadBalancerAlarms"
ALARM_TOPIC_TYPE = "fargate-platform:index:AlarmTopic"

# Alarm roles: the resource is ``<name>-<role>``, the alarm ``<alarm_name_prefix>-<role>``.
CPU_HIGH = "cpu-high"
MEMORY_HIGH = "memory-high"
RUNNING_TASKS_LOW = "running-tasks-low"
TARGET_5XX_RATE = "target-5xx-rate"
TARGET_P99_LATENCY = "target-p99-latency"
UNHEALTHY_HOSTS = "unhealthy-hosts"
ELB_5XX = "elb-5xx"
REJECTED_CONNECTIONS = "rejected-connections"

# CloudWatch's values for treat_missing_data.
NOT_BREACHING = "notBreaching"
BREACHING = "breaching"


def watches_running_tasks(min_count: int, container_insights: bool) -> bool:
    """Whether a service gets the running-task alarm: it needs a floor above zero and Container Insights."""
    return min_count > 0 and container_insights


def critical_alarm_names(alarm_name_prefix: str, *, load_balanced: bool, min_count: int,
                         container_insights: bool = True) -> list[str]:
    """Names of the alarms :class:`Alarms` creates for deployment rollback, computed without any output.

    Pass the same values as to :class:`AlarmsArgs` (``load_balanced`` is whether target group and load
    balancer suffixes are given), so the service's ``alarms.alarm_names`` equal the alarms' real names.
    """
    roles = [TARGET_5XX_RATE, UNHEALTHY_HOSTS] if load_balanced else []
    if watches_running_tasks(min_count, container_insights):
        roles.append(RUNNING_TASKS_LOW)
    return [f"{alarm_name_prefix}-{role}" for role in roles]


# ---------------------------------------------------------------------------
# The topic
# ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class AlarmTopicArgs:
    """Inputs of :class:`AlarmTopic`."""

    kms_key_arn: pulumi.Input[str] | None = None
    """KMS key of the topic; its policy must let cloudwatch.amazonaws.com GenerateDataKey*/Decrypt. None: a new key."""
    email_endpoints: Sequence[str] = ()
    """Email addresses subscribed to the topic (each confirms by email)."""
    https_endpoints: Sequence[str] = ()
    """HTTPS endpoints (e.g. a paging service's webhook) subscribed to the topic."""
    https_auto_confirms: bool = True
    """The HTTPS endpoints confirm their subscription themselves, as paging services do."""
    protect: bool = False
    """Protect the topic's own key (when one is created) from deletion."""


class AlarmTopic(pulumi.ComponentResource):
    """The SNS topic every alarm notifies, encrypted, TLS-only and writable by CloudWatch alarms only.

    Children:
    - ``{name}-key`` and ``{name}-key-alias``: a rotating KMS key CloudWatch alarms may use (only when no
      ``kms_key_arn`` is given; the AWS-managed ``alias/aws/sns`` key cannot be used, because its policy
      does not let CloudWatch alarms encrypt, so every notification would fail).
    - ``{name}-topic``: the KMS-encrypted topic.
    - ``{name}-topic-policy``: denies publishing without TLS, lets this account's alarms publish.
    - ``{name}-email-<n>`` and ``{name}-https-<n>``: one subscription per configured endpoint.
    """

    topic_arn: pulumi.Output[str]
    """ARN of the topic; pass it to the alarms' actions."""
    kms_key_arn: pulumi.Output[str]
    """ARN of the KMS key that encrypts the topic (given or created)."""

    def __init__(self, name: str, args: AlarmTopicArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ALARM_TOPIC_TYPE, name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity().account_id
        region = aws.get_region().region
        partition = aws.get_partition().partition

        key_arn: pulumi.Input[str]
        if args.kms_key_arn is not None:
            key_arn = args.kms_key_arn
        else:
            # Alarms can only notify an encrypted topic whose key lets CloudWatch encrypt; AWS-managed keys do not.
            key = aws.kms.Key(
                f"{name}-key",
                description=f"{name} alarm notifications",
                enable_key_rotation=True,
                deletion_window_in_days=30,
                policy=pulumi.Output.json_dumps({
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "AccountAdministers",
                            "Effect": "Allow",
                            "Principal": {"AWS": f"arn:{partition}:iam::{account}:root"},
                            "Action": "kms:*",
                            "Resource": "*",
                        },
                        {
                            "Sid": "CloudWatchAlarmsEncrypt",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                        },
                    ],
                }),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
            )
            # A findable handle on the key for operators.
            aws.kms.Alias(f"{name}-key-alias", name=f"alias/{name}", target_key_id=key.key_id, opts=child)
            key_arn = key.arn

        # The topic itself: encrypted at rest, SHA256-signed deliveries for HTTPS subscribers.
        topic = aws.sns.Topic(
            f"{name}-topic",
            kms_master_key_id=key_arn,
            signature_version=2,
            opts=child,
        )
        # Only TLS publishing, and only CloudWatch alarms of this account and region may publish.
        aws.sns.TopicPolicy(
            f"{name}-topic-policy",
            arn=topic.arn,
            policy=pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sns:Publish",
                        "Resource": topic.arn,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "AllowCloudWatchAlarms",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": topic.arn,
                        "Condition": {"ArnLike": {
                            "aws:SourceArn": f"arn:{partition}:cloudwatch:{region}:{account}:alarm:*"}},
                    },
                ],
            }),
            opts=child,
        )
        for index, address in enumerate(args.email_endpoints):
            # People on call read alarms by email; the address owner confirms the subscription.
            aws.sns.TopicSubscription(f"{name}-email-{index}", topic=topic.arn, protocol="email",
                                      endpoint=address, opts=child)
        for index, url in enumerate(args.https_endpoints):
            # Paging services take alarms over HTTPS and confirm the subscription themselves.
            aws.sns.TopicSubscription(f"{name}-https-{index}", topic=topic.arn, protocol="https", endpoint=url,
                                      endpoint_auto_confirms=args.https_auto_confirms, opts=child)

        self.topic_arn = topic.arn
        self.kms_key_arn = pulumi.Output.from_input(key_arn)
        self.register_outputs({"topic_arn": self.topic_arn, "kms_key_arn": self.kms_key_arn})


# ---------------------------------------------------------------------------
# Per-service alarms
# ---------------------------------------------------------------------------
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


class Alarms(pulumi.ComponentResource):
    """The alarm set of one ECS service; every alarm notifies the topic on ALARM and on OK.

    Children (MetricAlarm, named ``{name}-<role>``; alarm names ``<alarm_name_prefix>-<role>``):
    - ``cpu-high``, ``memory-high``: AWS/ECS utilisation of the service.
    - ``running-tasks-low``: ECS/ContainerInsights RunningTaskCount below ``min_count`` (only when
      ``min_count`` > 0 and Container Insights is on).
    - ``target-5xx-rate``, ``target-p99-latency``, ``unhealthy-hosts``: AWS/ApplicationELB metrics of the
      service's target group (only with a target group).
    """

    alarm_names: pulumi.Output[list[str]]
    """Names of every alarm of the service."""
    alarm_arns: pulumi.Output[list[str]]
    """ARNs of every alarm of the service."""
    critical_alarm_names: pulumi.Output[list[str]]
    """Names of the alarms that roll a deployment back (5xx rate, unhealthy hosts, running tasks)."""

    def __init__(self, name: str, args: AlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ALARMS_TYPE, name, None, opts)
        prefix = args.alarm_name_prefix or name
        load_balanced = args.target_group_arn_suffix is not None
        if load_balanced and args.load_balancer_arn_suffix is None:
            raise ValueError("Alarms needs load_balancer_arn_suffix together with target_group_arn_suffix")
        actions = [args.topic_arn]
        service_dims = {"ClusterName": args.cluster_name, "ServiceName": args.service_name}
        common = {"alarm_actions": actions, "ok_actions": actions, "evaluation_periods": args.evaluation_periods}
        alarms: dict[str, aws.cloudwatch.MetricAlarm] = {}

        def alarm(role: str, description: str, **props: object) -> None:
            alarms[role] = aws.cloudwatch.MetricAlarm(
                f"{name}-{role}", name=f"{prefix}-{role}", alarm_description=description, **common, **props,
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
        if load_balanced:
            target_dims = {"TargetGroup": args.target_group_arn_suffix,
                           "LoadBalancer": args.load_balancer_arn_suffix}

            def elb_metric(query_id: str, metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
                return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id=query_id, return_data=False,
                    metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                        namespace="AWS/ApplicationELB", metric_name=metric_name, dimensions=target_dims,
                        stat="Sum", period=args.period_seconds))

            # Users see errors: the share of the service's requests its tasks answer 5xx.
            alarm(TARGET_5XX_RATE, f"{prefix}: >= {args.target_5xx_percent:g}% of requests answered 5xx",
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
            alarm(TARGET_P99_LATENCY, f"{prefix}: p99 target response time >= {args.p99_latency_ms} ms",
                  namespace="AWS/ApplicationELB", metric_name="TargetResponseTime", dimensions=target_dims,
                  period=args.period_seconds,
                  extended_statistic="p99", comparison_operator="GreaterThanOrEqualToThreshold",
                  threshold=args.p99_latency_ms / 1000,
                  # No requests means no latency to judge.
                  treat_missing_data=NOT_BREACHING)
            # Tasks failing the load balancer's health check: capacity is lost, and a deployment is bad.
            alarm(UNHEALTHY_HOSTS, f"{prefix}: unhealthy targets in the target group",
                  namespace="AWS/ApplicationELB", metric_name="UnHealthyHostCount", dimensions=target_dims,
                  period=args.period_seconds,
                  statistic="Maximum", comparison_operator="GreaterThanThreshold", threshold=0,
                  # Sent every minute while the target group is in use; a gap is not a sick task.
                  treat_missing_data=NOT_BREACHING)

        critical = critical_alarm_names(prefix, load_balanced=load_balanced, min_count=args.min_count,
                                        container_insights=args.container_insights)
        self.alarm_names = pulumi.Output.all(*[a.name for a in alarms.values()])
        self.alarm_arns = pulumi.Output.all(*[a.arn for a in alarms.values()])
        self.critical_alarm_names = pulumi.Output.all(
            *[alarms[n.removeprefix(f"{prefix}-")].name for n in critical])
        self.register_outputs({
            "alarm_names": self.alarm_names,
            "alarm_arns": self.alarm_arns,
            "critical_alarm_names": self.critical_alarm_names,
        })


# ---------------------------------------------------------------------------
# Load balancer alarms
# ---------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True)
class LoadBalancerAlarmsArgs:
    """Inputs of :class:`LoadBalancerAlarms`."""

    load_balancer_arn_suffix: pulumi.Input[str]
    """ARN suffix of the load balancer (the LoadBalancer dimension)."""
    topic_arn: pulumi.Input[str]
    """SNS topic notified when an alarm fires and when it recovers."""
    alarm_name_prefix: str | None = None
    """Plain-string prefix of the alarm names (``<prefix>-<role>``); None uses the component name."""
    elb_5xx_count: int = 10
    """5xx responses the load balancer itself generates per period that raise its alarm."""
    rejected_connections: int = 1
    """Connections the load balancer rejects per period that raise its alarm."""
    period_seconds: int = 60
    """Length of one evaluated period (seconds)."""
    evaluation_periods: int = 3
    """Consecutive breaching periods before an alarm fires."""


class LoadBalancerAlarms(pulumi.ComponentResource):
    """Alarms on the load balancer itself, for failures no single service's alarms see.

    Children (MetricAlarm, named ``{name}-<role>``; alarm names ``<alarm_name_prefix>-<role>``):
    - ``elb-5xx``: 5xx the load balancer generates (no healthy target, target unreachable, timeouts).
    - ``rejected-connections``: connections rejected because the load balancer hit its connection limit.
    """

    alarm_names: pulumi.Output[list[str]]
    """Names of the load balancer's alarms."""
    alarm_arns: pulumi.Output[list[str]]
    """ARNs of the load balancer's alarms."""

    def __init__(self, name: str, args: LoadBalancerAlarmsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(LOAD_BALANCER_ALARMS_TYPE, name, None, opts)
        prefix = args.alarm_name_prefix or name
        actions = [args.topic_arn]
        dims = {"LoadBalancer": args.load_balancer_arn_suffix}
        child = pulumi.ResourceOptions(parent=self)
        # Requests fail at the load balancer, before reaching any task (no healthy target, timeouts).
        elb_5xx = aws.cloudwatch.MetricAlarm(
            f"{name}-{ELB_5XX}", name=f"{prefix}-{ELB_5XX}",
            alarm_description=f"{prefix}: >= {args.elb_5xx_count} 5xx generated by the load balancer per period",
            namespace="AWS/ApplicationELB", metric_name="HTTPCode_ELB_5XX_Count", dimensions=dims, statistic="Sum",
            comparison_operator="GreaterThanOrEqualToThreshold", threshold=args.elb_5xx_count,
            period=args.period_seconds, evaluation_periods=args.evaluation_periods,
            # ELB sends no datapoint when there were no errors.
            treat_missing_data=NOT_BREACHING, alarm_actions=actions, ok_actions=actions, opts=child)
        # Clients turned away because the load balancer hit its connection limit.
        rejected = aws.cloudwatch.MetricAlarm(
            f"{name}-{REJECTED_CONNECTIONS}", name=f"{prefix}-{REJECTED_CONNECTIONS}",
            alarm_description=f"{prefix}: >= {args.rejected_connections} rejected connections per period",
            namespace="AWS/ApplicationELB", metric_name="RejectedConnectionCount", dimensions=dims,
            statistic="Sum", comparison_operator="GreaterThanOrEqualToThreshold",
            threshold=args.rejected_connections, period=args.period_seconds,
            evaluation_periods=args.evaluation_periods,
            # No datapoint means nothing was rejected.
            treat_missing_data=NOT_BREACHING, alarm_actions=actions, ok_actions=actions, opts=child)
        self.alarm_names = pulumi.Output.all(elb_5xx.name, rejected.name)
        self.alarm_arns = pulumi.Output.all(elb_5xx.arn, rejected.arn)
        self.register_outputs({"alarm_names": self.alarm_names, "alarm_arns": self.alarm_arns})
