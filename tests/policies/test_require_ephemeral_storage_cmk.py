"""require-ephemeral-storage-cmk: a cluster running a Fargate service under the stack's key; one change per test."""

import pytest
from fargate_policies.rules import require_ephemeral_storage_cmk as rule
from fargate_policies.rules._common import ECS_CLUSTER, ECS_SERVICE, KMS_KEY, show
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

POLICY = rule.POLICY
REQUIRED = {"required": True}
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000"


@pytest.fixture
def stack(stack_builder):
    """Key 'key'; cluster 'main' whose Fargate ephemeral storage uses it; service 'web' (the cluster's default
    strategy) in 'main'. Runs once per mode."""
    b = stack_builder
    key = b.add(KMS_KEY[0], "key", {"enableKeyRotation": True}, id="key-1")
    b.add(ECS_CLUSTER[0], "main", {"configuration": {"managedStorageConfiguration": {
        "fargateEphemeralStorageKmsKeyId": b.ref_value(KEY_ARN)}}},
        id="arn:aws:ecs:us-east-1:123456789012:cluster/main", configuration=[key])
    b.add(ECS_SERVICE[0], "web", {"cluster": b.ref(b["main"]), "name": "web"}, cluster=[b["main"]])
    return b


def storage(b):
    return b["main"].props["configuration"]["managedStorageConfiguration"]


def test_baseline_passes(stack, evaluate_stack):
    outcome = evaluate_stack(POLICY, stack.resources, REQUIRED)
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)


def test_cluster_without_a_key_fails(stack, evaluate_stack):
    b = stack
    del b["main"].props["configuration"]
    b["main"].property_dependencies.pop("configuration", None)
    outcome = evaluate_stack(POLICY, b.resources, REQUIRED)
    assert outcome.at(b["main"].urn) == [rule.MSG_NO_KEY.format(value=show(None), services="'web'")], str(outcome)


def test_aws_managed_key_fails(stack, evaluate_stack):
    b = stack
    storage(b)["fargateEphemeralStorageKmsKeyId"] = "alias/aws/ecs"
    outcome = evaluate_stack(POLICY, b.resources, REQUIRED)
    assert outcome.at(b["main"].urn) == [rule.MSG_AWS_MANAGED_KEY.format(value=show("alias/aws/ecs"))], str(outcome)


@pytest.mark.parametrize("strategy", [[{"capacityProvider": "FARGATE_SPOT", "weight": 1}],
                                      [{"capacityProvider": "FARGATE", "weight": 1, "base": 2}]])
def test_services_with_a_fargate_strategy_are_judged(stack, evaluate_stack, strategy):
    b = stack
    b["web"].props["capacityProviderStrategies"] = strategy
    del b["main"].props["configuration"]
    outcome = evaluate_stack(POLICY, b.resources, REQUIRED)
    assert len(outcome.at(b["main"].urn)) == 1, str(outcome)


@pytest.mark.parametrize("change", [
    {"launchType": "MANAGED_INSTANCES"},
    {"capacityProviderStrategies": [{"capacityProvider": "fp-gpu-mi-provider", "weight": 1}]},
    {"capacityProviderStrategies": [{"capacityProvider": UNKNOWN_STRING_VALUE, "weight": 1}]},
])
def test_a_cluster_without_fargate_services_is_not_judged(stack, evaluate_stack, change):
    b = stack
    b["web"].props.update(change)
    del b["main"].props["configuration"]
    outcome = evaluate_stack(POLICY, b.resources, REQUIRED)
    assert outcome.violations == [] and outcome.not_applicable is not None, str(outcome)


def test_unknown_key_without_a_key_dependency_cannot_be_judged(stack, evaluate_stack):
    b = stack
    storage(b)["fargateEphemeralStorageKmsKeyId"] = UNKNOWN_STRING_VALUE
    b["main"].property_dependencies.pop("configuration", None)
    with pytest.raises(UnknownValueError):
        evaluate_stack(POLICY, b.resources, REQUIRED)


def test_unknown_key_from_a_key_of_the_stack_passes(stack, evaluate_stack):
    b = stack
    storage(b)["fargateEphemeralStorageKmsKeyId"] = UNKNOWN_STRING_VALUE
    b.depend(b["main"], "configuration", b["key"])
    if b.mode == "ids":
        with pytest.raises(UnknownValueError):
            evaluate_stack(POLICY, b.resources, REQUIRED)
        return
    outcome = evaluate_stack(POLICY, b.resources, REQUIRED)
    assert outcome.violations == [], str(outcome)


def test_not_required_is_not_applicable(stack, evaluate_stack):
    b = stack
    del b["main"].props["configuration"]
    outcome = evaluate_stack(POLICY, b.resources)
    assert outcome.violations == [] and outcome.not_applicable == rule.NOT_REQUIRED, str(outcome)
