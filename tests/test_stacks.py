"""Whole-stack tests: the real __main__.py under mocks, with the real dev and prod stack files."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
import yaml
from fargate_policies.facts import is_root_user

from stacks.offline.runner import run_program
from tests.stack_programs import program

ROOT = Path(__file__).resolve().parent.parent

SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
SERVICE = "aws:ecs/service:Service"
TARGET = "aws:appautoscaling/target:Target"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
ROUTE = "aws:ec2/route:Route"
RTA = "aws:ec2/routeTableAssociation:RouteTableAssociation"


@pytest.fixture(scope="module", params=["dev", "prod", "gpu"])
def stack(request):
    run = program(request.param)
    config = yaml.safe_load((ROOT / f"Pulumi.{request.param}.yaml").read_text())["config"]
    return request.param, run, config


def by_type(run, token):
    return [r for r in run.resources if r.type == token]


def test_subnets_and_nat_gateways_follow_config(stack):
    name, run, config = stack
    zones = config["fargate-platform:azCount"]
    subnets = by_type(run, SUBNET)
    private = [s for s in subnets if s.inputs.get("tags", {}).get("Tier") == "private"]
    public = [s for s in subnets if s.inputs.get("tags", {}).get("Tier") == "public"]
    assert len(private) == zones, f"{name}: private subnets {[s.urn for s in private]}"
    assert len(public) == zones, f"{name}: public subnets {[s.urn for s in public]}"
    expected_nats = {"single": 1, "one-per-az": zones, "none": 0}[config["fargate-platform:natStrategy"]]
    assert len(by_type(run, NAT)) == expected_nats, f"{name}: NAT gateways"
    assert len({s.inputs["availabilityZone"] for s in private}) == zones, f"{name}: one private subnet per zone"


def test_prod_has_three_private_subnets_and_three_nat_gateways():
    run = program("prod")
    private = [s for s in by_type(run, SUBNET) if s.inputs.get("tags", {}).get("Tier") == "private"]
    assert len(private) == 3, [s.urn for s in private]
    assert len(by_type(run, NAT)) == 3


def test_every_log_group_has_retention(stack):
    name, run, config = stack
    groups = by_type(run, LOG_GROUP)
    assert groups, f"{name}: no log groups"
    for group in groups:
        days = group.inputs.get("retentionInDays")
        assert isinstance(days, int | float) and days > 0, f"{group.urn}: retentionInDays={days!r}"
        if config.get("fargate-platform:createKmsKey"):
            assert group.inputs.get("kmsKeyId"), f"{group.urn}: no KMS key although createKmsKey is set"


def _private_subnet_ids(run):
    """Ids (as the mocks assign them) of subnets whose route tables have no internet-gateway default route."""
    igw_routes = {r.inputs["routeTableId"] for r in by_type(run, ROUTE) if "gatewayId" in r.inputs}
    return {a.inputs["subnetId"] for a in by_type(run, RTA) if a.inputs["routeTableId"] not in igw_routes}


def test_every_service_sits_in_private_subnets_without_public_ip(stack):
    name, run, _ = stack
    private_ids = _private_subnet_ids(run)
    services = by_type(run, SERVICE)
    assert services, f"{name}: no ECS services"
    for service in services:
        network = service.inputs["networkConfiguration"]
        assert network.get("assignPublicIp") is False, f"{service.urn}: assignPublicIp={network.get('assignPublicIp')}"
        assert network["subnets"], f"{service.urn}: no subnets"
        assert set(network["subnets"]) <= private_ids, f"{service.urn}: subnets {network['subnets']} not all private"


def test_every_service_has_a_scalable_target(stack):
    name, run, config = stack
    services = by_type(run, SERVICE)
    targets = by_type(run, TARGET)
    assert len(targets) == len(services) == len(config["fargate-platform:services"]), f"{name}: targets"
    for target in targets:
        assert target.inputs["maxCapacity"] > target.inputs["minCapacity"] or target.inputs["maxCapacity"] >= 1, \
            target.urn
        assert target.inputs["serviceNamespace"] == "ecs", target.urn
    linked = {dep for t in targets for dep in t.dependencies}
    for service in services:
        assert service.urn in linked, f"{service.urn}: no scalable target depends on it"


def test_containers_are_hardened(stack):
    _, run, _ = stack
    for task in by_type(run, TASK_DEF):
        containers = json.loads(task.inputs["containerDefinitions"])
        for container in containers:
            where = f"{task.urn} container {container['name']}"
            assert container["readonlyRootFilesystem"] is True, where
            assert container.get("privileged") in (None, False), where
            assert not is_root_user(container["user"]), where
            assert container["logConfiguration"]["logDriver"] == "awslogs", where
            assert container["linuxParameters"]["initProcessEnabled"] is True, where


def test_every_service_has_a_health_check(stack):
    """Either the load balancer's target group checks the service, or its container checks itself."""
    name, run, _ = stack
    checked_by_target_group = {r.name.removesuffix("-tg") for r in by_type(run, "aws:lb/targetGroup:TargetGroup")
                               if r.inputs["healthCheck"]["enabled"] is True and r.inputs["healthCheck"]["path"]}
    for task in by_type(run, TASK_DEF):
        service = task.name.removesuffix("-task")
        for container in json.loads(task.inputs["containerDefinitions"]):
            has_own = bool(container.get("healthCheck", {}).get("command"))
            assert has_own or service in checked_by_target_group, f"{task.urn}: {container['name']} is unchecked"


