"""Monthly cost estimates of a stack, from the resources it declares and AWS's published on-demand prices.

Self-contained inside the policy pack (standard library only), so the pack can
be published alone; the plan (``stacks/exports/cost.py``) imports it by putting the
pack directory on ``sys.path``. It reads both shapes a stack comes in: the
plan's recorded resources and the pack's ``PolicyResource`` objects.

- :func:`estimate` prices every resource: Fargate task-hours (Spot split,
  ARM64, extra ephemeral storage, scheduled scale-downs), NAT gateways, public
  IPv4 addresses, load balancers, CloudWatch logs, alarms, dashboards and
  Container Insights, WAF, interface VPC endpoints, KMS keys, S3, ECR and
  Secrets Manager. Types known to be free are listed in
  :data:`FREE_TYPES`; anything else is reported in ``Estimate.unpriced``,
  never counted as zero silently.
- :func:`load_prices` reads ``prices/<region>.json`` with partial overrides.
- :data:`ASSUMPTIONS` documents every usage assumption and its default.
- :func:`estimate_for_config` takes the budget policy's config entry
  (``region``, ``prices``, ``assumptions``), so the pack and the plan agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .assumptions import ASSUMPTIONS, DEFAULT_ASSUMPTIONS, Assumption, CostConfigError, assumptions_schema
from .estimator import SHARED, Estimate, Item, Unpriced, estimate
from .prices import DEFAULT_REGION, PriceTable, available_regions, load_prices
from .render import estimate_to_json, format_estimate
from .tokens import FREE_TYPES, PRICED_TYPES, TYPES_READ

__all__ = [
    "ASSUMPTIONS", "DEFAULT_ASSUMPTIONS", "DEFAULT_REGION", "FREE_TYPES", "PRICED_TYPES", "SHARED", "TYPES_READ",
    "Assumption", "CostConfigError", "Estimate", "Item", "PriceTable", "Unpriced", "assumptions_schema",
    "available_regions", "estimate", "estimate_for_config", "estimate_to_json", "format_estimate", "load_prices",
]


def estimate_for_config(resources: Any, config: Mapping[str, Any] | None) -> Estimate:
    """The estimate with the settings of a budget policy config entry: ``region``, ``prices``, ``assumptions``.

    Other keys (``usd``, ``enforcementLevel``) are ignored. Raises :class:`CostConfigError` on bad settings.
    """
    config = config if isinstance(config, Mapping) else {}
    region = config.get("region") or DEFAULT_REGION
    return estimate(resources, prices=config.get("prices") or None, assumptions=config.get("assumptions") or None,
                    region=region)
