"""require-valid-managed-instances-size: a task on ECS Managed Instances fits an instance its provider allows.

The Fargate size table does not apply on Managed Instances (require-valid-fargate-size skips
those task definitions): a task of any size registers, and then never places when no instance
the capacity provider may launch is large enough. This rule follows each ECS service's
capacity-provider strategy to its Managed Instances providers and its task definition, and
checks the task's cpu, memory and GPUs against the providers' instance requirements (the
allowed instance types when the pack knows them all, else the vCPU, memory and accelerator
maxima), and that the task definition is registered for MANAGED_INSTANCES at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from .. import facts
from ._common import (
    ECS_CAPACITY_PROVIDER,
    ECS_SERVICE,
    ECS_TASK_DEFINITION,
    NotApplicable,
    as_int,
    as_list,
    get,
    show,
    stack_rule,
)
from ._ecs import compatibilities, containers_unknown, labelled_containers
from ._net import StackIndex, label

REQUIREMENTS = ("managedInstancesProvider", "instanceLaunchTemplate", "instanceRequirements")

MSG_NOT_COMPATIBLE = (
    "runs on Managed Instances provider '{provider}' but its task definition '{task}' has requiresCompatibilities "
    "{value}; register the task definition with requiresCompatibilities ['MANAGED_INSTANCES']."
)
MSG_TOO_LARGE = (
    "task definition '{task}' asks for cpu {cpu}, memory {memory} MiB and {gpus} GPU(s), more than any instance "
    "Managed Instances provider '{provider}' may launch (at most {vcpus} vCPUs, {max_memory} MiB, {max_gpus} "
    "GPU(s)), so its tasks would never be placed; shrink the task or allow larger instance types."
)
MSG_SIZE_UNREADABLE = (
    "task definition '{task}' has cpu {cpu} and memory {memory}; a task on Managed Instances provider "
    "'{provider}' needs a task-level cpu (CPU units) and memory (MiB) to be checked against its instances."
)
NOT_APPLICABLE = "no ECS service of this stack runs on a Managed Instances provider of this stack ({reasons})"


def _bound(requirements: Any, name: str, end: str) -> int | None:
    return as_int(get(requirements, name, end))


def requirements_of(provider: Any) -> facts.InstanceRequirements:
    """A provider's instance requirements, as far as a task's size goes."""
    r = get(provider.props, *REQUIREMENTS)
    allowed = tuple(t for t in as_list(get(r, "allowedInstanceTypes")) if isinstance(t, str))
    return facts.InstanceRequirements(
        vcpu_min=_bound(r, "vcpuCount", "min"), vcpu_max=_bound(r, "vcpuCount", "max"),
        memory_min_mib=_bound(r, "memoryMib", "min"), memory_max_mib=_bound(r, "memoryMib", "max"),
        accelerator_min=_bound(r, "acceleratorCount", "min"), accelerator_max=_bound(r, "acceleratorCount", "max"),
        allowed_types=allowed)


def task_gpus(props: Mapping[str, Any]) -> int:
    """GPUs the task's containers reserve (resourceRequirements of type GPU)."""
    total = 0
    for _, container in labelled_containers(props) or []:
        for requirement in as_list(container.get("resourceRequirements")):
            if get(requirement, "type") == facts.GPU_RESOURCE:
                total += as_int(get(requirement, "value")) or 0
    return total


def _providers(index: StackIndex, service: Any) -> list[Any]:
    """The Managed Instances providers the service's strategy names."""
    found: dict[str, Any] = {}
    entries = len(as_list(get(service.props, "capacityProviderStrategies")))
    for i in range(entries):
        # The engine files every entry's provider under one dependency key: it tells which entry only when
        # there is one.
        link = index.link(service, ("capacityProviderStrategies", i, "capacityProvider"), ECS_CAPACITY_PROVIDER,
                          shared=entries > 1)
        if link.unknown is not None:
            raise link.unknown
        for provider in link.targets:
            if get(provider.props, "managedInstancesProvider") is not None:
                found[provider.urn] = provider
    return list(found.values())


def _findings(service: Any, task: Any, provider: Any) -> list[str]:
    names = {"provider": label(provider), "task": label(task)}
    kinds = compatibilities(task.props)
    if facts.COMPATIBILITY_MANAGED_INSTANCES not in kinds:
        return [MSG_NOT_COMPATIBLE.format(value=show(kinds or None), **names)]
    raw_cpu, raw_memory = get(task.props, "cpu"), get(task.props, "memory")
    cpu, memory = facts.cpu_units(raw_cpu), facts.memory_mib(raw_memory)
    if cpu is None or memory is None:
        return [MSG_SIZE_UNREADABLE.format(cpu=show(raw_cpu), memory=show(raw_memory), **names)]
    gpus = task_gpus(task.props)
    fit = facts.task_fit(requirements_of(provider), cpu, memory, gpus)
    if fit.fits:
        return []

    def most(value: int | None) -> str:
        return "any" if value is None else str(value)

    return [MSG_TOO_LARGE.format(cpu=cpu, memory=memory, gpus=gpus, vcpus=most(fit.vcpus),
                                 max_memory=most(fit.memory_mib), max_gpus=most(fit.gpus), **names)]


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    index = StackIndex(resources)
    skipped: list[str] = []
    judged = False
    for service in index.of_type(ECS_SERVICE):
        providers = _providers(index, service)
        if not providers:
            continue
        link = index.link(service, ("taskDefinition",), ECS_TASK_DEFINITION)
        if link.unknown is not None:
            raise link.unknown
        if not link.targets:
            skipped.append(f"service '{label(service)}': its task definition is not in this stack")
            continue
        task = link.targets[0]
        if containers_unknown(task.props):
            skipped.append(f"task definition '{label(task)}': containerDefinitions is unknown at preview")
            continue
        judged = True
        for provider in providers:
            for message in _findings(service, task, provider):
                yield service.urn, message
    if not judged:
        reasons = "; ".join(skipped[:3]) if skipped else "none names one in its capacity provider strategy"
        raise NotApplicable(NOT_APPLICABLE.format(reasons=reasons))


POLICY = stack_rule(
    name="require-valid-managed-instances-size",
    description=(
        "ECS services on Managed Instances run task definitions registered for MANAGED_INSTANCES whose cpu, memory "
        "and GPUs fit an instance their capacity provider may launch."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Register the task definition with requiresCompatibilities ['MANAGED_INSTANCES'] and a task-level cpu and "
        "memory. Keep cpu at most 1024 per vCPU, memory and GPUs (resourceRequirements of type GPU) at most what "
        "the largest allowed instance type has; or raise the provider's instanceRequirements (vcpuCount.max, "
        "memoryMib.max, acceleratorCount.max, allowedInstanceTypes)."
    ),
    tags=["containers", "availability"],
    types=(*ECS_SERVICE, *ECS_TASK_DEFINITION, *ECS_CAPACITY_PROVIDER),
    check=check,
)
