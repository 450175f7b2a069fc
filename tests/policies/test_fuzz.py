"""Every rule's check survives random and partial props: it reports, or says not applicable, but never raises.

Every remediation survives them too, and what it returns leaves nothing for a second remediation.

Covers every policy in ``rules.ALL_POLICIES``. Props are built from the input
names of the types the policy declares (camelCased from pulumi-aws), with values
of every JSON shape, wrong types, and JSON strings (container definitions and
policy documents arrive as strings). Each example runs twice: on plain dicts,
and behind pulumi-policy's unknown-checking proxy, which is what the analyzer
hands a rule. Stack rules get lists of ``StackResource`` whose ids, references
and property dependencies point at one another.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping

import pytest
from fargate_policies import rules
from fargate_policies.rules._common import NotApplicable, StackResource, schema_defaults
from fargate_policies.tools.aws_catalog import camel_case
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import unknown_checking_proxy

POLICIES = list(rules.ALL_POLICIES)
RESOURCE_POLICIES = [p for p in POLICIES if isinstance(p, ResourceValidationPolicy)]
STACK_POLICIES = [p for p in POLICIES if isinstance(p, StackValidationPolicy)]
REMEDIATING = [p for p in RESOURCE_POLICIES if p.remedy is not None]

FUZZ = settings(
    # Generating the examples is most of this module's time: 5 per policy (each run twice, plain and behind the
    # proxy, and new ones every run) keeps the default run within the suite's minute; FUZZ_EXAMPLES=500 fuzzes
    # harder.
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

IDS = ["id-1", "id-2", "id-3", "igw-1", "sg-1", "subnet-1", "vpc-1", "rtb-1", "arn:aws:iam::123456789012:policy/p"]
WORDS = [
    "", " ", "*", "*:*", "s3:*", "s3:GetObject", "ecr:GetAuthorizationToken", "Allow", "Deny", "true", "false",
    "0.0.0.0/0", "::/0", "10.0.0.0/8", "not-a-cidr", "-1", "all", "tcp", "udp", "icmp", "6", "ingress", "egress",
    "FARGATE", "EC2", "awsvpc", "DELIVERY", "OVERRIDE", "NONE", "DEFAULT", "enabled", "enhanced", "disabled",
    "IMMUTABLE", "MUTABLE", "SYMMETRIC_DEFAULT", "RSA_2048", "awslogs", "containerInsights", "root", "0", "1000",
    "ecs-tasks.amazonaws.com", "sts:AssumeRole", "HTTP", "HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06",
    "application", "network", "service/prod/web", "ecs:service:DesiredCount", "nginx:latest",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@sha256:" + "a" * 64, "LINUX", "WINDOWS_SERVER_2022_CORE",
    *IDS,
]
NESTED_KEYS = [
    "name", "value", "key", "type", "id", "arn", "subnets", "assignPublicIp", "securityGroups", "logDriver",
    "logConfiguration", "options", "cidrBlocks", "ipv6CidrBlocks", "cidrBlock", "ipv6CidrBlock", "fromPort",
    "toPort", "protocol", "gatewayId", "natGatewayId", "Statement", "Effect", "Action", "NotAction", "Resource",
    "NotResource", "Principal", "Service", "Sid", "policy", "executeCommandConfiguration", "logging",
    "cloudWatchLogGroupName", "s3BucketName", "scanOnPush", "image", "essential", "user", "privileged",
    "readonlyRootFilesystem", "environment", "secrets", "portMappings", "containerPort", "linuxParameters",
    "enable", "rollback", "targetGroupArn", "containerName", "port", "sslPolicy", "defaultActions",
    "redirect", "statusCode", "accessLogs", "enabled", "bucket", "operatingSystemFamily", "cpuArchitecture",
    "pidMode", "ipcMode", "propagateAtLaunch", "alarmNames", "actions",
]

SCALARS = [None, True, False, 0, -1, 1, 22, 80, 443, 3389, 65535, 0.0, -1.0, 1.0, 30.0, 3653.0, 2.5, 1e300,
           float("inf"), float("-inf"), float("nan"), *WORDS]
BAD_JSON = ["", "{", "[", "null", "[{}]", "[1, 2]", '{"Statement": "*"}', '"text"', "1e999"]

scalars = st.sampled_from(SCALARS) | st.text(max_size=8)
nested_keys = st.sampled_from(NESTED_KEYS)

# JSON documents (container definitions, policy documents) as the engine sends them: strings.
json_scalars = st.sampled_from([None, True, False, 0, 1, 22, 443, *WORDS])
json_inner = json_scalars | st.lists(json_scalars, max_size=3)
json_objects = st.dictionaries(
    nested_keys, json_inner | st.dictionaries(nested_keys, json_inner, max_size=3), max_size=5
)
json_strings = (json_objects | st.lists(json_objects, max_size=3) | json_scalars).map(json.dumps) | st.sampled_from(
    BAD_JSON
)

# Property values three levels deep (configuration.executeCommandConfiguration.logging), of every shape.
level2 = scalars | st.lists(scalars, max_size=3) | st.dictionaries(
    nested_keys, scalars | st.lists(scalars, max_size=2), max_size=3
)
values = (
    scalars
    | json_strings
    | st.lists(scalars | st.dictionaries(nested_keys, level2, max_size=3), max_size=3)
    | st.dictionaries(nested_keys, level2 | json_strings, max_size=4)
)
_PROPS: dict[tuple[str, int], st.SearchStrategy] = {}


def _input_keys(policy, catalog) -> list[str]:
    keys: set[str] = {"tags", "id", "name", "arn"}
    for token in list(policy.resource_types)[:40]:
        resource = catalog.get(token)
        if resource is not None:
            keys.update(camel_case(name) for name in resource.inputs)
    return sorted(keys)


def _props(policy, catalog, max_size: int = 8) -> st.SearchStrategy:
    """Props keyed by the inputs of the policy's types (built once per policy)."""
    key = (policy.name, max_size)
    if key not in _PROPS:
        _PROPS[key] = st.dictionaries(st.sampled_from(_input_keys(policy, catalog)), values, max_size=max_size)
    return _PROPS[key]


