"""require-non-root-user."""

import json

import pytest
from fargate_policies.rules import require_non_root_user as rule

TASK = "aws:ecs/taskDefinition:TaskDefinition"


def container(name: str = "app", **changes) -> dict:
    return {"name": name, "image": "repo/app:1.0.0", "user": "1000:1000", **changes}


def baseline(*containers: dict) -> dict:
    """A compliant Linux task definition, shaped as the engine sends it."""
    return {
        "family": "app",
        "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"operatingSystemFamily": "LINUX"},
        "containerDefinitions": json.dumps(list(containers) or [container(), container("sidecar", user="app")]),
    }


@pytest.fixture
def run(evaluate):
    def _run(props: dict) -> list[str]:
        return evaluate(rule.POLICY, TASK, props).messages

    return _run


def test_baseline_passes(run):
    assert run(baseline()) == []


@pytest.mark.parametrize("user", ["1000", "app", "nobody:nogroup", "1000:0", "10:root", "rootless", "01", "Root",
                                  "0x0", "\u00b2", "\uff10"])
def test_non_root_users_pass(run, user):
    assert run(baseline(container(user=user))) == []


@pytest.mark.parametrize("user", ["root", "0", "00", "0:0", "00:00", "root:root", "0:1000", "root:app", " 0 ", "+0",
                                  "-0", "000:1000"])
def test_root_user(run, user):
    assert run(baseline(container(user=user))) == [
        rule.MSG_USER_ROOT.format(container="container 'app'", value=rule.show(user))
    ]


def test_user_left_out(run):
    bare = container()
    del bare["user"]
    assert run(baseline(container("web"), bare)) == [
        rule.MSG_USER_MISSING.format(container="container 'app'", value="not set")
    ]


@pytest.mark.parametrize("user", ["", "  ", ":1000", " :0"])
def test_empty_user(run, user):
    """No user before ':' leaves the choice to the image."""
    assert run(baseline(container(user=user))) == [
        rule.MSG_USER_MISSING.format(container="container 'app'", value=rule.show(user))
    ]


def test_user_of_wrong_type(run):
    assert run(baseline(container(user=1000))) == [
        rule.MSG_USER_NOT_STRING.format(container="container 'app'", value="1000")
    ]


def test_windows_is_not_applicable(evaluate):
    props = baseline(container(user="root"))
    props["runtimePlatform"] = {"operatingSystemFamily": "WINDOWS_SERVER_2019_CORE"}
    outcome = evaluate(rule.POLICY, TASK, props)
    assert outcome.violations == []
    assert outcome.not_applicable == rule.MSG_WINDOWS.format(family="'WINDOWS_SERVER_2019_CORE'")


def test_unreadable_container_definitions(run):
    assert run({**baseline(), "containerDefinitions": None}) == [rule.MSG_BAD_CONTAINERS.format(what="not set")]


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", baseline(container(user="root")))
    assert outcome.violations == [] and outcome.not_applicable is None
