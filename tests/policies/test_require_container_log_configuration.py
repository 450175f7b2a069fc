"""require-container-log-configuration: one change from a compliant task definition per test."""

import json

from fargate_policies.rules import require_container_log_configuration as rule
from fargate_policies.rules._common import container_label, show

TYPE = "aws:ecs/taskDefinition:TaskDefinition"


def containers() -> list[dict]:
    log = {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-stream-prefix": "web"}}
    return [
        {"name": "app", "image": "app:1", "essential": True, "logConfiguration": log},
        {"name": "proxy", "image": "envoy:1", "essential": True, "logConfiguration": dict(log)},
    ]


def baseline(defs: list | None = None) -> dict:
    return {
        "family": "web",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": "256",
        "memory": "512",
        "containerDefinitions": json.dumps(containers() if defs is None else defs),
    }


def test_baseline_passes(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline())
    assert outcome.violations == [], str(outcome)


def test_container_without_log_configuration(evaluate):
    defs = containers()
    del defs[1]["logConfiguration"]
    outcome = evaluate(rule.POLICY, TYPE, baseline(defs))
    expected = rule.MSG_NO_LOG_CONFIGURATION.format(container=container_label({"name": "proxy"}, 1), value=rule.NOT_SET)
    assert outcome.messages == [expected], str(outcome)


def test_log_configuration_not_an_object(evaluate):
    defs = containers()
    defs[0]["logConfiguration"] = "awslogs"
    outcome = evaluate(rule.POLICY, TYPE, baseline(defs))
    expected = rule.MSG_NO_LOG_CONFIGURATION.format(container=container_label({"name": "app"}, 0),
                                                    value=rule.OF_TYPE.format(kind="str"))
    assert outcome.messages == [expected], str(outcome)


def test_log_configuration_without_driver(evaluate):
    defs = containers()
    del defs[0]["logConfiguration"]["logDriver"]
    outcome = evaluate(rule.POLICY, TYPE, baseline(defs))
    expected = rule.MSG_NO_LOG_DRIVER.format(container=container_label({"name": "app"}, 0), value=show(None))
    assert outcome.messages == [expected], str(outcome)


def test_unnamed_container_is_named_by_index(evaluate):
    defs = containers()
    del defs[1]["name"], defs[1]["logConfiguration"]
    outcome = evaluate(rule.POLICY, TYPE, baseline(defs))
    expected = rule.MSG_NO_LOG_CONFIGURATION.format(container=container_label({}, 1), value=rule.NOT_SET)
    assert outcome.messages == [expected], str(outcome)


def test_definitions_not_json(evaluate):
    props = baseline()
    props["containerDefinitions"] = "[{"
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_UNREADABLE.format(what=rule.NOT_JSON)], str(outcome)


def test_definitions_missing(evaluate):
    props = baseline()
    del props["containerDefinitions"]
    outcome = evaluate(rule.POLICY, TYPE, props)
    assert outcome.messages == [rule.MSG_UNREADABLE.format(what=rule.NOT_SET)], str(outcome)


def test_no_containers(evaluate):
    outcome = evaluate(rule.POLICY, TYPE, baseline([]))
    assert outcome.messages == [rule.MSG_NO_CONTAINERS], str(outcome)


def test_other_type_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", baseline([{"name": "x"}]))
    assert outcome.violations == [], str(outcome)
