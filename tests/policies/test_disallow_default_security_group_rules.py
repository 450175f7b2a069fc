"""disallow-default-security-group-rules (stack rule): one change from a compliant VPC per test, in every mode."""

import pytest
from fargate_policies.rules import disallow_default_security_group_rules as rule
from fargate_policies.rules._common import DEFAULT_SECURITY_GROUP, SECURITY_GROUP, VPC, show
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

POLICY = rule.POLICY
EC2_RULE, INGRESS_RULE, EGRESS_RULE = rule.RULE_RESOURCES
INLINE = {"protocol": "-1", "fromPort": 0.0, "toPort": 0.0, "cidrBlocks": ["0.0.0.0/0"]}


@pytest.fixture
def stack(stack_builder):
    """A VPC whose default group is managed and empty, and a workload group with rules of each kind."""
    b = stack_builder
    vpc = b.add(VPC[0], "vpc", {"cidrBlock": "10.0.0.0/16", "defaultSecurityGroupId": b.ref_value("sg-default")},
                id="vpc-1")
    b.add(DEFAULT_SECURITY_GROUP[0], "default", {"vpcId": b.ref(vpc), "ingress": [], "egress": []},
          id="sg-default", vpcId=[vpc])
    tasks = b.add(SECURITY_GROUP[0], "tasks", {"vpcId": b.ref(vpc), "ingress": []}, id="sg-tasks", vpcId=[vpc])
    b.add(EC2_RULE, "tasks-https", {"type": "ingress", "securityGroupId": b.ref(tasks), "protocol": "tcp",
                                    "fromPort": 443.0, "toPort": 443.0, "cidrBlocks": ["10.0.0.0/16"]},
          securityGroupId=[tasks])
    b.add(EGRESS_RULE, "tasks-egress", {"securityGroupId": b.ref(tasks), "ipProtocol": "tcp", "fromPort": 443.0,
                                        "toPort": 443.0, "cidrIpv4": "0.0.0.0/0"}, securityGroupId=[tasks])
    return b


