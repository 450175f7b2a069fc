"""Config of capacity beside Fargate: managedInstances, per-service capacity, GPUs and EBS volumes.

Every combination AWS refuses is refused with one line naming the key, before anything registers.
"""

from __future__ import annotations

import json

import pytest
import yaml
from fargate_policies import facts

from stacks.settings import NAMESPACE, ConfigError, parse_settings
from tests.test_settings import ROOT

GPU_INSTANCES = {"enabled": True, "instanceTypes": ["g5.xlarge", "g5.2xlarge"], "vcpuMin": 4, "vcpuMax": 8,
                 "memoryMinMib": 16384, "memoryMaxMib": 32768, "acceleratorTypes": ["gpu"],
                 "acceleratorManufacturers": ["nvidia"], "acceleratorCountMin": 1, "acceleratorCountMax": 1}
GPU_SERVICE = {"capacity": "managed-instances", "cpu": 3072, "memory": 12288, "gpus": 1}
VOLUME = {"name": "data", "mountPath": "/data", "sizeGib": 100}


def config(service=None, instances=None, **stack):
    """A valid stack (one service, optionally managed instances) with the given changes, as Pulumi hands it over."""
    values = {"allowHttpOnly": "true",
              "services": json.dumps([{"name": "web", "image": "registry.example.com/web:1.2.3", **(service or {})}])}
    if instances is not None:
        values["managedInstances"] = json.dumps(instances)
    values.update({key: value if isinstance(value, str) else json.dumps(value) for key, value in stack.items()})
    return values


def refused(values) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        parse_settings(values)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{NAMESPACE}:"), message
    return info.value


VALID = [
    config(),
    config(GPU_SERVICE, GPU_INSTANCES),
    config({"capacity": "fargate-spot"}),
    config({"capacityProviderStrategy": [{"capacity": "fargate", "base": 1}, {"capacity": "fargate-spot",
                                                                                "weight": 3}]}),
    config({"volumes": [VOLUME]}),
    config({"volumes": [{**VOLUME, "type": "io2", "iops": 10000}]}),
    config({"volumes": [{**VOLUME, "iops": 6000, "throughput": 1000}]}),
    config({**GPU_SERVICE, "volumes": [VOLUME]}, GPU_INSTANCES),
    config({"capacity": "managed-instances", "cpu": 128, "memory": 6}, {"enabled": True}),
    config(createKmsKey=True, fargateEphemeralStorageKms=True),
]


@pytest.mark.parametrize("values", VALID)
def test_valid(values):
    parse_settings(values)


