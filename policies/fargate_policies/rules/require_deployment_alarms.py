"""require-deployment-alarms: a deployment that breaks the service's alarms rolls itself back.

The circuit breaker only sees tasks that fail to start. A release that starts fine
but answers 5xx or fails health checks is caught by ECS deployment alarms, which
roll back to the last deployment that completed when a listed alarm fires.

A ``BLUE_GREEN``, ``CANARY`` or ``LINEAR`` release starts the new version in the
alternate target group, so its 5xx answers and unhealthy hosts show there: the
listed alarms must include one of this stack whose ``TargetGroup`` dimension is
that target group (by value, or by the engine's property dependencies at preview,
when every ARN is unknown: then each target group the service's load balancer
entries depend on must be watched).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from ..facts import is_traffic_shifting
from ._common import ECS_SERVICE, TARGET_GROUP, NotApplicable, as_bool, as_list, get, stack_rule
from ._ecs import deployment_controller, deployment_strategy, load_balancer_entries, show
from ._net import StackIndex, label, reference_values

METRIC_ALARM = ("aws:cloudwatch/metricAlarm:MetricAlarm",)

MSG_NOT_REQUIRED = "config required is false: deployment alarms are not required in this environment."
MSG_MISSING = (
    "alarms is not set; set it to {{alarmNames: [<critical alarm names>], enable: true, rollback: true}} so a "
    "deployment that fires the service's alarms is rolled back."
)
MSG_FIELD = "alarms.{field} is {value}; set it to true."
MSG_NO_NAMES = "alarms.alarmNames is {value}; list the service's critical alarms (5xx rate, unhealthy hosts)."
MSG_NO_ALTERNATE_ALARM = (
    "alarms.alarmNames lists no alarm of this stack on the alternate target group {target_group} "
    "(loadBalancers[{i}].advancedConfiguration.alternateTargetGroupArn), where a {strategy} release runs the new "
    "version: a bad one would not roll back. List an alarm whose TargetGroup dimension is that target group, such "
    "as its 5xx rate or unhealthy hosts."
)


def _service_findings(service: Any) -> Iterator[str]:
    """The alarms setting itself: set, enabled, rolling back, naming alarms."""
    alarms = get(service.props, "alarms")
    if not isinstance(alarms, Mapping):
        yield MSG_MISSING
        return
    for field in ("enable", "rollback"):
        value = get(alarms, field)
        if as_bool(value) is not True:
            yield MSG_FIELD.format(field=field, value=show(value))
    names = get(alarms, "alarmNames")
    # Only the count is read: names built from outputs may be unknown at preview.
    if not isinstance(names, Sequence) or isinstance(names, str | bytes) or len(names) == 0:
        yield MSG_NO_NAMES.format(value=show(names))


def _suffix(arn: str) -> str:
    """A target group ARN's suffix, as the TargetGroup dimension spells it: ``targetgroup/<name>/<id>``."""
    parts = arn.strip().split(":", 5)
    return parts[5] if len(parts) == 6 else arn.strip()


class _Watched:
    """The target groups the listed alarms watch: TargetGroup dimension values and target group dependencies."""

    def __init__(self, index: StackIndex, names: Sequence[str]) -> None:
        self.suffixes: set[str] = set()
        self.urns: set[str] = set()
        self.unknown: UnknownValueError | None = None
        for name in names:
            for alarm in index.find(name, METRIC_ALARM):
                self.urns |= {t.urn for t in index.dependencies(alarm, ("dimensions", "metricQueries"), TARGET_GROUP)}
                paths = [("dimensions", "TargetGroup")]
                try:
                    queries = as_list(get(alarm.props, "metricQueries"))
                except UnknownValueError as exc:
                    queries, self.unknown = [], self.unknown or exc
                paths += [("metricQueries", k, "metric", "dimensions", "TargetGroup") for k in range(len(queries))]
                for path in paths:
                    values, unknown, _ = reference_values(alarm.props, *path)
                    self.suffixes |= {_suffix(v) for v in values}
                    if unknown is not None and not self.urns:
                        self.unknown = self.unknown or unknown


def _alternate_findings(index: StackIndex, service: Any) -> Iterator[str]:
    """For a traffic-shifting release: an alarm among the listed ones on each alternate target group."""
    strategy = deployment_strategy(service.props)
    if not is_traffic_shifting(strategy):
        return
    names, unknown_name, _ = reference_values(service.props, "alarms", "alarmNames")
    watched = _Watched(index, names)
    for i in range(len(load_balancer_entries(service.props))):
        values, unknown, _ = reference_values(
            service.props, "loadBalancers", i, "advancedConfiguration", "alternateTargetGroupArn")
        if not values and unknown is None:
            continue  # no alternate target group: require-complete-blue-green-wiring reports that
        if values:
            groups = index.find(values[0], TARGET_GROUP)
            ok = _suffix(values[0]) in watched.suffixes or any(g.urn in watched.urns for g in groups)
            shown = label(groups[0]) if groups else show(values[0])
        else:
            # Every ARN unknown (a first preview): each target group the entries come from must be watched.
            groups = index.dependencies(service, ("loadBalancers",), TARGET_GROUP)
            if not groups:
                raise unknown  # type: ignore[misc]
            ok = all(g.urn in watched.urns for g in groups)
            shown = ", ".join(sorted({label(g) for g in groups}))
        if ok:
            continue
        if unknown_name is not None or watched.unknown is not None:
            raise unknown_name or watched.unknown  # type: ignore[misc] - an alarm of unknown name or dimensions
        yield MSG_NO_ALTERNATE_ALARM.format(target_group=shown, i=i, strategy=strategy)


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    if as_bool(config.get("required")) is not True:
        raise NotApplicable(MSG_NOT_REQUIRED)
    index = StackIndex(resources)
    undecided: UnknownValueError | None = None
    for service in index.of_type(ECS_SERVICE):
        if deployment_controller(service.props) != "ECS":
            continue  # deployment alarms work only with the ECS deployment controller
        try:
            for message in (*_service_findings(service), *_alternate_findings(index, service)):
                yield service.urn, message
        except UnknownValueError as exc:
            undecided = undecided or exc
    if undecided is not None:
        raise undecided  # after every finding that could be decided: the engine says the policy can't run


CONFIG = {
    "required": {
        "type": "boolean",
        "default": False,
        "description": "Require deployment alarms on every ECS service (true in production).",
    },
}

POLICY = stack_rule(
    name="require-deployment-alarms",
    description=(
        "ECS services on the ECS deployment controller roll back deployments on CloudWatch alarms: alarms is set "
        "with enable and rollback true and at least one alarm name, and a BLUE_GREEN, CANARY or LINEAR release "
        "lists an alarm on its alternate target group."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Pass alarms=aws.ecs.ServiceAlarmsArgs(alarm_names=critical_alarm_names(...), enable=True, rollback=True) "
        "to the service, naming its 5xx-rate, unhealthy-host and running-task alarms, and for a traffic-shifting "
        "release those of its alternate target group too (components.alarms does both; give the alarms explicit "
        "names computed from plain strings, so the service can list them before they exist)."
    ),
    types=(*ECS_SERVICE, *METRIC_ALARM, *TARGET_GROUP),
    check=check,
    tags=["availability", "monitoring"],
    config=CONFIG,
)
