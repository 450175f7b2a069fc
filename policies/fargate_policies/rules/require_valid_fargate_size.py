"""require-valid-fargate-size: a FARGATE task definition asks for a size and platform Fargate offers.

AWS rejects any other cpu/memory pair only when the task definition is
registered, i.e. in the middle of ``pulumi up``; this rule says so at preview.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from .. import facts
from ._common import ECS_TASK_DEFINITION, NotApplicable, as_int, as_list, get, resource_rule
from ._ecs import (
    compatibilities,
    containers_unknown,
    labelled_containers,
    operating_system_family,
    requires_fargate,
    show,
)

MSG_NOT_FARGATE = (
    "requiresCompatibilities is {value}; Fargate sizes apply only to task definitions that require FARGATE "
    "(require-valid-managed-instances-size checks tasks on Managed Instances)."
)
MSG_GPU_ON_FARGATE = (
    "{container} reserves {value} GPU(s) in resourceRequirements; Fargate has no GPUs. Run the task on ECS "
    "Managed Instances with GPU instance types (requiresCompatibilities ['MANAGED_INSTANCES'])."
)
MSG_CPU_UNREADABLE = "cpu is {value}; a FARGATE task definition needs a task-level cpu, one of {cpus} (CPU units)."
MSG_CPU_INVALID = "cpu is {value}; Fargate offers {cpus} CPU units (1024 = 1 vCPU)."
MSG_MEMORY_UNREADABLE = "memory is {value}; a FARGATE task definition needs a task-level memory in MiB."
MSG_PAIR_INVALID = "memory is {value} with cpu {cpu}; with cpu {cpu} Fargate accepts memory (MiB) {allowed}."
MSG_EPHEMERAL_INVALID = (
    "ephemeralStorage.sizeInGib is {value}; it must be a whole number from {low} to {high} "
    "(leave ephemeralStorage out for the 20 GiB default)."
)
MSG_ARCHITECTURE_INVALID = "runtimePlatform.cpuArchitecture is {value}; Fargate accepts {allowed}."
MSG_OS_INVALID = (
    "runtimePlatform.operatingSystemFamily is {value}; Fargate accepts 'LINUX' or a "
    "WINDOWS_SERVER_<version>_<CORE|FULL> family."
)
MSG_WINDOWS_ARCHITECTURE = (
    "runtimePlatform.cpuArchitecture is {value} with operatingSystemFamily {family}; "
    "Windows containers on Fargate run on 'X86_64' only."
)
MSG_WINDOWS_CPU = (
    "cpu is {value} with operatingSystemFamily {family}; Windows containers on Fargate need cpu {minimum} "
    "(1 vCPU) or more."
)


def _numbers(values: Iterable[int]) -> str:
    return ", ".join(str(v) for v in values)


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if not requires_fargate(props):
        raise NotApplicable(MSG_NOT_FARGATE.format(value=show(compatibilities(props) or None)))

    raw_cpu = get(props, "cpu")
    cpu = facts.cpu_units(raw_cpu)
    cpus = _numbers(facts.VALID_CPUS)
    if cpu is None:
        yield MSG_CPU_UNREADABLE.format(value=show(raw_cpu), cpus=cpus)
    elif cpu not in facts.MEMORY_BY_CPU:
        yield MSG_CPU_INVALID.format(value=show(raw_cpu), cpus=cpus)

    raw_memory = get(props, "memory")
    memory = facts.memory_mib(raw_memory)
    if memory is None:
        yield MSG_MEMORY_UNREADABLE.format(value=show(raw_memory))
    elif cpu in facts.MEMORY_BY_CPU and not facts.is_valid_size(cpu, memory):
        yield MSG_PAIR_INVALID.format(value=show(raw_memory), cpu=cpu, allowed=_numbers(facts.allowed_memory(cpu)))

    storage = get(props, "ephemeralStorage")
    if storage is not None:
        raw_size = get(storage, "sizeInGib")
        size = as_int(raw_size)
        if size is None or not facts.EPHEMERAL_STORAGE_MIN_GIB <= size <= facts.EPHEMERAL_STORAGE_MAX_GIB:
            yield MSG_EPHEMERAL_INVALID.format(
                value=show(raw_size), low=facts.EPHEMERAL_STORAGE_MIN_GIB, high=facts.EPHEMERAL_STORAGE_MAX_GIB
            )

    # The container list may be unknown at preview: require-verifiable-container-definitions reports that.
    for label, container in ([] if containers_unknown(props) else labelled_containers(props) or []):
        for requirement in as_list(container.get("resourceRequirements")):
            if get(requirement, "type") == facts.GPU_RESOURCE:
                yield MSG_GPU_ON_FARGATE.format(container=label, value=show(get(requirement, "value")))

    architecture = get(props, "runtimePlatform", "cpuArchitecture")
    if architecture is not None and architecture not in facts.CPU_ARCHITECTURES:
        yield MSG_ARCHITECTURE_INVALID.format(
            value=show(architecture), allowed=" or ".join(show(a) for a in facts.CPU_ARCHITECTURES)
        )

    family = operating_system_family(props)
    if family is None or family == facts.LINUX:
        return
    if not facts.is_windows_family(family):
        yield MSG_OS_INVALID.format(value=show(family))
        return
    if architecture is not None and architecture != facts.WINDOWS_ARCHITECTURE:
        yield MSG_WINDOWS_ARCHITECTURE.format(value=show(architecture), family=show(family))
    if cpu is not None and cpu < facts.WINDOWS_MIN_CPU:
        yield MSG_WINDOWS_CPU.format(value=show(raw_cpu), family=show(family), minimum=facts.WINDOWS_MIN_CPU)


POLICY = resource_rule(
    name="require-valid-fargate-size",
    description=(
        "FARGATE task definitions use a cpu/memory pair, ephemeral storage size and runtime platform "
        "that AWS Fargate offers, and reserve no GPUs."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Pick cpu and memory from the Fargate table (for example cpu 512 with memory 1024-4096 in 1024 steps; "
        "cpu 8192 with memory 16384-61440 in 4096 steps). Keep ephemeralStorage.sizeInGib between 21 and 200. "
        "Use runtimePlatform.cpuArchitecture X86_64 or ARM64 and operatingSystemFamily LINUX or "
        "WINDOWS_SERVER_*; Windows tasks need X86_64 and cpu 1024 or more."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    tags=["containers"],
)
