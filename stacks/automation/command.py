"""The ``python -m stacks preview|up|destroy|refresh|outputs|drift`` command line over the Automation API driver.

Usage (registered into ``python -m stacks`` by ``register``)::

    python -m stacks preview STACK  [--no-policy] [--local] [--endpoint URL]
    python -m stacks up      STACK  [--no-policy] [--local] [--endpoint URL] [--yes]
    python -m stacks destroy STACK  [--local] [--endpoint URL] [--yes]
    python -m stacks refresh STACK  [--local] [--endpoint URL] [--yes]
    python -m stacks outputs STACK  [--local]
    python -m stacks drift   STACK  [--local] [--endpoint URL]

Every command also takes ``--stacks dev,prod`` instead of ``STACK`` (run in order, stop at
the first failure) and ``--verbose`` (tracebacks). ``preview`` and ``up`` always run the
CrossGuard pack in ``policies/`` with ``policies/config/<stack>.json``; without that file
they say which default levels the pack runs at; ``--no-policy`` skips the pack and says so
on stderr. A stack whose ``Pulumi.<stack>.yaml`` sets ``fargate-platform:protect: true``
needs ``--yes`` or a typed confirmation for ``up``, ``destroy`` and ``refresh``.

Exit codes:

    ===  ==========================================================================
      0  success (and, for ``drift``, no drift)
      1  drift detected, a mandatory policy violation, or the operation failed
      2  usage or configuration error (bad flags, missing PULUMI_CONFIG_PASSPHRASE
         with --local, unreadable Pulumi.<stack>.yaml)
      3  Pulumi CLI missing or too old (checked before anything else)
      4  another update is in progress on the stack (ConcurrentUpdateError)
      5  stack not found in the backend (StackNotFoundError)
      6  stack already exists (StackAlreadyExistsError)
      7  protected stack not confirmed (no --yes when not interactive, or the typed
         name did not match)
    130  cancelled with Ctrl-C
    ===  ==========================================================================
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

from stacks.automation.backend import (
    LOCAL_STATE_DIRNAME,
    REPO_ROOT,
    is_protected,
    short_name,
    stack_spec,
    validate_endpoint,
    validate_stack_name,
)
from stacks.automation.driver import (
    CREATING_KINDS,
    MUTATING_KINDS,
    POLICY_KINDS,
    OperationResult,
    StackFactory,
    StackOptions,
    default_levels_warning,
    describe_levels,
    pack_default_levels,
    policy_config_file,
    require_cli,
    run,
)
from stacks.automation.errors import AutomationError, ConfigurationError, ExitCode, NotConfirmedError, describe_error
from stacks.automation.progress import (
    PolicyViolation,
    ProgressRenderer,
    ProgressTracker,
    format_elapsed,
    resource_label,
)

NO_POLICY_WARNING = (
    "WARNING: --no-policy: the fargate-platform policy pack is NOT running; "
    "nothing checks this {kind} against the production rules."
)

_HELP = {
    "preview": "Preview a stack's changes, with the policy pack.",
    "up": "Deploy a stack, with the policy pack.",
    "destroy": "Delete every resource of a stack.",
    "refresh": "Adopt the cloud's current state into a stack's state.",
    "outputs": "Print a stack's outputs (secrets masked).",
    "drift": "Check a stack for drift (refresh preview); exit 1 on drift.",
}


def confirm_protected(
    stack: str, kind: str, *, assume_yes: bool, interactive: bool, ask: Callable[[str], str] = input
) -> None:
    """Return when ``kind`` may run on the protected ``stack``; else ``NotConfirmedError``.

    ``--yes`` confirms. Otherwise an interactive user types the stack name; a
    non-interactive run is refused.
    """
    if assume_yes:
        return
    if not interactive:
        raise NotConfirmedError(
            stack,
            f"{stack}: refusing to {kind} a protected stack (protect: true in Pulumi.{short_name(stack)}.yaml) "
            "without confirmation; pass --yes in non-interactive runs."
        )
    try:
        answer = ask(f"Stack '{stack}' is protected. Type its name to {kind} it: ")
    except EOFError:
        answer = ""
    if answer.strip() != stack:
        raise NotConfirmedError(stack, f"{stack}: confirmation did not match the stack name; nothing was run.")


# --------------------------------------------------------------------------- arguments


def _stack_list(text: str) -> tuple[str, ...]:
    names = tuple(part.strip() for part in text.split(","))
    if not names or any(not name for name in names):
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of stack names, got {text!r}")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"a stack is listed twice in {text!r}")
    for name in names:
        try:
            validate_stack_name(name)
        except ConfigurationError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return names


def _endpoint_arg(text: str) -> str:
    try:
        return validate_endpoint(text)
    except ConfigurationError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: Any) -> None:
    """Add ``preview``, ``up``, ``destroy``, ``refresh``, ``outputs`` and ``drift`` to ``python -m stacks``."""
    for kind, help_text in _HELP.items():
        parser = subparsers.add_parser(kind, help=help_text, description=help_text)
        parser.add_argument("stack", nargs="?", metavar="STACK", help="stack name, e.g. dev")
        parser.add_argument("--stacks", type=_stack_list, metavar="A,B",
                            help="several stacks, run in this order; stops at the first failure")
        parser.add_argument("--local", action="store_true",
                            help=f"use a file:// backend in {LOCAL_STATE_DIRNAME}/ (needs PULUMI_CONFIG_PASSPHRASE)")
        if kind != "outputs":
            parser.add_argument("--endpoint", type=_endpoint_arg, metavar="URL",
                                help="send AWS calls to an emulator (moto server, LocalStack) at URL")
        if kind in POLICY_KINDS:
            parser.add_argument("--no-policy", action="store_true",
                                help="do NOT run the policy pack (prints a warning)")
        if kind in MUTATING_KINDS:
            parser.add_argument("--yes", "-y", action="store_true",
                                help="confirm protected stacks without asking")
        parser.add_argument("--verbose", "-v", action="store_true", help="show tracebacks")
        parser.set_defaults(func=run_cli, operation=kind)


# --------------------------------------------------------------------------- output


def format_violations(violations: Sequence[PolicyViolation]) -> list[str]:
    """Lines listing policy violations, mandatory first."""
    if not violations:
        return []
    lines = [f"  policy violations ({len(violations)}):"]
    for v in sorted(violations, key=lambda v: (not v.mandatory, v.policy_name)):
        where = f" [{resource_label(v.resource_urn)}]" if v.resource_urn else ""
        lines.append(f"    {v.enforcement_level}: {v.policy_name}{where}: {v.message}")
    return lines


def _policy_line(result: OperationResult) -> str:
    if not result.policy_checked:
        return "  policy: NOT checked (--no-policy)"
    if result.policy_config:
        return f"  policy: checked with {Path(result.policy_config).name}"
    return (f"  policy: checked at the pack's default levels ({describe_levels(result.policy_defaults)}): "
            f"no policies/config/{short_name(result.stack)}.json")


def format_result(result: OperationResult) -> list[str]:
    """The end-of-run summary: changes, policy violations, outputs (secrets masked)."""
    took = format_elapsed(result.elapsed_seconds)
    if result.kind == "outputs":
        lines = [f"{result.stack}: outputs"]
    elif result.kind == "drift":
        lines = [f"{result.stack}: {'drift detected' if result.drifted else 'no drift'} ({took})"]
    else:
        lines = [f"{result.stack}: {result.kind} succeeded ({took})"]
    if result.kind != "outputs":
        lines.append(f"  changes: {result.changes.describe(planned=result.kind in ('preview', 'drift'))}")
    if result.kind in POLICY_KINDS:
        lines.append(_policy_line(result))
    lines.extend(format_violations(result.policy_violations))
    if result.warnings:
        lines.append(f"  warnings ({len(result.warnings)}):")
        lines.extend(f"    {w}" for w in result.warnings)
    if result.outputs:
        lines.append("  outputs:")
        lines.extend(f"    {o.name} = {o.display}" for o in result.outputs.values())
    elif result.kind == "outputs":
        lines.append("  (no outputs)")
    return lines


def _print(stream: TextIO, *lines: str) -> None:
    for line in lines:
        stream.write(line + "\n")
    stream.flush()


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _ask_on(stream: TextIO) -> Callable[[str], str]:
    def ask(prompt: str) -> str:
        stream.write(prompt)
        stream.flush()
        return input()

    return ask


# --------------------------------------------------------------------------- running


def _check_before_running(args: argparse.Namespace, names: tuple[str, ...], work: Path, err: TextIO, *,
                          cli_needed: bool, interactive: bool | None, ask: Callable[[str], str] | None) -> None:
    """Everything that can refuse the command before any stack runs, most fundamental first."""
    kind: str = args.operation
    if cli_needed:
        require_cli()
    for name in names:
        stack_spec(name, create=kind in CREATING_KINDS, local=args.local, work_dir=work)
    policy = kind in POLICY_KINDS and not args.no_policy
    if kind in POLICY_KINDS and not policy:
        _print(err, NO_POLICY_WARNING.format(kind=kind))
    for name in names:
        if policy and not policy_config_file(name, work).is_file():
            _print(err, default_levels_warning(name, pack_default_levels()))
    endpoint = getattr(args, "endpoint", None)
    if endpoint:
        _print(err, f"note: AWS calls go to the emulator at {endpoint} (test credentials)")
    if kind in MUTATING_KINDS:
        is_tty = sys.stdin.isatty() if interactive is None else interactive
        for name in names:
            if is_protected(name, work):
                confirm_protected(name, kind, assume_yes=args.yes, interactive=is_tty, ask=ask or _ask_on(err))


def run_cli(
    args: argparse.Namespace,
    *,
    stack_factory: StackFactory | None = None,
    work_dir: Path | str | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    interactive: bool | None = None,
    ask: Callable[[str], str] | None = None,
) -> int:
    """Run one parsed command over its stacks; return the exit code. Injectable for tests."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    kind: str = args.operation
    work = Path(work_dir).resolve() if work_dir is not None else REPO_ROOT

    if args.stack and args.stacks:
        _print(err, "error: give either STACK or --stacks, not both")
        return ExitCode.USAGE
    if not args.stack and not args.stacks:
        _print(err, f"error: {kind} needs a STACK (or --stacks A,B)")
        return ExitCode.USAGE
    names: tuple[str, ...] = tuple(args.stacks) if args.stacks else (args.stack,)

    try:
        _check_before_running(args, names, work, err, cli_needed=stack_factory is None,
                              interactive=interactive, ask=ask)
    except KeyboardInterrupt:
        _print(err, f"{kind} cancelled (Ctrl-C); nothing was run.")
        return ExitCode.CANCELLED
    except AutomationError as exc:
        # A refusal names its stack; other errors here concern every stack, so the first one stands for them.
        code, line = describe_error(exc, exc.stack or names[0], kind)
        _print(err, line)
        return code

    any_drift = False
    for name in names:
        tty = _isatty(err)
        renderer = ProgressRenderer(err, tty=tty)
        tracker = ProgressTracker(on_update=renderer.update)
        if len(names) > 1:
            _print(err, f"==> {kind} {name}")
        options = StackOptions(local=args.local, endpoint=getattr(args, "endpoint", None), work_dir=work,
                               progress=tracker, stack_factory=stack_factory)
        if kind != "outputs":  # outputs sends no engine events: nothing to draw
            renderer.start(tracker)
        try:
            result = run(kind, name, options, policy=not getattr(args, "no_policy", False))
        except (Exception, KeyboardInterrupt) as exc:
            renderer.stop()
            code, line = describe_error(exc, name, kind, tracker)
            details = format_violations(tracker.policy_violations)
            if tty and tracker.errors:
                details += ["  errors:"] + [f"    {e}" for e in tracker.errors]
            _print(err, *details, line)
            if args.verbose:
                traceback.print_exception(exc, file=err)
            if name != names[-1]:
                _print(err, f"stopped: not run on {', '.join(names[names.index(name) + 1:])}")
            return code
        renderer.stop()
        _print(out, *format_result(result))
        any_drift = any_drift or result.drifted
    return ExitCode.FAILED if any_drift else ExitCode.OK
