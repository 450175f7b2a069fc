"""Realistic values for what a provider computes, shaped by the installed SDK's own classes.

The offline plan never talks to a provider, so whatever AWS would compute (a
database's address, a repository's URL, a data source's answer) has to be
made up. What there is to make up is not listed here by hand: it is read from
the provider's Python SDK, the same classes the program uses.

- A resource type's class (``pulumi_aws.rds.Instance`` for
  ``aws:rds/instance:Instance``) declares every output as a property with a
  return type; its ``<Class>Args`` declares the inputs. An output that is not
  an input is computed by the provider, and so is an optional input whose
  output is declared without ``Optional``: the provider always gives it a
  value. :func:`computed_outputs` lists both.
- A provider function's result type (``GetVpcResult`` for ``aws.ec2.get_vpc``)
  declares the fields of its answer: :func:`function_fields`.

:func:`value_for` makes one value from a field's name and type: ids in AWS's
formats (``vpc-…``, ``sg-…``, ``ami-…``), ARNs, host names, addresses, CIDRs,
ports, one element per list of objects and two per list of scalars, nested
objects field by field. Values are derived from a hash of where they are made,
so two runs of the same program agree.
"""

from __future__ import annotations

import enum
import functools
import hashlib
import importlib
import re
import sys
import threading
import types
import typing
import uuid
from collections import abc
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pulumi

NO_VALUE = object()
"""What :func:`value_for` returns for a type it cannot make (a resource, ``Any``)."""

# Availability zones per region (names end in these letters); other regions get three.
AZ_LETTERS = {"us-east-1": "abcdef", "us-west-2": "abcd", "ap-northeast-1": "acd"}
AZ_ID_PREFIX = {"us-east-1": "use1", "us-east-2": "use2", "us-west-1": "usw1", "us-west-2": "usw2",
                "eu-west-1": "euw1", "eu-central-1": "euc1", "ap-northeast-1": "apne1"}

# AWS's EC2-style ids are "<prefix>-<17 hex>"; the prefix follows what the id names (the end of `vpcId`,
# `defaultSecurityGroupId`, or a data source's noun).
_ID_PREFIXES = {
    "vpc": "vpc", "subnet": "subnet", "securitygroup": "sg", "ami": "ami", "image": "ami", "instance": "i",
    "internetgateway": "igw", "egressonlyinternetgateway": "eigw", "natgateway": "nat", "routetable": "rtb",
    "networkacl": "acl", "networkinterface": "eni", "allocation": "eipalloc", "eip": "eipalloc", "volume": "vol",
    "snapshot": "snap", "transitgateway": "tgw", "prefixlist": "pl", "dhcpoptions": "dopt", "vpcendpoint": "vpce",
    "launchtemplate": "lt", "peeringconnection": "pcx", "customergateway": "cgw", "vpngateway": "vgw",
    "keypair": "key", "flowlog": "fl", "securitygrouprule": "sgr", "carriergateway": "cagw",
    "placementgroup": "pg", "capacityreservation": "cr",
}
_NOUNS_LONGEST_FIRST = sorted(_ID_PREFIXES, key=len, reverse=True)

# Default ports of database and cache engines (an engine name starts with one of these).
_ENGINE_PORTS = {"aurora-postgresql": 5432, "postgres": 5432, "aurora": 3306, "mysql": 3306, "mariadb": 3306,
                 "oracle": 1521, "sqlserver": 1433, "docdb": 27017, "neptune": 8182, "redis": 6379,
                 "valkey": 6379, "memcached": 11211}

# String fields whose values come from a small set: the common one.
_KNOWN_STRINGS = {"architecture": "x86_64", "virtualizationType": "hvm", "rootDeviceType": "ebs",
                  "rootDeviceName": "/dev/xvda", "hypervisor": "xen", "imageType": "machine", "platform": "",
                  "instanceTenancy": "default", "tenancy": "default", "instanceType": "t3.micro",
                  "dnsSuffix": "amazonaws.com"}

