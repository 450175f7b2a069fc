"""checkov, in its own virtualenv, over the Terraform-plan export; and the common list of findings.

checkov pins many packages of its own, so it lives in ``bench/.venv-checkov``,
created on first use from ``bench/requirements.txt`` with ``python -m venv``
and pip. If that fails (no registry, a pin that does not install), the
benchmark reports why and runs the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
VENV_DIR = BENCH_DIR / ".venv-checkov"
REQUIREMENTS = BENCH_DIR / "requirements.txt"
INSTALL_TIMEOUT = 900.0

# checkov runs offline: no guideline download, no update check, no platform mapping.
ENVIRONMENT = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "TRUE", "LOG_LEVEL": "WARNING"}
OPTIONS = ("--framework", "terraform_plan", "-o", "json", "--compact", "--skip-download")

# Why each check checkov fails on the prod stack fails, and what would fix it (or why it does not apply).
NOTES: dict[str, str] = {
    "CKV_AWS_260": "The load balancer's security group admits 0.0.0.0/0 on port 80, whose listener only redirects "
                   "to HTTPS. By design for a public ALB; to close it set `ingressCidrs`, or drop the port-80 "
                   "listener in components/load_balancer.py when a certificate is set (clients then get no redirect).",
    "CKV_AWS_18": "Server access logging on the ALB access-log bucket itself would need a second log bucket; not "
                  "useful for a log sink. Suppress for the log bucket.",
    "CKV2_AWS_62": "S3 event notifications on the access-log bucket: no consumer needs them. Does not apply.",
    "CKV_AWS_144": "Cross-region replication of ALB access logs: not a requirement here (logs expire after "
                   "`accessLogExpirationDays`). Does not apply unless a DR policy asks for it.",
    "CKV_AWS_145": "SSE-KMS on the ALB access-log bucket: ELB access logs only support SSE-S3 (AES256), so a KMS "
                   "default would stop log delivery. Does not apply (AWS limitation).",
    "CKV_AWS_21": "Versioning on the access-log bucket. Could be turned on in components/load_balancer.py (with a "
                  "noncurrent-version expiration in the lifecycle rule); low value for append-only logs.",
    "CKV_AWS_378": "Target groups use HTTP: TLS ends at the ALB and tasks listen on plain HTTP in private subnets. "
                   "Fixing it means TLS inside every container (target group protocol HTTPS); does not apply to "
                   "this design.",
    "CKV2_AWS_76": "The web ACL lacks the AWSManagedRulesAnonymousIpList or AWSManagedRulesKnownBadInputsRuleSet "
                   "rule group (components/waf.py has both; see the WAF config).",
    "CKV2_AWS_28": "No WAFv2 web ACL is associated with the public ALB; set `wafEnabled: true`.",
    "CKV2_AWS_5": "A security group checkov sees attached to nothing: the attachment is inside a nested block whose "
                  "reference the export could not resolve (false positive of the plan view).",
    "CKV2_AWS_20": "The HTTP listener forwards instead of redirecting to HTTPS (dev's `allowHttpOnly`).",
    "CKV_AWS_2": "HTTP listener without a redirect (dev's `allowHttpOnly`).",
    "CKV_AWS_103": "HTTP listener has no TLS policy (dev's `allowHttpOnly`).",
    "CKV_AWS_150": "Deletion protection off (`deletionProtection: false`).",
    "CKV_AWS_158": "Log group without a KMS key (`createKmsKey`/`kmsKeyArn` unset).",
    "CKV_AWS_338": "Log retention below a year (`logRetentionDays`).",
    "CKV_AWS_224": "ECS Exec logging without a KMS key (`createKmsKey`/`kmsKeyArn` unset).",
    "CKV_AWS_136": "ECR repository encrypted with AES256, not KMS.",
}


@dataclass(frozen=True)
class Installation:
    """Where checkov is, or why it is not."""

    executable: Path | None
    version: str = ""
    problem: str = ""
    installed_now: bool = False


def _stamp() -> str:
    return hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]


def ensure_checkov(venv_dir: Path = VENV_DIR, *, log: Any = None) -> Installation:
    """checkov from ``venv_dir``, creating the venv and installing ``bench/requirements.txt`` if needed."""
    executable = venv_dir / "bin" / "checkov"
    stamp_file = venv_dir / ".installed"
    installed_now = False
    if not (executable.exists() and stamp_file.is_file() and stamp_file.read_text().strip() == _stamp()):
        installed_now = True
        if log:
            log(f"installing checkov into {venv_dir} (first use) ...")
        python = venv_dir / "bin" / "python"
        steps = [[sys.executable, "-m", "venv", "--clear", str(venv_dir)],
                 [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                  "-r", str(REQUIREMENTS)]]
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return Installation(None, problem=f"`{' '.join(step[:4])} ...` failed: {exc}")
            if done.returncode != 0:
                lines = [line for line in (done.stderr or done.stdout).splitlines()
                         if line.strip() and not line.startswith("WARNING: Location")]
                return Installation(None, problem=f"`{' '.join(step[:4])} ...` exited {done.returncode}: "
                                                  f"{lines[-1] if lines else 'no output'}")
        stamp_file.write_text(_stamp() + "\n")
    try:
        version = subprocess.run([str(executable), "--version"], capture_output=True, text=True, timeout=120,
                                 env={**os.environ, **ENVIRONMENT}, check=False).stdout.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Installation(None, problem=f"checkov --version failed: {exc}")
    return Installation(executable, version=version.splitlines()[-1] if version else "", installed_now=installed_now)


def command(executable: Path, plan: Path) -> list[str]:
    return [str(executable), "-f", str(plan), *OPTIONS]


def environment() -> dict[str, str]:
    return {**os.environ, **ENVIRONMENT}


@dataclass(frozen=True)
class Failure:
    check_id: str
    address: str
    name: str


@dataclass
class CheckovResult:
    passed: int = 0
    failed: list[Failure] = field(default_factory=list)
    resource_count: int = 0
    parsing_errors: int = 0


def parse_output(text: str) -> CheckovResult:
    """checkov's ``-o json`` output (one report, or a list of reports)."""
    start = text.find("{") if text.lstrip().startswith("{") else text.find("[")
    document = json.loads(text[start:]) if start >= 0 else {}
    reports = document if isinstance(document, list) else [document]
    result = CheckovResult()
    for report in reports:
        summary = report.get("summary", {})
        result.passed += int(summary.get("passed", 0))
        result.resource_count += int(summary.get("resource_count", 0))
        result.parsing_errors += int(summary.get("parsing_errors", 0))
        for item in report.get("results", {}).get("failed_checks", []):
            result.failed.append(Failure(item["check_id"], item.get("resource", ""), item.get("check_name", "")))
    return result


