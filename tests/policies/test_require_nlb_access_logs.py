"""require-nlb-access-logs (stack rule): one change from a compliant TLS network load balancer, in every mode."""

import pytest
from fargate_policies.rules import require_nlb_access_logs as rule
from fargate_policies.rules._common import LISTENER, LOAD_BALANCER
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

POLICY = rule.POLICY
NLB_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/grpc/50dc6c495c0c9188"
LOGS = {"enabled": True, "bucket": "prod-nlb-logs", "prefix": "grpc"}


@pytest.fixture
def stack(stack_builder):
    """A network load balancer with a TLS listener and access logs, beside a TCP-only one without logs."""
    b = stack_builder
    nlb = b.add(LOAD_BALANCER[0], "grpc", {"loadBalancerType": "network", "accessLogs": dict(LOGS)}, id=NLB_ARN)
    b.add(LISTENER[0], "grpc-tls", {"loadBalancerArn": b.ref(nlb), "protocol": "TLS", "port": 443.0,
                                    "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"}, loadBalancerArn=[nlb])
    tcp = b.add(LOAD_BALANCER[1], "tcp", {"loadBalancerType": "network"}, id=NLB_ARN.replace("grpc", "tcp"))
    b.add(LISTENER[1], "tcp-5432", {"loadBalancerArn": b.ref(tcp), "protocol": "TCP", "port": 5432.0},
          loadBalancerArn=[tcp])
    return b


def test_baseline_passes(stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


def test_tls_network_load_balancer_without_logs(stack, evaluate_stack):
    nlb = stack["grpc"]
    del nlb.props["accessLogs"]
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [(nlb.urn, rule.MSG_LOGS_MISSING.format())], str(outcome)


def test_logs_disabled(stack, evaluate_stack):
    nlb = stack["grpc"]
    nlb.props["accessLogs"]["enabled"] = False
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [(nlb.urn, rule.MSG_LOGS_DISABLED.format(value="false"))], str(outcome)


def test_bucket_missing(stack, evaluate_stack):
    nlb = stack["grpc"]
    nlb.props["accessLogs"]["bucket"] = ""
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [(nlb.urn, rule.MSG_BUCKET_MISSING.format(value="''"))], str(outcome)


def test_a_tls_listener_makes_logs_required(stack, evaluate_stack):
    stack["tcp-5432"].props["protocol"] = "TLS"
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [(stack["tcp"].urn, rule.MSG_LOGS_MISSING.format())], str(outcome)


def test_application_load_balancers_are_left_to_the_alb_rule(stack, evaluate_stack):
    nlb = stack["grpc"]
    nlb.props["loadBalancerType"] = "application"
    del nlb.props["accessLogs"]
    outcome = evaluate_stack(POLICY, stack.resources)
    assert outcome.violations == [], str(outcome)


def test_unlinked_unknown_load_balancer_arn_cannot_be_decided(stack, evaluate_stack):
    del stack["grpc"].props["accessLogs"]
    stack.add(LISTENER[0], "mystery", {"loadBalancerArn": UNKNOWN_STRING_VALUE, "protocol": "TLS"})
    with pytest.raises(UnknownValueError):
        evaluate_stack(POLICY, stack.resources)


def test_stack_without_network_load_balancers(node, evaluate_stack):
    alb = node(LOAD_BALANCER[0], "web", {"loadBalancerType": "application"})
    assert evaluate_stack(POLICY, [alb]).violations == []
