"""enforce-monthly-budget: the stack's estimated monthly cost stays within the budget its config sets.

The estimate comes from :mod:`costing` (inside this pack): every resource the
stack declares, priced at the region's published on-demand prices, with usage
assumptions for what a plan cannot know (log volume, traffic). The same config
entry drives ``python -m stacks plan STACK --cost``, so the plan shows the
figure this rule checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from fargate_policies.costing import DEFAULT_REGION, CostConfigError, Estimate, assumptions_schema, estimate_for_config
from fargate_policies.costing import TYPES_READ as COST_TYPES

from ._common import NotApplicable, stack_rule

NAME = "enforce-monthly-budget"
LARGEST_COUNT = 3

MSG_OVER_BUDGET = (
    "the estimated monthly cost is ${total:,.2f}, over the budget of ${budget:,.2f} by ${over:,.2f} "
    "({region} on-demand prices as of {as_of})"
)
MSG_LARGEST = "largest items: {items}"
MSG_ITEM = "{name} ${usd:,.2f}"
MSG_UNPRICED = "{count} resource(s) with no price are not included ({types})"
MSG_NO_BUDGET = "no budget is configured; set usd in this policy's config to check the estimate against it"
MSG_BAD_CONFIG = "the cost estimate cannot run with this policy's config: {problem}"

CONFIG = {
    "usd": {
        "type": ["number", "null"],
        "minimum": 0,
        "default": None,
        "description": "Monthly budget in USD; the estimate must not exceed it. null (the default) checks nothing.",
    },
    "region": {
        "type": "string",
        "pattern": "^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$",
        "default": DEFAULT_REGION,
        "description": "Region whose price file (policies/costing/prices/<region>.json) prices the stack.",
    },
    "assumptions": {
        **assumptions_schema(),
        "default": {},
        "description": "Overrides of the usage assumptions (log GB/day, NAT GB/month, LCUs...); see docs/cost.md.",
    },
    "prices": {
        "type": "object",
        "additionalProperties": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
        "default": {},
        "description": "Partial overrides of the price file, e.g. {\"natGateway\": {\"hour\": 0.048}}.",
    },
}


def over_budget_message(estimate: Estimate, budget: float) -> str:
    """The violation message: total, budget, overrun, the largest items and what was left unpriced."""
    parts = [MSG_OVER_BUDGET.format(total=estimate.total_usd, budget=budget, over=estimate.total_usd - budget,
                                    region=estimate.region, as_of=estimate.as_of)]
    largest = estimate.largest(LARGEST_COUNT)
    if largest:
        parts.append(MSG_LARGEST.format(items=", ".join(
            MSG_ITEM.format(name=i.name, usd=i.monthly_usd) for i in largest)))
    if estimate.unpriced:
        types = sorted({u.type for u in estimate.unpriced})
        parts.append(MSG_UNPRICED.format(count=len(estimate.unpriced), types=", ".join(types)))
    return "; ".join(parts) + "."


def _budget(config: Mapping[str, Any]) -> float | None:
    value = config.get("usd") if isinstance(config, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    try:
        estimate = estimate_for_config(resources, config)
    except CostConfigError as exc:
        yield None, MSG_BAD_CONFIG.format(problem=exc)
        return
    budget = _budget(config)
    if budget is None:
        raise NotApplicable(MSG_NO_BUDGET)
    if estimate.total_usd > budget:
        yield None, over_budget_message(estimate, budget)


POLICY = stack_rule(
    name=NAME,
    description=(
        "The stack's estimated monthly cost at published on-demand prices stays within the budget set in "
        "its policy config."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Look at the largest items in the message (python -m stacks.exports.cost_levers and docs/cost.md show "
        "what each "
        "config lever saves): weight FARGATE_SPOT, share one NAT gateway, schedule dev services to zero at night, "
        "run ARM64 tasks, or shorten log retention. If the spend is intended, raise usd in "
        "policies/config/<stack>.json; if a usage assumption is wrong for this stack, set it under assumptions."
    ),
    types=COST_TYPES,
    check=check,
    config=CONFIG,
)
