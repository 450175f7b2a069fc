"""The offline plan as text for people and as JSON for tools.

:func:`render` prints the resource tree the way ``pulumi preview`` does
(``+`` for each resource, indented under its parent), counts by type, the
policy config used, how each ECS service releases a new version
(:func:`deployments`), what the policies at the level ``remediate`` changed
(one diff line per resource and property), the policy violations grouped by
enforcement level (mandatory first) with the rule's message and remediation,
the checks the pack could not make because a value is unknown, and one
summary line.
:func:`document` builds the ``--json`` document described by
``stacks/offline/plan.schema.json``.
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from stacks.offline.analyzer import PolicyReport, Violation
from stacks.offline.gate import Unknown, Verdict, decide
from stacks.offline.policy_config import PolicyFile
from stacks.offline.remediation import shown
from stacks.offline.results import Remediation
from stacks.offline.runner import ROOT_STACK_TYPE, ProgramRun, RecordedResource, to_plain

SCHEMA_VERSION = 1
_LEVEL_ORDER = ("mandatory", "remediate", "advisory", "disabled")
ECS_SERVICE = "aws:ecs/service:Service"
ROLLING = "ROLLING"


def use_color(stream: IO[str]) -> bool:
    """Colors only on a terminal, and never when NO_COLOR is set."""
    return bool(getattr(stream, "isatty", lambda: False)()) and "NO_COLOR" not in os.environ \
        and os.environ.get("TERM") != "dumb"


class _Style:
    def __init__(self, color: bool) -> None:
        self.color = color

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def red(self, text: str) -> str:
        return self._wrap("31;1", text)

    def yellow(self, text: str) -> str:
        return self._wrap("33", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def level(self, level: str, text: str) -> str:
        return self.red(text) if level == "mandatory" else self.yellow(text)


def _glyphs(stream: IO[str]) -> tuple[str, str, str, str]:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    if encoding in ("utf8", "utf16", "utf32"):
        return "├─ ", "└─ ", "│  ", "   "
    return "|- ", "`- ", "|  ", "   "


def _verdict(report: PolicyReport | None, verdict: Verdict | None) -> Verdict | None:
    if verdict is None and report is not None:
        return decide(report, PolicyFile(None))
    return verdict


def summary_line(run: ProgramRun, report: PolicyReport | None, verdict: Verdict | None = None, *,
                 audit: bool = False) -> str:
    line = f"{'Audit' if audit else 'Plan'}: {len(run.resources)} resources"
    verdict = _verdict(report, verdict)
    if report is None or verdict is None:
        return line + "; policy: not run"
    line += f"; policy: {len(verdict.mandatory)} mandatory, {len(verdict.advisory)} advisory violations"
    if report.remediations:
        line += f", {len(report.remediations)} remediated"
    if verdict.unknowns:
        failing = len(verdict.failing_unknowns)
        line += f", {len(verdict.unknowns)} unknown" + (f" ({failing} failing)" if failing else "")
    return line + f" ({report.pack.name} {report.pack.version}, {len(report.pack.policies)} policies)"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def analyzed_line(run: ProgramRun, report: PolicyReport) -> str:
    """How many resources the pack analyzed one by one, and what the others are."""
    total = len(run.resources)
    others = total - report.analyzed
    if not others:
        return f"all {total} resources analyzed one by one"
    kinds = [(sum(1 for r in run.resources if r.type == ROOT_STACK_TYPE), "stack"),
             (sum(1 for r in run.resources if not r.custom and r.type != ROOT_STACK_TYPE), "component"),
             (sum(1 for r in run.resources if r.read), "read of an existing resource")]
    what = ", ".join(_plural(count, noun) if noun != "stack" else "the stack" for count, noun in kinds if count)
    if sum(count for count, _ in kinds) != others:  # a pack client that analyzes differently: say only the count
        what = "resources the pack client does not send one by one"
    return (f"{report.analyzed} of {total} resources analyzed one by one; stack policies also see the other "
            f"{others}: {what}")


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it is under it, as a user would type it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def policy_config_line(verdict: Verdict) -> str:
    """Which policy config the plan used, and what it says of unknowns."""
    path = verdict.policy_file.path
    if path is None:
        looked = f" ({_shown(verdict.missing_file)} not found)" if verdict.missing_file is not None else ""
        return f"policy config: none{looked}; every policy runs at the pack's default level"
    return f"policy config: {_shown(path)} (unknowns: {verdict.policy_file.unknowns})"


def _tree_lines(run: ProgramRun, verdict: Verdict | None, style: _Style,
                glyphs: tuple[str, str, str, str], deployed: bool = False,
                remediations: Iterable[Remediation] = ()) -> list[str]:
    tee, last, pipe, blank = glyphs
    urns = {r.urn for r in run.resources}
    children: dict[str | None, list[RecordedResource]] = {}
    for resource in run.resources:
        parent = resource.parent if resource.parent in urns else None
        children.setdefault(parent, []).append(resource)
    findings: dict[str, Counter[str]] = {}
    for violation in verdict.violations if verdict else ():
        findings.setdefault(violation.urn, Counter())[violation.level] += 1
    for unknown in verdict.unknowns if verdict else ():
        findings.setdefault(unknown.urn, Counter())["unknown"] += 1
    for remediation in remediations:
        findings.setdefault(remediation.urn, Counter())["remediated"] += 1

    rows: list[tuple[str, str, str, bool]] = []

    def walk(resource: RecordedResource, prefix: str, branch: str) -> None:
        notes = []
        if resource.protect:
            notes.append("protected")
        for level in (*_LEVEL_ORDER, "unknown", "remediated"):
            count = findings.get(resource.urn, Counter()).get(level)
            if count:
                notes.append(style.green(f"{count} remediated") if level == "remediated"
                             else style.level(level, f"{count} {level}"))
        rows.append((prefix + branch + resource.type, resource.name, ", ".join(notes), resource.read))
        kids = children.get(resource.urn, [])
        for index, child in enumerate(kids):
            is_last = index == len(kids) - 1
            walk(child, prefix + ("" if not branch else (blank if branch == last else pipe)),
                 last if is_last else tee)

    for top in children.get(None, []):
        walk(top, "", "")
    type_width = min(max((len(t) for t, _, _, _ in rows), default=4), 72)
    name_width = min(max((len(n) for _, n, _, _ in rows), default=4), 60)
    lines = [f"     {'Type':<{type_width}}  {'Name':<{name_width}}".rstrip()]
    for type_text, name, note, read in rows:
        if read:
            op = ">-"
        elif deployed:  # already there: an audit changes nothing
            op = "  "
        else:
            op = style.green("+") + " "
        lines.append(f" {op}  {type_text:<{type_width}}  {name:<{name_width}}  {note}".rstrip())
    return lines


def _resource_label(run: ProgramRun, urn: str) -> str:
    resource = run.by_urn().get(urn)
    if resource is not None:
        return f"{resource.type} {resource.name}"
    return urn.rsplit("::", 1)[-1] if urn else "(stack)"


def _indented(text: str, prefix: str, width: int = 100) -> list[str]:
    lines: list[str] = []
    for paragraph in text.strip().splitlines() or [""]:
        wrapped = textwrap.wrap(paragraph, width=width, initial_indent=prefix, subsequent_indent=prefix,
                                break_long_words=False, break_on_hyphens=False)
        lines.extend(wrapped or [prefix.rstrip()])
    return lines


def _violation_lines(run: ProgramRun, violation: Violation, style: _Style) -> list[str]:
    lines = [f"    {style.bold(violation.policy)}: {_resource_label(run, violation.urn)}"]
    lines.extend(_indented(violation.message, "        "))
    if violation.urn:
        lines.append(style.dim(f"        urn: {violation.urn}"))
    if violation.remediation:
        fix = _indented(violation.remediation, "             ")
        fix[0] = "        fix: " + fix[0].lstrip()
        lines.extend(fix)
    return lines


def _arrow(stream: IO[str]) -> str:
    encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
    return "→" if encoding in ("utf8", "utf16", "utf32") else "->"


def _whole(value: Any) -> Any:
    """Numbers that are whole (the engine sends every number as a float) without their ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _whole(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole(v) for v in value]
    return value


