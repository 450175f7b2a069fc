"""Whether a subnet of the stack routes to the internet.

Shared by ``require-ecs-private-subnets`` and ``disallow-private-subnet-public-ip``.
A subnet is public by routing when a route table it uses sends a default route
(``0.0.0.0/0`` or ``::/0``) to an internet gateway. The route table a subnet uses
is the one a ``RouteTableAssociation`` names, else the main route table of its
VPC. Routes are inline (``routes`` of a ``RouteTable`` or ``DefaultRouteTable``)
or separate ``Route`` resources. A route table can also be named through its
VPC (``vpc.main_route_table_id``): the engine then records a dependency on the
VPC, and the route counts for that VPC's main route table.

Everything is indexed once in :class:`Routing`; a verdict per subnet is then a
few dict lookups.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, NamedTuple

from pulumi_policy.proxy import UnknownValueError

from ._common import (
    INTERNET_GATEWAY,
    ROUTE,
    ROUTE_TABLE,
    ROUTE_TABLE_ASSOCIATION,
    SUBNET,
    VPC,
    as_list,
    get,
)
from ._net import DEFAULT_ROUTE_TABLE, MAIN_ROUTE_TABLE_ASSOCIATION, Link, StackIndex, is_world, label

#: Every type whose props the routing code reads.
TYPES = (
    *SUBNET,
    *VPC,
    *ROUTE_TABLE,
    *DEFAULT_ROUTE_TABLE,
    *ROUTE,
    *ROUTE_TABLE_ASSOCIATION,
    *MAIN_ROUTE_TABLE_ASSOCIATION,
    *INTERNET_GATEWAY,
)
_TABLES = (*ROUTE_TABLE, *DEFAULT_ROUTE_TABLE, *VPC)

# A route table is ("table", urn) for a RouteTable/DefaultRouteTable, or ("main", vpc urn) for a VPC's main table.
TableKey = tuple[str, str]

# How verdicts describe a default route to the internet (rules put the description in their messages).
TABLE = "route table '{table}'"
MAIN_TABLE = "the main route table of VPC '{vpc}'"
GATEWAY = "internet gateway '{gateway}'"
INTERNET_ROUTE = "{table} sends {destination} to {gateway}"
ROUTE_RESOURCE = " (route '{route}')"


class Verdict(NamedTuple):
    """How a subnet routes: through an internet gateway, privately, or unknown to this stack."""

    internet_route: str | None = None
    """The default route to an internet gateway, described for a message; None when there is none."""
    undecided: str | None = None
    """Why the stack does not show the subnet's routing (a route table managed elsewhere)."""

    @property
    def private(self) -> bool:
        return self.internet_route is None and self.undecided is None


