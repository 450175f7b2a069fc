"""Prices of what runs beside Fargate: ECS Managed Instances and the EBS volumes ECS attaches to tasks.

A service on a Managed Instances provider pays for instances, not task sizes: EC2 on-demand or
Spot by instance type, plus ECS's management charge per instance-hour, plus the gp3 volume each
instance keeps task data on. The estimate takes the cheapest instance type the provider allows
that fits one task, packs as many tasks on an instance as its vCPUs, memory and GPUs hold, and
counts whole instances for each stretch of the week. Every instance type ECS may choose must
have a price and a known size (:data:`facts.INSTANCE_TYPES`); otherwise the reason is returned
and the service's instances are listed as unpriced, never counted as zero.

An EBS volume ECS attaches to each task is paid per GiB-month, and on gp3 for IOPS and
throughput above the free baseline (io2: for every provisioned IOPS, in tiers), while the task
runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ..facts import INSTANCE_TYPES, InstanceType
from .graph import get, items, num, text
from .prices import PriceTable

ON_DEMAND = "ec2OnDemand"
SPOT = "ec2Spot"
MANAGEMENT = "ecsManagedInstances"
EBS = "ebs"
STORAGE_DEFAULT_GIB = 30.0
"""Size (GiB) of a managed instance's task-data volume when the provider does not set one (ECS's default)."""


class NotPriced(Exception):
    """Why something cannot be priced: one line for the unpriced list."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InstanceChoice(NamedTuple):
    """The instance type the estimate runs a service's tasks on, and what one instance-hour of it costs."""

    instance_type: str
    tasks_per_instance: int
    ec2_hour: float
    management_hour: float
    storage_gib: float
    spot: bool


def tasks_per_instance(size: InstanceType, cpu_units: float, memory_mib: float, gpus: int) -> int:
    """How many tasks of this size one instance holds (0 when not even one fits)."""
    limits = [math.floor(size.vcpus * 1024 / cpu_units + 1e-9), math.floor(size.memory_mib / memory_mib + 1e-9)]
    if gpus:
        limits.append(size.gpus // gpus)
    return max(min(limits), 0)


def _bound(requirements: Any, name: str, end: str) -> float | None:
    return num(get(requirements, name, end))


def _allowed_by_ranges(size: InstanceType, requirements: Any) -> bool:
    for value, name in ((size.vcpus, "vcpuCount"), (size.memory_mib, "memoryMib"), (size.gpus, "acceleratorCount")):
        low, high = _bound(requirements, name, "min"), _bound(requirements, name, "max")
        if (low is not None and value < low) or (high is not None and value > high):
            return False
    return True


def choose_instance(provider_props: Mapping[str, Any], table: PriceTable, cpu_units: float, memory_mib: float,
                    gpus: int) -> InstanceChoice:
    """The cheapest allowed, priced instance type that holds a task; :class:`NotPriced` when one cannot be told."""
    template = get(provider_props, "managedInstancesProvider", "instanceLaunchTemplate")
    requirements = get(template, "instanceRequirements")
    allowed = [t for t in (text(v) for v in items(get(requirements, "allowedInstanceTypes"))) if t]
    if not allowed:
        raise NotPriced("its instance types are left to ECS (no allowedInstanceTypes), so their price is unknown")
    unknown = [t for t in allowed if t not in INSTANCE_TYPES]
    if unknown:
        raise NotPriced(f"instance type(s) {', '.join(unknown)} have no known size (families and unlisted types "
                        "cannot be priced)")
    fitting = [t for t in allowed if _allowed_by_ranges(INSTANCE_TYPES[t], requirements)
               and tasks_per_instance(INSTANCE_TYPES[t], cpu_units, memory_mib, gpus) > 0]
    if not fitting:
        raise NotPriced("no allowed instance type holds one task")
    spot = (text(get(template, "capacityOptionType")) or "ON_DEMAND").upper() == "SPOT"
    group = SPOT if spot else ON_DEMAND
    unpriced = [t for t in fitting if t not in table.prices.get(group, {}) or t not in table.prices.get(MANAGEMENT, {})]
    if unpriced:
        raise NotPriced(f"instance type(s) {', '.join(unpriced)} ECS may choose have no {group} or {MANAGEMENT} "
                        "price in the price file")
    storage = num(get(template, "storageConfiguration", "storageSizeGib"))
    choices = [InstanceChoice(t, tasks_per_instance(INSTANCE_TYPES[t], cpu_units, memory_mib, gpus),
                              table.price(group, t), table.price(MANAGEMENT, t),
                              storage if storage is not None else STORAGE_DEFAULT_GIB, spot) for t in fitting]
    # Cheapest per task: what ECS's cost-optimised choice amounts to once instances fill up.
    return min(choices, key=lambda c: ((c.ec2_hour + c.management_hour) / c.tasks_per_instance, c.instance_type))


def instance_hours(choice: InstanceChoice, segments: Sequence[tuple[float, float]]) -> float:
    """Instance-hours for (tasks, hours) stretches of the week: whole instances, as many as the tasks need."""
    return sum(math.ceil(tasks / choice.tasks_per_instance - 1e-9) * hours for tasks, hours in segments if tasks > 0)


def gp3_month(table: PriceTable, size_gib: float, iops: float | None = None, throughput: float | None = None) -> float:
    """Monthly price of one gp3 volume: GiB, plus IOPS and throughput above the free baseline."""
    extra_iops = max((iops or 0.0) - table.price(EBS, "gp3FreeIops"), 0.0)
    extra_throughput = max((throughput or 0.0) - table.price(EBS, "gp3FreeThroughputMibs"), 0.0)
    return (size_gib * table.price(EBS, "gp3GbMonth") + extra_iops * table.price(EBS, "gp3IopsMonth")
            + extra_throughput * table.price(EBS, "gp3ThroughputMibsMonth"))


def io2_month(table: PriceTable, size_gib: float, iops: float) -> float:
    """Monthly price of one io2 volume: GiB plus provisioned IOPS in AWS's three tiers."""
    tiers = ((32000.0, "io2IopsMonth"), (64000.0, "io2IopsMonthAbove32000"), (math.inf, "io2IopsMonthAbove64000"))
    usd, floor = size_gib * table.price(EBS, "io2GbMonth"), 0.0
    for ceiling, name in tiers:
        usd += max(min(iops, ceiling) - floor, 0.0) * table.price(EBS, name)
        floor = ceiling
    return usd


def task_volume_month(table: PriceTable, managed: Mapping[str, Any]) -> tuple[float, str]:
    """Monthly price of the EBS volume ECS keeps for a running task, and how it is described."""
    kind = (text(managed.get("volumeType")) or "gp3").lower()
    size = num(managed.get("sizeInGb"))
    if size is None or size <= 0:
        raise NotPriced("its task EBS volume has no readable sizeInGb")
    iops, throughput = num(managed.get("iops")), num(managed.get("throughput"))
    if kind == "gp3":
        return gp3_month(table, size, iops, throughput), f"gp3 {size:g} GiB"
    if kind == "io2":
        if iops is None:
            raise NotPriced("its io2 task volume sets no iops")
        return io2_month(table, size, iops), f"io2 {size:g} GiB {iops:g} IOPS"
    raise NotPriced(f"{kind} task volumes are not in the price file")


def dated(table: PriceTable, group: str) -> str:
    """When and where a price group's figures come from, for a detail line."""
    meta = table.groups.get(group, {})
    return f"{meta.get('asOf', table.as_of)}, {meta.get('source', 'the price file')}"
