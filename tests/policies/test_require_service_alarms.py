"""require-service-alarms (stack rule): alarms are linked to services by dimensions or by dependencies."""

import pytest
from fargate_policies.rules import require_service_alarms as rule
from fargate_policies.rules._common import ECS_CLUSTER, ECS_SERVICE, LOAD_BALANCER, TARGET_GROUP, StackResource
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

ALARM = rule.METRIC_ALARM[0]
CLUSTER_ARN = "arn:aws:ecs:us-east-1:123456789012:cluster/fp-prod"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/fp-prod-alb/50dc6c495c0c9188"
LB_SUFFIX = "app/fp-prod-alb/50dc6c495c0c9188"
ALL = ", ".join(rule.DEFAULT_METRICS)
ECS_ONLY = "CPUUtilization, MemoryUtilization"


def tg_arn(service: str) -> str:
    return f"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/{service}-tg/943f017f100becff"


def tg_suffix(service: str) -> str:
    return f"targetgroup/{service}-tg/943f017f100becff"


def alarm_props(metric: str, dimensions: dict, **extra) -> dict:
    return {"name": f"alarm-{metric}", "namespace": "AWS/X", "metricName": metric, "dimensions": dimensions,
            "statistic": "Sum", "comparisonOperator": "GreaterThanThreshold", "threshold": 1.0,
            "period": 60.0, "evaluationPeriods": 3.0, "alarmActions": ["arn:aws:sns:us-east-1:1:t"], **extra}


def build(b, name: str = "api", load_balanced: bool = True, skip: tuple[str, ...] = ()) -> None:
    """A compliant service with its alarm set, in any of the engine's modes.

    At preview the service's name, the target group's suffix and every id are unknown; alarms are linked
    only by their property dependencies then.
    """
    cluster = b.by_name.get("fp-prod") or b.add(ECS_CLUSTER[0], "fp-prod", {"name": "fp-prod"}, id=CLUSTER_ARN)
    lb = b.by_name.get("alb") or b.add(LOAD_BALANCER[0], "alb", {"loadBalancerType": "application"}, id=LB_ARN)
    service_props = {"name": b.ref_value(name), "cluster": b.ref(cluster), "desiredCount": 2.0}
    deps = {"cluster": [cluster]}
    tg = None
    if load_balanced:
        tg = b.add(TARGET_GROUP[0], f"{name}-tg", {"port": 8080.0, "protocol": "HTTP", "targetType": "ip"},
                   id=tg_arn(name))
        service_props["loadBalancers"] = [{"targetGroupArn": b.ref(tg), "containerName": name,
                                           "containerPort": 8080.0}]
        deps["loadBalancers"] = [tg]
    service = b.add(ECS_SERVICE[0], name, service_props, id=f"{CLUSTER_ARN}/{name}".replace("cluster/", "service/"),
                    **deps)
    service_dims = {"ClusterName": b.ref_value("fp-prod"), "ServiceName": b.ref_value(name)}
    for metric in ("CPUUtilization", "MemoryUtilization"):
        if metric not in skip:
            b.add(ALARM, f"{name}-{metric}", alarm_props(metric, service_dims), dimensions=[cluster, service])
    if tg is None:
        return
    target_dims = {"TargetGroup": b.ref_value(tg_suffix(name)), "LoadBalancer": b.ref_value(LB_SUFFIX)}
    if "HTTPCode_Target_5XX_Count" not in skip:
        b.add(ALARM, f"{name}-5xx-rate", {
            "name": f"{name}-5xx-rate", "comparisonOperator": "GreaterThanOrEqualToThreshold", "threshold": 5.0,
            "evaluationPeriods": 3.0, "alarmActions": ["arn:aws:sns:us-east-1:1:t"],
            "metricQueries": [
                {"id": "errors", "returnData": False, "metric": {
                    "namespace": "AWS/ApplicationELB", "metricName": "HTTPCode_Target_5XX_Count",
                    "dimensions": target_dims, "stat": "Sum", "period": 60.0}},
                {"id": "requests", "returnData": False, "metric": {
                    "namespace": "AWS/ApplicationELB", "metricName": "RequestCount",
                    "dimensions": target_dims, "stat": "Sum", "period": 60.0}},
                {"id": "rate", "expression": "100 * FILL(errors, 0) / requests", "returnData": True},
            ],
        }, metricQueries=[tg, lb])
    for metric in ("TargetResponseTime", "UnHealthyHostCount"):
        if metric not in skip:
            b.add(ALARM, f"{name}-{metric}", alarm_props(metric, target_dims), dimensions=[tg, lb])


