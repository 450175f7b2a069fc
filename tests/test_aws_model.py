"""Every ECS and ELB request the program stands for is valid per AWS's own API model (botocore).

The dev, prod and gpu recordings convert (tests/aws_requests) and validate (tests/aws_model) with no errors; every
input the installed pulumi-aws declares for a converted type maps to a member AWS knows; and one-change
variants of the recorded prod resources show the checks can fail.
"""

from __future__ import annotations

import collections.abc
import copy
import dataclasses
import json
import typing
from typing import Any

import pulumi_aws as aws
import pytest

from stacks.offline.runner import UNKNOWN, RecordedResource
from tests.aws_model import validate
from tests.aws_requests import CONVERTERS, requests_for
from tests.aws_requests.ecs import UPDATE_SERVICE_OMITS, update_service
from tests.aws_requests.mapping import UnmappedInput
from tests.stack_programs import program

CONVERTED_FAMILIES = ("aws:ecs/", "aws:lb/", "aws:alb/")
"""Resource type families whose every type needs a converter."""


def _errors(resource: RecordedResource, inputs: dict[str, Any] | None = None) -> list[str]:
    """Every error in the requests ``resource`` (or ``inputs`` under its type and name) stands for."""
    if inputs is not None:
        resource = dataclasses.replace(resource, inputs=inputs)
    return [error for request in requests_for(resource)
            for error in validate(request.service, request.operation, request.params)]


def _unknown_member_errors(errors: list[str]) -> list[str]:
    """The errors that name a member the model does not have (botocore's wording)."""
    return [error for error in errors if "Unknown parameter" in error]


# ---------------------------------------------------------------------------
# The recorded stacks.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("stack", ["dev", "prod", "gpu"])
def test_every_recorded_ecs_and_elb_resource_is_a_valid_request(stack):
    checked = 0
    for resource in program(stack).resources:
        if not resource.type.startswith(CONVERTED_FAMILIES):
            continue
        assert resource.type in CONVERTERS, f"{resource.urn}: no converter for {resource.type} (tests/aws_requests)"
        assert _errors(resource) == [], resource.urn
        if resource.type == aws.ecs.Service.pulumi_type:
            update = update_service(resource.inputs, resource.name)
            assert validate(update.service, update.operation, update.params) == [], resource.urn
        checked += 1
    assert checked >= 8, f"only {checked} ECS/ELB resources in the {stack} recording"


# ---------------------------------------------------------------------------
# The installed SDK: every input of a converted type maps, to a member the model has.
# ---------------------------------------------------------------------------
def _input_hint(hint: Any, namespace: dict[str, Any]) -> Any:
    """The type inside ``pulumi.Input[Optional[...]]`` (a Union with Awaitable and Output), resolved."""
    if isinstance(hint, typing.ForwardRef):
        return namespace[hint.__forward_arg__]
    if typing.get_origin(hint) is typing.Union:
        kept = [member for member in typing.get_args(hint) if member is not type(None)
                and typing.get_origin(member) is not collections.abc.Awaitable
                and not (isinstance(member, typing.ForwardRef) and member.__forward_arg__.startswith("Output["))]
        return _input_hint(kept[0], namespace)
    return hint


def _sample(hint: Any, namespace: dict[str, Any]) -> Any:
    """A value of ``hint``'s shape as the engine would record it (numbers as floats), every member filled."""
    hint = _input_hint(hint, namespace)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is collections.abc.Sequence:
        return [_sample(args[0], namespace)]
    if origin is collections.abc.Mapping:
        return {"key": _sample(args[1], namespace)}
    samples = {str: "text", bool: True, int: 2.0, float: 2.5}
    return samples[hint] if hint in samples else _sample_args(hint)


def _sample_args(cls: type) -> dict[str, Any]:
    """Every input an SDK ``...Args`` class declares, under its engine (camelCase) name, with a sample value."""
    sample = {}
    for member in vars(cls).values():
        name = getattr(member.fget, "_pulumi_name", None) if isinstance(member, property) else None
        if name is not None:
            sample[name] = _sample(member.fget.__annotations__["return"], member.fget.__globals__)
    assert sample, f"{cls.__name__} declares no inputs: the SDK's layout changed"
    return sample


@pytest.mark.parametrize("token", sorted(t for t in CONVERTERS if not t.startswith("aws:alb/")))
def test_every_input_the_sdk_declares_maps_to_a_member_aws_knows(token):
    module, class_name = token.split(":")[1].split("/")[0], token.split(":")[2]
    inputs = _sample_args(getattr(getattr(aws, module), f"{class_name}Args"))
    resource = RecordedResource(urn=f"sample::{token}", type=token, name="sample", parent=None, inputs=inputs)
    # Sample values break enums and ranges; a member AWS does not have means a wrong mapping.
    assert _unknown_member_errors(_errors(resource)) == [], token


# ---------------------------------------------------------------------------
# One change to a valid recorded resource: the checks fail.
# ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def prod() -> dict[str, RecordedResource]:
    return {r.name: r for r in program("prod").resources if r.type in CONVERTERS}


