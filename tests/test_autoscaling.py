"""Unit tests of components/autoscaling.py: one Autoscaling built under PlatformMocks."""

from __future__ import annotations

from typing import Any

import pytest

from components.autoscaling import TYPE_TOKEN, Autoscaling, AutoscalingArgs, ScheduledCapacity
from tests.harness import Built, build_component

TARGET = "aws:appautoscaling/target:Target"
POLICY = "aws:appautoscaling/policy:Policy"
SCHEDULED = "aws:appautoscaling/scheduledAction:ScheduledAction"
LB_SUFFIX = "app/platform-alb/50dc6c495c0c9188"
TG_SUFFIX = "targetgroup/api-tg-1a2b3c4/943f017f100becff"
RESOURCE_ID = "service/platform-cluster/api-service-abc1234"


OUTPUT_NAMES = ("scalable_target_id", "resource_id", "policy_names", "scheduled_action_names")


def build(mocks: Any, args: AutoscalingArgs) -> Built:
    return build_component(mocks, TYPE_TOKEN, lambda opts: Autoscaling("api-scaling", args, opts=opts), OUTPUT_NAMES)


def scaling(*, with_suffixes: bool = True, **extra: Any) -> AutoscalingArgs:
    return AutoscalingArgs(**{
        "cluster_name": "platform-cluster", "service_name": "api-service-abc1234",
        "load_balancer_arn_suffix": LB_SUFFIX if with_suffixes else None,
        "target_group_arn_suffix": TG_SUFFIX if with_suffixes else None,
        "min_count": 2, "max_count": 8, "scale_in_cooldown": 240, "scale_out_cooldown": 45, **extra})


def test_target_and_default_policies(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, scaling())
    target = b.one(TARGET, "api-scaling-target")
    assert target.inputs["serviceNamespace"] == "ecs", f"{target.urn}"
    assert target.inputs["scalableDimension"] == "ecs:service:DesiredCount", f"{target.urn}"
    assert target.inputs["resourceId"] == RESOURCE_ID, f"{target.urn}"
    assert (target.inputs["minCapacity"], target.inputs["maxCapacity"]) == (2, 8), f"{target.urn}"
    # Defaults: CPU 60 %, memory 75 %, requests per target off.
    assert b.names(POLICY) == ["api-scaling-cpu", "api-scaling-memory"], f"{TYPE_TOKEN}::api-scaling policies"
    expected = {"api-scaling-cpu": ("ECSServiceAverageCPUUtilization", 60.0),
                "api-scaling-memory": ("ECSServiceAverageMemoryUtilization", 75.0)}
    for name, (metric, value) in expected.items():
        pol = b.one(POLICY, name)
        assert pol.inputs["policyType"] == "TargetTrackingScaling", f"{pol.urn}"
        assert pol.inputs["resourceId"] == RESOURCE_ID, f"{pol.urn}"
        assert pol.inputs["serviceNamespace"] == "ecs", f"{pol.urn}"
        assert pol.inputs["scalableDimension"] == "ecs:service:DesiredCount", f"{pol.urn}"
        cfg = pol.inputs["targetTrackingScalingPolicyConfiguration"]
        assert cfg["predefinedMetricSpecification"] == {"predefinedMetricType": metric}, f"{pol.urn}: {cfg}"
        assert cfg["targetValue"] == value, f"{pol.urn}: {cfg}"
        assert (cfg["scaleInCooldown"], cfg["scaleOutCooldown"]) == (240, 45), f"{pol.urn}: {cfg}"
        assert cfg["disableScaleIn"] is False, f"{pol.urn}"
    assert b.names(SCHEDULED) == [], f"{TYPE_TOKEN}::api-scaling scheduled actions"
    assert b.outputs["resource_id"] == RESOURCE_ID, f"{TYPE_TOKEN}::api-scaling outputs"
    assert b.outputs["scalable_target_id"] == target.id, f"{target.urn}: scalable_target_id is not the target's id"
    assert b.outputs["policy_names"] == [b.one(POLICY, n).outputs["name"] for n in expected], \
        f"{TYPE_TOKEN}::api-scaling policy_names"
    assert b.outputs["scheduled_action_names"] == [], f"{TYPE_TOKEN}::api-scaling scheduled_action_names"