def test_baseline_passes_in_every_mode(run, stack_builder):
    build(stack_builder, "api")
    build(stack_builder, "web")
    build(stack_builder, "worker", load_balanced=False)
    assert run(stack_builder.resources) == []


@pytest.mark.parametrize("metric", rule.DEFAULT_METRICS)
def test_each_missing_metric_in_every_mode(run, stack_builder, metric):
    build(stack_builder, "api", skip=(metric,))
    assert run(stack_builder.resources) == [
        (stack_builder["api"].urn, rule.MSG_MISSING.format(service="api", metrics=metric))
    ]


def test_service_without_any_alarm_in_every_mode(run, stack_builder):
    build(stack_builder, "api", skip=rule.DEFAULT_METRICS)
    assert run(stack_builder.resources) == [(stack_builder["api"].urn, rule.MSG_MISSING.format(service="api",
                                                                                               metrics=ALL))]


def test_internal_service_needs_only_ecs_alarms_in_every_mode(run, stack_builder):
    build(stack_builder, "worker", load_balanced=False, skip=("MemoryUtilization",))
    assert run(stack_builder.resources) == [
        (stack_builder["worker"].urn, rule.MSG_MISSING.format(service="worker", metrics="MemoryUtilization"))
    ]


def test_alarms_of_another_service_do_not_count_in_every_mode(run, stack_builder):
    build(stack_builder, "web")
    build(stack_builder, "api", skip=rule.DEFAULT_METRICS)
    assert run(stack_builder.resources) == [(stack_builder["api"].urn, rule.MSG_MISSING.format(service="api",
                                                                                               metrics=ALL))]


def test_configured_metrics_replace_the_default_in_every_mode(run, stack_builder):
    build(stack_builder, "api")
    config = {"requiredMetrics": ["CPUUtilization", "RunningTaskCount", "HealthyHostCount"]}
    assert run(stack_builder.resources, config) == [
        (stack_builder["api"].urn, rule.MSG_MISSING.format(service="api", metrics="RunningTaskCount, HealthyHostCount"))
    ]


def test_linked_only_by_property_dependencies(run, node):
    """First preview: names, ARNs and suffixes all unknown; only the dependencies say what is watched."""
    tg = node(TARGET_GROUP[0], "api-tg", {"port": 8080.0})
    service = node(ECS_SERVICE[0], "api", {"name": UNKNOWN_STRING_VALUE, "cluster": UNKNOWN_STRING_VALUE,
                                           "loadBalancers": [{"targetGroupArn": UNKNOWN_STRING_VALUE}]},
                   loadBalancers=[tg])
    unknown_service = {"ClusterName": UNKNOWN_STRING_VALUE, "ServiceName": UNKNOWN_STRING_VALUE}
    unknown_target = {"TargetGroup": UNKNOWN_STRING_VALUE, "LoadBalancer": UNKNOWN_STRING_VALUE}
    alarms = [node(ALARM, f"a-{m}", alarm_props(m, unknown_service), dimensions=[service])
              for m in ("CPUUtilization", "MemoryUtilization")]
    alarms += [node(ALARM, f"a-{m}", alarm_props(m, unknown_target), dimensions=[tg])
               for m in ("HTTPCode_Target_5XX_Count", "TargetResponseTime")]
    assert run([tg, service, *alarms]) == [
        (service.urn, rule.MSG_MISSING.format(service="api", metrics="UnHealthyHostCount"))
    ]


def test_linked_only_by_dimension_values(run, node):
    service = node(ECS_SERVICE[0], "api", {"name": "api", "cluster": CLUSTER_ARN,
                                           "loadBalancers": [{"targetGroupArn": tg_arn("api")}]})
    target = {"TargetGroup": tg_suffix("api"), "LoadBalancer": LB_SUFFIX}
    alarms = [node(ALARM, f"a-{m}", alarm_props(m, {"ClusterName": "fp-prod", "ServiceName": "api"}))
              for m in ("CPUUtilization", "MemoryUtilization")]
    alarms += [node(ALARM, f"a-{m}", alarm_props(m, target))
               for m in ("HTTPCode_Target_5XX_Count", "TargetResponseTime", "UnHealthyHostCount")]
    assert run([service, *alarms]) == []


