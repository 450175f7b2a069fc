"""PlatformMocks: realistic outputs per type and from the SDKs, every data source, hooks, and a loud failure for
functions no installed SDK has."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs

from stacks.cli import main
from stacks.offline.mock_hooks import DEFAULT_FILE, HookError, load_hooks
from stacks.offline.mocks import ACCOUNT_ID, RESOURCE_TYPES, PlatformMocks, UnknownInvokeError
from stacks.offline.placeholders import resource_class
from stacks.offline.runner import ConfigError, ProgramError, run_program

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TINY = FIXTURES / "tiny_pack"

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


def test_every_listed_type_answers_and_exists_in_the_installed_sdk():
    for type_token in RESOURCE_TYPES:
        custom = not type_token.startswith("awsx:")
        resource_id, outputs = new(type_token, "r", custom=custom)
        assert isinstance(resource_id, str) and isinstance(outputs, dict), type_token
        # A token typed by hand silently stops matching after a provider renames it.
        assert type_token.startswith("pulumi:providers:") or resource_class(type_token) is not None, type_token


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


def test_a_function_no_installed_sdk_has_raises_naming_it():
    with pytest.raises(UnknownInvokeError, match=re.escape("'acme:index/getWidget:getWidget'")):
        PlatformMocks().call(MockCallArgs("acme:index/getWidget:getWidget", {}, ""))


# ---------------------------------------------------------------------------
# Outputs the provider computes, read from the SDK's classes.
# ---------------------------------------------------------------------------
def test_an_unlisted_type_gets_every_output_the_provider_computes():
    assert "aws:ec2/instance:Instance" not in RESOURCE_TYPES
    _, outputs = new("aws:ec2/instance:Instance", "web", ami="ami-0123456789abcdef0", instanceType="t3.micro")
    assert re.fullmatch(r"203\.0\.113\.\d+", outputs["publicIp"]), outputs["publicIp"]
    assert re.fullmatch(r"10\.\d+\.\d+\.\d+", outputs["privateIp"]), outputs["privateIp"]
    assert outputs["publicDns"].endswith(".us-east-1.ec2.amazonaws.com"), outputs["publicDns"]
    assert re.fullmatch(f"eni-{HEX17}", outputs["primaryNetworkInterfaceId"]), outputs["primaryNetworkInterfaceId"]
    assert re.fullmatch(f"subnet-{HEX17}", outputs["subnetId"]), "an optional input the provider always fills in"
    assert outputs["ami"] == "ami-0123456789abcdef0", "inputs are kept"


def test_optional_inputs_left_unset_stay_unset():
    _, log_group = new("aws:cloudwatch/logGroup:LogGroup", "logs")
    assert "kmsKeyId" not in log_group and "retentionInDays" not in log_group, sorted(log_group)
    _, task = new("aws:ecs/taskDefinition:TaskDefinition", "task", family="web", containerDefinitions="[]")
    assert "cpu" not in task and "volumes" not in task, sorted(task)
    assert task["revision"] == 1 and task["region"] == "us-east-1", "computed ones are filled in"


@pytest.mark.parametrize(("engine", "port"), [("postgres", 5432), ("mysql", 3306), ("aurora-postgresql", 5432)])
def test_database_address_endpoint_and_port_agree(engine, port):
    resource_id, db = new("aws:rds/instance:Instance", "Orders", region="eu-west-1", engine=engine,
                          instanceClass="db.t4g.micro")
    assert re.fullmatch(r"orders-[0-9a-f]{7}\.c[0-9a-f]{12}\.eu-west-1\.rds\.amazonaws\.com", db["address"]), db
    assert db["port"] == port
    assert db["endpoint"] == f"{db['address']}:{port}"
    assert db["arn"] == f"arn:aws:rds:eu-west-1:{ACCOUNT_ID}:db:{db['identifier']}"
    assert resource_id == db["resourceId"] and resource_id.startswith("db-")
    _, given_port = new("aws:rds/instance:Instance", "orders", engine=engine, port=6000)
    assert given_port["endpoint"].endswith(":6000") and given_port["port"] == 6000


def test_image_builds_report_a_digest_pinned_reference():
    _, built = new("docker-build:index:Image", "app", tags=["123456789012.dkr.ecr.us-east-1.amazonaws.com/app:v1"],
                   push=True)
    assert built["ref"] == "123456789012.dkr.ecr.us-east-1.amazonaws.com/app@" + built["digest"], built
    _, pushed = new("docker:index/image:Image", "app", imageName="registry.example.com/team/app:latest")
    assert re.fullmatch(r"registry\.example\.com/team/app@sha256:[0-9a-f]{64}", pushed["repoDigest"]), pushed


def test_remote_components_get_their_scalar_outputs():
    _, alb = new("awsx:lb:ApplicationLoadBalancer", "lb", custom=False)
    assert re.fullmatch(f"vpc-{HEX17}", alb["vpcId"]), alb
    assert "loadBalancer" not in alb, "a child resource cannot be made up: it stays unknown"


# ---------------------------------------------------------------------------
# Every provider function answers.
# ---------------------------------------------------------------------------
def test_every_ec2_data_source_answers_with_the_types_it_declares(pulumi_mocks):
    # Each SDK result class checks its fields' types as it is built: a wrong one raises TypeError.
    aws.ec2.Vpc  # noqa: B018 - loads the module, so its functions are listed
    functions = [getattr(aws.ec2, name) for name in dir(aws.ec2) if name.startswith("get_")
                 and not name.endswith("_output")]
    assert len(functions) > 50
    for function in functions:
        result = function()
        assert result is not None, function.__name__


def test_data_sources_answer_in_aws_formats(pulumi_mocks):
    vpc = aws.ec2.get_vpc(default=True)
    assert re.fullmatch(f"vpc-{HEX17}", vpc.id) and vpc.default is True, vpc
    assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+/\d+", vpc.cidr_block), vpc.cidr_block
    subnets = aws.ec2.get_subnets(filters=[{"name": "vpc-id", "values": [vpc.id]}])
    assert len(subnets.ids) == 2 and all(re.fullmatch(f"subnet-{HEX17}", i) for i in subnets.ids), subnets.ids
    assert subnets.filters[0].values == [vpc.id], "arguments are echoed where the result names them"
    # An argument the program passes as a string where the provider takes a bool comes back as the bool.
    ami = aws.ec2.get_ami(most_recent="true", owners=["amazon"])
    assert re.fullmatch(f"ami-{HEX17}", ami.id) and ami.most_recent is True, ami
    group = aws.ec2.get_security_group(name="default")
    assert re.fullmatch(f"sg-{HEX17}", group.id) and re.fullmatch(f"vpc-{HEX17}", group.vpc_id), group


@pytest.mark.parametrize("function", [aws.ecr.get_authorization_token, aws.ecr.get_credentials])
def test_an_ecr_token_decodes_to_its_user_and_password(pulumi_mocks, function):
    token = function(registry_id=ACCOUNT_ID)
    user, password = base64.b64decode(token.authorization_token).decode().split(":")
    assert user == "AWS" and password and token.proxy_endpoint == \
        f"https://{ACCOUNT_ID}.dkr.ecr.us-east-1.amazonaws.com", token
    if hasattr(token, "user_name"):
        assert (token.user_name, token.password) == (user, password)


def test_answers_from_other_provider_sdks():
    result = call("docker:index/getRegistryImage:getRegistryImage", name="nginx:1.27")
    assert result["name"] == "nginx:1.27" and re.fullmatch(r"sha256:[0-9a-f]{64}", result["sha256Digest"]), result


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


def test_a_function_no_installed_sdk_has_fails_through_the_runtime(pulumi_mocks):
    with pytest.raises(Exception, match=re.escape("acme:index/getWidget:getWidget")):
        pulumi.runtime.invoke("acme:index/getWidget:getWidget", {})


# ---------------------------------------------------------------------------
# A project's hooks file.
# ---------------------------------------------------------------------------
HOOKS = """
def invoke(token, args):
    if token == "aws:ec2/getVpc:getVpc":
        return {"id": "vpc-0a1b2c3d4e5f60718", "cidrBlock": "172.31.0.0/16"}
    if token == "acme:index/getWidget:getWidget":
        return {"size": 3}
    return None

