"""The offline plan as text for people and as JSON for tools.

:func:`render` prints the resource tree the way ``pulumi preview`` does
(``+`` for each resource, indented under its parent), counts by type, the
policy violations grouped by enforcement level (mandatory first) with the
rule's message and remediation, and one summary line. :func:`document`
builds the ``--json`` document described by ``stacks/offline/plan.schema.json``.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections import Counter
from collections.abc import Iterable
from typing import IO, Any

from stacks.offline.analyzer import PolicyReport, Violation
from stacks.offline.runner import ProgramRun, RecordedResource, to_plain

SCHEMA_VERSION = 1
_LEVEL_ORDER = ("mandatory", "remediate", "advisory", "disabled")


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


def summary_line(run: ProgramRun, report: PolicyReport | None) -> str:
    line = f"Plan: {len(run.resources)} resources"
    if report is None:
        return line + "; policy: not run"
    return (f"{line}; policy: {len(report.mandatory)} mandatory, {len(report.advisory)} advisory violations "
            f"({report.pack.name} {report.pack.version}, {len(report.pack.policies)} policies)")


def _tree_lines(run: ProgramRun, report: PolicyReport | None, style: _Style,
                glyphs: tuple[str, str, str, str]) -> list[str]:
    tee, last, pipe, blank = glyphs
    urns = {r.urn for r in run.resources}
    children: dict[str | None, list[RecordedResource]] = {}
    for resource in run.resources:
        parent = resource.parent if resource.parent in urns else None
        children.setdefault(parent, []).append(resource)
    findings: dict[str, Counter[str]] = {}
    for violation in report.violations if report else ():
        findings.setdefault(violation.urn, Counter())[violation.level] += 1

    rows: list[tuple[str, str, str, bool]] = []

    def walk(resource: RecordedResource, prefix: str, branch: str) -> None:
        notes = []
        if resource.protect:
            notes.append("protected")
        for level in _LEVEL_ORDER:
            count = findings.get(resource.urn, Counter()).get(level)
            if count:
                notes.append(style.level(level, f"{count} {level}"))
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
        op = ">-" if read else style.green("+") + " "
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


def render(run: ProgramRun, report: PolicyReport | None, *, stream: IO[str] | None = None,
           color: bool | None = None, verbose: bool = False) -> str:
    """The whole report as text (no trailing newline)."""
    stream = stream or sys.stdout
    style = _Style(use_color(stream) if color is None else color)
    out: list[str] = [f"Previewing stack {run.stack} of project {run.project} (offline, with mocks)", ""]
    out.extend(_tree_lines(run, report, style, _glyphs(stream)))

    counts = Counter(r.type for r in run.resources)
    out += ["", "Resources by type:"]
    width = len(str(max(counts.values(), default=0)))
    for type_token, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        out.append(f"    {count:>{width}} {type_token}")
    reads = sum(1 for r in run.resources if r.read)
    out.append(f"    {style.green(f'+ {len(run.resources) - reads} to create')}")
    if reads:
        out.append(f"    >- {reads} to read")

    if run.outputs:
        out += ["", "Outputs:"]
        for key, value in sorted(run.outputs.items()):
            out.append(f"    {key}: {_short(to_plain(value))}")

    warnings = [entry for entry in run.logs if entry.severity == "warning"]
    if warnings or (verbose and run.logs):
        out += ["", "Diagnostics:"]
        for entry in run.logs if verbose else warnings:
            out.append(f"    {entry.severity}: {entry.message.strip()}")

    if report is not None:
        out += ["", f"Policies: {report.pack.name} {report.pack.version}, {len(report.pack.policies)} policies, "
                    f"{report.analyzed} resources analyzed"]
        for name in report.unknown_policies:
            out.append(style.yellow(f"    warning: the policy config names '{name}', which the pack does not define"))
        by_level: dict[str, list[Violation]] = {}
        for violation in report.violations:
            by_level.setdefault(violation.level, []).append(violation)
        if not report.violations:
            out.append(style.green("    no violations"))
        for level in sorted(by_level, key=lambda lv: _LEVEL_ORDER.index(lv) if lv in _LEVEL_ORDER else 9):
            items = by_level[level]
            out += ["", style.level(level, f"  {level} ({len(items)}):")]
            for violation in items:
                out.extend(_violation_lines(run, violation, style))
        if verbose and report.not_applicable:
            out += ["", "  not applicable:"]
            for item in report.not_applicable:
                out.append(f"    {item.policy}: {_resource_label(run, item.urn)}: {item.reason}")

    out += ["", style.bold(summary_line(run, report))]
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


def document(run: ProgramRun, report: PolicyReport | None) -> dict[str, Any]:
    """The ``--json`` document (see ``stacks/offline/plan.schema.json``); secrets are ``"[secret]"``."""
    violations: Iterable[Violation] = report.violations if report else ()
    return {
        "schemaVersion": SCHEMA_VERSION,
        "project": run.project,
        "stack": run.stack,
        "resources": [resource_entry(r) for r in run.resources],
        "violations": [{"policy": v.policy, "level": v.level, "urn": v.urn, "message": v.message,
                        "severity": v.severity, "remediation": v.remediation} for v in violations],
        "not_applicable": [{"policy": n.policy, "urn": n.urn, "reason": n.reason}
                           for n in (report.not_applicable if report else ())],
        "summary": {
            "resources": len(run.resources),
            "mandatory": len(report.mandatory) if report else 0,
            "advisory": len(report.advisory) if report else 0,
        },
        "pack": None if report is None else {
            "name": report.pack.name,
            "version": report.pack.version,
            "policies": [{"name": p.name, "enforcementLevel": report.config.get(p.name, (p.enforcement_level,))[0],
                          "remediation": p.remediation} for p in report.pack.policies],
        },
    }
