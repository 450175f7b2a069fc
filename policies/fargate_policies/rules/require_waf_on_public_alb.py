"""require-waf-on-public-alb: an internet-facing ALB sits behind a WAFv2 web ACL.

A load balancer is linked to an ``aws:wafv2/webAclAssociation`` by the
association's ``property_dependencies["resourceArn"]`` (known at every preview,
even before the load balancer has an ARN) or by ``resourceArn`` equal to the
load balancer's ``arn`` or ``id`` (an ALB's id is its ARN).

An association with a WAF Classic web ACL (``aws:wafregional/webAclAssociation``,
linked the same way) does not count: WAF Classic is out of support, and the
message says so.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from ._common import LOAD_BALANCER, NotApplicable, as_bool, get, stack_rule
from ._ecs import dependency_urns, is_application, of_types

WEB_ACL_ASSOCIATION = ("aws:wafv2/webAclAssociation:WebAclAssociation",)
WAF_CLASSIC_ASSOCIATION = ("aws:wafregional/webAclAssociation:WebAclAssociation",)

MSG_NOT_REQUIRED = "config required is false: a web ACL is not required in this environment."
MSG_NO_WAF = (
    "internet-facing application load balancer '{lb}' has no aws:wafv2/webAclAssociation; associate a "
    "REGIONAL WAFv2 web ACL (AWS managed rule groups and a rate limit) with it."
)
MSG_WAF_CLASSIC = (
    "internet-facing application load balancer '{lb}' is associated with a WAF Classic web ACL; migrate to "
    "WAFv2 (WAF Classic is out of support): associate a REGIONAL WAFv2 web ACL (AWS managed rule groups and a "
    "rate limit) with it and remove the aws:wafregional/webAclAssociation."
)


def _known(props: Mapping[str, Any], *path: str) -> Any:
    """``get`` that reads a value unknown at preview as absent."""
    try:
        return get(props, *path)
    except UnknownValueError:
        return None


def _label(resource: Any) -> str:
    name = getattr(resource, "name", "")
    return name if isinstance(name, str) and name else str(resource.urn)


def _is_public_alb(props: Mapping[str, Any]) -> bool:
    try:
        application = is_application(props)
    except UnknownValueError:
        application = True
    # An unknown ``internal`` is read as internet-facing: the AWS default, and the cautious reading.
    return application and as_bool(_known(props, "internal")) is not True


def _associated(resources: Sequence[Any], association_types: Sequence[str]) -> Callable[[Any], bool]:
    """A test of whether an association of ``association_types`` links a load balancer."""
    linked_urns: set[str] = set()
    arns: set[str] = set()
    for association in of_types(resources, association_types):
        linked_urns |= dependency_urns(association, "resourceArn", LOAD_BALANCER)
        arn = _known(association.props, "resourceArn")
        if isinstance(arn, str) and arn:
            arns.add(arn)

    def test(lb: Any) -> bool:
        own = {v for v in (_known(lb.props, "arn"), _known(lb.props, "id")) if isinstance(v, str) and v}
        return lb.urn in linked_urns or bool(arns & own)

    return test


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    if as_bool(config.get("required")) is not True:
        raise NotApplicable(MSG_NOT_REQUIRED)
    balancers = [lb for lb in of_types(resources, LOAD_BALANCER) if _is_public_alb(lb.props)]
    if not balancers:
        return
    wafv2 = _associated(resources, WEB_ACL_ASSOCIATION)
    classic = _associated(resources, WAF_CLASSIC_ASSOCIATION)
    for lb in balancers:
        if wafv2(lb):
            continue
        message = MSG_WAF_CLASSIC if classic(lb) else MSG_NO_WAF
        yield lb.urn, message.format(lb=_label(lb))


CONFIG = {
    "required": {
        "type": "boolean",
        "default": False,
        "description": "Require a WAFv2 web ACL on every internet-facing ALB (true in production).",
    },
}

POLICY = stack_rule(
    name="require-waf-on-public-alb",
    description=(
        "Every internet-facing Application Load Balancer is associated with a WAFv2 web ACL when the environment "
        "requires it."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Create an aws.wafv2.WebAcl (scope REGIONAL, AWS managed rule groups, a rate-based rule) and an "
        "aws.wafv2.WebAclAssociation with resource_arn=alb.arn; in this project set wafEnabled: true. A WAF "
        "Classic (aws.wafregional) association does not count: move its rules to WAFv2."
    ),
    types=LOAD_BALANCER + WEB_ACL_ASSOCIATION + WAF_CLASSIC_ASSOCIATION,
    check=check,
    tags=["load-balancing", "network"],
    config=CONFIG,
    checkov=("CKV2_AWS_28",),
)
