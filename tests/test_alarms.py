"""Unit tests of components/alarms.py: one service's Alarms under PlatformMocks."""

from __future__ import annotations

from typing import Any

import pytest

from components.alarms import TYPE_TOKEN, Alarms, AlarmsArgs, critical_alarm_names
from tests.harness import Built, assert_children_parented_and_named, build_component

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:fp-test-alarms-topic-1a2b3c4"
CLUSTER = "fp-test-cluster-1a2b3c4"
SERVICE = "fp-test-api-service-5d6e7f8"
TG_SUFFIX = "targetgroup/fp-test-api-tg-1a2b3c4/943f017f100becff"
LB_SUFFIX = "app/fp-test-alb-1a2b3c4/50dc6c495c0c9188"

SERVICE_OUTPUTS = ("alarm_names", "alarm_arns", "critical_alarm_names")


def build_alarms(mocks: Any, **extra: Any) -> Built:
    fields: dict[str, Any] = {
        "cluster_name": CLUSTER, "service_name": SERVICE, "topic_arn": TOPIC_ARN,
        "target_group_arn_suffix": TG_SUFFIX, "load_balancer_arn_suffix": LB_SUFFIX,
        "min_count": 2, "cpu_percent": 70, "memory_percent": 90, "target_5xx_percent": 3,
        "p99_latency_ms": 1500, "period_seconds": 300, "evaluation_periods": 4, **extra,
    }
    args = AlarmsArgs(**fields)
    return build_component(mocks, TYPE_TOKEN, lambda opts: Alarms("fp-test-api", args, opts=opts),
                           SERVICE_OUTPUTS)


ROLES = ["cpu-high", "memory-high", "running-tasks-low", "target-5xx-rate", "target-p99-latency", "unhealthy-hosts"]
MISSING_DATA = {
    "cpu-high": "notBreaching",
    "memory-high": "notBreaching",
    "running-tasks-low": "breaching",
    "target-5xx-rate": "notBreaching",
    "target-p99-latency": "notBreaching",
    "unhealthy-hosts": "notBreaching",
}


def test_full_alarm_set_for_a_load_balanced_service(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks)
    assert b.names(ALARM) == sorted(f"fp-test-api-{role}" for role in ROLES), f"{TYPE_TOKEN}::fp-test-api"
    assert_children_parented_and_named(b, "fp-test-api")


def test_every_alarm_notifies_the_topic_on_alarm_and_ok(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks)
    for alarm in b.of_type(ALARM):
        assert alarm.inputs.get("alarmActions") == [TOPIC_ARN], f"{alarm.urn}: alarmActions"
        assert alarm.inputs.get("okActions") == [TOPIC_ARN], f"{alarm.urn}: okActions"
        assert alarm.inputs.get("actionsEnabled") is not False, f"{alarm.urn}: actionsEnabled"


@pytest.mark.parametrize(("role", "treatment"), MISSING_DATA.items())
def test_missing_data_is_treated_per_metric(pulumi_mocks: Any, role: str, treatment: str) -> None:
    alarm = build_alarms(pulumi_mocks).one(ALARM, f"fp-test-api-{role}")
    assert alarm.inputs.get("treatMissingData") == treatment, f"{alarm.urn}: treatMissingData"


def test_period_and_evaluation_periods_come_from_args(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks)
    for alarm in b.of_type(ALARM):
        assert alarm.inputs.get("evaluationPeriods") == 4, f"{alarm.urn}: evaluationPeriods"
        if "metricQueries" in alarm.inputs:
            for query in alarm.inputs["metricQueries"]:
                if "metric" in query:
                    assert query["metric"]["period"] == 300, f"{alarm.urn}: {query}"
            # The provider refuses period, statistic, metricName and namespace next to metricQueries.
            for key in ("period", "statistic", "extendedStatistic", "metricName", "namespace", "dimensions"):
                assert key not in alarm.inputs, f"{alarm.urn}: {key} conflicts with metricQueries"
        else:
            assert alarm.inputs.get("period") == 300, f"{alarm.urn}: period"


def test_alarm_names_are_explicit_and_deterministic(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, alarm_name_prefix="fp-test-api")
    for alarm in b.of_type(ALARM):
        assert alarm.inputs.get("name") == alarm.name, f"{alarm.urn}: name {alarm.inputs.get('name')!r}"
    assert sorted(b.outputs["alarm_names"]) == b.names(ALARM), f"{TYPE_TOKEN}::fp-test-api alarm_names"
    assert len(b.outputs["alarm_arns"]) == len(ROLES), f"{TYPE_TOKEN}::fp-test-api alarm_arns"
    assert all(arn.startswith("arn:aws:cloudwatch:") for arn in b.outputs["alarm_arns"]), \
        f"{TYPE_TOKEN}::fp-test-api alarm_arns"


