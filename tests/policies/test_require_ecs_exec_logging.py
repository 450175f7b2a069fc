"""require-ecs-exec-logging: one change from a compliant cluster per test."""

from fargate_policies.rules import require_ecs_exec_logging as rule
from fargate_policies.rules._common import show

TYPE = "aws:ecs/cluster:Cluster"


def baseline() -> dict:
    return {
        "name": "prod",
        "configuration": {
            "executeCommandConfiguration": {
                "logging": "OVERRIDE",
                "logConfiguration": {"cloudWatchLogGroupName": "/ecs/exec", "cloudWatchEncryptionEnabled": True},
            }
        },
    }


def execute(props: dict) -> dict:
    return props["configuration"]["executeCommandConfiguration"]


def test_baseline_passes(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline())
    assert outcome.violations == [], str(outcome)


def test_s3_destination_passes(evaluate):
    props = baseline()
    execute(props)["logConfiguration"] = {"s3BucketName": "exec-logs"}
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.violations == [], str(outcome)


def test_default_logging_passes(evaluate):
    props = baseline()
    execute(props)["logging"] = "DEFAULT"
    del execute(props)["logConfiguration"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.violations == [], str(outcome)


def test_no_execute_command_configuration(evaluate):
    props = baseline()
    del props["configuration"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_NO_CONFIGURATION.format(value=show(None))], str(outcome)


def test_logging_none(evaluate):
    props = baseline()
    execute(props)["logging"] = "NONE"
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_LOGGING_NONE.format(value=show("NONE"))], str(outcome)


def test_override_without_destination(evaluate):
    props = baseline()
    execute(props)["logConfiguration"] = {"cloudWatchEncryptionEnabled": True}
    outcome = evaluate(rule.POLICY, TYPE, props)
    expected = rule.MSG_NO_DESTINATION.format(cloudwatch=show(None), s3=show(None))
    assert outcome.messages == [expected], str(outcome)


def test_unknown_logging_value(evaluate):
    props = baseline()
    execute(props)["logging"] = "VERBOSE"
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_LOGGING_INVALID.format(value=show("VERBOSE"))], str(outcome)


def test_other_type_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", {})
    assert outcome.violations == [], str(outcome)
