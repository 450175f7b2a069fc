"""What the pack's remediations change, and the plan with them applied.

At the level ``remediate`` a policy may rewrite a resource's inputs before it
is checked: the engine sends each resource to the pack's ``Remediate`` first
and registers (and analyzes) what comes back. :func:`changes` turns one
remediation into a diff per top-level property; :func:`applied` gives the
plan's resources the inputs they were analyzed with, so that the report, the
``--json`` document and the exports show what ``pulumi up`` would deploy.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from stacks.offline.results import PolicyReport, Remediation
from stacks.offline.runner import ProgramRun, SecretValue, to_plain

_ABSENT = object()


def _comparable(value: Any) -> Any:
    """``value`` as the wire compares it: tuples as lists, secrets marked, numbers as numbers."""
    if isinstance(value, SecretValue):
        return ("secret", _comparable(value.value))
    if isinstance(value, Mapping):
        return {str(k): _comparable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_comparable(v) for v in value]
    return value


def changes(policy: str, urn: str, before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Remediation]:
    """One :class:`Remediation` per top-level property that differs between ``before`` and ``after``."""
    found = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, _ABSENT), after.get(key, _ABSENT)
        if old is _ABSENT or new is _ABSENT or _comparable(old) != _comparable(new):
            found.append(Remediation(policy=policy, urn=urn, property=key,
                                     before=None if old is _ABSENT else old, after=None if new is _ABSENT else new))
    return found


def applied(run: ProgramRun, report: PolicyReport | None) -> ProgramRun:
    """``run`` with each remediated resource's new inputs."""
    if report is None or not report.remediated_inputs:
        return run
    resources = [dataclasses.replace(r, inputs=report.remediated_inputs[r.urn]) if r.urn in report.remediated_inputs
                 else r for r in run.resources]
    return dataclasses.replace(run, resources=resources)


def shown(value: Any) -> Any:
    """A remediated value as the report and ``--json`` show it: secrets and unknowns as placeholders."""
    return to_plain(value)