def _value(value: Any) -> str:
    return "not set" if value is None else _short(json.dumps(_whole(shown(value)), sort_keys=True), 60)


def remediation_line(remediation: Remediation, arrow: str = "->") -> str:
    """One remediation as a diff line: the property, its value before and after."""
    return f"{remediation.property}: {_value(remediation.before)} {arrow} {_value(remediation.after)}"


def _remediation_lines(run: ProgramRun, remediations: Iterable[Remediation], style: _Style, arrow: str) -> list[str]:
    lines: list[str] = []
    last: tuple[str, str] | None = None
    for remediation in remediations:
        if (remediation.policy, remediation.urn) != last:
            last = (remediation.policy, remediation.urn)
            lines.append(f"    {style.bold(remediation.policy)}: {_resource_label(run, remediation.urn)}")
            lines.append(style.dim(f"        urn: {remediation.urn}"))
        lines.append(style.green(f"        ~ {remediation_line(remediation, arrow)}"))
    return lines


def _unknown_lines(run: ProgramRun, unknown: Unknown, report: PolicyReport, style: _Style) -> list[str]:
    lines = [f"    {style.bold(unknown.policy)}: {_resource_label(run, unknown.urn)}"]
    lines.extend(_indented(f"{report.pack.name} {report.pack.version} could not check it: {unknown.reason}",
                           "        "))
    if unknown.urn:
        lines.append(style.dim(f"        urn: {unknown.urn}"))
    return lines


