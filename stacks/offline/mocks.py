"""Pulumi mocks that answer like AWS: realistic ids, ARNs, names, computed outputs and data sources.

:class:`PlatformMocks` is used by the offline plan (``python -m stacks plan``)
and by unit tests::

    pulumi.runtime.set_mocks(PlatformMocks(), project="fargate-platform", stack="test", preview=True)

Every resource echoes its inputs back as outputs and adds what AWS would
compute: the physical id in AWS's format (``vpc-…``, ``sg-…``), the ARN
(partition ``aws``, the region from config ``aws:region``, default
``us-east-1``, account ``123456789012``), the auto-generated name
(``<resource name>-<7 hex>`` unless a name is given), and a realistic value
for every other output the provider computes: which outputs those are, and
their types, come from the provider's own SDK classes
(:mod:`stacks.offline.placeholders`), so a database's ``address`` or a
repository's URL is known to whatever the program builds from it. Where
values must agree with each other or with the inputs (a listener's ARN
extends its load balancer's, an image's digest follows its repository), the
type has a spec in :data:`RESOURCE_TYPES`; types not listed there get a
generic id and ARN.

Values are derived from a hash of the type and name, so two runs of the same
program produce identical outputs. As in ``pulumi preview``, an optional input
the program leaves unset stays unknown unless the SDK declares that the
provider always fills it in.

Every function of an installed provider SDK is answered
(:mod:`stacks.offline.invokes`). A token no installed SDK has raises
:class:`UnknownInvokeError` naming it: nothing passes by accident with an
empty result. A project adds or overrides answers in a hooks file
(:mod:`stacks.offline.mock_hooks`).
"""

from __future__ import annotations

import hashlib
import json
import string
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import config as _runtime_config
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from stacks.offline.invokes import answer
from stacks.offline.mock_hooks import MockHooks
from stacks.offline.placeholders import NO_VALUE, Place, az_id, computed_outputs, engine_port, value_for

ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
PARTITION = "aws"

# Hosted zone ids of Application Load Balancers, per region (route53 alias targets).
_ALB_ZONE_IDS = {"us-east-1": "Z35SXDOTRQ7X7K", "us-east-2": "Z3AADJGX6KTTL2", "us-west-2": "Z1H1FL5HABSF5",
                 "eu-west-1": "Z32O12XQLNTSW2", "eu-central-1": "Z215JYRZR1TBD5"}


class UnknownInvokeError(Exception):
    """A provider function that no installed SDK has, and that no hooks file answers."""

    def __init__(self, token: str) -> None:
        super().__init__(
            f"no installed provider SDK has the function '{token}': answer it in a mocks file "
            f"(python -m stacks plan --mocks FILE, or offline_mocks.py in the project)")
        self.token = token


# ---------------------------------------------------------------------------
# Templates. A spec's templates are str.format strings over these fields:
#   {p} partition, {r} region, {a} account, {res} the logical name,
#   {name} the physical name, {id} the physical id, {arn} the ARN,
#   {in[key]} an input (empty when missing or unknown),
#   {h:N} N hex chars, {h:N/salt} N other hex chars, {H:N} the same in upper case,
#   {d:N} N digits, {u} a UUID, {u:salt} another UUID.
# A template may also be a callable taking the _Ctx.
# ---------------------------------------------------------------------------
Template = str | Callable[["_Ctx"], Any]


@dataclass(frozen=True)
class TypeSpec:
    """How the mocks answer for one resource type."""

    id: Template = "{res}-{h:7}"
    """The physical id."""
    arn: Template | None = None
    """The ARN, or None when the type has none."""
    name_key: str | None = None
    """The input that holds the physical name; auto-named when absent."""
    extra: Mapping[str, Template] = field(default_factory=dict)
    """Further computed outputs."""
    lower_name: bool = False
    """Auto-names are lower case (S3 buckets, ECR repositories)."""


class _Digest:
    """Formats as deterministic hex, digits or UUIDs derived from a seed."""

    def __init__(self, seed: str, kind: str) -> None:
        self._seed = seed
        self._kind = kind

    def _bytes(self, salt: str) -> str:
        return hashlib.sha256(f"{self._seed}/{salt}".encode()).hexdigest() * 2

    def __format__(self, spec: str) -> str:
        size, _, salt = spec.partition("/")
        if self._kind == "u":
            return str(uuid.UUID(self._bytes(spec)[:32]))
        digest = self._bytes(salt)
        n = int(size or 8)
        if self._kind == "d":
            return "".join(str(int(c, 16) % 10) for c in digest[:n])
        return digest[:n].upper() if self._kind == "H" else digest[:n]

    def __str__(self) -> str:
        return format(self, "")


