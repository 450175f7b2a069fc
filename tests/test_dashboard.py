"""Unit tests of components/dashboard.py: one Dashboard built under PlatformMocks."""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.dashboard import TYPE_TOKEN, Dashboard, DashboardArgs, DashboardService
from tests.harness import Built, assert_children_parented_and_named, build_component

DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
CLUSTER = "fp-test-cluster-1a2b3c4"
LB_SUFFIX = "app/fp-test-alb-1a2b3c4/50dc6c495c0c9188"
SERVICES = (
    DashboardService(label="api", service_name="fp-test-api-service-1a2b3c4",
                     target_group_arn_suffix="targetgroup/fp-test-api-tg/943f017f100becff"),
    DashboardService(label="worker", service_name="fp-test-worker-service-5d6e7f8"),
)


def build(mocks: Any, **extra: Any) -> Built:
    args = DashboardArgs(**{"cluster_name": CLUSTER, "services": SERVICES, "load_balancer_arn_suffix": LB_SUFFIX,
                            "period_seconds": 300, **extra})
    return build_component(mocks, TYPE_TOKEN, lambda opts: Dashboard("fp-test", args, opts=opts),
                           ("dashboard_name",))


def body(b: Built) -> tuple[str, dict[str, Any]]:
    dashboard = b.one(DASHBOARD, "fp-test-dashboard")
    text = dashboard.inputs["dashboardBody"]
    assert isinstance(text, str), f"{dashboard.urn}: dashboardBody is {type(text).__name__}, not JSON text"
    return dashboard.urn, json.loads(text)


