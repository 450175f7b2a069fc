"""Fixtures for the policy tests: run a built policy the way the analyzer does.

``evaluate`` and ``evaluate_stack`` put the props behind pulumi-policy's
unknown-checking proxy, call the policy's ``validate`` (so config defaults are
merged and resources of other types are skipped by the pack's own code) and
record violations with their URN, and a not-applicable reason if any.
``run`` does the same for the rule the test module imports as ``rule``.
``remediate`` runs a policy's pure remediation and returns the properties it
changes; ``remediated`` the props with them applied, checking on the way that
the remediated resource passes its own rule and that a second remediation
changes nothing. ``node`` builds a :class:`rules._common.StackResource` with a URN from its type
and name; ``stack_builder`` builds whole stacks in each of the ways the engine
can show them (see :class:`StackBuilder`). ``container`` and ``task_definition``
build the compliant task definition the container rules' tests start from.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from fargate_policies.rules._common import (
    ECS_SERVICE,
    ECS_TASK_DEFINITION,
    INTERNET_GATEWAY,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SECURITY_GROUP,
    SUBNET,
    VPC,
    StackResource,
    run_remedy,
)
from pulumi_policy import ResourceValidationArgs, StackValidationArgs, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

STACK = "urn:pulumi:test::fargate-platform"


def make_urn(resource_type: str, name: str) -> str:
    return f"{STACK}::{resource_type}::{name}"


class _Skipped(Exception):
    def __init__(self, reason: str | None) -> None:
        super().__init__(reason)
        self.reason = reason or ""


class _ResourceArgs(ResourceValidationArgs):
    def not_applicable(self, reason: str | None = None) -> None:
        raise _Skipped(reason)


class _StackArgs(StackValidationArgs):
    def not_applicable(self, reason: str | None = None) -> None:
        raise _Skipped(reason)


@dataclass
class Outcome:
    """What one policy run reported."""

    violations: list[tuple[str | None, str]] = field(default_factory=list)
    not_applicable: str | None = None
    cannot_run: str | None = None
    """Why the engine would say the policy can't run at preview (``UnknownValueError.message``); only recorded
    when the test asks for it, otherwise the error is raised."""

    @property
    def messages(self) -> list[str]:
        return [message for _, message in self.violations]

    def at(self, urn: str) -> list[str]:
        """Messages reported on ``urn``."""
        return [message for at, message in self.violations if at == urn]

    def __str__(self) -> str:
        lines = [f"{at}: {message}" for at, message in self.violations]
        if self.not_applicable is not None:
            lines.append(f"not applicable: {self.not_applicable}")
        if self.cannot_run is not None:
            lines.append(f"can't run: {self.cannot_run}")
        return "\n".join(lines) or "no violations"


def _evaluate(policy: Any, resource_type: str, props: Mapping[str, Any], config: Mapping[str, Any] | None = None,
              name: str = "under-test") -> Outcome:
    outcome = Outcome()
    urn = make_urn(resource_type, name)
    proxied = unknown_checking_proxy(copy.deepcopy(dict(props)))
    args = _ResourceArgs(resource_type, proxied, urn, name, None, None, dict(config or {}))
    try:
        policy.validate(args, lambda message, at: outcome.violations.append((at or urn, message)))
    except _Skipped as skipped:
        outcome.not_applicable = skipped.reason
    return outcome


def _evaluate_stack(policy: Any, resources: Sequence[StackResource], config: Mapping[str, Any] | None = None,
                    *, record_unknown: bool = False) -> Outcome:
    outcome = Outcome()
    proxied: dict[str, StackResource] = {}
    for r in resources:
        proxied[r.urn] = StackResource(r.resource_type, unknown_checking_proxy(copy.deepcopy(dict(r.props))),
                                       r.urn, r.name)
    for r in resources:
        proxied[r.urn].property_dependencies = {
            key: [proxied.get(d.urn, d) for d in deps] for key, deps in r.property_dependencies.items()
        }
        proxied[r.urn].dependencies = [proxied.get(d.urn, d) for d in r.dependencies]
    args = _StackArgs(list(proxied.values()), dict(config or {}))
    try:
        policy.validate(args, lambda message, at: outcome.violations.append((at, message)))
    except _Skipped as skipped:
        outcome.not_applicable = skipped.reason
    except UnknownValueError as unknown:
        if not record_unknown:
            raise
        # As the engine does: the violations reported before it stand, and the policy "can't run".
        outcome.cannot_run = unknown.message
    return outcome


def _node(resource_type: str, name: str, props: Mapping[str, Any] | None = None,
          **dependencies: Sequence[StackResource]) -> StackResource:
    resource = StackResource(resource_type, dict(props or {}), make_urn(resource_type, name), name)
    resource.property_dependencies = {key: list(deps) for key, deps in dependencies.items()}
    resource.dependencies = [d for deps in dependencies.values() for d in deps]
    return resource


#: The ways a stack reaches a stack policy: ids and property dependencies both known ("resolved"), ids
#: without dependencies ("ids", e.g. resources read from state), the first preview ("preview": every id
#: unknown, links only through property dependencies), and an offline plan under mocks ("mocks": references
#: hold placeholder ids that no resource's props repeat, since mocks return the id outside the outputs).
MODES = ("resolved", "ids", "preview", "mocks")


class StackBuilder:
    """Adds resources to a stack shown in one of :data:`MODES`.

    ``add(type, name, props, id=..., **deps)`` sets the resource's own ``id`` (unknown at preview) and records
    ``deps`` as property dependencies (dropped in "ids" mode). ``ref(resource)`` is the value another
    resource's prop holds to refer to it: its id, or the unknown sentinel at preview. In "mocks" mode the
    resource's own props carry no ``id``.
    """

    def __init__(self, mode: str) -> None:
        assert mode in MODES, mode
        self.mode = mode
        self.by_name: dict[str, StackResource] = {}
        self._ids: dict[str, str] = {}

    def add(self, resource_type: str, name: str, props: Mapping[str, Any] | None = None, id: str | None = None,
            **deps: Sequence[StackResource]) -> StackResource:
        props = dict(props or {})
        if id is not None:
            self._ids[make_urn(resource_type, name)] = id
            if self.mode != "mocks":
                props["id"] = UNKNOWN_STRING_VALUE if self.mode == "preview" else id
        resource = _node(resource_type, name, props, **({} if self.mode == "ids" else deps))
        self.by_name[name] = resource
        return resource

    def ref(self, resource: StackResource) -> str:
        return self.ref_value(self._ids[resource.urn])

    def ref_value(self, value: str) -> str:
        """An output value of some resource: ``value``, or the unknown sentinel at preview."""
        return UNKNOWN_STRING_VALUE if self.mode == "preview" else value

    def depend(self, resource: StackResource, key: str, *targets: StackResource) -> None:
        """Set ``resource``'s dependencies under ``key`` (no-op in "ids" mode)."""
        if self.mode != "ids":
            resource.property_dependencies[key] = list(targets)

    def __getitem__(self, name: str) -> StackResource:
        return self.by_name[name]

    @property
    def resources(self) -> list[StackResource]:
        return list(self.by_name.values())


