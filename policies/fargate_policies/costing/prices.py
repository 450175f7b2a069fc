"""Price files: one JSON file per region under ``prices/``, with partial overrides from config."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from .assumptions import CostConfigError

PRICE_DIR = Path(__file__).resolve().parent / "prices"
DEFAULT_REGION = "us-east-1"
_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+-\d+$")


class PriceTable(NamedTuple):
    """The prices of one region, as loaded from its file and overridden by config."""

    region: str
    """AWS region the prices are for."""
    as_of: str
    """Date the prices were taken from AWS's public price pages (YYYY-MM-DD)."""
    currency: str = "USD"
    """Currency of every price."""
    hours_per_month: float = 730.0
    """Hours in the billing month the estimate uses (AWS's pricing calculator uses 730)."""
    prices: Mapping[str, Mapping[str, float]] = MappingProxyType({})
    """Group (fargate, natGateway, ...) -> price name -> USD."""
    source: tuple[str, ...] = ()
    """Where the prices come from (page names)."""
    notes: str = ""
    """What the file does and does not cover."""
    overridden: tuple[str, ...] = ()
    """``group.name`` of every price the config overrode."""
    groups: Mapping[str, Mapping[str, str]] = MappingProxyType({})
    """Group -> its own ``asOf`` date and ``source`` page, for groups priced on another date than the file's."""

    def price(self, group: str, name: str) -> float:
        """One price; a missing one is a :class:`CostConfigError` naming it."""
        try:
            return float(self.prices[group][name])
        except (KeyError, TypeError, ValueError):
            raise CostConfigError(f"price {group}.{name} is missing from the {self.region} price file") from None


def available_regions() -> list[str]:
    """Regions that have a price file."""
    return sorted(p.stem for p in PRICE_DIR.glob("*.json"))


def pricing_region(configured: str | None, stack_region: str | None) -> str:
    """The region whose prices price a stack: ``configured`` when set, else the stack's own, else the default.

    A stack is never priced at another region's prices without saying so: a configured region that is not the
    stack's (when the stack's is known), or a region with no price file, raises :class:`CostConfigError` naming
    the region and the regions priced.
    """
    region = configured or stack_region or DEFAULT_REGION
    if stack_region and region != stack_region:
        raise CostConfigError(f"the stack deploys to {stack_region} but region is set to {region}: one region's "
                              f"prices cannot price another's; regions priced: {', '.join(available_regions())}")
    _price_file(region)
    return region


def _price_file(region: str) -> Path:
    if not isinstance(region, str) or not _REGION.match(region):
        raise CostConfigError(f"region {region!r} is not an AWS region name like us-east-1")
    path = PRICE_DIR / f"{region}.json"
    if not path.is_file():
        raise CostConfigError(f"no price file for region {region}; regions priced: {', '.join(available_regions())} "
                              f"(add costing/prices/{region}.json to the pack)")
    return path


def _number(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value) and value >= 0


def _check_prices(prices: Any, where: str) -> dict[str, dict[str, float]]:
    if not isinstance(prices, Mapping):
        raise CostConfigError(f"{where}: 'prices' must be an object of group -> price name -> number")
    out: dict[str, dict[str, float]] = {}
    for group, entries in prices.items():
        if not isinstance(entries, Mapping):
            raise CostConfigError(f"{where}: prices.{group} must be an object of price name -> number")
        out[group] = {}
        for name, value in entries.items():
            if not _number(value):
                raise CostConfigError(f"{where}: prices.{group}.{name}: {value!r} is not a non-negative number")
            out[group][name] = float(value)
    return out


def load_prices(region: str = DEFAULT_REGION, overrides: Mapping[str, Any] | None = None) -> PriceTable:
    """The price table of ``region`` with ``overrides`` (a partial ``{group: {name: usd}}``) applied.

    Raises :class:`CostConfigError` when the region has no price file, the file is malformed, or an override
    names a price the file does not have (so a typo cannot silently leave a price at its default).
    """
    path = _price_file(region)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CostConfigError(f"price file {path.name}: cannot read: {exc}") from None
    if not isinstance(document, Mapping):
        raise CostConfigError(f"price file {path.name}: expected an object")
    prices = _check_prices(document.get("prices"), f"price file {path.name}")
    overridden: list[str] = []
    if overrides:
        if not isinstance(overrides, Mapping):
            raise CostConfigError("prices: expected an object of group -> price name -> number")
        for group, entries in _check_prices(overrides, "prices override").items():
            if group not in prices:
                raise CostConfigError(f"prices.{group}: unknown price group; allowed: {', '.join(sorted(prices))}")
            for name, value in entries.items():
                if name not in prices[group]:
                    raise CostConfigError(f"prices.{group}.{name}: unknown price; allowed: "
                                          f"{', '.join(sorted(prices[group]))}")
                prices[group][name] = value
                overridden.append(f"{group}.{name}")
    hours = document.get("hoursPerMonth", 730)
    if not _number(hours) or hours == 0:
        raise CostConfigError(f"price file {path.name}: hoursPerMonth must be a positive number")
    source = document.get("source") or ()
    groups = document.get("groups") or {}
    if not isinstance(groups, Mapping) or not all(
            isinstance(meta, Mapping) and all(isinstance(v, str) for v in meta.values()) for meta in groups.values()):
        raise CostConfigError(f"price file {path.name}: 'groups' must be an object of group -> asOf and source text")
    return PriceTable(
        region=str(document.get("region") or region),
        as_of=str(document.get("asOf") or "unknown"),
        currency=str(document.get("currency") or "USD"),
        hours_per_month=float(hours),
        prices=prices,
        source=tuple(str(s) for s in source) if isinstance(source, list) else (str(source),),
        notes=str(document.get("notes") or ""),
        overridden=tuple(overridden),
        groups={str(group): dict(meta) for group, meta in groups.items()},
    )