class _Inputs(dict):
    """Inputs for templates: missing, unknown or non-scalar values format as ''."""

    def __missing__(self, key: str) -> str:
        return ""


def _plain(value: Any) -> Any:
    """An input with secret wrappers removed; None for unknowns."""
    if isinstance(value, dict) and value.get(_SIG) == _SECRET_SIG:
        return _plain(value.get("value"))
    if type(value).__name__ == "Unknown":
        return None
    return value


def _plain_deep(value: Any) -> Any:
    """:func:`_plain` all the way down: what hooks and generated answers see."""
    value = _plain(value)
    if isinstance(value, dict):
        return {k: _plain_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_deep(v) for v in value]
    return value


_SIG = "4dabf18193072939515e22adb298388d"
_SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


@dataclass
class _Ctx:
    """Everything a template can refer to, for one resource."""

    type: str
    res: str
    inputs: Mapping[str, Any]
    p: str
    r: str
    a: str
    name: str = ""
    id: str = ""
    arn: str = ""

    def __post_init__(self) -> None:
        seed = f"{self.type}::{self.res}"
        self.h = _Digest(seed, "h")
        self.H = _Digest(seed, "H")
        self.d = _Digest(seed, "d")
        self.u = _Digest(seed, "u")
        self.inp = _Inputs({k: v for k, v in ((k, _plain(v)) for k, v in self.inputs.items())
                            if isinstance(v, str | int | float) and not isinstance(v, bool)})

    def input(self, key: str) -> Any:
        return _plain(self.inputs.get(key))

    def render(self, template: Template) -> Any:
        if callable(template):
            return template(self)
        fields = {"p": self.p, "r": self.r, "a": self.a, "res": self.res, "name": self.name, "id": self.id,
                  "arn": self.arn, "in": self.inp, "h": self.h, "H": self.H, "d": self.d, "u": self.u}
        return string.Formatter().vformat(template, (), fields)


# ---------------------------------------------------------------------------
# Helpers for the few outputs a format string cannot express.
# ---------------------------------------------------------------------------
def _last_segment(value: Any) -> str:
    return str(value).rsplit("/", 1)[-1] if value else ""


def _az_id(ctx: _Ctx) -> str:
    zone = str(ctx.input("availabilityZone") or f"{ctx.r}a")
    return az_id(ctx.r, max("abcdefghij".find(zone[-1]), 0))


def _lb_kind(ctx: _Ctx) -> str:
    return {"network": "net", "gateway": "gwy"}.get(str(ctx.input("loadBalancerType") or ""), "app")


def _lb_dns(ctx: _Ctx) -> str:
    prefix = "internal-" if ctx.input("internal") is True else ""
    return ctx.render(prefix + "{name}-{d:10}.{r}.elb.amazonaws.com")


def _listener_arn(ctx: _Ctx) -> str:
    lb = str(ctx.input("loadBalancerArn") or "")
    if ":loadbalancer/" in lb:
        return lb.replace(":loadbalancer/", ":listener/", 1) + ctx.render("/{h:16}")
    return ctx.render("arn:{p}:elasticloadbalancing:{r}:{a}:listener/app/{res}/{h:16/lb}/{h:16}")


def _listener_rule_arn(ctx: _Ctx) -> str:
    listener = str(ctx.input("listenerArn") or "")
    if ":listener/" in listener:
        return listener.replace(":listener/", ":listener-rule/", 1) + ctx.render("/{h:16}")
    return ctx.render("arn:{p}:elasticloadbalancing:{r}:{a}:listener-rule/app/{res}/{h:16/lb}/{h:16/l}/{h:16}")


def _ecs_service_arn(ctx: _Ctx) -> str:
    cluster = _last_segment(ctx.input("cluster")) or "default"
    return ctx.render("arn:{p}:ecs:{r}:{a}:service/") + f"{cluster}/{ctx.name}"


def _iam_path(ctx: _Ctx) -> str:
    path = str(ctx.input("path") or "/")
    return path if path.endswith("/") else path + "/"


def _ssm_arn(ctx: _Ctx) -> str:
    return ctx.render("arn:{p}:ssm:{r}:{a}:parameter/") + ctx.name.lstrip("/")


def _kms_alias_target(ctx: _Ctx) -> str:
    target = str(ctx.input("targetKeyId") or "")
    return target if target.startswith("arn:") else ctx.render("arn:{p}:kms:{r}:{a}:key/") + target