REFUSED = [
    # GPU on Fargate, and a task larger than every allowed instance: the one-change failures.
    (config({"gpus": 1}), "services[0].gpus", "Fargate, which has no GPUs"),
    (config({**GPU_SERVICE, "cpu": 16384}, GPU_INSTANCES), "services[0].cpu", "larger than every instance"),
    (config({**GPU_SERVICE, "memory": 40960}, GPU_INSTANCES), "services[0].memory", "larger than every instance"),
    (config({**GPU_SERVICE, "gpus": 2}, GPU_INSTANCES), "services[0].gpus", "larger than every instance"),
    (config({**GPU_SERVICE, "gpus": 1}, {"enabled": True}), "services[0].gpus", "larger than every instance"),
    (config(GPU_SERVICE), "services[0].capacity", "managedInstances.enabled"),
    (config({"capacity": "managed-instances", "cpu": 64}, {"enabled": True}), "services[0].cpu", "128 to 196608"),
    (config({**GPU_SERVICE, "ephemeralStorageGib": 50}, GPU_INSTANCES), "services[0].ephemeralStorageGib",
     "Fargate tasks only"),
    (config({**GPU_SERVICE, "architecture": "ARM64"}, GPU_INSTANCES), "services[0].architecture", "X86_64"),
    (config({"cpu": 3072, "memory": 12288}), "services[0].cpu", "not a Fargate size"),
    (config({"capacity": "fargate", "capacityProviderStrategy": [{"capacity": "fargate"}]}),
     "services[0].capacityProviderStrategy", "one of capacity or capacityProviderStrategy"),
    (config({"capacityProviderStrategy": [{"capacity": "fargate"}, {"capacity": "managed-instances"}]},
            GPU_INSTANCES), "services[0].capacityProviderStrategy", "mixes managed-instances with Fargate"),
    (config({"capacityProviderStrategy": [{"capacity": "fargate", "base": 1}, {"capacity": "fargate-spot",
                                                                                 "base": 1}]}),
     "services[0].capacityProviderStrategy[1].base", "base on one entry only"),
    (config({"capacityProviderStrategy": [{"capacity": "fargate"}, {"capacity": "fargate"}]}),
     "services[0].capacityProviderStrategy[1].capacity", "listed twice"),
    (config({"capacityProviderStrategy": [{"capacity": "fargate", "weight": 0}]}),
     "services[0].capacityProviderStrategy", "every weight is 0"),
    (config({"capacityProviderStrategy": [{"capacity": "ec2"}]}), "services[0].capacityProviderStrategy[0].capacity",
     "not allowed"),
    (config({"capacity": "fargate-spot-ish"}), "services[0].capacity", "not allowed"),
    # Volumes: AWS's ranges, one per task, and the service's own /tmp.
    (config({"volumes": [VOLUME, {**VOLUME, "name": "more", "mountPath": "/more"}]}), "services[0].volumes",
     "at most 1"),
    (config({"volumes": [{**VOLUME, "sizeGib": 20000}]}), "services[0].volumes[0].sizeGib", "1 to 16384"),
    (config({"volumes": [{**VOLUME, "type": "io2", "sizeGib": 2, "iops": 100}]}), "services[0].volumes[0].sizeGib",
     "4 to 16384"),
    (config({"volumes": [{**VOLUME, "type": "io2"}]}), "services[0].volumes[0].iops", "required for io2"),
    (config({"volumes": [{**VOLUME, "iops": 2000}]}), "services[0].volumes[0].iops", "3000 to 16000"),
    (config({"volumes": [{**VOLUME, "sizeGib": 10, "iops": 6000}]}), "services[0].volumes[0].iops", "per GiB"),
    (config({"volumes": [{**VOLUME, "throughput": 2000}]}), "services[0].volumes[0].throughput", "125 to 1000"),
    (config({"volumes": [{**VOLUME, "throughput": 1000}]}), "services[0].volumes[0].throughput", "at most 750"),
    (config({"volumes": [{**VOLUME, "type": "io2", "iops": 1000, "throughput": 200}]}),
     "services[0].volumes[0].throughput", "io2 takes no throughput"),
    (config({"volumes": [{**VOLUME, "type": "gp2"}]}), "services[0].volumes[0].type", "not allowed"),
    (config({"volumes": [{**VOLUME, "name": "tmp"}]}), "services[0].volumes[0].name", "/tmp volume"),
    (config({"volumes": [{**VOLUME, "mountPath": "/tmp/"}]}), "services[0].volumes[0].mountPath", "taken"),
    (config({"volumes": [{**VOLUME, "mountPath": "data"}]}), "services[0].volumes[0].mountPath", "absolute path"),
    (config({"volumes": [{**VOLUME, "name": "my data"}]}), "services[0].volumes[0].name", "letters, digits"),
    (config({"volumes": [{"name": "data", "mountPath": "/data"}]}), "services[0].volumes[0].sizeGib", "missing"),
    # managedInstances itself.
    (config(instances={"vcpuMax": 8}), "managedInstances.enabled", "leave the other keys out"),
    (config(instances={**GPU_INSTANCES, "vcpuMax": 2}), "managedInstances.vcpuMax", "below vcpuMin 4"),
    (config(instances={**GPU_INSTANCES, "memoryMaxMib": 8192}), "managedInstances.memoryMaxMib", "below"),
    (config(instances={**GPU_INSTANCES, "acceleratorCountMax": 0}), "managedInstances.acceleratorCountMax", "below"),
    (config(instances={**GPU_INSTANCES, "instanceTypes": ["g5"]}), "managedInstances.instanceTypes[0]",
     "not an instance type"),
    (config(instances={**GPU_INSTANCES, "instanceTypes": ["g5.xlarge", "g5.xlarge"]}),
     "managedInstances.instanceTypes[1]", "listed twice"),
    (config(instances={**GPU_INSTANCES, "instanceTypes": ["m7g.large"]}), "managedInstances.instanceTypes[0]",
     "is ARM64"),
    (config(instances={**GPU_INSTANCES, "instanceTypes": ["m7i.large"]}), "managedInstances.instanceTypes",
     "no listed type"),
    (config(instances={**GPU_INSTANCES, "acceleratorTypes": []}), "managedInstances.acceleratorTypes",
     "acceleratorCountMin"),
    (config(instances={**GPU_INSTANCES, "acceleratorTypes": ["tpu"]}), "managedInstances.acceleratorTypes[0]",
     "'gpu', 'fpga' or 'inference'"),
    (config(instances={**GPU_INSTANCES, "capacityOption": "reserved"}), "managedInstances.capacityOption",
     "'on-demand' or 'spot'"),
    (config(instances={**GPU_INSTANCES, "storageGib": 0}), "managedInstances.storageGib", "1 to 16384"),
    (config(instances={**GPU_INSTANCES, "vcpuMax": "eight"}), "managedInstances.vcpuMax", "whole number"),
    (config(instances={**GPU_INSTANCES, "instanceType": ["g5.xlarge"]}), "managedInstances.instanceType",
     "did you mean instanceTypes"),
    (config(instances=[GPU_INSTANCES]), "managedInstances", "managed instances configuration"),
    (config(instances={**GPU_INSTANCES, "subnetIds": ["subnet-0123456789abcdef0"]}), "managedInstances.subnetIds[0]",
     "creates its VPC"),
    (config(fargateEphemeralStorageKms=True), "fargateEphemeralStorageKms", "no KMS key"),
]


