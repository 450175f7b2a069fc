"""``--compliance``: the plan's findings per AWS Security Hub control.

The controls are the pack's own data (``fargate_policies.facts.SECURITY_HUB_CONTROLS``,
the ones about ECS, load balancers, ECR, CloudWatch, the VPC and KMS) and each
rule names the controls it checks (its ``security_hub``). A control is

- ``failed`` when a policy that checks it reports a violation (at any level),
- ``unknown`` when none does, but one could not check a value unknown at preview,
- ``passed`` when its policies ran and found nothing,
- ``not covered`` when no policy of the pack checks it, or every one is disabled.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from stacks.offline.gate import Verdict
from stacks.offline.results import PolicyReport

if TYPE_CHECKING:
    from fargate_policies.facts import SecurityHubControl

STATUSES = ("failed", "unknown", "passed", "not covered")


@dataclass(frozen=True)
class ControlResult:
    """One control, as the stack fares against it."""

    id: str
    title: str
    fsbp: bool
    """Whether the AWS Foundational Security Best Practices standard holds it."""
    url: str
    status: str
    policies: tuple[str, ...]
    """The pack's policies that check it and ran."""
    findings: int = 0
    """Violations (or, for ``unknown``, checks the pack could not make) of those policies."""
    disabled: tuple[str, ...] = ()
    """Policies that would check it, disabled by the policy config."""


def _controls_by_policy() -> tuple[dict[str, SecurityHubControl], dict[str, tuple[str, ...]]]:
    """The pack's controls, and the controls each of its policies checks (imported only for --compliance)."""
    from fargate_policies.facts import SECURITY_HUB_CONTROLS
    from fargate_policies.rules import ALL_POLICIES

    return dict(SECURITY_HUB_CONTROLS), {p.name: tuple(getattr(p, "security_hub", ())) for p in ALL_POLICIES}


def summarize(report: PolicyReport, verdict: Verdict) -> list[ControlResult]:
    """Every known control, in the data's order, with its status for this plan."""
    controls, claims = _controls_by_policy()
    ran = {p.name for p in report.pack.policies}
    results = []
    for control_id, control in controls.items():
        checking = [name for name, ids in claims.items() if control_id in ids and name in ran]
        enabled = tuple(n for n in checking if report.config.get(n, ("advisory",))[0] != "disabled")
        disabled = tuple(n for n in checking if n not in enabled)
        violations = sum(1 for v in verdict.violations if v.policy in enabled)
        unknowns = sum(1 for u in verdict.unknowns if u.policy in enabled)
        if not enabled:
            status, findings = "not covered", 0
        elif violations:
            status, findings = "failed", violations
        elif unknowns:
            status, findings = "unknown", unknowns
        else:
            status, findings = "passed", 0
        results.append(ControlResult(id=control_id, title=control.title, fsbp=control.fsbp, url=control.url,
                                     status=status, policies=enabled, findings=findings, disabled=disabled))
    return results


def counts(results: Iterable[ControlResult]) -> dict[str, int]:
    found = {status: 0 for status in STATUSES}
    for result in results:
        found[result.status] += 1
    return found


def render(results: list[ControlResult]) -> str:
    """The summary as text: one line per control, grouped by status."""
    total = counts(results)
    lines = ["Compliance: AWS Security Hub controls (* = in AWS Foundational Security Best Practices): "
             + ", ".join(f"{total[s]} {s}" for s in STATUSES)]
    width = max((len(r.id) for r in results), default=0) + 1
    for status in STATUSES:
        chosen = [r for r in results if r.status == status]
        if not chosen:
            continue
        lines += ["", f"  {status} ({len(chosen)}):"]
        for r in chosen:
            mark = "*" if r.fsbp else " "
            detail = f"{', '.join(r.policies)}" if r.policies else "no policy of the pack checks it"
            if r.findings:
                detail += f" ({r.findings} {'finding' if r.findings == 1 else 'findings'})"
            if r.disabled:
                detail += f"; disabled: {', '.join(r.disabled)}"
            lines.append(f"    {r.id + mark:<{width}}  {r.title}")
            lines.append(f"    {'':<{width}}  {detail}")
    return "\n".join(lines)


def to_json(results: list[ControlResult]) -> dict[str, object]:
    """``compliance`` in the plan's ``--json`` document."""
    return {
        "framework": "AWS Security Hub",
        "summary": counts(results),
        "controls": [{"id": r.id, "title": r.title, "fsbp": r.fsbp, "url": r.url, "status": r.status,
                      "policies": list(r.policies), "findings": r.findings, "disabled": list(r.disabled)}
                     for r in results],
    }
