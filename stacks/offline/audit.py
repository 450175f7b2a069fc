"""``python -m stacks audit FILE|STACK``: check a deployed stack's state against the policy pack.

The plan checks what the program *would* deploy; the audit checks what *is*
deployed, as the stack's state records it: a console edit adopted by
``pulumi refresh``, or resources deployed before a rule existed. It reads the
output of ``pulumi stack export`` (:mod:`stacks.offline.deployment`), or
exports STACK through the Automation API (:func:`stacks.automation.driver.export_deployment`,
which needs the Pulumi CLI), and runs the CrossGuard pack over every resource
with its recorded inputs, through the same analyzer protocol and into the same
report as ``python -m stacks plan``.

The policy config defaults to ``<pack>/config/<stack>.json``, the stack named
by the export's root stack URN (``--stack`` names another), and the plan's
gate decides (:mod:`stacks.offline.gate`): a value the pack could not see (in
a deployed state, a secret exported encrypted) fails it under
``"unknowns": "mandatory"``.

Exit codes, as the plan's: 0 the gate passes; 1 a mandatory violation, or a
failing unknown; 2 the export, the policy config or the pack is invalid (one
line on stderr naming the file); 130 interrupted. Auditing STACK adds the
Automation API driver's codes (3: no Pulumi CLI; 5: no such stack; see
``docs/automation.md``).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from stacks.offline.plan import (
    EXIT_INTERRUPTED,
    EXIT_MANDATORY,
    EXIT_OK,
    REPO_ROOT,
    _error,
    _find_policy_config,
    _write_json,
)

# The pack's client and the Pulumi SDK are imported when an audit runs, not when `python -m stacks` builds
# its parser: every other command would pay for them.
if TYPE_CHECKING:
    from stacks.offline.analyzer import PolicyReport
    from stacks.offline.deployment import DeployedStack
    from stacks.offline.gate import Verdict
    from stacks.offline.runner import ProgramRun

DEFAULT_PACK = REPO_ROOT / "policies"
STDIN = "-"
"""The file name that reads the export from standard input."""


def audit_errors() -> tuple[type[Exception], ...]:
    """What :func:`audit_deployment` raises for bad input; each one's ``str()`` is one line naming the file."""
    from stacks.offline.analyzer import PolicyPackError
    from stacks.offline.policy_config import PolicyConfigError
    from stacks.offline.runner import OfflineError

    return OfflineError, PolicyPackError, PolicyConfigError


@dataclass(frozen=True)
class Audit:
    """A deployed stack as the policy pack judged it."""

    deployed: DeployedStack
    """What the export holds."""
    run: ProgramRun
    """The deployed resources in the shape the report shows a plan in."""
    report: PolicyReport
    """The pack's findings."""
    verdict: Verdict
    """The plan's gate over those findings, with the policy config used."""

    @property
    def policy_config(self) -> Path | None:
        """The policy config file used; None: the pack's default levels."""
        return self.verdict.policy_file.path

    @property
    def failed(self) -> bool:
        """Whether the gate fails (exit 1): a mandatory violation, or a failing unknown."""
        return not self.verdict.passed


def audit_deployment(deployed: DeployedStack, *, pack_dir: Path = DEFAULT_PACK, policy_config: Path | None = None,
                     stack: str | None = None) -> Audit:
    """Run the pack over ``deployed``'s resources.

    ``stack`` (default: the export's) chooses the default policy config and is
    the stack the pack is told it runs for; ``policy_config`` overrides the
    default. Raises one of :func:`audit_errors`.
    """
    from stacks.offline.analyzer import run_policy_pack
    from stacks.offline.gate import IN_STATE, decide
    from stacks.offline.policy_config import PolicyFile, check_policy_names, load_policy_file
    from stacks.offline.runner import ProgramRun, StackConfig

    stack = stack or deployed.stack
    config_path, missing = _find_policy_config(policy_config, Path(pack_dir), stack)
    policy_file = load_policy_file(config_path) if config_path is not None else PolicyFile(None)
    source = f"policy config {config_path}" if config_path else "policy config"
    # No remediation: what is deployed is judged as it is (a policy at the level remediate reports what the next
    # `pulumi up` would fix, as mandatory).
    report = run_policy_pack(Path(pack_dir), deployed.project, stack, deployed.resources, policy_file.policies,
                             config_source=source, remediate=False)
    check_policy_names(policy_file.policies, (p.name for p in report.pack.policies), source)
    run = ProgramRun(project=deployed.project, stack=stack, resources=deployed.resources, outputs=deployed.outputs,
                     config=StackConfig(project=deployed.project, stack=stack, values={}))
    return Audit(deployed=deployed, run=run, report=report, verdict=decide(report, policy_file, missing, IN_STATE))


