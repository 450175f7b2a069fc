"""enforce-monthly-budget: passes at or under the budget, fails over it naming the total and the largest items.

The baseline is a small stack (one Fargate service with autoscaling, a NAT
gateway, an ALB, a log group and a KMS key), built in each of the ways the
engine can show a stack (``stack_builder``'s modes). Every test starts from it
and changes one thing. Messages are checked against the rule's own constants.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from fargate_policies import costing
from fargate_policies.rules import enforce_monthly_budget
from fargate_policies.rules._common import StackResource
from fargate_policies.rules.enforce_monthly_budget import (
    AWS_PROVIDER,
    LARGEST_COUNT,
    MSG_ALLOW_UNPRICED,
    MSG_BAD_CONFIG,
    MSG_ITEM,
    MSG_LARGEST,
    MSG_NO_BUDGET,
    MSG_OVER_BUDGET,
    MSG_UNPRICED,
    MSG_WITHIN_UNVERIFIED,
    NAME,
    POLICY,
)
from pulumi_policy import PolicyProviderResource, PolicyResource

PRICES = json.loads((Path(costing.__file__).parent / "prices" / "us-east-1.json").read_text(encoding="utf-8"))["prices"]
TASK_ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1"

# The entries proposed for policies/config/dev.json and prod.json (about 30% above each stack's estimate).
PROPOSED = {
    "dev": {"enforcementLevel": "mandatory", "usd": 115, "region": "us-east-1"},
    "prod": {"enforcementLevel": "mandatory", "usd": 575, "region": "us-east-1"},
}


@pytest.fixture
def stack(stack_builder):
    """The compliant baseline, in the builder's mode."""
    b = stack_builder
    td = b.add("aws:ecs/taskDefinition:TaskDefinition", "web-task", {
        "family": "web", "cpu": "256", "memory": "512", "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "X86_64"},
        "containerDefinitions": json.dumps([{"name": "web", "image": "nginx:1.27", "logConfiguration": {
            "logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}}}]),
    }, id=TASK_ARN)
    svc = b.add("aws:ecs/service:Service", "web-svc", {
        "name": "web-svc", "launchType": "FARGATE", "desiredCount": 2.0, "taskDefinition": b.ref(td),
    }, id="arn:aws:ecs:us-east-1:123456789012:service/main/web-svc", taskDefinition=[td])
    b.add("aws:appautoscaling/target:Target", "web-target", {
        "resourceId": b.ref_value("service/main/web-svc"), "scalableDimension": "ecs:service:DesiredCount",
        "serviceNamespace": "ecs", "minCapacity": 2.0, "maxCapacity": 6.0,
    }, resourceId=[svc])
    b.add("aws:ec2/natGateway:NatGateway", "nat", {"subnetId": b.ref_value("subnet-1")})
    b.add("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": False, "loadBalancerType": "application",
                                                      "subnets": ["subnet-1", "subnet-2"]})
    b.add("aws:cloudwatch/logGroup:LogGroup", "web-logs", {"name": "/ecs/web", "retentionInDays": 30.0})
    b.add("aws:kms/key:Key", "key", {"enableKeyRotation": True})
    return b


def config(usd, **extra):
    return {"usd": usd, **extra}


def test_the_service_is_priced_in_every_mode(stack):
    """Links (task definition, scalable target) resolve by dependency at preview and by value without one."""
    est = costing.estimate(stack.resources)
    service = next(i for i in est.items if i.name == "web-svc")
    fargate = PRICES["fargate"]
    assert service.monthly_usd == pytest.approx(2 * 730 * (0.25 * fargate["vcpuHour"] + 0.5 * fargate["gbHour"])), (
        f"{service.urn}: {service.detail}")
    assert not est.unpriced, est.unpriced


def test_passes_just_under_and_at_the_budget(stack, evaluate_stack):
    total = costing.estimate(stack.resources).total_usd
    for usd in (total + 0.01, total):
        outcome = evaluate_stack(POLICY, stack.resources, config(usd))
        assert not outcome.violations and outcome.not_applicable is None, f"usd {usd}: {outcome}"


def test_fails_just_over_the_budget_with_total_and_largest_items(stack, evaluate_stack):
    est = costing.estimate(stack.resources)
    usd = est.total_usd - 0.01
    outcome = evaluate_stack(POLICY, stack.resources, config(usd))
    assert len(outcome.violations) == 1, str(outcome)
    urn, message = outcome.violations[0]
    assert urn is None, f"{urn}: a budget is the stack's, not one resource's"
    assert MSG_OVER_BUDGET.format(total=est.total_usd, budget=usd, over=0.01, region="us-east-1",
                                  as_of=est.as_of) in message, message
    largest = est.items[:LARGEST_COUNT]
    assert len(est.items) > LARGEST_COUNT
    expected = MSG_LARGEST.format(items=", ".join(MSG_ITEM.format(name=i.name, usd=i.monthly_usd) for i in largest))
    assert expected in message, message
    for item in est.items[LARGEST_COUNT:]:
        assert MSG_ITEM.format(name=item.name, usd=item.monthly_usd) not in message, f"{item.urn}: {message}"
    assert [i.name for i in largest] == ["nat", "alb", "web-svc"]


def test_assumptions_in_config_move_the_estimate_over(stack, evaluate_stack):
    total = costing.estimate(stack.resources).total_usd
    assert not evaluate_stack(POLICY, stack.resources, config(total + 1)).violations
    more_logs = config(total + 1, assumptions={"logGbPerDay": 1.0})
    assert len(evaluate_stack(POLICY, stack.resources, more_logs).violations) == 1


def test_price_overrides_in_config_move_the_estimate_over(stack, evaluate_stack):
    total = costing.estimate(stack.resources).total_usd
    dearer = config(total + 1, prices={"natGateway": {"hour": PRICES["natGateway"]["hour"] * 2}})
    assert len(evaluate_stack(POLICY, stack.resources, dearer).violations) == 1


DB_UNPRICED = "aws:rds/instance:Instance db: no price for this type"
"""How the estimate, and so the rule and ``--cost``, list the database the estimator has no price for."""


def test_unpriced_resources_are_named_in_the_message(stack, evaluate_stack):
    stack.add("aws:rds/instance:Instance", "db", {"instanceClass": "db.t4g.micro"})
    outcome = evaluate_stack(POLICY, stack.resources, config(0))
    assert MSG_UNPRICED.format(count=1, items=DB_UNPRICED) in outcome.messages[0], str(outcome)


def test_within_budget_with_unpriced_resources_is_not_verified(stack, evaluate_stack):
    """What has no price is listed on every run, not only over budget: within budget, the budget is unverified."""
    total = costing.estimate(stack.resources).total_usd
    stack.add("aws:rds/instance:Instance", "db", {"instanceClass": "db.t4g.micro"})
    outcome = evaluate_stack(POLICY, stack.resources, config(total + 100))
    assert len(outcome.violations) == 1, str(outcome)
    message = outcome.messages[0]
    assert message.startswith(MSG_WITHIN_UNVERIFIED.format(total=total, budget=total + 100)), message
    assert MSG_UNPRICED.format(count=1, items=DB_UNPRICED) in message and MSG_ALLOW_UNPRICED in message, message


def test_allow_unpriced_accepts_the_types_it_lists(stack, evaluate_stack):
    total = costing.estimate(stack.resources).total_usd
    stack.add("aws:rds/instance:Instance", "db", {"instanceClass": "db.t4g.micro"})
    allowed = config(total + 100, allowUnpriced=["aws:rds/instance:Instance"])
    assert not evaluate_stack(POLICY, stack.resources, allowed).violations
    other = config(total + 100, allowUnpriced=["aws:rds/cluster:Cluster"])
    assert len(evaluate_stack(POLICY, stack.resources, other).violations) == 1


def test_no_budget_is_not_applicable(stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, stack.resources, {})
    assert not outcome.violations and outcome.not_applicable == MSG_NO_BUDGET


def test_a_region_without_prices_is_reported(stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, stack.resources, config(100, region="eu-west-9"))
    prefix = MSG_BAD_CONFIG.split("{", 1)[0]
    assert len(outcome.violations) == 1 and outcome.messages[0].startswith(prefix), str(outcome)
    assert "eu-west-9" in outcome.messages[0]


def _in_region(resources, region):
    """``resources`` as the engine sends them: each custom one with its default AWS provider, in ``region``."""
    provider = PolicyProviderResource(AWS_PROVIDER, {"region": region, "version": "7.51.1"},
                                      "urn:pulumi:test::fargate-platform::pulumi:providers:aws::default_7_51_1",
                                      "default_7_51_1")
    return [PolicyResource(r.resource_type, r.props, r.urn, r.name, None, provider, None, r.dependencies,
                           r.property_dependencies) for r in resources]


def test_the_stack_is_priced_in_its_own_region(stack):
    """With no region configured, the stack's region chooses the prices; a region with none is named."""
    resources = _in_region(stack.resources, "us-east-1")
    total = costing.estimate(resources).total_usd
    assert list(enforce_monthly_budget.check(resources, config(total + 1))) == []
    found = list(enforce_monthly_budget.check(_in_region(stack.resources, "eu-west-1"), config(total + 1)))
    assert len(found) == 1 and found[0][1].startswith(MSG_BAD_CONFIG.split("{", 1)[0]), found
    assert "no price file for region eu-west-1; regions priced: us-east-1" in found[0][1], found


def test_a_configured_region_that_is_not_the_stacks_is_reported(stack):
    """us-east-1 prices never price a stack that deploys elsewhere, silently."""
    resources = _in_region(stack.resources, "eu-west-1")
    found = list(enforce_monthly_budget.check(resources, config(10_000, region="us-east-1")))
    assert len(found) == 1, found
    assert "the stack deploys to eu-west-1 but region is set to us-east-1" in found[0][1], found


@pytest.mark.parametrize("stack_name", sorted(PROPOSED))
def test_proposed_config_entries_match_the_schema(stack_name):
    for key, value in PROPOSED[stack_name].items():
        if key != "enforcementLevel":
            jsonschema.validate(value, POLICY.config_properties[key])
    jsonschema.validate({"logGbPerDay": 0.5, "natGbShiftedToEndpoints": 1}, POLICY.config_properties["assumptions"])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"logsPerDay": 1}, POLICY.config_properties["assumptions"])


# The pack in its own process, priced as the plan prices: `make test-slow` runs it (CI runs both suites).
@pytest.mark.slow
def test_the_real_pack_reports_what_the_plan_estimates():
    """End to end: the pack process (which imports costing from its own directory) and stacks.exports.cost agree."""
    from stacks.exports import cost
    from stacks.offline import analyzer
    from tests.stack_programs import ROOT as repo
    from tests.stack_programs import program as recorded

    program = recorded("dev")
    settings = {"usd": 1.0, "assumptions": {"logGbPerDay": 0.3}}
    estimate = cost.estimate_run(program, {NAME: settings})
    report = analyzer.run_policy_pack(repo / "policies", program.project, "dev", program.resources,
                                      {NAME: ("mandatory", settings)}, config=program.config.values)
    found = [v for v in report.violations if v.policy == NAME]
    assert len(found) == 1 and found[0].level == "mandatory", found
    assert f"${estimate.total_usd:,.2f}" in found[0].message, (found[0].message, estimate.total_usd)


class _CountingDict(dict):
    """A node's props or dependencies, counting every read into ``reads``."""

    reads = 0
    bound = 0

    def _count(self) -> None:
        _CountingDict.reads += 1
        assert _CountingDict.reads <= _CountingDict.bound, "links are found by scanning the stack: quadratic"

    def get(self, key, default=None):
        self._count()
        return super().get(key, default)

    def __getitem__(self, key):
        self._count()
        return super().__getitem__(key)


def _large_stack(services: int) -> list[StackResource]:
    """``services`` Fargate services, each with its component, task definition, log group, scalable target (minimum
    1, 2 or 3 tasks) and two scheduled actions (none overnight on weekdays) on one cluster with a default strategy.
    Even services are linked by property dependencies, odd ones only by names (resources read from state)."""
    stack = StackResource("pulumi:pulumi:Stack", {}, "urn:stack", "fp-prod")
    cluster = StackResource("aws:ecs/cluster:Cluster", {"name": "fp-prod", "settings": [
        {"name": "containerInsights", "value": "enabled"}]}, "urn:cluster", "fp-prod-cluster", stack)
    resources = [stack, cluster, StackResource(
        "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders", {
            "clusterName": "fp-prod", "defaultCapacityProviderStrategies": [
                {"capacityProvider": "FARGATE", "weight": 1.0, "base": 1.0},
                {"capacityProvider": "FARGATE_SPOT", "weight": 3.0}]},
        "urn:capacity", "fp-prod-capacity", stack, property_dependencies={"clusterName": [cluster]}),
        StackResource("aws:ec2/natGateway:NatGateway", {"subnetId": "subnet-1"}, "urn:nat", "nat", stack)]

    def add(rtype, name, suffix, props, parent, linked, **deps):
        resource = StackResource(rtype, props, f"urn:{name}:{suffix}", f"{name}-{suffix}", parent,
                                 property_dependencies=deps if linked else {})
        resources.append(resource)
        return resource

    for i in range(services):
        name, linked = f"svc{i:05d}", i % 2 == 0
        component = add("fargate-platform:index:FargateService", name, "component", {}, stack, linked)
        logs = add("aws:cloudwatch/logGroup:LogGroup", name, "logs", {"name": f"/ecs/{name}", "retentionInDays": 30.0},
                   component, linked)
        td = add("aws:ecs/taskDefinition:TaskDefinition", name, "task", {
            "family": name, "cpu": "512", "memory": "1024", "requiresCompatibilities": ["FARGATE"],
            "containerDefinitions": json.dumps([{"name": name, "image": "nginx:1.27", "logConfiguration": {
                "logDriver": "awslogs", "options": {"awslogs-group": f"/ecs/{name}"}}}]),
        }, component, linked, containerDefinitions=[logs])
        svc = add("aws:ecs/service:Service", name, "service", {
            "name": name, "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/fp-prod", "desiredCount": 2.0,
            "taskDefinition": f"arn:aws:ecs:us-east-1:123456789012:task-definition/{name}:1",
        }, component, linked, cluster=[cluster], taskDefinition=[td])
        resource_id = f"service/fp-prod/{name}"
        target = add("aws:appautoscaling/target:Target", name, "target", {
            "resourceId": resource_id, "scalableDimension": "ecs:service:DesiredCount", "serviceNamespace": "ecs",
            "minCapacity": float(1 + i % 3), "maxCapacity": 10.0,
        }, component, linked, resourceId=[svc, cluster])
        for action, cron, low in (("night", "cron(0 20 ? * MON-FRI *)", 0.0), ("day", "cron(0 7 ? * MON-FRI *)", None)):
            add("aws:appautoscaling/scheduledAction:ScheduledAction", name, action, {
                "resourceId": resource_id, "scalableDimension": "ecs:service:DesiredCount", "schedule": cron,
                "scalableTargetAction": {"minCapacity": float(1 + i % 3) if low is None else low, "maxCapacity": 10.0},
            }, component, linked, resourceId=[target])
    return resources


# A stack far larger than prod: `make test-slow` runs it (CI runs both suites).
@pytest.mark.slow
def test_large_stack_is_linked_through_indexes(monkeypatch):
    """2,000 services: each is priced with its own task definition, target, schedule and log group, and the
    estimate reads each resource's props a bounded number of times: linking a service is a lookup, not a scan
    of every task definition, target and scheduled action (which would read props millions of times)."""
    services = 2_000
    resources = _large_stack(services)
    normalize = costing.estimator.normalize

    def counted(items, *read):
        nodes = normalize(items, *read)
        for node in nodes:
            node.props, node.deps = _CountingDict(node.props), _CountingDict(node.deps)
        return nodes

    estimates = []

    def kept(resources, config):
        estimates.append(costing.estimate_for_config(resources, config))
        return estimates[-1]

    _CountingDict.reads, _CountingDict.bound = 0, 20 * len(resources)
    monkeypatch.setattr(costing.estimator, "normalize", counted)
    monkeypatch.setattr(enforce_monthly_budget, "estimate_for_config", kept)
    found = list(enforce_monthly_budget.check(resources, {"usd": 1.0}))

    (estimate,) = estimates
    assert found == [(None, enforce_monthly_budget.over_budget_message(estimate, 1.0))]
    assert not estimate.unpriced, estimate.unpriced[:3]
    items = {i.name: i for i in estimate.items}
    for i in range(services):
        name = f"svc{i:05d}"
        service, logs = items[f"{name}-service"], items[f"{name}-logs"]
        assert f"autoscaling minimum {1 + i % 3}; scheduled: 0 tasks" in service.detail, service.detail
        assert "cluster default strategy" in service.detail, service.detail
        assert service.service == logs.service == f"{name}-component" and logs.detail.startswith("service logs")
    assert len({items[f"svc{i:05d}-service"].monthly_usd for i in range(services)}) == 3
    assert _CountingDict.reads <= _CountingDict.bound
