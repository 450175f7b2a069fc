"""disallow-private-subnet-public-ip: one change from a compliant network per test, in every mode of the stack."""

from fargate_policies.rules import disallow_private_subnet_public_ip as rule
from fargate_policies.rules._common import show

POLICY = rule.POLICY


def test_baseline_passes(network_stack, evaluate_stack):
    # 'public-a' maps public IPs, which is fine: its route table sends 0.0.0.0/0 to the internet gateway.
    outcome = evaluate_stack(POLICY, network_stack.resources)
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)


def test_private_subnet_maps_public_ips(network_stack, evaluate_stack):
    b = network_stack
    b["private-a"].props["mapPublicIpOnLaunch"] = True
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [(b["private-a"].urn, rule.MSG_PUBLIC_IP.format(value=show(True)))], str(outcome)


def test_private_subnet_maps_public_ips_string(network_stack, evaluate_stack):
    b = network_stack
    b["private-a"].props["mapPublicIpOnLaunch"] = "true"
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [(b["private-a"].urn, rule.MSG_PUBLIC_IP.format(value=show("true")))], str(outcome)


def test_public_subnet_losing_its_association_becomes_private(network_stack, evaluate_stack):
    b = network_stack
    del b.by_name["public-a-assoc"]  # falls back to the VPC's main route table: only the local route
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [(b["public-a"].urn, rule.MSG_PUBLIC_IP.format(value=show(True)))], str(outcome)


def test_route_table_from_outside_is_not_judged(network_stack, evaluate_stack):
    b = network_stack
    association = b["public-a-assoc"]
    association.props["routeTableId"] = "rtb-0ext"
    association.property_dependencies.pop("routeTableId", None)
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [], str(outcome)


def test_other_types_ignored(network_stack, evaluate_stack):
    b = network_stack
    b.add("aws:ec2/defaultSubnet:DefaultSubnet", "default-a", {"mapPublicIpOnLaunch": True})
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [], str(outcome)
