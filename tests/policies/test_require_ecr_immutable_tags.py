"""require-ecr-immutable-tags: one change from a compliant repository per test."""

import pytest
from fargate_policies.rules import require_ecr_immutable_tags as rule
from fargate_policies.rules._common import show

TYPE = "aws:ecr/repository:Repository"


def baseline(mutability: str = "IMMUTABLE") -> dict:
    return {"name": "web", "imageTagMutability": mutability, "imageScanningConfiguration": {"scanOnPush": True}}


@pytest.mark.parametrize("mutability", ["IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"])
def test_baseline_passes(evaluate, mutability):
    outcome = evaluate(rule.POLICY, TYPE, baseline(mutability))
    assert outcome.violations == [], str(outcome)


@pytest.mark.parametrize("mutability", ["MUTABLE", "MUTABLE_WITH_EXCLUSION"])
def test_mutable(evaluate, mutability):
    outcome = evaluate(rule.POLICY, TYPE, baseline(mutability))
    assert outcome.messages == [rule.MSG_MUTABLE.format(value=show(mutability))], str(outcome)


def test_unset_means_mutable(evaluate):
    props = baseline()
    del props["imageTagMutability"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_MUTABLE.format(value=show(None))], str(outcome)


def test_other_type_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecr/repositoryPolicy:RepositoryPolicy", baseline("MUTABLE"))
    assert outcome.violations == [], str(outcome)


# ---------------------------------------------------------------------------
# Remediation.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("mutability", ["MUTABLE", "MUTABLE_WITH_EXCLUSION", None])
def test_remediation_makes_tags_immutable(remediated, mutability):
    props = baseline(mutability)
    assert remediated(rule.POLICY, TYPE, props) == {**props, "imageTagMutability": "IMMUTABLE"}


@pytest.mark.parametrize("mutability", ["IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION"])
def test_remediation_leaves_immutable_tags(remediate, mutability):
    assert remediate(rule.POLICY, baseline(mutability)) is None