# Services whose ARNs have no region.
_GLOBAL_SERVICES = frozenset({"iam", "route53", "cloudfront", "organizations", "s3", "waf", "shield"})
_MAX_DEPTH = 4
_TIMESTAMP = "2024-01-01T00:00:00Z"


# ---------------------------------------------------------------------------
# Reading the SDK.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Field:
    """One property of an SDK class."""

    hint: Any
    """Its type, without the ``Output[...]`` and ``Optional[...]`` around it."""
    optional: bool
    """Declared ``Optional``: the provider may leave it unset."""


class _NotLoadedYet(Exception):
    """The SDK module is still waiting to be loaded lazily, and this thread must not be the one to load it."""


def _module_for(token: str) -> tuple[Any, str] | None:
    """The SDK module a token lives in and the token's last part (``pulumi_aws.rds``, ``Instance``)."""
    parts = token.split(":")
    if len(parts) != 3:
        return None
    package, module, name = parts
    python_package = "pulumi_" + package.replace("-", "_")
    module = module.split("/", 1)[0]
    path = python_package if module == "index" else f"{python_package}.{module}"
    # A module named like a Python keyword gets an underscore (aws:lambda/... is pulumi_aws.lambda_).
    for candidate in (path, path + "_"):
        loaded = sys.modules.get(candidate)
        # Pulumi SDKs load their modules lazily (importlib's LazyLoader, not thread-safe before Python 3.12):
        # loading one on an engine thread while the program's thread loads it too leaves a half-made module.
        # Off the main thread, a module the program has not loaded yet is left alone (type() reads no attribute).
        if loaded is not None and type(loaded) is not types.ModuleType \
                and threading.current_thread() is not threading.main_thread():
            raise _NotLoadedYet(candidate)
        try:
            module = importlib.import_module(candidate)
        except ImportError:
            continue
        # Importing may have just made the lazy module: reading an attribute would load it on this thread.
        if type(module) is not types.ModuleType and threading.current_thread() is not threading.main_thread():
            raise _NotLoadedYet(candidate)
        return module, name
    return None


_RESOURCE_CLASSES: dict[str, type | None] = {}
_RESULT_CLASSES: dict[str, type | None] = {}


def resource_class(type_token: str) -> type | None:
    """The SDK class of a resource type, or None when no installed SDK has it (or it is not loaded yet)."""
    if type_token not in _RESOURCE_CLASSES:
        try:
            found = _module_for(type_token)
        except _NotLoadedYet:
            return None
        cls = getattr(found[0], found[1], None) if found is not None else None
        if not isinstance(cls, type) or getattr(cls, "pulumi_type", type_token) != type_token:
            return None  # not cached: a module another thread is still loading may have it later
        _RESOURCE_CLASSES[type_token] = cls
    return _RESOURCE_CLASSES[type_token]


def function_result_class(token: str) -> type | None:
    """The result type of a provider function (``aws:ec2/getVpc:getVpc`` → ``GetVpcResult``), or None."""
    if token not in _RESULT_CLASSES:
        try:
            found = _module_for(token)
        except _NotLoadedYet:
            return None
        _RESULT_CLASSES[token] = _result_class(*found) if found is not None else None
    return _RESULT_CLASSES[token]


def _result_class(module: Any, name: str) -> type | None:
    # The function is the token's name in snake case (getVpc → get_vpc); a name with an acronym
    # (getIPRanges → get_ip_ranges) is found by comparing without underscores.
    function = getattr(module, re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower(), None)
    if function is None:
        wanted = name.lower()
        function = next((value for attribute, value in vars(module).items()
                         if callable(value) and attribute.replace("_", "").lower() == wanted), None)
    if function is None or isinstance(function, type):
        return None
    result = _hints(function).get("return")
    return result if isinstance(result, type) else None


