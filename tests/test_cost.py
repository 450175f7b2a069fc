"""The monthly cost estimate: hand-computed figures, the real stacks, the levers in config and robustness.

Expected dollars are worked out here from the price file's numbers (read
straight from the JSON, not through the estimator's loader) by arithmetic
written out in each test. The real stacks run once per module through
:func:`stacks.exports.cost.plan_cost`; the levers run once through
:func:`stacks.exports.cost_levers.compute_levers`, which also regenerates the table in
``docs/cost.md``.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path

import pytest
from fargate_policies import costing
from fargate_policies.costing import (
    SHARED,
    CostConfigError,
    estimate,
    estimate_for_config,
    estimate_to_json,
    format_estimate,
)
from fargate_policies.costing.schedule import Action, timeline, weekly_minutes
from fargate_policies.rules._common import StackResource
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from stacks.exports import cost, cost_levers
from stacks.offline.runner import RecordedResource, to_plain
from tests.stack_programs import program

REPO = Path(__file__).resolve().parents[1]
PRICE_FILE = REPO / "policies" / "fargate_policies" / "costing" / "prices" / "us-east-1.json"
PRICES = json.loads(PRICE_FILE.read_text(encoding="utf-8"))["prices"]
HOURS = 730
STACK_URN = "urn:pulumi:test::fargate-platform::pulumi:pulumi:Stack::fargate-platform-test"

T_SERVICE = "aws:ecs/service:Service"
T_TASK = "aws:ecs/taskDefinition:TaskDefinition"
T_TARGET = "aws:appautoscaling/target:Target"
T_ACTION = "aws:appautoscaling/scheduledAction:ScheduledAction"
T_CAPACITY = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
T_NAT = "aws:ec2/natGateway:NatGateway"
T_ALB = "aws:lb/loadBalancer:LoadBalancer"
T_LOG = "aws:cloudwatch/logGroup:LogGroup"
T_KMS = "aws:kms/key:Key"
T_SUBNET = "aws:ec2/subnet:Subnet"
T_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


def urn(rtype: str, name: str) -> str:
    return f"urn:pulumi:test::fargate-platform::{rtype}::{name}"


def rec(rtype: str, name: str, inputs: dict | None = None, parent: str | None = STACK_URN,
        **deps: tuple[str, ...]) -> RecordedResource:
    """A resource as the plan records it."""
    return RecordedResource(urn=urn(rtype, name), type=rtype, name=name, parent=parent, inputs=dict(inputs or {}),
                            property_dependencies=dict(deps))


def task_definition(name: str = "web-task", cpu: str = "256", memory: str = "512", arch: str = "X86_64",
                    **extra) -> RecordedResource:
    return rec(T_TASK, name, {"family": name, "cpu": cpu, "memory": memory, "requiresCompatibilities": ["FARGATE"],
                              "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": arch},
                              "containerDefinitions": json.dumps([{
                                  "name": "web", "image": "nginx:1.27", "logConfiguration": {
                                      "logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web"}},
                              }]),
                              **extra})


def service(name: str = "web-svc", task: str = "web-task", **inputs) -> RecordedResource:
    return rec(T_SERVICE, name, {"name": name, "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/main",
                                 "taskDefinition": f"arn:aws:ecs:us-east-1:123456789012:task-definition/{task}:1",
                                 **inputs})


def small_stack() -> list[RecordedResource]:
    """One 0.25 vCPU/0.5 GB service x 2 tasks on FARGATE, one NAT, one ALB, one log group, one KMS key."""
    return [
        task_definition(),
        service(desiredCount=2, launchType="FARGATE"),
        rec(T_NAT, "nat", {"subnetId": "subnet-1", "allocationId": "eipalloc-1"}),
        rec(T_ALB, "alb", {"loadBalancerType": "application", "internal": False, "subnets": ["subnet-1", "subnet-2"]}),
        rec(T_LOG, "logs", {"name": "/ecs/web", "retentionInDays": 30}),
        rec(T_KMS, "key", {"enableKeyRotation": True}),
    ]


SMALL_ASSUMPTIONS = {"natGbPerMonth": 100, "albLcu": 2, "logGbPerDay": 0.5, "logStorageCompression": 0.2,
                     "kmsRotations": 0}


def small_stack_expected() -> dict[str, float]:
    fargate = PRICES["fargate"]
    nat = PRICES["natGateway"]
    alb = PRICES["alb"]
    cw = PRICES["cloudwatch"]
    return {
        # 2 tasks, every hour of the month, each 0.25 vCPU and 0.5 GB at the X86 on-demand prices.
        "web-svc": 2 * HOURS * (0.25 * fargate["vcpuHour"] + 0.5 * fargate["gbHour"]),
        # The gateway's hours plus 100 GB processed.
        "nat": HOURS * nat["hour"] + 100 * nat["gb"],
        # The ALB's hours, 2 LCUs every hour, and one public IPv4 address per subnet (2).
        "alb": HOURS * alb["hour"] + 2 * HOURS * alb["lcuHour"] + 2 * HOURS * PRICES["publicIpv4"]["hour"],
        # 0.5 GB/day ingested over 730/24 days; 0.5 GB/day x 30 days kept x 0.2 compression stored.
        "logs": 0.5 * (HOURS / 24) * cw["logIngestGb"] + 0.5 * 30 * 0.2 * cw["logStorageGbMonth"],
        # One key, no rotations yet.
        "key": PRICES["kms"]["keyMonth"],
    }


def by_name(est: costing.Estimate) -> dict[str, float]:
    return {i.name: i.monthly_usd for i in est.items}


# ---------------------------------------------------------------------------
# Hand-computed figures.
# ---------------------------------------------------------------------------
def test_small_stack_matches_hand_computed_figures():
    est = estimate(small_stack(), assumptions=SMALL_ASSUMPTIONS)
    expected = small_stack_expected()
    got = by_name(est)
    assert set(got) == set(expected), f"priced: {sorted(got)}"
    for name, usd in expected.items():
        assert got[name] == pytest.approx(usd, rel=1e-9), f"{urn('?', name)}: {got[name]} != {usd}"
    assert est.total_usd == pytest.approx(sum(expected.values()), rel=1e-9)
    assert not est.unpriced, est.unpriced
    # The log group is the service's (its task definition logs there), so it counts towards the service.
    assert est.by_service["web-svc"] == pytest.approx(expected["web-svc"] + expected["logs"])
    assert est.by_service[SHARED] == pytest.approx(expected["nat"] + expected["alb"] + expected["key"])
    # The free task definition is listed as free, not as an item.
    assert urn(T_TASK, "web-task") in est.free


def test_small_stack_literal_dollars():
    """The same stack in dollars worked out by hand from the us-east-1 prices of the file's asOf date."""
    est = estimate(small_stack(), assumptions=SMALL_ASSUMPTIONS)
    got = by_name(est)
    # 1460 task-h x (0.25 x 0.04048 + 0.5 x 0.004445) = 1460 x 0.0123425
    assert got["web-svc"] == pytest.approx(18.02005)
    # 730 x 0.045 + 100 x 0.045
    assert got["nat"] == pytest.approx(37.35)
    # 730 x 0.0225 + 1460 x 0.008 + 1460 x 0.005
    assert got["alb"] == pytest.approx(35.405)
    # 15.2083 GB x 0.50 + 3 GB x 0.03
    assert got["logs"] == pytest.approx(7.694166666666667)
    assert got["key"] == pytest.approx(1.0)


