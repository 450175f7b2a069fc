"""The Terraform-plan export (stacks/exports/tfplan.py): type and attribute mapping, and the plan document's shape."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

import pytest

from stacks.exports import tfplan
from stacks.offline.runner import UNKNOWN, RecordedResource, SecretValue, run_program

ROOT = Path(__file__).resolve().parent.parent
STACK = "urn:pulumi:test::fargate-platform::pulumi:pulumi:Stack::fargate-platform-test"
_CONSTRUCTOR = re.compile(r"\baws\.([a-z0-9_]+)\.([A-Z][A-Za-z0-9]*)\(")


@pytest.fixture(scope="module", params=["dev", "prod", "gpu"])
def program(request):
    return run_program(ROOT, request.param)


def _resource(type_: str, name: str = "r", inputs: dict | None = None, *, custom: bool = True, urn: str = "",
              property_dependencies: dict | None = None, id_: str = "") -> RecordedResource:
    return RecordedResource(urn=urn or f"urn:pulumi:test::fargate-platform::{type_}::{name}", type=type_, name=name,
                            parent=STACK, inputs=inputs or {}, custom=custom,
                            property_dependencies=property_dependencies or {}, id=id_)


def _values(resource: RecordedResource) -> dict:
    [entry] = tfplan.to_terraform_plan([resource])["planned_values"]["root_module"]["resources"]
    return entry["values"]


# ---------------------------------------------------------------------------
# Types.
# ---------------------------------------------------------------------------
def test_every_aws_type_the_program_creates_is_mapped(program):
    result = tfplan.convert(program.resources)
    assert result.unmapped == [], f"{program.stack}: no Terraform type for {result.unmapped}"
    custom_aws = [r for r in program.resources if r.custom and r.type.startswith("aws:")]
    assert len(result.addresses) == len(custom_aws), program.stack
    assert set(result.addresses.values()) == {r.urn for r in custom_aws}


def test_every_aws_resource_class_the_components_construct_is_mapped():
    # Alarms, dashboard and WAF components may not be wired into every stack; their types must map all the same.
    aws = importlib.import_module("pulumi_aws")
    tokens = set()
    for path in sorted((ROOT / "components").glob("*.py")):
        for module, cls in _CONSTRUCTOR.findall(path.read_text(encoding="utf-8")):
            resource_cls = getattr(getattr(aws, module), cls)
            if hasattr(resource_cls, "pulumi_type"):
                tokens.add(resource_cls.pulumi_type)
    assert tokens, "no pulumi_aws constructors found in components/"
    missing = sorted(t for t in tokens if tfplan.terraform_type(t) is None)
    assert not missing, f"no Terraform type for {missing}"


def test_every_token_in_the_tables_exists_in_pulumi_aws():
    # Tokens typed by hand stop matching silently after a provider upgrade; check them against the SDK's registry.
    init = (Path(importlib.util.find_spec("pulumi_aws").origin)).read_text(encoding="utf-8")
    declared = set(re.findall(r'"(aws:[A-Za-z0-9]+/[A-Za-z0-9]+:[A-Za-z0-9]+)":', init))
    unknown = sorted(t for t in tfplan.TERRAFORM_TYPES if t not in declared)
    assert not unknown, f"not pulumi-aws resource tokens: {unknown}"
    canonical = {a: c for a, c in tfplan.ALIASES.items() if c not in tfplan.TERRAFORM_TYPES}
    assert not canonical, f"aliases to unmapped tokens: {canonical}"
    assert all(re.fullmatch(r"aws_[a-z0-9_]+", t) for t in tfplan.TERRAFORM_TYPES.values())


@pytest.mark.parametrize(("token", "expected"), [
    ("aws:ecs/service:Service", "aws_ecs_service"),
    ("aws:lb/loadBalancer:LoadBalancer", "aws_lb"),
    ("aws:alb/loadBalancer:LoadBalancer", "aws_lb"),
    ("aws:alb/listener:Listener", "aws_lb_listener"),
    ("aws:alb/targetGroup:TargetGroup", "aws_lb_target_group"),
    ("aws:ec2/vpc:Vpc", "aws_vpc"),
    ("aws:s3/bucket:Bucket", "aws_s3_bucket"),
    ("aws:s3/bucketV2:BucketV2", "aws_s3_bucket"),
    ("aws:cloudwatch/logGroup:LogGroup", "aws_cloudwatch_log_group"),
    ("aws:appautoscaling/target:Target", "aws_appautoscaling_target"),
    ("aws:cloudwatch/metricAlarm:MetricAlarm", "aws_cloudwatch_metric_alarm"),
    ("aws:cloudwatch/dashboard:Dashboard", "aws_cloudwatch_dashboard"),
    ("aws:wafv2/webAcl:WebAcl", "aws_wafv2_web_acl"),
    ("aws:wafv2/webAclAssociation:WebAclAssociation", "aws_wafv2_web_acl_association"),
    ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "aws_wafv2_web_acl_logging_configuration"),
    ("aws:sns/topic:Topic", "aws_sns_topic"),
    ("aws:sns/topicPolicy:TopicPolicy", "aws_sns_topic_policy"),
    ("aws:sns/topicSubscription:TopicSubscription", "aws_sns_topic_subscription"),
    ("aws:kms/key:Key", "aws_kms_key"),
    ("aws:kms/alias:Alias", "aws_kms_alias"),
    ("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace", "aws_service_discovery_private_dns_namespace"),
    ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "aws_vpc_security_group_ingress_rule"),
    ("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws_vpc_security_group_egress_rule"),
    ("aws:ecr/repository:Repository", "aws_ecr_repository"),
    ("aws:ecr/lifecyclePolicy:LifecyclePolicy", "aws_ecr_lifecycle_policy"),
    ("aws:ec2/flowLog:FlowLog", "aws_flow_log"),
    ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "aws_default_security_group"),
])
def test_type_tokens_map_exactly(token, expected):
    assert tfplan.terraform_type(token) == expected, token


def test_unmapped_aws_type_is_listed_not_dropped_silently():
    odd = _resource("aws:gamelift/fleet:Fleet", "fleet")
    result = tfplan.convert([odd, _resource("aws:ec2/vpc:Vpc", "vpc")])
    assert result.unmapped == ["aws:gamelift/fleet:Fleet"]
    assert result.unmapped_resources == [odd.urn]
    assert list(result.addresses) == ["aws_vpc.vpc"]
    assert "NOT exported" in tfplan.summary(result) and "aws:gamelift/fleet:Fleet" in tfplan.summary(result)


def test_components_providers_and_other_packages_are_skipped_and_reported():
    resources = [
        _resource("pulumi:pulumi:Stack", "fargate-platform-test", custom=False),
        _resource("fargate-platform:index:Network", "net", custom=False),
        _resource("awsx:ecr:Image", "image", custom=False),
        _resource("pulumi:providers:aws", "east"),
        _resource("random:index/randomId:RandomId", "suffix"),
        _resource("aws:ec2/vpc:Vpc", "vpc"),
    ]
    result = tfplan.convert(resources)
    reasons = {s.type: s.reason for s in result.skipped}
    assert reasons == {
        "pulumi:pulumi:Stack": "component", "fargate-platform:index:Network": "component",
        "awsx:ecr:Image": "component", "pulumi:providers:aws": "provider",
        "random:index/randomId:RandomId": "not an aws resource",
    }
    assert result.unmapped == []
    assert list(result.addresses) == ["aws_vpc.vpc"]


# ---------------------------------------------------------------------------
# Attributes.
# ---------------------------------------------------------------------------
def test_camel_case_becomes_snake_case():
    values = _values(_resource("aws:cloudwatch/logGroup:LogGroup", "logs",
                               {"retentionInDays": 365.0, "kmsKeyId": "arn:key", "name": "x"}))
    assert values == {"retention_in_days": 365, "kms_key_id": "arn:key", "name": "x"}
    assert isinstance(values["retention_in_days"], int)
    assert tfplan.snake_case("cidrIpv4") == "cidr_ipv4"
    assert tfplan.snake_case("cloudWatchEncryptionEnabled") == "cloud_watch_encryption_enabled"


def test_nested_object_becomes_one_element_block_list():
    values = _values(_resource("aws:ecs/service:Service", "svc", {
        "networkConfiguration": {"assignPublicIp": False, "subnets": ["subnet-1"]},
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    }))
    assert values["network_configuration"] == [{"assign_public_ip": False, "subnets": ["subnet-1"]}]
    assert values["deployment_circuit_breaker"] == [{"enable": True, "rollback": True}]


@pytest.mark.parametrize(("token", "inputs", "expected"), [
    ("aws:ecs/cluster:Cluster", {"settings": [{"name": "containerInsights", "value": "enhanced"}]},
     {"setting": [{"name": "containerInsights", "value": "enhanced"}]}),
    ("aws:lb/listener:Listener", {"defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS"}}]},
     {"default_action": [{"type": "redirect", "redirect": [{"protocol": "HTTPS"}]}]}),
    ("aws:ecs/service:Service", {"loadBalancers": [{"containerName": "web", "containerPort": 8080.0}]},
     {"load_balancer": [{"container_name": "web", "container_port": 8080}]}),
    ("aws:ecs/service:Service", {"capacityProviderStrategies": [{"capacityProvider": "FARGATE", "weight": 1.0}]},
     {"capacity_provider_strategy": [{"capacity_provider": "FARGATE", "weight": 1}]}),
    ("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",
     {"defaultCapacityProviderStrategies": [{"capacityProvider": "FARGATE", "base": 2.0}]},
     {"default_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "base": 2}]}),
    ("aws:ec2/securityGroup:SecurityGroup",
     {"ingress": [{"fromPort": 443.0, "toPort": 443.0, "protocol": "tcp", "cidrBlocks": ["0.0.0.0/0"]}],
      "egress": [{"fromPort": 0.0, "toPort": 0.0, "protocol": "-1"}]},
     {"ingress": [{"from_port": 443, "to_port": 443, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}],
      "egress": [{"from_port": 0, "to_port": 0, "protocol": "-1"}]}),
    ("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
     {"rules": [{"id": "expire", "status": "Enabled", "expiration": {"days": 90.0}}]},
     {"rule": [{"id": "expire", "status": "Enabled", "expiration": [{"days": 90}]}]}),
    ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
     {"rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]},
     {"rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "AES256"}]}]}),
    ("aws:ec2/routeTable:RouteTable", {"routes": [{"cidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"}]},
     {"route": [{"cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"}]}),
    ("aws:lb/listenerRule:ListenerRule",
     {"conditions": [{"pathPattern": {"values": ["/*"]}}], "actions": [{"type": "forward"}]},
     {"condition": [{"path_pattern": [{"values": ["/*"]}]}], "action": [{"type": "forward"}]}),
    ("aws:wafv2/webAcl:WebAcl",
     {"rules": [{"name": "bad-inputs", "overrideAction": {"none": {}}, "statement": {"andStatement": {
         "statements": [{"managedRuleGroupStatement": {"name": "AWSManagedRulesKnownBadInputsRuleSet"}}]}}}]},
     {"rule": [{"name": "bad-inputs", "override_action": [{"none": [{}]}], "statement": [{"and_statement": [{
         "statement": [{"managed_rule_group_statement": [{"name": "AWSManagedRulesKnownBadInputsRuleSet"}]}]}]}]}]}),
    ("aws:ecs/taskDefinition:TaskDefinition", {"volumes": [{"name": "tmp"}]}, {"volume": [{"name": "tmp"}]}),
])
def test_plural_blocks_are_singularised(token, inputs, expected):
    assert _values(_resource(token, "r", inputs)) == expected


def test_release_blocks_map_to_terraforms_names():
    values = _values(_resource("aws:ecs/service:Service", "svc", {
        "deploymentConfiguration": {
            "strategy": "CANARY", "bakeTimeInMinutes": "10",
            "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": "5"},
            "lifecycleHooks": [{"lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "targetType": "PAUSE",
                                "timeoutConfiguration": {"timeoutInMinutes": "60", "action": "ROLLBACK"}}],
        },
        "loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "web", "containerPort": 8080.0,
                           "advancedConfiguration": {"alternateTargetGroupArn": "arn:tg-alt", "roleArn": "arn:role",
                                                     "productionListenerRule": "arn:rule",
                                                     "testListenerRule": "arn:test-rule"}}],
        "availabilityZoneRebalancing": "ENABLED",
    }))
    assert values["deployment_configuration"] == [{
        "strategy": "CANARY", "bake_time_in_minutes": "10",
        "canary_configuration": [{"canary_percent": 10, "canary_bake_time_in_minutes": "5"}],
        "lifecycle_hook": [{"lifecycle_stages": ["POST_TEST_TRAFFIC_SHIFT"], "target_type": "PAUSE",
                            "timeout_configuration": [{"timeout_in_minutes": "60", "action": "ROLLBACK"}]}],
    }]
    assert values["load_balancer"][0]["advanced_configuration"] == [{
        "alternate_target_group_arn": "arn:tg-alt", "role_arn": "arn:role", "production_listener_rule": "arn:rule",
        "test_listener_rule": "arn:test-rule"}]
    assert values["availability_zone_rebalancing"] == "ENABLED"
    rule = _values(_resource("aws:lb/listenerRule:ListenerRule", "rule", {"actions": [{"type": "forward", "forward": {
        "targetGroups": [{"arn": "arn:tg", "weight": 100.0}, {"arn": "arn:tg-alt", "weight": 0.0}]}}]}))
    assert rule["action"] == [{"type": "forward", "forward": [{"target_group": [
        {"arn": "arn:tg", "weight": 100}, {"arn": "arn:tg-alt", "weight": 0}]}]}]


def test_per_type_overrides_rename_attributes_the_bridge_renamed():
    alarm = _values(_resource("aws:cloudwatch/metricAlarm:MetricAlarm", "alarm", {
        "name": "cpu-high", "alarmActions": ["arn:topic"], "dimensions": {"ClusterName": "c", "ServiceName": "s"},
        "metricQueries": [{"id": "m1", "metric": {"metricName": "CPU", "dimensions": {"ServiceName": "s"}}}]}))
    assert alarm == {"alarm_name": "cpu-high", "alarm_actions": ["arn:topic"],
                     "dimensions": {"ClusterName": "c", "ServiceName": "s"},
                     "metric_query": [{"id": "m1", "metric": [{"metric_name": "CPU",
                                                               "dimensions": {"ServiceName": "s"}}]}]}
    subscription = _values(_resource("aws:sns/topicSubscription:TopicSubscription", "sub",
                                     {"topic": "arn:topic", "protocol": "email", "endpoint": "a@example.com"}))
    assert subscription == {"topic_arn": "arn:topic", "protocol": "email", "endpoint": "a@example.com"}
    assert tfplan.terraform_attribute("aws_ecs_service", "serviceConnectConfiguration.services") == "service"


def test_maps_keep_their_keys_and_json_strings_stay_strings():
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    definitions = json.dumps([{"name": "web", "readonlyRootFilesystem": True}])
    values = _values(_resource("aws:ecs/taskDefinition:TaskDefinition", "task", {
        "containerDefinitions": definitions, "tags": {"CostCenter": "eng", "ManagedBy": "pulumi"}}))
    assert values == {"container_definitions": definitions, "tags": {"CostCenter": "eng", "ManagedBy": "pulumi"}}
    assert _values(_resource("aws:iam/rolePolicy:RolePolicy", "p", {"policy": policy})) == {"policy": policy}


def test_unknowns_and_secrets():
    plan = tfplan.to_terraform_plan([_resource("aws:ssm/parameter:Parameter", "p", {
        "name": "/app/key", "value": SecretValue("hunter2"), "arn": UNKNOWN, "tags": {"A": UNKNOWN}})])
    [entry] = plan["planned_values"]["root_module"]["resources"]
    [change] = plan["resource_changes"]
    assert entry["values"] == {"name": "/app/key", "value": "[secret]", "tags": {}}
    assert "hunter2" not in json.dumps(plan)
    assert change["change"]["after_unknown"] == {"arn": True, "tags": {"A": True}}
    assert change["change"]["after_sensitive"] == {"value": True} == entry["sensitive_values"]


def test_inputs_from_other_resources_become_references():
    vpc = _resource("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"}, id_="vpc-1")
    sg = _resource("aws:ec2/securityGroup:SecurityGroup", "sg", {"vpcId": "vpc-1"}, id_="sg-1",
                   property_dependencies={"vpcId": (vpc.urn,)})
    service = _resource("aws:ecs/service:Service", "svc", {
        "networkConfiguration": {"assignPublicIp": False, "securityGroups": ["sg-1"]}},
        property_dependencies={"networkConfiguration": (sg.urn,)})
    plan = tfplan.to_terraform_plan([vpc, sg, service])
    planned = {r["address"]: r for r in plan["planned_values"]["root_module"]["resources"]}
    config = {r["address"]: r for r in plan["configuration"]["root_module"]["resources"]}
    changes = {r["address"]: r["change"] for r in plan["resource_changes"]}
    assert planned["aws_security_group.sg"]["values"] == {}
    assert config["aws_security_group.sg"]["expressions"] == {"vpc_id": {"references": ["aws_vpc.vpc.id",
                                                                                       "aws_vpc.vpc"]}}
    assert changes["aws_security_group.sg"]["after_unknown"] == {"vpc_id": True}
    assert planned["aws_ecs_service.svc"]["values"] == {"network_configuration": [{"assign_public_ip": False}]}
    assert config["aws_ecs_service.svc"]["expressions"] == {"network_configuration": [
        {"security_groups": {"references": ["aws_security_group.sg.id", "aws_security_group.sg"]}}]}


# ---------------------------------------------------------------------------
# The document.
# ---------------------------------------------------------------------------
def test_output_is_structurally_valid(program, tmp_path):
    result = tfplan.write_terraform_plan(program.resources, tmp_path / "plan.json")
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert plan == result.plan
    assert tfplan.validate_plan(plan) == [], program.stack
    assert plan["format_version"] == "1.2" and plan["terraform_version"]
    resources = plan["planned_values"]["root_module"]["resources"]
    addresses = [r["address"] for r in resources]
    assert len(addresses) == len(set(addresses)), f"{program.stack}: duplicate addresses"
    for entry in resources:
        urn = result.addresses[entry["address"]]
        assert entry["mode"] == "managed", urn
        assert entry["provider_name"] == "registry.terraform.io/hashicorp/aws", urn
        assert entry["schema_version"] == 0, urn
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", entry["name"]), urn
    for change in plan["resource_changes"]:
        assert change["change"]["actions"] == ["create"], result.addresses[change["address"]]
        assert change["change"]["before"] is None
    by_address = {r["address"]: r["values"] for r in resources}
    assert all(by_address[c["address"]] == c["change"]["after"] for c in plan["resource_changes"])


def test_addresses_are_unique_when_names_collide():
    resources = [_resource("aws:ec2/vpc:Vpc", "main", urn="urn:a"), _resource("aws:ec2/vpc:Vpc", "main", urn="urn:b"),
                 _resource("aws:ec2/vpc:Vpc", "9 lives", urn="urn:c")]
    result = tfplan.convert(resources)
    assert list(result.addresses) == ["aws_vpc.main", "aws_vpc.main_2", "aws_vpc._9_lives"]
    assert tfplan.validate_plan(result.plan) == []


def test_validate_plan_names_problems():
    plan = tfplan.to_terraform_plan([_resource("aws:ec2/vpc:Vpc", "vpc")])
    resources = plan["planned_values"]["root_module"]["resources"]
    resources.append(dict(resources[0]))
    del resources[0]["mode"]
    problems = tfplan.validate_plan(plan)
    assert "aws_vpc.vpc: missing mode" in problems
    assert "aws_vpc.vpc: duplicate address" in problems


def test_capacity_and_volume_blocks_take_terraform_names():
    provider = _values(_resource("aws:ecs/capacityProvider:CapacityProvider", "gpu", {"managedInstancesProvider": {
        "infrastructureRoleArn": "arn:role", "instanceLaunchTemplate": {
            "ec2InstanceProfileArn": "arn:profile", "storageConfiguration": {"storageSizeGib": 100},
            "instanceRequirements": {"vcpuCount": {"min": 4}, "acceleratorCount": {"max": 1}}}}}))
    template = provider["managed_instances_provider"][0]["instance_launch_template"][0]
    assert template["ec2_instance_profile_arn"] == "arn:profile"
    assert template["storage_configuration"] == [{"storage_size_gib": 100}]
    assert template["instance_requirements"][0]["vcpu_count"] == [{"min": 4}]
    service = _values(_resource("aws:ecs/service:Service", "infer", {"volumeConfiguration": {
        "name": "models", "managedEbsVolume": {"encrypted": True, "sizeInGb": 100,
                                               "tagSpecifications": [{"resourceType": "volume"}]}}}))
    managed = service["volume_configuration"][0]["managed_ebs_volume"][0]
    assert managed["encrypted"] is True and managed["size_in_gb"] == 100
    assert managed["tag_specifications"] == [{"resource_type": "volume"}]
    cluster = _values(_resource("aws:ecs/cluster:Cluster", "c", {"configuration": {
        "managedStorageConfiguration": {"fargateEphemeralStorageKmsKeyId": "arn:key"}}}))
    assert cluster["configuration"][0]["managed_storage_configuration"] == [
        {"fargate_ephemeral_storage_kms_key_id": "arn:key"}]
