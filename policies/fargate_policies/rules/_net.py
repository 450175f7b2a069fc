"""Helpers for stack rules that follow references from one resource to another.

A reference is a property that holds another resource's id, name or ARN
(``subnetId``, ``securityGroups``, ``role``...). At the first preview those
values are unknown, and in offline plans they can be placeholders, so a
reference is resolved two ways at once:

* by value, when the value is known: looked up among the ids, ARNs and names of
  the stack's resources;
* by the engine's ``property_dependencies``: the resources the property was
  computed from. The engine keys them by *top-level* property, so
  ``networkConfiguration.subnets`` is found under ``networkConfiguration``;
  filtering by resource type tells the subnets from the security groups.

:class:`StackIndex` is built once per check, so every lookup is a dict access
and a stack rule stays linear in the number of resources.

Placeholders. Under mocks (the offline plan) a resource's id is not among its
props, so a reference's value matches nothing by value. A dependency whose own
id the stack does not show may be what such a value names: :meth:`StackIndex.link`
counts those dependencies and reports values as external (managed outside the
stack) only when there are more unmatched values than such dependencies. EC2
ARNs end in the resource id, so the index also files resources under that id.

Unknown values. Rules do not catch pulumi-policy's ``UnknownValueError``: an
unknown *fact* (a CIDR, a flag) means the rule cannot decide, and the framework
reports that. A reference is different: its value is only a key, and when it is
unknown the property dependency carries the link. So this module reads
references through :func:`reference_values`, which keeps the error instead of
raising it; :meth:`StackIndex.link` drops it when a dependency explains the
value, and hands it back in :attr:`Link.unknown` otherwise, for the rule to
raise if it needs that link.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy.proxy import UnknownValueError

from ._common import VPC, get

# Types the stack rules read that ``_common`` has no tuple for.
MAIN_ROUTE_TABLE_ASSOCIATION = ("aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation",)
DEFAULT_ROUTE_TABLE = ("aws:ec2/defaultRouteTable:DefaultRouteTable",)
IAM_ROLE_POLICY_ATTACHMENT = ("aws:iam/rolePolicyAttachment:RolePolicyAttachment",)

DEFAULT_VPC = ("aws:ec2/defaultVpc:DefaultVpc",)

# Props under which a resource can be referred to. A VPC is also referred to by the ids of its main route table
# and of its default security group (rules attached to that group name the VPC's defaultSecurityGroupId).
_KEYS = ("id", "arn", "name")
_EXTRA_KEYS: Mapping[str, tuple[str, ...]] = {
    **{t: ("mainRouteTableId", "defaultRouteTableId", "defaultSecurityGroupId") for t in VPC},
    **{t: ("defaultSecurityGroupId",) for t in DEFAULT_VPC},
}


def known_string(props: Any, *path: str | int) -> str | None:
    """A non-empty string at ``path``, or None when it is missing, not a string, or unknown at preview."""
    try:
        value = get(props, *path)
    except UnknownValueError:
        return None
    return value if isinstance(value, str) and value else None


def reference_values(props: Any, *path: str | int) -> tuple[list[str], UnknownValueError | None, int]:
    """The known strings of a reference (one string or a list of them), the first unknown-value error met,
    and how many values were unknown."""
    try:
        node = get(props, *path)
    except UnknownValueError as exc:
        return [], exc, 1
    if isinstance(node, str):
        return ([node] if node else []), None, 0
    values: list[str] = []
    unknown: UnknownValueError | None = None
    unknown_count = 0
    if isinstance(node, Sequence) and not isinstance(node, bytes):
        for i in range(len(node)):
            try:
                item = node[i]
            except UnknownValueError as exc:
                unknown = unknown or exc
                unknown_count += 1
                continue
            if isinstance(item, str) and item:
                values.append(item)
    return values, unknown, unknown_count


def label(resource: Any) -> str:
    """How messages name a resource: its Pulumi name, else the last part of its URN."""
    name = getattr(resource, "name", None)
    if isinstance(name, str) and name:
        return name
    urn = getattr(resource, "urn", None)
    return urn.rsplit("::", 1)[-1] if isinstance(urn, str) and urn else "<unnamed>"


def is_world(cidr: Any) -> bool:
    """True for a CIDR that covers every address of its family (``0.0.0.0/0``, ``::/0``)."""
    if not isinstance(cidr, str):
        return False
    try:
        return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen == 0
    except ValueError:
        return False


class Link:
    """Where a reference leads.

    ``targets``: resources of the wanted types in this stack, each once.
    ``external``: known values that match no resource of the wanted types
    (resources managed elsewhere). ``unknown``: set when a value was unknown
    and no property dependency explains it, so the link cannot be decided.
    """

    __slots__ = ("targets", "external", "unknown")

    def __init__(self) -> None:
        self.targets: list[Any] = []
        self.external: list[str] = []
        self.unknown: UnknownValueError | None = None


class StackIndex:
    """The stack's resources by URN, by type, and by every id, ARN and name they can be referred to by."""

    def __init__(self, resources: Iterable[Any]) -> None:
        self.by_urn: dict[str, Any] = {}
        self._by_type: dict[str, list[Any]] = defaultdict(list)
        self._by_key: dict[str, list[Any]] = defaultdict(list)
        for resource in resources if isinstance(resources, Iterable) else ():
            urn = getattr(resource, "urn", None)
            rtype = getattr(resource, "resource_type", None)
            if not isinstance(urn, str) or not isinstance(rtype, str) or urn in self.by_urn:
                continue
            self.by_urn[urn] = resource
            self._by_type[rtype].append(resource)
            props = getattr(resource, "props", None)
            for key in _KEYS + _EXTRA_KEYS.get(rtype, ()):
                value = known_string(props, key)
                if value is not None:
                    self._by_key[value].append(resource)
            # An EC2 ARN ends in the resource id (arn:aws:ec2:region:account:subnet/subnet-0abc): index that
            # id too, for engines and mocks whose outputs carry the ARN but no ``id`` property.
            arn = known_string(props, "arn")
            if arn is not None and arn.split(":")[2:3] == ["ec2"] and "/" in arn:
                ec2_id = arn.rsplit("/", 1)[1]
                if ec2_id and all(r is not resource for r in self._by_key.get(ec2_id, ())):
                    self._by_key[ec2_id].append(resource)

    def of_type(self, types: Sequence[str]) -> list[Any]:
        """Resources whose type is one of ``types``, in stack order per type."""
        found: list[Any] = []
        for rtype in dict.fromkeys(types):
            found.extend(self._by_type.get(rtype, ()))
        return found

    def find(self, value: str, types: Sequence[str]) -> list[Any]:
        """Resources of ``types`` whose id, ARN or name is ``value``."""
        return [r for r in self._by_key.get(value, ()) if r.resource_type in types]

    def dependencies(self, resource: Any, keys: Sequence[str], types: Sequence[str] | None) -> list[Any]:
        """Resources of ``types`` (any type for None) that the properties ``keys`` of ``resource`` came from."""
        deps = getattr(resource, "property_dependencies", None)
        if not isinstance(deps, Mapping):
            return []
        found: list[Any] = []
        for key in keys:
            entries = deps.get(key)
            if not isinstance(entries, Sequence):
                continue
            for dep in entries:
                urn = getattr(dep, "urn", None)
                if isinstance(urn, str) and (types is None or getattr(dep, "resource_type", None) in types):
                    found.append(self.by_urn.get(urn, dep))
        return found

    def link(self, resource: Any, path: Sequence[str | int], types: Sequence[str],
             dependency_keys: Sequence[str] | None = None, *, shared: bool = False) -> Link:
        """Follow the reference at ``path`` of ``resource`` to resources of ``types``.

        ``dependency_keys`` are the property-dependency keys to consult (default: the first step of
        ``path``). ``shared=True`` says those dependencies also cover sibling values (the ``gatewayId``
        of every inline route is under ``routes``); they are then used only when this value is unknown.
        """
        values, unknown, unknown_count = reference_values(getattr(resource, "props", None), *path)
        keys = tuple(dependency_keys) if dependency_keys is not None else (str(path[0]),)
        result = Link()
        seen: set[str] = set()

        def add(target: Any) -> None:
            if target.urn not in seen:
                seen.add(target.urn)
                result.targets.append(target)

        unmatched: list[str] = []
        for value in values:
            matches = self.find(value, types)
            for target in matches:
                add(target)
            if not matches:
                unmatched.append(value)
        if not shared or unknown is not None:
            # Dependencies whose id the stack does not show (no ``id`` in their props) are what the unknown
            # values name, and may be what the unmatched ones name: when enough are left, none is external.
            anonymous = -unknown_count
            for target in self.dependencies(resource, keys, types):
                if target.urn not in seen and known_string(getattr(target, "props", None), "id") is None:
                    anonymous += 1
                add(target)
            if anonymous >= len(unmatched):
                unmatched = []
            # An unknown value with a dependency was computed from a resource of this stack: the typed
            # dependencies are what it can refer to, and when there are none it refers to nothing wanted.
            if unknown is not None and self.dependencies(resource, keys, None):
                unknown = None
        result.external = unmatched
        result.unknown = unknown
        return result
