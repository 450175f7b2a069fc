"""require-service-alarms: every ECS service has its alarm set.

An ``aws:cloudwatch/metricAlarm`` watches a service when its ``dimensions`` (or
a ``metricQueries[].metric.dimensions``) name it:

- by property dependencies: the alarm's ``dimensions``/``metricQueries`` were
  computed from the service's (or its target group's) outputs, so they list that
  resource's URN. This works at every preview, when names may be unknown;
- by value: ``ServiceName`` equals the service's ``name`` (and ``ClusterName``, when
  both are known, its cluster), or ``TargetGroup`` equals the ARN suffix of one of
  the service's ``loadBalancers[].targetGroupArn``.

Target-group metrics (``AWS/ApplicationELB`` per target group) are required only of
services with ``loadBalancers``. A metric is not reported missing while an alarm
that carries it has unknown dimensions and no dependency tying it to a service or
target group: at preview it may well watch this service.

Unknowns never silence the rule. A service that misses a metric which an alarm of
unknown metric name (or a load balancer list unknown at preview) leaves open
cannot be decided: the rule reports every service it can decide, then raises the
unknown value, and the engine says that the policy could not run at preview.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from ._common import ECS_SERVICE, TARGET_GROUP, as_list, get, stack_rule
from ._ecs import dependency_urns, last_segment, of_types

METRIC_ALARM = ("aws:cloudwatch/metricAlarm:MetricAlarm",)

DEFAULT_METRICS = (
    "CPUUtilization",
    "MemoryUtilization",
    "HTTPCode_Target_5XX_Count",
    "TargetResponseTime",
    "UnHealthyHostCount",
)
# AWS/ApplicationELB metrics published per target group: required only of load-balanced services.
TARGET_GROUP_METRICS = frozenset({
    "HTTPCode_Target_2XX_Count", "HTTPCode_Target_3XX_Count", "HTTPCode_Target_4XX_Count",
    "HTTPCode_Target_5XX_Count", "TargetResponseTime", "UnHealthyHostCount", "HealthyHostCount",
    "RequestCount", "RequestCountPerTarget", "TargetConnectionErrorCount", "TargetTLSNegotiationErrorCount",
})

MSG_MISSING = (
    "ECS service '{service}' has no CloudWatch metric alarm on {metrics}; add alarms whose dimensions name the "
    "service (ClusterName and ServiceName) or, for load balancer metrics, its target group (TargetGroup and "
    "LoadBalancer)."
)


class _Alarm:
    """What an alarm watches, read without ever raising on unknowns.

    ``unresolved``: some dimension (or query) is unknown, so the alarm may
    watch any service. ``unknown_metric``: the error of a metric name (or
    query) unknown at preview, so the alarm may watch any metric.
    """

    __slots__ = ("metrics", "service_names", "cluster_names", "target_groups", "dependency_urns", "unresolved",
                 "unknown_metric")

    def __init__(self) -> None:
        self.metrics: set[str] = set()
        self.service_names: set[str] = set()
        self.cluster_names: set[str] = set()
        self.target_groups: set[str] = set()
        self.dependency_urns: set[str] = set()
        self.unresolved = False
        self.unknown_metric: UnknownValueError | None = None


def _read(container: Any, *path: str | int) -> tuple[Any, UnknownValueError | None]:
    """``get(container, *path)``, read once, and the error when it is unknown at preview (then the value is None).

    Unknown is what reading ``container[...]`` step by step raises ``UnknownValueError`` for; a missing key, an
    index out of range or a step into a non-container is absent, not unknown.
    """
    try:
        return get(container, *path), None
    except UnknownValueError as exc:
        return None, exc


def _known(props: Any, *path: str | int) -> Any:
    """``get`` that reads a value unknown at preview as absent."""
    return _read(props, *path)[0]


def _read_metric(alarm: _Alarm, metric: Any) -> None:
    name, unknown = _read(metric, "metricName")
    alarm.unknown_metric = alarm.unknown_metric or unknown
    if isinstance(name, str) and name:
        alarm.metrics.add(name)
    dims, unknown = _read(metric, "dimensions")
    if unknown:
        alarm.unresolved = True
    if not isinstance(dims, Mapping):
        return
    sinks = {"ServiceName": alarm.service_names, "ClusterName": alarm.cluster_names,
             "TargetGroup": alarm.target_groups}
    for key, sink in sinks.items():
        value, unknown = _read(dims, key)
        if unknown:
            alarm.unresolved = True
        if isinstance(value, str) and value.strip():
            sink.add(value.strip())


def _read_alarm(resource: Any) -> _Alarm:
    alarm = _Alarm()
    props = resource.props
    _read_metric(alarm, props)
    queries, unknown = _read(props, "metricQueries")
    if unknown:
        alarm.unresolved, alarm.unknown_metric = True, alarm.unknown_metric or unknown
    for index in range(len(queries) if isinstance(queries, Sequence) and not isinstance(queries, str) else 0):
        metric, unknown = _read(queries, index, "metric")
        if unknown:
            alarm.unresolved, alarm.unknown_metric = True, alarm.unknown_metric or unknown
        if isinstance(metric, Mapping):
            _read_metric(alarm, metric)
    for prop in ("dimensions", "metricQueries"):
        alarm.dependency_urns |= dependency_urns(resource, prop, ECS_SERVICE + TARGET_GROUP)
    return alarm


def target_group_suffix(arn: Any) -> str | None:
    """A target group ARN's suffix, as the TargetGroup dimension spells it: ``targetgroup/<name>/<id>``."""
    if not isinstance(arn, str) or not arn.strip():
        return None
    arn = arn.strip()
    if arn.startswith("arn:"):
        parts = arn.split(":", 5)
        return parts[5] if len(parts) == 6 and parts[5] else None
    return arn


