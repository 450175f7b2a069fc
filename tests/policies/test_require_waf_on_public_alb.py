"""require-waf-on-public-alb (stack rule): an ALB is linked to its association by resourceArn or dependencies."""

import pytest
from fargate_policies.rules import require_waf_on_public_alb as rule
from fargate_policies.rules._common import LOAD_BALANCER, StackResource

ASSOCIATION = rule.WEB_ACL_ASSOCIATION[0]
WEB_ACL = "aws:wafv2/webAcl:WebAcl"
ALB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/fp-prod-alb/50dc6c495c0c9188"
ACL_ARN = "arn:aws:wafv2:us-east-1:123456789012:regional/webacl/fp-prod-waf/0d6f7c2e"
REQUIRED = {"required": True}


def build(b, lb_props: dict | None = None, lb_type: str = LOAD_BALANCER[0], associate: bool = True) -> None:
    """A compliant stack in any of the engine's modes: a public ALB with a web ACL association."""
    lb = b.add(lb_type, "alb", {"loadBalancerType": "application", "internal": False, **(lb_props or {})},
               id=ALB_ARN)
    acl = b.add(WEB_ACL, "waf", {"scope": "REGIONAL"}, id=ACL_ARN)
    if associate:
        b.add(ASSOCIATION, "waf-association", {"resourceArn": b.ref(lb), "webAclArn": b.ref(acl)},
              resourceArn=[lb], webAclArn=[acl])


@pytest.fixture
def run(evaluate_stack):
    def _run(resources: list[StackResource], config: dict | None = None) -> list[tuple[str | None, str]]:
        return evaluate_stack(rule.POLICY, resources, REQUIRED if config is None else config).violations

    return _run


def test_baseline_passes_in_every_mode(run, stack_builder):
    build(stack_builder)
    assert run(stack_builder.resources) == []


@pytest.mark.parametrize("token", LOAD_BALANCER)
def test_both_alias_tokens_are_checked(run, stack_builder, token):
    build(stack_builder, lb_type=token, associate=False)
    assert run(stack_builder.resources) == [
        (stack_builder["alb"].urn, rule.MSG_NO_WAF.format(lb="alb"))
    ]


def test_public_alb_without_association_in_every_mode(run, stack_builder):
    build(stack_builder, associate=False)
    assert run(stack_builder.resources) == [(stack_builder["alb"].urn, rule.MSG_NO_WAF.format(lb="alb"))]


@pytest.mark.parametrize("props", [{"internal": None}, {"loadBalancerType": None}])
def test_absent_internal_and_type_mean_a_public_alb(run, stack_builder, props):
    build(stack_builder, lb_props=props, associate=False)
    assert run(stack_builder.resources) == [(stack_builder["alb"].urn, rule.MSG_NO_WAF.format(lb="alb"))]


def test_association_of_another_resource_does_not_count(run, node):
    alb = node(LOAD_BALANCER[0], "alb", {"loadBalancerType": "application", "arn": ALB_ARN, "id": ALB_ARN})
    other = node(LOAD_BALANCER[0], "other", {"loadBalancerType": "application"})
    association = node(ASSOCIATION, "assoc", {"resourceArn": "arn:aws:apigateway:us-east-1::/restapis/a/stages/b",
                                              "webAclArn": ACL_ARN})
    linked = node(ASSOCIATION, "assoc-other", {"webAclArn": ACL_ARN}, resourceArn=[other])
    assert run([alb, other, association, linked]) == [(alb.urn, rule.MSG_NO_WAF.format(lb="alb"))]


def test_linked_by_arn_value_alone(run, node):
    alb = node(LOAD_BALANCER[0], "alb", {"loadBalancerType": "application", "arn": ALB_ARN})
    association = node(ASSOCIATION, "assoc", {"resourceArn": ALB_ARN, "webAclArn": ACL_ARN})
    assert run([alb, association]) == []


def test_internal_alb_is_exempt(run, stack_builder):
    build(stack_builder, lb_props={"internal": True}, associate=False)
    assert run(stack_builder.resources) == []


@pytest.mark.parametrize("kind", ["network", "gateway"])
def test_other_load_balancer_types_are_exempt(run, stack_builder, kind):
    build(stack_builder, lb_props={"loadBalancerType": kind}, associate=False)
    assert run(stack_builder.resources) == []


def test_not_required_by_default(evaluate_stack, stack_builder):
    build(stack_builder, associate=False)
    outcome = evaluate_stack(rule.POLICY, stack_builder.resources)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_REQUIRED


def test_stack_without_load_balancers(run, node):
    assert run([node("aws:ecs/service:Service", "api", {"name": "api"})]) == []


CLASSIC = rule.WAF_CLASSIC_ASSOCIATION[0]
CLASSIC_ACL = "aws:wafregional/webAcl:WebAcl"


def test_waf_classic_does_not_count_and_says_why(run, stack_builder):
    b = stack_builder
    build(b, associate=False)
    lb = b["alb"]
    acl = b.add(CLASSIC_ACL, "classic", {"name": "classic", "metricName": "classic"}, id="0d6f7c2e-classic")
    b.add(CLASSIC, "classic-association", {"resourceArn": b.ref(lb), "webAclId": b.ref(acl)},
          resourceArn=[lb], webAclId=[acl])
    assert run(b.resources) == [(lb.urn, rule.MSG_WAF_CLASSIC.format(lb="alb"))]


def test_waf_classic_beside_wafv2_passes(run, stack_builder):
    b = stack_builder
    build(b)
    lb = b["alb"]
    b.add(CLASSIC, "classic-association", {"resourceArn": b.ref(lb), "webAclId": "0d6f7c2e-classic"},
          resourceArn=[lb])
    assert run(b.resources) == []


def test_waf_classic_on_another_load_balancer_is_no_excuse(run, node):
    alb = node(LOAD_BALANCER[0], "alb", {"loadBalancerType": "application", "arn": ALB_ARN})
    other = node(LOAD_BALANCER[0], "other", {"loadBalancerType": "application", "internal": True})
    classic = node(CLASSIC, "classic", {"webAclId": "0d6f7c2e-classic"}, resourceArn=[other])
    assert run([alb, other, classic]) == [(alb.urn, rule.MSG_NO_WAF.format(lb="alb"))]
