"""Shared helpers for the pack's rules.

A rule is a pure function over the engine's property bag (camelCase names,
numbers as floats, nested JSON documents as strings). The helpers here wrap
such a function into a CrossGuard policy, so the check itself never touches
pulumi-policy and can be tested with plain dictionaries.

Contract of a resource check: ``check(props, config) -> Iterable[str]``. Each
yielded string is one violation message; it names the property, its value and
what would pass. Raise :class:`NotApplicable` when the rule cannot apply to
this particular resource (for example an EC2-launch task definition).

Contract of a remediation (resource rules whose fix is unambiguous only):
``remediate(props, config) -> dict | None`` returns the top-level properties
it changes, with their new values, or None when there is nothing it may fix.
It never changes a property outside its rule, and a resource it returns
passes ``check``, so applying it twice changes nothing the second time.

Contract of a stack check: ``check(resources, config) -> Iterable[tuple[urn, str]]``.
``resources`` are objects with ``resource_type``, ``props``, ``urn``, ``name``,
``parent``, ``dependencies`` and ``property_dependencies`` (pulumi-policy's
``PolicyResource``, or :class:`StackResource` in tests).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from .. import README_URL
from ..facts import (
    FSBP_NAME,
    FSBP_VERSION,
    SECURITY_HUB_CONTROLS,
    SECURITY_HUB_NAME,
    whole_number,
)

# ---------------------------------------------------------------------------
# Type tokens. Each family lists every alias token the engine may send.
# ---------------------------------------------------------------------------
LOAD_BALANCER = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LISTENER = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
LISTENER_RULE = ("aws:lb/listenerRule:ListenerRule", "aws:alb/listenerRule:ListenerRule")
TARGET_GROUP = ("aws:lb/targetGroup:TargetGroup", "aws:alb/targetGroup:TargetGroup")
ECS_SERVICE = ("aws:ecs/service:Service",)
ECS_TASK_DEFINITION = ("aws:ecs/taskDefinition:TaskDefinition",)
ECS_CLUSTER = ("aws:ecs/cluster:Cluster",)
ECS_CAPACITY_PROVIDER = ("aws:ecs/capacityProvider:CapacityProvider",)
LOG_GROUP = ("aws:cloudwatch/logGroup:LogGroup",)
SECURITY_GROUP = ("aws:ec2/securityGroup:SecurityGroup",)
SECURITY_GROUP_RULE = (
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
)
DEFAULT_SECURITY_GROUP = ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",)
VPC = ("aws:ec2/vpc:Vpc",)
SUBNET = ("aws:ec2/subnet:Subnet",)
ROUTE_TABLE = ("aws:ec2/routeTable:RouteTable",)
ROUTE = ("aws:ec2/route:Route",)
ROUTE_TABLE_ASSOCIATION = ("aws:ec2/routeTableAssociation:RouteTableAssociation",)
INTERNET_GATEWAY = ("aws:ec2/internetGateway:InternetGateway",)
FLOW_LOG = ("aws:ec2/flowLog:FlowLog",)
IAM_ROLE = ("aws:iam/role:Role",)
IAM_ROLE_POLICY = ("aws:iam/rolePolicy:RolePolicy",)
IAM_POLICY = ("aws:iam/policy:Policy",)
ECR_REPOSITORY = ("aws:ecr/repository:Repository",)
KMS_KEY = ("aws:kms/key:Key",)
SCALABLE_TARGET = ("aws:appautoscaling/target:Target",)


class NotApplicable(Exception):
    """Raised by a check when the rule does not apply to this resource."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class StackResource:
    """A stand-in for pulumi-policy's PolicyResource, for tests and tools."""

    __slots__ = ("resource_type", "props", "urn", "name", "parent", "dependencies", "property_dependencies")

    def __init__(self, resource_type: str, props: Mapping[str, Any], urn: str, name: str = "",
                 parent: StackResource | None = None, dependencies: list[StackResource] | None = None,
                 property_dependencies: dict[str, list[StackResource]] | None = None) -> None:
        self.resource_type = resource_type
        self.props = props
        self.urn = urn
        self.name = name
        self.parent = parent
        self.dependencies = [] if dependencies is None else dependencies
        self.property_dependencies = {} if property_dependencies is None else property_dependencies

    def __repr__(self) -> str:
        return f"StackResource({self.resource_type!r}, urn={self.urn!r})"


