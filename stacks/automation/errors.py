"""Errors of the Automation API driver, their exit codes, and the one line the command line prints for each."""

from __future__ import annotations

import re
from enum import IntEnum
from pathlib import Path

from stacks.automation.progress import ProgressTracker, clean_message

INSTALL_HINT = "curl -fsSL https://get.pulumi.com | sh"
MISSING_CLI_MESSAGE = (
    "error: the Pulumi CLI is not installed (no `pulumi` on PATH); install it with "
    f"`{INSTALL_HINT}` (or see https://www.pulumi.com/docs/install/). "
    "`python -m stacks plan STACK` checks a stack offline without it."
)


class ExitCode(IntEnum):
    """Exit codes of ``python -m stacks preview|up|destroy|refresh|outputs|drift`` (and ``audit STACK``)."""

    OK = 0
    FAILED = 1
    USAGE = 2
    CLI_MISSING = 3
    CONCURRENT_UPDATE = 4
    STACK_NOT_FOUND = 5
    STACK_EXISTS = 6
    NOT_CONFIRMED = 7
    CANCELLED = 130


class AutomationError(Exception):
    """An error of ``stacks.automation``, with the exit code the command line uses for it."""

    exit_code: ExitCode = ExitCode.FAILED
    stack: str | None = None
    """The stack the error concerns, when it concerns one."""


class ConfigurationError(AutomationError):
    """Bad flags or local configuration (e.g. ``--local`` without a passphrase)."""

    exit_code = ExitCode.USAGE


class CliNotFoundError(AutomationError):
    """The ``pulumi`` CLI is not on PATH."""

    exit_code = ExitCode.CLI_MISSING

    def __init__(self, message: str = MISSING_CLI_MESSAGE) -> None:
        super().__init__(message)


class NotConfirmedError(AutomationError):
    """A protected stack was not confirmed."""

    exit_code = ExitCode.NOT_CONFIRMED

    def __init__(self, stack: str, message: str) -> None:
        self.stack = stack
        super().__init__(message)


class OperationCancelled(AutomationError):
    """The operation was interrupted (Ctrl-C); the backend was asked to cancel it."""

    exit_code = ExitCode.CANCELLED

    def __init__(self, stack: str, kind: str, cancel_error: str | None = None, cancel_requested: bool = True) -> None:
        self.stack = stack
        self.kind = kind
        self.cancel_error = cancel_error
        if not cancel_requested:
            text = f"{stack}: {kind} cancelled (Ctrl-C)."
        elif cancel_error is None:
            text = f"{stack}: {kind} cancelled (Ctrl-C); the backend was asked to cancel the update."
        else:
            text = (
                f"{stack}: {kind} cancelled (Ctrl-C), but cancelling the update failed ({cancel_error}); "
                f"if the stack stays locked, run `pulumi cancel --stack {stack}`."
            )
        super().__init__(text)


def is_missing_cli(exc: BaseException) -> bool:
    """Whether ``exc`` is the ``FileNotFoundError`` the SDK raises when it cannot run ``pulumi``."""
    return isinstance(exc, FileNotFoundError) and Path(str(exc.filename or "")).name == "pulumi"


def command_error_detail(text: str) -> str:
    """The most useful line of a ``CommandError``'s text (``code: / stdout: / stderr:``)."""
    stdout, _, stderr = text.partition("\n stderr: ")
    stdout = stdout.partition("\n stdout: ")[2]
    for source in (stderr, stdout):
        for line in source.splitlines():
            line = clean_message(line)
            if line.lower().startswith("error:"):
                return line[len("error:"):].strip()
    for line in reversed(stderr.splitlines()):
        if clean_message(line):
            return clean_message(line)
    code = re.search(r"code: (-?\d+)", text)
    return f"the pulumi CLI exited with code {code.group(1)}" if code else (clean_message(text) or "unknown error")


def describe_error(
    exc: BaseException, stack: str, kind: str, tracker: ProgressTracker | None = None
) -> tuple[ExitCode, str]:
    """The exit code and the one line the command line prints for ``exc``."""
    if isinstance(exc, CliNotFoundError):
        return ExitCode.CLI_MISSING, str(exc)
    if isinstance(exc, AutomationError):
        text = str(exc)
        return exc.exit_code, text if text.startswith((f"{stack}:", "error:")) else f"{stack}: {text}"
    if is_missing_cli(exc):
        return ExitCode.CLI_MISSING, MISSING_CLI_MESSAGE
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.CANCELLED, f"{stack}: {kind} cancelled (Ctrl-C)."

    # Imported here: pulumi.automation costs ~0.2 s and is only needed once something failed.
    from pulumi.automation import errors as auto_errors

    if isinstance(exc, auto_errors.InvalidVersionError):
        return ExitCode.CLI_MISSING, (
            f"error: unsupported Pulumi CLI: {clean_message(str(exc))} Upgrade with `{INSTALL_HINT}`."
        )
    if isinstance(exc, auto_errors.ConcurrentUpdateError):
        return ExitCode.CONCURRENT_UPDATE, (
            f"{stack}: another update is in progress on this stack; wait for it to finish, "
            f"or run `pulumi cancel --stack {stack}` if it is stale."
        )
    if isinstance(exc, auto_errors.StackNotFoundError):
        return ExitCode.STACK_NOT_FOUND, (
            f"{stack}: no such stack in this backend; check the name and the backend "
            f"(--local, PULUMI_BACKEND_URL, `pulumi whoami`), or create it with `python -m stacks up {stack}`."
        )
    if isinstance(exc, auto_errors.StackAlreadyExistsError):
        return ExitCode.STACK_EXISTS, f"{stack}: a stack with this name already exists in this backend."
    if isinstance(exc, auto_errors.CommandError):
        mandatory = tracker.mandatory_violations if tracker is not None else []
        if mandatory:
            names = ", ".join(sorted({v.policy_name for v in mandatory}))
            detail = f"blocked by {len(mandatory)} mandatory policy violation(s): {names}"
        elif tracker is not None and tracker.errors:
            detail = tracker.errors[0]
        else:
            detail = command_error_detail(str(exc))
        return ExitCode.FAILED, f"{stack}: {kind} failed: {detail}"
    return ExitCode.FAILED, f"{stack}: {kind} failed: {type(exc).__name__}: {clean_message(str(exc))}"
