"""enforce-platform-version."""

import pytest
from fargate_policies.rules import enforce_platform_version as rule

SERVICE = "aws:ecs/service:Service"


def baseline() -> dict:
    """A compliant Fargate service."""
    return {"name": "web", "launchType": "FARGATE", "platformVersion": "LATEST", "desiredCount": 2.0}


def test_baseline_passes(run):
    assert run(baseline()) == []


@pytest.mark.parametrize("version", ["1.4.0", "1.4", "1.10.0", "2.0.0", "latest"])
def test_recent_versions_pass(run, version):
    assert run({**baseline(), "platformVersion": version}) == []


def test_left_out_means_latest(run):
    props = baseline()
    del props["platformVersion"]
    assert run(props) == []


@pytest.mark.parametrize("version", ["1.3.0", "1.2", "1.0.0", "0.9.9"])
def test_old_versions(run, version):
    assert run({**baseline(), "platformVersion": version}) == [
        rule.MSG_TOO_OLD.format(value=f"'{version}'", minimum="'1.4.0'")
    ]


def test_semantic_not_string_compare(run):
    # As strings, "1.10.0" < "1.4.0"; as versions it is newer.
    assert run({**baseline(), "platformVersion": "1.10.0"}) == []


@pytest.mark.parametrize(("version", "shown"), [("v1.4.0", "'v1.4.0'"), ("1.4.0.1", "'1.4.0.1'"), (1.4, "1.4")])
def test_unreadable_versions(run, version, shown):
    assert run({**baseline(), "platformVersion": version}) == [rule.MSG_UNREADABLE.format(value=shown)]


def test_ec2_services_are_not_applicable(evaluate):
    props = {**baseline(), "launchType": "EC2", "platformVersion": "1.0.0"}
    outcome = evaluate(rule.POLICY, SERVICE, props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_FARGATE.format(value="'EC2'")


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/cluster:Cluster", {**baseline(), "platformVersion": "1.0.0"})
    assert outcome.violations == [] and outcome.not_applicable is None