def test_scheduled_scale_down_and_spot_split():
    """min 2, weekdays 08:00-20:00 only (60 of 168 h), base 1 on FARGATE then FARGATE:FARGATE_SPOT 1:3."""
    target = rec(T_TARGET, "web-target", {"resourceId": "service/main/web-svc", "minCapacity": 2, "maxCapacity": 4,
                                          "scalableDimension": "ecs:service:DesiredCount"})
    actions = [
        rec(T_ACTION, "night", {"resourceId": "service/main/web-svc", "schedule": "cron(0 20 ? * MON-FRI *)",
                                 "scalableTargetAction": {"minCapacity": 0, "maxCapacity": 0}}),
        rec(T_ACTION, "morning", {"resourceId": "service/main/web-svc", "schedule": "cron(0 8 ? * MON-FRI *)",
                                   "scalableTargetAction": {"minCapacity": 2, "maxCapacity": 4}}),
    ]
    capacity = rec(T_CAPACITY, "capacity", {"clusterName": "main", "defaultCapacityProviderStrategies": [
        {"capacityProvider": "FARGATE", "weight": 1, "base": 1}, {"capacityProvider": "FARGATE_SPOT", "weight": 3},
    ]})
    est = estimate([task_definition(), service(desiredCount=2), target, *actions, capacity])
    fargate = PRICES["fargate"]
    hours_running = HOURS * 60 / 168  # the month's share of the 60 weekday hours at 2 tasks
    on_demand_tasks = 1 + 1 * 1 / 4  # the base task, then a quarter of the second
    spot_tasks = 1 * 3 / 4
    expected = hours_running * (
        on_demand_tasks * (0.25 * fargate["vcpuHour"] + 0.5 * fargate["gbHour"])
        + spot_tasks * (0.25 * fargate["spotVcpuHour"] + 0.5 * fargate["spotGbHour"])
    )
    assert by_name(est)["web-svc"] == pytest.approx(expected, rel=1e-9)


