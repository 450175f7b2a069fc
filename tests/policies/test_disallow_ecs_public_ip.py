"""disallow-ecs-public-ip: one change from a compliant service per test."""

from fargate_policies.rules import disallow_ecs_public_ip as rule
from fargate_policies.rules._common import show

TYPE = "aws:ecs/service:Service"


def baseline() -> dict:
    return {
        "name": "web",
        "launchType": "FARGATE",
        "networkConfiguration": {"subnets": ["subnet-a"], "securityGroups": ["sg-1"], "assignPublicIp": False},
    }


def test_baseline_passes(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline())
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)


def test_assign_public_ip_unset_passes(evaluate):
    props = baseline()
    del props["networkConfiguration"]["assignPublicIp"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.violations == [], str(outcome)


def test_assign_public_ip_true(evaluate):
    props = baseline()
    props["networkConfiguration"]["assignPublicIp"] = True
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_PUBLIC_IP.format(value=show(True))], str(outcome)


def test_assign_public_ip_string_true(evaluate):
    props = baseline()
    props["networkConfiguration"]["assignPublicIp"] = "true"
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_PUBLIC_IP.format(value=show("true"))], str(outcome)


def test_assign_public_ip_not_boolean(evaluate):
    props = baseline()
    props["networkConfiguration"]["assignPublicIp"] = 1.0
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_INVALID.format(value=show(1.0))], str(outcome)


def test_without_network_configuration_not_applicable(evaluate):
    props = baseline()
    del props["networkConfiguration"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.violations == [] and outcome.not_applicable, str(outcome)


def test_other_type_ignored(evaluate):
    props = baseline()
    props["networkConfiguration"]["assignPublicIp"] = True
    outcome = evaluate(rule.POLICY, "aws:ecs/taskSet:TaskSet", props)
    assert outcome.violations == [] and outcome.not_applicable is None, str(outcome)