def test_children_are_named_by_role_and_parented(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, scaling(requests_per_target=500, schedules=[
        ScheduledCapacity(name="night", schedule="cron(0 20 * * ? *)", min_count=0, max_count=0)]))
    assert sorted(b.children) == ["api-scaling-cpu", "api-scaling-memory", "api-scaling-requests",
                                  "api-scaling-schedule-night", "api-scaling-target"], f"{TYPE_TOKEN}::api-scaling"
    for child in b.children.values():
        assert child.opts is not None and child.opts.parent is b.component, f"{child.urn}: parent"


def test_memory_off_requests_on(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, scaling(memory_target=None, cpu_target=50, requests_per_target=1000))
    assert b.names(POLICY) == ["api-scaling-cpu", "api-scaling-requests"], f"{TYPE_TOKEN}::api-scaling policies"
    pol = b.one(POLICY, "api-scaling-requests")
    cfg = pol.inputs["targetTrackingScalingPolicyConfiguration"]
    assert cfg["predefinedMetricSpecification"] == {"predefinedMetricType": "ALBRequestCountPerTarget",
                                                    "resourceLabel": f"{LB_SUFFIX}/{TG_SUFFIX}"}, f"{pol.urn}"
    assert cfg["targetValue"] == 1000, f"{pol.urn}"
    assert b.one(POLICY, "api-scaling-cpu").inputs["targetTrackingScalingPolicyConfiguration"]["targetValue"] == 50


def test_every_target_disabled_leaves_only_the_target(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, scaling(cpu_target=None, memory_target=None, min_count=2, max_count=2))
    assert b.names(POLICY) == [], f"{TYPE_TOKEN}::api-scaling policies"
    assert b.outputs["policy_names"] == [], f"{TYPE_TOKEN}::api-scaling policy_names"


def test_requests_target_needs_the_arn_suffixes(pulumi_mocks: Any) -> None:
    recorded: list[str] = []
    original = pulumi_mocks.new_resource
    pulumi_mocks.new_resource = lambda args: (recorded.append(args.name), original(args))[1]
    with pytest.raises(ValueError, match="requests_per_target needs load_balancer_arn_suffix"):
        build(pulumi_mocks, scaling(requests_per_target=100, with_suffixes=False))
    assert [name for name in recorded if name != "api-scaling"] == [], "children created before the refusal"


def test_scheduled_actions(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, scaling(min_count=0, schedules=[
        ScheduledCapacity(name="night", schedule="cron(0 20 ? * MON-FRI *)", min_count=0, max_count=0,
                          timezone="Europe/Berlin"),
        ScheduledCapacity(name="morning", schedule="cron(0 7 ? * MON-FRI *)", min_count=1, max_count=8),
    ]))
    assert b.names(SCHEDULED) == ["api-scaling-schedule-morning", "api-scaling-schedule-night"], \
        f"{TYPE_TOKEN}::api-scaling scheduled actions"
    night = b.one(SCHEDULED, "api-scaling-schedule-night")
    assert night.inputs["schedule"] == "cron(0 20 ? * MON-FRI *)", f"{night.urn}"
    assert night.inputs["timezone"] == "Europe/Berlin", f"{night.urn}"
    assert night.inputs["scalableTargetAction"] == {"minCapacity": 0, "maxCapacity": 0}, f"{night.urn}"
    assert (night.inputs["resourceId"], night.inputs["serviceNamespace"], night.inputs["scalableDimension"]) == \
        (RESOURCE_ID, "ecs", "ecs:service:DesiredCount"), f"{night.urn}"
    morning = b.one(SCHEDULED, "api-scaling-schedule-morning")
    assert morning.inputs["timezone"] == "UTC", f"{morning.urn}"
    assert morning.inputs["scalableTargetAction"] == {"minCapacity": 1, "maxCapacity": 8}, f"{morning.urn}"
    assert b.outputs["scheduled_action_names"] == [night.outputs["name"], morning.outputs["name"]], \
        f"{TYPE_TOKEN}::api-scaling scheduled_action_names"
