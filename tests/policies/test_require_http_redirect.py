"""require-http-redirect."""

import pytest
from fargate_policies.rules import require_http_redirect as rule
from fargate_policies.rules._common import LISTENER
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

DEV = {"allowHttp": True}


def baseline() -> dict:
    """A compliant HTTP listener: it only redirects to HTTPS."""
    return {
        "loadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web/1",
        "port": 80.0,
        "protocol": "HTTP",
        "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS", "port": "443",
                                                             "statusCode": "HTTP_301"}}],
    }


ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/{kind}/web/50dc6c495c0c9188"


@pytest.mark.parametrize("resource_type", LISTENER)
def test_baseline_passes_on_every_alias(run, resource_type):
    assert run(baseline(), resource_type=resource_type) == []


def test_forwarding_http_listener(run):
    props = {**baseline(), "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]}
    assert run(props) == [rule.MSG_NOT_REDIRECT.format(index=0, value="'forward'")]


def test_redirect_plus_another_action(run):
    props = baseline()
    props["defaultActions"] = [{"type": "fixed-response", "fixedResponse": {"contentType": "text/plain"}},
                               *props["defaultActions"]]
    assert run(props) == [rule.MSG_NOT_REDIRECT.format(index=0, value="'fixed-response'")]


@pytest.mark.parametrize(("protocol", "shown"), [("HTTP", "'HTTP'"), ("#{protocol}", "'#{protocol}'"),
                                                 (None, "not set")])
def test_redirect_not_to_https(run, protocol, shown):
    props = baseline()
    props["defaultActions"][0]["redirect"]["protocol"] = protocol
    assert run(props) == [rule.MSG_REDIRECT_NOT_HTTPS.format(index=0, value=shown)]


@pytest.mark.parametrize(("actions", "shown"), [([], "[]"), (None, "not set")])
def test_no_actions(run, actions, shown):
    assert run({**baseline(), "defaultActions": actions}) == [rule.MSG_NO_ACTIONS.format(value=shown)]


def test_dev_stacks_may_serve_http(evaluate):
    props = {**baseline(), "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]}
    outcome = evaluate(rule.POLICY, LISTENER[0], props, DEV)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_HTTP_ALLOWED


@pytest.mark.parametrize("arn", [ARN.format(kind="app"), "alb-arn-from-elsewhere"])
@pytest.mark.parametrize("protocol", [None, ""])
def test_a_listener_without_protocol_on_an_alb_is_http(run, arn, protocol):
    """The provider sends HTTP for an application load balancer's listener that sets no protocol; an ARN that
    names no kind of load balancer is taken as an ALB's."""
    props = {**baseline(), "loadBalancerArn": arn, "defaultActions": [{"type": "forward", "targetGroupArn": "arn:tg"}]}
    if protocol is None:
        del props["protocol"]
    else:
        props["protocol"] = protocol
    assert run(props) == [rule.MSG_DEFAULT_HTTP + rule.MSG_NOT_REDIRECT.format(index=0, value="'forward'")]
    redirecting = {**props, "defaultActions": baseline()["defaultActions"]}
    assert run(redirecting) == []


@pytest.mark.parametrize(("kind", "name"), [("net", "network"), ("gwy", "gateway")])
def test_a_listener_without_protocol_on_a_network_or_gateway_lb_is_not_http(evaluate, kind, name):
    props = {**baseline(), "loadBalancerArn": ARN.format(kind=kind), "defaultActions": [{"type": "forward"}]}
    del props["protocol"]
    outcome = evaluate(rule.POLICY, LISTENER[0], props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_APPLICATION.format(
        kind=name, arn=f"'{ARN.format(kind=kind)}'")


def test_a_listener_without_protocol_on_a_load_balancer_unknown_at_preview_is_left_to_the_engine(run):
    props = {**baseline(), "loadBalancerArn": UNKNOWN_STRING_VALUE}
    del props["protocol"]
    with pytest.raises(UnknownValueError):
        run(props)


@pytest.mark.parametrize("protocol", ["HTTPS", "TCP", "TLS"])
def test_other_protocols_are_not_applicable(evaluate, protocol):
    props = {**baseline(), "protocol": protocol, "defaultActions": [{"type": "forward"}]}
    outcome = evaluate(rule.POLICY, LISTENER[1], props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_HTTP.format(value=rule.show(protocol))


def test_other_resource_types_are_ignored(evaluate):
    props = {**baseline(), "defaultActions": [{"type": "forward"}]}
    outcome = evaluate(rule.POLICY, "aws:lb/listenerRule:ListenerRule", props)
    assert outcome.violations == [] and outcome.not_applicable is None
