"""require-alb-access-logs."""

import pytest
from fargate_policies.rules import require_alb_access_logs as rule
from fargate_policies.rules._common import LOAD_BALANCER


def baseline() -> dict:
    """A compliant application load balancer."""
    return {"name": "web", "loadBalancerType": "application",
            "accessLogs": {"enabled": True, "bucket": "prod-alb-logs", "prefix": "web"}}


@pytest.mark.parametrize("resource_type", LOAD_BALANCER)
def test_baseline_passes_on_every_alias(run, resource_type):
    assert run(baseline(), resource_type=resource_type) == []


def test_logs_missing(run):
    props = baseline()
    del props["accessLogs"]
    assert run(props) == [rule.MSG_LOGS_MISSING.format()]


@pytest.mark.parametrize(("enabled", "shown"), [(False, "false"), (None, "not set")])
def test_logs_disabled(run, enabled, shown):
    props = baseline()
    props["accessLogs"]["enabled"] = enabled
    assert run(props) == [rule.MSG_LOGS_DISABLED.format(value=shown)]


@pytest.mark.parametrize(("bucket", "shown"), [("", "''"), (None, "not set")])
def test_bucket_missing(run, bucket, shown):
    props = baseline()
    props["accessLogs"]["bucket"] = bucket
    assert run(props) == [rule.MSG_BUCKET_MISSING.format(value=shown)]


def test_access_logs_of_the_wrong_shape(run):
    props = {**baseline(), "accessLogs": ["prod-alb-logs"]}
    assert run(props) == [rule.MSG_LOGS_DISABLED.format(value="not set"),
                          rule.MSG_BUCKET_MISSING.format(value="not set")]


def test_network_load_balancers_are_not_applicable(evaluate):
    props = {"name": "nlb", "loadBalancerType": "network"}
    outcome = evaluate(rule.POLICY, LOAD_BALANCER[1], props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_APPLICATION.format(value="'network'")


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:s3/bucket:Bucket", {"bucket": "prod-alb-logs"})
    assert outcome.violations == [] and outcome.not_applicable is None