class Routing:
    """Route tables, their associations and their default routes to internet gateways, indexed once."""

    def __init__(self, index: StackIndex) -> None:
        self.index = index
        self._labels: dict[TableKey, str] = {}
        self._internet: dict[TableKey, list[str]] = defaultdict(list)
        self._tables: dict[str, list[TableKey]] = defaultdict(list)
        self._external: dict[str, list[str]] = defaultdict(list)
        self._main: dict[str, list[TableKey]] = defaultdict(list)
        self._main_external: dict[str, list[str]] = defaultdict(list)
        self._unresolved_association: UnknownValueError | None = None
        self._unresolved_route: UnknownValueError | None = None
        self._unresolved_table: dict[str, UnknownValueError] = {}
        self._verdicts: dict[str, Verdict] = {}
        self._index_inline_routes()
        self._index_route_resources()
        self._index_associations()
        self._index_main_tables()

    # -- indexing ------------------------------------------------------------
    def _keys(self, link: Link) -> list[TableKey]:
        keys: list[TableKey] = []
        for target in link.targets:
            if target.resource_type in VPC:
                key: TableKey = ("main", target.urn)
                self._labels[key] = MAIN_TABLE.format(vpc=label(target))
            else:
                key = ("table", target.urn)
                self._labels[key] = TABLE.format(table=label(target))
            keys.append(key)
        return keys

    def _gateway(self, link: Link) -> str | None:
        """How a message names the internet gateway a route leads to; None when it leads elsewhere."""
        if link.targets:
            return GATEWAY.format(gateway=label(link.targets[0]))
        for value in link.external:
            if value.startswith("igw-"):
                return GATEWAY.format(gateway=value)
        return None

    def _index_inline_routes(self) -> None:
        for table in self.index.of_type((*ROUTE_TABLE, *DEFAULT_ROUTE_TABLE)):
            key: TableKey = ("table", table.urn)
            self._labels[key] = TABLE.format(table=label(table))
            for i, route in enumerate(as_list(get(table.props, "routes"))):
                for field_name in ("cidrBlock", "ipv6CidrBlock"):
                    destination = get(route, field_name)
                    if not is_world(destination):
                        continue
                    link = self.index.link(table, ("routes", i, "gatewayId"), INTERNET_GATEWAY, shared=True)
                    if link.unknown is not None:
                        self._unresolved_route = self._unresolved_route or link.unknown
                    gateway = self._gateway(link)
                    if gateway:
                        self._internet[key].append(
                            INTERNET_ROUTE.format(table=self._labels[key], destination=destination, gateway=gateway)
                        )

    def _index_route_resources(self) -> None:
        for route in self.index.of_type(ROUTE):
            for field_name in ("destinationCidrBlock", "destinationIpv6CidrBlock"):
                destination = get(route.props, field_name)
                if not is_world(destination):
                    continue
                gateway_link = self.index.link(route, ("gatewayId",), INTERNET_GATEWAY)
                gateway = self._gateway(gateway_link)
                if gateway is None:
                    if gateway_link.unknown is not None:
                        self._unresolved_route = self._unresolved_route or gateway_link.unknown
                    continue
                table_link = self.index.link(route, ("routeTableId",), _TABLES)
                if table_link.unknown is not None:
                    self._unresolved_route = self._unresolved_route or table_link.unknown
                for key in self._keys(table_link):
                    self._internet[key].append(
                        INTERNET_ROUTE.format(table=self._labels[key], destination=destination, gateway=gateway)
                        + ROUTE_RESOURCE.format(route=label(route))
                    )

    def _index_associations(self) -> None:
        for association in self.index.of_type(ROUTE_TABLE_ASSOCIATION):
            subnets = self.index.link(association, ("subnetId",), SUBNET)
            if subnets.unknown is not None:
                self._unresolved_association = self._unresolved_association or subnets.unknown
            if not subnets.targets:
                continue  # a gateway association, or a subnet managed elsewhere
            tables = self.index.link(association, ("routeTableId",), _TABLES)
            keys = self._keys(tables)
            for subnet in subnets.targets:
                self._tables[subnet.urn].extend(keys)
                self._external[subnet.urn].extend(tables.external)
                if tables.unknown is not None and not keys:
                    self._unresolved_table[subnet.urn] = tables.unknown

    def _index_main_tables(self) -> None:
        for association in self.index.of_type(MAIN_ROUTE_TABLE_ASSOCIATION):
            vpcs = self.index.link(association, ("vpcId",), VPC)
            tables = self.index.link(association, ("routeTableId",), _TABLES)
            keys = self._keys(tables)
            for vpc in vpcs.targets:
                self._main[vpc.urn].extend(keys)
                self._main_external[vpc.urn].extend(tables.external)
        for table in self.index.of_type(DEFAULT_ROUTE_TABLE):
            for vpc in self.index.link(table, ("defaultRouteTableId",), VPC).targets:
                self._main[vpc.urn].append(("table", table.urn))

    # -- verdicts ------------------------------------------------------------
    def _routes_of(self, key: TableKey) -> list[str]:
        routes = list(self._internet.get(key, ()))
        if key[0] == "main":
            for member in self._main.get(key[1], ()):
                routes.extend(self._internet.get(member, ()))
        return routes

    def verdict(self, subnet: Any) -> Verdict:
        """How ``subnet`` (a resource of this stack) routes; raises UnknownValueError when the stack cannot tell."""
        cached = self._verdicts.get(subnet.urn)
        if cached is None:
            cached = self._verdicts[subnet.urn] = self._decide(subnet)
        return cached

    def _decide(self, subnet: Any) -> Verdict:
        keys = list(self._tables.get(subnet.urn, ()))
        undecided: str | None = None
        external = self._external.get(subnet.urn, [])
        if subnet.urn in self._unresolved_table:
            raise self._unresolved_table[subnet.urn]
        if external:
            undecided = f"its route table {external[0]!r} is managed outside this stack"
        elif not keys:
            if self._unresolved_association is not None:
                raise self._unresolved_association
            vpcs = self.index.link(subnet, ("vpcId",), VPC)
            if vpcs.unknown is not None and not vpcs.targets:
                raise vpcs.unknown
            if not vpcs.targets:
                vpc_id = vpcs.external[0] if vpcs.external else "not set"
                undecided = (
                    f"it has no route table association in this stack and its VPC ({vpc_id}) is managed "
                    "outside this stack"
                )
            for vpc in vpcs.targets:
                key: TableKey = ("main", vpc.urn)
                self._labels.setdefault(key, MAIN_TABLE.format(vpc=label(vpc)))
                keys.append(key)
                if self._main_external.get(vpc.urn):
                    undecided = (
                        f"the main route table of its VPC is {self._main_external[vpc.urn][0]!r}, "
                        "managed outside this stack"
                    )
        for key in keys:
            routes = self._routes_of(key)
            if routes:
                return Verdict(internet_route=routes[0])
        if undecided is not None:
            return Verdict(undecided=undecided)
        if self._unresolved_route is not None:
            raise self._unresolved_route
        return Verdict()
