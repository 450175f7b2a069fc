"""require-kms-key-rotation: one change from a compliant key per test."""

import pytest
from fargate_policies.rules import require_kms_key_rotation as rule
from fargate_policies.rules._common import show

TYPE = "aws:kms/key:Key"


def baseline() -> dict:
    return {"description": "logs", "enableKeyRotation": True, "customerMasterKeySpec": "SYMMETRIC_DEFAULT"}


def test_baseline_passes(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline())
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)


@pytest.mark.parametrize("value", [False, None])
def test_rotation_off(evaluate, value):
    props = baseline()
    props["enableKeyRotation"] = value
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_NO_ROTATION.format(value=show(value))], str(outcome)


def test_rotation_period_too_long(evaluate):
    props = baseline()
    props["rotationPeriodInDays"] = 730.0
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_PERIOD_TOO_LONG.format(value=show(730.0), max=365)], str(outcome)


def test_rotation_period_within_config(evaluate):
    props = baseline()
    props["rotationPeriodInDays"] = 730.0
    outcome = evaluate(rule.POLICY, TYPE, props, {"maxRotationPeriodDays": 730})
    assert outcome.violations == [], str(outcome)


def test_asymmetric_key_not_applicable(evaluate):
    props = baseline()
    props["customerMasterKeySpec"] = "RSA_2048"
    props["enableKeyRotation"] = False
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.violations == [] and outcome.not_applicable, str(outcome)


def test_custom_key_store_not_applicable(evaluate):
    props = baseline()
    props["customKeyStoreId"] = "cks-1234"
    props["enableKeyRotation"] = False
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.violations == [] and outcome.not_applicable, str(outcome)


def test_other_type_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:kms/alias:Alias", {"enableKeyRotation": False})
    assert outcome.violations == [], str(outcome)
