"""require-private-managed-instances: one change from a compliant network per test, in every mode of the stack."""

import pytest
from fargate_policies.rules import require_private_managed_instances as rule
from fargate_policies.rules._common import ECS_CAPACITY_PROVIDER, show
from fargate_policies.rules._routing import GATEWAY, INTERNET_ROUTE, TABLE
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

POLICY = rule.POLICY
T_PROVIDER = ECS_CAPACITY_PROVIDER[0]


def provider_props(subnets: list) -> dict:
    return {"cluster": "fp-test-cluster", "managedInstancesProvider": {
        "infrastructureRoleArn": "arn:aws:iam::123456789012:role/infra",
        "instanceLaunchTemplate": {
            "ec2InstanceProfileArn": "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole-1",
            "networkConfiguration": {"subnets": subnets, "securityGroups": ["sg-instances"]},
            "instanceRequirements": {"vcpuCount": {"min": 4, "max": 8}, "memoryMib": {"min": 16384}},
        }}}


@pytest.fixture
def mi_stack(network_stack):
    """The compliant network with a Managed Instances provider 'gpu' launching into 'private-a'."""
    b = network_stack
    b.add(T_PROVIDER, "gpu", provider_props([b.ref(b["private-a"])]), managedInstancesProvider=[b["private-a"]])
    return b


def launch_into(b, evaluate_stack, *subnets):
    provider = b["gpu"]
    provider.props.update(provider_props([b.ref(s) if not isinstance(s, str) else s for s in subnets]))
    b.depend(provider, "managedInstancesProvider", *[s for s in subnets if not isinstance(s, str)])
    return evaluate_stack(POLICY, b.resources)


def test_baseline_passes(mi_stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, mi_stack.resources)
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)


def test_public_subnet_fails(mi_stack, evaluate_stack):
    b = mi_stack
    outcome = launch_into(b, evaluate_stack, b["public-a"])
    gateway = GATEWAY.format(gateway="igw-1" if b.mode == "mocks" else "igw")
    route = INTERNET_ROUTE.format(table=TABLE.format(table="public"), destination="0.0.0.0/0", gateway=gateway)
    assert outcome.at(b["gpu"].urn) == [rule.MSG_INTERNET_ROUTE.format(subnet="public-a", route=route)], str(outcome)


def test_private_and_public_subnet_fails_for_the_public_one(mi_stack, evaluate_stack):
    b = mi_stack
    outcome = launch_into(b, evaluate_stack, b["private-a"], b["public-a"])
    assert len(outcome.at(b["gpu"].urn)) == 1 and "'public-a'" in outcome.at(b["gpu"].urn)[0], str(outcome)


def test_subnet_mapping_public_ips_fails(mi_stack, evaluate_stack):
    b = mi_stack
    b["private-a"].props["mapPublicIpOnLaunch"] = True
    outcome = evaluate_stack(POLICY, b.resources)
    expected = rule.MSG_PUBLIC_IP_ON_LAUNCH.format(subnet="private-a", value=show(True))
    assert outcome.at(b["gpu"].urn) == [expected], str(outcome)


def test_auto_scaling_group_providers_are_not_judged(network_stack, node, evaluate_stack):
    asg = node(T_PROVIDER, "asg", {"autoScalingGroupProvider": {"autoScalingGroupArn": "arn:aws:autoscaling:x"}})
    outcome = evaluate_stack(POLICY, [*network_stack.resources, asg])
    assert outcome.violations == [] and outcome.not_applicable is not None, str(outcome)


def test_no_provider_is_not_applicable(network_stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, network_stack.resources)
    assert outcome.not_applicable == rule.NOT_APPLICABLE.format(
        reasons="the stack has no Managed Instances capacity provider"), str(outcome)


def test_unknown_subnets_without_dependencies_cannot_be_judged(network_stack, node, evaluate_stack):
    provider = node(T_PROVIDER, "gpu", provider_props([UNKNOWN_STRING_VALUE]))
    with pytest.raises(UnknownValueError):
        evaluate_stack(POLICY, [*network_stack.resources, provider])