def _changed(resource: RecordedResource, change: typing.Callable[[dict[str, Any]], None]) -> list[str]:
    inputs = copy.deepcopy(resource.inputs)
    change(inputs)
    return _errors(resource, inputs)


def _containers(change: typing.Callable[[list[dict[str, Any]]], None]) -> typing.Callable[[dict[str, Any]], None]:
    """A change to the container definitions (JSON text in the task definition's inputs)."""
    def apply(inputs: dict[str, Any]) -> None:
        containers = json.loads(inputs["containerDefinitions"])
        change(containers)
        inputs["containerDefinitions"] = json.dumps(containers)
    return apply


def test_the_baselines_are_valid(prod):
    for name in ("fp-prod-web-task", "fp-prod-web-service", "fp-prod-capacity", "fp-prod-web-tg", "fp-prod-alb",
                 "fp-prod-web-rule"):
        assert _errors(prod[name]) == [], name


def test_an_unknown_member_fails(prod):
    errors = _changed(prod["fp-prod-web-task"], _containers(lambda c: c[0].update(readOnlyRootFileSystem=True)))
    assert any("readOnlyRootFileSystem" in e for e in _unknown_member_errors(errors)), errors


@pytest.mark.parametrize(("name", "change", "member"), [
    ("fp-prod-web-service", lambda i: i.update(desiredCount="2"), "desiredCount"),
    ("fp-prod-web-service", lambda i: i.update(desiredCount=True), "desiredCount"),
    ("fp-prod-web-service", lambda i: i.update(desiredCount=UNKNOWN), "desiredCount"),
    ("fp-prod-web-service", lambda i: i.update(desiredCount=2.5), "desiredCount"),
    ("fp-prod-web-task", _containers(lambda c: c[0]["portMappings"][0].update(containerPort="8080")),
     "containerDefinitions[0].portMappings[0].containerPort"),
])
def test_a_wrong_type_fails(prod, name, change, member):
    errors = _changed(prod[name], change)
    assert any(member in e for e in errors), errors


@pytest.mark.parametrize(("name", "change", "member"), [
    ("fp-prod-web-service", lambda i: i.update(launchType="FARGATEX"), "launchType"),
    ("fp-prod-web-service", lambda i: i.update(propagateTags="service"), "propagateTags"),
    ("fp-prod-web-task", lambda i: i.update(networkMode="bridged"), "networkMode"),
    ("fp-prod-web-task", lambda i: i["runtimePlatform"].update(cpuArchitecture="AMD64"),
     "runtimePlatform.cpuArchitecture"),
    ("fp-prod-web-tg", lambda i: i.update(protocol="HTTP3"), "Protocol"),
])
def test_a_bad_enum_value_fails(prod, name, change, member):
    errors = _changed(prod[name], change)
    assert any(member in e and "must be one of" in e for e in errors), errors


@pytest.mark.parametrize(("name", "change", "member"), [
    # botocore checks minimums; the maximums are this project's own check, from the same model.
    ("fp-prod-capacity", lambda i: i["defaultCapacityProviderStrategies"][0].update(weight=1001.0),
     "defaultCapacityProviderStrategy[0].weight"),
    ("fp-prod-capacity", lambda i: i["defaultCapacityProviderStrategies"][0].update(base=-1.0),
     "defaultCapacityProviderStrategy[0].base"),
    ("fp-prod-web-tg", lambda i: i["healthCheck"].update(interval=301.0), "HealthCheckIntervalSeconds"),
    ("fp-prod-web-tg", lambda i: i["healthCheck"].update(interval=4.0), "HealthCheckIntervalSeconds"),
    ("fp-prod-web-tg", lambda i: i["healthCheck"].update(healthyThreshold=11.0), "HealthyThresholdCount"),
    ("fp-prod-web-service", lambda i: i["serviceConnectConfiguration"]["services"][0]["clientAlias"][0].update(
        port=70000.0), "serviceConnectConfiguration.services[0].clientAliases[0].port"),
    ("fp-prod-web-service", lambda i: i.update(tags={f"key{n}": "value" for n in range(51)}), "tags"),
    ("fp-prod-web-service", lambda i: i.update(tags={"k" * 129: "value"}), "tags[0].key"),
    ("fp-prod-web-rule", lambda i: i.update(priority=50001.0), "Priority"),
])
def test_a_value_out_of_range_fails(prod, name, change, member):
    errors = _changed(prod[name], change)
    assert any(member in e and ("max" in e or "min" in e) for e in errors), errors


@pytest.mark.parametrize(("name", "change", "member"), [
    ("fp-prod-web-task", lambda i: i.pop("family"), '"family"'),
    ("fp-prod-web-service", lambda i: i["networkConfiguration"].pop("subnets"), '"subnets"'),
    ("fp-prod-web-rule", lambda i: i.pop("priority"), '"Priority"'),
    ("fp-prod-web-task", _containers(lambda c: c[0]["secrets"].append({"name": "TOKEN"})), '"valueFrom"'),
])
def test_a_missing_required_member_fails(prod, name, change, member):
    errors = _changed(prod[name], change)
    assert any("Missing required parameter" in e and member in e for e in errors), errors


