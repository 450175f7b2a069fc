"""How a service releases a new version: ECS-native rolling, blue/green, canary and linear deployments.

:class:`components.service.FargateService` builds these pieces as its own children. Every strategy gets
its ``deploymentConfiguration``. A traffic-shifting strategy (blue/green, canary, linear) on a load-balanced
service also gets the alternate target group the new version starts in, a production listener rule that
forwards to both target groups (ECS moves the weights), a test listener rule when the release is tried first,
and the infrastructure role ECS assumes to move traffic and to invoke Lambda hooks: least privilege, naming
only this service's target groups, rules and hook functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import pulumi
import pulumi_aws as aws
from fargate_policies import facts

from components.tagging import tagged

# What ECS needs to read the load balancer while it moves traffic; the ELB API grants these on "*" only.
ELB_READ_ACTIONS = (
    "elasticloadbalancing:DescribeListeners",
    "elasticloadbalancing:DescribeRules",
    "elasticloadbalancing:DescribeTargetGroups",
    "elasticloadbalancing:DescribeTargetHealth",
)
TARGET_ACTIONS = ("elasticloadbalancing:RegisterTargets", "elasticloadbalancing:DeregisterTargets")
RULE_ACTIONS = ("elasticloadbalancing:ModifyRule",)
HOOK_ACTIONS = ("lambda:InvokeFunction",)
# The production listener rule's weights before a release: everything to the target group in service.
PRODUCTION_WEIGHT = 100
ALTERNATE_WEIGHT = 0


@dataclass(frozen=True, kw_only=True)
class LifecycleHookArgs:
    """One lifecycle hook of a release."""

    stage: str
    """Lifecycle stage the hook runs at (one of ``facts.LIFECYCLE_STAGES``)."""
    lambda_arn: str | None = None
    """Lambda function ECS invokes at the stage; None makes a pause hook."""
    timeout_minutes: int | None = None
    """Minutes a pause hook waits before ``on_timeout`` applies; None keeps the ECS default (1440)."""
    on_timeout: str | None = None
    """ROLLBACK or CONTINUE when a pause hook times out; None keeps the ECS default (ROLLBACK)."""


@dataclass(frozen=True, kw_only=True)
class CandidateRoute:
    """How a release is tried before production traffic moves: a test listener, or a header rule."""

    test_listener_arn: pulumi.Input[str] | None = None
    """Test listener the service's test rule attaches to; None means a header rule on the production listener."""
    header: str | None = None
    """HTTP header that selects the new version (with ``header_value``); used when there is no test listener."""
    header_value: str = "candidate"
    """Value of ``header`` that selects the new version."""


@dataclass(frozen=True, kw_only=True)
class ReleaseArgs:
    """How ECS deploys a new version of the service."""

    strategy: str = facts.DEFAULT_DEPLOYMENT_STRATEGY
    """ROLLING, BLUE_GREEN, CANARY or LINEAR."""
    bake_minutes: int | None = None
    """Minutes both versions run after all traffic has moved; traffic-shifting strategies only."""
    canary_percent: float | None = None
    """Share of production traffic (%) a canary takes first; CANARY only."""
    canary_bake_minutes: int | None = None
    """Minutes the canary share runs before the rest moves; CANARY only."""
    linear_step_percent: float | None = None
    """Share of production traffic (%) each linear step moves; LINEAR only."""
    linear_step_bake_minutes: int | None = None
    """Minutes between two linear steps; LINEAR only."""
    test_traffic: CandidateRoute | None = None
    """How the new version is tried before production traffic moves; None: no test traffic."""
    hooks: Sequence[LifecycleHookArgs] = ()
    """Lifecycle hooks; traffic-shifting strategies only."""

    @property
    def shifts_traffic(self) -> bool:
        return facts.is_traffic_shifting(self.strategy)

    @property
    def lambda_arns(self) -> list[str]:
        """The hook functions, each once, in hook order."""
        return list(dict.fromkeys(h.lambda_arn for h in self.hooks if h.lambda_arn is not None))


class Wiring(NamedTuple):
    """The release pieces a service's ECS service refers to."""

    test_rule: aws.lb.ListenerRule | None
    """Rule that routes test traffic to the new version; None without test traffic on a load balancer."""
    role: aws.iam.Role | None
    """Infrastructure role ECS assumes to move traffic and invoke hooks; None when ECS needs none."""
    policy: aws.iam.RolePolicy | None
    """The role's inline policy; the service waits for it."""


def forward_actions(target_group: aws.lb.TargetGroup,
                    alternate: aws.lb.TargetGroup | None) -> list[dict[str, Any]]:
    """A listener rule's action: to the target group, or weighted over both when ECS shifts traffic."""
    if alternate is None:
        return [{"type": "forward", "target_group_arn": target_group.arn}]
    return [{"type": "forward", "forward": {"target_groups": [
        {"arn": target_group.arn, "weight": PRODUCTION_WEIGHT},
        {"arn": alternate.arn, "weight": ALTERNATE_WEIGHT},
    ]}}]


def _header_condition(route: CandidateRoute) -> dict[str, Any]:
    return {"http_header": {"http_header_name": route.header, "values": [route.header_value]}}


