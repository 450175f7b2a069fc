"""``python -m stacks plan STACK``: preview a stack offline and check it against the policy pack.

Runs the real program in-process under mocks with the stack's real config
(:mod:`stacks.offline.runner`), runs the CrossGuard pack over every resource as the
Pulumi CLI would (:mod:`stacks.offline.analyzer`; at the level ``remediate`` the pack
first fixes what it may, and the plan goes on with the fixed inputs:
:mod:`stacks.offline.remediation`), and prints the resource tree, the remediations, the
violations and a summary (:mod:`stacks.offline.report`).

Exit codes: 0 no mandatory violation; 1 at least one mandatory violation, or
a check the pack could not make because a value is unknown when the policy
config says ``"unknowns": "mandatory"``; 2 the program, its config, the policy
config or the pack is invalid (one line on stderr, no traceback unless
``--verbose``); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

EXIT_OK = 0
EXIT_MANDATORY = 1
EXIT_INVALID = 2
EXIT_INTERRUPTED = 130


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``plan`` subcommand."""
    parser = subparsers.add_parser(
        "plan",
        help="preview a stack offline (mocks) and check it against the policy pack",
        description="Run the Pulumi program for STACK in-process under mocks with the stack's config, "
                    "check every resource with the CrossGuard policy pack, and print the plan. "
                    "Exit 0: no mandatory violation; 1: mandatory violations (or unknowns, under \"unknowns\": "
                    "\"mandatory\"); 2: invalid program, config or pack.",
    )
    parser.add_argument("stack", metavar="STACK", help="stack name (reads Pulumi.STACK.yaml)")
    parser.add_argument("--project-dir", type=Path, default=REPO_ROOT, metavar="DIR",
                        help="Pulumi Python project (Pulumi.yaml, __main__.py); default: the repository root")
    parser.add_argument("--policy-pack", type=Path, default=None, metavar="DIR",
                        help="policy pack directory; default: <repo>/policies")
    parser.add_argument("--policy-config", type=Path, default=None, metavar="FILE",
                        help="policy config JSON; default: <policy-pack>/config/STACK.json if it exists")
    parser.add_argument("--mocks", type=Path, default=None, metavar="FILE",
                        help="Python file whose invoke(token, args) / resource(type, name, inputs) add or override "
                             "the mocks' answers; default: offline_mocks.py in the project directory, if present")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", dest="json_path",
                        help="also write the plan as JSON (see stacks/offline/plan.schema.json)")
    parser.add_argument("--tfplan", type=Path, default=None, metavar="PATH",
                        help="also write the planned resources as Terraform plan JSON (for checkov, Trivy)")
    parser.add_argument("--sarif", type=Path, default=None, metavar="PATH",
                        help="also write the findings as SARIF 2.1.0 (for GitHub code scanning and other tools)")
    parser.add_argument("--compliance", action="store_true",
                        help="also print the findings per AWS Security Hub control: passed, failed, unknown or not "
                             "covered by any policy (in --json under \"compliance\")")
    parser.add_argument("--cost", action="store_true",
                        help="also print a monthly cost estimate (in --json under \"cost\"); see docs/cost.md")
    parser.add_argument("--strict", action="store_true",
                        help="refuse to run without a policy config (by default the pack's own levels apply, "
                             "and the report says so)")
    parser.add_argument("--verbose", action="store_true", help="tracebacks on errors, logs and not-applicable results")
    parser.set_defaults(func=run)
    return parser


def _error(message: str, exc: BaseException | None = None, *, verbose: bool = False) -> int:
    if verbose and exc is not None:
        traceback.print_exception(getattr(exc, "cause", None) or exc, file=sys.stderr)
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    print(f"error: {first}", file=sys.stderr)
    return EXIT_INVALID


def _find_policy_config(given: Path | None, pack_dir: Path, stack: str) -> tuple[Path | None, Path | None]:
    """The policy config to use (``given``, else the pack's ``config/<stack>.json``), and the default looked for
    in vain when there is none."""
    if given is not None:
        return Path(given), None
    default = pack_dir / "config" / f"{stack}.json"
    return (default, None) if default.is_file() else (None, default)


