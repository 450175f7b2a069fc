"""disallow-private-subnet-public-ip: a subnet without a route to the internet does not hand out public IPs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import SUBNET, as_bool, get, show, stack_rule
from ._net import StackIndex
from ._routing import TYPES as ROUTING_TYPES
from ._routing import Routing

MSG_PUBLIC_IP = (
    "mapPublicIpOnLaunch is {value}, but no route table of this subnet sends 0.0.0.0/0 or ::/0 to an "
    "internet gateway, so the subnet is private; set mapPublicIpOnLaunch to false."
)


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    index = StackIndex(resources)
    routing: Routing | None = None
    for subnet in index.of_type(SUBNET):
        raw = get(subnet.props, "mapPublicIpOnLaunch")
        if as_bool(raw) is not True:
            continue
        routing = routing or Routing(index)
        if routing.verdict(subnet).private:
            yield subnet.urn, MSG_PUBLIC_IP.format(value=show(raw))


POLICY = stack_rule(
    name="disallow-private-subnet-public-ip",
    description=(
        "A subnet with no default route to an internet gateway does not set mapPublicIpOnLaunch to true."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Set mapPublicIpOnLaunch to false on private subnets. If the subnet is meant to be public, associate "
        "it with a route table that sends 0.0.0.0/0 to the VPC's internet gateway instead."
    ),
    types=ROUTING_TYPES,
    check=check,
    tags=["network"],
    checkov=("CKV_AWS_130",),
)
