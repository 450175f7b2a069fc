"""disallow-open-ingress: nothing accepts traffic from the whole internet, except a load balancer on web ports.

The exception is for the load balancer alone: ECS tasks accept traffic only from
the load balancer's group. So an ECS service whose ``networkConfiguration.securityGroups``
include a group that an internet-facing load balancer uses is a finding (the tasks
accept whatever the load balancer accepts), and so is one whose group is open to
the internet on web ports because a load balancer uses it too. A task group that
no load balancer uses is judged by its openings like any other group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from ._common import (
    ECS_SERVICE,
    LOAD_BALANCER,
    SECURITY_GROUP,
    as_bool,
    as_int,
    as_list,
    config_value,
    get,
    show,
    stack_rule,
)
from ._net import StackIndex, is_world, label

EC2_RULE = ("aws:ec2/securityGroupRule:SecurityGroupRule",)
VPC_INGRESS_RULE = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",)

SSH, RDP = 22, 3389
DEFAULT_LB_PORTS = [80, 443]

MSG_SSH = (
    "{prop} is {cidr}, which opens {what} to the internet, SSH (port 22) included. Allow SSH only from "
    "known CIDRs, or use ECS Exec or Session Manager instead."
)
MSG_RDP = (
    "{prop} is {cidr}, which opens {what} to the internet, RDP (port 3389) included. Allow RDP only from "
    "known CIDRs, or use Session Manager instead."
)
MSG_OPEN = (
    "{prop} is {cidr}, which opens {what} to the internet; only TCP ports {lb_ports} of a load balancer's "
    "security group may be open to 0.0.0.0/0 or ::/0. Restrict the source to known CIDRs, a prefix list "
    "or a source security group."
)
MSG_NOT_LOAD_BALANCER = (
    "{prop} is {cidr}, which opens {what} to the internet on security group {group}, which no load "
    "balancer uses. Open TCP ports {lb_ports} to the internet only on a load balancer's security group, "
    "and let the tasks accept traffic from that group."
)

MSG_SHARES_PUBLIC_GROUP = (
    "networkConfiguration.securityGroups includes {group}, which internet-facing load balancer '{lb}' also "
    "uses, so the tasks accept whatever the load balancer accepts from the internet. Give the tasks their own "
    "security group that admits only the load balancer's group on the container port."
)
MSG_TASKS_OPEN = (
    "networkConfiguration.securityGroups includes {group}, which is open to the internet ({what} from "
    "{cidr}) because a load balancer uses it; the tasks accept that traffic too. Give the tasks their own "
    "security group that admits only the load balancer's group on the container port."
)

# How messages describe what a rule opens ({what}).
ALL_TRAFFIC = "all protocols and ports"
ALL_PORTS = "all {protocol} ports"
ONE_PORT = "{protocol} port {port}"
PORT_RANGE = "{protocol} ports {low}-{high}"
OTHER_PROTOCOL = "protocol {protocol}"
GROUP = "'{name}'"  # a security group of this stack, in MSG_NOT_LOAD_BALANCER ({group})

CONFIG = {
    "loadBalancerPorts": {
        "type": "array",
        "items": {"type": "integer", "minimum": 0, "maximum": 65535},
        "uniqueItems": True,
        "default": DEFAULT_LB_PORTS,
        "description": "TCP ports a load balancer's security group may open to 0.0.0.0/0 and ::/0.",
    },
}

_PROTOCOL_NUMBERS = {-1: "all", 1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}


def _protocol(raw: Any) -> str:
    """'all', 'tcp', 'udp', 'icmp', 'icmpv6', or the protocol as given; missing counts as 'all'."""
    if isinstance(raw, bool):
        return str(raw).lower()
    if isinstance(raw, int | float):
        number = as_int(raw)
        return _PROTOCOL_NUMBERS.get(number, str(number)) if number is not None else str(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in ("", "all", "-1"):
            return "all"
        return _PROTOCOL_NUMBERS.get(int(text), text) if text.isdecimal() else text
    return "all"


def _ports(protocol: str, from_port: Any, to_port: Any) -> tuple[int, int] | None:
    """The port range a rule opens; None for protocols without ports (ICMP, ESP...)."""
    if protocol == "all":
        return (0, 65535)
    if protocol not in ("tcp", "udp"):
        return None
    low, high = as_int(from_port), as_int(to_port)
    if low is None or high is None:
        return (0, 65535)  # unset or unreadable: assume the widest
    return (min(low, high), max(low, high))


def _describe(protocol: str, ports: tuple[int, int] | None) -> str:
    """What a rule opens, for a message: 'all protocols and ports', 'TCP port 22', 'protocol 'icmp''."""
    if protocol == "all":
        return ALL_TRAFFIC
    if ports is None:
        return OTHER_PROTOCOL.format(protocol=show(protocol))
    name = protocol.upper()
    if ports == (0, 65535):
        return ALL_PORTS.format(protocol=name)
    if ports[0] == ports[1]:
        return ONE_PORT.format(protocol=name, port=ports[0])
    return PORT_RANGE.format(protocol=name, low=ports[0], high=ports[1])


class _Opening(NamedTuple):
    """One source CIDR of one ingress rule that covers the whole internet."""

    resource: Any
    prop: str
    cidr: str
    protocol: str
    ports: tuple[int, int] | None
    group_path: tuple[str, ...] | None  # where the rule names its security group; None for inline rules


def _openings(index: StackIndex) -> Iterator[_Opening]:
    for group in index.of_type(SECURITY_GROUP):
        for i, entry in enumerate(as_list(get(group.props, "ingress"))):
            protocol = _protocol(get(entry, "protocol"))
            ports = _ports(protocol, get(entry, "fromPort"), get(entry, "toPort"))
            for field_name in ("cidrBlocks", "ipv6CidrBlocks"):
                for cidr in as_list(get(entry, field_name)):
                    if is_world(cidr):
                        yield _Opening(group, f"ingress[{i}].{field_name}", cidr, protocol, ports, None)
    for rule in index.of_type(EC2_RULE):
        kind = get(rule.props, "type")
        if not isinstance(kind, str) or kind.strip().lower() != "ingress":
            continue
        protocol = _protocol(get(rule.props, "protocol"))
        ports = _ports(protocol, get(rule.props, "fromPort"), get(rule.props, "toPort"))
        for field_name in ("cidrBlocks", "ipv6CidrBlocks"):
            for cidr in as_list(get(rule.props, field_name)):
                if is_world(cidr):
                    yield _Opening(rule, field_name, cidr, protocol, ports, ("securityGroupId",))
    for rule in index.of_type(VPC_INGRESS_RULE):
        protocol = _protocol(get(rule.props, "ipProtocol"))
        ports = _ports(protocol, get(rule.props, "fromPort"), get(rule.props, "toPort"))
        for field_name in ("cidrIpv4", "cidrIpv6"):
            cidr = get(rule.props, field_name)
            if is_world(cidr):
                yield _Opening(rule, field_name, cidr, protocol, ports, ("securityGroupId",))


class _LoadBalancerGroups:
    """The security groups load balancers use, by URN (groups of this stack) and by id (groups from elsewhere)."""

    def __init__(self, index: StackIndex) -> None:
        self.index = index
        self.urns: dict[str, list[Any]] = defaultdict(list)
        self.ids: dict[str, list[Any]] = defaultdict(list)
        self.unknown = None
        for lb in index.of_type(LOAD_BALANCER):
            link = index.link(lb, ("securityGroups",), SECURITY_GROUP)
            for group in link.targets:
                self.urns[group.urn].append(lb)
            for value in link.external:
                self.ids[value].append(lb)
            self.unknown = self.unknown or link.unknown

    def group_of(self, opening: _Opening) -> tuple[bool, str, list[str]]:
        """Whether the opening's security group belongs to a load balancer, how to name that group, and its keys
        (URNs of groups of this stack, ids of groups from elsewhere)."""
        if opening.group_path is None:
            keys = [opening.resource.urn]
            name = GROUP.format(name=label(opening.resource))
        else:
            link = self.index.link(opening.resource, opening.group_path, SECURITY_GROUP)
            if link.unknown is not None and not link.targets:
                raise link.unknown
            keys = [g.urn for g in link.targets] + list(link.external)
            names = [GROUP.format(name=label(g)) for g in link.targets] + [show(v) for v in link.external]
            name = ", ".join(names) or "not set"
        used = any(key in self.urns or key in self.ids for key in keys)
        if not used and self.unknown is not None:
            raise self.unknown  # a load balancer whose groups are unknown may use this one
        return used, name, keys

    def load_balancers(self, key: str) -> list[Any]:
        return self.urns.get(key) or self.ids.get(key) or []


def _internet_facing(lb: Any) -> bool:
    """``internal`` false or absent: AWS makes a load balancer internet-facing unless told otherwise."""
    return as_bool(get(lb.props, "internal")) is not True


def _task_groups(index: StackIndex, service: Any) -> tuple[list[tuple[str, str]], UnknownValueError | None]:
    """The ECS service's security groups as ``(key, name)``, and the error when some cannot be known yet."""
    link = index.link(service, ("networkConfiguration", "securityGroups"), SECURITY_GROUP, ("networkConfiguration",))
    groups = [(g.urn, GROUP.format(name=label(g))) for g in link.targets] + [(v, show(v)) for v in link.external]
    return groups, link.unknown if not link.targets else None


