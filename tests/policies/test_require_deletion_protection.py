"""require-deletion-protection."""

import pytest
from fargate_policies.rules import require_deletion_protection as rule
from fargate_policies.rules._common import LOAD_BALANCER, NotApplicable


def baseline() -> dict:
    """A compliant load balancer."""
    return {"name": "web", "loadBalancerType": "application", "enableDeletionProtection": True}


@pytest.mark.parametrize("resource_type", LOAD_BALANCER)
def test_baseline_passes_on_every_alias(run, resource_type):
    assert run(baseline(), resource_type=resource_type) == []


@pytest.mark.parametrize("kind", ["application", "network", "gateway"])
def test_unprotected(run, kind):
    props = {**baseline(), "loadBalancerType": kind, "enableDeletionProtection": False}
    assert run(props, resource_type=LOAD_BALANCER[1]) == [rule.MSG_NOT_PROTECTED.format(value="false")]


def test_left_out_is_unprotected(run):
    props = baseline()
    del props["enableDeletionProtection"]
    assert run(props) == [rule.MSG_NOT_PROTECTED.format(value="not set")]


def test_not_required_is_not_applicable(evaluate):
    props = {**baseline(), "enableDeletionProtection": False}
    outcome = evaluate(rule.POLICY, LOAD_BALANCER[0], props, {"required": False})
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_REQUIRED


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:rds/instance:Instance", {"deletionProtection": False})
    assert outcome.violations == [] and outcome.not_applicable is None


# ---------------------------------------------------------------------------
# Remediation: only where the config requires protection (prod).
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("value", [False, None])
def test_remediation_turns_protection_on(remediated, value):
    props = {**baseline(), "enableDeletionProtection": value}
    fixed = remediated(rule.POLICY, LOAD_BALANCER[0], props, {"required": True})
    assert fixed == {**props, "enableDeletionProtection": True}


def test_remediation_where_protection_is_not_required_is_not_applicable(remediate):
    with pytest.raises(NotApplicable):
        remediate(rule.POLICY, {**baseline(), "enableDeletionProtection": False}, {"required": False})
