"""require-ecr-scan-on-push: one change from a compliant repository per test."""

from fargate_policies.rules import require_ecr_scan_on_push as rule
from fargate_policies.rules._common import show

TYPE = "aws:ecr/repository:Repository"


def baseline() -> dict:
    return {"name": "web", "imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}}


def test_baseline_passes(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline())
    assert outcome.violations == [], str(outcome)


def test_scan_on_push_false(evaluate):
    props = baseline()
    props["imageScanningConfiguration"]["scanOnPush"] = False
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_NO_SCAN.format(value=show(False))], str(outcome)


def test_scanning_configuration_missing(evaluate):
    props = baseline()
    del props["imageScanningConfiguration"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_NO_SCAN.format(value=show(None))], str(outcome)


def test_other_type_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecr/lifecyclePolicy:LifecyclePolicy", {})
    assert outcome.violations == [], str(outcome)


# ---------------------------------------------------------------------------
# Remediation: scanOnPush on, the rest of the scanning configuration kept.
# ---------------------------------------------------------------------------
def test_remediation_turns_scanning_on(remediated):
    props = {**baseline(), "imageScanningConfiguration": {"scanOnPush": False, "futureField": "kept"}}
    fixed = remediated(rule.POLICY, TYPE, props)
    assert fixed == {**props, "imageScanningConfiguration": {"scanOnPush": True, "futureField": "kept"}}


def test_remediation_adds_a_missing_scanning_configuration(remediated):
    props = baseline()
    del props["imageScanningConfiguration"]
    assert remediated(rule.POLICY, TYPE, props) == {**props, "imageScanningConfiguration": {"scanOnPush": True}}


def test_remediation_leaves_a_compliant_repository(remediate):
    assert remediate(rule.POLICY, baseline()) is None