class _Service(NamedTuple):
    urn: str
    label: str
    name: str | None
    cluster: str | None
    load_balanced: bool | None
    """None when ``loadBalancers`` is unknown at preview (``unknown_balancers`` holds the error)."""
    unknown_balancers: UnknownValueError | None
    target_group_suffixes: set[str]
    target_group_urns: set[str]


def _read_service(resource: Any) -> _Service:
    props = resource.props
    name = _known(props, "name")
    name = name.strip() if isinstance(name, str) and name.strip() else None
    label = getattr(resource, "name", "") or name or resource.urn
    cluster = last_segment(_known(props, "cluster"))
    balancers, unknown = _read(props, "loadBalancers")
    load_balanced: bool | None
    if unknown:
        load_balanced = None
    else:
        load_balanced = isinstance(balancers, Sequence) and not isinstance(balancers, str) and len(balancers) > 0
    suffixes = set()
    for index in range(len(balancers) if load_balanced else 0):
        suffix = target_group_suffix(_known(balancers, index, "targetGroupArn"))
        if suffix:
            suffixes.add(suffix)
    return _Service(resource.urn, label, name, cluster, load_balanced, unknown, suffixes,
                    dependency_urns(resource, "loadBalancers", TARGET_GROUP))


def _watches(alarm: _Alarm, service: _Service) -> bool:
    if service.urn in alarm.dependency_urns or service.target_group_urns & alarm.dependency_urns:
        return True
    if service.name and service.name in alarm.service_names:
        if not alarm.cluster_names or not service.cluster or service.cluster in alarm.cluster_names:
            return True
    return bool(service.target_group_suffixes & alarm.target_groups)


