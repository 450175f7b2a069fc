"""require-complete-blue-green-wiring, from the compliant release of ``release_stack``, in every mode the engine
can show a stack (ids and dependencies known, ids only, the first preview, the offline plan's placeholders)."""

from __future__ import annotations

import re

import pytest
from fargate_policies.rules import require_complete_blue_green_wiring as rule

from tests.policies.conftest import ECS_SERVICE, T_LISTENER, T_LISTENER_RULE, T_LOAD_BALANCER, _forward

SERVICE = ECS_SERVICE[0]


def shaped(template: str) -> re.Pattern[str]:
    """A message template with its fields as wildcards (the names differ between modes)."""
    return re.compile(".+".join(re.escape(p) for p in re.split(r"\{[a-z_]+\}", template)), re.DOTALL)


def advanced(b):
    return b["api"].props["loadBalancers"][0]["advancedConfiguration"]


def outcome(evaluate_stack, b):
    return evaluate_stack(rule.POLICY, b.resources, record_unknown=True)


def assert_only(result, template, urn):
    assert result.violations and all(at == urn and shaped(template).fullmatch(m) for at, m in result.violations), \
        str(result)


def test_baseline_passes(release_stack, evaluate_stack):
    result = outcome(evaluate_stack, release_stack)
    assert result.violations == [], str(result)
    # At the first preview every ARN is unknown: which of the two rules is the test rule cannot be told.
    assert (result.cannot_run is None) == (release_stack.mode != "preview"), str(result)


def test_rolling_and_unbalanced_services_are_not_judged(release_stack, evaluate_stack):
    release_stack["api"].props["deploymentConfiguration"] = {"strategy": "ROLLING"}
    del advanced(release_stack)["alternateTargetGroupArn"]
    result = outcome(evaluate_stack, release_stack)
    assert result.violations == [] and result.cannot_run is None, str(result)


def test_no_advanced_configuration(release_stack, evaluate_stack):
    del release_stack["api"].props["loadBalancers"][0]["advancedConfiguration"]
    assert_only(outcome(evaluate_stack, release_stack), rule.MSG_NO_ADVANCED, release_stack["api"].urn)


def test_no_alternate_target_group(release_stack, evaluate_stack):
    del advanced(release_stack)["alternateTargetGroupArn"]
    result = outcome(evaluate_stack, release_stack)
    assert (release_stack["api"].urn, rule.MSG_NO_ALTERNATE.format(i=0)) in result.violations, str(result)


def test_the_same_target_group_twice(release_stack, evaluate_stack):
    b = release_stack
    advanced(b)["alternateTargetGroupArn"] = b.ref(b["api-tg"])
    b.depend(b["api"], "loadBalancers", b["api-tg"], b["api-rule"], b["api-test-rule"], b["api-release-role"])
    result = outcome(evaluate_stack, b)
    assert any(shaped(rule.MSG_SAME_TARGET_GROUP).fullmatch(m) for m in result.messages), str(result)


def test_no_production_listener_rule(release_stack, evaluate_stack):
    del advanced(release_stack)["productionListenerRule"]
    result = outcome(evaluate_stack, release_stack)
    assert (release_stack["api"].urn, rule.MSG_NO_PRODUCTION_RULE.format(i=0)) in result.violations, str(result)


def test_no_role(release_stack, evaluate_stack):
    del advanced(release_stack)["roleArn"]
    result = outcome(evaluate_stack, release_stack)
    assert result.violations == [(release_stack["api"].urn, rule.MSG_NO_ROLE.format(i=0))], str(result)


def test_a_role_ecs_cannot_assume(release_stack, evaluate_stack):
    release_stack["api-release-role"].props["assumeRolePolicy"] = (
        '{"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, '
        '"Action": "sts:AssumeRole"}]}')
    assert_only(outcome(evaluate_stack, release_stack), rule.MSG_ROLE_NOT_TRUSTED, release_stack["api"].urn)


def test_a_test_listener_open_to_the_internet(release_stack, evaluate_stack):
    release_stack["alb-sg"].props["ingress"][1]["cidrBlocks"] = ["0.0.0.0/0"]
    result = outcome(evaluate_stack, release_stack)
    if release_stack.mode == "preview":
        assert result.violations == [] and result.cannot_run, "undecidable at preview: said so, not passed"
        return
    assert result.violations == [(release_stack["api"].urn, rule.MSG_TEST_OPEN.format(
        i=0, listener="test-listener", port=8443, group="alb-sg", cidr="0.0.0.0/0"))], str(result)