def test_prod_protects_stateful_resources():
    run = program("prod")
    stateful = [r for r in run.resources if r.type in (LOG_GROUP, "aws:s3/bucket:Bucket", "aws:kms/key:Key")]
    assert stateful
    for resource in stateful:
        assert resource.protect, f"{resource.urn}: not protected in prod"


def test_dev_protects_nothing():
    run = program("dev")
    assert not [r.urn for r in run.resources if r.protect]


def test_every_taggable_resource_carries_the_required_tags(stack):
    from components.tagging import is_taggable

    name, run, _ = stack
    missing = defaultdict(list)
    for resource in run.resources:
        if resource.custom and is_taggable(resource.type):
            tags = resource.inputs.get("tags") or {}
            for key in ("Environment", "Owner", "CostCenter"):
                if not tags.get(key):
                    missing[key].append(resource.urn)
    assert not missing, f"{name}: untagged: {dict(missing)}"


def test_children_are_named_after_their_component(stack):
    _, run, _ = stack
    by_urn = {r.urn: r for r in run.resources}
    for resource in run.resources:
        parent = by_urn.get(resource.parent)
        if parent is not None and parent.type.startswith("fargate-platform:index:"):
            assert resource.name.startswith(f"{parent.name}-"), f"{resource.urn}: not named {parent.name}-<role>"


def test_outputs_are_exported(stack):
    name, run, _ = stack
    for key in ("url", "clusterName", "serviceNames", "logGroups", "vpcId", "privateSubnetIds", "publicSubnetIds"):
        assert key in run.outputs, f"{name}: output {key} missing"


def test_dev_is_smaller_than_prod():
    dev = Counter(r.type for r in program("dev").resources)
    prod = Counter(r.type for r in program("prod").resources)
    assert dev[NAT] < prod[NAT]
    assert sum(dev.values()) < sum(prod.values())


