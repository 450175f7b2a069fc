"""require-read-only-root-filesystem: one change from the compliant task definition of conftest per test."""

import pytest
from fargate_policies.rules import require_read_only_root_filesystem as rule
from fargate_policies.rules._common import ECS_TASK_DEFINITION


def test_baseline_passes(run, task_definition):
    assert run(task_definition()) == []


@pytest.mark.parametrize(("value", "shown"), [(False, "false"), ("false", "'false'"), (None, "not set")])
def test_writable_root(run, task_definition, container, value, shown):
    assert run(task_definition(container(), container("sidecar", readonlyRootFilesystem=value))) == [
        rule.MSG_NOT_READ_ONLY.format(container="container 'sidecar'", value=shown)
    ]


def test_left_out_is_writable(run, task_definition, container):
    bare = container()
    del bare["readonlyRootFilesystem"]
    assert run(task_definition(bare)) == [rule.MSG_NOT_READ_ONLY.format(container="container 'app'", value="not set")]


def test_unreadable_container_definitions(run, task_definition):
    messages = run(task_definition(containerDefinitions="["))
    assert messages == [rule.MSG_BAD_CONTAINERS.format(what="a string that is not valid JSON")]


def test_windows_is_not_applicable(evaluate, task_definition, container):
    props = task_definition(container(readonlyRootFilesystem=False), runtimePlatform={
        "operatingSystemFamily": "WINDOWS_SERVER_2022_CORE", "cpuArchitecture": "X86_64"})
    outcome = evaluate(rule.POLICY, ECS_TASK_DEFINITION[0], props)
    assert outcome.violations == []
    assert outcome.not_applicable == rule.MSG_WINDOWS.format(family="'WINDOWS_SERVER_2022_CORE'")


def test_other_resource_types_are_ignored(evaluate, task_definition, container):
    outcome = evaluate(rule.POLICY, "aws:lambda/function:Function",
                       task_definition(container(readonlyRootFilesystem=False)))
    assert outcome.violations == [] and outcome.not_applicable is None