def _unknowns_heading(verdict: Verdict) -> tuple[str, str]:
    """The unknowns section's heading, and the level it is shown in."""
    count = len(verdict.unknowns)
    failing = len(verdict.failing_unknowns)
    if verdict.policy_file.unknowns == "mandatory":
        return f"  unknown at preview ({count}), each failing the gate (unknowns: mandatory):", "mandatory"
    if failing:
        return f"  unknown at preview ({count}), {failing} failing the gate (its policy is mandatory):", "mandatory"
    return f"  unknown at preview ({count}), listed only (unknowns: advisory):", "advisory"


def _minutes(value: Any) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def deployments(run: ProgramRun) -> list[dict[str, Any]]:
    """How each ECS service releases a new version: its strategy, bake times, steps, test traffic and hooks."""
    found: list[dict[str, Any]] = []
    for resource in run.resources:
        if resource.type != ECS_SERVICE or resource.read:
            continue
        inputs = to_plain(resource.inputs)
        config = inputs.get("deploymentConfiguration") or {}
        canary = config.get("canaryConfiguration") or {}
        linear = config.get("linearConfiguration") or {}
        balancers = inputs.get("loadBalancers") or []
        aliases = [alias for svc in (inputs.get("serviceConnectConfiguration") or {}).get("services") or []
                   for alias in svc.get("clientAlias") or []]
        found.append({
            "urn": resource.urn,
            "service": resource.name,
            "strategy": str(config.get("strategy") or ROLLING),
            "bakeMinutes": _minutes(config.get("bakeTimeInMinutes")),
            "canaryPercent": canary.get("canaryPercent"),
            "canaryBakeMinutes": _minutes(canary.get("canaryBakeTimeInMinutes")),
            "linearStepPercent": linear.get("stepPercent"),
            "linearStepBakeMinutes": _minutes(linear.get("stepBakeTimeInMinutes")),
            "testTraffic": any((b.get("advancedConfiguration") or {}).get("testListenerRule") for b in balancers)
            or any(alias.get("testTrafficRules") for alias in aliases),
            "hooks": [f"{stage} ({'pause' if hook.get('targetType') == 'PAUSE' else 'Lambda'})"
                      for hook in config.get("lifecycleHooks") or [] for stage in hook.get("lifecycleStages") or []],
            "alarmRollback": bool((inputs.get("alarms") or {}).get("rollback")),
        })
    return found