def test_arm64_and_ephemeral_storage():
    td = task_definition(cpu="1 vCPU", memory="2 GB", arch="ARM64", ephemeralStorage={"sizeInGib": 50})
    est = estimate([td, service(desiredCount=1, launchType="FARGATE")])
    fargate = PRICES["fargate"]
    # 30 GiB above the 20 included, priced per GB-hour on top of the ARM64 vCPU and memory prices.
    expected = HOURS * (1 * fargate["arm64VcpuHour"] + 2 * fargate["arm64GbHour"] + 30 * fargate["ephemeralGbHour"])
    assert by_name(est)["web-svc"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("deployment", "minutes"), [
    ({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "30"}, 30),
    ({"strategy": "CANARY", "bakeTimeInMinutes": "10", "canaryConfiguration": {
        "canaryPercent": 10.0, "canaryBakeTimeInMinutes": "5"}}, 15),
    # 25 % steps: 4 shifts, 3 waits of 4 minutes between them, then the bake.
    ({"strategy": "LINEAR", "bakeTimeInMinutes": "8", "linearConfiguration": {
        "stepPercent": 25.0, "stepBakeTimeInMinutes": "4"}}, 20),
    # A release runs its second fleet for at least releaseMinimumMinutes.
    ({"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "0"}, 10),
], ids=["blue-green", "canary", "linear", "minimum"])
def test_traffic_shifting_releases_pay_for_a_second_fleet(deployment, minutes):
    """releasesPerMonth x the minutes each release runs both fleets, at the service's task count and prices."""
    rolling = estimate([task_definition(), service(desiredCount=2, launchType="FARGATE")],
                       assumptions={"releasesPerMonth": 12})
    released = estimate([task_definition(), service(desiredCount=2, launchType="FARGATE",
                                                    deploymentConfiguration=deployment)],
                        assumptions={"releasesPerMonth": 12})
    fargate = PRICES["fargate"]
    extra = 12 * minutes / 60 * 2 * (0.25 * fargate["vcpuHour"] + 0.5 * fargate["gbHour"])
    assert by_name(released)["web-svc"] - by_name(rolling)["web-svc"] == pytest.approx(extra, rel=1e-9)
    item = next(i for i in released.items if i.name == "web-svc")
    assert f"releases: 12 a month x {minutes} min" in item.detail, item.detail


def test_rolling_releases_add_nothing():
    plain = estimate([task_definition(), service(desiredCount=2, launchType="FARGATE")])
    rolling = estimate([task_definition(), service(desiredCount=2, launchType="FARGATE",
                                                   deploymentConfiguration={"strategy": "ROLLING"})])
    assert by_name(plain) == by_name(rolling)


def test_interface_endpoints_move_nat_traffic_and_cost_per_az():
    endpoint = rec(T_ENDPOINT, "logs-endpoint", {"vpcEndpointType": "Interface",
                                                  "subnetIds": ["subnet-1", "subnet-2", "subnet-3"]})
    gateway = rec(T_ENDPOINT, "s3-endpoint", {"vpcEndpointType": "Gateway", "routeTableIds": ["rtb-1"]})
    nat = rec(T_NAT, "nat", {"subnetId": "subnet-1"})
    est = estimate([nat, endpoint, gateway], assumptions={"natGbPerMonth": 100, "natGbShiftedToEndpoints": 0.5,
                                                          "endpointGbPerMonth": 10})
    got = by_name(est)
    assert got["nat"] == pytest.approx(HOURS * PRICES["natGateway"]["hour"] + 50 * PRICES["natGateway"]["gb"])
    assert got["logs-endpoint"] == pytest.approx(3 * HOURS * PRICES["vpcEndpoint"]["interfaceAzHour"]
                                                 + 10 * PRICES["vpcEndpoint"]["gb"])
    assert "s3-endpoint" not in got and urn(T_ENDPOINT, "s3-endpoint") in est.free


def test_log_group_never_expiring_is_stored_to_the_horizon():
    est = estimate([rec(T_LOG, "forever", {})], assumptions={"otherLogGbPerDay": 1, "logStorageCompression": 1,
                                                              "logStorageHorizonDays": 100})
    cw = PRICES["cloudwatch"]
    assert by_name(est)["forever"] == pytest.approx(HOURS / 24 * cw["logIngestGb"] + 100 * cw["logStorageGbMonth"])


# ---------------------------------------------------------------------------
# Schedules.
# ---------------------------------------------------------------------------
def test_weekly_minutes_reads_aws_cron_forms():
    assert weekly_minutes("cron(0 7 ? * MON-FRI *)")[0] == [d * 1440 + 420 for d in range(5)]
    assert weekly_minutes("cron(30 22 ? * 1 *)")[0] == [6 * 1440 + 22 * 60 + 30]  # 1 is Sunday
    assert weekly_minutes("cron(0 0/12 * * ? *)")[0] == [d * 1440 + h * 60 for d in range(7) for h in (0, 12)]
    assert weekly_minutes("cron(0 6 ? * FRI-MON *)")[0] == [d * 1440 + 360 for d in (0, 4, 5, 6)]
    for skipped in ("rate(5 minutes)", "at(2025-01-01T00:00:00)", "cron(0 7 1 * ? *)", "cron(0 7 ? * 6L *)", ""):
        minutes, reason = weekly_minutes(skipped)
        assert minutes == [] and reason, skipped


def test_timeline_wraps_the_week_and_skips_what_it_cannot_place():
    week = timeline(1, 3, [Action("cron(0 20 ? * FRI *)", 0, 0), Action("cron(0 8 ? * MON *)", 1, 3),
                           Action("rate(1 day)", 5, 5, name="odd")])
    # Off from Friday 20:00 to Monday 08:00 (60 h), on for the other 108 h.
    assert week.hours_at() == {0.0: pytest.approx(60.0), 1.0: pytest.approx(108.0)}
    assert week.skipped and "odd" in week.skipped[0]


def test_timeline_compares_time_zones_in_utc():
    # 18:00 in Berlin (UTC+1 in winter) is 17:00 UTC; scale-up at 09:00 UTC: off 16 h a day.
    week = timeline(1, 1, [Action("cron(0 18 ? * * *)", 0, 0, timezone="Europe/Berlin"),
                           Action("cron(0 9 ? * * *)", 1, 1, timezone="UTC")])
    assert week.hours_at()[0.0] == pytest.approx(7 * 16)


# ---------------------------------------------------------------------------
# Unpriced, free and components.
# ---------------------------------------------------------------------------
def test_unknown_types_are_listed_as_unpriced_not_zero():
    unknown = rec("aws:rds/instance:Instance", "db", {"instanceClass": "db.t4g.micro"})
    other = rec("gcp:compute/instance:Instance", "vm", {})
    est = estimate([*small_stack(), unknown, other], assumptions=SMALL_ASSUMPTIONS)
    assert {(u.urn, u.type) for u in est.unpriced} == {(unknown.urn, unknown.type), (other.urn, other.type)}
    assert all(u.reason for u in est.unpriced)
    assert unknown.urn not in {i.urn for i in est.items}
    assert est.total_usd == pytest.approx(sum(small_stack_expected().values()))
    assert "aws:rds/instance:Instance" in format_estimate(est)


def test_components_are_skipped_and_services_are_named_after_their_component():
    component = RecordedResource(urn=urn("acme:index:Service", "shop"), type="acme:index:Service", name="shop",
                                 parent=STACK_URN, inputs={}, custom=False)
    nested = [r.__class__(**{**r.__dict__, "parent": component.urn}) for r in (task_definition(), service(
        desiredCount=1, launchType="FARGATE"))]
    est = estimate([component, *nested])
    assert not est.unpriced
    assert [(i.name, i.service) for i in est.items] == [("web-svc", "shop")]


def test_service_without_task_definition_is_unpriced():
    svc = service(desiredCount=2, launchType="FARGATE", taskDefinition="arn:aws:ecs:us-east-1:1:task-definition/x:1")
    est = estimate([svc])
    assert [(u.urn, u.type) for u in est.unpriced] == [(svc.urn, T_SERVICE)]
    assert "task definition" in est.unpriced[0].reason


# Scans the whole installed SDK: `make test-slow` runs it (CI runs both suites).
@pytest.mark.slow
def test_every_aws_token_exists_in_pulumi_aws():
    from fargate_policies.tools import aws_catalog

    known = aws_catalog.known_tokens(aws_catalog.scan())
    tokens = {*costing.PRICED_TYPES, *costing.FREE_TYPES, *costing.TYPES_READ}
    missing = sorted(t for t in tokens if t.startswith("aws:") and t not in known)
    assert not missing, f"not pulumi-aws type tokens: {missing}"
    assert not set(costing.PRICED_TYPES) & set(costing.FREE_TYPES)


# ---------------------------------------------------------------------------
# Config: prices, region, assumptions.
# ---------------------------------------------------------------------------
def test_price_overrides_and_assumptions_change_the_estimate():
    base = estimate(small_stack(), assumptions=SMALL_ASSUMPTIONS)
    dearer_nat = estimate(small_stack(), assumptions=SMALL_ASSUMPTIONS, prices={"natGateway": {"hour": 0.09}})
    assert by_name(dearer_nat)["nat"] - by_name(base)["nat"] == pytest.approx(HOURS * (0.09 - 0.045))
    assert dearer_nat.prices_overridden == ("natGateway.hour",)
    more_logs = estimate_for_config(small_stack(), {"assumptions": {**SMALL_ASSUMPTIONS, "logGbPerDay": 1.0},
                                                    "usd": 1, "region": "us-east-1"})
    assert by_name(more_logs)["logs"] == pytest.approx(2 * by_name(base)["logs"])


@pytest.mark.parametrize("kwargs, fragment", [
    ({"region": "eu-west-9"}, "no price file for region eu-west-9"),
    ({"region": "../../etc"}, "not an AWS region"),
    ({"prices": {"natGateway": {"hourly": 1}}}, "prices.natGateway.hourly: unknown price"),
    ({"prices": {"nat": {"hour": 1}}}, "prices.nat: unknown price group"),
    ({"prices": {"natGateway": {"hour": -1}}}, "not a non-negative number"),
    ({"assumptions": {"logsPerDay": 1}}, "assumptions.logsPerDay: unknown assumption"),
    ({"assumptions": {"natGbShiftedToEndpoints": 2}}, "above its maximum"),
    ({"assumptions": {"albLcu": "2"}}, "not a non-negative number"),
])
def test_bad_config_is_a_one_line_error(kwargs, fragment):
    with pytest.raises(CostConfigError, match=None) as info:
        estimate(small_stack(), **kwargs)
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_price_file_documents_its_date_and_source():
    document = json.loads(PRICE_FILE.read_text(encoding="utf-8"))
    assert document["region"] == "us-east-1" and document["currency"] == "USD"
    assert len(document["asOf"]) == 10 and document["source"] and "not fetched" in document["notes"].lower()
    table = costing.load_prices()
    assert table.as_of == document["asOf"] and table.hours_per_month == HOURS


def test_format_and_json():
    est = estimate([*small_stack(), rec("aws:rds/instance:Instance", "db")], assumptions=SMALL_ASSUMPTIONS)
    text = format_estimate(est)
    assert f"Total: ${est.total_usd:,.2f} per month" in text
    for item in est.items:
        assert item.name in text, item.urn
    doc = estimate_to_json(est)
    assert json.loads(json.dumps(doc)) == doc
    assert doc["totalUsd"] == round(est.total_usd, 2)
    assert [i["urn"] for i in doc["items"]] == [i.urn for i in est.items]
    assert doc["unpriced"] == [{"urn": urn("aws:rds/instance:Instance", "db"), "type": "aws:rds/instance:Instance",
                                "reason": "no price for this type"}]


def test_budget_settings_accept_every_config_shape(tmp_path):
    entry = {"enforcementLevel": "mandatory", "usd": 100, "assumptions": {"logGbPerDay": 0.5}}
    path = tmp_path / "dev.json"
    path.write_text(json.dumps({cost.BUDGET_POLICY: entry}), encoding="utf-8")
    expected = {"usd": 100, "assumptions": {"logGbPerDay": 0.5}}
    assert cost.budget_settings(path) == expected
    assert cost.budget_settings(str(path)) == expected
    assert cost.budget_settings({cost.BUDGET_POLICY: entry}) == expected
    assert cost.budget_settings({cost.BUDGET_POLICY: ("mandatory", {"usd": 100})}) == {"usd": 100}
    assert cost.budget_settings(None) == {} and cost.budget_settings({"other": "advisory"}) == {}
    est = estimate(small_stack(), assumptions=SMALL_ASSUMPTIONS)
    assert cost.budget_line(est, {cost.BUDGET_POLICY: {"usd": 1}}).startswith("budget $1.00: OVER")
    assert cost.budget_line(est, {cost.BUDGET_POLICY: {"usd": 10_000}}).startswith("budget $10,000.00: within")
    assert cost.budget_line(est, None) is None
    assert cost.estimate_to_json(est, {cost.BUDGET_POLICY: {"usd": 1}})["withinBudget"] is False


def test_the_cost_table_and_the_budget_policy_list_the_same_unpriced_resources():
    """What has no price is listed on every run: by --cost, and by the budget policy even within budget."""
    from fargate_policies.rules import enforce_monthly_budget

    db = rec("aws:rds/instance:Instance", "db", {"instanceClass": "db.t4g.micro"})
    resources = [*small_stack(), db, rec("gcp:compute/instance:Instance", "vm")]
    est = estimate(resources, assumptions=SMALL_ASSUMPTIONS)
    text = format_estimate(est)
    listed = text.split("Unpriced, not included (2):\n", 1)[1].splitlines()
    assert listed == ["  aws:rds/instance:Instance db: no price for this type",
                      "  gcp:compute/instance:Instance vm: no price for this type"], text
    settings = {"usd": est.total_usd + 100, "assumptions": SMALL_ASSUMPTIONS}
    (found,) = list(enforce_monthly_budget.check(resources, settings))
    assert found[1].endswith(": " + ", ".join(line.strip() for line in listed) + "; "
                             + enforce_monthly_budget.MSG_ALLOW_UNPRICED + "."), found
    line = cost.budget_line(est, {cost.BUDGET_POLICY: settings})
    assert line.startswith(f"budget ${settings['usd']:,.2f}: within, but not verified: 2 unpriced resource(s) not in "
                           "allowUnpriced"), line
    allowed = {**settings, "allowUnpriced": ["aws:rds/instance:Instance", "gcp:compute/instance:Instance"]}
    assert list(enforce_monthly_budget.check(resources, allowed)) == []
    assert cost.budget_line(est, {cost.BUDGET_POLICY: allowed}).startswith(f"budget ${settings['usd']:,.2f}: within (")


@pytest.mark.parametrize(("configured", "stack", "fragment"), [
    (None, "eu-west-1", "no price file for region eu-west-1; regions priced: us-east-1"),
    ("us-east-1", "eu-west-1", "the stack deploys to eu-west-1 but region is set to us-east-1"),
])
def test_a_stack_is_never_priced_at_another_regions_prices(configured, stack, fragment):
    from stacks.offline.runner import StackConfig

    config = StackConfig(project="p", stack="s", values={"aws:region": stack})
    policy = {cost.BUDGET_POLICY: {"region": configured}}
    with pytest.raises(CostConfigError) as caught:
        cost.stack_pricing_region(config, policy)
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
    assert cost.stack_pricing_region(StackConfig(project="p", stack="s", values={"aws:region": "us-east-1"}),
                                     policy) == "us-east-1"


# ---------------------------------------------------------------------------
# The real stacks and the levers.
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stacks() -> dict[str, costing.Estimate]:
    return {name: cost.estimate_run(program(name)) for name in ("dev", "prod", "gpu")}


@pytest.fixture(scope="module")
def levers(stacks) -> dict[str, cost_levers.LeverResult]:
    baselines = {name: est.total_usd for name, est in stacks.items()}
    results = cost_levers.compute_levers(REPO, baselines=baselines)
    return {r.lever.title: r for r in results}


def test_dev_is_cheaper_than_prod(stacks):
    assert 0 < stacks["dev"].total_usd < stacks["prod"].total_usd, {k: v.total_usd for k, v in stacks.items()}


@pytest.mark.parametrize("name", ["dev", "prod", "gpu"])
def test_real_stacks_have_nothing_unpriced(stacks, name):
    est = stacks[name]
    assert not est.unpriced, "add a price or a FREE_TYPES entry for: " + ", ".join(
        f"{u.urn} ({u.reason})" for u in est.unpriced)
    services = [i for i in est.items if i.type == T_SERVICE]
    assert services and all(i.monthly_usd > 0 and i.service != SHARED for i in services), services


def test_both_shapes_give_the_same_estimate():
    """The pack sees PolicyResources (props behind the unknown-checking proxy, parents and dependencies as
    resources); the plan sees recorded resources. Both must price the real dev stack the same."""
    dev = program("dev")
    as_policy = {r.urn: StackResource(r.type, unknown_checking_proxy(to_plain(
        r.inputs, unknown=UNKNOWN_STRING_VALUE)), r.urn, r.name) for r in dev.resources}
    for r in dev.resources:
        resource = as_policy[r.urn]
        resource.parent = as_policy.get(r.parent or "")
        resource.property_dependencies = {k: [as_policy[u] for u in urns if u in as_policy]
                                          for k, urns in r.property_dependencies.items()}
    plan = estimate(dev.resources)
    pack = estimate(list(as_policy.values()))
    assert [(i.urn, round(i.monthly_usd, 6)) for i in pack.items] == [(i.urn, round(i.monthly_usd, 6))
                                                                       for i in plan.items]
    assert pack.unpriced == plan.unpriced


# Runs the program once more per lever: `make test-slow` runs it (CI runs both suites).
@pytest.mark.slow
@pytest.mark.parametrize("title, cheaper", [
    ("Spot weighting", "configured"),            # weight 3 on Spot (configured) is cheaper than 0
    ("NAT gateways", "changed"),                 # single is cheaper than one-per-az (configured)
    ("Scheduled scale-to-zero", "configured"),   # the schedules (configured) are cheaper than none
    ("CPU architecture", "changed"),             # ARM64 is cheaper than X86_64 (configured)
    ("Log retention", "configured"),             # 14 days (configured) is cheaper than 365
    ("Releases beside the running version", "changed"),  # rolling runs no second fleet (and no extra alarms)

    ("Fargate vs managed instances", "configured"),  # two small tasks: Fargate is cheaper than a whole instance
])
def test_each_lever_moves_the_estimate_the_expected_way(levers, title, cheaper):
    result = levers[title]
    low, high = ((result.configured_usd, result.changed_usd) if cheaper == "configured"
                 else (result.changed_usd, result.configured_usd))
    assert low < high, f"{title}: {result}"


# Runs the program once more per lever: `make test-slow` runs it (CI runs both suites).
@pytest.mark.slow
def test_vpc_endpoints_take_traffic_off_nat(stacks):
    from stacks.offline.runner import load_stack_config

    values = load_stack_config(REPO, "prod").values
    lever = next(lv for lv in cost_levers.LEVERS if lv.setting == "`vpcEndpoints`")
    without = cost.plan_cost(REPO, "prod", config_overrides=lever.overrides(values))
    nat = [i for i in stacks["prod"].items if i.type == T_NAT]
    nat_without = [i for i in without.items if i.type == T_NAT]
    assert nat and sum(i.monthly_usd for i in nat) < sum(i.monthly_usd for i in nat_without)
    assert not [i for i in without.items if i.type == T_ENDPOINT and i.monthly_usd > 0]


# Runs the program once more per lever: `make test-slow` runs it (CI runs both suites).
@pytest.mark.slow
def test_docs_tables_are_up_to_date(levers):
    document = (REPO / "docs" / "cost.md").read_text(encoding="utf-8")
    results = [levers[lv.title] for lv in cost_levers.LEVERS]
    assert cost_levers.block(document, "levers") == cost_levers.render_levers(results), (
        "docs/cost.md levers table is stale: run python -m stacks.exports.cost_levers")
    assert cost_levers.block(document, "assumptions") == cost_levers.render_assumptions(), (
        "docs/cost.md assumptions table is stale: run python -m stacks.exports.cost_levers")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert cost_levers.block(readme, "levers") == cost_levers.render_levers(results), (
        "README.md levers table is stale: run python -m stacks.exports.cost_levers")


# ---------------------------------------------------------------------------
# Robustness: random and partial props never make the estimator raise.
# ---------------------------------------------------------------------------
TYPES = [*costing.PRICED_TYPES, *costing.TYPES_READ, "aws:iam/role:Role", "acme:index:Thing", "pulumi:pulumi:Stack"]
KEYS = ["cpu", "memory", "desiredCount", "launchType", "taskDefinition", "cluster", "capacityProviderStrategies",
        "defaultCapacityProviderStrategies", "capacityProvider", "weight", "base", "runtimePlatform",
        "cpuArchitecture", "ephemeralStorage", "sizeInGib", "containerDefinitions", "resourceId", "minCapacity",
        "maxCapacity", "scalableTargetAction", "schedule", "timezone", "scalableDimension", "retentionInDays",
        "name", "family", "settings", "value", "internal", "subnets", "subnetIds", "vpcEndpointType",
        "loadBalancerType", "metricQueries", "metric", "period", "rules", "statement", "enableKeyRotation",
        "logDestination", "configuration", "serviceConnectConfiguration", "services", "logGroupClass"]
WORDS = ["256", "0.25 vCPU", "2 GB", "FARGATE", "FARGATE_SPOT", "EC2", "ARM64", "X86_64", "WINDOWS_SERVER_2022_CORE",
         "cron(0 20 ? * MON-FRI *)", "cron(0/5 * ? * 1-7 *)", "cron(x)", "rate(1 day)", "Europe/Berlin", "Nowhere/X",
         "service/main/web", "ecs:service:DesiredCount", "Interface", "Gateway", "network", "gateway",
         "containerInsights", "enhanced", "INFREQUENT_ACCESS", "arn:aws:ecs:us-east-1:1:task-definition/web:1",
         UNKNOWN_STRING_VALUE, "", "[{}]", "{", "null"]

scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(WORDS) | st.text(max_size=8))
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(KEYS), children, max_size=5),
    max_leaves=14,
)
props = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=5), values, max_size=8)