def _image_uri(ctx: _Ctx) -> str:
    """``<repositoryUrl>@sha256:<digest>``: the pushed image, pinned by digest (any tag dropped)."""
    repo = str(ctx.input("repositoryUrl") or ctx.render("{a}.dkr.ecr.{r}.amazonaws.com/{res}")).split("@", 1)[0]
    host, _, path = repo.rpartition("/")
    return f"{host}/{path.split(':', 1)[0]}" + ctx.render("@sha256:{h:64}")


def _image_digest_ref(image_key: str) -> Callable[[_Ctx], str]:
    """``<repository>@sha256:<digest>`` for the image named by input ``image_key`` (the first of a list)."""

    def ref(ctx: _Ctx) -> str:
        image = ctx.input(image_key)
        if isinstance(image, list):
            image = next((_plain(i) for i in image if isinstance(_plain(i), str)), None)
        repo = str(image or ctx.render("{a}.dkr.ecr.{r}.amazonaws.com/{res}")).split("@", 1)[0]
        host, _, path = repo.rpartition("/")
        return (f"{host}/" if host else "") + path.split(":", 1)[0] + ctx.render("@sha256:{h:64}")

    return ref


def _db_port(ctx: _Ctx) -> int:
    given = ctx.input("port")
    return int(given) if isinstance(given, int | float) else engine_port(ctx.input("engine")) or 3306


def _db_host(kind: str) -> Callable[[_Ctx], str]:
    """An RDS host name: ``<identifier>.<kind>c<12 chars>.<region>.rds.amazonaws.com``."""
    return lambda ctx: ctx.render("{name}." + kind + "c{h:12/host}.{r}.rds.amazonaws.com").lower()


def _db_endpoint(kind: str) -> Callable[[_Ctx], str]:
    return lambda ctx: f"{_db_host(kind)(ctx)}:{_db_port(ctx)}"


def _awsx_vpc(kind: str) -> Callable[[_Ctx], list[str]]:
    def subnet_ids(ctx: _Ctx) -> list[str]:
        zones = ctx.input("availabilityZoneNames")
        count = len(zones) if isinstance(zones, list) and zones else int(ctx.input("numberOfAvailabilityZones") or 3)
        specs = ctx.input("subnetSpecs")
        kinds = [str(_plain(s.get("type"))) for s in specs if isinstance(s, dict)] if isinstance(specs, list) \
            else ["Public", "Private"]
        if kind not in kinds:
            return []
        return [ctx.render(f"subnet-{{h:17/{kind}{i}}}") for i in range(count)]

    return subnet_ids


_OWNER = {"ownerId": "{a}"}
_EC2 = "arn:{p}:ec2:{r}:{a}:"
_ELB = "arn:{p}:elasticloadbalancing:{r}:{a}:"

