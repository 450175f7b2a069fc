"""require-vpc-flow-logs: one change from a compliant stack per test, in every mode of the stack."""

import pytest
from fargate_policies.rules import require_vpc_flow_logs as rule
from fargate_policies.rules._common import FLOW_LOG, VPC
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

POLICY = rule.POLICY


@pytest.fixture
def stack(stack_builder):
    b = stack_builder
    for name in ("app", "data"):
        vpc = b.add(VPC[0], name, {"cidrBlock": "10.0.0.0/16"}, id=f"vpc-{name}")
        b.add(FLOW_LOG[0], f"{name}-flow", {"vpcId": b.ref(vpc), "trafficType": "ALL",
                                            "logDestination": "arn:aws:logs:eu-west-1:123456789012:log-group:f"},
              id=f"fl-{name}", vpcId=[vpc])
    return b


def test_baseline_passes(stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


def test_vpc_without_flow_log(stack, evaluate_stack):
    del stack.by_name["data-flow"]
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [(stack["data"].urn, rule.MSG_NO_FLOW_LOG)], str(outcome)


def test_flow_log_of_a_subnet_does_not_count(stack, evaluate_stack):
    b = stack
    flow = b["data-flow"]
    del flow.props["vpcId"]
    flow.property_dependencies = {}
    flow.props["subnetId"] = "subnet-1"
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [(b["data"].urn, rule.MSG_NO_FLOW_LOG)], str(outcome)


def test_unlinked_unknown_vpc_id_cannot_be_decided(stack, evaluate_stack):
    b = stack
    del b.by_name["data-flow"]
    b.add(FLOW_LOG[0], "mystery", {"vpcId": UNKNOWN_STRING_VALUE})
    with pytest.raises(UnknownValueError):
        evaluate_stack(POLICY, b.resources)


def test_other_types_ignored(stack, evaluate_stack):
    b = stack
    b.add("aws:ec2/defaultVpc:DefaultVpc", "default", {"cidrBlock": "172.31.0.0/16"})
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [], str(outcome)