def metric_widgets(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [w for w in document["widgets"] if w["type"] == "metric"]


def metric_names(widget: dict[str, Any]) -> list[str]:
    return [m[1] for m in widget["properties"]["metrics"] if isinstance(m[0], str)]


def test_dashboard_is_named_and_parented(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks)
    dashboard = b.one(DASHBOARD, "fp-test-dashboard")
    assert dashboard.inputs["dashboardName"] == "fp-test", f"{dashboard.urn}: dashboardName"
    assert b.outputs["dashboard_name"] == "fp-test", f"{TYPE_TOKEN}::fp-test dashboard_name"
    assert_children_parented_and_named(b, "fp-test")


def test_custom_dashboard_name(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, dashboard_name="platform-prod")
    dashboard = b.one(DASHBOARD, "fp-test-dashboard")
    assert dashboard.inputs["dashboardName"] == "platform-prod", f"{dashboard.urn}: dashboardName"


def test_body_is_valid_json_naming_every_service(pulumi_mocks: Any) -> None:
    urn, document = body(build(pulumi_mocks))
    text = json.dumps(document)
    for svc in SERVICES:
        assert svc.service_name in text, f"{urn}: {svc.service_name} not on the dashboard"
        assert f"## {svc.label}" in text, f"{urn}: no heading for {svc.label}"
    for widget in document["widgets"]:
        for key in ("x", "y", "width", "height"):
            assert isinstance(widget[key], int), f"{urn}: widget {widget} lacks {key}"
        assert widget["x"] + widget["width"] <= 24, f"{urn}: widget {widget} is wider than the grid"
    for widget in metric_widgets(document):
        props = widget["properties"]
        assert props["region"] == "us-east-1", f"{urn}: {props['title']} region"
        assert props["period"] == 300, f"{urn}: {props['title']} period"


def test_widgets_do_not_overlap(pulumi_mocks: Any) -> None:
    urn, document = body(build(pulumi_mocks))
    cells: set[tuple[int, int]] = set()
    for widget in document["widgets"]:
        mine = {(x, y) for x in range(widget["x"], widget["x"] + widget["width"])
                for y in range(widget["y"], widget["y"] + widget["height"])}
        assert not cells & mine, f"{urn}: widget {widget.get('properties', {}).get('title')} overlaps another"
        cells |= mine


def test_load_balanced_service_has_the_golden_signals(pulumi_mocks: Any) -> None:
    urn, document = body(build(pulumi_mocks))
    api = {w["properties"]["title"]: w for w in metric_widgets(document) if w["properties"]["title"].startswith("api:")}
    assert sorted(api) == ["api: CPU", "api: latency", "api: memory", "api: requests", "api: running tasks",
                           "api: target 5xx"], f"{urn}: {sorted(api)}"
    assert metric_names(api["api: requests"]) == ["RequestCount"], f"{urn}"
    assert "HTTPCode_Target_5XX_Count" in metric_names(api["api: target 5xx"]), f"{urn}"
    latency = api["api: latency"]["properties"]["metrics"]
    assert {m[-1]["stat"] for m in latency} == {"p50", "p99"}, f"{urn}: latency stats {latency}"
    assert all(m[1] == "TargetResponseTime" for m in latency), f"{urn}: {latency}"
    for title, metric in (("api: CPU", "CPUUtilization"), ("api: memory", "MemoryUtilization"),
                          ("api: running tasks", "RunningTaskCount")):
        metrics = api[title]["properties"]["metrics"]
        assert metrics[0][1] == metric, f"{urn}: {title} {metrics}"
        assert metrics[0][2:6] == ["ClusterName", CLUSTER, "ServiceName", SERVICES[0].service_name], \
            f"{urn}: {title} dimensions {metrics[0]}"


def test_internal_service_has_no_request_widgets(pulumi_mocks: Any) -> None:
    urn, document = body(build(pulumi_mocks))
    worker = sorted(w["properties"]["title"] for w in metric_widgets(document)
                    if w["properties"]["title"].startswith("worker:"))
    assert worker == ["worker: CPU", "worker: memory", "worker: running tasks"], f"{urn}: {worker}"


def test_load_balancer_widgets(pulumi_mocks: Any) -> None:
    urn, document = body(build(pulumi_mocks))
    lb = {w["properties"]["title"]: w for w in metric_widgets(document)
          if w["properties"]["title"].startswith("Load balancer:")}
    expected = {"Load balancer: requests": "RequestCount", "Load balancer: ELB 5xx": "HTTPCode_ELB_5XX_Count",
                "Load balancer: rejected connections": "RejectedConnectionCount"}
    assert sorted(lb) == sorted(expected), f"{urn}: {sorted(lb)}"
    for title, metric in expected.items():
        metrics = lb[title]["properties"]["metrics"]
        assert metrics == [["AWS/ApplicationELB", metric, "LoadBalancer", LB_SUFFIX]], f"{urn}: {title} {metrics}"


def test_without_a_load_balancer_only_ecs_widgets(pulumi_mocks: Any) -> None:
    urn, document = body(build(pulumi_mocks, load_balancer_arn_suffix=None))
    for widget in metric_widgets(document):
        for metric in widget["properties"]["metrics"]:
            assert metric[0] != "AWS/ApplicationELB", f"{urn}: {widget['properties']['title']} needs a load balancer"


def test_outputs_inside_the_body_are_resolved(pulumi_mocks: Any) -> None:
    def make(opts: Any) -> Dashboard:
        late = pulumi.Output.from_input("fp-test-api").apply(lambda name: f"{name}-service-9f8e7d6")
        args = DashboardArgs(cluster_name=pulumi.Output.from_input(CLUSTER), load_balancer_arn_suffix=LB_SUFFIX,
                             services=[DashboardService(label="api", service_name=late)])
        return Dashboard("fp-test", args, opts=opts)

    b = build_component(pulumi_mocks, TYPE_TOKEN, make, ("dashboard_name",))
    urn, document = body(b)
    text = json.dumps(document)
    assert "fp-test-api-service-9f8e7d6" in text and CLUSTER in text, f"{urn}: outputs not resolved in the body"


def test_the_alternate_target_group_joins_the_request_widgets(pulumi_mocks: Any) -> None:
    alternate = "targetgroup/fp-test-api-tg-alternate/0123456789abcdef"
    services = (DashboardService(label="api", service_name="fp-test-api-service-1a2b3c4",
                                 target_group_arn_suffix="targetgroup/fp-test-api-tg/943f017f100becff",
                                 alternate_target_group_arn_suffix=alternate),)
    urn, document = body(build(pulumi_mocks, services=services))
    by_title = {w["properties"]["title"]: w for w in metric_widgets(document)}
    for title in ("api: requests", "api: target 5xx", "api: latency"):
        groups = {m[m.index("TargetGroup") + 1] for m in by_title[title]["properties"]["metrics"]
                  if isinstance(m[0], str)}
        assert alternate in groups and len(groups) == 2, f"{urn}: {title} shows {groups}"
    expressions = [m[0]["expression"] for m in by_title["api: target 5xx"]["properties"]["metrics"]
                   if isinstance(m[0], dict)]
    assert len(expressions) == 2, f"{urn}: one 5xx rate per target group, got {expressions}"