# ---------------------------------------------------------------------------
# Safe property access. Bad props never raise: they come back as ``default``.
# ---------------------------------------------------------------------------
def get(props: Any, *path: str | int, default: Any = None) -> Any:
    """Follow ``path`` through nested mappings and lists; ``default`` on any miss."""
    current = props
    for step in path:
        if isinstance(step, int):
            if isinstance(current, Sequence) and not isinstance(current, str | bytes) and -len(current) <= step < len(
                current
            ):
                current = current[step]
            else:
                return default
        elif isinstance(current, Mapping):
            if step not in current:
                return default
            current = current[step]
        else:
            return default
        if current is None:
            return default
    return current


def as_list(value: Any) -> list[Any]:
    """A list for list-like values, [] for anything else (None, scalars, mappings)."""
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return list(value)
    return []


as_int = whole_number
"""An int for ints, integral floats and digit strings; None otherwise (bools included)."""


def as_bool(value: Any) -> bool | None:
    """True/False for booleans and "true"/"false" strings; None otherwise."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def parse_json_document(value: Any) -> Any:
    """A JSON document given as a string (the engine's shape) or already parsed; None if unreadable."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except (ValueError, RecursionError):
            return None
    if isinstance(value, Mapping | list):
        return value
    return None


def container_definitions(props: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The task definition's containers, or None when ``containerDefinitions`` is missing or malformed."""
    parsed = parse_json_document(get(props, "containerDefinitions"))
    if not isinstance(parsed, list):
        return None
    return [c for c in parsed if isinstance(c, Mapping)]


def container_label(container: Mapping[str, Any], index: int) -> str:
    """How a message names a container: its name, or its index when it has none."""
    name = container.get("name")
    return f"container '{name}'" if isinstance(name, str) and name else f"containerDefinitions[{index}]"


def plain(value: Any, depth: int = 0) -> Any:
    """Nested mappings and sequences as plain dicts and lists (pulumi-policy wraps them in proxies)."""
    if depth > 8:
        return "..."
    if isinstance(value, Mapping):
        return {key: plain(value[key], depth + 1) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [plain(item, depth + 1) for item in value]
    return value


def show(value: Any) -> str:
    """A short, stable rendering of a property value for messages."""
    value = plain(value)
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return f"'{value}'"
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return repr(value)


def config_value(config: Mapping[str, Any] | None, key: str, default: Any) -> Any:
    """A policy config value, falling back to ``default`` when absent or null."""
    if not config:
        return default
    value = config.get(key)
    return default if value is None else value


# ---------------------------------------------------------------------------
# Building policies from pure checks.
# ---------------------------------------------------------------------------
ResourceCheck = Callable[[Mapping[str, Any], Mapping[str, Any]], Iterable[str]]
ResourceRemedy = Callable[[Mapping[str, Any], Mapping[str, Any]], Mapping[str, Any] | None]
StackCheck = Callable[[Sequence[Any], Mapping[str, Any]], Iterable[tuple[str | None, str]]]


def _schema(properties: Mapping[str, Any] | None) -> PolicyConfigSchema | None:
    if not properties:
        return None
    return PolicyConfigSchema(properties=dict(properties))


def schema_defaults(properties: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``default`` of every config property that declares one."""
    return {k: v["default"] for k, v in (properties or {}).items() if isinstance(v, Mapping) and "default" in v}


def _report(name: str, subject: str, findings: Iterable[tuple[str | None, str]],
            args: ResourceValidationArgs | StackValidationArgs, report_violation: ReportViolation) -> None:
    """Report a check's findings; NotApplicable and rule bugs become results, unknowns stay the SDK's."""
    try:
        for urn, message in findings:
            report_violation(message, urn)
    except NotApplicable as exc:
        args.not_applicable(exc.reason)
    except UnknownValueError:
        raise
    except Exception as exc:  # noqa: BLE001 - a rule bug must surface as a finding, not kill the analyzer
        report_violation(f"{name} could not evaluate {subject} ({type(exc).__name__}: {exc}).", None)


TAGS = frozenset({
    "availability", "containers", "cost", "encryption", "iam", "images", "load-balancing", "logging", "monitoring",
    "network", "secrets", "tagging",
})
"""The words a policy's ``tags`` are drawn from (what Pulumi Cloud filters policies by)."""

_ACRONYMS = {"alb": "ALB", "ecr": "ECR", "ecs": "ECS", "fargate": "Fargate", "http": "HTTP", "iam": "IAM",
             "ip": "IP", "kms": "KMS", "nlb": "NLB", "tls": "TLS", "vpc": "VPC", "waf": "WAF"}


def display_name(name: str) -> str:
    """A policy name as people read it: ``disallow-ecs-public-ip`` is "Disallow ECS public IP"."""
    words = [_ACRONYMS.get(word, word) for word in name.split("-")]
    return " ".join([words[0].capitalize(), *words[1:]])


def framework(security_hub: Sequence[str]) -> PolicyComplianceFramework | None:
    """The compliance framework of a rule matching these Security Hub controls: the FSBP standard, referenced by
    the first FSBP control, else Security Hub by the first control; None without any. The other controls stay in
    the policy's ``security_hub``."""
    if not security_hub:
        return None
    known = [SECURITY_HUB_CONTROLS[c] for c in security_hub if c in SECURITY_HUB_CONTROLS]
    unknown = sorted(set(security_hub) - set(SECURITY_HUB_CONTROLS))
    if unknown:
        raise ValueError(f"Security Hub controls not in facts.SECURITY_HUB_CONTROLS: {', '.join(unknown)}")
    fsbp = [c for c in known if c.fsbp]
    if fsbp:
        return PolicyComplianceFramework(name=FSBP_NAME, version=FSBP_VERSION, reference=fsbp[0].id,
                                         specification=fsbp[0].url)
    return PolicyComplianceFramework(name=SECURITY_HUB_NAME, reference=known[0].id, specification=known[0].url)


def _metadata(name: str, tags: Sequence[str], security_hub: Sequence[str]) -> dict[str, Any]:
    """What Pulumi Cloud shows of a policy besides its description: the same for resource and stack rules."""
    unknown = sorted(set(tags) - TAGS)
    if not tags or unknown:
        raise ValueError(f"{name}: tags {list(tags)}: each one of {sorted(TAGS)}")
    return {"display_name": display_name(name), "framework": framework(security_hub), "tags": sorted(set(tags)),
            "url": f"{README_URL}#{name}"}


def resource_rule(
    *,
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    types: Sequence[str],
    check: ResourceCheck,
    tags: Sequence[str],
    enforcement: EnforcementLevel = EnforcementLevel.ADVISORY,
    config: Mapping[str, Any] | None = None,
    security_hub: Sequence[str] = (),
    checkov: Sequence[str] = (),
    remediate: ResourceRemedy | None = None,
) -> ResourceValidationPolicy:
    """A resource policy that runs ``check`` on every resource whose type is in ``types``.

    ``remediate`` (only for a fix no human has to decide) runs at the level ``remediate``
    before the check, as the engine asks: see :func:`_remediation`.
    """
    type_set = frozenset(types)
    defaults = schema_defaults(config)

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if args.resource_type not in type_set:
            return
        merged = {**defaults, **(args.get_config() or {})}
        findings = ((None, message) for message in check(args.props, merged))
        _report(name, "this resource", findings, args, report_violation)

    policy = ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        config_schema=_schema(config),
        remediate=_remediation(type_set, defaults, remediate) if remediate is not None else None,
        severity=severity,
        remediation_steps=remediation,
        **_metadata(name, tags, security_hub),
    )
    _annotate(policy, types, check, config, security_hub, checkov, remediate)
    return policy


def _unwrapped(value: Any) -> Any:
    """Nested mappings and sequences as plain dicts and lists, whatever proxies pulumi-policy wraps them in."""
    if isinstance(value, Mapping):
        return {key: _unwrapped(value[key]) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return [_unwrapped(item) for item in value]
    return value


def _remediation(type_set: frozenset[str], defaults: Mapping[str, Any], remedy: ResourceRemedy) -> Any:
    """pulumi-policy's remediation callback around a pure ``remedy``.

    The engine hands a remediation the resource's inputs with unknown values
    unchecked: ``remedy`` reads them behind the unknown-checking proxy, as a
    check does, so a fix never rests on a value nobody knows yet (the SDK then
    reports that the remediation can't run at preview). The changed properties
    are written into the engine's own property bag, which keeps secrets
    secret, and the bag is returned; None when nothing changes. A remediation
    that fails leaves the resource as it is, and its check reports what is
    wrong.
    """

    def remediate(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
        if args.resource_type not in type_set:
            return None
        current = _unwrapped(args.props)
        merged = {**defaults, **(args.get_config() or {})}
        try:
            changes = _unwrapped(remedy(unknown_checking_proxy(current), merged) or {})
        except NotApplicable as exc:
            args.not_applicable(exc.reason)
            return None
        except UnknownValueError:
            raise
        except Exception:  # noqa: BLE001 - nothing is fixed; the check still reports the violation
            return None
        changed = {key: value for key, value in changes.items() if key not in current or current[key] != value}
        if not changed:
            return None
        props = args.props
        for key, value in changed.items():
            props[key] = value  # type: ignore[index]
        return props

    return remediate


def stack_rule(
    *,
    name: str,
    description: str,
    severity: Severity,
    remediation: str,
    types: Sequence[str],
    check: StackCheck,
    tags: Sequence[str],
    enforcement: EnforcementLevel = EnforcementLevel.ADVISORY,
    config: Mapping[str, Any] | None = None,
    security_hub: Sequence[str] = (),
    checkov: Sequence[str] = (),
) -> StackValidationPolicy:
    """A stack policy over every resource; ``types`` lists the tokens the check reads."""
    defaults = schema_defaults(config)

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        merged = {**defaults, **(args.get_config() or {})}
        _report(name, "the stack", check(args.resources, merged), args, report_violation)

    policy = StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=enforcement,
        config_schema=_schema(config),
        severity=severity,
        remediation_steps=remediation,
        **_metadata(name, tags, security_hub),
    )
    _annotate(policy, types, check, config, security_hub, checkov)
    return policy


def _annotate(policy: Any, types: Sequence[str], check: Any, config: Mapping[str, Any] | None,
              security_hub: Sequence[str], checkov: Sequence[str], remedy: ResourceRemedy | None = None) -> None:
    # Metadata the tests and the README generator read; pulumi-policy ignores it.
    policy.resource_types = tuple(types)
    policy.check = check
    policy.remedy = remedy  # the pure remediation; None for a rule that never remediates
    policy.config_properties = dict(config or {})
    policy.security_hub = tuple(security_hub)
    policy.checkov = tuple(checkov)


def run_check(check: ResourceCheck, props: Mapping[str, Any], config: Mapping[str, Any] | None = None,
              schema: Mapping[str, Any] | None = None) -> list[str]:
    """Run a resource check the way the pack does (schema defaults merged) and return its messages."""
    return list(check(props, {**schema_defaults(schema), **(config or {})}))


def run_remedy(remedy: ResourceRemedy, props: Mapping[str, Any], config: Mapping[str, Any] | None = None,
               schema: Mapping[str, Any] | None = None) -> dict[str, Any] | None:
    """Run a pure remediation the way the pack does (schema defaults merged); the properties it changes."""
    changes = remedy(props, {**schema_defaults(schema), **(config or {})})
    return None if changes is None else dict(changes)
