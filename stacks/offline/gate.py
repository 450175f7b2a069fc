"""The plan's verdict: the pack's violations, the checks it could not make, and what the policy config says of them.

The pack reports two kinds of findings about values it could not see. The
pulumi-policy SDK turns a rule (or a remediation) that meets a value unknown
at preview into an advisory diagnostic ("can't run policy 'X' from policy pack 'P@v0.0.1'
during preview: ..."; the SDK writes that version whatever the pack's is),
and the pack's own ``require-verifiable-container-definitions`` reports a
task definition whose container list is unknown. :func:`decide` sets both
apart from the violations as :class:`Unknown` entries, each failing the gate
when the policy config says ``"unknowns": "mandatory"`` (or when its own
policy is mandatory), and listed otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from stacks.offline.analyzer import PolicyReport, Violation
from stacks.offline.policy_config import PolicyFile

VERIFIABLE_CONTAINERS = "require-verifiable-container-definitions"
"""The pack's policy for a task definition whose container list is unknown at preview."""

# The SDK's message (pulumi_policy/policy.py, Analyze, AnalyzeStack and Remediate), and its UnknownValueError's
# reason.
_CANT_RUN = re.compile(r"can't run (?:policy|remediation) '[^']*' from policy pack '[^']*' during preview: "
                       r"(?P<reason>.*)", re.S)
_UNKNOWN_VALUE = re.compile(r"(?P<kind>\w+) value at \.(?P<path>.+) can't be known during preview\.?")


@dataclass(frozen=True)
class Unknown:
    """A check the pack could not make on one resource (or the stack) because a value is unknown."""

    policy: str
    urn: str
    reason: str
    """What was unknown, in the plan's words."""
    failing: bool
    """Whether it fails the gate."""


@dataclass(frozen=True)
class Verdict:
    """What the plan decides from the pack's findings and the policy config."""

    violations: tuple[Violation, ...]
    """The pack's violations, the unknowns left out."""
    unknowns: tuple[Unknown, ...]
    policy_file: PolicyFile
    """The policy config used (its ``path`` is None when the pack's defaults apply)."""
    missing_file: Path | None = None
    """The stack's default policy config, looked for and not found (then ``policy_file.path`` is None)."""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level != "mandatory"]

    @property
    def failing_unknowns(self) -> list[Unknown]:
        return [u for u in self.unknowns if u.failing]

    @property
    def passed(self) -> bool:
        return not self.mandatory and not self.failing_unknowns


# Why the pack could not see a value: in a plan, `pulumi up` has not computed it yet; in an audit of a deployed
# stack, the state holds it in a form the pack cannot read (a secret exported encrypted).
AT_PREVIEW = "it is computed at `pulumi up`"
IN_STATE = "the deployed state does not show it (an encrypted secret, say)"


def unknown_reason(violation: Violation, why: str = AT_PREVIEW) -> str | None:
    """What ``violation`` says was unknown, in the plan's words; None when it is an ordinary violation."""
    if violation.policy == VERIFIABLE_CONTAINERS:
        return violation.message
    cant_run = _CANT_RUN.fullmatch(violation.message.strip())
    if cant_run is None:
        return None
    reason = cant_run["reason"].strip()
    value = _UNKNOWN_VALUE.fullmatch(reason)
    if value is not None:
        return f"{value['path']} is not known ({why})"
    return reason


def decide(report: PolicyReport, policy_file: PolicyFile, missing_file: Path | None = None,
           why: str = AT_PREVIEW) -> Verdict:
    """Split ``report``'s findings into violations and unknowns, and mark which unknowns fail the gate."""
    violations: list[Violation] = []
    unknowns: list[Unknown] = []
    for violation in report.violations:
        reason = unknown_reason(violation, why)
        if reason is None:
            violations.append(violation)
            continue
        failing = policy_file.unknowns == "mandatory" or violation.level == "mandatory"
        unknowns.append(Unknown(violation.policy, violation.urn, reason, failing))
    # A remediation and its check that could not read the same value are one unknown.
    return Verdict(tuple(violations), tuple(dict.fromkeys(unknowns)), policy_file, missing_file)
