"""require-complete-blue-green-wiring: a traffic-shifting service has everything ECS moves traffic with.

For a ``BLUE_GREEN``, ``CANARY`` or ``LINEAR`` release, each ``loadBalancers`` entry of
an ECS service names, in its ``advancedConfiguration``:

- an alternate target group, other than the production one (``targetGroupArn``), where
  the new version starts; both must sit behind the same load balancer (a listener or
  listener rule of that load balancer forwards to each);
- the production listener rule whose weights ECS moves;
- the infrastructure role ECS assumes to move them, trusted by ``ecs.amazonaws.com``;
- optionally a test listener rule. On a listener of its own, that listener must not be
  open to the internet: the untested version is behind it. On the production listener
  (a header rule) it must carry an ``httpHeader`` condition, or production requests
  would reach the new version during the test.

References are followed by value (ARNs) and by the engine's property dependencies. A
listener rule ARN embeds its listener's (``listener-rule/app/<lb>/<id>/<listener>/<rule>``),
so a rule is found by its listener when its own ARN is not among the stack's props.
What the stack cannot show (an ARN managed elsewhere) is not judged; what is unknown at
preview is reported after every finding that could be decided, as the engine's "can't run".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from ..facts import ECS_SERVICE_PRINCIPAL, is_traffic_shifting
from ._common import (
    ECS_SERVICE,
    IAM_ROLE,
    LISTENER,
    LISTENER_RULE,
    LOAD_BALANCER,
    SECURITY_GROUP,
    TARGET_GROUP,
    as_int,
    as_list,
    get,
    parse_json_document,
    stack_rule,
)
from ._ecs import deployment_controller, deployment_strategy, load_balancer_entries
from ._net import StackIndex, is_world, known_string, label, reference_values

EC2_RULE = ("aws:ec2/securityGroupRule:SecurityGroupRule",)
VPC_INGRESS_RULE = ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",)

ADVANCED = "loadBalancers[{i}].advancedConfiguration"
MSG_NO_ADVANCED = (
    "loadBalancers[{i}] has no advancedConfiguration, but the service releases with {strategy}: ECS needs an "
    "alternate target group, a production listener rule and a role to move traffic."
)
MSG_NO_ALTERNATE = (
    ADVANCED + ".alternateTargetGroupArn is not set; the new version needs a target group of its own beside the "
    "production one."
)
MSG_SAME_TARGET_GROUP = (
    ADVANCED + ".alternateTargetGroupArn is the production target group ({target_group}); the new version needs a "
    "target group of its own, so that traffic can move between the two."
)
MSG_NOT_SAME_LOAD_BALANCER = (
    "loadBalancers[{i}]: target group {first} is behind {first_lbs} and target group {second} behind "
    "{second_lbs}; both must sit behind the same load balancer for ECS to move traffic between them."
)
MSG_NO_PRODUCTION_RULE = (
    ADVANCED + ".productionListenerRule is not set; ECS moves production traffic by changing that rule's weights."
)
MSG_NO_ROLE = (
    ADVANCED + ".roleArn is not set; ECS needs an infrastructure role, trusted by ecs.amazonaws.com, to move "
    "traffic."
)
MSG_ROLE_NOT_TRUSTED = (
    ADVANCED + ".roleArn is role {role}, whose assumeRolePolicy does not let ecs.amazonaws.com assume it."
)
MSG_TEST_OPEN = (
    ADVANCED + ".testListenerRule is on listener {listener} (port {port}), which security group {group} opens to "
    "{cidr}: anyone on the internet reaches the version under test. Admit only the testers' CIDRs on that port."
)
MSG_TEST_WITHOUT_HEADER = (
    ADVANCED + ".testListenerRule is rule {rule} on the production listener without an httpHeader condition: it "
    "would send production requests to the version under test. Give it an httpHeader condition (e.g. "
    "X-Release: candidate), or move it to a test listener of its own."
)
NO_LOAD_BALANCER = "no load balancer"


def _unique(resources: Iterable[Any]) -> list[Any]:
    return list({r.urn: r for r in resources}.values())


def _listener_of_rule(arn: str) -> str | None:
    """The listener ARN a listener rule ARN embeds (``...:listener-rule/app/<lb>/<id>/<listener>/<rule>``)."""
    head, sep, path = arn.partition(":listener-rule/")
    parts = path.split("/")
    if not sep or len(parts) != 5:
        return None
    return f"{head}:listener/{'/'.join(parts[:4])}"


def _covers(protocol: Any, from_port: Any, to_port: Any, port: int) -> bool:
    """Whether an ingress entry (any protocol, or TCP with a range) admits TCP ``port``."""
    text = str(as_int(protocol) if as_int(protocol) is not None else protocol).strip().lower()
    if text in ("-1", "all", "none", ""):
        return True
    if text not in ("tcp", "6"):
        return False
    low, high = as_int(from_port), as_int(to_port)
    if low is None or high is None:
        return True  # unset or unreadable: the widest
    return min(low, high) <= port <= max(low, high)


class _Stack:
    """What the rule follows, indexed once: forwards to target groups, and world openings per security group."""

    def __init__(self, index: StackIndex) -> None:
        self.index = index
        self.load_balancers_of: dict[str, set[str]] = defaultdict(set)
        """Target group URN -> URNs of the load balancers whose listeners or listener rules forward to it."""
        for rule in index.of_type(LISTENER_RULE):
            self._forwards(rule, "actions", self._balancers_of_listeners(index.link(rule, ("listenerArn",),
                                                                                    LISTENER).targets))
        for listener in index.of_type(LISTENER):
            self._forwards(listener, "defaultActions", self._balancers_of_listeners([listener]))
        self.openings: dict[str, list[tuple[str, Any, str]]] = defaultdict(list)
        """Security group URN -> (world CIDR, the ingress entry or rule props, the key naming its protocol)."""
        self._index_openings()

    def _balancers_of_listeners(self, listeners: Sequence[Any]) -> set[str]:
        return {lb.urn for listener in listeners
                for lb in self.index.link(listener, ("loadBalancerArn",), LOAD_BALANCER).targets}

    def _forwards(self, resource: Any, key: str, balancers: set[str]) -> None:
        targets = list(self.index.dependencies(resource, (key,), TARGET_GROUP))
        try:
            entries = as_list(get(resource.props, key))
        except UnknownValueError:
            entries = []
        for j in range(len(entries)):
            paths = [(key, j, "targetGroupArn")]
            try:
                groups = as_list(get(resource.props, key, j, "forward", "targetGroups"))
            except UnknownValueError:
                groups = []
            paths += [(key, j, "forward", "targetGroups", k, "arn") for k in range(len(groups))]
            for path in paths:
                values, _, _ = reference_values(resource.props, *path)
                for value in values:
                    targets.extend(self.index.find(value, TARGET_GROUP))
        for target in targets:
            self.load_balancers_of[target.urn] |= balancers

    def _index_openings(self) -> None:
        for group in self.index.of_type(SECURITY_GROUP):
            for entry in as_list(get(group.props, "ingress")):
                for field_name in ("cidrBlocks", "ipv6CidrBlocks"):
                    for cidr in as_list(get(entry, field_name)):
                        if is_world(cidr):
                            self.openings[group.urn].append((cidr, entry, "protocol"))
        for rule in self.index.of_type((*VPC_INGRESS_RULE, *EC2_RULE)):
            if rule.resource_type in EC2_RULE and str(get(rule.props, "type")).strip().lower() != "ingress":
                continue
            cidrs = [get(rule.props, f) for f in ("cidrIpv4", "cidrIpv6")] + \
                as_list(get(rule.props, "cidrBlocks")) + as_list(get(rule.props, "ipv6CidrBlocks"))
            for cidr in cidrs:
                if not is_world(cidr):
                    continue
                for group in self.index.link(rule, ("securityGroupId",), SECURITY_GROUP).targets:
                    key = "ipProtocol" if rule.resource_type in VPC_INGRESS_RULE else "protocol"
                    self.openings[group.urn].append((cidr, rule.props, key))

    def open_to_world(self, group: Any, port: int) -> str | None:
        """The world CIDR through which ``group`` admits TCP ``port``, or None."""
        for cidr, entry, protocol_key in self.openings.get(group.urn, ()):
            if _covers(get(entry, protocol_key), get(entry, "fromPort"), get(entry, "toPort"), port):
                return cidr
        return None


def _rules(index: StackIndex, service: Any, path: Sequence[str | int]) -> tuple[list[Any], UnknownValueError | None]:
    """The listener rules a reference names: by ARN, else by the listener its ARN embeds among the service's
    dependencies; with the error when it is unknown and the dependencies cannot tell which rule it is."""
    values, unknown, _ = reference_values(service.props, *path)
    candidates = index.dependencies(service, ("loadBalancers",), LISTENER_RULE)
    found: list[Any] = []
    for value in values:
        matches = index.find(value, LISTENER_RULE)
        if not matches:
            listener = _listener_of_rule(value)
            matches = [r for r in candidates
                       if listener is not None and known_string(r.props, "listenerArn") == listener]
        found.extend(matches)
    if unknown is not None and not found:
        if len(_unique(candidates)) == 1:
            return _unique(candidates), None
        return [], unknown
    return _unique(found), None


def _has_header(rule: Any) -> bool:
    return any(isinstance(get(c, "httpHeader"), Mapping) for c in as_list(get(rule.props, "conditions")))


def _trusts_ecs(role: Any) -> bool:
    document = parse_json_document(get(role.props, "assumeRolePolicy"))
    for statement in as_list(get(document, "Statement")) if isinstance(document, Mapping) else []:
        actions = [a.lower() for a in as_list(get(statement, "Action")) + [get(statement, "Action")]
                   if isinstance(a, str)]
        services = get(statement, "Principal", "Service")
        services = [services] if isinstance(services, str) else as_list(services)
        if get(statement, "Effect") == "Allow" and {"sts:assumerole", "sts:*", "*"} & set(actions) \
                and ECS_SERVICE_PRINCIPAL in services:
            return True
    return False


def _check_entry(stack: _Stack, service: Any, i: int, strategy: str) -> Iterator[tuple[str, str] | UnknownValueError]:
    index, props = stack.index, service.props
    advanced = get(props, "loadBalancers", i, "advancedConfiguration")
    if not isinstance(advanced, Mapping):
        yield service.urn, MSG_NO_ADVANCED.format(i=i, strategy=strategy)
        return
    base = ("loadBalancers", i, "advancedConfiguration")
    yield from _check_target_groups(stack, service, i)

    rule_values, rule_unknown, _ = reference_values(props, *base, "productionListenerRule")
    if not rule_values and rule_unknown is None:
        yield service.urn, MSG_NO_PRODUCTION_RULE.format(i=i)
    role_values, role_unknown, _ = reference_values(props, *base, "roleArn")
    if not role_values and role_unknown is None:
        yield service.urn, MSG_NO_ROLE.format(i=i)
    else:
        roles = index.link(service, (*base, "roleArn"), IAM_ROLE, ("loadBalancers",))
        for role in roles.targets:
            try:
                trusted = _trusts_ecs(role)
            except UnknownValueError as exc:
                yield exc
                continue
            if not trusted:
                yield service.urn, MSG_ROLE_NOT_TRUSTED.format(i=i, role=label(role))
        if roles.unknown is not None and not roles.targets:
            yield roles.unknown

    test_values, test_unknown, _ = reference_values(props, *base, "testListenerRule")
    if not test_values and test_unknown is None:
        return
    tests, unknown = _rules(index, service, (*base, "testListenerRule"))
    if unknown is not None:
        yield unknown
        return
    productions, unknown = _rules(index, service, (*base, "productionListenerRule"))
    if unknown is not None:
        yield unknown
    production_listeners = {listener.urn for rule in productions
                            for listener in index.link(rule, ("listenerArn",), LISTENER).targets}
    # A header rule shares the production listener. When both references lead to the same rules (placeholder
    # ARNs that name only their listener), one of them must be the header rule.
    ambiguous = len(tests) > 1 and {r.urn for r in tests} == {r.urn for r in productions}
    headerless = [rule for rule in tests if not _has_header(rule)
                  and any(listener.urn in production_listeners
                          for listener in index.link(rule, ("listenerArn",), LISTENER).targets)]
    if headerless and (not ambiguous or len(headerless) == len(tests)):
        yield service.urn, MSG_TEST_WITHOUT_HEADER.format(i=i, rule=", ".join(label(r) for r in headerless))
    for rule in tests:
        for listener in index.link(rule, ("listenerArn",), LISTENER).targets:
            if listener.urn in production_listeners:
                continue
            port = as_int(get(listener.props, "port"))
            if port is None:
                continue
            for lb in index.link(listener, ("loadBalancerArn",), LOAD_BALANCER).targets:
                for group in index.link(lb, ("securityGroups",), SECURITY_GROUP).targets:
                    cidr = stack.open_to_world(group, port)
                    if cidr is not None:
                        yield service.urn, MSG_TEST_OPEN.format(i=i, listener=label(listener), port=port,
                                                                group=label(group), cidr=cidr)


def _check_target_groups(stack: _Stack, service: Any, i: int) -> Iterator[tuple[str, str] | UnknownValueError]:
    index, props = stack.index, service.props
    primary, primary_unknown, _ = reference_values(props, "loadBalancers", i, "targetGroupArn")
    alternate, alternate_unknown, _ = reference_values(
        props, "loadBalancers", i, "advancedConfiguration", "alternateTargetGroupArn")
    if not alternate and alternate_unknown is None:
        yield service.urn, MSG_NO_ALTERNATE.format(i=i)
        return
    dependencies = _unique(index.dependencies(service, ("loadBalancers",), TARGET_GROUP))
    by_value = [_unique(index.find(v, TARGET_GROUP)) for v in (*primary[:1], *alternate[:1])]
    if primary and alternate:
        resolved = [found[0] for found in by_value if len(found) == 1]
        if primary[0] == alternate[0] or (len(resolved) == 2 and resolved[0].urn == resolved[1].urn):
            yield service.urn, MSG_SAME_TARGET_GROUP.format(i=i, target_group=label(resolved[0]) if resolved
                                                            else repr(primary[0]))
            return
        groups = resolved if len(resolved) == 2 else dependencies
    elif len(dependencies) == 1:
        # Unknown ARNs, both computed from the one target group the entry depends on.
        yield service.urn, MSG_SAME_TARGET_GROUP.format(i=i, target_group=label(dependencies[0]))
        return
    elif not dependencies:
        unknown = primary_unknown or alternate_unknown
        if unknown is not None:
            yield unknown  # an ARN unknown at preview, and nothing it was computed from
        return
    else:
        groups = dependencies
    if len(groups) < 2:
        return  # managed outside this stack: nothing to follow
    shared = set.intersection(*(stack.load_balancers_of.get(g.urn, set()) for g in groups))
    if not shared:
        first, second = groups[0], groups[1]

        def names(group: Any) -> str:
            urns = sorted(stack.load_balancers_of.get(group.urn, ()))
            return ", ".join(label(index.by_urn[u]) for u in urns) or NO_LOAD_BALANCER

        yield service.urn, MSG_NOT_SAME_LOAD_BALANCER.format(i=i, first=label(first), first_lbs=names(first),
                                                             second=label(second), second_lbs=names(second))


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    index = StackIndex(resources)
    services = index.of_type(ECS_SERVICE)
    if not services:
        return
    stack = _Stack(index)
    undecided: UnknownValueError | None = None
    for service in services:
        try:
            if deployment_controller(service.props) != "ECS":
                continue
            strategy = deployment_strategy(service.props)
            if not is_traffic_shifting(strategy):
                continue
            entries = load_balancer_entries(service.props)
        except UnknownValueError as exc:
            undecided = undecided or exc
            continue
        for i in range(len(entries)):
            try:
                for finding in _check_entry(stack, service, i, strategy):
                    if isinstance(finding, UnknownValueError):
                        undecided = undecided or finding
                    else:
                        yield finding
            except UnknownValueError as exc:
                undecided = undecided or exc
    if undecided is not None:
        raise undecided  # after every finding that could be decided: the engine says the policy can't run


POLICY = stack_rule(
    name="require-complete-blue-green-wiring",
    description=(
        "ECS services released with BLUE_GREEN, CANARY or LINEAR name an alternate target group other than the "
        "production one behind the same load balancer, a production listener rule and an infrastructure role "
        "ECS can assume, and keep any test listener closed to the internet."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Give each load balancer entry advanced_configuration={'alternate_target_group_arn': <a second target "
        "group behind the same load balancer>, 'production_listener_rule': <the rule forwarding to both>, "
        "'role_arn': <a role trusted by ecs.amazonaws.com>}; put a test listener rule on a listener admitting only "
        "the testers' CIDRs, or give a test rule on the production listener an httpHeader condition. In this "
        "project the service component builds all of it from services[].deployment."
    ),
    tags=["availability", "iam", "load-balancing"],
    types=(*ECS_SERVICE, *TARGET_GROUP, *LISTENER_RULE, *LISTENER, *LOAD_BALANCER, *IAM_ROLE, *SECURITY_GROUP,
           *VPC_INGRESS_RULE, *EC2_RULE),
    check=check,
)