# Type token -> how the mocks answer. Alias tokens (aws:alb/...) share their spec.
RESOURCE_TYPES: dict[str, TypeSpec] = {
    # Network
    "aws:ec2/vpc:Vpc": TypeSpec(
        id="vpc-{h:17}", arn=_EC2 + "vpc/{id}",
        extra={**_OWNER, "defaultSecurityGroupId": "sg-{h:17/dsg}", "mainRouteTableId": "rtb-{h:17/main}",
               "defaultRouteTableId": "rtb-{h:17/main}", "defaultNetworkAclId": "acl-{h:17/acl}",
               "dhcpOptionsId": "dopt-{h:17/dopt}", "instanceTenancy": "default"}),
    "aws:ec2/subnet:Subnet": TypeSpec(id="subnet-{h:17}", arn=_EC2 + "subnet/{id}",
                                      extra={**_OWNER, "availabilityZoneId": _az_id}),
    "aws:ec2/securityGroup:SecurityGroup": TypeSpec(id="sg-{h:17}", arn=_EC2 + "security-group/{id}",
                                                    name_key="name", extra=_OWNER),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": TypeSpec(
        id="sg-{h:17}", arn=_EC2 + "security-group/{id}", extra={**_OWNER, "name": "default"}),
    "aws:ec2/securityGroupRule:SecurityGroupRule": TypeSpec(id="sgrule-{d:10}",
                                                            extra={"securityGroupRuleId": "sgr-{h:17}"}),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": TypeSpec(
        id="sgr-{h:17}", arn=_EC2 + "security-group-rule/{id}", extra={"securityGroupRuleId": "{id}"}),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": TypeSpec(
        id="sgr-{h:17}", arn=_EC2 + "security-group-rule/{id}", extra={"securityGroupRuleId": "{id}"}),
    "aws:ec2/internetGateway:InternetGateway": TypeSpec(id="igw-{h:17}", arn=_EC2 + "internet-gateway/{id}",
                                                        extra=_OWNER),
    "aws:ec2/eip:Eip": TypeSpec(
        id="eipalloc-{h:17}", arn=_EC2 + "elastic-ip/{id}",
        extra={"allocationId": "{id}", "publicIp": "203.0.113.{d:2}", "domain": "vpc",
               "publicDns": "ec2-203-0-113-{d:2}.compute-1.amazonaws.com"}),
    "aws:ec2/natGateway:NatGateway": TypeSpec(
        id="nat-{h:17}", extra={"publicIp": "203.0.113.{d:2/nat}", "privateIp": "10.0.0.{d:2/ip}",
                                "networkInterfaceId": "eni-{h:17/eni}", "connectivityType": "public"}),
    "aws:ec2/routeTable:RouteTable": TypeSpec(id="rtb-{h:17}", arn=_EC2 + "route-table/{id}", extra=_OWNER),
    "aws:ec2/route:Route": TypeSpec(id="r-{in[routeTableId]}{d:10}",
                                    extra={"state": "active", "origin": "CreateRoute"}),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": TypeSpec(id="rtbassoc-{h:17}"),
    "aws:ec2/networkAcl:NetworkAcl": TypeSpec(id="acl-{h:17}", arn=_EC2 + "network-acl/{id}", extra=_OWNER),
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": TypeSpec(id="acl-{h:17}", arn=_EC2 + "network-acl/{id}",
                                                            extra=_OWNER),
    "aws:ec2/flowLog:FlowLog": TypeSpec(id="fl-{h:17}", arn=_EC2 + "vpc-flow-log/{id}"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": TypeSpec(
        id="vpce-{h:17}", arn=_EC2 + "vpc-endpoint/{id}",
        extra={**_OWNER, "state": "available", "prefixListId": "pl-{h:8}", "requesterManaged": False}),
    "aws:ec2/networkInterface:NetworkInterface": TypeSpec(id="eni-{h:17}", arn=_EC2 + "network-interface/{id}"),
    "aws:ec2/launchTemplate:LaunchTemplate": TypeSpec(id="lt-{h:17}", arn=_EC2 + "launch-template/{id}",
                                                      name_key="name", extra={"latestVersion": 1}),
    # ECS
    "aws:ecs/cluster:Cluster": TypeSpec(id="{arn}", arn="arn:{p}:ecs:{r}:{a}:cluster/{name}", name_key="name"),
    "aws:ecs/service:Service": TypeSpec(id="{arn}", arn=_ecs_service_arn, name_key="name"),
    "aws:ecs/taskDefinition:TaskDefinition": TypeSpec(
        id="{name}", arn="arn:{p}:ecs:{r}:{a}:task-definition/{name}:1", name_key="family",
        extra={"revision": 1, "arnWithoutRevision": "arn:{p}:ecs:{r}:{a}:task-definition/{name}"}),
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": TypeSpec(id="{in[clusterName]}"),
    "aws:ecs/capacityProvider:CapacityProvider": TypeSpec(
        id="{arn}", arn="arn:{p}:ecs:{r}:{a}:capacity-provider/{name}", name_key="name"),
    # Load balancing (aws:alb/... aliases are added below)
    "aws:lb/loadBalancer:LoadBalancer": TypeSpec(
        id="{arn}", name_key="name",
        arn=lambda c: c.render(_ELB + "loadbalancer/") + _lb_kind(c) + c.render("/{name}/{h:16}"),
        extra={"arnSuffix": lambda c: _lb_kind(c) + c.render("/{name}/{h:16}"), "dnsName": _lb_dns,
               "zoneId": lambda c: _ALB_ZONE_IDS.get(c.r, "Z35SXDOTRQ7X7K"), "vpcId": "vpc-{h:17/vpc}"}),
    "aws:lb/targetGroup:TargetGroup": TypeSpec(
        id="{arn}", arn=_ELB + "targetgroup/{name}/{h:16}", name_key="name",
        extra={"arnSuffix": "targetgroup/{name}/{h:16}", "loadBalancerArns": []}),
    "aws:lb/listener:Listener": TypeSpec(id="{arn}", arn=_listener_arn),
    "aws:lb/listenerRule:ListenerRule": TypeSpec(id="{arn}", arn=_listener_rule_arn),
    "aws:lb/listenerCertificate:ListenerCertificate": TypeSpec(id="{in[listenerArn]}_{in[certificateArn]}"),
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": TypeSpec(id="{in[targetGroupArn]}-{d:20}"),
    # Logging and monitoring
    "aws:cloudwatch/logGroup:LogGroup": TypeSpec(id="{name}", arn="arn:{p}:logs:{r}:{a}:log-group:{name}",
                                                 name_key="name"),
    "aws:cloudwatch/logStream:LogStream": TypeSpec(
        id="{name}", arn="arn:{p}:logs:{r}:{a}:log-group:{in[logGroupName]}:log-stream:{name}", name_key="name"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": TypeSpec(id="{name}", arn="arn:{p}:cloudwatch:{r}:{a}:alarm:{name}",
                                                       name_key="name"),
    "aws:cloudwatch/dashboard:Dashboard": TypeSpec(
        id="{name}", arn="arn:{p}:cloudwatch::{a}:dashboard/{name}", name_key="dashboardName",
        extra={"dashboardArn": "{arn}"}),
    "aws:cloudwatch/eventRule:EventRule": TypeSpec(id="{name}", arn="arn:{p}:events:{r}:{a}:rule/{name}",
                                                   name_key="name"),
    "aws:cloudwatch/eventTarget:EventTarget": TypeSpec(id="{in[rule]}-{res}"),
    # IAM
    "aws:iam/role:Role": TypeSpec(
        id="{name}", name_key="name", arn=lambda c: c.render("arn:{p}:iam::{a}:role") + _iam_path(c) + c.name,
        extra={"uniqueId": "AROA{H:17}", "createDate": "2024-01-01T00:00:00Z"}),
    "aws:iam/policy:Policy": TypeSpec(
        id="{arn}", name_key="name", arn=lambda c: c.render("arn:{p}:iam::{a}:policy") + _iam_path(c) + c.name,
        extra={"policyId": "ANPA{H:17}", "attachmentCount": 0}),
    "aws:iam/rolePolicy:RolePolicy": TypeSpec(id="{in[role]}:{name}", name_key="name"),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": TypeSpec(id="{in[role]}-{d:20}"),
    "aws:iam/instanceProfile:InstanceProfile": TypeSpec(
        id="{name}", name_key="name", arn="arn:{p}:iam::{a}:instance-profile/{name}",
        extra={"uniqueId": "AIPA{H:17}"}),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": TypeSpec(
        id="{arn}", arn="arn:{p}:iam::{a}:role/aws-service-role/{in[awsServiceName]}/{res}",
        extra={"name": "{res}", "uniqueId": "AROA{H:17}"}),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": TypeSpec(
        id="{arn}", arn="arn:{p}:iam::{a}:oidc-provider/{in[url]}"),
    # Container registry
    "aws:ecr/repository:Repository": TypeSpec(
        id="{name}", arn="arn:{p}:ecr:{r}:{a}:repository/{name}", name_key="name", lower_name=True,
        extra={"repositoryUrl": "{a}.dkr.ecr.{r}.amazonaws.com/{name}", "registryId": "{a}"}),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": TypeSpec(id="{in[repository]}", extra={"registryId": "{a}"}),
    "aws:ecr/repositoryPolicy:RepositoryPolicy": TypeSpec(id="{in[repository]}", extra={"registryId": "{a}"}),
    # Keys and secrets
    "aws:kms/key:Key": TypeSpec(id="{u}", arn="arn:{p}:kms:{r}:{a}:key/{id}", extra={"keyId": "{id}"}),
    "aws:kms/alias:Alias": TypeSpec(
        id="{name}", arn="arn:{p}:kms:{r}:{a}:{name}", name_key="name",
        extra={"targetKeyArn": _kms_alias_target}),
    "aws:secretsmanager/secret:Secret": TypeSpec(
        id="{arn}", arn="arn:{p}:secretsmanager:{r}:{a}:secret:{name}-{h:6}", name_key="name"),
    "aws:secretsmanager/secretVersion:SecretVersion": TypeSpec(
        id="{in[secretId]}|{u}", extra={"versionId": "{u}", "arn": "{in[secretId]}", "versionStages": ["AWSCURRENT"]}),
    "aws:ssm/parameter:Parameter": TypeSpec(id="{name}", arn=_ssm_arn, name_key="name", extra={"version": 1}),
    "aws:acm/certificate:Certificate": TypeSpec(
        id="{arn}", arn="arn:{p}:acm:{r}:{a}:certificate/{u}", extra={"status": "PENDING_VALIDATION"}),
    # Autoscaling
    "aws:appautoscaling/target:Target": TypeSpec(
        id="{in[resourceId]}", arn="arn:{p}:application-autoscaling:{r}:{a}:scalable-target/{h:32}"),
    "aws:appautoscaling/policy:Policy": TypeSpec(
        id="{name}", name_key="name", extra={"alarmArns": []},
        arn="arn:{p}:autoscaling:{r}:{a}:scalingPolicy:{u}:resource/{in[serviceNamespace]}/{in[resourceId]}"
            ":policyName/{name}"),
    "aws:appautoscaling/scheduledAction:ScheduledAction": TypeSpec(
        id="{name}", name_key="name",
        arn="arn:{p}:autoscaling:{r}:{a}:scheduledAction:{u}:resource/{in[serviceNamespace]}/{in[resourceId]}"
            ":scheduledActionName/{name}"),
    # Databases: the address, endpoint and port a program hands to its containers.
    "aws:rds/instance:Instance": TypeSpec(
        id="db-{H:26}", arn="arn:{p}:rds:{r}:{a}:db:{name}", name_key="identifier", lower_name=True,
        extra={"address": _db_host(""), "endpoint": _db_endpoint(""), "port": _db_port, "resourceId": "{id}",
               "hostedZoneId": "Z2R2ITUGPM61AM"}),
    "aws:rds/cluster:Cluster": TypeSpec(
        id="{name}", arn="arn:{p}:rds:{r}:{a}:cluster:{name}", name_key="clusterIdentifier", lower_name=True,
        extra={"endpoint": _db_host("cluster-"), "readerEndpoint": _db_host("cluster-ro-"), "port": _db_port,
               "clusterResourceId": "cluster-{H:26}", "hostedZoneId": "Z2R2ITUGPM61AM"}),
    # Storage, messaging, DNS, WAF, service discovery
    "aws:s3/bucket:Bucket": TypeSpec(
        id="{name}", arn="arn:{p}:s3:::{name}", name_key="bucket", lower_name=True,
        extra={"bucketDomainName": "{name}.s3.amazonaws.com", "bucketRegionalDomainName": "{name}.s3.{r}.amazonaws.com",
               "hostedZoneId": "Z3AQBSTGFYJSTF", "region": "{r}"}),
    "aws:s3/bucketV2:BucketV2": TypeSpec(
        id="{name}", arn="arn:{p}:s3:::{name}", name_key="bucket", lower_name=True,
        extra={"bucketDomainName": "{name}.s3.amazonaws.com", "bucketRegionalDomainName": "{name}.s3.{r}.amazonaws.com",
               "hostedZoneId": "Z3AQBSTGFYJSTF", "region": "{r}"}),
    "aws:sns/topic:Topic": TypeSpec(id="{arn}", arn="arn:{p}:sns:{r}:{a}:{name}", name_key="name"),
    "aws:sqs/queue:Queue": TypeSpec(id="https://sqs.{r}.amazonaws.com/{a}/{name}", arn="arn:{p}:sqs:{r}:{a}:{name}",
                                    name_key="name", extra={"url": "{id}"}),
    "aws:route53/zone:Zone": TypeSpec(
        id="Z{H:20}", arn="arn:{p}:route53:::hostedzone/{id}",
        extra={"zoneId": "{id}", "nameServers": ["ns-1.awsdns-01.org", "ns-2.awsdns-02.com"]}),
    "aws:route53/record:Record": TypeSpec(id="{in[zoneId]}_{in[name]}_{in[type]}", extra={"fqdn": "{in[name]}"}),
    "aws:wafv2/webAcl:WebAcl": TypeSpec(id="{u}", arn="arn:{p}:wafv2:{r}:{a}:regional/webacl/{name}/{id}",
                                        name_key="name", extra={"capacity": 0, "lockToken": "{u:lock}"}),
    "aws:wafv2/webAclAssociation:WebAclAssociation": TypeSpec(id="{in[webAclArn]},{in[resourceArn]}"),
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": TypeSpec(
        id="ns-{h:16}", arn="arn:{p}:servicediscovery:{r}:{a}:namespace/{id}", extra={"hostedZone": "Z{H:20}"}),
    "aws:servicediscovery/service:Service": TypeSpec(
        id="srv-{h:16}", arn="arn:{p}:servicediscovery:{r}:{a}:service/{id}", name_key="name"),
    "aws:efs/fileSystem:FileSystem": TypeSpec(
        id="fs-{h:17}", arn="arn:{p}:elasticfilesystem:{r}:{a}:file-system/{id}",
        extra={"dnsName": "{id}.efs.{r}.amazonaws.com", "ownerId": "{a}"}),
    "aws:lambda/function:Function": TypeSpec(
        id="{name}", arn="arn:{p}:lambda:{r}:{a}:function:{name}", name_key="name",
        extra={"invokeArn": "arn:{p}:apigateway:{r}:lambda:path/2015-03-31/functions/{arn}/invocations",
               "qualifiedArn": "{arn}:$LATEST", "version": "$LATEST"}),
    # Image builds: the pushed image, pinned by the digest the build reports.
    "docker:index/image:Image": TypeSpec(id="sha256:{h:64}", extra={"repoDigest": _image_digest_ref("imageName")}),
    "docker-build:index:Image": TypeSpec(id="sha256:{h:64}", extra={"digest": "sha256:{h:64}",
                                                                   "ref": _image_digest_ref("tags")}),
    # Providers
    "pulumi:providers:aws": TypeSpec(id="{u}"),
    # awsx components (remote): the scalar outputs a program reads.
    "awsx:ecr:Repository": TypeSpec(id="", extra={"url": "{a}.dkr.ecr.{r}.amazonaws.com/{name}"}, name_key="name",
                                    lower_name=True),
    "awsx:ecr:Image": TypeSpec(id="", extra={"imageUri": _image_uri}),
    "awsx:ec2:Vpc": TypeSpec(id="", extra={"vpcId": "vpc-{h:17}", "publicSubnetIds": _awsx_vpc("Public"),
                                           "privateSubnetIds": _awsx_vpc("Private"),
                                           "isolatedSubnetIds": _awsx_vpc("Isolated")}),
    "awsx:ec2:DefaultVpc": TypeSpec(id="", extra={"vpcId": "vpc-{h:17}", "publicSubnetIds": _awsx_vpc("Public"),
                                                  "privateSubnetIds": []}),
}
for _token in ("loadBalancer:LoadBalancer", "targetGroup:TargetGroup", "listener:Listener",
               "listenerRule:ListenerRule", "listenerCertificate:ListenerCertificate",
               "targetGroupAttachment:TargetGroupAttachment"):
    RESOURCE_TYPES[f"aws:alb/{_token}"] = RESOURCE_TYPES[f"aws:lb/{_token}"]