def is_export_file(target: str) -> bool:
    """Whether ``python -m stacks audit TARGET`` reads a file: ``-``, an existing file, or a name ending in .json."""
    return target == STDIN or target.endswith(".json") or Path(target).is_file()


# --------------------------------------------------------------------------- the command line


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``audit`` subcommand."""
    parser = subparsers.add_parser(
        "audit",
        help="check a deployed stack's state (pulumi stack export) against the policy pack",
        description="Run the CrossGuard policy pack over the resources a stack has deployed, as its state records "
                    "them: from the output of `pulumi stack export` (FILE, or - for standard input), or exported "
                    "from STACK through the Automation API (needs the Pulumi CLI). "
                    "Exit 0: no mandatory violation; 1: mandatory violations; 2: invalid export, config or pack.",
    )
    parser.add_argument("target", metavar="FILE|STACK",
                        help="an export file (an existing file, a name ending in .json, or -), else a stack name")
    parser.add_argument("--stack", default=None, metavar="NAME",
                        help="the stack whose policy config applies; default: the stack in the export's URNs")
    parser.add_argument("--policy-pack", type=Path, default=None, metavar="DIR",
                        help="policy pack directory; default: <repo>/policies")
    parser.add_argument("--policy-config", type=Path, default=None, metavar="FILE",
                        help="policy config JSON; default: <policy-pack>/config/<stack>.json if it exists")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", dest="json_path",
                        help="also write the findings as JSON (the plan's document: stacks/offline/plan.schema.json)")
    parser.add_argument("--local", action="store_true",
                        help="STACK only: use the file:// backend in .pulumi-state/ (needs PULUMI_CONFIG_PASSPHRASE)")
    parser.add_argument("--verbose", action="store_true", help="tracebacks on errors, and not-applicable results")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Audit ``args.target``; return the exit code."""
    from stacks.offline import report
    from stacks.offline.deployment import load_export, parse_export

    verbose = bool(getattr(args, "verbose", False))
    target: str = args.target
    local = bool(getattr(args, "local", False))
    if local and is_export_file(target):
        return _error(f"--local: applies to auditing a STACK through the Automation API, not to the export {target}")
    try:
        if target == STDIN:
            source = "standard input"
            deployed = parse_export(sys.stdin.read(), source)
        elif is_export_file(target):
            source = target
            deployed = load_export(target)
        else:
            source = f"stack {target} (exported through the Automation API)"
            deployed = _export(target, local=local)
        audit = audit_deployment(deployed, pack_dir=Path(args.policy_pack or DEFAULT_PACK).resolve(),
                                 policy_config=args.policy_config, stack=args.stack)
    except ExportFailed as exc:
        print(exc.line, file=sys.stderr)
        return exc.code
    except audit_errors() as exc:
        return _error(str(exc), exc, verbose=verbose)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED

    for note in notes(audit, source):
        print(f"warning: {note}", file=sys.stderr)
    written = f", written {deployed.updated}" if deployed.updated else ""
    print(report.render(audit.run, audit.report, verdict=audit.verdict, stream=sys.stdout, verbose=verbose,
                        deployed_from=source + written))
    if args.json_path is not None:
        try:
            _write_json(Path(args.json_path), report.document(audit.run, audit.report, audit.verdict))
        except OSError as exc:
            return _error(f"cannot write {args.json_path}: {exc.strerror or exc}", exc, verbose=verbose)
    return EXIT_MANDATORY if audit.failed else EXIT_OK


def notes(audit: Audit, source: str) -> list[str]:
    """What the reader must know about the export before trusting the verdict."""
    found = []
    if audit.deployed.encrypted:
        found.append(f"{source}: {audit.deployed.encrypted} secret value(s) are encrypted (exported without "
                     "--show-secrets); the rules that read them cannot check them and report so")
    if audit.deployed.pending_deletion:
        found.append(f"{source}: {audit.deployed.pending_deletion} replaced resource(s) pending deletion were "
                     "left out; their replacements are audited")
    return found


class ExportFailed(Exception):
    """The Automation API could not export the stack: the driver's exit code and its one line."""

    def __init__(self, code: int, line: str) -> None:
        super().__init__(line)
        self.code = code
        self.line = line


def _export(stack: str, *, local: bool) -> DeployedStack:
    """``stack``'s state, exported through the Automation API. Raises :class:`ExportFailed`."""
    from stacks.automation.driver import StackOptions, export_deployment
    from stacks.automation.errors import describe_error
    from stacks.offline.deployment import read_deployment

    try:
        document = export_deployment(stack, StackOptions(local=local))
    except Exception as exc:  # noqa: BLE001 - the Automation API's typed errors, each said in one line
        code, line = describe_error(exc, stack, "audit")
        raise ExportFailed(int(code), line) from exc
    return read_deployment(document, f"stack {stack}'s export")
