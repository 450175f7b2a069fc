"""disallow-host-namespaces."""

import json

import pytest
from fargate_policies.rules import disallow_host_namespaces as rule

TASK = "aws:ecs/taskDefinition:TaskDefinition"


def baseline() -> dict:
    """A compliant task definition, shaped as the engine sends it."""
    return {
        "family": "app",
        "networkMode": "awsvpc",
        "pidMode": "task",
        "requiresCompatibilities": ["FARGATE"],
        "containerDefinitions": json.dumps([{"name": "app", "image": "repo/app:1.0.0"}]),
    }


@pytest.fixture
def run(evaluate):
    def _run(props: dict) -> list[str]:
        return evaluate(rule.POLICY, TASK, props).messages

    return _run


def test_baseline_passes(run):
    assert run(baseline()) == []


def test_modes_left_out_pass(run):
    props = baseline()
    del props["networkMode"], props["pidMode"]
    assert run(props) == []


@pytest.mark.parametrize(("prop", "allowed"), [
    ("networkMode", "'awsvpc'"),
    ("pidMode", "'task' or leave it out"),
    ("ipcMode", "'task', 'none' or leave it out"),
])
def test_host_namespace(run, prop, allowed):
    props = {**baseline(), prop: "host"}
    assert run(props) == [rule.MSG_HOST_NAMESPACE.format(prop=prop, value="'host'", allowed=allowed)]


def test_every_shared_namespace_is_reported(run):
    props = {**baseline(), "networkMode": "host", "pidMode": "host", "ipcMode": "host"}
    assert len(run(props)) == 3


@pytest.mark.parametrize("value", [None, 7, ["host"], {"mode": "host"}])
def test_odd_values_do_not_raise(run, value):
    assert run({**baseline(), "pidMode": value}) == []


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", {**baseline(), "networkMode": "host"})
    assert outcome.violations == [] and outcome.not_applicable is None
