"""require-ecs-private-subnets: one change from a compliant network per test, in every mode of the stack."""

import pytest
from fargate_policies.rules import require_ecs_private_subnets as rule
from fargate_policies.rules._common import ECS_SERVICE, ROUTE, ROUTE_TABLE, ROUTE_TABLE_ASSOCIATION, SUBNET, show
from fargate_policies.rules._net import DEFAULT_ROUTE_TABLE
from fargate_policies.rules._routing import GATEWAY, INTERNET_ROUTE, MAIN_TABLE, ROUTE_RESOURCE, TABLE
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

POLICY = rule.POLICY
T_SUBNET, T_ROUTE, T_ROUTE_TABLE, T_SERVICE = SUBNET[0], ROUTE[0], ROUTE_TABLE[0], ECS_SERVICE[0]
T_ASSOCIATION, T_DEFAULT_ROUTE_TABLE = ROUTE_TABLE_ASSOCIATION[0], DEFAULT_ROUTE_TABLE[0]
T_EIGW = "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway"


def run_in(b, evaluate_stack, subnets: list):
    """Point service 'web' at ``subnets`` (resources of the stack or literal ids) and run the policy."""
    web = b["web"]
    web.props["networkConfiguration"]["subnets"] = [b.ref(s) if not isinstance(s, str) else s for s in subnets]
    b.depend(web, "networkConfiguration", *[s for s in subnets if not isinstance(s, str)])
    return evaluate_stack(POLICY, b.resources)


def igw(b) -> str:
    """How messages name gateway 'igw' reached through an inline route: by resource name, or by the id the
    route holds when the stack shows no id for the gateway (mocks) and the route table's dependencies
    cannot say which of its routes uses it."""
    return GATEWAY.format(gateway="igw-1" if b.mode == "mocks" else "igw")


def described(table: str, destination: str, gateway: str, resource: str | None = None) -> str:
    text = INTERNET_ROUTE.format(table=table, destination=destination, gateway=gateway)
    return text + ROUTE_RESOURCE.format(route=resource) if resource else text


def test_baseline_passes(network_stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, network_stack.resources)
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)


def test_service_in_public_subnet(network_stack, evaluate_stack):
    b = network_stack
    outcome = run_in(b, evaluate_stack, [b["public-a"]])
    expected = rule.MSG_INTERNET_ROUTE.format(
        subnet="public-a", route=described(TABLE.format(table="public"), "0.0.0.0/0", igw(b))
    )
    assert outcome.at(b["web"].urn) == [expected], str(outcome)


def test_default_route_resource_to_internet_gateway(network_stack, evaluate_stack):
    b = network_stack
    route = b["private-default"]
    del route.props["natGatewayId"]
    route.props["gatewayId"] = b.ref(b["igw"])
    b.depend(route, "gatewayId", b["igw"])
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_INTERNET_ROUTE.format(
        subnet="private-a",
        route=described(TABLE.format(table="private"), "0.0.0.0/0", GATEWAY.format(gateway="igw"), "private-default"),
    )
    assert outcome.at(b["web"].urn) == [expected], str(outcome)


def test_ipv6_default_route_to_internet_gateway(network_stack, evaluate_stack):
    b = network_stack
    table = b["private"]
    table.props["routes"] = [{"ipv6CidrBlock": "::/0", "gatewayId": b.ref(b["igw"])}]
    b.depend(table, "routes", b["igw"])
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_INTERNET_ROUTE.format(
        subnet="private-a", route=described(TABLE.format(table="private"), "::/0", igw(b))
    )
    assert outcome.at(b["web"].urn) == [expected], str(outcome)


def test_ipv6_default_route_to_egress_only_gateway_passes(network_stack, evaluate_stack):
    b = network_stack
    eigw = b.add(T_EIGW, "eigw", {"vpcId": b.ref(b["vpc"])}, id="eigw-1", vpcId=[b["vpc"]])
    table = b["private"]
    table.props["routes"] = [{"ipv6CidrBlock": "::/0", "egressOnlyGatewayId": b.ref(eigw)}]
    b.depend(table, "routes", eigw)
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [], str(outcome)


def test_gateway_id_of_an_internet_gateway_outside_the_stack(network_stack, evaluate_stack):
    b = network_stack
    b.add(T_ROUTE, "private-igw", {"routeTableId": b.ref(b["private"]), "destinationCidrBlock": "0.0.0.0/0",
                                   "gatewayId": "igw-0abc"}, routeTableId=[b["private"]])
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_INTERNET_ROUTE.format(
        subnet="private-a",
        route=described(TABLE.format(table="private"), "0.0.0.0/0", GATEWAY.format(gateway="igw-0abc"), "private-igw"),
    )
    assert outcome.at(b["web"].urn) == [expected], str(outcome)


