"""PlatformMocks: realistic outputs per type, data sources, and a loud failure for unknown invokes."""

from __future__ import annotations

import json
import re

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from stacks.offline.invokes import INVOKES
from stacks.offline.mocks import ACCOUNT_ID, RESOURCE_TYPES, PlatformMocks, UnknownInvokeError

HEX17 = "[0-9a-f]{17}"


def new(type_token: str, logical_name: str, custom: bool = True, region: str = "us-east-1", **inputs):
    return PlatformMocks(region=region).new_resource(MockResourceArgs(type_token, logical_name, inputs, custom=custom))


def call(token: str, region: str = "us-east-1", **args):
    result, failures = PlatformMocks(region=region).call(MockCallArgs(token, args, ""))
    assert not failures, token
    return result


@pytest.mark.parametrize(("type_token", "id_pattern", "arn_pattern"), [
    ("aws:ec2/vpc:Vpc", f"vpc-{HEX17}", rf"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:vpc/vpc-{HEX17}"),
    ("aws:ec2/subnet:Subnet", f"subnet-{HEX17}", rf"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:subnet/subnet-{HEX17}"),
    ("aws:ec2/securityGroup:SecurityGroup", f"sg-{HEX17}",
     rf"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:security-group/sg-{HEX17}"),
    ("aws:ec2/internetGateway:InternetGateway", f"igw-{HEX17}",
     rf"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:internet-gateway/igw-{HEX17}"),
    ("aws:ec2/natGateway:NatGateway", f"nat-{HEX17}", None),
    ("aws:ec2/routeTable:RouteTable", f"rtb-{HEX17}", rf"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:route-table/rtb-{HEX17}"),
    ("aws:ec2/eip:Eip", f"eipalloc-{HEX17}", rf"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:elastic-ip/eipalloc-{HEX17}"),
    ("aws:kms/key:Key", "[0-9a-f-]{36}", rf"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/[0-9a-f-]{{36}}"),
    ("aws:ecs/cluster:Cluster", rf"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:cluster/c-[0-9a-f]{{7}}",
     rf"arn:aws:ecs:eu-west-1:{ACCOUNT_ID}:cluster/c-[0-9a-f]{{7}}"),
])
def test_ids_and_arns_have_aws_formats(type_token, id_pattern, arn_pattern):
    resource_id, outputs = new(type_token, "c", region="eu-west-1")
    assert re.fullmatch(id_pattern, resource_id), f"{type_token}: id {resource_id}"
    if arn_pattern:
        assert re.fullmatch(arn_pattern, outputs["arn"]), f"{type_token}: arn {outputs['arn']}"


def test_inputs_are_echoed_and_given_names_kept():
    resource_id, outputs = new("aws:cloudwatch/logGroup:LogGroup", "logs", name="/ecs/app", retentionInDays=30)
    assert resource_id == "/ecs/app"
    assert outputs["name"] == "/ecs/app"
    assert outputs["retentionInDays"] == 30
    assert outputs["arn"] == f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/ecs/app"