def test_a_value_breaking_the_model_pattern_fails(prod):
    errors = _changed(prod["fp-prod-web-tg"], lambda i: i["tags"].update({"cost#center": "x"}))
    assert any("Tags[" in e and "pattern" in e for e in errors), errors


@pytest.mark.parametrize(("change", "attribute"), [
    (lambda i: i.update(idleTimeout=5000.0), "idle_timeout.timeout_seconds"),
    (lambda i: i.update(desyncMitigationMode="lenient"), "routing.http.desync_mitigation_mode"),
    (lambda i: i.update(xffHeaderProcessingMode="keep"), "routing.http.xff_header_processing.mode"),
])
def test_a_load_balancer_attribute_outside_its_documented_values_fails(prod, change, attribute):
    errors = _changed(prod["fp-prod-alb"], change)
    assert any(attribute in e for e in errors), errors


def test_an_attribute_the_model_does_not_document_fails():
    errors = validate("elbv2", "ModifyLoadBalancerAttributes", {
        "LoadBalancerArn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1",
        "Attributes": [{"Key": "routing.http.drop_invalid_headers.enabled", "Value": "true"}],
    })
    assert any("routing.http.drop_invalid_headers.enabled" in e and "documents" in e for e in errors), errors


# ---------------------------------------------------------------------------
# The converters.
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "change", "path"), [
    ("fp-prod-web-service", lambda i: i.update(deploymentStrategy="CANARY"), ".deploymentStrategy"),
    ("fp-prod-web-service", lambda i: i["loadBalancers"][0].update(weight=1.0), ".loadBalancers[0].weight"),
    ("fp-prod-web-task", lambda i: i["runtimePlatform"].update(cpuArch="ARM64"), ".runtimePlatform.cpuArch"),
    ("fp-prod-alb", lambda i: i["accessLogs"].update(format="json"), ".accessLogs.format"),
    ("fp-prod-web-rule", lambda i: i["conditions"][0].update(hostName={"values": ["a"]}), ".conditions[0].hostName"),
])
def test_a_converter_given_an_input_it_does_not_know_raises(prod, name, change, path):
    inputs = copy.deepcopy(prod[name].inputs)
    change(inputs)
    with pytest.raises(UnmappedInput, match=path.replace("[", r"\[").replace("]", r"\]").replace(".", r"\.")):
        CONVERTERS[prod[name].type](inputs, name)


def test_an_attribute_block_of_the_wrong_shape_raises(prod):
    inputs = {**prod["fp-prod-alb"].inputs, "accessLogs": [prod["fp-prod-alb"].inputs["accessLogs"]]}
    with pytest.raises(UnmappedInput, match="accessLogs: an input block was expected"):
        CONVERTERS[prod["fp-prod-alb"].type](inputs, "fp-prod-alb")


def test_a_type_without_a_converter_is_refused():
    resource = RecordedResource(urn="urn:x", type="aws:ecs/taskSet:TaskSet", name="x", parent=None, inputs={})
    with pytest.raises(LookupError, match="aws:ecs/taskSet:TaskSet"):
        requests_for(resource)


def test_a_traffic_shifting_deployment_converts_to_a_valid_request(prod):
    """Pulumi types the deployment's minutes as text; the request carries whole numbers."""
    canary = {"strategy": "CANARY", "bakeTimeInMinutes": "10",
              "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": "5"},
              "lifecycleHooks": [{"hookTargetArn": "arn:aws:lambda:us-east-1:123456789012:function:check",
                                  "roleArn": "arn:aws:iam::123456789012:role/hooks",
                                  "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "hookDetails": '{"check": "smoke"}'}]}
    service = prod["fp-prod-web-service"]
    assert _changed(service, lambda i: i.update(deploymentConfiguration=canary)) == []
    (request,) = requests_for(dataclasses.replace(service, inputs={**service.inputs,
                                                                   "deploymentConfiguration": canary}))
    deployment = request.params["deploymentConfiguration"]
    assert (deployment["bakeTimeInMinutes"], deployment["canaryConfiguration"]["canaryBakeTimeInMinutes"]) == (10, 5)
    assert deployment["maximumPercent"] == 200 and deployment["deploymentCircuitBreaker"]["rollback"] is True
    stage = copy.deepcopy(canary)
    stage["lifecycleHooks"][0]["lifecycleStages"] = ["AFTER_TRAFFIC"]
    errors = _changed(service, lambda i: i.update(deploymentConfiguration=stage))
    assert any("lifecycleStages[0]" in e for e in errors), errors


def test_update_service_leaves_out_what_only_create_service_takes(prod):
    service = prod["fp-prod-web-service"]
    inputs = {**service.inputs, "forceNewDeployment": True}
    update = update_service(inputs, service.name)
    assert update.operation == "UpdateService" and update.params["forceNewDeployment"] is True
    assert update.params["service"].startswith(service.name)
    assert not set(UPDATE_SERVICE_OMITS) & set(update.params)
    assert validate(update.service, update.operation, update.params) == []