@pytest.fixture(params=MODES)
def stack_builder(request: pytest.FixtureRequest) -> StackBuilder:
    """A :class:`StackBuilder`; every test using it runs once per mode."""
    return StackBuilder(request.param)


@pytest.fixture
def evaluate() -> Callable[..., Outcome]:
    """Run a resource policy on one resource: ``evaluate(policy, type, props, config=None, name=...)``."""
    return _evaluate


def _remediate(policy: Any, props: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> dict | None:
    return run_remedy(policy.remedy, copy.deepcopy(dict(props)), config, policy.config_properties)


def _remediated(policy: Any, resource_type: str, props: Mapping[str, Any],
                config: Mapping[str, Any] | None = None) -> dict:
    changes = _remediate(policy, props, config)
    assert changes, f"{policy.name}: nothing remediated in {props}"
    fixed = {**copy.deepcopy(dict(props)), **changes}
    outcome = _evaluate(policy, resource_type, fixed, config)
    assert outcome.violations == [], f"{policy.name}: the remediated resource still fails: {outcome}"
    assert _remediate(policy, fixed, config) is None, f"{policy.name}: a second remediation changes {fixed}"
    return fixed


@pytest.fixture
def remediate() -> Callable[..., dict | None]:
    """A policy's pure remediation on plain props: ``remediate(policy, props, config=None)``, schema defaults
    merged; the properties it changes, or None."""
    return _remediate


@pytest.fixture
def remediated() -> Callable[..., dict]:
    """``remediated(policy, type, props, config=None)``: the props after the policy's remediation, which must
    change something, pass the policy, and leave nothing for a second remediation."""
    return _remediated


@pytest.fixture
def evaluate_stack() -> Callable[..., Outcome]:
    """Run a stack policy on resources: ``evaluate_stack(policy, resources, config=None, record_unknown=False)``.

    With ``record_unknown`` an unknown value the policy raises is kept in ``Outcome.cannot_run``, after the
    violations reported before it, as the engine keeps them; otherwise it is raised to the test."""
    return _evaluate_stack


@pytest.fixture
def run(request: pytest.FixtureRequest) -> Callable[..., list]:
    """Run the test module's rule (``rule.POLICY`` of the module that imports the rule as ``rule``).

    A resource rule: ``run(props, config=None, resource_type=<the rule's first type>)`` -> its messages.
    A stack rule: ``run(resources, config=None)`` -> its ``(urn, message)`` violations.
    """
    policy = request.module.rule.POLICY
    if isinstance(policy, StackValidationPolicy):
        def run_stack(resources: Sequence[StackResource], config: Mapping[str, Any] | None = None) -> list:
            return _evaluate_stack(policy, resources, config).violations

        return run_stack

    def run_resource(props: Mapping[str, Any], config: Mapping[str, Any] | None = None,
                     resource_type: str = policy.resource_types[0]) -> list:
        return _evaluate(policy, resource_type, props, config).messages

    return run_resource


@pytest.fixture
def node() -> Callable[..., StackResource]:
    """Build a stack resource: ``node(type, name, props, **{prop: [resources it depends on]})``."""
    return _node


@pytest.fixture(scope="session")
def aws_catalog() -> dict:
    """Every pulumi-aws resource type, read once per session from the installed package."""
    from fargate_policies.tools import aws_catalog

    return aws_catalog.scan()


T_NAT = "aws:ec2/natGateway:NatGateway"


@pytest.fixture
def network_stack(stack_builder: StackBuilder) -> StackBuilder:
    """A compliant VPC: public subnet 'public-a' (default route to 'igw'), private subnet 'private-a'
    (default route through 'nat' by the separate Route 'private-default'), and ECS service 'web' in
    'private-a'. Runs once per mode of :data:`MODES`."""
    b = stack_builder
    vpc = b.add(VPC[0], "vpc", {"cidrBlock": "10.0.0.0/16", "mainRouteTableId": b.ref_value("rtb-main")}, id="vpc-1")
    igw = b.add(INTERNET_GATEWAY[0], "igw", {"vpcId": b.ref(vpc)}, id="igw-1", vpcId=[vpc])
    public = b.add(SUBNET[0], "public-a", {"vpcId": b.ref(vpc), "cidrBlock": "10.0.0.0/24",
                                           "mapPublicIpOnLaunch": True}, id="subnet-pub", vpcId=[vpc])
    private = b.add(SUBNET[0], "private-a", {"vpcId": b.ref(vpc), "cidrBlock": "10.0.1.0/24",
                                            "mapPublicIpOnLaunch": False}, id="subnet-priv", vpcId=[vpc])
    nat = b.add(T_NAT, "nat", {"subnetId": b.ref(public)}, id="nat-1", subnetId=[public])
    public_rt = b.add(ROUTE_TABLE[0], "public", {"vpcId": b.ref(vpc), "routes": [
        {"cidrBlock": "0.0.0.0/0", "gatewayId": b.ref(igw)},
    ]}, id="rtb-pub", vpcId=[vpc], routes=[igw])
    private_rt = b.add(ROUTE_TABLE[0], "private", {"vpcId": b.ref(vpc), "routes": []}, id="rtb-priv", vpcId=[vpc])
    b.add(ROUTE[0], "private-default", {"routeTableId": b.ref(private_rt), "destinationCidrBlock": "0.0.0.0/0",
                                       "natGatewayId": b.ref(nat)}, id="r-priv", routeTableId=[private_rt],
          natGatewayId=[nat])
    for subnet, table in ((public, public_rt), (private, private_rt)):
        b.add(ROUTE_TABLE_ASSOCIATION[0], f"{subnet.name}-assoc", {"subnetId": b.ref(subnet),
                                                                   "routeTableId": b.ref(table)},
              id=f"rtbassoc-{subnet.name}", subnetId=[subnet], routeTableId=[table])
    tasks = b.add(SECURITY_GROUP[0], "tasks", {"vpcId": b.ref(vpc), "ingress": []}, id="sg-tasks", vpcId=[vpc])
    b.add(ECS_SERVICE[0], "web", {"launchType": "FARGATE", "networkConfiguration": {
        "subnets": [b.ref(private)], "securityGroups": [b.ref(tasks)], "assignPublicIp": False,
    }}, networkConfiguration=[private, tasks])
    return b


# ---------------------------------------------------------------------------
# The compliant task definition the container rules' tests change one thing of.
# ---------------------------------------------------------------------------
TASK_DEFINITION = ECS_TASK_DEFINITION[0]
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1.4.2@sha256:" + "ab" * 32


def _container(name: str = "app", **changes: Any) -> dict:
    container = {
        "name": name,
        "image": IMAGE,
        "essential": True,
        "user": "1000:1000",
        "privileged": False,
        "readonlyRootFilesystem": True,
        "portMappings": [{"containerPort": 8080, "protocol": "tcp"}],
        "environment": [{"name": "LOG_LEVEL", "value": "info"}],
        "logConfiguration": {"logDriver": "awslogs", "options": {
            "awslogs-group": f"/ecs/{name}", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": name}},
    }
    container.update(changes)
    return container


def _task_definition(*containers: Mapping[str, Any], **changes: Any) -> dict:
    props = {
        "family": "app",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"},
        "executionRoleArn": "arn:aws:iam::123456789012:role/app-execution",
        "taskRoleArn": "arn:aws:iam::123456789012:role/app-task",
        "tags": {"Environment": "test", "Owner": "platform", "CostCenter": "cc-100"},
        "containerDefinitions": json.dumps(list(containers) or [_container(), _container("sidecar")]),
    }
    props.update(changes)
    return props


@pytest.fixture
def container() -> Callable[..., dict]:
    """A container definition every container rule accepts: ``container(name="app", **changes)``."""
    return _container


@pytest.fixture
def task_definition() -> Callable[..., dict]:
    """A Fargate task definition every task-definition rule accepts, shaped as the engine sends it
    (``containerDefinitions`` a JSON string): ``task_definition(*containers, **changes)``; without containers,
    two compliant ones named 'app' and 'sidecar'."""
    return _task_definition


# ---------------------------------------------------------------------------
# The compliant blue/green release the release rules' tests change one thing of.
# ---------------------------------------------------------------------------
T_LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
T_LISTENER = "aws:lb/listener:Listener"
T_LISTENER_RULE = "aws:lb/listenerRule:ListenerRule"
T_TARGET_GROUP = "aws:lb/targetGroup:TargetGroup"
T_ROLE = "aws:iam/role:Role"
T_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
ELB = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
RELEASE_ARNS = {
    "alb": f"{ELB}:loadbalancer/app/alb/50dc6c495c0c9188",
    "https": f"{ELB}:listener/app/alb/50dc6c495c0c9188/f2f7dc8efc522ab2",
    "test-listener": f"{ELB}:listener/app/alb/50dc6c495c0c9188/0a1b2c3d4e5f6789",
    "api-tg": f"{ELB}:targetgroup/api-tg/943f017f100becff",
    "api-tg-alternate": f"{ELB}:targetgroup/api-tg-alternate/0123456789abcdef",
    "api-rule": f"{ELB}:listener-rule/app/alb/50dc6c495c0c9188/f2f7dc8efc522ab2/1111111111111111",
    "api-test-rule": f"{ELB}:listener-rule/app/alb/50dc6c495c0c9188/0a1b2c3d4e5f6789/2222222222222222",
    "api-release-role": "arn:aws:iam::123456789012:role/api-release-role",
}
ECS_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TESTERS = "198.51.100.0/24"


def _forward(b: StackBuilder, *groups: StackResource) -> list[dict[str, Any]]:
    weights = [100, 0]
    return [{"type": "forward", "forward": {"targetGroups": [
        {"arn": b.ref(group), "weight": weight} for group, weight in zip(groups, weights, strict=False)]}}]


@pytest.fixture
def release_stack(stack_builder: StackBuilder) -> StackBuilder:
    """A compliant BLUE_GREEN release of ECS service 'api': target groups 'api-tg' and 'api-tg-alternate' behind
    load balancer 'alb', production rule 'api-rule' on listener 'https' (443) forwarding to both, test rule
    'api-test-rule' on listener 'test-listener' (8443, open to the testers' CIDR only), infrastructure role
    'api-release-role' trusted by ECS, and critical alarms on both target groups listed in the service's alarms.
    Runs once per mode of :data:`MODES`."""
    b = stack_builder
    sg = b.add(SECURITY_GROUP[0], "alb-sg", {"ingress": [
        {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]},
        {"protocol": "tcp", "fromPort": 8443, "toPort": 8443, "cidrBlocks": [TESTERS]},
    ]}, id="sg-0a1b2c3d4e5f60718")
    alb = b.add(T_LOAD_BALANCER, "alb", {"loadBalancerType": "application", "securityGroups": [b.ref(sg)]},
                id=RELEASE_ARNS["alb"], securityGroups=[sg])
    listeners = {}
    for name, port in (("https", 443), ("test-listener", 8443)):
        listeners[name] = b.add(T_LISTENER, name, {
            "loadBalancerArn": b.ref(alb), "port": port, "protocol": "HTTPS",
            "defaultActions": [{"type": "fixed-response", "fixedResponse": {"statusCode": "404"}}]},
            id=RELEASE_ARNS[name], loadBalancerArn=[alb])
    groups = [b.add(T_TARGET_GROUP, name, {"targetType": "ip", "port": 8080, "protocol": "HTTP"},
                    id=RELEASE_ARNS[name]) for name in ("api-tg", "api-tg-alternate")]
    rules = [b.add(T_LISTENER_RULE, name, {
        "listenerArn": b.ref(listeners[listener]), "priority": 10,
        "conditions": [{"pathPattern": {"values": ["/api/*"]}}], "actions": _forward(b, *groups)},
        id=RELEASE_ARNS[name], listenerArn=[listeners[listener]], actions=groups)
        for name, listener in (("api-rule", "https"), ("api-test-rule", "test-listener"))]
    role = b.add(T_ROLE, "api-release-role", {"assumeRolePolicy": ECS_TRUST}, id=RELEASE_ARNS["api-release-role"])
    alarms = []
    for group, alarm_name in zip(groups, ("api-target-5xx-rate", "api-alternate-5xx-rate"), strict=True):
        suffix = RELEASE_ARNS[group.name].split(":", 5)[5]
        alarms.append(b.add(T_ALARM, alarm_name, {"name": alarm_name, "metricQueries": [
            {"id": "errors", "metric": {"metricName": "HTTPCode_Target_5XX_Count", "dimensions": {
                "TargetGroup": b.ref_value(suffix), "LoadBalancer": b.ref_value("app/alb/50dc6c495c0c9188")}}},
        ]}, metricQueries=[group, alb]))
    b.add(ECS_SERVICE[0], "api", {
        "name": "api",
        "deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "10"},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "alarms": {"alarmNames": [a.name for a in alarms], "enable": True, "rollback": True},
        "loadBalancers": [{
            "targetGroupArn": b.ref(groups[0]), "containerName": "api", "containerPort": 8080,
            "advancedConfiguration": {
                "alternateTargetGroupArn": b.ref(groups[1]), "productionListenerRule": b.ref(rules[0]),
                "testListenerRule": b.ref(rules[1]), "roleArn": b.ref(role)},
        }],
    }, loadBalancers=[*groups, *rules, role])
    return b
