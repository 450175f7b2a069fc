"""require-container-insights: one change from a compliant cluster per test."""

import pytest
from fargate_policies.rules import require_container_insights as rule
from fargate_policies.rules._common import show

TYPE = "aws:ecs/cluster:Cluster"


def baseline(value: str = "enhanced") -> dict:
    return {"name": "prod", "settings": [{"name": "containerInsights", "value": value}]}


@pytest.mark.parametrize("value", ["enhanced", "enabled"])
def test_baseline_passes(evaluate, value):
    outcome = evaluate(rule.POLICY, TYPE, baseline(value))
    assert outcome.violations == [], str(outcome)


def test_disabled(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline("disabled"))
    assert outcome.messages == [rule.MSG_DISABLED.format(value=show("disabled"))], str(outcome)


def test_settings_missing(evaluate):
    props = baseline()
    del props["settings"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_MISSING], str(outcome)


def test_other_setting_only(evaluate):
    props = baseline()
    props["settings"] = [{"name": "somethingElse", "value": "enabled"}]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_MISSING], str(outcome)


def test_other_type_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", baseline("disabled"))
    assert outcome.violations == [], str(outcome)


# ---------------------------------------------------------------------------
# Remediation: 'enabled', the cluster's other settings kept.
# ---------------------------------------------------------------------------
OTHER_SETTING = {"name": "someFutureSetting", "value": "on"}


@pytest.mark.parametrize("settings", [None, [], [{"name": "containerInsights", "value": "disabled"}]])
def test_remediation_enables_insights(remediated, settings):
    props = {**baseline(), "settings": settings}
    fixed = remediated(rule.POLICY, TYPE, props)
    assert fixed == {**props, "settings": [{"name": "containerInsights", "value": rule.REMEDIATED_VALUE}]}


def test_remediation_keeps_other_settings(remediated):
    props = {**baseline(), "settings": [OTHER_SETTING, {"name": "containerInsights", "value": "disabled"}]}
    fixed = remediated(rule.POLICY, TYPE, props)
    assert fixed["settings"] == [OTHER_SETTING, {"name": "containerInsights", "value": rule.REMEDIATED_VALUE}]


def test_remediation_leaves_what_it_cannot_read(remediate):
    assert remediate(rule.POLICY, {**baseline(), "settings": "containerInsights=off"}) is None
    assert remediate(rule.POLICY, baseline("enhanced")) is None
