"""Unit tests of components/waf.py: one Waf built under PlatformMocks."""

from __future__ import annotations

from typing import Any

import pytest

from components.waf import TYPE_TOKEN, Waf, WafArgs
from tests.harness import Built, assert_children_parented_and_named, build_component

ACL = "aws:wafv2/webAcl:WebAcl"
ASSOCIATION = "aws:wafv2/webAclAssociation:WebAclAssociation"
LOGGING = "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/fp-test-alb/50dc6c495c0c9188"
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/0d6f7c2e-2b1e-4a5c-9b7d-3f1c2a4e5d6f"
MANAGED = {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
           "AWSManagedRulesAmazonIpReputationList", "AWSManagedRulesAnonymousIpList"}


def build(mocks: Any, **extra: Any) -> Built:
    args = WafArgs(**{"load_balancer_arn": LB_ARN, "rate_limit": 1500, "log_retention_days": 30, **extra})
    return build_component(mocks, TYPE_TOKEN, lambda opts: Waf("fp-test-waf", args, opts=opts),
                           ("web_acl_arn", "log_group_name"))


def rules(b: Built) -> tuple[str, dict[str, dict[str, Any]]]:
    acl = b.one(ACL, "fp-test-waf-acl")
    return acl.urn, {r["name"]: r for r in acl.inputs["rules"]}


def test_children_are_named_and_parented(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks)
    assert sorted(b.children) == ["fp-test-waf-acl", "fp-test-waf-association", "fp-test-waf-logging",
                                  "fp-test-waf-logs"], f"{TYPE_TOKEN}::fp-test-waf"
    assert_children_parented_and_named(b, "fp-test-waf")


def test_regional_default_allow_with_metrics(pulumi_mocks: Any) -> None:
    acl = build(pulumi_mocks).one(ACL, "fp-test-waf-acl")
    assert acl.inputs["scope"] == "REGIONAL", f"{acl.urn}: scope"
    assert acl.inputs["defaultAction"] == {"allow": {}}, f"{acl.urn}: defaultAction {acl.inputs['defaultAction']}"
    vis = acl.inputs["visibilityConfig"]
    assert vis["cloudwatchMetricsEnabled"] is True and vis["sampledRequestsEnabled"] is True, f"{acl.urn}: {vis}"
    assert vis["metricName"], f"{acl.urn}: metricName"


def test_three_managed_rule_groups_keep_their_own_actions(pulumi_mocks: Any) -> None:
    urn, by_name = rules(build(pulumi_mocks))
    managed = {name: rule for name, rule in by_name.items()
               if "managedRuleGroupStatement" in rule["statement"]}
    assert set(managed) == MANAGED, f"{urn}: managed groups {sorted(managed)}"
    for name, rule in managed.items():
        statement = rule["statement"]["managedRuleGroupStatement"]
        assert (statement["vendorName"], statement["name"]) == ("AWS", name), f"{urn}: {name} {statement}"
        assert rule["overrideAction"] == {"none": {}}, f"{urn}: {name} overrideAction {rule['overrideAction']}"
        assert "action" not in rule, f"{urn}: {name} has an action besides overrideAction"


def test_rate_rule_blocks_per_ip_at_the_configured_limit(pulumi_mocks: Any) -> None:
    urn, by_name = rules(build(pulumi_mocks))
    rate = [r for r in by_name.values() if "rateBasedStatement" in r["statement"]]
    assert len(rate) == 1, f"{urn}: rate rules {rate}"
    statement = rate[0]["statement"]["rateBasedStatement"]
    assert statement["limit"] == 1500, f"{urn}: limit {statement['limit']}"
    assert statement["aggregateKeyType"] == "IP", f"{urn}: aggregateKeyType"
    assert statement.get("evaluationWindowSec") == 300, f"{urn}: evaluationWindowSec"
    assert rate[0]["action"] == {"block": {}}, f"{urn}: action {rate[0]['action']}"