def test_ecs_alarms_watch_the_service_with_thresholds_from_args(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks)
    dims = {"ClusterName": CLUSTER, "ServiceName": SERVICE}
    expected = {
        "cpu-high": ("AWS/ECS", "CPUUtilization", "GreaterThanOrEqualToThreshold", 70),
        "memory-high": ("AWS/ECS", "MemoryUtilization", "GreaterThanOrEqualToThreshold", 90),
        "running-tasks-low": ("ECS/ContainerInsights", "RunningTaskCount", "LessThanThreshold", 2),
    }
    for role, (namespace, metric, operator, threshold) in expected.items():
        alarm = b.one(ALARM, f"fp-test-api-{role}")
        got = (alarm.inputs.get("namespace"), alarm.inputs.get("metricName"),
               alarm.inputs.get("comparisonOperator"), alarm.inputs.get("threshold"))
        assert got == (namespace, metric, operator, threshold), f"{alarm.urn}: {got}"
        assert alarm.inputs.get("dimensions") == dims, f"{alarm.urn}: dimensions"


def test_target_5xx_rate_is_metric_math_over_the_target_group(pulumi_mocks: Any) -> None:
    alarm = build_alarms(pulumi_mocks).one(ALARM, "fp-test-api-target-5xx-rate")
    assert "metricName" not in alarm.inputs and "namespace" not in alarm.inputs, f"{alarm.urn}: single metric set"
    queries = {q["id"]: q for q in alarm.inputs["metricQueries"]}
    dims = {"TargetGroup": TG_SUFFIX, "LoadBalancer": LB_SUFFIX}
    for query_id, metric in (("errors", "HTTPCode_Target_5XX_Count"), ("requests", "RequestCount")):
        got = queries[query_id]["metric"]
        assert (got["namespace"], got["metricName"], got["stat"], got["dimensions"]) == \
            ("AWS/ApplicationELB", metric, "Sum", dims), f"{alarm.urn}: {query_id} {got}"
        assert queries[query_id].get("returnData") is False, f"{alarm.urn}: {query_id} returnData"
    rate = queries["rate"]
    assert rate.get("returnData") is True, f"{alarm.urn}: rate returnData"
    assert "errors" in rate["expression"] and "/ requests" in rate["expression"] and "100" in rate["expression"], \
        f"{alarm.urn}: expression {rate['expression']!r}"
    assert alarm.inputs.get("threshold") == 3, f"{alarm.urn}: threshold"
    assert alarm.inputs.get("comparisonOperator") == "GreaterThanOrEqualToThreshold", f"{alarm.urn}: operator"


def test_p99_latency_threshold_is_in_seconds(pulumi_mocks: Any) -> None:
    alarm = build_alarms(pulumi_mocks).one(ALARM, "fp-test-api-target-p99-latency")
    assert alarm.inputs.get("metricName") == "TargetResponseTime", f"{alarm.urn}: metric"
    assert alarm.inputs.get("extendedStatistic") == "p99", f"{alarm.urn}: extendedStatistic"
    assert "statistic" not in alarm.inputs, f"{alarm.urn}: statistic and extendedStatistic are exclusive"
    assert alarm.inputs.get("threshold") == pytest.approx(1.5), f"{alarm.urn}: threshold"
    assert alarm.inputs.get("dimensions") == {"TargetGroup": TG_SUFFIX, "LoadBalancer": LB_SUFFIX}, f"{alarm.urn}"


def test_unhealthy_hosts_fires_on_any_unhealthy_target(pulumi_mocks: Any) -> None:
    alarm = build_alarms(pulumi_mocks).one(ALARM, "fp-test-api-unhealthy-hosts")
    got = (alarm.inputs.get("metricName"), alarm.inputs.get("comparisonOperator"), alarm.inputs.get("threshold"))
    assert got == ("UnHealthyHostCount", "GreaterThanThreshold", 0), f"{alarm.urn}: {got}"


def test_critical_alarms_are_5xx_unhealthy_and_running_tasks(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks)
    expected = ["fp-test-api-target-5xx-rate", "fp-test-api-unhealthy-hosts", "fp-test-api-running-tasks-low"]
    assert b.outputs["critical_alarm_names"] == expected, f"{TYPE_TOKEN}::fp-test-api critical_alarm_names"
    assert critical_alarm_names("fp-test-api", load_balanced=True, min_count=2) == expected


def test_scaled_to_zero_service_has_no_running_task_alarm(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, min_count=0)
    assert "fp-test-api-running-tasks-low" not in b.children, f"{TYPE_TOKEN}::fp-test-api"
    expected = ["fp-test-api-target-5xx-rate", "fp-test-api-unhealthy-hosts"]
    assert b.outputs["critical_alarm_names"] == expected, f"{TYPE_TOKEN}::fp-test-api critical_alarm_names"
    assert critical_alarm_names("fp-test-api", load_balanced=True, min_count=0) == expected


