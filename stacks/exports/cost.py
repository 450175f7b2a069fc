"""Monthly cost estimates of this project's stacks, for ``python -m stacks plan STACK --cost``.

The estimator lives inside the policy pack (``fargate_policies.costing``, installed
from ``policies/`` like any other package), which stays publishable alone. Its settings come from
the budget policy's entry in the stack's policy config
(``policies/config/<stack>.json``, key ``enforce-monthly-budget``): ``usd``,
``region``, ``assumptions`` and ``prices``. The pack reads the same entry, so
the figure the plan prints is the figure the policy checks.

Functions for the plan:

- :func:`plan_cost`: run the program offline and estimate it.
- :func:`estimate_run`: estimate a :class:`stacks.offline.runner.ProgramRun` the plan already has.
- :func:`stack_pricing_region`: the region whose prices price the stack (its own), or an error naming it.
- :func:`budget_settings` / :func:`budget_line`: the entry's settings, and a one-line verdict.
- :func:`format_estimate`, :func:`estimate_to_json`: the table and the ``cost`` object of ``--json``.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fargate_policies.costing import Estimate

    from stacks.offline.runner import ProgramRun, StackConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
PACK_DIR = REPO_ROOT / "policies"
BUDGET_POLICY = "enforce-monthly-budget"
"""Name of the budget policy whose config entry holds the cost settings."""

PolicyConfig = Mapping[str, Any] | str | Path | None
"""A policy config: a path to a JSON file, its parsed JSON, or what ``load_policy_config`` returns."""


def costing() -> ModuleType:
    """The pack's ``costing`` package, imported on first use (it is not needed by a plan without ``--cost``)."""
    return importlib.import_module("fargate_policies.costing")


def default_policy_config(stack: str, pack_dir: Path = PACK_DIR) -> Path | None:
    """``<pack>/config/<stack>.json`` when it exists."""
    path = Path(pack_dir) / "config" / f"{stack}.json"
    return path if path.is_file() else None


def budget_settings(policy_config: PolicyConfig) -> dict[str, Any]:
    """The budget policy's settings (usd, region, assumptions, prices) from a policy config, {} when absent.

    Accepts a path to the JSON file, its parsed content (``{"enforce-monthly-budget": {...}}``), or the
    ``{name: (level, props)}`` mapping of :func:`stacks.offline.policy_config.load_policy_config`.
    """
    if policy_config is None:
        return {}
    if isinstance(policy_config, str | Path):
        try:
            policy_config = json.loads(Path(policy_config).read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError) as exc:
            raise ValueError(f"policy config {policy_config}: cannot read: {exc}") from None
    if not isinstance(policy_config, Mapping):
        return {}
    entry = policy_config.get(BUDGET_POLICY)
    if isinstance(entry, tuple) and len(entry) == 2:  # load_policy_config's (level, props)
        entry = entry[1]
    if not isinstance(entry, Mapping):
        return {}
    return {k: v for k, v in entry.items() if k != "enforcementLevel"}


def stack_pricing_region(stack_config: StackConfig, policy_config: PolicyConfig = None) -> str:
    """The region whose prices price the stack: its ``aws:region`` (the budget policy reads the same region from
    the default provider), which a configured ``region`` must match.

    Raises ``costing.CostConfigError`` naming the region and the regions priced when they differ, or when the
    region has no price file: a stack is never priced at another region's prices silently.
    """
    from fargate_policies.costing.prices import pricing_region

    return pricing_region(budget_settings(policy_config).get("region"), stack_config.values.get("aws:region"))


def estimate_run(program: ProgramRun, policy_config: PolicyConfig = None) -> Estimate:
    """The estimate of an offline program run, with the budget policy's settings from ``policy_config``,
    at the prices of :func:`stack_pricing_region`."""
    region = stack_pricing_region(program.config, policy_config)
    return costing().estimate_for_config(program.resources, {**budget_settings(policy_config), "region": region})


def plan_cost(project_dir: Path | str, stack: str, policy_config: PolicyConfig = None,
              config_overrides: Mapping[str, Any] | None = None) -> Estimate:
    """Run ``stack``'s program offline (:func:`stacks.offline.runner.run_program`) and estimate its monthly cost.

    ``policy_config`` defaults to nothing (default assumptions, us-east-1); pass
    :func:`default_policy_config` to read the stack's own entry. Raises the offline errors of
    :func:`run_program` and ``costing.CostConfigError`` for invalid settings.
    """
    from stacks.offline.runner import run_program

    program = run_program(Path(project_dir), stack, config_overrides=config_overrides)
    return estimate_run(program, policy_config)


def budget_line(estimate: Estimate, policy_config: PolicyConfig) -> str | None:
    """``budget $X: within|OVER|not verified (estimate $Y, Z%)``, or None when no budget is configured.

    Not verified, as the budget policy says, when the estimate is within budget but leaves out a resource whose
    type ``allowUnpriced`` does not list.
    """
    settings = budget_settings(policy_config)
    usd = settings.get("usd")
    if isinstance(usd, bool) or not isinstance(usd, int | float):
        return None
    share = f", {estimate.total_usd / usd:.0%} of it" if usd > 0 else ""
    from fargate_policies.rules.enforce_monthly_budget import not_allowed_unpriced

    unpriced = len(not_allowed_unpriced(estimate, settings))
    if estimate.total_usd > usd:
        verdict = "OVER"
    elif unpriced:
        verdict = f"within, but not verified: {unpriced} unpriced resource(s) not in allowUnpriced"
    else:
        verdict = "within"
    return f"budget ${usd:,.2f}: {verdict} (estimate ${estimate.total_usd:,.2f}{share})"


def format_estimate(estimate: Estimate, policy_config: PolicyConfig = None) -> str:
    """The estimate as a table, followed by the budget verdict when a budget is configured."""
    text = costing().format_estimate(estimate)
    line = budget_line(estimate, policy_config)
    return f"{text}\n{line[0].upper()}{line[1:]}" if line else text


def estimate_to_json(estimate: Estimate, policy_config: PolicyConfig = None) -> dict[str, Any]:
    """The ``cost`` object of the plan's JSON: the estimate, plus ``budgetUsd`` when one is configured."""
    doc = costing().estimate_to_json(estimate)
    usd = budget_settings(policy_config).get("usd")
    if isinstance(usd, int | float) and not isinstance(usd, bool):
        doc["budgetUsd"] = usd
        doc["withinBudget"] = estimate.total_usd <= usd
    return doc
