"""Unit tests of components/alarms.py: AlarmTopic, Alarms and LoadBalancerAlarms under PlatformMocks."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import alarms as mod
from components.alarms import (
    Alarms,
    AlarmsArgs,
    AlarmTopic,
    AlarmTopicArgs,
    LoadBalancerAlarms,
    LoadBalancerAlarmsArgs,
    critical_alarm_names,
)
from tests.harness import Built, assert_children_parented_and_named, build_component

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"

TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:fp-test-alarms-topic-1a2b3c4"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0d6f7c2e-2b1e-4a5c-9b7d-3f1c2a4e5d6f"
CLUSTER = "fp-test-cluster-1a2b3c4"
SERVICE = "fp-test-api-service-5d6e7f8"
TG_SUFFIX = "targetgroup/fp-test-api-tg-1a2b3c4/943f017f100becff"
LB_SUFFIX = "app/fp-test-alb-1a2b3c4/50dc6c495c0c9188"

SERVICE_OUTPUTS = ("alarm_names", "alarm_arns", "critical_alarm_names")


# ---------------------------------------------------------------------------
# Alarms (one service)
# ---------------------------------------------------------------------------
def build_alarms(mocks: Any, **extra: Any) -> Built:
    fields: dict[str, Any] = {
        "cluster_name": CLUSTER, "service_name": SERVICE, "topic_arn": TOPIC_ARN,
        "target_group_arn_suffix": TG_SUFFIX, "load_balancer_arn_suffix": LB_SUFFIX,
        "min_count": 2, "cpu_percent": 70, "memory_percent": 90, "target_5xx_percent": 3,
        "p99_latency_ms": 1500, "period_seconds": 300, "evaluation_periods": 4, **extra,
    }
    args = AlarmsArgs(**fields)
    return build_component(mocks, mod.ALARMS_TYPE, lambda opts: Alarms("fp-test-api", args, opts=opts),
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
    assert b.names(ALARM) == sorted(f"fp-test-api-{role}" for role in ROLES), f"{mod.ALARMS_TYPE}::fp-test-api"
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
    assert sorted(b.outputs["alarm_names"]) == b.names(ALARM), f"{mod.ALARMS_TYPE}::fp-test-api alarm_names"
    assert len(b.outputs["alarm_arns"]) == len(ROLES), f"{mod.ALARMS_TYPE}::fp-test-api alarm_arns"
    assert all(arn.startswith("arn:aws:cloudwatch:") for arn in b.outputs["alarm_arns"]), \
        f"{mod.ALARMS_TYPE}::fp-test-api alarm_arns"


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
    assert b.outputs["critical_alarm_names"] == expected, f"{mod.ALARMS_TYPE}::fp-test-api critical_alarm_names"
    assert critical_alarm_names("fp-test-api", load_balanced=True, min_count=2) == expected


def test_scaled_to_zero_service_has_no_running_task_alarm(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, min_count=0)
    assert "fp-test-api-running-tasks-low" not in b.children, f"{mod.ALARMS_TYPE}::fp-test-api"
    expected = ["fp-test-api-target-5xx-rate", "fp-test-api-unhealthy-hosts"]
    assert b.outputs["critical_alarm_names"] == expected, f"{mod.ALARMS_TYPE}::fp-test-api critical_alarm_names"
    assert critical_alarm_names("fp-test-api", load_balanced=True, min_count=0) == expected


def test_without_container_insights_there_is_no_running_task_alarm(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, container_insights=False)
    assert "fp-test-api-running-tasks-low" not in b.children, f"{mod.ALARMS_TYPE}::fp-test-api"
    assert b.outputs["critical_alarm_names"] == critical_alarm_names(
        "fp-test-api", load_balanced=True, min_count=2, container_insights=False)


def test_internal_service_gets_only_ecs_alarms(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, target_group_arn_suffix=None, load_balancer_arn_suffix=None)
    assert b.names(ALARM) == ["fp-test-api-cpu-high", "fp-test-api-memory-high", "fp-test-api-running-tasks-low"], \
        f"{mod.ALARMS_TYPE}::fp-test-api"
    assert b.outputs["critical_alarm_names"] == ["fp-test-api-running-tasks-low"]
    assert critical_alarm_names("fp-test-api", load_balanced=False, min_count=2) == ["fp-test-api-running-tasks-low"]


def test_internal_service_scaled_to_zero_has_no_critical_alarms(pulumi_mocks: Any) -> None:
    b = build_alarms(pulumi_mocks, target_group_arn_suffix=None, load_balancer_arn_suffix=None, min_count=0)
    assert b.names(ALARM) == ["fp-test-api-cpu-high", "fp-test-api-memory-high"], f"{mod.ALARMS_TYPE}::fp-test-api"
    assert b.outputs["critical_alarm_names"] == [], f"{mod.ALARMS_TYPE}::fp-test-api critical_alarm_names"
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


# ---------------------------------------------------------------------------
# LoadBalancerAlarms
# ---------------------------------------------------------------------------
def build_lb_alarms(mocks: Any) -> Built:
    args = LoadBalancerAlarmsArgs(load_balancer_arn_suffix=LB_SUFFIX, topic_arn=TOPIC_ARN, elb_5xx_count=25,
                                  rejected_connections=5, period_seconds=60, evaluation_periods=2)
    return build_component(mocks, mod.LOAD_BALANCER_ALARMS_TYPE,
                           lambda opts: LoadBalancerAlarms("fp-test-alb", args, opts=opts),
                           ("alarm_names", "alarm_arns"))


def test_load_balancer_alarms(pulumi_mocks: Any) -> None:
    b = build_lb_alarms(pulumi_mocks)
    assert_children_parented_and_named(b, "fp-test-alb")
    expected = {"fp-test-alb-elb-5xx": ("HTTPCode_ELB_5XX_Count", 25),
                "fp-test-alb-rejected-connections": ("RejectedConnectionCount", 5)}
    assert b.names(ALARM) == sorted(expected), f"{mod.LOAD_BALANCER_ALARMS_TYPE}::fp-test-alb"
    for name, (metric, threshold) in expected.items():
        alarm = b.one(ALARM, name)
        got = (alarm.inputs.get("namespace"), alarm.inputs.get("metricName"), alarm.inputs.get("statistic"),
               alarm.inputs.get("threshold"), alarm.inputs.get("comparisonOperator"))
        assert got == ("AWS/ApplicationELB", metric, "Sum", threshold, "GreaterThanOrEqualToThreshold"), \
            f"{alarm.urn}: {got}"
        assert alarm.inputs.get("dimensions") == {"LoadBalancer": LB_SUFFIX}, f"{alarm.urn}: dimensions"
        assert alarm.inputs.get("alarmActions") == [TOPIC_ARN], f"{alarm.urn}: alarmActions"
        assert alarm.inputs.get("okActions") == [TOPIC_ARN], f"{alarm.urn}: okActions"
        assert alarm.inputs.get("treatMissingData") == "notBreaching", f"{alarm.urn}: treatMissingData"
        assert (alarm.inputs.get("period"), alarm.inputs.get("evaluationPeriods")) == (60, 2), f"{alarm.urn}"
        assert alarm.inputs.get("name") == name, f"{alarm.urn}: name"
    assert sorted(b.outputs["alarm_names"]) == sorted(expected), f"{mod.LOAD_BALANCER_ALARMS_TYPE} alarm_names"


# ---------------------------------------------------------------------------
# AlarmTopic
# ---------------------------------------------------------------------------
def build_topic(mocks: Any, **extra: Any) -> Built:
    args = AlarmTopicArgs(**extra)
    return build_component(mocks, mod.ALARM_TOPIC_TYPE, lambda opts: AlarmTopic("fp-test-alarms", args, opts=opts),
                           ("topic_arn", "kms_key_arn"))


def topic_policy(b: Built) -> tuple[str, dict[str, Any]]:
    policy = b.one(TOPIC_POLICY, "fp-test-alarms-topic-policy")
    return policy.urn, json.loads(policy.inputs["policy"])


def test_topic_is_encrypted_with_the_given_key(pulumi_mocks: Any) -> None:
    b = build_topic(pulumi_mocks, kms_key_arn=KEY_ARN)
    topic = b.one(TOPIC, "fp-test-alarms-topic")
    assert topic.inputs.get("kmsMasterKeyId") == KEY_ARN, f"{topic.urn}: kmsMasterKeyId"
    assert b.of_type(KMS_KEY) == [], f"{mod.ALARM_TOPIC_TYPE}::fp-test-alarms created a key although one was given"
    assert b.outputs["topic_arn"] == topic.outputs["arn"], f"{topic.urn}: topic_arn output"
    assert b.outputs["kms_key_arn"] == KEY_ARN, f"{topic.urn}: kms_key_arn output"
    assert_children_parented_and_named(b, "fp-test-alarms")


def test_without_a_key_the_topic_gets_one_cloudwatch_may_use(pulumi_mocks: Any) -> None:
    b = build_topic(pulumi_mocks)
    key = b.one(KMS_KEY, "fp-test-alarms-key")
    topic = b.one(TOPIC, "fp-test-alarms-topic")
    assert topic.inputs.get("kmsMasterKeyId") == key.outputs["arn"], f"{topic.urn}: kmsMasterKeyId"
    assert topic.inputs.get("kmsMasterKeyId") != "alias/aws/sns", f"{topic.urn}: AWS-managed key blocks alarms"
    assert key.inputs.get("enableKeyRotation") is True, f"{key.urn}: rotation"
    statements = json.loads(key.inputs["policy"])["Statement"]
    cloudwatch = [s for s in statements if s.get("Principal") == {"Service": "cloudwatch.amazonaws.com"}]
    assert cloudwatch and set(cloudwatch[0]["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey*"}, \
        f"{key.urn}: key policy {statements}"
    assert b.names(KMS_ALIAS) == ["fp-test-alarms-key-alias"], f"{mod.ALARM_TOPIC_TYPE}::fp-test-alarms"
    assert b.outputs["kms_key_arn"] == key.outputs["arn"], f"{key.urn}: kms_key_arn output"


def test_topic_policy_denies_plaintext_and_admits_cloudwatch_alarms(pulumi_mocks: Any) -> None:
    b = build_topic(pulumi_mocks, kms_key_arn=KEY_ARN)
    topic_arn = b.one(TOPIC, "fp-test-alarms-topic").outputs["arn"]
    urn, document = topic_policy(b)
    assert b.one(TOPIC_POLICY, "fp-test-alarms-topic-policy").inputs["arn"] == topic_arn, f"{urn}: arn"
    by_sid = {s["Sid"]: s for s in document["Statement"]}
    deny = by_sid["DenyInsecureTransport"]
    assert (deny["Effect"], deny["Principal"], deny["Action"], deny["Resource"]) == \
        ("Deny", "*", "sns:Publish", topic_arn), f"{urn}: {deny}"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}, f"{urn}: {deny}"
    allow = by_sid["AllowCloudWatchAlarms"]
    assert (allow["Effect"], allow["Principal"], allow["Action"], allow["Resource"]) == \
        ("Allow", {"Service": "cloudwatch.amazonaws.com"}, "sns:Publish", topic_arn), f"{urn}: {allow}"
    assert allow["Condition"] == {"ArnLike": {"aws:SourceArn": "arn:aws:cloudwatch:us-east-1:123456789012:alarm:*"}}, \
        f"{urn}: {allow}"


def test_subscriptions_follow_config(pulumi_mocks: Any) -> None:
    emails = ("oncall@example.com", "team@example.com")
    hooks = ("https://events.pagerduty.com/integration/abc/enqueue",)
    b = build_topic(pulumi_mocks, kms_key_arn=KEY_ARN, email_endpoints=emails, https_endpoints=hooks)
    topic_arn = b.one(TOPIC, "fp-test-alarms-topic").outputs["arn"]
    subs = b.of_type(SUBSCRIPTION)
    assert sorted(s.name for s in subs) == ["fp-test-alarms-email-0", "fp-test-alarms-email-1",
                                            "fp-test-alarms-https-0"], f"{mod.ALARM_TOPIC_TYPE}::fp-test-alarms"
    for sub in subs:
        assert sub.inputs["topic"] == topic_arn, f"{sub.urn}: topic"
    got = {(s.inputs["protocol"], s.inputs["endpoint"]) for s in subs}
    assert got == {("email", emails[0]), ("email", emails[1]), ("https", hooks[0])}, f"{got}"
    https = b.one(SUBSCRIPTION, "fp-test-alarms-https-0")
    assert https.inputs.get("endpointAutoConfirms") is True, f"{https.urn}: endpointAutoConfirms"


def test_no_endpoints_no_subscriptions(pulumi_mocks: Any) -> None:
    b = build_topic(pulumi_mocks, kms_key_arn=KEY_ARN)
    assert b.of_type(SUBSCRIPTION) == [], f"{mod.ALARM_TOPIC_TYPE}::fp-test-alarms subscriptions"