@st.composite
def stacks_of_junk(draw):
    count = draw(st.integers(0, 8))
    resources = [StackResource(draw(st.sampled_from(TYPES)), draw(props), f"urn:pulumi:x::p::t::r{i}", f"r{i}")
                 for i in range(count)]
    for resource in resources:
        for key, target in draw(st.lists(st.tuples(st.sampled_from(KEYS), st.integers(0, max(count - 1, 0))),
                                         max_size=4)):
            if resources:
                resource.property_dependencies.setdefault(key, []).append(resources[target])
        if resources and draw(st.booleans()):
            resource.parent = resources[draw(st.integers(0, count - 1))]
    return resources


def _proxied(resources: list[StackResource]) -> list[StackResource]:
    copies = {r.urn: StackResource(r.resource_type, unknown_checking_proxy(copy.deepcopy(dict(r.props))), r.urn,
                                   r.name) for r in resources}
    for r in resources:
        copies[r.urn].property_dependencies = {k: [copies[d.urn] for d in v] for k, v in
                                               r.property_dependencies.items()}
        copies[r.urn].parent = copies[r.parent.urn] if r.parent is not None else None
    return list(copies.values())


# Each example is a whole random stack priced twice (plain and behind the proxy): 5 keep the suite within its
# minute; FUZZ_EXAMPLES=500 fuzzes harder, as in tests/policies/test_fuzz.py.
@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "5")), deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(resources=stacks_of_junk())
def test_estimator_never_raises_on_random_props(resources):
    for shape in (resources, _proxied(resources)):
        est = estimate(shape)
        assert est.total_usd >= 0 and est.total_usd == pytest.approx(sum(i.monthly_usd for i in est.items))
        assert all(isinstance(i.detail, str) and i.urn for i in est.items)
        format_estimate(est)
        json.dumps(estimate_to_json(est))