class _AlarmIndex:
    """The alarms by every value :func:`_watches` compares, built once per check.

    :meth:`candidates` finds a service's alarms by dictionary lookups, so the check stays linear in the stack
    size: it never compares every alarm with every service. The candidates are exactly the alarms that can
    watch the service; :func:`_watches` still decides.
    """

    def __init__(self, alarms: Sequence[_Alarm]) -> None:
        self.alarms = alarms
        self.by_dependency: dict[str, list[int]] = defaultdict(list)
        self.by_service_name: dict[str, list[int]] = defaultdict(list)
        """ServiceName -> alarms naming it, whatever their ClusterName (for services whose cluster is unknown)."""
        self.by_service_name_any_cluster: dict[str, list[int]] = defaultdict(list)
        """ServiceName -> alarms naming it without a ClusterName."""
        self.by_service_in_cluster: dict[tuple[str, str], list[int]] = defaultdict(list)
        """(ServiceName, ClusterName) -> alarms naming both."""
        self.by_target_group: dict[str, list[int]] = defaultdict(list)
        for index, alarm in enumerate(alarms):
            for urn in alarm.dependency_urns:
                self.by_dependency[urn].append(index)
            for name in alarm.service_names:
                self.by_service_name[name].append(index)
                if not alarm.cluster_names:
                    self.by_service_name_any_cluster[name].append(index)
                for cluster in alarm.cluster_names:
                    self.by_service_in_cluster[name, cluster].append(index)
            for suffix in alarm.target_groups:
                self.by_target_group[suffix].append(index)

    def candidates(self, service: _Service) -> list[_Alarm]:
        """The alarms that share a dependency, a service name or a target group with ``service``, each once."""
        buckets = [self.by_dependency.get(service.urn, ())]
        buckets += [self.by_dependency.get(urn, ()) for urn in service.target_group_urns]
        if service.name:
            if service.cluster:
                buckets.append(self.by_service_name_any_cluster.get(service.name, ()))
                buckets.append(self.by_service_in_cluster.get((service.name, service.cluster), ()))
            else:
                buckets.append(self.by_service_name.get(service.name, ()))
        buckets += [self.by_target_group.get(suffix, ()) for suffix in service.target_group_suffixes]
        return [self.alarms[i] for i in dict.fromkeys(i for bucket in buckets for i in bucket)]


def _required_metrics(config: Mapping[str, Any]) -> list[str]:
    configured = config.get("requiredMetrics")
    if configured is None:
        return list(DEFAULT_METRICS)
    return [m for m in as_list(configured) if isinstance(m, str) and m]


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    services = [_read_service(s) for s in of_types(resources, ECS_SERVICE)]
    if not services:
        return
    required = _required_metrics(config)
    alarms = [_read_alarm(a) for a in of_types(resources, METRIC_ALARM)]
    # Alarms whose dimensions are unknown (at preview) and that no dependency ties to a service or target
    # group may watch any service: what they carry counts for every service, rather than a false finding.
    maybe_anyone = [a for a in alarms if a.unresolved and not a.dependency_urns]
    maybe_metrics = set().union(*(a.metrics for a in maybe_anyone))
    anyone_unknown_metric = next((a.unknown_metric for a in maybe_anyone if a.unknown_metric), None)
    index = _AlarmIndex(alarms)
    undecided: UnknownValueError | None = None
    for service in services:
        linked = [a for a in index.candidates(service) if _watches(a, service)]
        watched = set().union(*(a.metrics for a in linked)) | maybe_metrics
        missing = [m for m in required
                   if m not in watched and (m not in TARGET_GROUP_METRICS or service.load_balanced is True)]
        any_metric = next((a.unknown_metric for a in linked if a.unknown_metric), anyone_unknown_metric)
        if missing and any_metric is not None:
            undecided = undecided or any_metric  # an alarm whose metric is unknown may be the missing one
            continue
        if missing:
            yield service.urn, MSG_MISSING.format(service=service.label, metrics=", ".join(missing))
        if service.load_balanced is None and any(m in TARGET_GROUP_METRICS and m not in watched for m in required):
            undecided = undecided or service.unknown_balancers  # target-group metrics it may need
    if undecided is not None:
        raise undecided  # after every finding that could be decided: the engine says the policy can't run


CONFIG = {
    "requiredMetrics": {
        "type": "array",
        "items": {"type": "string"},
        "default": list(DEFAULT_METRICS),
        "description": (
            "Metric names each ECS service needs an alarm on. Target-group metrics (AWS/ApplicationELB per "
            "target group) are required only of services with load balancers."
        ),
    },
}

POLICY = stack_rule(
    name="require-service-alarms",
    description=(
        "Every ECS service has CloudWatch metric alarms on CPU and memory utilisation and, when it sits behind a "
        "load balancer, on its target group's 5xx responses, response time and unhealthy hosts."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Create the service's alarm set (components.alarms.Alarms): aws.cloudwatch.MetricAlarm resources whose "
        "dimensions are the service's ClusterName and ServiceName, or its target group's TargetGroup and "
        "LoadBalancer ARN suffixes, each notifying the alarm topic."
    ),
    types=ECS_SERVICE + TARGET_GROUP + METRIC_ALARM,
    check=check,
    tags=["monitoring"],
    config=CONFIG,
)
