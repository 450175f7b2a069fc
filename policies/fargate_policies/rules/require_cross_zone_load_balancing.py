"""require-cross-zone-load-balancing: a network or gateway load balancer spreads traffic over every zone's targets.

Without cross-zone load balancing, each zone's load balancer node sends traffic
only to the targets of its own zone: with an uneven number of ECS tasks per
zone (a deployment, a failed task, a zone with fewer subnets) some tasks take
far more traffic than others. AWS leaves it off for network and gateway load
balancers; application load balancers always balance across zones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import LOAD_BALANCER, NotApplicable, as_bool, get, resource_rule
from ._ecs import is_application, show

MSG_OFF = "enableCrossZoneLoadBalancing is {value}; set it to true (AWS leaves it off for this load balancer type)."
MSG_APPLICATION = (
    "loadBalancerType is {value}, an application load balancer; application load balancers always balance "
    "across zones."
)


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if is_application(props):
        raise NotApplicable(MSG_APPLICATION.format(value=show(get(props, "loadBalancerType"))))
    value = get(props, "enableCrossZoneLoadBalancing")
    if as_bool(value) is not True:
        yield MSG_OFF.format(value=show(value))


POLICY = resource_rule(
    name="require-cross-zone-load-balancing",
    description="Network and gateway load balancers enable cross-zone load balancing.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set enable_cross_zone_load_balancing=True on the load balancer, so every zone's node spreads traffic "
        "over the targets of all zones (cross-zone traffic of a network load balancer is billed as inter-zone "
        "data transfer)."
    ),
    types=LOAD_BALANCER,
    check=check,
    tags=["availability", "load-balancing"],
    checkov=("CKV_AWS_152",),
)
