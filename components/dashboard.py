"""One CloudWatch dashboard per stack: every service's golden signals and the load balancer's health."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pulumi
import pulumi_aws as aws

TYPE_TOKEN = "fargate-platform:index:Dashboard"
WIDTH = 8
HEIGHT = 6
COLUMNS = 24


@dataclass(frozen=True, kw_only=True)
class DashboardService:
    """One service shown on the dashboard."""

    label: str
    """Heading of the service's row (e.g. the service's config name)."""
    service_name: pulumi.Input[str]
    """Name of the ECS service (the ServiceName dimension)."""
    target_group_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the service's target group; None (an internal service) leaves out the request widgets."""
    alternate_target_group_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the target group a release starts the new version in; its lines join the request widgets."""


@dataclass(frozen=True, kw_only=True)
class DashboardArgs:
    """Inputs of :class:`Dashboard`."""

    cluster_name: pulumi.Input[str]
    """Name of the ECS cluster the services run in."""
    services: Sequence[DashboardService]
    """The services, one row each, in this order."""
    load_balancer_arn_suffix: pulumi.Input[str] | None = None
    """ARN suffix of the load balancer; None leaves out the load balancer row and the request widgets."""
    dashboard_name: str | None = None
    """Name of the dashboard (letters, digits, - and _); None uses the component name."""
    period_seconds: int = 60
    """Period of every graph (seconds)."""


def _metric_widget(title: str, metrics: list[list[Any]], region: str, period: int, *, stat: str = "Sum",
                   y_label: str | None = None) -> dict[str, Any]:
    props: dict[str, Any] = {"title": title, "region": region, "view": "timeSeries", "stacked": False,
                             "stat": stat, "period": period, "metrics": metrics}
    if y_label:
        props["yAxis"] = {"left": {"label": y_label, "showUnits": False}}
    return {"type": "metric", "properties": props}


def dashboard_widgets(args: DashboardArgs, region: str) -> list[dict[str, Any]]:
    """The dashboard's widgets, laid out three to a row, from plain names and suffixes."""
    rows: list[list[dict[str, Any]]] = []
    period = args.period_seconds
    lb = args.load_balancer_arn_suffix
    for svc in args.services:
        ecs = ["ClusterName", args.cluster_name, "ServiceName", svc.service_name]
        heading = {"type": "text", "properties": {"markdown": f"## {svc.label}"}}
        row: list[dict[str, Any]] = []
        if svc.target_group_arn_suffix is not None and lb is not None:
            target = ["TargetGroup", svc.target_group_arn_suffix, "LoadBalancer", lb]
            requests = [["AWS/ApplicationELB", "RequestCount", *target]]
            errors = [
                ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *target, {"id": "errors"}],
                ["AWS/ApplicationELB", "RequestCount", *target, {"id": "requests", "visible": False}],
                [{"expression": "100 * FILL(errors, 0) / requests", "label": "5xx rate (%)", "id": "rate",
                  "yAxis": "right"}],
            ]
            latency = [
                ["AWS/ApplicationELB", "TargetResponseTime", *target, {"stat": "p50", "label": "p50"}],
                ["AWS/ApplicationELB", "TargetResponseTime", *target, {"stat": "p99", "label": "p99"}],
            ]
            if svc.alternate_target_group_arn_suffix is not None:
                # A release's new version serves from the alternate target group: its lines beside the others.
                alternate = ["TargetGroup", svc.alternate_target_group_arn_suffix, "LoadBalancer", lb]
                requests[0].append({"label": "target group"})
                requests.append(["AWS/ApplicationELB", "RequestCount", *alternate, {"label": "alternate"}])
                errors += [
                    ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", *alternate, {"id": "alt_errors"}],
                    ["AWS/ApplicationELB", "RequestCount", *alternate, {"id": "alt_requests", "visible": False}],
                    [{"expression": "100 * FILL(alt_errors, 0) / alt_requests", "label": "alternate 5xx rate (%)",
                      "id": "alt_rate", "yAxis": "right"}],
                ]
                latency.append(["AWS/ApplicationELB", "TargetResponseTime", *alternate,
                                {"stat": "p99", "label": "alternate p99"}])
            row += [
                _metric_widget(f"{svc.label}: requests", requests, region, period),
                _metric_widget(f"{svc.label}: target 5xx", errors, region, period),
                _metric_widget(f"{svc.label}: latency", latency, region, period, stat="p99", y_label="seconds"),
            ]
        row += [
            _metric_widget(f"{svc.label}: CPU", [["AWS/ECS", "CPUUtilization", *ecs]], region, period,
                           stat="Average", y_label="%"),
            _metric_widget(f"{svc.label}: memory", [["AWS/ECS", "MemoryUtilization", *ecs]], region, period,
                           stat="Average", y_label="%"),
            _metric_widget(f"{svc.label}: running tasks", [["ECS/ContainerInsights", "RunningTaskCount", *ecs]],
                           region, period, stat="Average"),
        ]
        rows.append([heading])
        rows.append(row)
    if lb is not None:
        dims = ["LoadBalancer", lb]
        rows.append([{"type": "text", "properties": {"markdown": "## Load balancer"}}])
        rows.append([
            _metric_widget("Load balancer: requests", [["AWS/ApplicationELB", "RequestCount", *dims]], region,
                           period),
            _metric_widget("Load balancer: ELB 5xx", [["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", *dims]],
                           region, period),
            _metric_widget("Load balancer: rejected connections",
                           [["AWS/ApplicationELB", "RejectedConnectionCount", *dims]], region, period),
        ])

    widgets: list[dict[str, Any]] = []
    y = 0
    for row in rows:
        if row and row[0]["type"] == "text":
            widgets.append({**row[0], "x": 0, "y": y, "width": COLUMNS, "height": 1})
            y += 1
            continue
        for index, widget in enumerate(row):
            widgets.append({**widget, "x": (index % 3) * WIDTH, "y": y + (index // 3) * HEIGHT, "width": WIDTH,
                            "height": HEIGHT})
        y += ((len(row) + 2) // 3) * HEIGHT
    return widgets


def dashboard_body(args: DashboardArgs, region: pulumi.Input[str]) -> pulumi.Output[str]:
    """The dashboard's JSON, once the names and suffixes it shows (which may be Outputs) are known."""
    services = [pulumi.Output.all(svc.service_name, svc.target_group_arn_suffix, svc.alternate_target_group_arn_suffix)
                for svc in args.services]
    shown = pulumi.Output.all(region, args.cluster_name, args.load_balancer_arn_suffix, *services)

    def render(values: list[Any]) -> str:
        known_region, cluster_name, load_balancer, *named = values
        known = replace(args, cluster_name=cluster_name, load_balancer_arn_suffix=load_balancer, services=[
            replace(svc, service_name=service_name, target_group_arn_suffix=target_group,
                    alternate_target_group_arn_suffix=alternate)
            for svc, (service_name, target_group, alternate) in zip(args.services, named, strict=True)])
        return json.dumps({"widgets": dashboard_widgets(known, known_region)})

    # Only these few Outputs are awaited: Output.json_dumps would make one of every value in every widget.
    return shown.apply(render)


class Dashboard(pulumi.ComponentResource):
    """A CloudWatch dashboard: per service requests, 5xx, latency (p50/p99), of the alternate target group too
    when a release shifts traffic, CPU, memory and running tasks, then the load balancer's requests, ELB 5xx and
    rejected connections.

    Children:
    - ``{name}-dashboard``: the ``aws.cloudwatch.Dashboard``; its body is JSON built from outputs.
    """

    dashboard_name: pulumi.Output[str]
    """Name of the dashboard."""

    def __init__(self, name: str, args: DashboardArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        # The Output form: a synchronous lookup here would run every registration queued so far before returning.
        region = aws.get_region_output(opts=pulumi.InvokeOutputOptions(parent=self)).region
        # One place to look during an incident: every service's signals side by side with the load balancer's.
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.dashboard_name or name,
            dashboard_body=dashboard_body(args, region),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"dashboard_name": self.dashboard_name})
