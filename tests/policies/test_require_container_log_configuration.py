"""require-container-log-configuration: one change from the compliant task definition of conftest per test."""

import json

from fargate_policies.rules import require_container_log_configuration as rule
from fargate_policies.rules._common import container_label, show


def test_baseline_passes(run, task_definition):
    assert run(task_definition()) == []


def test_container_without_log_configuration(run, task_definition, container):
    sidecar = container("sidecar")
    del sidecar["logConfiguration"]
    expected = rule.MSG_NO_LOG_CONFIGURATION.format(container=container_label(sidecar, 1), value=rule.NOT_SET)
    assert run(task_definition(container(), sidecar)) == [expected]


def test_log_configuration_not_an_object(run, task_definition, container):
    expected = rule.MSG_NO_LOG_CONFIGURATION.format(container=container_label({"name": "app"}, 0),
                                                    value=rule.OF_TYPE.format(kind="str"))
    assert run(task_definition(container(logConfiguration="awslogs"), container("sidecar"))) == [expected]


def test_log_configuration_without_driver(run, task_definition, container):
    app = container()
    del app["logConfiguration"]["logDriver"]
    expected = rule.MSG_NO_LOG_DRIVER.format(container=container_label(app, 0), value=show(None))
    assert run(task_definition(app, container("sidecar"))) == [expected]


def test_unnamed_container_is_named_by_index(run, task_definition, container):
    unnamed = container()
    del unnamed["name"], unnamed["logConfiguration"]
    expected = rule.MSG_NO_LOG_CONFIGURATION.format(container=container_label({}, 1), value=rule.NOT_SET)
    assert run(task_definition(container(), unnamed)) == [expected]


def test_definitions_not_json(run, task_definition):
    assert run(task_definition(containerDefinitions="[{")) == [rule.MSG_UNREADABLE.format(what=rule.NOT_JSON)]


def test_definitions_missing(run, task_definition):
    props = task_definition()
    del props["containerDefinitions"]
    assert run(props) == [rule.MSG_UNREADABLE.format(what=rule.NOT_SET)]


def test_no_containers(run, task_definition):
    assert run(task_definition(containerDefinitions=json.dumps([]))) == [rule.MSG_NO_CONTAINERS]


def test_other_type_ignored(evaluate, task_definition):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", task_definition(containerDefinitions='[{"name": "x"}]'))
    assert outcome.violations == [], str(outcome)