def wire(name: str, args: ReleaseArgs, *, production_listener_arn: pulumi.Input[str] | None,
         priority: int, conditions: Sequence[dict[str, Any]], target_group: aws.lb.TargetGroup | None,
         alternate: aws.lb.TargetGroup | None, production_rule: aws.lb.ListenerRule | None,
         account: pulumi.Input[str], description: str, tags: Mapping[str, str],
         opts: pulumi.ResourceOptions) -> Wiring:
    """The test listener rule and the infrastructure role of a traffic-shifting release (children ``name-*``),
    each tagged with ``tags``."""
    if not args.shifts_traffic:
        return Wiring(None, None, None)
    test_rule = None
    candidate = args.test_traffic
    balanced = target_group is not None and alternate is not None and production_rule is not None
    if balanced and candidate is not None:
        on_test_listener = candidate.test_listener_arn is not None
        # Test requests reach the new version before any production request does: on a test listener of their
        # own (admitted from the test CIDRs only), or on the production listener with the release header.
        test_rule = aws.lb.ListenerRule(
            f"{name}-test-rule",
            listener_arn=candidate.test_listener_arn if on_test_listener else production_listener_arn,
            priority=priority if on_test_listener else priority - 1,
            conditions=list(conditions) if on_test_listener else [*conditions, _header_condition(candidate)],
            actions=forward_actions(target_group, alternate),
            # ECS moves the weights during a release; Pulumi must not move them back.
            tags=tagged(tags),
            opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(ignore_changes=["actions"])),
        )
    statements: list[dict[str, Any]] = []
    if balanced:
        rules = [production_rule.arn] + ([test_rule.arn] if test_rule is not None else [])
        statements += [
            {"Sid": "ReadLoadBalancer", "Effect": "Allow", "Action": list(ELB_READ_ACTIONS), "Resource": "*"},
            {"Sid": "MoveTargets", "Effect": "Allow", "Action": list(TARGET_ACTIONS),
             "Resource": [target_group.arn, alternate.arn]},
            {"Sid": "ShiftTraffic", "Effect": "Allow", "Action": list(RULE_ACTIONS), "Resource": rules},
        ]
    if args.lambda_arns:
        statements.append({"Sid": "InvokeHooks", "Effect": "Allow", "Action": list(HOOK_ACTIONS),
                           "Resource": args.lambda_arns})
    if not statements:
        return Wiring(test_rule, None, None)
    # The identity ECS acts as during a release: trusted by ECS of this account only.
    role = aws.iam.Role(
        f"{name}-release-role",
        description=f"ECS infrastructure role releasing {description}",
        assume_role_policy=pulumi.Output.json_dumps({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": {"Service": facts.ECS_SERVICE_PRINCIPAL},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account}},
            }],
        }),
        tags=tagged(tags),
        opts=opts,
    )
    # Only this service's target groups, rules and hook functions.
    policy = aws.iam.RolePolicy(
        f"{name}-release-policy",
        role=role.id,
        policy=pulumi.Output.json_dumps({"Version": "2012-10-17", "Statement": statements}),
        opts=opts,
    )
    return Wiring(test_rule, role, policy)


def deployment_configuration(args: ReleaseArgs, role: aws.iam.Role | None) -> dict[str, Any]:
    """The service's ``deploymentConfiguration``: the strategy, its bake times and steps, and its hooks."""
    config: dict[str, Any] = {"strategy": args.strategy}
    if not args.shifts_traffic:
        return config
    # The provider takes these minutes as strings.
    if args.bake_minutes is not None:
        config["bake_time_in_minutes"] = str(args.bake_minutes)
    if args.strategy == facts.CANARY:
        config["canary_configuration"] = {"canary_percent": args.canary_percent,
                                          "canary_bake_time_in_minutes": str(args.canary_bake_minutes)}
    if args.strategy == facts.LINEAR:
        config["linear_configuration"] = {"step_percent": args.linear_step_percent,
                                          "step_bake_time_in_minutes": str(args.linear_step_bake_minutes)}
    hooks: list[dict[str, Any]] = []
    for hook in args.hooks:
        if hook.lambda_arn is not None:
            hooks.append({"lifecycle_stages": [hook.stage], "target_type": facts.HOOK_TARGET_LAMBDA,
                          "hook_target_arn": hook.lambda_arn, "role_arn": role.arn if role is not None else None})
            continue
        entry: dict[str, Any] = {"lifecycle_stages": [hook.stage], "target_type": facts.HOOK_TARGET_PAUSE}
        timeout = {key: value for key, value in (
            ("timeout_in_minutes", str(hook.timeout_minutes) if hook.timeout_minutes is not None else None),
            ("action", hook.on_timeout)) if value is not None}
        if timeout:
            entry["timeout_configuration"] = timeout
        hooks.append(entry)
    if hooks:
        config["lifecycle_hooks"] = hooks
    return config


def advanced_configuration(alternate: aws.lb.TargetGroup | None, production_rule: aws.lb.ListenerRule | None,
                           wiring: Wiring) -> dict[str, Any] | None:
    """A load balancer entry's ``advancedConfiguration``: what ECS moves traffic between, and as whom."""
    if alternate is None or production_rule is None or wiring.role is None:
        return None
    config: dict[str, Any] = {"alternate_target_group_arn": alternate.arn,
                              "production_listener_rule": production_rule.arn, "role_arn": wiring.role.arn}
    if wiring.test_rule is not None:
        config["test_listener_rule"] = wiring.test_rule.arn
    return config


def service_connect_test_rules(args: ReleaseArgs) -> list[dict[str, Any]] | None:
    """Service Connect's header rule for an internal service's test traffic; None without one."""
    candidate = args.test_traffic
    if not args.shifts_traffic or candidate is None or candidate.header is None:
        return None
    return [{"header": {"name": candidate.header, "value": {"exact": candidate.header_value}}}]