# S3 bucket configuration resources are identified by their bucket and have no ARN.
for _token in ("bucketPolicy:BucketPolicy", "bucketPublicAccessBlock:BucketPublicAccessBlock",
               "bucketOwnershipControls:BucketOwnershipControls",
               "bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
               "bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
               "bucketLifecycleConfiguration:BucketLifecycleConfiguration",
               "bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2",
               "bucketVersioning:BucketVersioning", "bucketVersioningV2:BucketVersioningV2",
               "bucketLogging:BucketLogging", "bucketLoggingV2:BucketLoggingV2"):
    RESOURCE_TYPES[f"aws:s3/{_token}"] = TypeSpec(id="{in[bucket]}")

# Types not listed: AWS resources get a generic ARN (service from the module, resource in kebab case).
_GENERIC_AWS = TypeSpec(id="{res}-{h:7}", arn=lambda c: _generic_arn(c))
_GENERIC = TypeSpec()
_COMPONENT = TypeSpec(id="")


def _generic_arn(ctx: _Ctx) -> str:
    module = ctx.type.split(":")[1].split("/")[0]
    kind = ctx.type.rsplit(":", 1)[-1]
    kebab = "".join("-" + c.lower() if c.isupper() else c for c in kind).lstrip("-")
    return ctx.render("arn:{p}:" + module + ":{r}:{a}:" + kebab + "/{id}")


