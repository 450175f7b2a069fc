"""disallow-privileged-containers: one change from the compliant task definition of conftest per test."""

import json

import pytest
from fargate_policies.rules import disallow_privileged_containers as rule
from fargate_policies.rules._common import ECS_TASK_DEFINITION
from fargate_policies.rules._ecs import MSG_CONTAINERS_UNKNOWN
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE


def test_baseline_passes(run, task_definition):
    assert run(task_definition()) == []


def test_privileged_left_out_passes(run, task_definition, container):
    plain = container()
    del plain["privileged"]
    assert run(task_definition(plain)) == []


def test_privileged_container(run, task_definition, container):
    assert run(task_definition(container(), container("sidecar", privileged=True))) == [
        rule.MSG_PRIVILEGED.format(container="container 'sidecar'", value="true")
    ]


def test_privileged_as_string_and_unnamed_container(run, task_definition, container):
    unnamed = container(privileged="true")
    del unnamed["name"]
    assert run(task_definition(container(), unnamed)) == [
        rule.MSG_PRIVILEGED.format(container="containerDefinitions[1]", value="'true'")
    ]


@pytest.mark.parametrize(("definitions", "what"), [
    (None, "not set"),
    ("not json", "a string that is not valid JSON"),
    (json.dumps({"name": "app"}), "an object in JSON"),
    (42.0, "a number instead of a JSON string"),
])
def test_unreadable_container_definitions(run, task_definition, definitions, what):
    assert run(task_definition(containerDefinitions=definitions)) == [rule.MSG_BAD_CONTAINERS.format(what=what)]


def test_unknown_container_definitions_are_left_to_the_verifiable_rule(evaluate, task_definition):
    outcome = evaluate(rule.POLICY, ECS_TASK_DEFINITION[0], task_definition(containerDefinitions=UNKNOWN_STRING_VALUE))
    assert outcome.violations == [] and outcome.not_applicable == MSG_CONTAINERS_UNKNOWN


def test_other_resource_types_are_ignored(evaluate, task_definition, container):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", task_definition(container(privileged=True)))
    assert outcome.violations == [] and outcome.not_applicable is None
