"""enforce-tls-policy."""

import pytest
from fargate_policies.rules import enforce_tls_policy as rule
from fargate_policies.rules._common import LISTENER

PROD = {"requireTls13": True}


def baseline() -> dict:
    """A compliant HTTPS listener, shaped as the engine sends it."""
    return {
        "loadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1",
        "port": 443.0,
        "protocol": "HTTPS",
        "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
        "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:::targetgroup/web/1"}],
    }


@pytest.mark.parametrize("resource_type", LISTENER)
def test_baseline_passes_on_every_alias(run, resource_type):
    assert run(baseline(), resource_type=resource_type) == []
    assert run(baseline(), PROD, resource_type=resource_type) == []


@pytest.mark.parametrize("policy", [
    "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Ext1-2021-06", "ELBSecurityPolicy-TLS13-1-2-Ext2-2021-06",
    "ELBSecurityPolicy-TLS13-1-3-2021-06", "ELBSecurityPolicy-TLS13-1-3-FIPS-2023-04",
    "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09", "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
])
def test_tls13_policies_pass_everywhere(run, policy):
    assert run({**baseline(), "sslPolicy": policy}) == []
    assert run({**baseline(), "sslPolicy": policy}, PROD) == []


@pytest.mark.parametrize("policy", [
    "ELBSecurityPolicy-TLS-1-2-2017-01", "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
    "ELBSecurityPolicy-FS-1-2-2019-08", "ELBSecurityPolicy-FS-1-2-Res-2019-08", "ELBSecurityPolicy-FS-1-2-Res-2020-10",
])
def test_tls12_only_policies_pass_unless_tls13_is_required(run, policy):
    props = {**baseline(), "sslPolicy": policy}
    assert run(props) == []
    assert run(props, PROD) == [rule.MSG_POLICY_NO_TLS13.format(value=f"'{policy}'", expected=rule.EXPECTED_TLS13)]


@pytest.mark.parametrize(("policy", "lowest"), [
    ("ELBSecurityPolicy-2016-08", 0), ("ELBSecurityPolicy-2015-05", 0), ("ELBSecurityPolicy-FS-2018-06", 0),
    ("ELBSecurityPolicy-TLS-1-0-2015-04", 0), ("ELBSecurityPolicy-TLS-1-1-2017-01", 1),
    ("ELBSecurityPolicy-FS-1-1-2019-08", 1), ("ELBSecurityPolicy-TLS13-1-1-2021-06", 1),
    ("ELBSecurityPolicy-TLS13-1-0-2021-06", 0), ("ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04", 0),
])
def test_policies_that_accept_old_tls(run, policy, lowest):
    props = {**baseline(), "sslPolicy": policy}
    assert run(props) == [
        rule.MSG_POLICY_OLD_TLS.format(value=f"'{policy}'", lowest=lowest, expected=rule.EXPECTED_TLS12)
    ]


def test_missing_policy_means_the_2016_08_default(run):
    props = baseline()
    del props["sslPolicy"]
    assert run(props) == [rule.MSG_POLICY_MISSING.format(expected=rule.EXPECTED_TLS12)]
    assert run(props, PROD) == [rule.MSG_POLICY_MISSING.format(expected=rule.EXPECTED_TLS13)]


@pytest.mark.parametrize(("policy", "shown"), [("MyCustomPolicy", "'MyCustomPolicy'"), (3.0, "3")])
def test_unknown_policy(run, policy, shown):
    assert run({**baseline(), "sslPolicy": policy}) == [
        rule.MSG_POLICY_UNKNOWN.format(value=shown, expected=rule.EXPECTED_TLS12)
    ]


def nlb_baseline() -> dict:
    """A compliant TLS listener of a network load balancer (gRPC on 443, TLS ends at the load balancer)."""
    return {
        "loadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/grpc/1",
        "port": 443.0,
        "protocol": "TLS",
        "alpnPolicy": "HTTP2Preferred",
        "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "certificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
        "defaultActions": [{"type": "forward", "targetGroupArn": "arn:aws:elasticloadbalancing:::targetgroup/grpc/1"}],
    }


@pytest.mark.parametrize("resource_type", LISTENER)
def test_nlb_tls_listener_baseline_passes(run, resource_type):
    assert run(nlb_baseline(), resource_type=resource_type) == []
    assert run(nlb_baseline(), PROD, resource_type=resource_type) == []


def test_tls_listener_of_a_network_load_balancer_is_checked(run):
    props = {**nlb_baseline(), "sslPolicy": "ELBSecurityPolicy-2016-08"}
    assert run(props) == [rule.MSG_POLICY_OLD_TLS.format(
        value="'ELBSecurityPolicy-2016-08'", lowest=0, expected=rule.EXPECTED_TLS12)]


def test_nlb_tls_listener_without_a_policy_gets_the_tls10_default(run):
    props = nlb_baseline()
    del props["sslPolicy"]
    assert run(props) == [rule.MSG_POLICY_MISSING.format(expected=rule.EXPECTED_TLS12)]
    assert run(props, PROD) == [rule.MSG_POLICY_MISSING.format(expected=rule.EXPECTED_TLS13)]


def test_nlb_tls_listener_needs_tls13_where_required(run):
    props = {**nlb_baseline(), "sslPolicy": "ELBSecurityPolicy-TLS-1-2-Ext-2018-06"}
    assert run(props) == []
    assert run(props, PROD) == [rule.MSG_POLICY_NO_TLS13.format(
        value="'ELBSecurityPolicy-TLS-1-2-Ext-2018-06'", expected=rule.EXPECTED_TLS13)]


@pytest.mark.parametrize("protocol", ["HTTP", "TCP", "UDP", "TCP_UDP", None])
def test_plain_listeners_are_not_applicable(evaluate, protocol):
    props = {**baseline(), "protocol": protocol, "sslPolicy": None}
    outcome = evaluate(rule.POLICY, LISTENER[1], props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_TLS_LISTENER.format(
        value=rule.show(protocol))


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:lb/loadBalancer:LoadBalancer", {**baseline(), "sslPolicy": "x"})
    assert outcome.violations == [] and outcome.not_applicable is None
