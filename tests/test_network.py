"""Unit tests of components/network.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.network import INTERFACE_ENDPOINTS, Network, NetworkArgs, NotEnoughZonesError, subnet_cidrs
from tests.harness import Built, assert_children_parented_and_named, build_component

TOKEN = "fargate-platform:index:Network"
OUTPUTS = ("vpc_id", "vpc_cidr", "public_subnet_ids", "private_subnet_ids", "nat_gateway_ids", "flow_log_group_name")
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def build(mocks: Any, **overrides: Any) -> Built:
    args = NetworkArgs(**{"az_count": 3, "nat_strategy": "one-per-az", **overrides})
    return build_component(mocks, TOKEN, lambda opts: Network("net", args, opts=opts), OUTPUTS)


def test_subnet_cidrs_do_not_overlap():
    public, private = subnet_cidrs("10.0.0.0/16", 3)
    assert public == ["10.0.0.0/20", "10.0.16.0/20", "10.0.32.0/20"]
    assert private == ["10.0.128.0/20", "10.0.144.0/20", "10.0.160.0/20"]


def test_children_are_parented_and_named(pulumi_mocks):
    assert_children_parented_and_named(build(pulumi_mocks), "net")


def test_public_and_private_subnets_per_zone(pulumi_mocks):
    built = build(pulumi_mocks)
    subnets = built.of_type("aws:ec2/subnet:Subnet")
    private = [s for s in subnets if s.inputs["tags"]["Tier"] == "private"]
    public = [s for s in subnets if s.inputs["tags"]["Tier"] == "public"]
    assert len(private) == len(public) == 3
    assert len({s.inputs["availabilityZone"] for s in private}) == 3, "private subnets share a zone"
    for subnet in subnets:
        assert subnet.inputs["mapPublicIpOnLaunch"] is False, f"{subnet.urn}: maps public IPs on launch"
    assert len(built.outputs["private_subnet_ids"]) == 3


def test_outputs_are_the_created_resources(pulumi_mocks):
    built = build(pulumi_mocks)
    by_tier = {tier: [s.id for s in sorted(built.of_type("aws:ec2/subnet:Subnet"), key=lambda s: s.name)
                      if s.inputs["tags"]["Tier"] == tier] for tier in ("public", "private")}
    assert built.outputs["vpc_id"] == built.one("aws:ec2/vpc:Vpc", "net-vpc").id, "vpc_id"
    assert built.outputs["vpc_cidr"] == "10.0.0.0/16", "vpc_cidr"
    assert built.outputs["private_subnet_ids"] == by_tier["private"], "private_subnet_ids are not the private tier"
    assert built.outputs["public_subnet_ids"] == by_tier["public"], "public_subnet_ids are not the public tier"
    nats = sorted(built.of_type("aws:ec2/natGateway:NatGateway"), key=lambda n: n.name)
    assert built.outputs["nat_gateway_ids"] == [n.id for n in nats], "nat_gateway_ids"
    flow = built.one("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")
    assert built.outputs["flow_log_group_name"] == flow.outputs["name"], "flow_log_group_name"


def _default_routes(built: Built) -> dict[str, dict[str, Any]]:
    return {r.name: r.inputs for r in built.of_type("aws:ec2/route:Route")}


@pytest.mark.parametrize(("strategy", "nats"), [("single", 1), ("one-per-az", 3), ("none", 0)])
def test_nat_strategy(pulumi_mocks, strategy, nats):
    built = build(pulumi_mocks, nat_strategy=strategy)
    assert len(built.of_type("aws:ec2/natGateway:NatGateway")) == nats, strategy
    assert len(built.of_type("aws:ec2/eip:Eip")) == nats, strategy
    routes = _default_routes(built)
    private_routes = [r for name, r in routes.items() if name.startswith("net-private-default")]
    assert len(private_routes) == (3 if nats else 0), f"{strategy}: private default routes {sorted(routes)}"
    assert all("natGatewayId" in r and "gatewayId" not in r for r in private_routes), private_routes
    assert len({r["natGatewayId"] for r in private_routes}) == nats, f"{strategy}: routes per NAT"


def test_only_public_route_table_reaches_the_internet_gateway(pulumi_mocks):
    built = build(pulumi_mocks)
    igw_routes = [r for r in built.of_type("aws:ec2/route:Route") if "gatewayId" in r.inputs]
    assert [r.name for r in igw_routes] == ["net-public-default"]
    assert igw_routes[0].inputs["destinationCidrBlock"] == "0.0.0.0/0"


def test_flow_logs_with_retention_and_scoped_role(pulumi_mocks):
    built = build(pulumi_mocks, flow_log_retention_days=30, kms_key_arn=KMS, protect=True)
    group = built.one("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")
    assert group.inputs["retentionInDays"] == 30, group.urn
    assert group.inputs["kmsKeyId"] == KMS, group.urn
    assert group.opts.protect is True, f"{group.urn}: not protected"
    flow = built.one("aws:ec2/flowLog:FlowLog", "net-flow-log")
    assert flow.inputs["trafficType"] == "ALL", flow.urn
    assert flow.inputs["logDestinationType"] == "cloud-watch-logs", flow.urn
    policy = json.loads(built.one("aws:iam/rolePolicy:RolePolicy", "net-flow-logs-policy").inputs["policy"])
    for statement in policy["Statement"]:
        assert "*" not in statement["Resource"], f"flow log policy grants every resource: {statement}"


def test_default_security_group_has_no_rules(pulumi_mocks):
    group = build(pulumi_mocks).one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "net-default-sg")
    assert not group.inputs.get("ingress") and not group.inputs.get("egress"), group.urn


def test_no_endpoints_by_default(pulumi_mocks):
    assert not build(pulumi_mocks).of_type("aws:ec2/vpcEndpoint:VpcEndpoint")


def test_vpc_endpoints(pulumi_mocks):
    built = build(pulumi_mocks, vpc_endpoints=True, nat_strategy="none")
    endpoints = {e.inputs["serviceName"].rsplit(".", 1 if e.inputs["serviceName"].endswith("s3") else 2)[-1]: e
                 for e in built.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    names = {e.inputs["serviceName"] for e in endpoints.values()}
    for service in INTERFACE_ENDPOINTS:
        endpoint = next(e for e in endpoints.values() if e.inputs["serviceName"].endswith(f".{service}"))
        assert endpoint.inputs["vpcEndpointType"] == "Interface", endpoint.urn
        assert endpoint.inputs["privateDnsEnabled"] is True, endpoint.urn
        assert len(endpoint.inputs["subnetIds"]) == 3, endpoint.urn
    s3 = next(e for e in endpoints.values() if e.inputs["serviceName"] == "com.amazonaws.us-east-1.s3")
    assert s3.inputs["vpcEndpointType"] == "Gateway", s3.urn
    assert len(s3.inputs["routeTableIds"]) == 3, s3.urn
    assert len(names) == len(INTERFACE_ENDPOINTS) + 1
    sg = built.one("aws:ec2/securityGroup:SecurityGroup", "net-endpoints-sg")
    for rule in sg.inputs["ingress"]:
        assert rule["fromPort"] == rule["toPort"] == 443, sg.urn
        assert "0.0.0.0/0" not in rule["cidrBlocks"], sg.urn


def test_bring_your_own_vpc_creates_nothing(pulumi_mocks):
    built = build(pulumi_mocks, existing_vpc_id="vpc-0123456789abcdef0",
                  existing_private_subnet_ids=("subnet-01", "subnet-02"),
                  existing_public_subnet_ids=("subnet-03", "subnet-04"))
    assert not built.children, sorted(built.children)
    # Nothing of its own to report: no NAT gateways, no flow log, no CIDR it did not read.
    assert (built.outputs["nat_gateway_ids"], built.outputs["flow_log_group_name"], built.outputs["vpc_cidr"]) == \
        ([], "", ""), built.outputs
    assert built.component.availability_zones == [], "zones of subnets it did not create"
    # Tasks must land in the private subnets and the load balancer in the public ones, never the reverse.
    assert set(built.outputs["private_subnet_ids"]).isdisjoint(built.outputs["public_subnet_ids"]), built.outputs
    assert "subnet-01" in built.outputs["private_subnet_ids"], built.outputs


def test_explicit_zones_skip_the_lookup(pulumi_mocks):
    built = build(pulumi_mocks, az_count=2, availability_zones=("eu-west-1b", "eu-west-1c"))
    zones = sorted(s.inputs["availabilityZone"] for s in built.of_type("aws:ec2/subnet:Subnet"))
    assert zones == ["eu-west-1b", "eu-west-1b", "eu-west-1c", "eu-west-1c"]


def test_more_zones_than_the_region_has_is_refused_before_anything_is_created(pulumi_mocks):
    recorded = []
    original = pulumi_mocks.new_resource
    pulumi_mocks.new_resource = lambda args: (recorded.append(args.name), original(args))[1]
    with pytest.raises(NotEnoughZonesError, match=r"^9 zones requested but the region has 6$") as caught:
        build(pulumi_mocks, az_count=9)
    assert (caught.value.requested, caught.value.available) == (9, 6)
    assert [name for name in recorded if name != "net"] == [], "children created before the refusal"


def test_protected_by_default(pulumi_mocks):
    args = NetworkArgs()
    built = build_component(pulumi_mocks, TOKEN, lambda opts: Network("net", args, opts=opts), OUTPUTS)
    group = built.one("aws:cloudwatch/logGroup:LogGroup", "net-flow-logs")
    assert group.opts.protect is True, f"{group.urn}: not protected by default"