def test_same_service_name_in_another_cluster_does_not_count(run, node):
    service = node(ECS_SERVICE[0], "api", {"name": "api", "cluster": CLUSTER_ARN})
    alarms = [node(ALARM, f"a-{m}", alarm_props(m, {"ClusterName": "fp-staging", "ServiceName": "api"}))
              for m in ("CPUUtilization", "MemoryUtilization")]
    assert run([service, *alarms]) == [(service.urn, rule.MSG_MISSING.format(service="api", metrics=ECS_ONLY))]


def test_alarm_without_cluster_dimension_matches_by_service_name(run, node):
    service = node(ECS_SERVICE[0], "api", {"name": "api", "cluster": CLUSTER_ARN})
    alarms = [node(ALARM, f"a-{m}", alarm_props(m, {"ServiceName": "api"}))
              for m in ("CPUUtilization", "MemoryUtilization")]
    assert run([service, *alarms]) == []


def test_unlinkable_alarm_at_preview_is_not_a_finding(run, node):
    """An alarm whose dimensions are unknown and that no dependency ties anywhere may watch this service."""
    service = node(ECS_SERVICE[0], "api", {"name": "api", "cluster": CLUSTER_ARN})
    cpu = node(ALARM, "cpu", alarm_props("CPUUtilization", {"ServiceName": UNKNOWN_STRING_VALUE}))
    assert run([service, cpu]) == [(service.urn, rule.MSG_MISSING.format(service="api",
                                                                         metrics="MemoryUtilization"))]


def test_load_balancers_unknown_at_preview_leave_target_group_metrics_to_the_engine(evaluate_stack, node):
    """Whether the service needs target-group alarms is unknown: the ECS metrics it misses are reported, then the
    policy can't run."""
    service = node(ECS_SERVICE[0], "api", {"name": "api", "loadBalancers": UNKNOWN_STRING_VALUE})
    outcome = evaluate_stack(rule.POLICY, [service], record_unknown=True)
    assert outcome.violations == [(service.urn, rule.MSG_MISSING.format(service="api", metrics=ECS_ONLY))]
    assert outcome.cannot_run == "string value at .loadBalancers can't be known during preview", str(outcome)


def test_load_balancers_unknown_at_preview_with_every_alarm_in_every_mode(evaluate_stack, stack_builder):
    build(stack_builder, "api")
    stack_builder["api"].props["loadBalancers"] = UNKNOWN_STRING_VALUE
    outcome = evaluate_stack(rule.POLICY, stack_builder.resources, record_unknown=True)
    assert outcome.violations == [], str(outcome)
    # Dependencies tie the target group's alarms to the service; without them ("ids") only the target group ARN in
    # the unknown list could, so those alarms are undecided.
    assert (outcome.cannot_run is None) == (stack_builder.mode != "ids"), str(outcome)


def test_linked_alarm_with_unknown_metric_name_leaves_its_service_to_the_engine(evaluate_stack, node):
    """The alarm may be on any metric: the service it watches is undecided; the others are still judged."""
    api = node(ECS_SERVICE[0], "api", {"name": "api"})
    web = node(ECS_SERVICE[0], "web", {"name": "web"})
    alarm = node(ALARM, "a", alarm_props(UNKNOWN_STRING_VALUE, {"ServiceName": "api"}))
    outcome = evaluate_stack(rule.POLICY, [api, web, alarm], record_unknown=True)
    assert outcome.violations == [(web.urn, rule.MSG_MISSING.format(service="web", metrics=ECS_ONLY))]
    assert outcome.cannot_run == "string value at .metricName can't be known during preview", str(outcome)