def _snake_keys(value, path=""):
    """Property names the engine would not recognise: snake_case keys in nested inputs."""
    if isinstance(value, dict):
        for key, item in value.items():
            # Free-form maps keep their users' keys.
            if key in ("tags", "options", "environment", "dimensions"):
                continue
            if "_" in key and not key.startswith("__"):
                yield f"{path}.{key}"
            yield from _snake_keys(item, f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _snake_keys(item, f"{path}[{i}]")


def test_inputs_use_engine_property_names(stack):
    name, run, _ = stack
    bad = {r.urn: list(_snake_keys(r.inputs)) for r in run.resources if r.custom}
    bad = {urn: keys for urn, keys in bad.items() if keys}
    assert not bad, f"{name}: snake_case property names would be dropped by the provider: {bad}"


ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"


def test_every_service_has_its_alarm_set_and_every_alarm_pages(stack):
    name, run, config = stack
    alarms = by_type(run, ALARM)
    topics = {t.urn for t in by_type(run, "aws:sns/topic:Topic")}
    assert len(topics) == 1, f"{name}: alarm topics {topics}"
    for alarm in alarms:
        assert alarm.inputs.get("alarmActions") and alarm.inputs.get("okActions"), f"{alarm.urn}: no actions"
        assert "treatMissingData" in alarm.inputs, f"{alarm.urn}: missing data not treated deliberately"
    names = {a.name for a in alarms}
    for svc in config["fargate-platform:services"]:
        prefix = f"fp-{name}-{svc['name']}"
        expected = {"cpu-high", "memory-high"}
        if not svc.get("internal"):
            expected |= {"target-5xx-rate", "target-p99-latency", "unhealthy-hosts"}
        missing = {role for role in expected if f"{prefix}-{role}" not in names}
        assert not missing, f"{name}: service {svc['name']} lacks alarms {missing}"
    assert {f"fp-{name}-alb-elb-5xx", f"fp-{name}-alb-rejected-connections"} <= names, f"{name}: ALB alarms"


def test_services_roll_back_on_their_critical_alarms(stack):
    name, run, _ = stack
    alarm_names = {a.inputs["name"] for a in by_type(run, ALARM)}
    for service in by_type(run, SERVICE):
        alarms = service.inputs.get("alarms")
        assert alarms and alarms["enable"] is True and alarms["rollback"] is True, f"{service.urn}: {alarms}"
        assert set(alarms["alarmNames"]) <= alarm_names, f"{service.urn}: names an alarm the stack lacks"


def test_waf_follows_config(stack):
    name, run, config = stack
    associations = by_type(run, "aws:wafv2/webAclAssociation:WebAclAssociation")
    assert len(associations) == (1 if config.get("fargate-platform:wafEnabled") else 0), f"{name}: WAF"


def test_internal_services_admit_only_their_callers():
    run = program("prod")
    config = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"]
    internal = [s for s in config["fargate-platform:services"] if s.get("internal")]
    assert internal, "prod should exercise an internal service"
    ingress = by_type(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
    for svc in internal:
        rules = [r for r in ingress if r.name.startswith(f"fp-prod-{svc['name']}-")]
        assert sorted(r.name for r in rules) == sorted(f"fp-prod-{svc['name']}-sg-ingress-{c}"
                                                       for c in svc["callers"]), [r.urn for r in rules]
        assert not [r for r in by_type(run, "aws:lb/targetGroup:TargetGroup") if svc["name"] in r.name]


def test_bad_config_registers_nothing():
    from stacks.offline.runner import OfflineError

    recorded = []
    bad = json.dumps([{"name": "web", "build": "app", "cpu": 256, "memory": 4096}])
    with pytest.raises(OfflineError, match=r"^fargate-platform:services\[0\]\.memory: 4096 is not valid with cpu 256"):
        run_program(ROOT, "dev", config_overrides={"fargate-platform:services": bad}, on_resource=recorded.append)
    assert [r.type for r in recorded if r.custom] == [], "resources were registered before validation"


def test_more_zones_than_the_region_has_is_a_config_error():
    from stacks.offline.runner import OfflineError

    recorded = []
    with pytest.raises(OfflineError, match=r"^fargate-platform:azCount: 4 zones requested but the region has 3; "
                                           r"allowed: 2 to 3$"):
        run_program(ROOT, "dev", config_overrides={"aws:region": "eu-west-1", "fargate-platform:azCount": "4"},
                    on_resource=recorded.append)
    assert [r.type for r in recorded if r.custom] == [], "resources were registered before the zones were checked"