@settings(max_examples=50, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True))
def test_auto_names_are_the_resource_name_and_seven_hex(name):
    first = new("aws:iam/role:Role", name)
    again = new("aws:iam/role:Role", name)
    assert re.fullmatch(re.escape(name) + "-[0-9a-f]{7}", first[1]["name"]), name
    assert first == again, f"{name}: outputs are deterministic"
    assert first[1]["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/{first[1]['name']}"


def test_name_prefix_is_honoured():
    _, outputs = new("aws:ec2/securityGroup:SecurityGroup", "sg", namePrefix="web-")
    assert re.fullmatch("web-[0-9a-f]{7}", outputs["name"])


@pytest.mark.parametrize("type_token", ["aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer"])
def test_load_balancers_get_dns_names_and_arn_suffixes(type_token):
    resource_id, outputs = new(type_token, "alb", name="web")
    assert resource_id == outputs["arn"]
    assert re.fullmatch(rf"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT_ID}:loadbalancer/app/web/[0-9a-f]{{16}}",
                        outputs["arn"]), outputs["arn"]
    assert re.fullmatch(r"web-\d{10}\.us-east-1\.elb\.amazonaws\.com", outputs["dnsName"]), outputs["dnsName"]
    assert outputs["arnSuffix"] == outputs["arn"].split(":loadbalancer/")[1]
    assert outputs["zoneId"].startswith("Z")


def test_listener_arn_extends_its_load_balancer_arn():
    _, lb = new("aws:lb/loadBalancer:LoadBalancer", "alb", name="web")
    _, listener = new("aws:lb/listener:Listener", "http", loadBalancerArn=lb["arn"], port=80)
    assert listener["arn"].startswith(lb["arn"].replace(":loadbalancer/", ":listener/") + "/"), listener["arn"]


def test_ecr_repositories_get_urls_and_images_are_pinned_by_digest():
    _, repo = new("aws:ecr/repository:Repository", "Images")
    assert re.fullmatch(rf"{ACCOUNT_ID}\.dkr\.ecr\.us-east-1\.amazonaws\.com/images-[0-9a-f]{{7}}",
                        repo["repositoryUrl"]), repo["repositoryUrl"]
    assert repo["registryId"] == ACCOUNT_ID
    image_id, image = new("awsx:ecr:Image", "app", custom=False, repositoryUrl=repo["repositoryUrl"] + ":v1",
                          context="./app")
    assert image_id == ""
    assert re.fullmatch(re.escape(repo["repositoryUrl"]) + "@sha256:[0-9a-f]{64}", image["imageUri"]), image["imageUri"]


def test_task_definitions_use_the_family_and_a_revision():
    resource_id, outputs = new("aws:ecs/taskDefinition:TaskDefinition", "task", family="web")
    assert resource_id == "web"
    assert outputs["arn"] == f"arn:aws:ecs:us-east-1:{ACCOUNT_ID}:task-definition/web:1"
    assert outputs["revision"] == 1


def test_unlisted_types_still_get_an_id_and_arn():
    resource_id, outputs = new("aws:backup/vault:Vault", "vault")
    assert resource_id.startswith("vault-")
    assert outputs["arn"].startswith(f"arn:aws:backup:us-east-1:{ACCOUNT_ID}:vault/")
    component_id, component = new("fargate-platform:index:Network", "net", custom=False, cidr="10.0.0.0/16")
    assert component_id == "" and component == {"cidr": "10.0.0.0/16"}


def test_every_listed_type_answers():
    for type_token in RESOURCE_TYPES:
        custom = not type_token.startswith("awsx:")
        resource_id, outputs = new(type_token, "r", custom=custom)
        assert isinstance(resource_id, str) and isinstance(outputs, dict), type_token


def test_availability_zones_follow_the_region():
    result = call("aws:index/getAvailabilityZones:getAvailabilityZones", region="eu-west-1", state="available")
    assert result["names"] == ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
    assert len(result["zoneIds"]) == 3
    assert call("aws:index/getAvailabilityZones:getAvailabilityZones", excludeNames=["us-east-1a"])["names"][0] == \
        "us-east-1b"


def test_identity_region_and_partition():
    assert call("aws:index/getCallerIdentity:getCallerIdentity")["accountId"] == ACCOUNT_ID
    assert call("aws:index/getRegion:getRegion", region="eu-west-1")["region"] == "eu-west-1"
    assert call("aws:index/getRegion:getRegion")["name"] == "us-east-1"
    assert call("aws:index/getPartition:getPartition")["partition"] == "aws"


def test_policy_documents_render_like_the_provider():
    result = call("aws:iam/getPolicyDocument:getPolicyDocument", statements=[{
        "sid": "Logs", "actions": ["logs:PutLogEvents", "logs:CreateLogStream"], "resources": ["*"],
        "principals": [{"type": "Service", "identifiers": ["ecs-tasks.amazonaws.com"]}],
        "conditions": [{"test": "StringEquals", "variable": "aws:SourceAccount", "values": [ACCOUNT_ID]}],
    }])
    document = json.loads(result["json"])
    statement = document["Statement"][0]
    assert document["Version"] == "2012-10-17"
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    assert statement["Resource"] == "*"
    assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
    assert statement["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    assert json.loads(result["minifiedJson"]) == document


def test_unknown_invoke_raises_naming_the_token():
    with pytest.raises(UnknownInvokeError, match=re.escape("aws:ec2/getVpc:getVpc")):
        PlatformMocks().call(MockCallArgs("aws:ec2/getVpc:getVpc", {"default": True}, ""))
    assert "aws:ec2/getVpc:getVpc" not in INVOKES


# Through the runtime, as the lead's unit tests use it (the conftest's pulumi_mocks fixture).
@pulumi.runtime.test
def test_outputs_through_the_runtime(pulumi_mocks):
    vpc = aws.ec2.Vpc("net", cidr_block="10.0.0.0/16")
    repo = aws.ecr.Repository("repo", name="web")

    def check(values):
        vpc_id, vpc_arn, url, zones = values
        assert re.fullmatch(f"vpc-{HEX17}", vpc_id), vpc_id
        assert vpc_arn.endswith(f":vpc/{vpc_id}"), vpc_arn
        assert url == f"{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com/web", url
        assert zones[:2] == ["us-east-1a", "us-east-1b"], zones

    zones = aws.get_availability_zones_output(state="available").names
    return pulumi.Output.all(vpc.id, vpc.arn, repo.repository_url, zones).apply(check)


def test_unknown_invoke_through_the_runtime_fails(pulumi_mocks):
    with pytest.raises(Exception, match=re.escape("aws:ec2/getVpc:getVpc")):
        aws.ec2.get_vpc(default=True)
