"""require-scalable-target (stack rule): a service is linked to its target by resourceId or by dependencies."""

import pytest
from fargate_policies.rules import require_scalable_target as rule
from fargate_policies.rules._common import ECS_CLUSTER, ECS_SERVICE, SCALABLE_TARGET
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

CLUSTER_ARN = "arn:aws:ecs:eu-west-1:123456789012:cluster/prod"


def build(b, services=("web",), target_props: dict | None = None) -> None:
    """A compliant stack in any of the engine's modes: each service has an ECS scalable target."""
    cluster = b.add(ECS_CLUSTER[0], "prod", {"name": "prod"}, id=CLUSTER_ARN)
    for name in services:
        service = b.add(ECS_SERVICE[0], name, {
            "name": name, "cluster": b.ref(cluster), "launchType": "FARGATE", "desiredCount": 2.0,
        }, id=f"arn:aws:ecs:eu-west-1:123456789012:service/prod/{name}", cluster=[cluster])
        b.add(SCALABLE_TARGET[0], f"{name}-scaling", {
            "serviceNamespace": "ecs", "scalableDimension": "ecs:service:DesiredCount",
            "resourceId": b.ref_value(f"service/prod/{name}"), "minCapacity": 2.0, "maxCapacity": 6.0,
            **(target_props or {}),
        }, resourceId=[cluster, service])


def test_baseline_passes_in_every_mode(run, stack_builder):
    build(stack_builder, services=("web", "api"))
    assert run(stack_builder.resources) == []


def test_service_without_target_in_every_mode(run, stack_builder):
    build(stack_builder)
    stack_builder.add(ECS_SERVICE[0], "worker", {"name": "worker", "cluster": CLUSTER_ARN})
    assert run(stack_builder.resources) == [
        (stack_builder["worker"].urn, rule.MSG_NO_TARGET.format(service="worker"))
    ]


@pytest.mark.parametrize(("low", "high"), [(2.0, 2.0), (3.0, 2.0), (None, 4.0), (1.0, "many")])
def test_target_that_cannot_scale_in_every_mode(run, stack_builder, low, high):
    build(stack_builder, target_props={"minCapacity": low, "maxCapacity": high})
    target = stack_builder["web-scaling"]
    assert run(stack_builder.resources) == [(target.urn, rule.MSG_NOT_SCALABLE.format(
        target="web-scaling", service="web", min=rule.show(low), max=rule.show(high)))]


def test_target_of_another_service_does_not_count(run, node):
    web = node(ECS_SERVICE[0], "web", {"name": "web", "cluster": CLUSTER_ARN})
    api = node(ECS_SERVICE[0], "api", {"name": "api", "cluster": CLUSTER_ARN})
    target = node(SCALABLE_TARGET[0], "web-scaling", {"serviceNamespace": "ecs", "resourceId": "service/prod/web",
                                                      "minCapacity": 1.0, "maxCapacity": 3.0}, resourceId=[web])
    assert run([web, api, target]) == [(api.urn, rule.MSG_NO_TARGET.format(service="api"))]


def test_target_outside_ecs_does_not_count(run, node):
    web = node(ECS_SERVICE[0], "web", {"name": "web", "cluster": CLUSTER_ARN})
    table = node(SCALABLE_TARGET[0], "table", {"serviceNamespace": "dynamodb", "resourceId": "service/prod/web",
                                               "minCapacity": 1.0, "maxCapacity": 3.0}, resourceId=[web])
    assert run([web, table]) == [(web.urn, rule.MSG_NO_TARGET.format(service="web"))]


@pytest.mark.parametrize(("cluster", "resource_id", "linked"), [
    ("prod", "service/prod/web", True),
    (None, "service/default/web", True),
    (CLUSTER_ARN, "service/staging/web", False),
    (CLUSTER_ARN, "service/prod/web2", False),
])
def test_linking_by_resource_id_alone(run, node, cluster, resource_id, linked):
    web = node(ECS_SERVICE[0], "web", {"name": "web", "cluster": cluster})
    target = node(SCALABLE_TARGET[0], "t", {"serviceNamespace": "ecs", "resourceId": resource_id,
                                            "minCapacity": 1.0, "maxCapacity": 3.0})
    expected = [] if linked else [(web.urn, rule.MSG_NO_TARGET.format(service="web"))]
    assert run([web, target]) == expected


def test_unlinked_target_with_unknown_resource_id_cannot_be_decided(run, node):
    web = node(ECS_SERVICE[0], "web", {"name": "web", "cluster": CLUSTER_ARN})
    target = node(SCALABLE_TARGET[0], "t", {"serviceNamespace": "ecs", "resourceId": UNKNOWN_STRING_VALUE,
                                            "minCapacity": 1.0, "maxCapacity": 3.0})
    with pytest.raises(UnknownValueError):
        run([web, target])


def test_daemon_services_are_skipped(run, node):
    assert run([node(ECS_SERVICE[0], "agent", {"name": "agent", "schedulingStrategy": "DAEMON"})]) == []


def test_large_stacks_are_indexed_not_nested(run, node):
    resources = []
    for i in range(3000):
        service = node(ECS_SERVICE[0], f"svc{i}", {"name": f"svc{i}", "cluster": CLUSTER_ARN})
        deps = {"resourceId": [service]} if i % 2 else {}
        resources += [service, node(SCALABLE_TARGET[0], f"t{i}", {
            "serviceNamespace": "ecs", "resourceId": f"service/prod/svc{i}", "minCapacity": 1.0, "maxCapacity": 2.0,
        }, **deps)]
    assert run(resources) == []


def test_other_resource_types_are_ignored(run, node):
    assert run([node("aws:s3/bucket:Bucket", "logs", {"bucket": "logs"})]) == []
