"""require-encrypted-task-volumes: a compliant service with an EBS volume, one change per test."""

import copy

import pytest
from fargate_policies.rules import require_encrypted_task_volumes as rule
from fargate_policies.rules._common import show

KEY = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-4000-8000-000000000000"
SERVICE = {
    "name": "infer",
    "volumeConfiguration": {"name": "models", "managedEbsVolume": {
        "roleArn": "arn:aws:iam::123456789012:role/ebs", "encrypted": True, "kmsKeyId": KEY, "sizeInGb": 100,
        "volumeType": "gp3"}},
}
STRICT = {"requireCustomerKey": True}


def service(**managed):
    props = copy.deepcopy(SERVICE)
    ebs = props["volumeConfiguration"]["managedEbsVolume"]
    for key, value in managed.items():
        if value is None:
            ebs.pop(key, None)
        else:
            ebs[key] = value
    return props


@pytest.mark.parametrize("config", [None, STRICT])
def test_baseline_passes(run, config):
    assert run(service(), config) == []


def test_a_service_without_volumes_is_not_applicable(evaluate):
    outcome = evaluate(rule.POLICY, rule.POLICY.resource_types[0], {"name": "web"})
    assert outcome.not_applicable == rule.NOT_APPLICABLE and outcome.violations == []


@pytest.mark.parametrize("encrypted", [False, None, "false"])
def test_unencrypted_volume_fails(run, encrypted):
    assert run(service(encrypted=encrypted)) == [rule.MSG_NOT_ENCRYPTED.format(value=show(encrypted))]


def test_default_config_accepts_the_aws_managed_key(run):
    assert run(service(kmsKeyId=None)) == []


def test_strict_config_requires_a_key(run):
    assert run(service(kmsKeyId=None), STRICT) == [rule.MSG_NO_CUSTOMER_KEY.format(value=show(None))]


@pytest.mark.parametrize("key", ["alias/aws/ebs", "arn:aws:kms:us-east-1:123456789012:alias/aws/ebs"])
def test_strict_config_refuses_the_aws_managed_key(run, key):
    assert run(service(kmsKeyId=key), STRICT) == [rule.MSG_AWS_MANAGED_KEY.format(value=show(key))]


def test_unencrypted_and_keyless_reports_both(run):
    messages = run(service(encrypted=False, kmsKeyId=None), STRICT)
    assert messages == [rule.MSG_NOT_ENCRYPTED.format(value=show(False)),
                        rule.MSG_NO_CUSTOMER_KEY.format(value=show(None))]
