"""require-private-managed-instances: ECS Managed Instances launch only into private subnets, without public IPs.

A Managed Instances capacity provider names the subnets its instances launch into
(``managedInstancesProvider.instanceLaunchTemplate.networkConfiguration.subnets``). It has no
setting for public IPs of its own: an instance gets one when its subnet maps public IPs on
launch. So a subnet passes when its route table sends no default route to an internet gateway
and it does not map public IPs, as for ECS services (require-ecs-private-subnets).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_CAPACITY_PROVIDER, SUBNET, NotApplicable, as_bool, get, show, stack_rule
from ._net import StackIndex, label
from ._routing import TYPES as ROUTING_TYPES
from ._routing import Routing

SUBNETS_PATH = ("managedInstancesProvider", "instanceLaunchTemplate", "networkConfiguration", "subnets")

MSG_INTERNET_ROUTE = (
    "managedInstancesProvider.instanceLaunchTemplate.networkConfiguration.subnets includes subnet '{subnet}', "
    "which is public: {route}. Launch managed instances into private subnets, whose default route goes to a NAT "
    "gateway or nowhere."
)
MSG_PUBLIC_IP_ON_LAUNCH = (
    "managedInstancesProvider.instanceLaunchTemplate.networkConfiguration.subnets includes subnet '{subnet}', "
    "whose mapPublicIpOnLaunch is {value}: every instance launched there gets a public IP. Use private subnets "
    "with mapPublicIpOnLaunch false."
)
MSG_NO_SUBNETS = (
    "managedInstancesProvider.instanceLaunchTemplate.networkConfiguration.subnets is {value}; name the private "
    "subnets the instances launch into."
)
NOT_APPLICABLE = (
    "no Managed Instances capacity provider launches into a subnet whose routing this stack defines ({reasons})"
)


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    index = StackIndex(resources)
    routing = Routing(index)
    findings: list[tuple[str | None, str]] = []
    skipped: list[str] = []
    judged = False
    for provider in index.of_type(ECS_CAPACITY_PROVIDER):
        if get(provider.props, "managedInstancesProvider") is None:
            continue  # an Auto Scaling group provider: its instances are the group's
        link = index.link(provider, SUBNETS_PATH, SUBNET, ("managedInstancesProvider",))
        if link.unknown is not None:
            raise link.unknown
        if not link.targets and not link.external:
            findings.append((provider.urn, MSG_NO_SUBNETS.format(value=show(get(provider.props, *SUBNETS_PATH)))))
            judged = True
            continue
        for subnet in link.targets:
            verdict = routing.verdict(subnet)
            if verdict.undecided is not None:
                skipped.append(f"subnet '{label(subnet)}': {verdict.undecided}")
                continue
            judged = True
            public_ip = get(subnet.props, "mapPublicIpOnLaunch")
            if verdict.internet_route is not None:
                findings.append((provider.urn, MSG_INTERNET_ROUTE.format(subnet=label(subnet),
                                                                         route=verdict.internet_route)))
            elif as_bool(public_ip) is True:
                findings.append((provider.urn, MSG_PUBLIC_IP_ON_LAUNCH.format(subnet=label(subnet),
                                                                              value=show(public_ip))))
        if link.external and not link.targets:
            skipped.append(f"provider '{label(provider)}': subnets {show(link.external)} are not in this stack")
    if not judged:
        reasons = "; ".join(skipped[:3]) if skipped else "the stack has no Managed Instances capacity provider"
        raise NotApplicable(NOT_APPLICABLE.format(reasons=reasons))
    yield from findings


POLICY = stack_rule(
    name="require-private-managed-instances",
    description=(
        "ECS Managed Instances capacity providers launch instances only into private subnets, which route no "
        "default route to an internet gateway and map no public IPs on launch."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Pass the VPC's private subnets to managedInstancesProvider.instanceLaunchTemplate.networkConfiguration."
        "subnets. A private subnet's route table sends 0.0.0.0/0 to a NAT gateway (or has no default route) and "
        "::/0 to an egress-only internet gateway, and the subnet sets mapPublicIpOnLaunch to false; tasks reach "
        "the load balancer through their own network interfaces."
    ),
    tags=["network"],
    types=(*ECS_CAPACITY_PROVIDER, *ROUTING_TYPES),
    check=check,
)
