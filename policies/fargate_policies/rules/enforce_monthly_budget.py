"""enforce-monthly-budget: the stack's estimated monthly cost stays within the budget its config sets.

The estimate comes from :mod:`costing` (inside this pack): every resource the
stack declares, priced at the published on-demand prices of the stack's region
(its default AWS provider's), with usage assumptions for what a plan cannot
know (log volume, traffic). The same config entry drives
``python -m stacks plan STACK --cost``, so the plan shows the figure this rule
checks.

What has no price is never left out quietly: a stack within its budget but
with unpriced resources is a finding too (the budget is not verified), unless
their types are listed under ``allowUnpriced``; the over-budget message lists
them as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from fargate_policies.costing import TYPES_READ as COST_TYPES
from fargate_policies.costing import CostConfigError, Estimate, Unpriced, assumptions_schema, estimate_for_config
from fargate_policies.costing.prices import pricing_region
from fargate_policies.costing.render import unpriced_entry

from ._common import NotApplicable, get, stack_rule

NAME = "enforce-monthly-budget"
LARGEST_COUNT = 3
AWS_PROVIDER = "pulumi:providers:aws"

MSG_OVER_BUDGET = (
    "the estimated monthly cost is ${total:,.2f}, over the budget of ${budget:,.2f} by ${over:,.2f} "
    "({region} on-demand prices as of {as_of})"
)
MSG_WITHIN_UNVERIFIED = (
    "the estimated monthly cost is ${total:,.2f}, within the budget of ${budget:,.2f}, but it leaves out what has "
    "no price, so the budget is not verified"
)
MSG_LARGEST = "largest items: {items}"
MSG_ITEM = "{name} ${usd:,.2f}"
MSG_UNPRICED = "{count} resource(s) with no price are not included: {items}"
MSG_ALLOW_UNPRICED = "list their types under allowUnpriced to accept an estimate without them"
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
        "type": ["string", "null"],
        "pattern": "^[a-z]{2}(-[a-z0-9]+)+-[0-9]+$",
        "default": None,
        "description": "Region whose price file (costing/prices/<region>.json) prices the stack; it must be the "
                       "stack's own. null (the default): the stack's region.",
    },
    "allowUnpriced": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Resource types the estimate may leave out for want of a price. Any other unpriced resource "
                       "is a finding, since the budget cannot be verified without it.",
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


def unpriced_message(estimate: Estimate) -> str:
    """Every resource the estimate leaves out, as ``python -m stacks plan --cost`` lists them."""
    return MSG_UNPRICED.format(count=len(estimate.unpriced),
                               items=", ".join(unpriced_entry(u) for u in estimate.unpriced))


def over_budget_message(estimate: Estimate, budget: float) -> str:
    """The violation message: total, budget, overrun, the largest items and what was left unpriced."""
    parts = [MSG_OVER_BUDGET.format(total=estimate.total_usd, budget=budget, over=estimate.total_usd - budget,
                                    region=estimate.region, as_of=estimate.as_of)]
    largest = estimate.largest(LARGEST_COUNT)
    if largest:
        parts.append(MSG_LARGEST.format(items=", ".join(
            MSG_ITEM.format(name=i.name, usd=i.monthly_usd) for i in largest)))
    if estimate.unpriced:
        parts.append(unpriced_message(estimate))
    return "; ".join(parts) + "."


def unverified_message(estimate: Estimate, budget: float) -> str:
    """The violation message of a stack within budget whose estimate leaves out resources not allowed to be."""
    return "; ".join([MSG_WITHIN_UNVERIFIED.format(total=estimate.total_usd, budget=budget),
                      unpriced_message(estimate), MSG_ALLOW_UNPRICED]) + "."


def not_allowed_unpriced(estimate: Estimate, config: Mapping[str, Any]) -> list[Unpriced]:
    """What the estimate leaves out and ``allowUnpriced`` does not accept: each makes the budget unverified."""
    allowed = set(config.get("allowUnpriced") or ())
    return [u for u in estimate.unpriced if u.type not in allowed]


def _budget(config: Mapping[str, Any]) -> float | None:
    value = config.get("usd") if isinstance(config, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def stack_region(resources: Iterable[Any]) -> str | None:
    """The region of the stack's default AWS provider, as the engine shows it with each resource; None if unseen."""
    for resource in resources:
        provider = getattr(resource, "provider", None)
        if (provider is not None and getattr(provider, "resource_type", "") == AWS_PROVIDER
                and str(getattr(provider, "name", "")).startswith("default")):
            region = get(provider.props, "region")
            if isinstance(region, str) and region:
                return region
    return None


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    try:
        region = pricing_region(config.get("region"), stack_region(resources))
        estimate = estimate_for_config(resources, {**config, "region": region})
    except CostConfigError as exc:
        yield None, MSG_BAD_CONFIG.format(problem=exc)
        return
    budget = _budget(config)
    if budget is None:
        raise NotApplicable(MSG_NO_BUDGET)
    if estimate.total_usd > budget:
        yield None, over_budget_message(estimate, budget)
    elif not_allowed_unpriced(estimate, config):
        yield None, unverified_message(estimate, budget)


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
        "policies/config/<stack>.json; if a usage assumption is wrong for this stack, set it under assumptions; "
        "if a resource type has no price, list it under allowUnpriced once its cost is accounted for elsewhere."
    ),
    types=COST_TYPES,
    check=check,
    tags=["cost"],
    config=CONFIG,
)