@pytest.mark.parametrize("junk", [None, 42, "stack", b"x", {"a": 1}, [None, 1, "x", {}, {"type": 5}]])
def test_estimator_survives_junk_resource_lists(junk):
    assert estimate(junk).total_usd == 0


@pytest.mark.parametrize("name", ["dev", "prod"])
def test_reading_only_the_read_types_changes_no_figure(stacks, name, monkeypatch):
    """The estimator copies props only of TYPES_READ (and of some, only KEYS_READ); copying every resource's
    props gives the same estimate."""
    monkeypatch.setattr(costing.estimator, "_READ", None)
    monkeypatch.setattr(costing.estimator.T, "KEYS_READ", {})
    every = cost.estimate_run(program(name))
    assert stacks[name].items == every.items and stacks[name].unpriced == every.unpriced
    assert stacks[name].total_usd == every.total_usd > 0


def test_alarms_are_priced_from_the_keys_read_alone(monkeypatch):
    """A metric-math alarm with an anomaly band and a high-resolution metric: the same price from the keys in
    KEYS_READ as from all its props."""
    alarm = rec("aws:cloudwatch/metricAlarm:MetricAlarm", "anomaly", {
        "comparisonOperator": "GreaterThanUpperThreshold", "evaluationPeriods": 2, "thresholdMetricId": "band",
        "alarmActions": ["arn:aws:sns:us-east-1:1:topic"], "dimensions": {"ServiceName": "web"},
        "metricQueries": [
            {"id": "m1", "metric": {"metricName": "CPUUtilization", "namespace": "AWS/ECS", "period": 10,
                                    "stat": "Average"}, "returnData": True},
            {"id": "band", "expression": "ANOMALY_DETECTION_BAND(m1, 2)"},
        ]})
    narrow = estimate([alarm])
    monkeypatch.setattr(costing.estimator.T, "KEYS_READ", {})
    full = estimate([alarm])
    assert narrow.items == full.items and narrow.items[0].monthly_usd > 0
    assert "3 metrics, high resolution" in narrow.items[0].detail
