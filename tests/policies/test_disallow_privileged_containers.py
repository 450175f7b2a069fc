"""disallow-privileged-containers."""

import json

import pytest
from fargate_policies.rules import disallow_privileged_containers as rule
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

TASK = "aws:ecs/taskDefinition:TaskDefinition"


def container(name: str = "app", **changes) -> dict:
    return {"name": name, "image": "repo/app:1.0.0", "essential": True, "privileged": False, **changes}


def baseline(*containers: dict) -> dict:
    """A compliant task definition, shaped as the engine sends it."""
    return {
        "family": "app",
        "requiresCompatibilities": ["FARGATE"],
        "containerDefinitions": json.dumps(list(containers) or [container(), container("sidecar")]),
    }


@pytest.fixture
def run(evaluate):
    def _run(props: dict) -> list[str]:
        return evaluate(rule.POLICY, TASK, props).messages

    return _run


def test_baseline_passes(run):
    assert run(baseline()) == []


def test_privileged_left_out_passes(run):
    plain = container()
    del plain["privileged"]
    assert run(baseline(plain)) == []


def test_privileged_container(run):
    assert run(baseline(container(), container("sidecar", privileged=True))) == [
        rule.MSG_PRIVILEGED.format(container="container 'sidecar'", value="true")
    ]


def test_privileged_as_string_and_unnamed_container(run):
    unnamed = {"image": "repo/app:1.0.0", "privileged": "true"}
    assert run(baseline(container(), unnamed)) == [
        rule.MSG_PRIVILEGED.format(container="containerDefinitions[1]", value="'true'")
    ]


@pytest.mark.parametrize(("definitions", "what"), [
    (None, "not set"),
    ("not json", "a string that is not valid JSON"),
    (json.dumps({"name": "app"}), "an object in JSON"),
    (42.0, "a number instead of a JSON string"),
])
def test_unreadable_container_definitions(run, definitions, what):
    props = {**baseline(), "containerDefinitions": definitions}
    assert run(props) == [rule.MSG_BAD_CONTAINERS.format(what=what)]


def test_unknown_container_definitions_are_left_to_the_engine(evaluate):
    with pytest.raises(UnknownValueError):
        evaluate(rule.POLICY, TASK, {**baseline(), "containerDefinitions": UNKNOWN_STRING_VALUE})


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", baseline(container(privileged=True)))
    assert outcome.violations == [] and outcome.not_applicable is None
