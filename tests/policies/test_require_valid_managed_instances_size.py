"""require-valid-managed-instances-size: a GPU service on a Managed Instances provider; one change per test."""

import json

import pytest
from fargate_policies.rules import require_valid_managed_instances_size as rule
from fargate_policies.rules._common import ECS_CAPACITY_PROVIDER, ECS_SERVICE, ECS_TASK_DEFINITION, show
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

POLICY = rule.POLICY
PROVIDER_NAME = "fp-gpu-mi-provider-1"


def requirements(**changes):
    base = {"vcpuCount": {"min": 4, "max": 8}, "memoryMib": {"min": 16384, "max": 32768},
            "acceleratorCount": {"min": 1, "max": 1}, "acceleratorTypes": ["gpu"],
            "allowedInstanceTypes": ["g5.xlarge", "g5.2xlarge"]}
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def container(gpus=1):
    extra = {"resourceRequirements": [{"type": "GPU", "value": str(gpus)}]} if gpus else {}
    return {"name": "infer", "image": "example.com/infer:1", "essential": True, **extra}


@pytest.fixture
def stack(stack_builder, task_definition):
    """Provider 'gpu' (g5.xlarge or g5.2xlarge: up to 8 vCPUs, 32 GiB, 1 GPU), task definition 'infer-task'
    (3 vCPU, 12 GiB, 1 GPU, for MANAGED_INSTANCES) and service 'infer' running it on 'gpu'."""
    b = stack_builder
    provider_props = {"cluster": "fp-gpu-cluster", "managedInstancesProvider": {"instanceLaunchTemplate": {
        "instanceRequirements": requirements()}}}
    if b.mode != "mocks":
        provider_props["name"] = PROVIDER_NAME
    provider = b.add(ECS_CAPACITY_PROVIDER[0], "gpu", provider_props,
                     id=f"arn:aws:ecs:us-east-1:123456789012:capacity-provider/{PROVIDER_NAME}")
    task = b.add(ECS_TASK_DEFINITION[0], "infer-task", task_definition(
        container(), requiresCompatibilities=["MANAGED_INSTANCES"], cpu="3072", memory="12288"),
        id="arn:aws:ecs:us-east-1:123456789012:task-definition/infer:1")
    b.add(ECS_SERVICE[0], "infer", {
        "taskDefinition": b.ref(task),
        "capacityProviderStrategies": [{"capacityProvider": PROVIDER_NAME, "weight": 1}],
    }, taskDefinition=[task], capacityProviderStrategies=[provider])
    return b


def at_service(b, evaluate_stack):
    outcome = evaluate_stack(POLICY, b.resources)
    return outcome, outcome.at(b["infer"].urn)


def test_baseline_passes(stack, evaluate_stack):
    outcome, _ = at_service(stack, evaluate_stack)
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)


def test_task_larger_than_every_allowed_instance_fails(stack, evaluate_stack):
    b = stack
    b["infer-task"].props["cpu"] = "16384"
    outcome, messages = at_service(b, evaluate_stack)
    expected = rule.MSG_TOO_LARGE.format(task="infer-task", provider="gpu", cpu=16384, memory=12288, gpus=1,
                                         vcpus=8, max_memory=32768, max_gpus=1)
    assert messages == [expected], str(outcome)


def test_more_gpus_than_any_instance_fails(stack, evaluate_stack):
    b = stack
    b["infer-task"].props["containerDefinitions"] = json.dumps([container(gpus=2)])
    _, messages = at_service(b, evaluate_stack)
    assert len(messages) == 1 and "2 GPU(s)" in messages[0], messages


def test_ranges_decide_when_a_type_is_not_known(stack, evaluate_stack):
    b = stack
    reqs = b["gpu"].props["managedInstancesProvider"]["instanceLaunchTemplate"]["instanceRequirements"]
    reqs["allowedInstanceTypes"] = ["g5.*"]
    b["infer-task"].props["memory"] = "40960"
    _, messages = at_service(b, evaluate_stack)
    expected = rule.MSG_TOO_LARGE.format(task="infer-task", provider="gpu", cpu=3072, memory=40960, gpus=1,
                                         vcpus=8, max_memory=32768, max_gpus=1)
    assert messages == [expected]


def test_gpu_task_on_instances_without_accelerators_fails(stack, evaluate_stack):
    b = stack
    b["gpu"].props["managedInstancesProvider"]["instanceLaunchTemplate"]["instanceRequirements"] = requirements(
        acceleratorCount=None, acceleratorTypes=None, allowedInstanceTypes=None)
    _, messages = at_service(b, evaluate_stack)
    assert len(messages) == 1 and "0 GPU(s)" in messages[0], messages


def test_task_definition_for_fargate_fails(stack, evaluate_stack):
    b = stack
    b["infer-task"].props["requiresCompatibilities"] = ["FARGATE"]
    _, messages = at_service(b, evaluate_stack)
    assert messages == [rule.MSG_NOT_COMPATIBLE.format(provider="gpu", task="infer-task", value=show(["FARGATE"]))]


def test_task_without_a_size_fails(stack, evaluate_stack):
    b = stack
    del b["infer-task"].props["cpu"]
    _, messages = at_service(b, evaluate_stack)
    assert messages == [rule.MSG_SIZE_UNREADABLE.format(provider="gpu", task="infer-task", cpu=show(None),
                                                        memory=show("12288"))]


def test_fargate_services_are_not_judged(stack, evaluate_stack):
    b = stack
    b["infer"].props["capacityProviderStrategies"] = [{"capacityProvider": "FARGATE", "weight": 1}]
    b["infer"].property_dependencies.pop("capacityProviderStrategies", None)
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [] and outcome.not_applicable is not None, str(outcome)


def test_unknown_containers_are_left_to_the_verifiable_definitions_rule(stack, evaluate_stack):
    b = stack
    b["infer-task"].props["containerDefinitions"] = UNKNOWN_STRING_VALUE
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [] and "unknown at preview" in (outcome.not_applicable or ""), str(outcome)