class PlatformMocks(pulumi.runtime.Mocks):
    """Mocks answering as AWS would, driven by :data:`RESOURCE_TYPES`, the provider SDKs and :data:`INVOKES`.

    ``region`` defaults to config ``aws:region`` (read at each call), then
    ``us-east-1``. ``hooks`` (a project's hooks file) has the last word on
    any answer it gives.
    """

    def __init__(self, *, region: str | None = None, account_id: str = ACCOUNT_ID, partition: str = PARTITION,
                 hooks: MockHooks | None = None) -> None:
        self._region = region
        self.account_id = account_id
        self.partition = partition
        self.hooks = hooks

    @property
    def region(self) -> str:
        if self._region:
            return self._region
        configured = _runtime_config.get_config("aws:region")
        return configured if isinstance(configured, str) and configured else DEFAULT_REGION

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict]:
        spec = self.spec_for(args.typ, bool(args.custom))
        inputs = dict(args.inputs or {})
        region = str(_plain(inputs.get("region")) or self.region)
        ctx = _Ctx(type=args.typ, res=args.name, inputs=inputs, p=self.partition, r=region, a=self.account_id)
        outputs: dict[str, Any] = dict(inputs)
        ctx.name = self._physical_name(spec, ctx)
        if spec.name_key:
            outputs[spec.name_key] = ctx.name
        if spec.arn is not None:
            # An ARN may embed the id and the id may be the ARN: render whichever does not refer to the other first.
            if isinstance(spec.id, str) and "{arn}" in spec.id:
                ctx.arn = str(ctx.render(spec.arn))
                ctx.id = str(ctx.render(spec.id))
            else:
                ctx.id = str(ctx.render(spec.id))
                ctx.arn = str(ctx.render(spec.arn))
            outputs["arn"] = ctx.arn
        else:
            ctx.id = str(ctx.render(spec.id))
        for key, template in spec.extra.items():
            if _plain(inputs.get(key)) is None:
                outputs[key] = self._render_value(ctx, template)
        if args.typ.startswith("aws:") and args.custom:
            tags = self._tags_all(inputs.get("tags"))
            if tags is not None:
                outputs["tagsAll"] = tags
        self._add_computed(args.typ, ctx, outputs)
        resource_id = args.resource_id or ctx.id
        if self.hooks is not None:
            override = self.hooks.resource_outputs(args.typ, args.name, _plain_deep(inputs))
            if override:
                resource_id = str(override.pop("id", resource_id))
                outputs.update(override)
        return (resource_id if args.custom else ""), outputs

    def _add_computed(self, type_token: str, ctx: _Ctx, outputs: dict[str, Any]) -> None:
        """A realistic value for each output the provider computes that nothing above has given."""
        computed = computed_outputs(type_token)
        if not computed:
            return
        place = Place.of(type_token, partition=self.partition, region=ctx.r, account=self.account_id,
                         name=ctx.name, seed=f"{type_token}::{ctx.res}",
                         given=_plain_deep(ctx.inputs))
        for key, spec in computed.items():
            if key not in outputs:
                value = value_for(key, spec.hint, place)
                if value is not NO_VALUE:
                    outputs[key] = value

    def call(self, args: MockCallArgs) -> tuple[dict, list[tuple[str, str]]]:
        call_args = _plain_deep(dict(args.args or {}))
        region = str(call_args.get("region") or self.region)
        result = answer(args.token, call_args, region, self)
        override = self.hooks.invoke_answer(args.token, call_args) if self.hooks is not None else None
        if result is None and override is None:
            raise UnknownInvokeError(args.token)
        return {**(result or {}), **(override or {})}, []

    @staticmethod
    def spec_for(type_token: str, custom: bool = True) -> TypeSpec:
        """The spec answering for ``type_token``: listed, generic AWS, generic, or component."""
        spec = RESOURCE_TYPES.get(type_token)
        if spec is not None:
            return spec
        if not custom:
            return _COMPONENT
        return _GENERIC_AWS if type_token.startswith("aws:") else _GENERIC

    @staticmethod
    def _physical_name(spec: TypeSpec, ctx: _Ctx) -> str:
        given = ctx.input(spec.name_key) if spec.name_key else None
        if isinstance(given, str) and given:
            return given
        prefix = ctx.input("namePrefix")
        name = f"{prefix}{ctx.render('{h:7}')}" if isinstance(prefix, str) and prefix else ctx.render("{res}-{h:7}")
        return name.lower() if spec.lower_name else name

    @staticmethod
    def _render_value(ctx: _Ctx, template: Any) -> Any:
        if isinstance(template, str) or callable(template):
            return ctx.render(template)
        if isinstance(template, list):
            return [PlatformMocks._render_value(ctx, t) for t in template]
        return template

    @staticmethod
    def _tags_all(tags: Any) -> dict[str, Any] | None:
        own = _plain(tags)
        raw = _runtime_config.get_config("aws:defaultTags")
        defaults: dict[str, Any] = {}
        if isinstance(raw, str) and raw:
            try:
                defaults = dict((json.loads(raw) or {}).get("tags") or {})
            except (ValueError, TypeError, AttributeError):
                defaults = {}
        if not isinstance(own, dict) and not defaults:
            return None
        return {**defaults, **(own if isinstance(own, dict) else {})}