def run(args: argparse.Namespace) -> int:
    """Plan ``args.stack``; return the exit code."""
    from stacks.offline import analyzer, gate, remediation, report
    from stacks.offline import policy_config as policies
    from stacks.offline import runner as offline

    verbose = bool(getattr(args, "verbose", False))
    project_dir = Path(args.project_dir).resolve()
    pack_dir = Path(args.policy_pack or REPO_ROOT / "policies").resolve()
    config_path, missing_config = _find_policy_config(args.policy_config, pack_dir, args.stack)
    if missing_config is not None and getattr(args, "strict", False):
        return _error(f"no policy config for stack {args.stack}: {missing_config} not found "
                      "(--strict needs one; create it or pass --policy-config FILE)")

    try:
        stack_config = offline.load_stack_config(project_dir, args.stack)
        policy_file = policies.load_policy_file(config_path) if config_path else policies.PolicyFile(None)
    except (offline.OfflineError, policies.PolicyConfigError) as exc:
        return _error(str(exc), exc, verbose=verbose)
    policy_config = policy_file.policies
    config_source = f"policy config {config_path}" if config_path else "policy config"
    if getattr(args, "cost", False):
        from stacks.exports import cost

        try:  # before the run: prices for the stack's region, or one line naming it
            cost.stack_pricing_region(stack_config, policy_config)
        except cost.costing().CostConfigError as exc:
            return _error(f"--cost: {exc}", exc, verbose=verbose)

    pack = analyzer.PolicyPackProcess(pack_dir, stack_config.project, args.stack,
                                      config=stack_config.values)
    try:
        # The pack boots in its own process while the program runs, and analyzes each resource as it comes.
        pack.start()
        session = pack.session(policy_config, secret_keys=stack_config.secret_keys, config_source=config_source)
        program = offline.run_program(project_dir, args.stack, mocks_file=args.mocks, on_resource=session.submit,
                                      one_shot=getattr(args, "one_shot", False))
        findings = session.finish(program.resources)
        policies.check_policy_names(policy_config, (p.name for p in findings.pack.policies), config_source)
        # As `pulumi up` would deploy it: what the report, --json, --cost and --tfplan show.
        program = remediation.applied(program, findings)
    except (offline.OfflineError, analyzer.PolicyPackError, policies.PolicyConfigError) as exc:
        return _error(str(exc), exc, verbose=verbose)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        pack.close()

    verdict = gate.decide(findings, policy_file, missing_config)
    print(report.render(program, findings, verdict=verdict, stream=sys.stdout, verbose=verbose))
    doc_extra: dict[str, Any] = {}
    if getattr(args, "cost", False):
        from stacks.exports import cost

        try:
            estimate = cost.estimate_run(program, policy_config)
        except cost.costing().CostConfigError as exc:
            return _error(f"--cost: {exc}", exc, verbose=verbose)
        print()
        print(cost.format_estimate(estimate, policy_config))
        doc_extra["cost"] = cost.estimate_to_json(estimate, policy_config)
    if getattr(args, "compliance", False):
        from stacks.offline import compliance

        controls = compliance.summarize(findings, verdict)
        print()
        print(compliance.render(controls))
        doc_extra["compliance"] = compliance.to_json(controls)
    if getattr(args, "sarif", None) is not None:
        from stacks.offline import sarif

        try:
            _write_json(Path(args.sarif), sarif.document(program, findings, verdict))
        except OSError as exc:
            return _error(f"cannot write {args.sarif}: {exc.strerror or exc}", exc, verbose=verbose)
    if getattr(args, "tfplan", None) is not None:
        from stacks.exports import tfplan

        try:
            exported = tfplan.write_terraform_plan(program.resources, args.tfplan)
        except OSError as exc:
            return _error(f"cannot write {args.tfplan}: {exc.strerror or exc}", exc, verbose=verbose)
        print(tfplan.summary(exported), file=sys.stderr)
    if args.json_path is not None:
        try:
            _write_json(Path(args.json_path), {**report.document(program, findings, verdict), **doc_extra})
        except OSError as exc:
            return _error(f"cannot write {args.json_path}: {exc.strerror or exc}", exc, verbose=verbose)
    return EXIT_OK if verdict.passed else EXIT_MANDATORY


def _write_json(path: Path, doc: dict[str, Any]) -> None:
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(doc, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(path)