def test_without_container_insights_there_is_no_running_task_alarm(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, container_insights=False)
    assert "fp-test-api-running-tasks-low" not in b.children, f"{TYPE_TOKEN}::fp-test-api"
    assert b.outputs["critical_alarm_names"] == critical_alarm_names(
        "fp-test-api", load_balanced=True, min_count=2, container_insights=False)


def test_internal_service_gets_only_ecs_alarms(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, target_group_arn_suffix=None, load_balancer_arn_suffix=None)
    assert b.names(ALARM) == ["fp-test-api-cpu-high", "fp-test-api-memory-high", "fp-test-api-running-tasks-low"], \
        f"{TYPE_TOKEN}::fp-test-api"
    assert b.outputs["critical_alarm_names"] == ["fp-test-api-running-tasks-low"]
    assert critical_alarm_names("fp-test-api", load_balanced=False, min_count=2) == ["fp-test-api-running-tasks-low"]


def test_internal_service_scaled_to_zero_has_no_critical_alarms(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, target_group_arn_suffix=None, load_balancer_arn_suffix=None, min_count=0)
    assert b.names(ALARM) == ["fp-test-api-cpu-high", "fp-test-api-memory-high"], f"{TYPE_TOKEN}::fp-test-api"
    assert b.outputs["critical_alarm_names"] == [], f"{TYPE_TOKEN}::fp-test-api critical_alarm_names"
    assert critical_alarm_names("fp-test-api", load_balanced=False, min_count=0) == []


def test_custom_alarm_name_prefix(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, alarm_name_prefix="fp-prod-api")
    for alarm in b.of_type(ALARM):
        role = alarm.name.removeprefix("fp-test-api-")
        assert alarm.inputs.get("name") == f"fp-prod-api-{role}", f"{alarm.urn}: name"
    assert b.outputs["critical_alarm_names"] == critical_alarm_names("fp-prod-api", load_balanced=True, min_count=2)


def test_target_group_without_load_balancer_is_refused(pulumi_mocks: Any) -> None:
    with pytest.raises(Exception, match="load_balancer_arn_suffix"):
        build_alarms(pulumi_mocks, load_balancer_arn_suffix=None)


ALT_SUFFIX = "targetgroup/fp-test-api-tg-alternate-5e6f7a8/0123456789abcdef"


def test_the_alternate_target_group_gets_the_same_target_alarms(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, alternate_target_group_arn_suffix=ALT_SUFFIX)
    extra = ["alternate-5xx-rate", "alternate-p99-latency", "alternate-unhealthy-hosts"]
    assert b.names(ALARM) == sorted(f"fp-test-api-{role}" for role in ROLES + extra), f"{TYPE_TOKEN}::fp-test-api"
    dims = {"TargetGroup": ALT_SUFFIX, "LoadBalancer": LB_SUFFIX}
    for primary, alternate in zip(("target-5xx-rate", "target-p99-latency", "unhealthy-hosts"), extra, strict=True):
        want, got = b.one(ALARM, f"fp-test-api-{primary}").inputs, b.one(ALARM, f"fp-test-api-{alternate}").inputs
        urn = b.one(ALARM, f"fp-test-api-{alternate}").urn
        for key in ("comparisonOperator", "threshold", "treatMissingData", "evaluationPeriods", "extendedStatistic"):
            assert got.get(key) == want.get(key), f"{urn}: {key} {got.get(key)!r} != {want.get(key)!r}"
        metrics = [q["metric"] for q in got.get("metricQueries", []) if "metric" in q] or [got]
        assert all(m["dimensions"] == dims for m in metrics), f"{urn}: not on the alternate target group"


def test_alternate_alarms_roll_a_release_back(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, alternate_target_group_arn_suffix=ALT_SUFFIX)
    expected = ["fp-test-api-target-5xx-rate", "fp-test-api-unhealthy-hosts", "fp-test-api-alternate-5xx-rate",
                "fp-test-api-alternate-unhealthy-hosts", "fp-test-api-running-tasks-low"]
    assert b.outputs["critical_alarm_names"] == expected, f"{TYPE_TOKEN}::fp-test-api critical_alarm_names"
    assert critical_alarm_names("fp-test-api", load_balanced=True, min_count=2, alternate=True) == expected


def test_alternate_target_group_without_a_target_group_is_refused(pulumi_mocks: Any) -> None:
    with pytest.raises(ValueError, match="alternate_target_group_arn_suffix"):
        build_alarms(pulumi_mocks, target_group_arn_suffix=None, load_balancer_arn_suffix=None,
                     alternate_target_group_arn_suffix=ALT_SUFFIX)
