"""Unit tests of components/load_balancer_alarms.py: LoadBalancerAlarms under PlatformMocks."""

from __future__ import annotations

from typing import Any

from components.load_balancer_alarms import TYPE_TOKEN, LoadBalancerAlarms, LoadBalancerAlarmsArgs
from tests.harness import Built, assert_children_parented_and_named, build_component

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:fp-test-alarms-topic-1a2b3c4"
LB_SUFFIX = "app/fp-test-alb-1a2b3c4/50dc6c495c0c9188"


def build_lb_alarms(mocks: Any) -> Built:
    args = LoadBalancerAlarmsArgs(load_balancer_arn_suffix=LB_SUFFIX, topic_arn=TOPIC_ARN, elb_5xx_count=25,
                                  rejected_connections=5, period_seconds=60, evaluation_periods=2)
    return build_component(mocks, TYPE_TOKEN,
                           lambda opts: LoadBalancerAlarms("fp-test-alb", args, opts=opts),
                           ("alarm_names", "alarm_arns"))


def test_load_balancer_alarms(pulumi_mocks: Any) -> None:
    b = build_lb_alarms(pulumi_mocks)
    assert_children_parented_and_named(b, "fp-test-alb")
    expected = {"fp-test-alb-elb-5xx": ("HTTPCode_ELB_5XX_Count", 25),
                "fp-test-alb-rejected-connections": ("RejectedConnectionCount", 5)}
    assert b.names(ALARM) == sorted(expected), f"{TYPE_TOKEN}::fp-test-alb"
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
    assert sorted(b.outputs["alarm_names"]) == sorted(expected), f"{TYPE_TOKEN} alarm_names"
