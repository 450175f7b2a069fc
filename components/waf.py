"""A WAFv2 web ACL in front of the load balancer: AWS managed rule groups, a per-IP rate limit, logging."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.tagging import tagged

TYPE_TOKEN = "fargate-platform:index:Waf"
LOG_GROUP_PREFIX = "aws-waf-logs-"  # WAF refuses log destinations whose name does not start with this.

# (priority, rule group) of the AWS managed rule groups, cheapest verdicts first.
MANAGED_RULE_GROUPS = (
    (0, "AWSManagedRulesAmazonIpReputationList"),
    (2, "AWSManagedRulesAnonymousIpList"),
    (3, "AWSManagedRulesCommonRuleSet"),
    (4, "AWSManagedRulesKnownBadInputsRuleSet"),
)
# Rules of those groups that only count (are observed, never block): clients calling from cloud hosts, such as
# other companies' backends and CI systems, are common callers of a service API. VPNs, Tor and other
# anonymizers (the group's AnonymousIPList rule) stay blocked.
COUNT_ONLY_RULES = {"AWSManagedRulesAnonymousIpList": ("HostingProviderIPList",)}
RATE_RULE_PRIORITY = 1
RATE_RULE_NAME = "rate-limit-per-ip"
# Request headers that carry credentials; WAF logs keep them redacted.
REDACTED_HEADERS = ("authorization", "cookie")


@dataclass(frozen=True, kw_only=True)
class WafArgs:
    """Inputs of :class:`Waf`."""

    load_balancer_arn: pulumi.Input[str]
    """ARN of the Application Load Balancer the web ACL protects."""
    rate_limit: int = 2000
    """Requests per 5 minutes from one IP before the rate rule blocks it (10 to 2,000,000,000)."""
    log_retention_days: int = 14
    """Retention of the WAF log group (days)."""
    kms_key_arn: pulumi.Input[str] | None = None
    """KMS key that encrypts the WAF log group; None leaves CloudWatch Logs' default encryption."""
    protect: bool = True
    """Protect the log group from deletion."""
    tags: Mapping[str, str] = field(default_factory=dict)
    """Tags of every taggable resource the component creates, under each resource's own (which win)."""


def _visibility(metric_name: str) -> aws.wafv2.WebAclRuleVisibilityConfigArgs:
    return aws.wafv2.WebAclRuleVisibilityConfigArgs(cloudwatch_metrics_enabled=True, metric_name=metric_name,
                                                    sampled_requests_enabled=True)


def _count_only(rule: str) -> aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs:
    override = aws.wafv2
    return override.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideArgs(
        name=rule,
        action_to_use=override.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseArgs(
            count=override.WebAclRuleStatementManagedRuleGroupStatementRuleActionOverrideActionToUseCountArgs()))


class Waf(pulumi.ComponentResource):
    """A regional web ACL (default allow) associated with the load balancer, with its requests logged.

    Children:
    - ``{name}-acl``: the web ACL: AWS IP reputation list, anonymous IP list (hosting providers only
      counted), common rule set, known bad inputs (Log4j included; each with the group's own actions) and a
      per-IP rate-based block rule; metrics and sampled requests for every rule.
    - ``{name}-association``: attaches the web ACL to the load balancer.
    - ``{name}-logs``: log group ``aws-waf-logs-{name}`` with retention (and the KMS key when given).
    - ``{name}-logging``: sends the web ACL's logs there, credentials headers redacted.
    """

    web_acl_arn: pulumi.Output[str]
    """ARN of the web ACL."""
    log_group_name: pulumi.Output[str]
    """Name of the log group that receives the WAF logs."""

    def __init__(self, name: str, args: WafArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TYPE_TOKEN, name, None, opts)
        if not 10 <= args.rate_limit <= 2_000_000_000:
            raise ValueError(f"Waf rate_limit {args.rate_limit} is outside 10..2000000000")
        child = pulumi.ResourceOptions(parent=self)
        rules = [
            aws.wafv2.WebAclRuleArgs(
                name=group,
                priority=priority,
                # "none" keeps each managed rule's own action (block); "count" would only observe.
                override_action=aws.wafv2.WebAclRuleOverrideActionArgs(
                    none=aws.wafv2.WebAclRuleOverrideActionNoneArgs()),
                statement=aws.wafv2.WebAclRuleStatementArgs(
                    managed_rule_group_statement=aws.wafv2.WebAclRuleStatementManagedRuleGroupStatementArgs(
                        name=group, vendor_name="AWS",
                        rule_action_overrides=[_count_only(rule) for rule in COUNT_ONLY_RULES.get(group, ())] or None)),
                visibility_config=_visibility(f"{name}-{group}"),
            )
            for priority, group in MANAGED_RULE_GROUPS
        ]
        rules.append(aws.wafv2.WebAclRuleArgs(
            name=RATE_RULE_NAME,
            priority=RATE_RULE_PRIORITY,
            action=aws.wafv2.WebAclRuleActionArgs(block=aws.wafv2.WebAclRuleActionBlockArgs()),
            statement=aws.wafv2.WebAclRuleStatementArgs(
                rate_based_statement=aws.wafv2.WebAclRuleStatementRateBasedStatementArgs(
                    limit=args.rate_limit, aggregate_key_type="IP", evaluation_window_sec=300)),
            visibility_config=_visibility(f"{name}-{RATE_RULE_NAME}"),
        ))
        rules.sort(key=lambda rule: rule.priority)

        # Filters known-bad traffic and floods before they reach the load balancer's targets.
        acl = aws.wafv2.WebAcl(
            f"{name}-acl",
            scope="REGIONAL",
            description=f"{name}: AWS managed rules and a per-IP rate limit",
            default_action=aws.wafv2.WebAclDefaultActionArgs(allow=aws.wafv2.WebAclDefaultActionAllowArgs()),
            rules=rules,
            visibility_config=aws.wafv2.WebAclVisibilityConfigArgs(
                cloudwatch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True),
            tags=tagged(args.tags),
            opts=child,
        )
        # Without the association the web ACL protects nothing.
        aws.wafv2.WebAclAssociation(f"{name}-association", resource_arn=args.load_balancer_arn,
                                    web_acl_arn=acl.arn, opts=child)
        # Evidence of what was blocked and why, kept for a bounded time; the name prefix is required by WAF.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"{LOG_GROUP_PREFIX}{name}",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.kms_key_arn,
            tags=tagged(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # Turns logging on; credentials in headers never reach the logs.
        aws.wafv2.WebAclLoggingConfiguration(
            f"{name}-logging",
            resource_arn=acl.arn,
            log_destination_configs=[log_group.arn],
            redacted_fields=[
                aws.wafv2.WebAclLoggingConfigurationRedactedFieldArgs(
                    single_header=aws.wafv2.WebAclLoggingConfigurationRedactedFieldSingleHeaderArgs(name=header))
                for header in REDACTED_HEADERS
            ],
            opts=child,
        )
        self.web_acl_arn = acl.arn
        self.log_group_name = log_group.name
        self.register_outputs({"web_acl_arn": self.web_acl_arn, "log_group_name": self.log_group_name})
