"""An estimate as a table for people and as JSON for tools."""

from __future__ import annotations

from typing import Any

from .estimator import Estimate, Unpriced

_TYPE_WIDTH = 26
_NAME_WIDTH = 34


def _short_type(token: str) -> str:
    """``aws:ecs/service:Service`` -> ``ecs/service``: enough to tell types apart in a table."""
    parts = token.split(":")
    return parts[1] if len(parts) == 3 and parts[0] == "aws" else token


def _cut(value: str, width: int) -> str:
    return value if len(value) <= width else value[: width - 1] + "…"


def unpriced_entry(entry: Unpriced) -> str:
    """One resource the estimate leaves out, as the table and the budget policy both list it."""
    reason = f": {entry.reason}" if entry.reason else ""
    return f"{entry.type} {entry.urn.rsplit('::', 1)[-1]}{reason}"


def format_estimate(estimate: Estimate, *, details: bool = True) -> str:
    """A readable table: one line per priced resource, subtotals per service, the total and what is unpriced."""
    lines = [f"Monthly cost estimate ({estimate.currency}, {estimate.region} on-demand prices as of "
             f"{estimate.as_of}, {estimate.hours_per_month:g} h/month)"]
    if estimate.prices_overridden:
        lines.append(f"  prices overridden by config: {', '.join(estimate.prices_overridden)}")
    service_width = max([len("SERVICE"), *(len(i.service) for i in estimate.items)])
    header = f"  {'SERVICE':<{service_width}}  {'RESOURCE':<{_NAME_WIDTH}}  {'TYPE':<{_TYPE_WIDTH}}  {'MONTHLY':>10}"
    lines.append(header + ("  DETAIL" if details else ""))
    for item in estimate.items:
        row = (f"  {item.service:<{service_width}}  {_cut(item.name, _NAME_WIDTH):<{_NAME_WIDTH}}  "
               f"{_cut(_short_type(item.type), _TYPE_WIDTH):<{_TYPE_WIDTH}}  {item.monthly_usd:>10,.2f}")
        lines.append(row + (f"  {item.detail}" if details else ""))
    if not estimate.items:
        lines.append("  (no priced resources)")
    lines.append("")
    lines.append("By service:")
    for service, usd in estimate.by_service.items():
        lines.append(f"  {service:<{service_width}}  {usd:>10,.2f}")
    lines.append(f"Total: ${estimate.total_usd:,.2f} per month")
    if estimate.unpriced:
        lines.append(f"Unpriced, not included ({len(estimate.unpriced)}):")
        lines.extend(f"  {unpriced_entry(entry)}" for entry in estimate.unpriced)
    return "\n".join(lines)


def estimate_to_json(estimate: Estimate) -> dict[str, Any]:
    """The estimate as a JSON-ready dict (for the plan's ``--json`` under ``cost``); amounts rounded to cents."""
    return {
        "currency": estimate.currency,
        "region": estimate.region,
        "pricesAsOf": estimate.as_of,
        "hoursPerMonth": estimate.hours_per_month,
        "totalUsd": round(estimate.total_usd, 2),
        "byService": {service: round(usd, 2) for service, usd in estimate.by_service.items()},
        "items": [
            {"urn": i.urn, "type": i.type, "name": i.name, "service": i.service,
             "monthlyUsd": round(i.monthly_usd, 2), "detail": i.detail}
            for i in estimate.items
        ],
        "unpriced": [{"urn": u.urn, "type": u.type, "reason": u.reason} for u in estimate.unpriced],
        "assumptions": dict(estimate.assumptions),
        "pricesOverridden": list(estimate.prices_overridden),
    }
