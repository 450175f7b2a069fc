"""require-ecs-private-subnets: ECS services run only in subnets without a route from the internet."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, SUBNET, NotApplicable, as_bool, get, show, stack_rule
from ._net import StackIndex, label
from ._routing import TYPES as ROUTING_TYPES
from ._routing import Routing

MSG_INTERNET_ROUTE = (
    "networkConfiguration.subnets includes subnet '{subnet}', which is public: {route}. Run the service in "
    "private subnets, whose default route goes to a NAT gateway or nowhere."
)
MSG_PUBLIC_IP_ON_LAUNCH = (
    "networkConfiguration.subnets includes subnet '{subnet}', which is public: its mapPublicIpOnLaunch is "
    "{value}. Run the service in private subnets with mapPublicIpOnLaunch false."
)
NOT_APPLICABLE = "no ECS service runs in a subnet whose routing this stack defines ({reasons})"


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    index = StackIndex(resources)
    routing = Routing(index)
    findings: list[tuple[str | None, str]] = []
    skipped: list[str] = []
    judged = False
    for service in index.of_type(ECS_SERVICE):
        link = index.link(service, ("networkConfiguration", "subnets"), SUBNET, ("networkConfiguration", "subnets"))
        if link.unknown is not None:
            raise link.unknown
        decided = False
        for subnet in link.targets:
            verdict = routing.verdict(subnet)
            if verdict.undecided is not None:
                skipped.append(f"subnet '{label(subnet)}': {verdict.undecided}")
                continue
            decided = True
            public_ip = get(subnet.props, "mapPublicIpOnLaunch")
            if verdict.internet_route is not None:
                message = MSG_INTERNET_ROUTE.format(subnet=label(subnet), route=verdict.internet_route)
                findings.append((service.urn, message))
            elif as_bool(public_ip) is True:
                message = MSG_PUBLIC_IP_ON_LAUNCH.format(subnet=label(subnet), value=show(public_ip))
                findings.append((service.urn, message))
        if not link.targets:
            if link.external:
                skipped.append(f"service '{label(service)}': subnets {show(link.external)} are not in this stack")
            else:
                skipped.append(f"service '{label(service)}' sets no networkConfiguration.subnets")
        judged = judged or decided
    if not judged:
        reasons = "; ".join(skipped[:3]) if skipped else "the stack has no ECS service"
        raise NotApplicable(NOT_APPLICABLE.format(reasons=reasons))
    yield from findings


POLICY = stack_rule(
    name="require-ecs-private-subnets",
    description=(
        "ECS services run in private subnets: no route table of theirs sends a default route to an internet "
        "gateway, and none of them maps public IPs on launch."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Pass the VPC's private subnets to networkConfiguration.subnets of the service. A private subnet's "
        "route table sends 0.0.0.0/0 to a NAT gateway (or has no default route) and ::/0 to an egress-only "
        "internet gateway, and the subnet sets mapPublicIpOnLaunch to false. Keep public subnets for load "
        "balancers and NAT gateways."
    ),
    types=(*ECS_SERVICE, *ROUTING_TYPES),
    check=check,
    tags=["containers", "network"],
)
