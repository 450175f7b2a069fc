"""require-tags: one change from a compliantly tagged resource per test, and the taggable list stays in sync."""

import json

import pytest
from fargate_policies.rules import require_tags as rule
from fargate_policies.rules._common import show
from fargate_policies.tools import gen_taggable

TYPE = "aws:ecs/cluster:Cluster"
REQUIRED = show(rule.DEFAULT_REQUIRED)


def baseline() -> dict:
    return {"name": "prod", "tags": {"Environment": "prod", "Owner": "platform", "CostCenter": "cc-42", "x": ""}}


def test_baseline_passes(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline())
    assert outcome.violations == [], str(outcome)


def test_tags_missing(evaluate):
    props = baseline()
    del props["tags"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_NO_TAGS.format(value=show(None), required=REQUIRED)], str(outcome)


def test_tag_missing(evaluate):
    props = baseline()
    del props["tags"]["Owner"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_MISSING.format(missing=show(["Owner"]), required=REQUIRED)], str(outcome)


def test_tag_keys_are_case_sensitive(evaluate):
    props = baseline()
    props["tags"]["costcenter"] = props["tags"].pop("CostCenter")
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_MISSING.format(missing=show(["CostCenter"]), required=REQUIRED)], str(
        outcome
    )


def test_tag_empty(evaluate):
    props = baseline()
    props["tags"]["Owner"] = "  "
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_EMPTY.format(key=show("Owner"), value=show("  "))], str(outcome)


def test_tags_not_a_map(evaluate):
    props = baseline()
    props["tags"] = "Environment=prod"
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_INVALID.format(value=show("Environment=prod"), required=REQUIRED)], str(
        outcome
    )


def test_configured_tags(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline(), {"requiredTags": ["Team"]})
    assert outcome.messages == [rule.MSG_MISSING.format(missing=show(["Team"]), required=show(["Team"]))], str(
        outcome
    )


def test_autoscaling_group_tag_blocks(evaluate):
    tags = [{"key": k, "value": v, "propagateAtLaunch": True} for k, v in baseline()["tags"].items()]
    outcome = evaluate(rule.POLICY, "aws:autoscaling/group:Group", {"tags": tags})
    assert outcome.violations == [], str(outcome)


@pytest.mark.parametrize(
    "token",
    [
        "aws:ecs/service:Service",
        "aws:lb/loadBalancer:LoadBalancer",
        "aws:alb/loadBalancer:LoadBalancer",
        "aws:elasticloadbalancingv2/loadBalancer:LoadBalancer",
        "aws:cloudwatch/logGroup:LogGroup",
    ],
)
def test_taggable_types_covered(evaluate, token):
    outcome = evaluate(rule.POLICY, token, {})
    assert outcome.messages == [rule.MSG_NO_TAGS.format(value=show(None), required=REQUIRED)], f"{token}: {outcome}"


@pytest.mark.parametrize(
    "token",
    ["aws:ec2/routeTableAssociation:RouteTableAssociation", "aws:iam/rolePolicy:RolePolicy", "aws:ecs/tag:Tag"],
)
def test_untaggable_type_ignored(evaluate, token):
    outcome = evaluate(rule.POLICY, token, {})
    assert outcome.violations == [], f"{token}: {outcome}"


def test_taggable_file_matches_pulumi_aws(aws_catalog):
    expected = gen_taggable.taggable_tokens(aws_catalog)
    on_disk = json.loads(rule.TAGGABLE_FILE.read_text(encoding="utf-8"))
    assert on_disk == expected, (
        f"{rule.TAGGABLE_FILE} is out of date with the installed pulumi-aws: run policies/tools/gen_taggable.py "
        f"(added: {sorted(set(expected) - set(on_disk))[:10]}, removed: {sorted(set(on_disk) - set(expected))[:10]})"
    )
    assert rule.TAGGABLE_FILE.read_text(encoding="utf-8") == gen_taggable.render(expected)


# ---------------------------------------------------------------------------
# Remediation: missing or empty required tags filled from tagValues, the other tags kept.
# ---------------------------------------------------------------------------
VALUES = {"tagValues": {"Environment": "dev", "Owner": "platform", "CostCenter": "cc-1", "NotRequired": "x"}}


def test_remediation_fills_missing_and_empty_tags(remediated):
    props = {**baseline(), "tags": {"Environment": "prod", "Owner": " ", "x": ""}}
    fixed = remediated(rule.POLICY, TYPE, props, VALUES)
    assert fixed == {**props, "tags": {"Environment": "prod", "Owner": "platform", "x": "", "CostCenter": "cc-1"}}


def test_remediation_gives_an_untagged_resource_its_tags(remediated):
    props = {"name": "prod"}
    fixed = remediated(rule.POLICY, TYPE, props, VALUES)
    assert fixed == {"name": "prod", "tags": {"Environment": "dev", "Owner": "platform", "CostCenter": "cc-1"}}


def test_remediation_fills_only_the_tags_it_has_values_for(remediate, evaluate):
    props = {"name": "prod", "tags": {"Environment": "prod"}}
    config = {"tagValues": {"Owner": "platform"}}
    assert remediate(rule.POLICY, props, config) == {"tags": {"Environment": "prod", "Owner": "platform"}}
    still = evaluate(rule.POLICY, TYPE, {"name": "prod", "tags": {"Environment": "prod", "Owner": "platform"}}, config)
    assert still.messages == [rule.MSG_MISSING.format(missing=show(["CostCenter"]), required=REQUIRED)], str(still)


@pytest.mark.parametrize("tags", [
    [{"key": "Environment", "value": "prod", "propagateAtLaunch": True}],  # whether a tag propagates is a choice
    "Environment=prod",
])
def test_remediation_leaves_tags_that_are_not_a_map(remediate, tags):
    assert remediate(rule.POLICY, {"name": "prod", "tags": tags}, VALUES) is None


def test_remediation_without_values_changes_nothing(remediate):
    assert remediate(rule.POLICY, {"name": "prod"}) is None
    assert remediate(rule.POLICY, baseline(), VALUES) is None