def _shared_groups(index: StackIndex, groups: _LoadBalancerGroups,
                   open_lb_groups: Mapping[str, Mapping[str, str]]) -> Iterator[tuple[str, str] | UnknownValueError]:
    """Findings on ECS services whose tasks share a load balancer's group that the internet reaches, and the
    errors of services whose groups are unknown (the caller raises them once every finding is out)."""
    for service in index.of_type(ECS_SERVICE):
        task_groups, unknown = _task_groups(index, service)
        if unknown is not None:
            yield unknown
        for key, name in task_groups:
            balancers = groups.load_balancers(key)
            if not balancers and groups.unknown is not None:
                yield groups.unknown  # a load balancer whose groups are unknown may use this one
            public = [lb for lb in balancers if _internet_facing(lb)]
            if public:
                yield service.urn, MSG_SHARES_PUBLIC_GROUP.format(group=name, lb=label(public[0]))
            elif key in open_lb_groups:
                yield service.urn, MSG_TASKS_OPEN.format(group=name, **open_lb_groups[key])


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    raw_ports = config_value(config, "loadBalancerPorts", DEFAULT_LB_PORTS)
    lb_ports = sorted({p for p in (as_int(v) for v in as_list(raw_ports)) if p is not None})
    index = StackIndex(resources)
    groups = _LoadBalancerGroups(index)
    # Groups open to the internet only because a load balancer uses them: key -> how the opening reads.
    open_lb_groups: dict[str, dict[str, str]] = {}
    for opening in _openings(index):
        low, high = opening.ports if opening.ports is not None else (-1, -1)
        fields = {
            "prop": opening.prop,
            "cidr": show(opening.cidr),
            "what": _describe(opening.protocol, opening.ports),
            "lb_ports": show(lb_ports),
        }
        flagged = False
        if opening.protocol in ("all", "tcp") and low <= SSH <= high:
            flagged = True
            yield opening.resource.urn, MSG_SSH.format(**fields)
        if opening.protocol in ("all", "tcp", "udp") and low <= RDP <= high:
            flagged = True
            yield opening.resource.urn, MSG_RDP.format(**fields)
        if flagged:
            continue
        web_only = (
            opening.protocol == "tcp"
            and opening.ports is not None
            and high - low < len(lb_ports)
            and all(port in lb_ports for port in range(low, high + 1))
        )
        if not web_only:
            yield opening.resource.urn, MSG_OPEN.format(**fields)
            continue
        used, name, keys = groups.group_of(opening)
        if not used:
            yield opening.resource.urn, MSG_NOT_LOAD_BALANCER.format(group=name, **fields)
            continue
        for key in keys:
            open_lb_groups.setdefault(key, {"what": fields["what"], "cidr": fields["cidr"]})
    undecided: UnknownValueError | None = None
    for finding in _shared_groups(index, groups, open_lb_groups):
        if isinstance(finding, UnknownValueError):
            undecided = undecided or finding
        else:
            yield finding
    if undecided is not None:
        raise undecided  # after every finding that could be decided: the engine says the policy can't run


POLICY = stack_rule(
    name="disallow-open-ingress",
    description=(
        "Security groups accept no ingress from 0.0.0.0/0 or ::/0, except TCP ports 80 and 443 on a group "
        "that only load balancers use; ECS tasks never share an internet-facing load balancer's group, and SSH "
        "and RDP are never open to the internet."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Replace 0.0.0.0/0 and ::/0 sources with known CIDRs, a managed prefix list or a source security "
        "group. Put internet-facing traffic behind a load balancer whose security group opens only TCP 80 "
        "and 443 (loadBalancerPorts in the policy config), and let the tasks' security group accept traffic "
        "from the load balancer's group. Reach containers with ECS Exec instead of SSH or RDP."
    ),
    types=(*SECURITY_GROUP, *EC2_RULE, *VPC_INGRESS_RULE, *LOAD_BALANCER, *ECS_SERVICE),
    check=check,
    tags=["network"],
    config=CONFIG,
    security_hub=("EC2.13", "EC2.14", "EC2.18", "EC2.19"),
    checkov=("CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_277"),
)