def _config(policy) -> dict:
    return schema_defaults(policy.config_properties)


def _proxied(props: Mapping) -> Mapping:
    return unknown_checking_proxy(copy.deepcopy(dict(props)))


def _run_resource(policy, props: Mapping) -> None:
    try:
        messages = list(policy.check(props, _config(policy)))
    except NotApplicable as exc:
        assert isinstance(exc.reason, str)
        return
    assert all(isinstance(m, str) and m for m in messages), f"{policy.name}: {messages!r}"


def _run_stack(policy, resources: list[StackResource]) -> None:
    try:
        findings = list(policy.check(resources, _config(policy)))
    except NotApplicable as exc:
        assert isinstance(exc.reason, str)
        return
    for finding in findings:
        assert isinstance(finding, tuple) and len(finding) == 2, f"{policy.name}: {finding!r}"
        urn, message = finding
        assert (urn is None or isinstance(urn, str)) and isinstance(message, str) and message, f"{policy.name}"


@pytest.mark.parametrize("policy", RESOURCE_POLICIES, ids=[p.name for p in RESOURCE_POLICIES])
@FUZZ
@given(data=st.data())
def test_resource_check_never_raises(policy, data, aws_catalog):
    props = data.draw(_props(policy, aws_catalog), label="props")
    _run_resource(policy, props)
    _run_resource(policy, _proxied(props))


def _run_remedy(policy, props: Mapping) -> None:
    config = {**_config(policy), "tagValues": {"Environment": "dev", "Owner": "o", "CostCenter": "c"}}
    try:
        changes = policy.remedy(props, config)
    except NotApplicable as exc:
        assert isinstance(exc.reason, str)
        return
    if changes is None:
        return
    assert isinstance(changes, Mapping) and changes, f"{policy.name}: {changes!r}"
    fixed = {**copy.deepcopy(dict(props)), **copy.deepcopy(dict(changes))}
    assert policy.remedy(fixed, config) is None, f"{policy.name}: a second remediation of {fixed} changes more"


@pytest.mark.parametrize("policy", REMEDIATING, ids=[p.name for p in REMEDIATING])
@FUZZ
@given(data=st.data())
def test_remediation_never_raises_and_is_idempotent(policy, data, aws_catalog):
    props = data.draw(_props(policy, aws_catalog), label="props")
    _run_remedy(policy, props)


@st.composite
def _stacks(draw, policy, catalog):
    types = list(policy.resource_types) + ["aws:s3/bucket:Bucket"]
    count = draw(st.integers(min_value=0, max_value=6))
    resources: list[StackResource] = []
    for i in range(count):
        rtype = draw(st.sampled_from(types))
        props = draw(_props(policy, catalog, max_size=4))
        if draw(st.booleans()):
            props["id"] = draw(st.sampled_from(IDS))
        resources.append(StackResource(rtype, props, f"urn:pulumi:fuzz::p::{rtype}::r{i}", f"r{i}"))
    keys = _input_keys(policy, catalog)
    for resource in resources:
        edges = draw(st.lists(st.tuples(st.sampled_from(keys), st.integers(0, max(count - 1, 0))), max_size=2))
        for key, target in edges:
            if resources:
                resource.property_dependencies.setdefault(key, []).append(resources[target])
    return resources


def _proxied_stack(resources: list[StackResource]) -> list[StackResource]:
    copies = {r.urn: StackResource(r.resource_type, _proxied(r.props), r.urn, r.name) for r in resources}
    for r in resources:
        copies[r.urn].property_dependencies = {
            k: [copies[d.urn] for d in deps] for k, deps in r.property_dependencies.items()
        }
    return list(copies.values())


@pytest.mark.parametrize("policy", STACK_POLICIES, ids=[p.name for p in STACK_POLICIES])
@FUZZ
@given(data=st.data())
def test_stack_check_never_raises(policy, data, aws_catalog):
    resources = data.draw(_stacks(policy, aws_catalog), label="resources")
    _run_stack(policy, resources)
    _run_stack(policy, _proxied_stack(resources))


def test_common_as_int_never_raises():
    from fargate_policies.rules._common import as_int

    assert as_int("²") is None