def _g(number: Any) -> str:
    return f"{number:g}" if isinstance(number, int | float) else str(number)


def deployment_line(entry: dict[str, Any]) -> str:
    """One service's release, in words: "CANARY      10% for 5 min, then all; bake 10 min; alarms roll back"."""
    parts: list[str] = []
    if entry["canaryPercent"] is not None:
        parts.append(f"{_g(entry['canaryPercent'])}% for {entry['canaryBakeMinutes']} min, then all")
    if entry["linearStepPercent"] is not None:
        parts.append(f"steps of {_g(entry['linearStepPercent'])}% every {entry['linearStepBakeMinutes']} min")
    if entry["testTraffic"]:
        parts.append("test traffic first")
    if entry["hooks"]:
        parts.append("hooks: " + ", ".join(entry["hooks"]))
    if entry["bakeMinutes"] is not None:
        parts.append(f"bake {entry['bakeMinutes']} min")
    if entry["alarmRollback"]:
        parts.append("alarms roll back")
    return f"{entry['strategy']:<10}  {'; '.join(parts)}".rstrip()


def render(run: ProgramRun, report: PolicyReport | None, *, verdict: Verdict | None = None,
           stream: IO[str] | None = None, color: bool | None = None, verbose: bool = False,
           deployed_from: str | None = None) -> str:
    """The whole report as text (no trailing newline); ``verdict`` defaults to the report without a policy config.

    ``deployed_from`` names a deployed stack's state the resources were read from (an audit);
    None for a plan of the program under mocks.
    """
    stream = stream or sys.stdout
    style = _Style(use_color(stream) if color is None else color)
    verdict = _verdict(report, verdict)
    audit = deployed_from is not None
    heading = (f"Auditing stack {run.stack} of project {run.project} (deployed state from {deployed_from})"
               if audit else f"Previewing stack {run.stack} of project {run.project} (offline, with mocks)")
    out: list[str] = [heading, ""]
    out.extend(_tree_lines(run, verdict, style, _glyphs(stream), deployed=audit,
                           remediations=report.remediations if report else ()))

    counts = Counter(r.type for r in run.resources)
    out += ["", "Resources by type:"]
    width = len(str(max(counts.values(), default=0)))
    for type_token, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        out.append(f"    {count:>{width}} {type_token}")
    reads = sum(1 for r in run.resources if r.read)
    if audit:
        out.append(f"    {len(run.resources) - reads} deployed")
    else:
        out.append(f"    {style.green(f'+ {len(run.resources) - reads} to create')}")
    if reads:
        out.append(f"    >- {reads} {'read, not managed' if audit else 'to read'}")

    if run.outputs:
        out += ["", "Outputs:"]
        for key, value in sorted(run.outputs.items()):
            out.append(f"    {key}: {_short(to_plain(value))}")

    releases = deployments(run)
    if releases:
        out += ["", "Deployments:"]
        width = max(len(entry["service"]) for entry in releases)
        out.extend(f"    {entry['service']:<{width}}  {deployment_line(entry)}" for entry in releases)

    warnings = [entry for entry in run.logs if entry.severity == "warning"]
    if warnings or (verbose and run.logs):
        out += ["", "Diagnostics:"]
        for entry in run.logs if verbose else warnings:
            out.append(f"    {entry.severity}: {entry.message.strip()}")

    if report is not None and verdict is not None:
        out += ["", f"Policies: {report.pack.name} {report.pack.version}, {len(report.pack.policies)} policies",
                f"    {policy_config_line(verdict)}", f"    {analyzed_line(run, report)}"]
        by_level: dict[str, list[Violation]] = {}
        for violation in verdict.violations:
            by_level.setdefault(violation.level, []).append(violation)
        if not verdict.violations and not verdict.unknowns:
            out.append(style.green("    no violations"))
        if report.remediations:
            out += ["", style.green(f"  remediated ({len(report.remediations)}), applied before the checks as "
                                    "`pulumi up` applies them:")]
            out.extend(_remediation_lines(run, report.remediations, style, _arrow(stream)))
        for level in sorted(by_level, key=lambda lv: _LEVEL_ORDER.index(lv) if lv in _LEVEL_ORDER else 9):
            items = by_level[level]
            out += ["", style.level(level, f"  {level} ({len(items)}):")]
            for violation in items:
                out.extend(_violation_lines(run, violation, style))
        if verdict.unknowns:
            heading, level = _unknowns_heading(verdict)
            out += ["", style.level(level, heading)]
            for unknown in verdict.unknowns:
                out.extend(_unknown_lines(run, unknown, report, style))
        if verbose and report.not_applicable:
            out += ["", "  not applicable:"]
            for item in report.not_applicable:
                out.append(f"    {item.policy}: {_resource_label(run, item.urn)}: {item.reason}")

    out += ["", style.bold(summary_line(run, report, verdict, audit=audit))]
    return "\n".join(out)


