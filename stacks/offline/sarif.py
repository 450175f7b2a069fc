"""``--sarif FILE``: the plan's findings as SARIF 2.1.0, for code-scanning tools (GitHub code scanning and others).

One run: the tool is the policy pack (its name, version and repository) with
one rule per policy (description, remediation steps as help, documentation
URL, tags, and GitHub's ``security-severity`` from the policy's severity).
One result per finding: a violation (``error`` when mandatory, ``warning``
otherwise), a check the pack could not make (``error`` when it fails the
gate, else ``warning``) and a remediation the pack applied (``note``). A
result points at the stack's config file (``Pulumi.<stack>.yaml``, else the
program's main file), where the environment's values are set, and names the
resource by its URN as a logical location.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from stacks.offline.gate import Verdict
from stacks.offline.report import remediation_line
from stacks.offline.results import PolicyReport
from stacks.offline.runner import ProgramRun

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
# GitHub code scanning ranks a rule by its security-severity: over 9.0 critical, 7.0 to 8.9 high, 4.0 to 6.9
# medium, 0.1 to 3.9 low.
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "2.5"}


def artifact(run: ProgramRun, base: Path | None = None) -> str:
    """The file findings point at: the stack's config file, else the program; relative to ``base`` (the
    working directory) when under it, as code-scanning tools resolve paths from the repository's root."""
    config = run.config
    stack_file = Path(config.project_dir) / f"Pulumi.{run.stack}.yaml"
    target = (stack_file if stack_file.is_file() else Path(config.main)).resolve()
    try:
        return target.relative_to((base or Path.cwd()).resolve()).as_posix()
    except ValueError:
        return target.as_uri()


def _rule(policy: Any) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": policy.name,
        "name": "".join(word.capitalize() for word in policy.name.split("-")),
        "shortDescription": {"text": policy.display_name or policy.description},
        "fullDescription": {"text": policy.description},
        "help": {"text": policy.remediation or policy.description},
        "properties": {"tags": list(policy.tags)},
    }
    if policy.url:
        rule["helpUri"] = policy.url
    if policy.severity in SECURITY_SEVERITY:
        rule["properties"]["security-severity"] = SECURITY_SEVERITY[policy.severity]
        rule["properties"]["problem.severity"] = "error" if policy.severity in ("critical", "high") else "warning"
    if policy.framework:
        rule["properties"]["framework"] = dict(policy.framework)
    return rule


def _result(rule_index: dict[str, int], policy: str, urn: str, level: str, text: str, location: str,
            run: ProgramRun) -> dict[str, Any]:
    resource = run.by_urn().get(urn)
    logical = {"fullyQualifiedName": urn or f"{run.project}/{run.stack}", "kind": "resource"}
    if resource is not None:
        logical["name"] = resource.name
    fingerprint = hashlib.sha256(f"{policy}\0{urn}\0{text}".encode()).hexdigest()
    result: dict[str, Any] = {
        "ruleId": policy,
        "level": level,
        "message": {"text": text},
        "locations": [{
            "physicalLocation": {"artifactLocation": {"uri": location}, "region": {"startLine": 1}},
            "logicalLocations": [logical],
        }],
        "partialFingerprints": {"policyResourceMessage/v1": fingerprint},
    }
    if policy in rule_index:
        result["ruleIndex"] = rule_index[policy]
    return result


def document(run: ProgramRun, report: PolicyReport, verdict: Verdict, *, base: Path | None = None) -> dict[str, Any]:
    """The SARIF log of the plan (secrets never appear: remediated values show as the report shows them)."""
    rules = [_rule(p) for p in report.pack.policies]
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    location = artifact(run, base)
    results = []
    for v in verdict.violations:
        level = "error" if v.level == "mandatory" else "warning"
        results.append(_result(index, v.policy, v.urn, level, v.message, location, run))
    for u in verdict.unknowns:
        text = f"{report.pack.name} {report.pack.version} could not check it: {u.reason}"
        results.append(_result(index, u.policy, u.urn, "error" if u.failing else "warning", text, location, run))
    for m in report.remediations:
        text = f"Remediated before the checks: {remediation_line(m)}"
        results.append(_result(index, m.policy, m.urn, "note", text, location, run))
    driver: dict[str, Any] = {"name": report.pack.name, "version": report.pack.version, "rules": rules}
    if report.pack.repository:
        driver["informationUri"] = report.pack.repository
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": driver},
            "automationDetails": {"id": f"{run.project}/{run.stack}/"},
            "results": results,
        }],
    }