@pytest.mark.parametrize(("values", "path", "fragment"), REFUSED,
                         ids=[f"{path}-{i}" for i, (_, path, _) in enumerate(REFUSED)])
def test_refused_with_one_line_naming_the_key(values, path, fragment):
    error = refused(values)
    assert error.path == path, str(error)
    assert fragment in error.problem, str(error)


EXISTING = {"existingVpcId": "vpc-0123456789abcdef0",
            "existingPrivateSubnetIds": ["subnet-0aaaaaaaaaaaaaaaa", "subnet-0bbbbbbbbbbbbbbbb"],
            "existingPublicSubnetIds": ["subnet-0cccccccccccccccc", "subnet-0dddddddddddddddd"]}


def test_managed_instances_may_launch_into_named_private_subnets_of_an_existing_vpc():
    settings = parse_settings(config(instances={**GPU_INSTANCES, "subnetIds": ["subnet-0aaaaaaaaaaaaaaaa"]},
                                     **EXISTING))
    assert settings.managed_instances.subnet_ids == ("subnet-0aaaaaaaaaaaaaaaa",)


@pytest.mark.parametrize(("subnet", "fragment"), [("subnet-0cccccccccccccccc", "is a public subnet"),
                                                  ("subnet-0eeeeeeeeeeeeeeee", "not one of existingPrivateSubnetIds")])
def test_managed_instances_never_launch_into_public_or_foreign_subnets(subnet, fragment):
    error = refused(config(instances={**GPU_INSTANCES, "subnetIds": [subnet]}, **EXISTING))
    assert error.path == "managedInstances.subnetIds[0]" and fragment in error.problem, str(error)


def test_settings_and_facts_agree_on_what_fits():
    """The settings refuse a task exactly when facts.task_fit, which the pack's rule uses, says it does not fit."""
    requirements = facts.InstanceRequirements(4, 8, 16384, 32768, 1, 1, ("g5.xlarge", "g5.2xlarge"))
    for cpu in (1024, 8192, 8193, 12288):
        for memory in (8192, 32768, 32769):
            for gpus in (0, 1, 2):
                fits = facts.task_fit(requirements, cpu, memory, gpus).fits
                service = {**GPU_SERVICE, "cpu": cpu, "memory": memory, "gpus": gpus}
                try:
                    parse_settings(config(service, GPU_INSTANCES))
                    accepted = True
                except ConfigError:
                    accepted = False
                assert accepted == fits, (cpu, memory, gpus)


def test_the_gpu_stack_file_runs_one_gpu_service_on_managed_instances():
    values = yaml.safe_load((ROOT / "Pulumi.gpu.yaml").read_text())["config"]
    raw = {k.split(":", 1)[1]: (v if isinstance(v, str) else json.dumps(v)) for k, v in values.items()
           if k.startswith(f"{NAMESPACE}:")}
    settings = parse_settings(raw)
    assert settings.managed_instances.enabled and settings.fargate_ephemeral_storage_kms
    (service,) = settings.services
    assert service.capacity == "managed-instances" and service.gpus == 1 and service.volumes
