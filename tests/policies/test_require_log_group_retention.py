"""require-log-group-retention: one change from a compliant log group per test."""

import pytest
from fargate_policies.facts import LOG_RETENTION_DAYS
from fargate_policies.rules import require_log_group_retention as rule
from fargate_policies.rules._common import show

TYPE = "aws:cloudwatch/logGroup:LogGroup"
DEFAULT_ALLOWED = show(list(LOG_RETENTION_DAYS))


def baseline() -> dict:
    return {"name": "/ecs/web", "retentionInDays": 30.0, "tags": {"Environment": "dev"}}


def test_baseline_passes(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline())
    assert outcome.violations == [], str(outcome)


@pytest.mark.parametrize("value", [None, 0.0])
def test_never_expires(evaluate, value):
    props = baseline()
    props["retentionInDays"] = value
    outcome = evaluate(rule.POLICY, TYPE, props)
    expected = rule.MSG_NEVER_EXPIRES.format(value=show(value), allowed=DEFAULT_ALLOWED, min=1, max=3653)
    assert outcome.messages == [expected], str(outcome)


def test_retention_missing(evaluate):
    props = baseline()
    del props["retentionInDays"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    expected = rule.MSG_NEVER_EXPIRES.format(value=show(None), allowed=DEFAULT_ALLOWED, min=1, max=3653)
    assert outcome.messages == [expected], str(outcome)


def test_not_a_number(evaluate):
    props = baseline()
    props["retentionInDays"] = "a month"
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_INVALID.format(value=show("a month"), allowed=DEFAULT_ALLOWED)], str(outcome)


def test_value_cloudwatch_rejects(evaluate):
    props = baseline()
    props["retentionInDays"] = 31.0
    outcome = evaluate(rule.POLICY, TYPE, props)
    expected = rule.MSG_NOT_ALLOWED.format(value=show(31.0), allowed=DEFAULT_ALLOWED, min=1, max=3653)
    assert outcome.messages == [expected], str(outcome)


def test_below_configured_minimum(evaluate):
    config = {"minRetentionDays": 365}
    outcome = evaluate(rule.POLICY, TYPE, baseline(), config)
    allowed = show([d for d in LOG_RETENTION_DAYS if d >= 365])
    assert outcome.messages == [rule.MSG_TOO_SHORT.format(value=show(30.0), min=365, allowed=allowed)], str(outcome)


def test_above_configured_maximum(evaluate):
    props = baseline()
    props["retentionInDays"] = 3653.0
    outcome = evaluate(rule.POLICY, TYPE, props, {"maxRetentionDays": 400})
    allowed = show([d for d in LOG_RETENTION_DAYS if d <= 400])
    assert outcome.messages == [rule.MSG_TOO_LONG.format(value=show(3653.0), max=400, allowed=allowed)], str(outcome)


def test_delivery_class_not_applicable(evaluate):
    props = baseline()
    props["logGroupClass"] = "DELIVERY"
    del props["retentionInDays"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.violations == [] and outcome.not_applicable, str(outcome)


def test_other_type_ignored(evaluate):
    props = baseline()
    props["retentionInDays"] = 0.0
    outcome = evaluate(rule.POLICY, "aws:cloudwatch/logStream:LogStream", props)
    assert outcome.violations == [], str(outcome)


# ---------------------------------------------------------------------------
# Remediation: raised to the next allowed value, never shortened.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("days", "config", "raised"), [
    (3.0, {"minRetentionDays": 7}, 7),
    (3.0, {"minRetentionDays": 10}, 14),
    (31.0, {}, 60),
    (200.0, {"minRetentionDays": 365}, 365),
])
def test_remediation_raises_the_retention(remediated, days, config, raised):
    props = {**baseline(), "retentionInDays": days}
    fixed = remediated(rule.POLICY, TYPE, props, config)
    assert fixed == {**props, "retentionInDays": raised}


@pytest.mark.parametrize(("days", "config"), [
    (None, {}),  # never expires: a retention would delete events
    (0.0, {}),
    ("a month", {}),
    (400.0, {"maxRetentionDays": 365}),  # too long: shortening loses events
    (3.0, {"minRetentionDays": 400, "maxRetentionDays": 365}),  # no allowed value in between
])
def test_remediation_never_shortens_or_guesses(remediate, evaluate, days, config):
    props = {**baseline(), "retentionInDays": days}
    assert evaluate(rule.POLICY, TYPE, props, config).violations, "a violating resource"
    assert remediate(rule.POLICY, props, config) is None


def test_remediation_leaves_a_compliant_log_group(remediate):
    assert remediate(rule.POLICY, baseline(), {"minRetentionDays": 7}) is None