def test_every_rule_has_metrics_and_a_unique_priority(pulumi_mocks: Any) -> None:
    urn, by_name = rules(build(pulumi_mocks))
    assert len(by_name) == len(MANAGED) + 1, f"{urn}: {sorted(by_name)}"
    priorities = [r["priority"] for r in by_name.values()]
    assert len(set(priorities)) == len(priorities), f"{urn}: priorities {priorities}"
    metric_names = set()
    for name, rule in by_name.items():
        vis = rule["visibilityConfig"]
        assert vis["cloudwatchMetricsEnabled"] is True and vis["sampledRequestsEnabled"] is True, \
            f"{urn}: {name} {vis}"
        metric_names.add(vis["metricName"])
    assert len(metric_names) == len(MANAGED) + 1, f"{urn}: metric names {metric_names}"


def test_anonymous_ips_are_blocked_and_hosting_providers_only_counted(pulumi_mocks: Any) -> None:
    """VPNs and Tor are blocked; calls from cloud hosts (other backends, CI) are counted, not blocked."""
    urn, by_name = rules(build(pulumi_mocks))
    group = by_name["AWSManagedRulesAnonymousIpList"]
    assert group["overrideAction"] == {"none": {}}, f"{urn}: the group keeps its rules' own actions"
    overrides = group["statement"]["managedRuleGroupStatement"]["ruleActionOverrides"]
    assert overrides == [{"name": "HostingProviderIPList", "actionToUse": {"count": {}}}], f"{urn}: {overrides}"
    for name in MANAGED - {"AWSManagedRulesAnonymousIpList"}:
        statement = by_name[name]["statement"]["managedRuleGroupStatement"]
        assert "ruleActionOverrides" not in statement, f"{urn}: {name} overrides {statement}"


def test_association_attaches_the_acl_to_the_load_balancer(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks)
    association = b.one(ASSOCIATION, "fp-test-waf-association")
    acl = b.one(ACL, "fp-test-waf-acl")
    assert association.inputs["resourceArn"] == LB_ARN, f"{association.urn}: resourceArn"
    assert association.inputs["webAclArn"] == acl.outputs["arn"], f"{association.urn}: webAclArn"
    assert b.outputs["web_acl_arn"] == acl.outputs["arn"], f"{TYPE_TOKEN}::fp-test-waf web_acl_arn"


def test_logs_go_to_a_retained_aws_waf_logs_group(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks)
    group = b.one(LOG_GROUP, "fp-test-waf-logs")
    assert group.inputs["name"].startswith("aws-waf-logs-"), f"{group.urn}: name {group.inputs['name']}"
    assert group.inputs["retentionInDays"] == 30, f"{group.urn}: retentionInDays"
    assert "kmsKeyId" not in group.inputs, f"{group.urn}: kmsKeyId without a key"
    logging = b.one(LOGGING, "fp-test-waf-logging")
    assert logging.inputs["resourceArn"] == b.one(ACL, "fp-test-waf-acl").outputs["arn"], f"{logging.urn}"
    assert logging.inputs["logDestinationConfigs"] == [group.outputs["arn"]], f"{logging.urn}: destinations"
    redacted = {f["singleHeader"]["name"] for f in logging.inputs.get("redactedFields", [])}
    assert {"authorization", "cookie"} <= redacted, f"{logging.urn}: redactedFields {redacted}"
    assert b.outputs["log_group_name"] == group.inputs["name"], f"{TYPE_TOKEN}::fp-test-waf log_group_name"


def test_log_group_uses_the_key_and_protection_when_given(pulumi_mocks: Any) -> None:
    b = build(pulumi_mocks, kms_key_arn=KEY_ARN, protect=True)
    group = b.one(LOG_GROUP, "fp-test-waf-logs")
    assert group.inputs["kmsKeyId"] == KEY_ARN, f"{group.urn}: kmsKeyId"
    assert group.opts is not None and group.opts.protect is True, f"{group.urn}: protect"


@pytest.mark.parametrize("limit", [9, 2_000_000_001])
def test_rate_limit_out_of_range_is_refused(pulumi_mocks: Any, limit: int) -> None:
    with pytest.raises(Exception, match="rate_limit"):
        build(pulumi_mocks, rate_limit=limit)