def test_a_separate_ingress_rule_opening_the_test_port(release_stack, evaluate_stack):
    b = release_stack
    b.add("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "test-port-open", {
        "securityGroupId": b.ref(b["alb-sg"]), "ipProtocol": "tcp", "fromPort": 8000, "toPort": 9000,
        "cidrIpv6": "::/0"}, id="sgr-0123", securityGroupId=[b["alb-sg"]])
    result = outcome(evaluate_stack, b)
    if b.mode in ("preview", "mocks"):
        return  # the rule names its group by an id no props repeat (mocks) or an unknown one (preview)
    assert result.violations == [(b["api"].urn, rule.MSG_TEST_OPEN.format(
        i=0, listener="test-listener", port=8443, group="alb-sg", cidr="::/0"))], str(result)


def test_a_header_rule_on_the_production_listener(release_stack, evaluate_stack):
    b = release_stack
    test_rule = b["api-test-rule"]
    test_rule.props["listenerArn"] = b.ref(b["https"])
    b.depend(test_rule, "listenerArn", b["https"])
    if b.mode != "preview":
        # Its ARN embeds the listener it is on.
        advanced(b)["testListenerRule"] = advanced(b)["testListenerRule"].replace(
            "0a1b2c3d4e5f6789", "f2f7dc8efc522ab2")
        if b.mode != "mocks":
            test_rule.props["id"] = advanced(b)["testListenerRule"]
    result = outcome(evaluate_stack, b)
    if b.mode == "preview":
        assert result.violations == [] and result.cannot_run, str(result)
        return
    # The offline plan's placeholder ARNs name only the listener: both rules on it are named.
    assert_only(result, rule.MSG_TEST_WITHOUT_HEADER, b["api"].urn)
    assert "api-test-rule" in result.messages[0], str(result)
    test_rule.props["conditions"].append({"httpHeader": {"httpHeaderName": "X-Release", "values": ["candidate"]}})
    assert outcome(evaluate_stack, b).violations == [], "a header rule on the production listener is fine"


def test_target_groups_behind_different_load_balancers(release_stack, evaluate_stack):
    b = release_stack
    other = b.add(T_LOAD_BALANCER, "other-alb", {"loadBalancerType": "application"},
                  id="arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/1234")
    listener = b.add(T_LISTENER, "other-https", {"loadBalancerArn": b.ref(other), "port": 443},
                     id="arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/other/1234/5678",
                     loadBalancerArn=[other])
    alternate = b["api-tg-alternate"]
    for name in ("api-rule", "api-test-rule"):
        b[name].props["actions"] = _forward(b, b["api-tg"])
        b.depend(b[name], "actions", b["api-tg"])
    b.add(T_LISTENER_RULE, "other-rule", {"listenerArn": b.ref(listener), "actions": _forward(b, alternate)},
          id="arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/other/1234/5678/9",
          listenerArn=[listener], actions=[alternate])
    result = outcome(evaluate_stack, b)
    messages = [m for m in result.messages if shaped(rule.MSG_NOT_SAME_LOAD_BALANCER).fullmatch(m)]
    assert len(messages) == 1 and "alb" in messages[0] and "other-alb" in messages[0], str(result)


def test_listener_rule_arns_embed_their_listener():
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/alb/50dc/f2f7/1111"
    listener = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/50dc/f2f7"
    assert rule._listener_of_rule(arn) == listener
    assert rule._listener_of_rule("arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/x/1") is None


@pytest.mark.parametrize("strategy", ["CANARY", "LINEAR", "blue_green"])
def test_every_traffic_shifting_strategy_is_judged(release_stack, evaluate_stack, strategy):
    release_stack["api"].props["deploymentConfiguration"]["strategy"] = strategy
    del advanced(release_stack)["roleArn"]
    assert (release_stack["api"].urn, rule.MSG_NO_ROLE.format(i=0)) in outcome(evaluate_stack,
                                                                                release_stack).violations


def test_an_entry_without_a_production_target_group_is_not_compared(release_stack, evaluate_stack):
    b = release_stack
    del b["api"].props["loadBalancers"][0]["targetGroupArn"]
    b.depend(b["api"], "loadBalancers")
    result = outcome(evaluate_stack, b)
    assert not any("could not evaluate" in m for m in result.messages), str(result)
