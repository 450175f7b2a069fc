"""disallow-host-namespaces: one change from the compliant task definition of conftest per test."""

import pytest
from fargate_policies.rules import disallow_host_namespaces as rule


def test_baseline_passes(run, task_definition):
    assert run(task_definition(pidMode="task")) == []


def test_modes_left_out_pass(run, task_definition):
    props = task_definition()
    del props["networkMode"]
    assert run(props) == []


@pytest.mark.parametrize(("prop", "allowed"), [
    ("networkMode", "'awsvpc'"),
    ("pidMode", "'task' or leave it out"),
    ("ipcMode", "'task', 'none' or leave it out"),
])
def test_host_namespace(run, task_definition, prop, allowed):
    assert run(task_definition(**{prop: "host"})) == [
        rule.MSG_HOST_NAMESPACE.format(prop=prop, value="'host'", allowed=allowed)
    ]


def test_every_shared_namespace_is_reported(run, task_definition):
    assert len(run(task_definition(networkMode="host", pidMode="host", ipcMode="host"))) == 3


@pytest.mark.parametrize("value", [None, 7, ["host"], {"mode": "host"}])
def test_odd_values_do_not_raise(run, task_definition, value):
    assert run(task_definition(pidMode=value)) == []


def test_other_resource_types_are_ignored(evaluate, task_definition):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", task_definition(networkMode="host"))
    assert outcome.violations == [] and outcome.not_applicable is None