def test_unlinkable_alarm_of_unknown_metric_does_not_silence_the_rule(evaluate_stack, stack_builder, node):
    """An alarm whose metric and dimensions are both unknown, tied to nothing, may be any service's alarm on any
    metric: services it could complete are undecided (the policy can't run), never passed in silence."""
    build(stack_builder, "api")
    build(stack_builder, "web", skip=("MemoryUtilization",))
    anything = node(ALARM, "anything", alarm_props(UNKNOWN_STRING_VALUE, UNKNOWN_STRING_VALUE))
    outcome = evaluate_stack(rule.POLICY, [*stack_builder.resources, anything], record_unknown=True)
    assert outcome.violations == [] and outcome.cannot_run is not None, str(outcome)


def test_unlinkable_alarm_of_unknown_metric_leaves_complete_services_passing(run, stack_builder, node):
    build(stack_builder, "api")
    anything = node(ALARM, "anything", alarm_props(UNKNOWN_STRING_VALUE, UNKNOWN_STRING_VALUE))
    assert run([*stack_builder.resources, anything]) == []


def test_stack_without_services(run, node):
    alarm = node(ALARM, "orphan", alarm_props("CPUUtilization", {"ServiceName": "api"}))
    lb = node(LOAD_BALANCER[0], "alb", {"loadBalancerType": "application"})
    assert run([alarm, lb]) == []


def test_target_group_suffix():
    assert rule.target_group_suffix(tg_arn("api")) == tg_suffix("api")
    assert rule.target_group_suffix(tg_suffix("api")) == tg_suffix("api")
    assert rule.target_group_suffix(None) is None and rule.target_group_suffix("  ") is None


def test_large_stack_is_linked_through_an_index(monkeypatch):
    """1,000 services (half linked by dependencies, half by dimension values): the one service short of an
    alarm is found, and each service's alarms come from an index: ``_watches`` is tried on a handful of
    alarms per service, not on all 6,000 alarms for every service (6 million tries)."""
    services = 1_000
    cluster = StackResource(ECS_CLUSTER[0], {"name": "fp-prod"}, "urn:cluster", "fp-prod")
    lb = StackResource(LOAD_BALANCER[0], {}, "urn:alb", "alb")
    resources: list[StackResource] = [cluster, lb]
    for i in range(services):
        name, by_dependency = f"svc{i:05d}", i % 2 == 0
        tg = StackResource(TARGET_GROUP[0], {"port": 8080.0}, f"urn:tg:{name}", f"{name}-tg")
        service = StackResource(ECS_SERVICE[0], {"name": name, "cluster": CLUSTER_ARN,
                                                 "loadBalancers": [{"targetGroupArn": tg_arn(name)}]},
                                f"urn:svc:{name}", name, property_dependencies={"loadBalancers": [tg]})
        service_dims = {"ClusterName": "fp-prod", "ServiceName": name}
        target_dims = {"TargetGroup": tg_suffix(name), "LoadBalancer": LB_SUFFIX}
        metrics = [("CPUUtilization", service_dims, service), ("MemoryUtilization", service_dims, service),
                   ("RunningTaskCount", service_dims, service), ("HTTPCode_Target_5XX_Count", target_dims, tg),
                   ("TargetResponseTime", target_dims, tg), ("UnHealthyHostCount", target_dims, tg)]
        if i == 735:
            metrics = metrics[:1] + metrics[2:]
        alarms = [StackResource(ALARM, alarm_props(metric, dims), f"urn:alarm:{name}:{metric}", f"{name}-{metric}",
                                property_dependencies={"dimensions": [cluster, linked, lb]} if by_dependency else {})
                  for metric, dims, linked in metrics]
        resources += [tg, service, *alarms]
    alarm_count = sum(r.resource_type == ALARM for r in resources)
    assert alarm_count == 6 * services - 1

    tries = 0
    bound = 4 * alarm_count  # each alarm is a candidate of its own service by at most two keys
    watches = rule._watches

    def counted(alarm, service):
        nonlocal tries
        tries += 1
        assert tries <= bound, "every service is compared with every alarm: the check is quadratic"
        return watches(alarm, service)

    monkeypatch.setattr(rule, "_watches", counted)
    found = list(rule.check(resources, {}))
    assert found == [("urn:svc:svc00735", rule.MSG_MISSING.format(service="svc00735", metrics="MemoryUtilization"))]
    assert alarm_count <= tries <= bound
