"""``python -m stacks.exports.cost_levers``: what each cost lever in config does to the monthly estimate.

Runs the real program offline (:func:`stacks.offline.runner.run_program`) for a stack
as configured and again with one config key changed, estimates both with the
pack's estimator at its default assumptions and us-east-1 prices, and writes
the results into ``docs/cost.md`` between ``<!-- levers:start -->`` and
``<!-- levers:end -->`` (and the assumptions table between
``<!-- assumptions:start -->`` and ``<!-- assumptions:end -->``).
``--check`` only compares, and exits 1 when the document is out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.exports.cost import REPO_ROOT, costing, plan_cost

DOCS = REPO_ROOT / "docs" / "cost.md"
README = REPO_ROOT / "README.md"
MARKERS = {
    "levers": ("<!-- levers:start -->", "<!-- levers:end -->"),
    "assumptions": ("<!-- assumptions:start -->", "<!-- assumptions:end -->"),
}
SERVICES_KEY = "fargate-platform:services"

Overrides = Callable[[Mapping[str, str]], dict[str, Any]]


@dataclass(frozen=True)
class Lever:
    """One config change whose effect on the estimate is documented."""

    title: str
    stack: str
    """Stack it is computed on."""
    setting: str
    """The config key(s) it changes, as the docs show them."""
    configured: str
    """The stack's value, as the docs show it."""
    changed: str
    """The value it is changed to, as the docs show it."""
    overrides: Overrides
    """Config overrides for :func:`stacks.offline.runner.run_program`, from the stack's own config values."""


@dataclass(frozen=True)
class LeverResult:
    lever: Lever
    configured_usd: float
    changed_usd: float

    @property
    def difference(self) -> float:
        return self.changed_usd - self.configured_usd


def _services(values: Mapping[str, str]) -> list[dict[str, Any]]:
    raw = values.get(SERVICES_KEY, "[]")
    services = json.loads(raw) if isinstance(raw, str) else raw
    return [dict(s) for s in services]


def _with_services(change: Callable[[dict[str, Any]], None]) -> Overrides:
    def overrides(values: Mapping[str, str]) -> dict[str, Any]:
        services = _services(values)
        for service in services:
            change(service)
        return {SERVICES_KEY: services}
    return overrides


def _drop_schedules(service: dict[str, Any]) -> None:
    service.pop("schedules", None)


def _arm64(service: dict[str, Any]) -> None:
    service["architecture"] = "ARM64"


def _rolling(service: dict[str, Any]) -> None:
    service.pop("deployment", None)

# The same service on Managed Instances: Graviton instances with 2 vCPUs and 8 GiB, as many tasks per instance
# as fit.
MANAGED_INSTANCES_SERVICE = "api"
MANAGED_INSTANCES_TYPE = "m7g.large"


def _on_managed_instances(values: Mapping[str, str]) -> dict[str, Any]:
    services = _services(values)
    for service in services:
        if service["name"] == MANAGED_INSTANCES_SERVICE:
            service["capacity"] = "managed-instances"
    return {SERVICES_KEY: services, "managedInstances": {
        "enabled": True, "architecture": "ARM64", "instanceTypes": [MANAGED_INSTANCES_TYPE], "vcpuMin": 2,
        "vcpuMax": 2, "memoryMinMib": 8192, "memoryMaxMib": 8192}}


LEVERS: tuple[Lever, ...] = (
    Lever("Spot weighting", "dev", "`fargateSpotWeight`", "3", "0",
          lambda _: {"fargateSpotWeight": 0}),
    Lever("NAT gateways", "prod", "`natStrategy`", "`one-per-az`", "`single`",
          lambda _: {"natStrategy": "single"}),
    Lever("VPC endpoints instead of NAT traffic", "prod", "`vpcEndpoints`", "`true`", "`false`",
          lambda _: {"vpcEndpoints": False}),
    Lever("Scheduled scale-to-zero", "dev", "`services[].schedules`", "night-off / morning-on", "none",
          _with_services(_drop_schedules)),
    Lever("CPU architecture", "dev", "`services[].architecture`", "`X86_64`", "`ARM64`",
          _with_services(_arm64)),
    Lever("Log retention", "dev", "`logRetentionDays`", "14", "365",
          lambda _: {"logRetentionDays": 365}),
    Lever("Releases beside the running version", "prod", "`services[].deployment.strategy`",
          "`canary` / `blue-green`", "`rolling`", _with_services(_rolling)),

    Lever("Fargate vs managed instances", "prod", f"`services[{MANAGED_INSTANCES_SERVICE}].capacity`",
          "Fargate (cluster default)", f"`managed-instances` ({MANAGED_INSTANCES_TYPE})", _on_managed_instances),
)


