"""The gpu example stack (Pulumi.gpu.yaml) as the program registers it, and the pack's verdict on one-change
variants of it: an unencrypted task volume, managed instances in a public subnet, a task larger than every
allowed instance, a GPU on Fargate."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable

import pytest
from fargate_policies.rules import (
    require_encrypted_task_volumes,
    require_ephemeral_storage_cmk,
    require_private_managed_instances,
    require_valid_fargate_size,
    require_valid_managed_instances_size,
)
from fargate_policies.rules._common import NotApplicable, StackResource

from stacks.offline.runner import RecordedResource, to_plain
from tests.stack_programs import program

PROVIDER = "aws:ecs/capacityProvider:CapacityProvider"
CAPACITY = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
SERVICE = "aws:ecs/service:Service"
TASK = "aws:ecs/taskDefinition:TaskDefinition"
CLUSTER = "aws:ecs/cluster:Cluster"
SUBNET = "aws:ec2/subnet:Subnet"
KEY = "aws:kms/key:Key"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"


@pytest.fixture(scope="module")
def gpu():
    return program("gpu")


def one(resources: list[RecordedResource], token: str) -> RecordedResource:
    (found,) = [r for r in resources if r.type == token]
    return found


def tier(resources: list[RecordedResource], name: str) -> list[RecordedResource]:
    return [r for r in resources if r.type == SUBNET and r.inputs.get("tags", {}).get("Tier") == name]


def pack_view(resources: list[RecordedResource]) -> list[StackResource]:
    """The resources as a stack policy sees them: props are the inputs, property dependencies are resources."""
    view = {r.urn: StackResource(r.type, to_plain(r.inputs), r.urn, r.name) for r in resources}
    for r in resources:
        view[r.urn].property_dependencies = {key: [view[u] for u in urns if u in view]
                                             for key, urns in r.property_dependencies.items()}
    return list(view.values())


def variant(gpu, change: Callable[[list[RecordedResource]], None]) -> list[RecordedResource]:
    resources = copy.deepcopy(gpu.resources)
    change(resources)
    return resources


def test_the_provider_launches_into_the_private_subnets_and_is_attached(gpu):
    resources = gpu.resources
    provider = one(resources, PROVIDER)
    subnets = provider.inputs["managedInstancesProvider"]["instanceLaunchTemplate"]["networkConfiguration"]["subnets"]
    assert sorted(subnets) == sorted(s.id for s in tier(resources, "private")), provider.urn
    capacity = one(resources, CAPACITY)
    assert capacity.inputs["capacityProviders"][:2] == ["FARGATE", "FARGATE_SPOT"], capacity.urn
    assert provider.urn in capacity.property_dependencies["capacityProviders"], capacity.urn


def test_the_gpu_task_runs_on_managed_instances_with_an_encrypted_volume_and_fargate_storage_is_keyed(gpu):
    resources = gpu.resources
    (key,) = [r for r in resources if r.type == KEY and r.name == "fp-gpu-key"]
    task = one(resources, TASK)
    assert task.inputs["requiresCompatibilities"] == ["MANAGED_INSTANCES"], task.urn
    (container,) = json.loads(task.inputs["containerDefinitions"])
    assert container["resourceRequirements"] == [{"type": "GPU", "value": "1"}], task.urn
    assert container["readonlyRootFilesystem"] is True, task.urn
    service = one(resources, SERVICE)
    managed = service.inputs["volumeConfiguration"]["managedEbsVolume"]
    assert managed["encrypted"] is True and key.urn in service.property_dependencies["volumeConfiguration"]
    cluster = one(resources, CLUSTER)
    assert key.urn in cluster.property_dependencies["configuration"], cluster.urn
    assert cluster.inputs["configuration"]["managedStorageConfiguration"]["fargateEphemeralStorageKmsKeyId"]


def test_the_dashboard_shows_the_managed_instances_service(gpu):
    body = json.dumps(one(gpu.resources, DASHBOARD).inputs["dashboardBody"])
    assert "fp-gpu-infer-service" in body


def test_the_example_passes_the_new_rules(gpu):
    view = pack_view(gpu.resources)
    assert list(require_private_managed_instances.check(view, {})) == []
    assert list(require_valid_managed_instances_size.check(view, {})) == []
    service = one(gpu.resources, SERVICE)
    assert list(require_encrypted_task_volumes.check(to_plain(service.inputs), {"requireCustomerKey": True})) == []


def test_an_unencrypted_volume_fails_require_encrypted_task_volumes(gpu):
    service = one(gpu.resources, SERVICE)
    props = to_plain(service.inputs)
    props["volumeConfiguration"]["managedEbsVolume"]["encrypted"] = False
    assert list(require_encrypted_task_volumes.check(props, {})) == [
        require_encrypted_task_volumes.MSG_NOT_ENCRYPTED.format(value="false")]


def test_managed_instances_in_a_public_subnet_fail_require_private_managed_instances(gpu):
    def to_public(resources):
        provider = one(resources, PROVIDER)
        public = tier(resources, "public")[0]
        provider.inputs["managedInstancesProvider"]["instanceLaunchTemplate"]["networkConfiguration"]["subnets"] = [
            public.id]
        provider.property_dependencies["managedInstancesProvider"] = (public.urn,)

    findings = list(require_private_managed_instances.check(pack_view(variant(gpu, to_public)), {}))
    assert len(findings) == 1 and "is public" in findings[0][1], findings


def test_a_task_larger_than_every_instance_fails_require_valid_managed_instances_size(gpu):
    def enlarge(resources):
        one(resources, TASK).inputs["memory"] = "65536"

    findings = list(require_valid_managed_instances_size.check(pack_view(variant(gpu, enlarge)), {}))
    assert len(findings) == 1 and "more than any instance" in findings[0][1], findings


def test_a_gpu_on_fargate_fails_require_valid_fargate_size(gpu):
    props = to_plain(one(gpu.resources, TASK).inputs)
    props.update(requiresCompatibilities=["FARGATE"], cpu="4096", memory="16384")
    assert list(require_valid_fargate_size.check(props, {})) == [
        require_valid_fargate_size.MSG_GPU_ON_FARGATE.format(container="container 'infer'", value="'1'")]


def test_the_example_runs_no_fargate_service_so_its_ephemeral_storage_rule_does_not_apply(gpu):
    with pytest.raises(NotApplicable):
        list(require_ephemeral_storage_cmk.check(pack_view(gpu.resources), {"required": True}))
