"""require-log-group-kms: one change from a compliant log group per test."""

from fargate_policies.rules import require_log_group_kms as rule
from fargate_policies.rules._common import show

TYPE = "aws:cloudwatch/logGroup:LogGroup"
REQUIRED = {"required": True}


def baseline() -> dict:
    return {"name": "/ecs/web", "retentionInDays": 365.0, "kmsKeyId": "arn:aws:kms:eu-west-1:123456789012:key/abc"}


def test_baseline_passes(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline(), REQUIRED)
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)


def test_no_key(evaluate):
    props = baseline()
    del props["kmsKeyId"]
    outcome = evaluate(rule.POLICY, TYPE, props, REQUIRED)
    assert outcome.messages == [rule.MSG_NO_KEY.format(value=show(None))], str(outcome)


def test_empty_key(evaluate):
    props = baseline()
    props["kmsKeyId"] = ""
    outcome = evaluate(rule.POLICY, TYPE, props, REQUIRED)
    assert outcome.messages == [rule.MSG_NO_KEY.format(value=show(""))], str(outcome)


def test_not_required_by_default(evaluate):
    props = baseline()
    del props["kmsKeyId"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.violations == [] and outcome.not_applicable, str(outcome)


def test_other_type_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:cloudwatch/logStream:LogStream", {}, REQUIRED)
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)
