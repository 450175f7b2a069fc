"""The estimate of capacity beside Fargate: the gpu example's managed instances and EBS volume, itemised with the
date and source of each price; instance types it cannot price are listed, never counted as zero."""

from __future__ import annotations

import copy
import math

import pytest
from fargate_policies import costing
from fargate_policies.costing import instances
from fargate_policies.facts import INSTANCE_TYPES

from stacks.exports import cost
from tests.stack_programs import program

T_SERVICE = "aws:ecs/service:Service"
T_PROVIDER = "aws:ecs/capacityProvider:CapacityProvider"
TABLE = costing.load_prices()


@pytest.fixture(scope="module")
def gpu():
    return program("gpu")


@pytest.fixture(scope="module")
def estimate(gpu) -> costing.Estimate:
    return cost.estimate_run(gpu)


def service_item(estimate: costing.Estimate) -> costing.Item:
    (item,) = [i for i in estimate.items if i.type == T_SERVICE]
    return item


def test_the_gpu_example_is_itemised_and_nothing_is_unpriced(estimate):
    assert not estimate.unpriced, [f"{u.urn}: {u.reason}" for u in estimate.unpriced]
    item = service_item(estimate)
    for group in (instances.ON_DEMAND, instances.MANAGEMENT, instances.EBS):
        meta = TABLE.groups[group]
        assert f"{meta['asOf']}, {meta['source']}" in item.detail, f"{item.urn}: {group} not dated in {item.detail}"
    assert "g5.xlarge" in item.detail, item.detail


def test_the_gpu_service_costs_its_instance_its_management_and_its_volumes(estimate, gpu):
    """One task (3 vCPU, 12 GiB, 1 GPU) a month: one g5.xlarge (the cheaper of the two allowed types that hold
    it) with its 100 GiB volume, the task's 100 GiB gp3 volume at 250 MiB/s, and its Cloud Map registration."""
    hours = TABLE.hours_per_month
    instance = hours * (TABLE.price("ec2OnDemand", "g5.xlarge") + TABLE.price("ecsManagedInstances", "g5.xlarge"))
    instance_volume = 100 * TABLE.price("ebs", "gp3GbMonth")
    task_volume = 100 * TABLE.price("ebs", "gp3GbMonth") + (250 - 125) * TABLE.price("ebs", "gp3ThroughputMibsMonth")
    registration = TABLE.price("cloudMap", "registeredInstanceMonth")
    expected = instance + instance_volume + task_volume + registration
    assert service_item(estimate).monthly_usd == pytest.approx(expected), service_item(estimate).detail


def _with_provider(gpu, change) -> costing.Estimate:
    resources = copy.deepcopy(gpu.resources)
    (provider,) = [r for r in resources if r.type == T_PROVIDER]
    change(provider.inputs["managedInstancesProvider"]["instanceLaunchTemplate"])
    return costing.estimate(resources)


@pytest.mark.parametrize(("types", "reason"), [
    (["g5.*"], "no known size"),
    (["g6.xlarge"], "g6.xlarge ECS may choose have no ec2OnDemand"),
    (None, "left to ECS"),
])
def test_instances_it_cannot_price_are_listed_not_zero(gpu, types, reason):
    def change(template):
        requirements = template["instanceRequirements"]
        if types is None:
            requirements.pop("allowedInstanceTypes")
        else:
            requirements["allowedInstanceTypes"] = types

    estimate = _with_provider(gpu, change)
    unpriced = [u for u in estimate.unpriced if u.type == T_SERVICE]
    assert len(unpriced) == 1 and reason in unpriced[0].reason, estimate.unpriced


def test_spot_instances_use_spot_prices(gpu, estimate):
    spot = _with_provider(gpu, lambda template: template.update(capacityOptionType="SPOT"))
    saving = TABLE.hours_per_month * (TABLE.price("ec2OnDemand", "g5.xlarge") - TABLE.price("ec2Spot", "g5.xlarge"))
    assert service_item(estimate).monthly_usd - service_item(spot).monthly_usd == pytest.approx(saving)
    assert "Spot" in service_item(spot).detail


@pytest.mark.parametrize(("cpu", "memory", "gpus", "expected"), [
    (1024, 2048, 0, 4), (3072, 12288, 1, 1), (4096, 16384, 0, 1), (512, 15000, 0, 1), (4097, 1024, 0, 0),
    (1024, 1024, 2, 0)])
def test_tasks_per_instance(cpu, memory, gpus, expected):
    assert instances.tasks_per_instance(INSTANCE_TYPES["g5.xlarge"], cpu, memory, gpus) == expected


def test_whole_instances_per_stretch_of_the_week():
    choice = instances.InstanceChoice("m7g.large", 2, 0.1, 0.01, 30.0, False)
    # 3 tasks for 10 h need 2 instances; 2 tasks for 5 h need 1; none for 7 h need none.
    assert instances.instance_hours(choice, [(3, 10.0), (2, 5.0), (0, 7.0)]) == 25.0


def test_io2_iops_are_priced_in_tiers():
    size, iops = 100, 70000
    expected = (size * TABLE.price("ebs", "io2GbMonth") + 32000 * TABLE.price("ebs", "io2IopsMonth")
                + 32000 * TABLE.price("ebs", "io2IopsMonthAbove32000")
                + 6000 * TABLE.price("ebs", "io2IopsMonthAbove64000"))
    assert instances.io2_month(TABLE, size, iops) == pytest.approx(expected)
    usd, kind = instances.task_volume_month(TABLE, {"volumeType": "io2", "sizeInGb": size, "iops": iops})
    assert usd == pytest.approx(expected) and kind == "io2 100 GiB 70000 IOPS"
    with pytest.raises(instances.NotPriced, match="no iops"):
        instances.task_volume_month(TABLE, {"volumeType": "io2", "sizeInGb": size})
    assert math.isclose(instances.gp3_month(TABLE, 10), 10 * TABLE.price("ebs", "gp3GbMonth"))