def test_baseline_passes(stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


def test_inline_rules_absent_pass(stack, evaluate_stack):
    props = stack["default"].props
    del props["ingress"], props["egress"]
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


@pytest.mark.parametrize("prop", ["ingress", "egress"])
def test_an_inline_rule(stack, evaluate_stack, prop):
    group = stack["default"]
    group.props[prop] = [INLINE]
    outcome = evaluate_stack(POLICY, stack.resources)
    expected = rule.MSG_HAS_RULES.format(prop=prop, count=1, value=show([INLINE]))
    assert outcome.violations == [(group.urn, expected)], str(outcome)


def test_inline_rules_not_a_list(stack, evaluate_stack):
    group = stack["default"]
    group.props["ingress"] = "all"
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [(group.urn, rule.MSG_INVALID.format(prop="ingress", value=show("all")))], str(
        outcome)


def test_vpc_whose_default_group_is_not_managed(stack, evaluate_stack):
    del stack.by_name["default"]
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [(stack["vpc"].urn, rule.MSG_UNMANAGED)], str(outcome)


def test_default_group_of_another_vpc_does_not_count(stack, evaluate_stack):
    group = stack["default"]
    group.props["vpcId"] = "vpc-elsewhere"
    group.property_dependencies = {}
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [(stack["vpc"].urn, rule.MSG_UNMANAGED)], str(outcome)


@pytest.mark.parametrize("rule_type", rule.RULE_RESOURCES)
def test_rule_attached_through_the_vpcs_default_group_id(stack, evaluate_stack, rule_type):
    b = stack
    vpc = b["vpc"]
    attached = b.add(rule_type, "open-default", {"securityGroupId": b.ref_value("sg-default"), "type": "ingress",
                                                 "protocol": "-1", "fromPort": 0.0, "toPort": 0.0,
                                                 "cidrBlocks": ["0.0.0.0/0"]}, securityGroupId=[vpc])
    outcome = evaluate_stack(POLICY, b.resources)
    # Where ids are known, the value is the managed group's id as well as the VPC's defaultSecurityGroupId.
    known_ids = b.mode in ("resolved", "ids")
    group = rule.GROUP_MANAGED.format(name="default") if known_ids else rule.GROUP_OF_VPC.format(name="vpc")
    assert outcome.violations == [(attached.urn, rule.MSG_ATTACHED.format(group=group))], str(outcome)


def test_rule_attached_to_the_managed_default_group(stack, evaluate_stack):
    b = stack
    group = b["default"]
    attached = b.add(INGRESS_RULE, "open-default", {"securityGroupId": b.ref(group), "ipProtocol": "-1",
                                                    "cidrIpv4": "0.0.0.0/0"}, securityGroupId=[group])
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_ATTACHED.format(group=rule.GROUP_MANAGED.format(name="default"))
    assert outcome.violations == [(attached.urn, expected)], str(outcome)


def test_rule_on_the_default_group_of_an_unmanaged_vpc(stack, evaluate_stack):
    """Both findings at once: the VPC's group is not emptied, and a rule adds to it."""
    b = stack
    del b.by_name["default"]
    vpc = b["vpc"]
    attached = b.add(EC2_RULE, "open-default", {"securityGroupId": b.ref_value("sg-default"), "type": "ingress",
                                                "protocol": "tcp", "fromPort": 22.0, "toPort": 22.0,
                                                "cidrBlocks": ["10.0.0.0/8"]}, securityGroupId=[vpc])
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [
        (vpc.urn, rule.MSG_UNMANAGED),
        (attached.urn, rule.MSG_ATTACHED.format(group=rule.GROUP_OF_VPC.format(name="vpc"))),
    ], str(outcome)


def test_rule_on_the_default_vpcs_default_group(stack, evaluate_stack):
    b = stack
    default_vpc = b.add("aws:ec2/defaultVpc:DefaultVpc", "default-vpc",
                        {"defaultSecurityGroupId": b.ref_value("sg-default-vpc")}, id="vpc-default")
    attached = b.add(EC2_RULE, "open", {"securityGroupId": b.ref_value("sg-default-vpc"), "type": "ingress",
                                        "protocol": "tcp", "fromPort": 80.0, "toPort": 80.0,
                                        "cidrBlocks": ["0.0.0.0/0"]}, securityGroupId=[default_vpc])
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_ATTACHED.format(group=rule.GROUP_OF_VPC.format(name="default-vpc"))
    assert outcome.violations == [(attached.urn, expected)], str(outcome)


def test_unlinked_unknown_security_group_id_cannot_be_decided(stack, evaluate_stack):
    stack.add(EC2_RULE, "mystery", {"type": "ingress", "securityGroupId": UNKNOWN_STRING_VALUE})
    with pytest.raises(UnknownValueError):
        evaluate_stack(POLICY, stack.resources)


def test_unlinked_unknown_vpc_id_of_a_default_group_cannot_be_decided(stack, evaluate_stack):
    del stack.by_name["default"]
    stack.add(DEFAULT_SECURITY_GROUP[0], "mystery", {"vpcId": UNKNOWN_STRING_VALUE, "ingress": []})
    with pytest.raises(UnknownValueError):
        evaluate_stack(POLICY, stack.resources)


def test_default_group_of_a_vpc_managed_elsewhere(node, evaluate_stack):
    """No VPC in the stack: only the managed group's own rules count."""
    group = node(DEFAULT_SECURITY_GROUP[0], "default", {"vpcId": "vpc-elsewhere", "ingress": [], "egress": []})
    assert evaluate_stack(POLICY, [group]).violations == []
    group.props["egress"] = [INLINE]
    expected = rule.MSG_HAS_RULES.format(prop="egress", count=1, value=show([INLINE]))
    assert evaluate_stack(POLICY, [group]).violations == [(group.urn, expected)]