def _hints(function: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(function)
    except Exception:  # noqa: BLE001 - an annotation the SDK cannot resolve: no type known
        return {}


@functools.cache
def _getters(cls: type) -> dict[str, Any]:
    """The getter of every property an SDK class declares with ``@pulumi.getter``, by engine (camelCase) name."""
    getters: dict[str, Any] = {}
    for base in reversed(cls.__mro__):
        for member in vars(base).values():
            # pulumi.getter keeps the engine name on the getter; without it, the property is not an SDK field.
            engine_name = getattr(member.fget, "_pulumi_name", None) if isinstance(member, property) else None
            if isinstance(engine_name, str):
                getters[engine_name] = member.fget
    return getters


def _field(getter: Any) -> Field:
    hint = _hints(getter).get("return", Any)
    if typing.get_origin(hint) is pulumi.Output:
        hint = typing.get_args(hint)[0]
    return Field(*_strip_optional(hint))


@functools.cache
def sdk_fields(cls: type) -> dict[str, Field]:
    """Every property an SDK class declares, under its engine (camelCase) name, with its type."""
    return {name: _field(getter) for name, getter in _getters(cls).items()}


def _strip_optional(hint: Any) -> tuple[Any, bool]:
    if typing.get_origin(hint) in (typing.Union, _UnionType):
        members = [m for m in typing.get_args(hint) if m is not type(None)]
        return (members[0] if members else Any), len(members) < len(typing.get_args(hint))
    return hint, False


_UnionType = type(int | None)


def computed_outputs(type_token: str) -> dict[str, Field]:
    """The outputs of a resource type the provider computes when the program does not set them.

    Those the SDK declares as outputs only, and optional inputs whose output is
    not ``Optional`` (the provider fills them in). Empty when the SDK has no
    class for the type or no ``<Class>Args`` to tell inputs from outputs.
    """
    cls = resource_class(type_token)
    return _computed_outputs(cls) if cls is not None else {}


@functools.cache
def _computed_outputs(cls: type) -> dict[str, Field]:
    args_cls = getattr(sys.modules[cls.__module__], cls.__name__ + "Args", None)
    if not isinstance(args_cls, type):
        return {}
    inputs = _getters(args_cls)
    computed = {}
    for key, getter in _getters(cls).items():
        found = _field(getter)
        if key not in ("id", "urn") and (key not in inputs or not found.optional):
            computed[key] = found
    return computed


def function_fields(token: str) -> dict[str, Field] | None:
    """The fields of a provider function's result, or None when no installed SDK has the function."""
    result = function_result_class(token)
    return sdk_fields(result) if result is not None else None


# ---------------------------------------------------------------------------
# Making values.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Place:
    """Where a value is made: the names it can refer to and the seed that keeps it stable."""

    partition: str
    region: str
    account: str
    service: str
    """The token's module (``rds``, ``ec2``): the service in ARNs and host names."""
    noun: str
    """What the resource or data source is (``Instance``, ``Subnets``)."""
    name: str = ""
    """The physical name, when there is one."""
    seed: str = ""
    given: Mapping[str, Any] = field(default_factory=dict)
    """The inputs or arguments, for values that follow them (an engine's port, a password's length)."""

    @classmethod
    def of(cls, token: str, **kwargs: Any) -> Place:
        parts = token.split(":")
        service = parts[1].split("/", 1)[0] if len(parts) == 3 else "index"
        noun = parts[-1]
        return cls(service=service, noun=noun[:1].upper() + noun[1:], seed=kwargs.pop("seed", token), **kwargs)

    def hex(self, key: str, size: int) -> str:
        digest = hashlib.sha256(f"{self.seed}/{key}".encode()).hexdigest()
        return (digest * (size // len(digest) + 1))[:size]

    def digits(self, key: str, size: int) -> str:
        return "".join(str(int(c, 16) % 10) for c in self.hex(key, size))

    def uuid(self, key: str) -> str:
        return str(uuid.UUID(self.hex(key, 32)))


def value_for(key: str, hint: Any, place: Place, depth: int = 0) -> Any:
    """A realistic value for field ``key`` of type ``hint``, or :data:`NO_VALUE`."""
    hint, _ = _strip_optional(hint)
    origin = typing.get_origin(hint)
    if origin in (list, abc.Sequence):
        item = (typing.get_args(hint) or (Any,))[0]
        # A computed list of objects usually has one (a cache node, an endpoint); scalars come two by two
        # (subnet ids, name servers), as a load balancer needs two subnets.
        count = 1 if _is_object(item) else 2
        singular = _singular(key)
        values = [value_for(singular, item, replace(place, seed=f"{place.seed}/{key}[{i}]"), depth + 1)
                  for i in range(count)]
        return [v for v in values if v is not NO_VALUE]
    if origin in (dict, abc.Mapping):
        return {}
    if hint is bool:
        return False
    if hint is int or hint is float:
        return hint(_number(key, place))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return next(iter(hint)).value
    if hint is str:
        return _string(key, place)
    if _is_object(hint) and depth < _MAX_DEPTH:
        return object_for(hint, place, depth=depth + 1)
    return NO_VALUE


def object_for(cls: type, place: Place, given: Mapping[str, Any] | None = None, depth: int = 0,
               keys: typing.Iterable[str] | None = None) -> dict[str, Any]:
    """A value for each field of an SDK object type (or each of ``keys``); ``given`` values are kept."""
    fields = sdk_fields(cls)
    out: dict[str, Any] = {}
    for key in fields if keys is None else keys:
        if given is not None and given.get(key) is not None:
            out[key] = given[key]
            continue
        value = value_for(key, fields[key].hint, place, depth)
        if value is not NO_VALUE:
            out[key] = value
    return out


def as_declared(value: Any, hint: Any) -> Any:
    """``value`` as the type the SDK declares, where the provider would convert it (``"true"`` → True).

    An argument echoed into a result must have the result's type: the SDK's
    result classes reject a string where they declare a bool.
    """
    hint, _ = _strip_optional(hint)
    if hint is bool and isinstance(value, str):
        return value.strip().lower() == "true"
    if hint in (int, float) and isinstance(value, str):
        try:
            return hint(value)
        except ValueError:
            return value
    if hint is str and isinstance(value, bool):
        return "true" if value else "false"
    if hint is str and isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    return value


def _is_object(hint: Any) -> bool:
    return isinstance(hint, type) and not issubclass(hint, pulumi.Resource) and bool(sdk_fields(hint))


def _singular(key: str) -> str:
    if key.endswith("ies"):
        return key[:-3] + "y"
    if key.endswith(("sses", "xes")):
        return key[:-2]
    return key[:-1] if key.endswith("s") and not key.endswith("ss") else key


def engine_port(engine: Any) -> int | None:
    """The default port of a database or cache engine (``postgres`` → 5432), or None."""
    text = str(engine or "")
    for prefix, port in _ENGINE_PORTS.items():
        if text.startswith(prefix):
            return port
    return None


def _number(key: str, place: Place) -> int:
    if _ends(key, "port"):
        return engine_port(place.given.get("engine")) or 443
    if key == "result" and isinstance(place.given.get("min"), int | float):
        return int(place.given["min"])
    return 1


def az_name(region: str, index: int = 0) -> str:
    letters = AZ_LETTERS.get(region, "abc")
    return f"{region}{letters[index % len(letters)]}"


def az_id(region: str, index: int = 0) -> str:
    return f"{AZ_ID_PREFIX.get(region, region.replace('-', '')[:5])}-az{index + 1}"


def _index(place: Place) -> int:
    """Which element of a list a value is (0 outside lists), from the seed's last ``[i]``."""
    found = re.search(r"\[(\d+)\]$", place.seed)
    return int(found.group(1)) if found else 0


def _kebab(text: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", text).lower()


def _label(place: Place) -> str:
    name = re.sub(r"[^a-z0-9-]", "-", (place.name or _kebab(place.noun)).lower()).strip("-")
    return name or "resource"


def _host(place: Place, key: str) -> str:
    return f"{_label(place)}.{place.hex(key, 12)}.{place.region}.{place.service}.amazonaws.com"


def _arn(key: str, place: Place) -> str:
    stem = key[:-3] if key.lower().endswith("arn") and len(key) > 3 else place.noun
    region = "" if place.service in _GLOBAL_SERVICES else place.region
    return (f"arn:{place.partition}:{place.service}:{region}:{place.account}:{_kebab(stem) or 'resource'}/"
            f"{_label(place)}-{place.hex(key, 8)}")


def _id(stem: str, place: Place, key: str) -> str:
    lowered = stem.lower()
    for noun in _NOUNS_LONGEST_FIRST:
        if lowered.endswith(noun):
            return f"{_ID_PREFIXES[noun]}-{place.hex(key, 17)}"
    return f"{_kebab(stem) or _label(place)}-{place.hex(key, 17)}"


def _ends(key: str, *words: str) -> bool:
    """Whether camelCase ``key`` is one of ``words`` or ends with one as a whole word (``vpcId``, not ``valid``)."""
    return any(key == w or key.endswith(w[:1].upper() + w[1:]) for w in words)


def _string(key: str, place: Place) -> str:
    """A string shaped by what the field's name says it holds."""
    if key in _KNOWN_STRINGS:
        return _KNOWN_STRINGS[key]
    if key == "region":
        return place.region
    if key == "partition":
        return place.partition
    if _ends(key, "availabilityZoneId"):
        return az_id(place.region, _index(place))
    if _ends(key, "availabilityZone"):
        return az_name(place.region, _index(place))
    if _ends(key, "accountId", "ownerId", "registryId"):
        return place.account
    if _ends(key, "arn"):
        return _arn(key, place)
    if key == "id":
        # A data source's own id: an EC2-style id when it names an EC2 thing (getVpc, getSubnets), else the region.
        noun = _singular(place.noun)
        return _id(noun, place, key) if place.service in ("ec2", "vpc") else place.region
    if _ends(key, "zoneId"):
        return "Z" + place.hex(key, 13).upper()
    if _ends(key, "keyId"):
        return place.uuid(key)
    if _ends(key, "id"):
        return _id(key[:-2], place, key)
    if _ends(key, "cidr", "cidrBlock"):
        return "2600:1f18:1234:5600::/56" if "ipv6" in key.lower() else f"10.{_index(place)}.0.0/16"
    if _ends(key, "ip", "ipAddress", "ipv4Address", "ipv6Address"):
        if "ipv6" in key.lower():
            return f"2600:1f18:1234:5600::{place.digits(key, 2)}"
        octet = int(place.digits(key, 2)) + 1
        return f"203.0.113.{octet}" if "public" in key.lower() else f"10.0.{_index(place)}.{octet}"
    if _ends(key, "url", "uri"):
        return "https://" + _host(place, key)
    if _ends(key, "dnsName", "dns", "address", "hostname", "host", "fqdn", "endpoint", "domainName"):
        return _host(place, key)
    if _ends(key, "date", "time", "timestamp", "at"):
        return _TIMESTAMP
    if _ends(key, "digest", "sha256Digest"):
        return "sha256:" + place.hex(key, 64)
    if key == "name":
        return place.name or f"{_label(place)}-{place.hex(key, 7)}"
    if _ends(key, "name"):
        return f"{_kebab(key[:-4])}-{place.hex(key, 7)}"
    if _ends(key, "result", "password", "token", "secret"):
        length = place.given.get("length")
        return place.hex(key, int(length) if isinstance(length, int | float) and length > 0 else 16)
    if _ends(key, "state", "status"):
        return "available"
    if _ends(key, "version"):
        return "1"
    return f"{_kebab(key)}-{place.hex(key, 8)}"