def _short(value: Any, limit: int = 100) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _sorted_dict(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_dict(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_dict(v) for v in value]
    return value


def resource_entry(resource: RecordedResource) -> dict[str, Any]:
    return {
        "urn": resource.urn,
        "type": resource.type,
        "name": resource.name,
        "parent": resource.parent,
        "inputs": _sorted_dict(to_plain(resource.inputs)),
        "dependencies": list(resource.dependencies),
        "protect": resource.protect,
        "custom": resource.custom,
        "read": resource.read,
    }


def document(run: ProgramRun, report: PolicyReport | None, verdict: Verdict | None = None) -> dict[str, Any]:
    """The ``--json`` document (see ``stacks/offline/plan.schema.json``); secrets are ``"[secret]"``."""
    verdict = _verdict(report, verdict)
    violations: Iterable[Violation] = verdict.violations if verdict else ()
    unknowns: Iterable[Unknown] = verdict.unknowns if verdict else ()
    policy_file = verdict.policy_file if verdict else PolicyFile(None)
    missing = verdict.missing_file if verdict else None
    return {
        "schemaVersion": SCHEMA_VERSION,
        "project": run.project,
        "stack": run.stack,
        "resources": [resource_entry(r) for r in run.resources],
        "deployments": deployments(run),
        "policyConfig": {"path": None if policy_file.path is None else str(policy_file.path),
                         "missing": None if missing is None else str(missing),
                         "unknowns": policy_file.unknowns},
        "violations": [{"policy": v.policy, "level": v.level, "urn": v.urn, "message": v.message,
                        "severity": v.severity, "remediation": v.remediation} for v in violations],
        "unknowns": [{"policy": u.policy, "urn": u.urn, "reason": u.reason, "failing": u.failing} for u in unknowns],
        "not_applicable": [{"policy": n.policy, "urn": n.urn, "reason": n.reason}
                           for n in (report.not_applicable if report else ())],
        "remediations": [{"policy": m.policy, "urn": m.urn, "property": m.property, "before": shown(m.before),
                          "after": shown(m.after)} for m in (report.remediations if report else ())],
        "summary": {
            "resources": len(run.resources),
            "analyzed": report.analyzed if report else 0,
            "mandatory": len(verdict.mandatory) if verdict else 0,
            "advisory": len(verdict.advisory) if verdict else 0,
            "unknowns": len(verdict.unknowns) if verdict else 0,
            "remediated": len(report.remediations) if report else 0,
            "passed": verdict.passed if verdict else True,
        },
        "pack": None if report is None else {
            "name": report.pack.name,
            "version": report.pack.version,
            "policies": [{"name": p.name, "enforcementLevel": report.config.get(p.name, (p.enforcement_level,))[0],
                          "remediation": p.remediation} for p in report.pack.policies],
        },
    }
