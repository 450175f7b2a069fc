"""disallow-default-security-group-rules: one change from a compliant default group per test."""

import pytest
from fargate_policies.rules import disallow_default_security_group_rules as rule
from fargate_policies.rules._common import show

TYPE = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
RULE = {"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}


def baseline() -> dict:
    return {"vpcId": "vpc-1", "ingress": [], "egress": [], "tags": {"Name": "default"}}


def test_baseline_passes(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline())
    assert outcome.violations == [], str(outcome)


def test_rules_absent_pass(evaluate):
    props = baseline()
    del props["ingress"], props["egress"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.violations == [], str(outcome)


@pytest.mark.parametrize("prop", ["ingress", "egress"])
def test_a_rule(evaluate, prop):
    props = baseline()
    props[prop] = [RULE]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_HAS_RULES.format(prop=prop, count=1, value=show([RULE]))], str(outcome)


def test_not_a_list(evaluate):
    props = baseline()
    props["ingress"] = "all"
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_INVALID.format(prop="ingress", value=show("all"))], str(outcome)


def test_other_type_ignored(evaluate):
    props = baseline()
    props["ingress"] = [RULE]
    outcome = evaluate(rule.POLICY, "aws:ec2/securityGroup:SecurityGroup", props)
    assert outcome.violations == [], str(outcome)
