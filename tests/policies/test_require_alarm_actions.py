"""require-alarm-actions."""

import pytest
from fargate_policies.rules import require_alarm_actions as rule
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC = "arn:aws:sns:us-east-1:123456789012:fp-prod-alarms-topic-1a2b3c4"


def baseline() -> dict:
    """A compliant metric alarm, shaped as the engine sends it."""
    return {
        "name": "fp-prod-api-cpu-high",
        "namespace": "AWS/ECS",
        "metricName": "CPUUtilization",
        "dimensions": {"ClusterName": "fp-prod", "ServiceName": "api"},
        "statistic": "Average",
        "comparisonOperator": "GreaterThanOrEqualToThreshold",
        "threshold": 80.0,
        "period": 60.0,
        "evaluationPeriods": 3.0,
        "treatMissingData": "notBreaching",
        "alarmActions": [TOPIC],
        "okActions": [TOPIC],
    }


def test_baseline_passes(run):
    assert run(baseline()) == []
    assert run(baseline(), {"requireOkActions": True}) == []


def test_baseline_composite_alarm_passes(run):
    props = {"alarmName": "fp-prod-api", "alarmRule": "ALARM(a) OR ALARM(b)", "alarmActions": [TOPIC]}
    assert run(props, resource_type=COMPOSITE) == []


@pytest.mark.parametrize("value", [[], None])
def test_no_alarm_actions(run, value):
    props = {**baseline(), "alarmActions": value}
    if value is None:
        del props["alarmActions"]
    assert run(props) == [rule.MSG_NO_ALARM_ACTIONS.format(value=rule.show(value))]


def test_composite_alarm_without_actions(run):
    props = {"alarmName": "fp-prod-api", "alarmRule": "ALARM(a)"}
    assert run(props, resource_type=COMPOSITE) == [rule.MSG_NO_ALARM_ACTIONS.format(value="not set")]


@pytest.mark.parametrize("value", [False, "false"])
def test_actions_disabled(run, value):
    assert run({**baseline(), "actionsEnabled": value}) == [rule.MSG_ACTIONS_DISABLED]


def test_actions_enabled_true_passes(run):
    assert run({**baseline(), "actionsEnabled": True}) == []


def test_ok_actions_not_required_by_default(run):
    props = baseline()
    del props["okActions"]
    assert run(props) == []


@pytest.mark.parametrize("value", [[], None])
def test_ok_actions_required_by_config(run, value):
    props = {**baseline(), "okActions": value}
    if value is None:
        del props["okActions"]
    assert run(props, {"requireOkActions": True}) == [rule.MSG_NO_OK_ACTIONS.format(value=rule.show(value))]


def test_disabled_and_without_actions_reports_both(run):
    props = {**baseline(), "actionsEnabled": False, "alarmActions": [], "okActions": []}
    assert run(props, {"requireOkActions": True}) == [
        rule.MSG_ACTIONS_DISABLED,
        rule.MSG_NO_ALARM_ACTIONS.format(value="[]"),
        rule.MSG_NO_OK_ACTIONS.format(value="[]"),
    ]


def test_topic_arn_unknown_at_preview_counts_as_an_action(run):
    props = {**baseline(), "alarmActions": [UNKNOWN_STRING_VALUE], "okActions": [UNKNOWN_STRING_VALUE]}
    assert run(props, {"requireOkActions": True}) == []


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:cloudwatch/logGroup:LogGroup", {"name": "x", "alarmActions": []})
    assert outcome.violations == [] and outcome.not_applicable is None
