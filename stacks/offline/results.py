"""What a policy pack says about itself and about a stack: the records the analyzer client returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PolicyInfo:
    """One policy as the pack describes it."""

    name: str
    description: str
    enforcement_level: str
    """The pack's default level (before config)."""
    policy_type: str = ""
    """``resource`` or ``stack``."""
    severity: str = ""
    remediation: str = ""
    """The rule's remediation steps."""
    display_name: str = ""
    config_schema: dict[str, Any] | None = None
    """``{"properties": ..., "required": [...]}`` when the policy takes config."""
    url: str = ""
    """Where the policy is documented."""
    tags: tuple[str, ...] = ()
    framework: dict[str, str] = field(default_factory=dict)
    """The compliance framework it belongs to: ``name``, ``version``, ``reference`` (the control) and
    ``specification`` (the control's documentation), each when the pack sets it."""


@dataclass(frozen=True)
class PackInfo:
    """The pack's name, version (from ``PulumiPolicy.yaml``, as the CLI reports it) and policies."""

    name: str
    version: str
    description: str = ""
    repository: str = ""
    policies: tuple[PolicyInfo, ...] = ()
    initial_config: dict[str, tuple[str | None, dict[str, Any]]] = field(default_factory=dict)

    def policy(self, name: str) -> PolicyInfo | None:
        return next((p for p in self.policies if p.name == name), None)


@dataclass(frozen=True)
class Violation:
    """A policy violation (or a policy that could not run during preview, as advisory)."""

    policy: str
    level: str
    urn: str
    message: str
    """The rule's own message (the policy description is in ``description``)."""
    description: str = ""
    severity: str = ""
    remediation: str = ""


@dataclass(frozen=True)
class NotApplicable:
    """A policy that declared itself not applicable to a resource (or to the stack)."""

    policy: str
    urn: str
    reason: str


@dataclass(frozen=True)
class Remediation:
    """One property a policy's remediation changed on one resource, before the pack analyzed it."""

    policy: str
    urn: str
    property: str
    """The top-level input (engine name) it changed."""
    before: Any
    """The recorded value (None when it was not set); secrets and unknowns as the recording holds them."""
    after: Any
    """The value the resource is analyzed, shown and exported with (None when the remediation removed it)."""


@dataclass(frozen=True)
class PolicyReport:
    """What the pack reported."""

    pack: PackInfo
    violations: list[Violation]
    not_applicable: list[NotApplicable]
    config: dict[str, tuple[str, dict[str, Any]]]
    """The reconciled config sent with Configure: policy -> (level, properties)."""
    unknown_policies: tuple[str, ...] = ()
    """Names in the config file that the pack does not define (ignored, as the CLI does)."""
    analyzed: int = 0
    """How many resources went through Analyze."""
    remediations: tuple[Remediation, ...] = ()
    """What the policies at the level ``remediate`` changed, resource by resource in the order analyzed."""
    remediated_inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    """URN -> the inputs after every remediation, for each resource a remediation changed."""

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level != "mandatory"]
