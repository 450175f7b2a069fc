"""require-read-only-root-filesystem."""

import json

import pytest
from fargate_policies.rules import require_read_only_root_filesystem as rule

TASK = "aws:ecs/taskDefinition:TaskDefinition"


def container(name: str = "app", **changes) -> dict:
    return {"name": name, "image": "repo/app:1.0.0", "readonlyRootFilesystem": True, **changes}


def baseline(*containers: dict) -> dict:
    """A compliant Linux task definition, shaped as the engine sends it."""
    return {
        "family": "app",
        "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": "ARM64"},
        "containerDefinitions": json.dumps(list(containers) or [container(), container("sidecar")]),
    }


@pytest.fixture
def run(evaluate):
    def _run(props: dict) -> list[str]:
        return evaluate(rule.POLICY, TASK, props).messages

    return _run


def test_baseline_passes(run):
    assert run(baseline()) == []


@pytest.mark.parametrize(("value", "shown"), [(False, "false"), ("false", "'false'"), (None, "not set")])
def test_writable_root(run, value, shown):
    assert run(baseline(container(), container("sidecar", readonlyRootFilesystem=value))) == [
        rule.MSG_NOT_READ_ONLY.format(container="container 'sidecar'", value=shown)
    ]


def test_left_out_is_writable(run):
    bare = container()
    del bare["readonlyRootFilesystem"]
    assert run(baseline(bare)) == [rule.MSG_NOT_READ_ONLY.format(container="container 'app'", value="not set")]


def test_unreadable_container_definitions(run):
    messages = run({**baseline(), "containerDefinitions": "["})
    assert messages == [rule.MSG_BAD_CONTAINERS.format(what="a string that is not valid JSON")]


def test_windows_is_not_applicable(evaluate):
    props = baseline(container(readonlyRootFilesystem=False))
    props["runtimePlatform"] = {"operatingSystemFamily": "WINDOWS_SERVER_2022_CORE", "cpuArchitecture": "X86_64"}
    outcome = evaluate(rule.POLICY, TASK, props)
    assert outcome.violations == []
    assert outcome.not_applicable == rule.MSG_WINDOWS.format(family="'WINDOWS_SERVER_2022_CORE'")


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:lambda/function:Function", baseline(container(readonlyRootFilesystem=False)))
    assert outcome.violations == [] and outcome.not_applicable is None
