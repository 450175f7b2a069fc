"""The stack's network: a VPC with public and private subnets, or an existing one."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import pulumi
import pulumi_aws as aws

from components.tagging import tagged

# Interface endpoints that let tasks pull images, ship logs and read secrets without NAT.
INTERFACE_ENDPOINTS = ("ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm")


@dataclass(frozen=True)
class NetworkArgs:
    """Inputs of :class:`Network`."""

    cidr: str = "10.0.0.0/16"
    """CIDR of the created VPC."""
    az_count: int = 2
    """Availability zones the VPC spans (one public and one private subnet in each)."""
    availability_zones: Sequence[str] = ()
    """Explicit zone names; empty looks up the region's available zones."""
    nat_strategy: Literal["single", "one-per-az", "none"] = "single"
    """NAT gateways: one shared, one per zone (zone-independent egress), or none."""
    vpc_endpoints: bool = False
    """Create interface endpoints for ECR, logs, Secrets Manager and SSM, and an S3 gateway endpoint."""
    flow_log_retention_days: int = 14
    """Retention of the flow log group (days)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS key that encrypts the flow log group; None uses CloudWatch's default encryption."""
    protect: bool = True
    """Protect the flow log group from deletion."""
    existing_vpc_id: str = ""
    """Use this VPC instead of creating one; nothing is created then."""
    existing_private_subnet_ids: Sequence[str] = field(default_factory=tuple)
    """Private subnets of the existing VPC."""
    existing_public_subnet_ids: Sequence[str] = field(default_factory=tuple)
    """Public subnets of the existing VPC."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


class NotEnoughZonesError(ValueError):
    """The region has fewer available zones than ``az_count`` asks for."""

    def __init__(self, requested: int, available: int) -> None:
        self.requested = requested
        self.available = available
        super().__init__(f"{requested} zones requested but the region has {available}")


def subnet_cidrs(cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """Public and private subnet CIDRs: 16 equal blocks, public from the first, private from the ninth."""
    blocks = list(ipaddress.ip_network(cidr).subnets(prefixlen_diff=4))
    return [str(b) for b in blocks[:az_count]], [str(b) for b in blocks[8:8 + az_count]]


class Network(pulumi.ComponentResource):
    """A VPC across N zones, or a bring-your-own VPC passed through.

    Children (created VPC only):
    - ``{name}-vpc``: the VPC, DNS support on (interface endpoints need it).
    - ``{name}-default-sg``: the VPC's default security group, with every rule removed.
    - ``{name}-igw``: the internet gateway, for the public subnets only.
    - ``{name}-public-{i}`` / ``{name}-private-{i}``: one public and one private subnet per zone.
    - ``{name}-public-rt`` and its default route to the internet gateway; one association per public subnet.
    - ``{name}-private-rt-{i}``: a route table per private subnet, with a default route to its NAT gateway.
    - ``{name}-nat-eip-{i}`` / ``{name}-nat-{i}``: NAT gateways per ``nat_strategy``.
    - ``{name}-flow-logs`` (log group), ``{name}-flow-logs-role`` (+ policy), ``{name}-flow-log``.
    - ``{name}-endpoints-sg`` and ``{name}-endpoint-*``: VPC endpoints when enabled.
    """

    vpc_id: pulumi.Output[str]
    """Id of the VPC."""
    vpc_cidr: pulumi.Output[str]
    """CIDR of the VPC (empty for an existing VPC, whose CIDR this stack does not read)."""
    public_subnet_ids: pulumi.Output[list[str]]
    """Public subnets: the load balancer lives here."""
    private_subnet_ids: pulumi.Output[list[str]]
    """Private subnets: the tasks live here, with no public IPs."""
    nat_gateway_ids: pulumi.Output[list[str]]
    """NAT gateways created (empty for none or an existing VPC)."""
    flow_log_group_name: pulumi.Output[str]
    """Log group of the VPC flow log (empty for an existing VPC)."""
    availability_zones: list[str]
    """Zones the created subnets are in."""

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("fargate-platform:index:Network", name, None, opts)
        if args.existing_vpc_id:
            self._adopt(args)
        else:
            self._create(name, args)
        self.register_outputs({
            "vpc_id": self.vpc_id,
            "vpc_cidr": self.vpc_cidr,
            "public_subnet_ids": self.public_subnet_ids,
            "private_subnet_ids": self.private_subnet_ids,
            "nat_gateway_ids": self.nat_gateway_ids,
            "flow_log_group_name": self.flow_log_group_name,
        })

    def _adopt(self, args: NetworkArgs) -> None:
        self.vpc_id = pulumi.Output.from_input(args.existing_vpc_id)
        self.vpc_cidr = pulumi.Output.from_input("")
        self.public_subnet_ids = pulumi.Output.from_input(list(args.existing_public_subnet_ids))
        self.private_subnet_ids = pulumi.Output.from_input(list(args.existing_private_subnet_ids))
        self.nat_gateway_ids = pulumi.Output.from_input([])
        self.flow_log_group_name = pulumi.Output.from_input("")
        self.availability_zones = []

    def _zones(self, args: NetworkArgs) -> list[str]:
        if args.availability_zones:
            return list(args.availability_zones)
        names = aws.get_availability_zones(state="available").names
        if len(names) < args.az_count:
            raise NotEnoughZonesError(args.az_count, len(names))
        return sorted(names)[: args.az_count]

    def _create(self, name: str, args: NetworkArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        zones = self._zones(args)
        self.availability_zones = zones
        public_cidrs, private_cidrs = subnet_cidrs(args.cidr, len(zones))

        # The VPC; DNS hostnames are needed for interface endpoints' private DNS.
        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=args.cidr, enable_dns_hostnames=True, enable_dns_support=True,
                          tags=tagged(args.tags, {"Name": f"{name}-vpc"}), opts=child)
        # Adopting the default security group with no rules strips AWS's allow-all-within-group default.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, tags=tagged(args.tags), opts=child)
        # The only way in or out for the public subnets.
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=tagged(args.tags), opts=child)

        public_subnets = [
            # Public subnets hold the load balancer and NAT gateways; nothing there gets an IP by default.
            aws.ec2.Subnet(f"{name}-public-{i}", vpc_id=vpc.id, cidr_block=cidr, availability_zone=zone,
                           map_public_ip_on_launch=False,
                           tags=tagged(args.tags, {"Name": f"{name}-public-{zone}", "Tier": "public"}),
                           opts=child)
            for i, (zone, cidr) in enumerate(zip(zones, public_cidrs, strict=True))
        ]
        private_subnets = [
            # Private subnets hold the tasks; they are reachable only through the load balancer.
            aws.ec2.Subnet(f"{name}-private-{i}", vpc_id=vpc.id, cidr_block=cidr, availability_zone=zone,
                           map_public_ip_on_launch=False,
                           tags=tagged(args.tags, {"Name": f"{name}-private-{zone}", "Tier": "private"}),
                           opts=child)
            for i, (zone, cidr) in enumerate(zip(zones, private_cidrs, strict=True))
        ]

        # One route table for all public subnets, with the default route to the internet gateway.
        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=vpc.id, tags=tagged(args.tags), opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=igw.id, opts=child)
        for i, subnet in enumerate(public_subnets):
            aws.ec2.RouteTableAssociation(f"{name}-public-rta-{i}", subnet_id=subnet.id,
                                          route_table_id=public_rt.id, opts=child)

        nat_count = {"single": 1, "one-per-az": len(zones), "none": 0}[args.nat_strategy]
        nats = []
        for i in range(nat_count):
            # A static address per NAT gateway, so partners can allow-list the stack's egress.
            eip = aws.ec2.Eip(f"{name}-nat-eip-{i}", domain="vpc", tags=tagged(args.tags), opts=child)
            # NAT gateway in a public subnet: outbound-only internet access for the private subnets.
            nats.append(aws.ec2.NatGateway(f"{name}-nat-{i}", allocation_id=eip.allocation_id,
                                           subnet_id=public_subnets[i].id, tags=tagged(args.tags), opts=child))

        private_rts = []
        for i, subnet in enumerate(private_subnets):
            # A route table per private subnet, so each zone can use its own NAT gateway.
            rt = aws.ec2.RouteTable(f"{name}-private-rt-{i}", vpc_id=vpc.id, tags=tagged(args.tags), opts=child)
            if nats:
                aws.ec2.Route(f"{name}-private-default-{i}", route_table_id=rt.id,
                              destination_cidr_block="0.0.0.0/0", nat_gateway_id=nats[i % len(nats)].id, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-rta-{i}", subnet_id=subnet.id, route_table_id=rt.id,
                                          opts=child)
            private_rts.append(rt)

        flow_log_group = self._flow_logs(name, args, vpc)
        if args.vpc_endpoints:
            self._endpoints(name, vpc, private_subnets, private_rts, args.tags)

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.public_subnet_ids = pulumi.Output.all(*[s.id for s in public_subnets])
        self.private_subnet_ids = pulumi.Output.all(*[s.id for s in private_subnets])
        self.nat_gateway_ids = pulumi.Output.all(*[n.id for n in nats]) if nats else pulumi.Output.from_input([])
        self.flow_log_group_name = flow_log_group.name

    def _flow_logs(self, name: str, args: NetworkArgs, vpc: aws.ec2.Vpc) -> aws.cloudwatch.LogGroup:
        child = pulumi.ResourceOptions(parent=self)
        # Where flow records land; retention bounds their cost.
        group = aws.cloudwatch.LogGroup(f"{name}-flow-logs", retention_in_days=args.flow_log_retention_days,
                                        kms_key_id=args.kms_key_arn,
                                        tags=tagged(args.tags),
                                        opts=pulumi.ResourceOptions(parent=self, protect=args.protect))
        # The VPC Flow Logs service assumes this role to write into the group.
        role = aws.iam.Role(
            f"{name}-flow-logs-role",
            assume_role_policy=json.dumps({
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                               "Action": "sts:AssumeRole"}],
            }),
            tags=tagged(args.tags),
            opts=child,
        )
        # Write access to this one log group, nothing else.
        aws.iam.RolePolicy(
            f"{name}-flow-logs-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps({
                "Version": "2012-10-17",
                "Statement": [{
                    "Effect": "Allow",
                    "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                    "Resource": [group.arn, pulumi.Output.concat(group.arn, ":*")],
                }],
            }),
            opts=child,
        )
        # Every accepted and rejected flow, for incident response.
        aws.ec2.FlowLog(f"{name}-flow-log", vpc_id=vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
                        log_destination=group.arn, iam_role_arn=role.arn, max_aggregation_interval=60,
                        tags=tagged(args.tags), opts=child)
        return group

    def _endpoints(self, name: str, vpc: aws.ec2.Vpc, subnets: list[aws.ec2.Subnet],
                   route_tables: list[aws.ec2.RouteTable], tags: Mapping[str, str]) -> None:
        child = pulumi.ResourceOptions(parent=self)
        region = aws.get_region().region
        # Endpoints accept HTTPS from inside the VPC only.
        sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints-sg",
            vpc_id=vpc.id,
            description="HTTPS from the VPC to its interface endpoints",
            ingress=[aws.ec2.SecurityGroupIngressArgs(protocol="tcp", from_port=443, to_port=443,
                                                      cidr_blocks=[vpc.cidr_block], description="HTTPS from VPC")],
            tags=tagged(tags),
            opts=child,
        )
        for service in INTERFACE_ENDPOINTS:
            # Private path to an AWS API that tasks call at start-up or run time.
            aws.ec2.VpcEndpoint(f"{name}-endpoint-{service.replace('.', '-')}", vpc_id=vpc.id,
                                service_name=f"com.amazonaws.{region}.{service}", vpc_endpoint_type="Interface",
                                subnet_ids=[s.id for s in subnets], security_group_ids=[sg.id],
                                private_dns_enabled=True, tags=tagged(tags), opts=child)
        # ECR stores image layers in S3; the gateway endpoint is free and keeps that traffic off NAT.
        aws.ec2.VpcEndpoint(f"{name}-endpoint-s3", vpc_id=vpc.id, service_name=f"com.amazonaws.{region}.s3",
                            vpc_endpoint_type="Gateway", route_table_ids=[rt.id for rt in route_tables],
                            tags=tagged(tags), opts=child)