def test_subnet_maps_public_ips(network_stack, evaluate_stack):
    b = network_stack
    b["private-a"].props["mapPublicIpOnLaunch"] = True
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_PUBLIC_IP_ON_LAUNCH.format(subnet="private-a", value=show(True))
    assert outcome.at(b["web"].urn) == [expected], str(outcome)


def test_unassociated_subnet_uses_the_vpc_main_route_table(network_stack, evaluate_stack):
    b = network_stack
    del b.by_name["private-a-assoc"]
    assert evaluate_stack(POLICY, b.resources).violations == []
    # A route added to the VPC's main route table (route_table_id=vpc.main_route_table_id) makes it public.
    b.add(T_ROUTE, "main-default", {"routeTableId": b.ref_value("rtb-main"), "destinationCidrBlock": "0.0.0.0/0",
                                    "gatewayId": b.ref(b["igw"])}, routeTableId=[b["vpc"]], gatewayId=[b["igw"]])
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_INTERNET_ROUTE.format(
        subnet="private-a",
        route=described(MAIN_TABLE.format(vpc="vpc"), "0.0.0.0/0", GATEWAY.format(gateway="igw"), "main-default"),
    )
    assert outcome.at(b["web"].urn) == [expected], str(outcome)


def test_unassociated_subnet_and_public_default_route_table(network_stack, evaluate_stack):
    b = network_stack
    del b.by_name["private-a-assoc"]
    b.add(T_DEFAULT_ROUTE_TABLE, "main", {"defaultRouteTableId": b.ref_value("rtb-main"), "routes": [
        {"cidrBlock": "0.0.0.0/0", "gatewayId": b.ref(b["igw"])},
    ]}, id="rtb-main", defaultRouteTableId=[b["vpc"]], routes=[b["igw"]])
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_INTERNET_ROUTE.format(
        subnet="private-a", route=described(TABLE.format(table="main"), "0.0.0.0/0", igw(b))
    )
    assert outcome.at(b["web"].urn) == [expected], str(outcome)


def test_only_subnets_from_outside_the_stack_not_applicable(network_stack, evaluate_stack):
    outcome = run_in(network_stack, evaluate_stack, ["subnet-0aaa", "subnet-0bbb"])
    assert outcome.violations == [] and outcome.not_applicable, str(outcome)


def test_outside_subnets_do_not_hide_a_public_one(network_stack, evaluate_stack):
    b = network_stack
    outcome = run_in(b, evaluate_stack, ["subnet-0aaa", b["public-a"]])
    assert len(outcome.at(b["web"].urn)) == 1 and outcome.not_applicable is None, str(outcome)


def test_subnet_with_route_table_from_outside_not_applicable(network_stack, evaluate_stack):
    b = network_stack
    association = b["private-a-assoc"]
    association.props["routeTableId"] = "rtb-0ext"
    association.property_dependencies.pop("routeTableId", None)
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [] and outcome.not_applicable, str(outcome)


def test_no_service_not_applicable(network_stack, evaluate_stack):
    del network_stack.by_name["web"]
    outcome = evaluate_stack(POLICY, network_stack.resources)
    assert outcome.violations == [] and outcome.not_applicable, str(outcome)


def test_unlinked_unknown_subnet_cannot_be_decided(network_stack, evaluate_stack):
    b = network_stack
    b["web"].props["networkConfiguration"]["subnets"] = [UNKNOWN_STRING_VALUE]
    b["web"].property_dependencies = {}
    with pytest.raises(UnknownValueError):
        evaluate_stack(POLICY, b.resources)


def test_other_types_ignored(network_stack, evaluate_stack):
    b = network_stack
    b.add("aws:ecs/taskSet:TaskSet", "canary", {"networkConfiguration": {"subnets": [b.ref(b["public-a"])]}},
          networkConfiguration=[b["public-a"]])
    b.add("aws:ec2/defaultSubnet:DefaultSubnet", "default-a", {"mapPublicIpOnLaunch": True})
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [], str(outcome)


def test_large_stack_is_indexed(evaluate_stack, node):
    """6,000 resources: the check must stay linear (a nested loop would take a minute)."""
    resources = []
    for i in range(1000):
        subnet = node(T_SUBNET, f"s{i}", {"id": f"subnet-{i}", "vpcId": "vpc-ext", "mapPublicIpOnLaunch": False})
        table = node(T_ROUTE_TABLE, f"rt{i}", {"id": f"rtb-{i}", "routes": [{"cidrBlock": "0.0.0.0/0",
                                                                            "natGatewayId": "nat-1"}]})
        association = node(T_ASSOCIATION, f"a{i}", {"subnetId": f"subnet-{i}", "routeTableId": f"rtb-{i}"})
        service = node(T_SERVICE, f"svc{i}", {"networkConfiguration": {"subnets": [f"subnet-{i}"]}})
        resources += [subnet, table, association, service, node(T_ROUTE, f"r{i}", {}), node(T_ROUTE, f"x{i}", {})]
    outcome = evaluate_stack(POLICY, resources)
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)[:500]