# ---------------------------------------------------------------------------
# The common list: (Terraform address, check) pairs from both tools.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Row:
    """One pack policy with its checkov counterparts, or one checkov check with none."""

    pack_policy: str
    checkov_ids: tuple[str, ...]
    pack: int
    checkov: int
    both: int
    pack_only: int
    checkov_only: int


def compare(pack_findings: Iterable[Mapping[str, str]], checkov_failed: Sequence[Failure],
            addresses: Mapping[str, str], policy_checkov: Mapping[str, Sequence[str]]) -> list[Row]:
    """Per pack policy (and per unmatched checkov check): findings of each tool on the same resources.

    ``addresses`` maps URN -> Terraform address; ``policy_checkov`` maps a pack policy to the checkov checks
    its rule declares as equivalent.
    """
    pack_pairs: dict[str, set[str]] = defaultdict(set)
    for finding in pack_findings:
        pack_pairs[finding["policy"]].add(addresses.get(finding["urn"], finding["urn"]))
    checkov_pairs: dict[str, set[str]] = defaultdict(set)
    for failure in checkov_failed:
        checkov_pairs[failure.check_id].add(failure.address)
    # A checkov check may be split between policies (CKV_AWS_103: HTTP listeners in one, TLS in another):
    # its finding is covered when any policy that claims the check flags the same resource.
    claimed_by: dict[str, set[str]] = defaultdict(set)
    for policy, ids in policy_checkov.items():
        for check_id in ids:
            claimed_by[check_id].add(policy)
    rows: list[Row] = []
    matched: set[str] = set()
    for policy in sorted(set(policy_checkov) | set(pack_pairs)):
        ids = tuple(policy_checkov.get(policy, ()))
        ours = pack_pairs.get(policy, set())
        theirs = set().union(*(checkov_pairs.get(i, set()) for i in ids)) if ids else set()
        covered = set().union(ours, *(pack_pairs.get(p, set()) for i in ids for p in claimed_by[i]))
        matched.update(ids)
        if not ours and not theirs and not ids:
            continue
        rows.append(Row(policy, ids, len(ours), len(theirs), len(ours & theirs), len(ours - theirs),
                        len(theirs - covered)))
    for check_id in sorted(set(checkov_pairs) - matched):
        found = checkov_pairs[check_id]
        rows.append(Row("", (check_id,), 0, len(found), 0, 0, len(found)))
    return rows


def failures_by_check(failed: Sequence[Failure]) -> list[tuple[str, str, list[str]]]:
    """(check id, check name, addresses) sorted by check id."""
    names: dict[str, str] = {}
    where: dict[str, list[str]] = defaultdict(list)
    for failure in failed:
        names[failure.check_id] = failure.name
        where[failure.check_id].append(failure.address)
    return [(c, names[c], sorted(where[c])) for c in sorted(where)]