def resource(type, name, inputs):
    if type == "aws:rds/instance:Instance":
        return {"id": "db-FROMTHEHOOK", "address": "orders." + inputs["engine"] + ".internal"}
    return None
"""

PROGRAM = """
import pulumi, pulumi_aws as aws
vpc = aws.ec2.get_vpc(default=True)
db = aws.rds.Instance("orders", engine="postgres", instance_class="db.t4g.micro")
pulumi.export("vpc", [vpc.id, vpc.cidr_block, vpc.owner_id])
pulumi.export("db", [db.id, db.address, db.port])
pulumi.export("widget", pulumi.runtime.invoke("acme:index/getWidget:getWidget", {}).value)
"""


def project(tmp_path: Path, hooks: str | None = HOOKS, *, file_name: str = DEFAULT_FILE,
            program: str = PROGRAM) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: hooked\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    (tmp_path / "__main__.py").write_text(program)
    if hooks is not None:
        (tmp_path / file_name).write_text(hooks)
    return tmp_path


def test_the_projects_hooks_file_adds_and_overrides_answers(tmp_path):
    run = run_program(project(tmp_path), "dev")
    assert run.outputs["vpc"] == ["vpc-0a1b2c3d4e5f60718", "172.31.0.0/16", ACCOUNT_ID], "the rest is generated"
    assert run.outputs["db"] == ["db-FROMTHEHOOK", "orders.postgres.internal", 5432]
    assert run.outputs["widget"] == {"size": 3}, "a function no SDK has, answered by the hook"
    assert run.named("orders").id == "db-FROMTHEHOOK"


def test_mocks_file_given_on_the_command_line_replaces_the_projects(tmp_path):
    project(tmp_path, 'def resource(type, name, inputs):\n    return {"address": "from-the-project"}\n')
    other = tmp_path / "ci_mocks.py"
    other.write_text('def resource(type, name, inputs):\n    return {"address": "from-the-option"}\n'
                     'def invoke(token, args):\n    return {"size": 1} if token.startswith("acme:") else None\n')
    run = run_program(tmp_path, "dev", mocks_file=other)
    assert run.outputs["db"][1] == "from-the-option"


@pytest.mark.parametrize(("hooks", "message"), [
    ("def invoke(token, args:\n", "line 1: "),
    ("raise RuntimeError('no credentials here')\n", "loading it raised RuntimeError: no credentials here"),
    ("VALUE = 1\n", "defines neither invoke(token, args) nor resource(type, name, inputs)"),
    ("invoke = 3\n", "'invoke' must be a function"),
])
def test_a_broken_hooks_file_is_one_line_naming_it(tmp_path, hooks, message):
    path = project(tmp_path, hooks) / DEFAULT_FILE
    with pytest.raises(ConfigError) as caught:
        run_program(tmp_path, "dev")
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value), caught.value
    assert "\n" not in str(caught.value)
    with pytest.raises(HookError, match="mocks file not found"):
        load_hooks(tmp_path / "missing.py")


@pytest.mark.parametrize(("hooks", "message"), [
    ("def resource(type, name, inputs):\n    return inputs['nope']\n",
     "resource('aws:rds/instance:Instance', 'orders') raised KeyError: 'nope'"),
    ("def invoke(token, args):\n    return ['not', 'a', 'dict']\n",
     "invoke('aws:ec2/getVpc:getVpc') must return a dict or None, not list"),
])
def test_a_failing_hook_is_one_line_naming_the_file(tmp_path, hooks, message):
    path = project(tmp_path, hooks) / DEFAULT_FILE
    with pytest.raises(ProgramError) as caught:
        run_program(tmp_path, "dev")
    assert str(caught.value).startswith(f"{path}: {message}"), caught.value


def test_plan_with_a_bad_mocks_file_exits_2_naming_it(tmp_path):
    bad = tmp_path / "broken_mocks.py"
    bad.write_text("def resource(type, name, inputs)\n")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["plan", "good", "--project-dir", str(FIXTURES / "badconfig_project"), "--policy-pack", str(TINY),
                     "--mocks", str(bad)])
    assert code == 2
    assert err.getvalue().startswith(f"error: {bad}: line 1: ") and err.getvalue().count("\n") == 1, err.getvalue()