def compute_levers(project_dir: Path = REPO_ROOT, levers: Sequence[Lever] = LEVERS,
                   baselines: Mapping[str, float] | None = None) -> list[LeverResult]:
    """Each lever's estimate as configured and changed (default assumptions, us-east-1 prices).

    ``baselines`` (stack -> estimate as configured) saves a program run per stack when the caller has them.
    """
    from stacks.offline.runner import load_stack_config

    baselines = dict(baselines or {})
    results: list[LeverResult] = []
    for lever in levers:
        if lever.stack not in baselines:
            baselines[lever.stack] = plan_cost(project_dir, lever.stack).total_usd
        values = load_stack_config(Path(project_dir), lever.stack).values
        changed = plan_cost(project_dir, lever.stack, config_overrides=lever.overrides(values)).total_usd
        results.append(LeverResult(lever, baselines[lever.stack], changed))
    return results


def _money(value: float) -> str:
    return f"${value:,.2f}"


def _signed(value: float, base: float) -> str:
    sign = "+" if value >= 0 else "-"
    ratio = abs(value) / base if base else None
    share = "" if ratio is None else f" ({sign}{ratio:.1%})" if ratio < 0.1 else f" ({sign}{ratio:.0%})"
    return f"{sign}${abs(value):,.2f}{share}"


def render_levers(results: Sequence[LeverResult]) -> str:
    """The levers table, with each stack's estimate as configured and the endpoint break-even."""
    lines = [
        "| Lever | Stack | Setting | As configured | Changed to | Estimate as configured | Estimate changed "
        "| Difference |",
        "|---|---|---|---|---|---:|---:|---:|",
    ]
    for r in results:
        lv = r.lever
        change = _signed(r.difference, r.configured_usd)
        lines.append(f"| {lv.title} | {lv.stack} | {lv.setting} | {lv.configured} | {lv.changed} | "
                     f"{_money(r.configured_usd)} | {_money(r.changed_usd)} | {change} |")
    table = costing().load_prices()
    az_hour = table.price("vpcEndpoint", "interfaceAzHour")
    saving = table.price("natGateway", "gb") - table.price("vpcEndpoint", "gb")
    hours = table.hours_per_month
    lines += [
        "",
        f"Interface endpoints pay for themselves once the traffic they take off the NAT gateways exceeds "
        f"{_money(az_hour * hours)} per endpoint and AZ divided by ${saving:.3f}/GB (the NAT processing price "
        f"less the endpoint's), about {az_hour * hours / saving:,.0f} GB per endpoint-AZ per month.",
    ]
    return "\n".join(lines)


def render_assumptions() -> str:
    """The usage assumptions with their defaults."""
    lines = ["| Assumption | Default | Unit | What it is |", "|---|---:|---|---|"]
    for a in costing().ASSUMPTIONS:
        default = f"{int(a.default):,}" if float(a.default).is_integer() else f"{a.default:g}"
        lines.append(f"| `{a.key}` | {default} | {a.unit} | {a.description} |")
    return "\n".join(lines)


def replace_block(document: str, name: str, body: str) -> str:
    """``document`` with the text between ``name``'s markers replaced by ``body``."""
    start, end = MARKERS[name]
    head, found, rest = document.partition(start)
    if not found or end not in rest:
        raise ValueError(f"{start} ... {end} not found")
    _, _, tail = rest.partition(end)
    return f"{head}{start}\n{body}\n{end}{tail}"


def block(document: str, name: str) -> str | None:
    """The text between ``name``'s markers, or None when they are missing."""
    start, end = MARKERS[name]
    _, found, rest = document.partition(start)
    if not found or end not in rest:
        return None
    return rest.partition(end)[0].strip("\n")


def updated_document(document: str, results: Sequence[LeverResult]) -> str:
    """``document`` with both generated blocks brought up to date."""
    document = replace_block(document, "levers", render_levers(results))
    return replace_block(document, "assumptions", render_assumptions())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stacks.exports.cost_levers",
        description="Compute what each cost lever in config does to the monthly estimate and write the table "
                    "into docs/cost.md.",
    )
    parser.add_argument("--docs", type=Path, default=DOCS, help="document to update (default: docs/cost.md)")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT, help="Pulumi project (default: the repo)")
    parser.add_argument("--check", action="store_true", help="only compare; exit 1 when the document is stale")
    args = parser.parse_args(argv)

    from stacks.offline.runner import OfflineError

    try:
        results = compute_levers(args.project_dir)
        # The cost document carries both tables; the README shows the levers table too.
        targets = [(args.docs, lambda text: updated_document(text, results))]
        if args.docs == DOCS:
            targets.append((README, lambda text: replace_block(text, "levers", render_levers(results))))
        changes = [(path, path.read_text(encoding="utf-8"), update) for path, update in targets]
        changes = [(path, before, update(before)) for path, before, update in changes]
    except (OSError, ValueError, OfflineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(render_levers(results))
    stale = [(path, after) for path, before, after in changes if after != before]
    if args.check and stale:
        print(", ".join(str(p) for p, _ in stale) + " out of date; run python -m stacks.exports.cost_levers",
              file=sys.stderr)
        return 1
    for path, after in stale:
        path.write_text(after, encoding="utf-8")
        print(f"updated {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
