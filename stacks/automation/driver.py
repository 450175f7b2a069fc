"""Drive this project's stacks through the Pulumi Automation API.

Command line (registered into ``python -m stacks`` by ``register``)::

    python -m stacks preview STACK  [--no-policy] [--local] [--endpoint URL]
    python -m stacks up      STACK  [--no-policy] [--local] [--endpoint URL] [--yes]
    python -m stacks destroy STACK  [--local] [--endpoint URL] [--yes]
    python -m stacks refresh STACK  [--local] [--endpoint URL] [--yes]
    python -m stacks outputs STACK  [--local]
    python -m stacks drift   STACK  [--local] [--endpoint URL]

Every command also takes ``--stacks dev,prod`` instead of ``STACK`` (run in order, stop at
the first failure) and ``--verbose`` (tracebacks). ``preview`` and ``up`` always run the
CrossGuard pack in ``policies/`` with ``policies/config/<stack>.json``; ``--no-policy``
skips it and says so on stderr. A stack whose ``Pulumi.<stack>.yaml`` sets
``fargate-platform:protect: true`` needs ``--yes`` or a typed confirmation for ``up``,
``destroy`` and ``refresh``.

Scripts import the same operations; they return an ``OperationResult`` and print nothing::

    from stacks.automation import preview, up
    result = up("dev", local=True)
    print(result.changes.describe(), result.outputs["url"].display)

Exit codes of the command line:

    ===  ==========================================================================
      0  success (and, for ``drift``, no drift)
      1  drift detected, a mandatory policy violation, or the operation failed
      2  usage or configuration error (bad flags, missing PULUMI_CONFIG_PASSPHRASE
         with --local, unreadable Pulumi.<stack>.yaml)
      3  Pulumi CLI missing or too old
      4  another update is in progress on the stack (ConcurrentUpdateError)
      5  stack not found in the backend (StackNotFoundError)
      6  stack already exists (StackAlreadyExistsError)
      7  protected stack not confirmed (no --yes when not interactive, or the typed
         name did not match)
    130  cancelled with Ctrl-C
    ===  ==========================================================================

``pulumi.automation`` is imported lazily: importing it costs ~0.2 s and sets up the
Pulumi runtime (gRPC, protobuf), which ``python -m stacks plan`` does not need.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import shutil
import sys
import threading
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol, TextIO
from urllib.parse import urlparse

from stacks.automation.progress import (
    ChangeSummary,
    PolicyViolation,
    ProgressTracker,
    clean_message,
    format_elapsed,
    resource_label,
)

__all__ = [
    "ChangeSummary",
    "CliNotFoundError",
    "ConfigEntry",
    "ConfigurationError",
    "ExitCode",
    "NotConfirmedError",
    "OperationCancelled",
    "OperationResult",
    "PolicyViolation",
    "ProgressTracker",
    "StackOutput",
    "StackSpec",
    "describe_error",
    "destroy",
    "drift",
    "endpoint_config",
    "endpoint_settings",
    "is_protected",
    "outputs",
    "policy_options",
    "preview",
    "refresh",
    "register",
    "stack_spec",
    "up",
]

_log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The Pulumi project: the directory that holds ``Pulumi.yaml`` and ``stacks/``."""

DEFAULT_PROJECT = "fargate-platform"
"""Project name (config namespace) when ``Pulumi.yaml`` does not say otherwise."""

LOCAL_STATE_DIRNAME = ".pulumi-state"
"""``--local`` keeps state here, under the project directory (git-ignored)."""

PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
"""Either one lets the passphrase secrets provider of ``--local`` work."""

ENDPOINT_SERVICES = (
    "applicationautoscaling",
    "cloudwatch",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "iam",
    "kms",
    "logs",
    "s3",
    "secretsmanager",
    "servicediscovery",
    "sns",
    "ssm",
    "sts",
    "wafv2",
)
"""AWS services the program uses; ``--endpoint`` points each at the emulator.

Names are keys of pulumi-aws v7's provider ``endpoints`` object (``pulumi_aws.config.outputs.Endpoints``).
"""

SECRET_CONFIG_KEYS = frozenset({"aws:secretKey"})
"""The only ``--endpoint`` config value stored as a secret."""

EMULATOR_ACCESS_KEY = "test"
EMULATOR_SECRET_KEY = "test"
"""Credentials written for the emulator. Real ones are never copied into stack config:
a service missing from ``ENDPOINT_SERVICES`` then fails instead of reaching real AWS."""

INSTALL_HINT = "curl -fsSL https://get.pulumi.com | sh"
MISSING_CLI_MESSAGE = (
    "error: the Pulumi CLI is not installed (no `pulumi` on PATH); install it with "
    f"`{INSTALL_HINT}` (or see https://www.pulumi.com/docs/install/). "
    "`python -m stacks plan STACK` checks a stack offline without it."
)

NO_POLICY_WARNING = (
    "WARNING: --no-policy: the fargate-platform policy pack is NOT running; "
    "nothing checks this {kind} against the production rules."
)

_STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}$")

# Operations that change the stack (resources or state): a protected stack needs confirmation.
MUTATING_KINDS = frozenset({"up", "destroy", "refresh"})
# Operations that run the policy pack.
POLICY_KINDS = frozenset({"preview", "up"})
# Operations that create the stack when the backend does not have it yet.
CREATING_KINDS = frozenset({"preview", "up"})
# Operations an interrupted run asks the backend to cancel.
CANCELLABLE_KINDS = frozenset({"up", "destroy", "refresh"})


class ExitCode(IntEnum):
    """Exit codes of ``python -m stacks preview|up|destroy|refresh|outputs|drift``."""

    OK = 0
    FAILED = 1
    USAGE = 2
    CLI_MISSING = 3
    CONCURRENT_UPDATE = 4
    STACK_NOT_FOUND = 5
    STACK_EXISTS = 6
    NOT_CONFIRMED = 7
    CANCELLED = 130


# --------------------------------------------------------------------------- errors


class AutomationError(Exception):
    """An error of this module, with the exit code the command line uses for it."""

    exit_code: ExitCode = ExitCode.FAILED


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


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class StackOutput:
    """One stack output. ``repr`` and ``display`` never show a secret's value."""

    name: str
    """The output's name."""
    value: Any = field(repr=False, hash=False)
    """The plaintext value (also for secrets: scripts may need it; print ``display``)."""
    secret: bool = False
    """Whether Pulumi holds the output as a secret."""

    @property
    def display(self) -> str:
        """The value as text, ``[secret]`` for secrets."""
        if self.secret:
            return "[secret]"
        if isinstance(self.value, str):
            return self.value
        import json

        return json.dumps(self.value, sort_keys=True)

    def __repr__(self) -> str:
        return f"StackOutput(name={self.name!r}, value={self.display!r}, secret={self.secret!r})"


@dataclass(frozen=True)
class OperationResult:
    """What one operation on one stack did. Nothing here is printed by the library."""

    stack: str
    """The stack name, as given."""
    kind: str
    """``preview``, ``up``, ``destroy``, ``refresh``, ``outputs`` or ``drift``."""
    changes: ChangeSummary = field(default_factory=ChangeSummary)
    """Resource counts: planned for ``preview`` and ``drift``, done for the others."""
    outputs: Mapping[str, StackOutput] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    """Stack outputs after ``up``, or the current ones for ``outputs``; empty otherwise."""
    policy_violations: tuple[PolicyViolation, ...] = ()
    """Violations the pack reported (advisory ones; mandatory ones fail the operation)."""
    policy_checked: bool = False
    """Whether the policy pack ran (``False`` with ``policy=False`` and for kinds without it)."""
    policy_config: str | None = None
    """The policy config file used, if any."""
    stdout: str = ""
    """The Pulumi CLI's standard output."""
    warnings: tuple[str, ...] = ()
    """Warning diagnostics from the engine."""
    elapsed_seconds: float = 0.0
    """Wall-clock duration of the operation."""

    @property
    def has_changes(self) -> bool:
        """Whether the operation changed (or would change) any resource."""
        return self.changes.has_changes

    @property
    def drifted(self) -> bool:
        """For ``drift``: whether the cloud differs from the stack's state."""
        return self.kind == "drift" and self.changes.has_changes


@dataclass(frozen=True)
class ConfigEntry:
    """One stack config value as ``Stack.set_all_config`` takes it (a string, maybe secret)."""

    value: str
    """The value, as the CLI's ``config set`` reads it."""
    secret: bool = False
    """Whether to store it encrypted."""


@dataclass(frozen=True)
class StackSpec:
    """Everything needed to open one stack of this project through the Automation API."""

    name: str
    """The stack name (``dev``, or ``org/fargate-platform/dev``)."""
    work_dir: Path
    """The project directory (holds ``Pulumi.yaml``)."""
    create: bool
    """Create the stack if the backend does not have it (``preview``, ``up``); else select only."""
    env_vars: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Extra environment for every ``pulumi`` command (the ``file://`` backend URL for ``--local``)."""
    secrets_provider: str | None = None
    """``passphrase`` for ``--local``; ``None`` keeps the backend's default."""
    state_dir: Path | None = None
    """The ``--local`` state directory, created before the stack is opened."""


class StackLike(Protocol):
    """The part of ``pulumi.automation.Stack`` this module uses (tests pass a fake)."""

    name: str

    def preview(self, **kwargs: Any) -> Any: ...
    def up(self, **kwargs: Any) -> Any: ...
    def destroy(self, **kwargs: Any) -> Any: ...
    def refresh(self, **kwargs: Any) -> Any: ...
    def preview_refresh(self, **kwargs: Any) -> Any: ...
    def outputs(self) -> Mapping[str, Any]: ...
    def cancel(self) -> None: ...
    def set_all_config(self, config: Any, *, path: bool = False) -> None: ...
    def remove_all_config(self, keys: list[str], *, path: bool = False) -> None: ...


StackFactory = Callable[[StackSpec], StackLike]
OnEvent = Callable[[Any], Any]


# --------------------------------------------------------------------------- pure option building


def short_name(stack: str) -> str:
    """``dev`` for ``dev`` and for ``org/fargate-platform/dev``: the name stack files use."""
    return stack.rsplit("/", 1)[-1]


def validate_stack_name(stack: str) -> str:
    """``stack`` if it is a valid stack name, else ``ConfigurationError``."""
    if not _STACK_NAME.match(stack or ""):
        raise ConfigurationError(
            f"invalid stack name {stack!r}: use letters, digits, '.', '_' and '-' (optionally org/project/stack)"
        )
    return stack


def policy_options(stack: str, *, enabled: bool = True, work_dir: Path | str = REPO_ROOT) -> dict[str, list[str]]:
    """``policy_packs`` / ``policy_pack_configs`` keyword arguments for ``Stack.preview``/``Stack.up``.

    Absolute paths: the pack directory always, the stack's config file when it exists.
    Empty when ``enabled`` is false (``--no-policy``).
    """
    if not enabled:
        return {}
    pack = Path(work_dir).resolve() / "policies"
    options = {"policy_packs": [str(pack)]}
    config = pack / "config" / f"{short_name(stack)}.json"
    if config.is_file():
        options["policy_pack_configs"] = [str(config)]
    return options


def local_backend_url(state_dir: Path | str) -> str:
    """The ``file://`` URL of a local state directory."""
    return Path(state_dir).resolve().as_uri()


def stack_spec(
    stack: str,
    *,
    create: bool,
    local: bool = False,
    state_dir: Path | str | None = None,
    work_dir: Path | str = REPO_ROOT,
    env: Mapping[str, str] | None = None,
) -> StackSpec:
    """How to open ``stack``: the logged-in backend (or ``PULUMI_BACKEND_URL``) by default;
    with ``local`` (or an explicit ``state_dir``), a ``file://`` backend under the project's
    ``.pulumi-state/`` with the passphrase secrets provider, which needs ``PULUMI_CONFIG_PASSPHRASE``.
    """
    validate_stack_name(stack)
    work = Path(work_dir).resolve()
    env = os.environ if env is None else env
    if not (local or state_dir is not None):
        return StackSpec(name=stack, work_dir=work, create=create)
    if not any(var in env for var in PASSPHRASE_VARS):
        raise ConfigurationError(
            "--local needs PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) set: "
            "it encrypts the stack's secrets in the local backend"
        )
    state = Path(state_dir).resolve() if state_dir is not None else work / LOCAL_STATE_DIRNAME
    return StackSpec(
        name=stack,
        work_dir=work,
        create=create,
        env_vars={"PULUMI_BACKEND_URL": local_backend_url(state)},
        secrets_provider="passphrase",
        state_dir=state,
    )


def validate_endpoint(url: str) -> str:
    """``url`` if it is an ``http(s)://host[:port]`` URL, else ``ConfigurationError``."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(f"--endpoint must be an http(s) URL such as http://localhost:5000, not {url!r}")
    return url


def endpoint_settings(
    url: str, *, access_key: str = EMULATOR_ACCESS_KEY, secret_key: str = EMULATOR_SECRET_KEY
) -> dict[str, Any]:
    """AWS provider config that sends every call to an emulator at ``url`` (moto server, LocalStack)."""
    validate_endpoint(url)
    return {
        "aws:endpoints": [{service: url for service in ENDPOINT_SERVICES}],
        "aws:skipCredentialsValidation": True,
        "aws:skipRequestingAccountId": True,
        "aws:skipMetadataApiCheck": True,
        "aws:s3UsePathStyle": True,
        "aws:accessKey": access_key,
        "aws:secretKey": secret_key,
    }


def endpoint_config(
    url: str, *, access_key: str = EMULATOR_ACCESS_KEY, secret_key: str = EMULATOR_SECRET_KEY
) -> dict[str, ConfigEntry]:
    """``endpoint_settings`` flattened into path keys for ``Stack.set_all_config(..., path=True)``.

    ``aws:endpoints[0].ecs`` and so on; only ``aws:secretKey`` is secret.
    """

    def text(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    entries: dict[str, ConfigEntry] = {}
    for key, value in endpoint_settings(url, access_key=access_key, secret_key=secret_key).items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                for sub_key, sub_value in item.items():
                    entries[f"{key}[{index}].{sub_key}"] = ConfigEntry(text(sub_value))
        else:
            entries[key] = ConfigEntry(text(value), secret=key in SECRET_CONFIG_KEYS)
    return entries


# --------------------------------------------------------------------------- stack files


def _load_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read {path.name}: {clean_message(str(exc))}") from exc


def project_name(work_dir: Path | str = REPO_ROOT) -> str:
    """The ``name`` in ``Pulumi.yaml``, or ``fargate-platform`` when there is none."""
    path = Path(work_dir) / "Pulumi.yaml"
    if path.is_file():
        data = _load_yaml(path)
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            return data["name"]
    return DEFAULT_PROJECT


def stack_file(stack: str, work_dir: Path | str = REPO_ROOT) -> Path | None:
    """The stack's settings file (``Pulumi.<stack>.yaml``), or ``None`` if there is none."""
    for ext in (".yaml", ".yml", ".json"):
        path = Path(work_dir) / f"Pulumi.{short_name(stack)}{ext}"
        if path.is_file():
            return path
    return None


def stack_config(stack: str, work_dir: Path | str = REPO_ROOT) -> dict[str, Any]:
    """The ``config:`` block of the stack's settings file, read directly (no CLI needed)."""
    path = stack_file(stack, work_dir)
    if path is None:
        return {}
    data = _load_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path.name} must be a mapping with a 'config:' block")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigurationError(f"{path.name}: 'config:' must be a mapping")
    return config


def is_protected(stack: str, work_dir: Path | str = REPO_ROOT) -> bool:
    """Whether ``Pulumi.<stack>.yaml`` sets ``<project>:protect: true``."""
    value = stack_config(stack, work_dir).get(f"{project_name(work_dir)}:protect", False)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return value is True


# --------------------------------------------------------------------------- running


def require_cli(which: Callable[[str], str | None] | None = None) -> str:
    """The path of the ``pulumi`` CLI, or ``CliNotFoundError``."""
    path = (which or shutil.which)("pulumi")
    if path is None:
        raise CliNotFoundError()
    return path


def open_stack(spec: StackSpec) -> StackLike:
    """The default stack factory: a ``LocalWorkspace`` on the project directory."""
    require_cli()
    from pulumi import automation as auto

    if spec.state_dir is not None:
        spec.state_dir.mkdir(parents=True, exist_ok=True)
    options = auto.LocalWorkspaceOptions(env_vars=dict(spec.env_vars), secrets_provider=spec.secrets_provider)
    select = auto.create_or_select_stack if spec.create else auto.select_stack
    try:
        return select(spec.name, work_dir=str(spec.work_dir), opts=options)
    except FileNotFoundError as exc:
        if _is_missing_cli(exc):
            raise CliNotFoundError() from exc
        raise


def _is_missing_cli(exc: BaseException) -> bool:
    return isinstance(exc, FileNotFoundError) and Path(str(exc.filename or "")).name == "pulumi"


def _apply_endpoint(stack: StackLike, spec: StackSpec, url: str) -> list[str]:
    """Point the AWS provider at ``url``; return the top-level keys to remove afterwards."""
    from pulumi.automation import ConfigValue

    before = stack_config(spec.name, spec.work_dir)
    entries = endpoint_config(url)
    stack.set_all_config({key: ConfigValue(e.value, secret=e.secret) for key, e in entries.items()}, path=True)
    return [key for key in endpoint_settings(url) if key not in before]


def _remove_endpoint(stack: StackLike, keys: list[str]) -> None:
    try:
        stack.remove_all_config(keys)
    except Exception as exc:  # noqa: BLE001 - never mask the operation's own outcome
        _log.warning("could not remove the emulator settings (%s) from the stack config: %s",
                     ", ".join(keys), clean_message(str(exc)))


def _cancel(stack: StackLike) -> str | None:
    """Ask the backend to cancel the running update; the reason it could not, if any."""
    try:
        stack.cancel()
    except KeyboardInterrupt:
        return "interrupted again"
    except Exception as exc:  # noqa: BLE001 - the run is already being cancelled
        text = str(exc)
        return _command_error_detail(text) if "\n stderr: " in text else clean_message(text) or type(exc).__name__
    return None


def _outputs_of(raw: Mapping[str, Any] | None) -> Mapping[str, StackOutput]:
    items = {
        name: StackOutput(name=name, value=getattr(value, "value", value), secret=bool(getattr(value, "secret", False)))
        for name, value in (raw or {}).items()
    }
    return MappingProxyType(dict(sorted(items.items())))


def _execute(
    kind: str,
    stack: str,
    *,
    policy: bool = True,
    local: bool = False,
    endpoint: str | None = None,
    state_dir: Path | str | None = None,
    work_dir: Path | str | None = None,
    progress: ProgressTracker | None = None,
    on_event: OnEvent | None = None,
    stack_factory: StackFactory | None = None,
) -> OperationResult:
    work = Path(work_dir).resolve() if work_dir is not None else REPO_ROOT
    spec = stack_spec(stack, create=kind in CREATING_KINDS, local=local, state_dir=state_dir, work_dir=work)
    if endpoint is not None:
        validate_endpoint(endpoint)
    policy_opts = policy_options(stack, enabled=policy, work_dir=work) if kind in POLICY_KINDS else {}
    tracker = progress if progress is not None else ProgressTracker()

    def handle(event: Any) -> None:
        tracker.handle(event)
        if on_event is not None:
            on_event(event)

    events = {"on_event": handle, "color": "never"}
    handle_stack = (stack_factory or open_stack)(spec)
    cleanup: list[str] = []
    try:
        if endpoint is not None:
            cleanup = _apply_endpoint(handle_stack, spec, endpoint)
        try:
            if kind == "preview":
                raw = handle_stack.preview(**events, **policy_opts)
                changes, outs, stdout = raw.change_summary, None, raw.stdout
            elif kind == "up":
                raw = handle_stack.up(**events, **policy_opts)
                changes, outs, stdout = raw.summary.resource_changes, raw.outputs, raw.stdout
            elif kind == "destroy":
                raw = handle_stack.destroy(**events)
                changes, outs, stdout = raw.summary.resource_changes, None, raw.stdout
            elif kind == "refresh":
                raw = handle_stack.refresh(**events)
                changes, outs, stdout = raw.summary.resource_changes, None, raw.stdout
            elif kind == "drift":
                raw = handle_stack.preview_refresh(**events)
                changes, outs, stdout = raw.change_summary, None, raw.stdout
            elif kind == "outputs":
                changes, outs, stdout = {}, handle_stack.outputs(), ""
            else:
                raise ValueError(f"unknown operation {kind!r}")
        except KeyboardInterrupt:
            cancellable = kind in CANCELLABLE_KINDS
            error = _cancel(handle_stack) if cancellable else None
            raise OperationCancelled(stack, kind, error, cancel_requested=cancellable) from None
    finally:
        if cleanup:
            _remove_endpoint(handle_stack, cleanup)

    if changes is None and tracker.summary is not None:
        changes = tracker.summary.resource_changes
    config_files = policy_opts.get("policy_pack_configs") or [None]
    return OperationResult(
        stack=stack,
        kind=kind,
        changes=ChangeSummary.from_op_map(changes),
        outputs=_outputs_of(outs),
        policy_violations=tuple(tracker.policy_violations),
        policy_checked=bool(policy_opts),
        policy_config=config_files[0],
        stdout=stdout or "",
        warnings=tuple(tracker.warnings),
        elapsed_seconds=tracker.elapsed,
    )


# --------------------------------------------------------------------------- public operations


def preview(
    stack: str,
    *,
    policy: bool = True,
    local: bool = False,
    endpoint: str | None = None,
    state_dir: Path | str | None = None,
    work_dir: Path | str | None = None,
    progress: ProgressTracker | None = None,
    on_event: OnEvent | None = None,
    stack_factory: StackFactory | None = None,
) -> OperationResult:
    """Preview ``stack`` with the policy pack (unless ``policy=False``); creates the stack if missing.

    ``local`` uses the ``file://`` backend in ``.pulumi-state/`` (or ``state_dir``);
    ``endpoint`` points the AWS provider at an emulator for this run. Engine events go to
    ``progress`` (a ``ProgressTracker`` you may read even after an exception) and ``on_event``.
    Raises the Automation API's errors (``CommandError`` and subclasses) and this module's
    ``AutomationError`` subclasses.
    """
    return _execute("preview", stack, policy=policy, local=local, endpoint=endpoint, state_dir=state_dir,
                    work_dir=work_dir, progress=progress, on_event=on_event, stack_factory=stack_factory)


def up(
    stack: str,
    *,
    policy: bool = True,
    local: bool = False,
    endpoint: str | None = None,
    state_dir: Path | str | None = None,
    work_dir: Path | str | None = None,
    progress: ProgressTracker | None = None,
    on_event: OnEvent | None = None,
    stack_factory: StackFactory | None = None,
) -> OperationResult:
    """Deploy ``stack`` with the policy pack (unless ``policy=False``); creates the stack if missing.

    No confirmation is asked here, protected or not: calling ``up`` is the decision.
    Other arguments as for ``preview``.
    """
    return _execute("up", stack, policy=policy, local=local, endpoint=endpoint, state_dir=state_dir,
                    work_dir=work_dir, progress=progress, on_event=on_event, stack_factory=stack_factory)


def destroy(
    stack: str,
    *,
    local: bool = False,
    endpoint: str | None = None,
    state_dir: Path | str | None = None,
    work_dir: Path | str | None = None,
    progress: ProgressTracker | None = None,
    on_event: OnEvent | None = None,
    stack_factory: StackFactory | None = None,
) -> OperationResult:
    """Delete every resource of ``stack`` (the stack and its history stay). Arguments as for ``preview``."""
    return _execute("destroy", stack, local=local, endpoint=endpoint, state_dir=state_dir,
                    work_dir=work_dir, progress=progress, on_event=on_event, stack_factory=stack_factory)


def refresh(
    stack: str,
    *,
    local: bool = False,
    endpoint: str | None = None,
    state_dir: Path | str | None = None,
    work_dir: Path | str | None = None,
    progress: ProgressTracker | None = None,
    on_event: OnEvent | None = None,
    stack_factory: StackFactory | None = None,
) -> OperationResult:
    """Adopt the cloud's current state of ``stack``'s resources into its state. Arguments as for ``preview``."""
    return _execute("refresh", stack, local=local, endpoint=endpoint, state_dir=state_dir,
                    work_dir=work_dir, progress=progress, on_event=on_event, stack_factory=stack_factory)


def drift(
    stack: str,
    *,
    local: bool = False,
    endpoint: str | None = None,
    state_dir: Path | str | None = None,
    work_dir: Path | str | None = None,
    progress: ProgressTracker | None = None,
    on_event: OnEvent | None = None,
    stack_factory: StackFactory | None = None,
) -> OperationResult:
    """Refresh ``stack`` in preview mode (``Stack.preview_refresh``): nothing is written.

    ``result.drifted`` is true when any resource would change, i.e. the cloud no longer
    matches the state. Arguments as for ``preview``.
    """
    return _execute("drift", stack, local=local, endpoint=endpoint, state_dir=state_dir,
                    work_dir=work_dir, progress=progress, on_event=on_event, stack_factory=stack_factory)


def outputs(
    stack: str,
    *,
    local: bool = False,
    state_dir: Path | str | None = None,
    work_dir: Path | str | None = None,
    stack_factory: StackFactory | None = None,
) -> OperationResult:
    """The current outputs of ``stack`` in ``result.outputs`` (secrets flagged, values plaintext)."""
    return _execute("outputs", stack, local=local, state_dir=state_dir, work_dir=work_dir,
                    stack_factory=stack_factory)


OPERATIONS: Mapping[str, Callable[..., OperationResult]] = MappingProxyType({
    "preview": preview,
    "up": up,
    "destroy": destroy,
    "refresh": refresh,
    "outputs": outputs,
    "drift": drift,
})


# --------------------------------------------------------------------------- error mapping


def _command_error_detail(text: str) -> str:
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
    if _is_missing_cli(exc):
        return ExitCode.CLI_MISSING, MISSING_CLI_MESSAGE
    if isinstance(exc, KeyboardInterrupt):
        return ExitCode.CANCELLED, f"{stack}: {kind} cancelled (Ctrl-C)."

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
            detail = _command_error_detail(str(exc))
        return ExitCode.FAILED, f"{stack}: {kind} failed: {detail}"
    return ExitCode.FAILED, f"{stack}: {kind} failed: {type(exc).__name__}: {clean_message(str(exc))}"


# --------------------------------------------------------------------------- confirmation


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
            f"{stack}: refusing to {kind} a protected stack (protect: true in Pulumi.{short_name(stack)}.yaml) "
            "without confirmation; pass --yes in non-interactive runs."
        )
    try:
        answer = ask(f"Stack '{stack}' is protected. Type its name to {kind} it: ")
    except EOFError:
        answer = ""
    if answer.strip() != stack:
        raise NotConfirmedError(f"{stack}: confirmation did not match the stack name; nothing was run.")


# --------------------------------------------------------------------------- command line


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


_HELP = {
    "preview": "Preview a stack's changes, with the policy pack.",
    "up": "Deploy a stack, with the policy pack.",
    "destroy": "Delete every resource of a stack.",
    "refresh": "Adopt the cloud's current state into a stack's state.",
    "outputs": "Print a stack's outputs (secrets masked).",
    "drift": "Check a stack for drift (refresh preview); exit 1 on drift.",
}


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
        parser.set_defaults(func=_command, operation=kind)


def _command(args: argparse.Namespace) -> int:
    return run_cli(args)


class ProgressRenderer:
    """Draws a tracker's progress: one line redrawn with ``\\r`` on a TTY, one line per event otherwise."""

    def __init__(self, stream: TextIO, *, tty: bool, width: int | None = None, tick: float = 1.0) -> None:
        self._stream = stream
        self._tty = tty
        self._width = width or shutil.get_terminal_size((100, 20)).columns
        self._tick = tick
        self._lock = threading.Lock()
        self._shown = 0
        self._tracker: ProgressTracker | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def update(self, tracker: ProgressTracker, line: str) -> None:
        """``ProgressTracker``'s ``on_update`` callback."""
        with self._lock:
            if self._tty:
                self._draw(tracker.status_line())
            else:
                self._stream.write(line + "\n")
                self._stream.flush()

    def _draw(self, text: str) -> None:
        text = text[: max(10, self._width - 1)]
        self._stream.write("\r" + text + " " * max(0, self._shown - len(text)))
        self._stream.flush()
        self._shown = len(text)

    def start(self, tracker: ProgressTracker) -> None:
        """On a TTY, redraw every ``tick`` seconds so the elapsed time moves between events."""
        self._tracker = tracker
        if not self._tty:
            return

        def tick() -> None:
            while not self._stop.wait(self._tick):
                with self._lock:
                    self._draw(tracker.status_line())

        self._thread = threading.Thread(target=tick, name="progress", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop redrawing; on a TTY leave the last status line in place."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        with self._lock:
            if self._tty and self._tracker is not None:
                self._draw(self._tracker.status_line(final=True))
                self._stream.write("\n")
                self._stream.flush()
                self._tracker = None


def format_violations(violations: Sequence[PolicyViolation]) -> list[str]:
    """Lines listing policy violations, mandatory first."""
    if not violations:
        return []
    lines = [f"  policy violations ({len(violations)}):"]
    for v in sorted(violations, key=lambda v: (not v.mandatory, v.policy_name)):
        where = f" [{resource_label(v.resource_urn)}]" if v.resource_urn else ""
        lines.append(f"    {v.enforcement_level}: {v.policy_name}{where}: {v.message}")
    return lines


def format_result(result: OperationResult) -> list[str]:
    """The end-of-run summary: changes, policy violations, outputs (secrets masked)."""
    took = format_elapsed(result.elapsed_seconds)
    planned = result.kind in ("preview", "drift")
    if result.kind == "outputs":
        lines = [f"{result.stack}: outputs"]
    elif result.kind == "drift":
        verdict = "drift detected" if result.drifted else "no drift"
        lines = [f"{result.stack}: {verdict} ({took})"]
    else:
        lines = [f"{result.stack}: {result.kind} succeeded ({took})"]
    if result.kind != "outputs":
        lines.append(f"  changes: {result.changes.describe(planned=planned)}")
    if result.kind in POLICY_KINDS:
        if result.policy_checked:
            config = f" with {Path(result.policy_config).name}" if result.policy_config else " (default enforcement)"
            lines.append(f"  policy: checked{config}")
        else:
            lines.append("  policy: NOT checked (--no-policy)")
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
    verbose = bool(getattr(args, "verbose", False))
    work = Path(work_dir).resolve() if work_dir is not None else REPO_ROOT

    if args.stack and args.stacks:
        _print(err, "error: give either STACK or --stacks, not both")
        return ExitCode.USAGE
    if not args.stack and not args.stacks:
        _print(err, f"error: {kind} needs a STACK (or --stacks A,B)")
        return ExitCode.USAGE
    names: tuple[str, ...] = tuple(args.stacks) if args.stacks else (args.stack,)

    name = names[0]
    try:
        for name in names:
            stack_spec(name, create=kind in CREATING_KINDS, local=args.local, work_dir=work)
        if stack_factory is None:
            require_cli()
        if getattr(args, "no_policy", False):
            _print(err, NO_POLICY_WARNING.format(kind=kind))
        endpoint = getattr(args, "endpoint", None)
        if endpoint:
            _print(err, f"note: AWS calls go to the emulator at {endpoint} (test credentials)")
        if kind in MUTATING_KINDS:
            is_tty = sys.stdin.isatty() if interactive is None else interactive
            for name in names:
                if is_protected(name, work):
                    confirm_protected(name, kind, assume_yes=bool(args.yes), interactive=is_tty,
                                      ask=ask or _ask_on(err))
    except KeyboardInterrupt:
        _print(err, f"{kind} cancelled (Ctrl-C); nothing was run.")
        return ExitCode.CANCELLED
    except AutomationError as exc:
        code, line = describe_error(exc, name, kind)
        _print(err, line)
        return code

    any_drift = False
    for name in names:
        tty = _isatty(err)
        renderer = ProgressRenderer(err, tty=tty)
        tracker = ProgressTracker(on_update=renderer.update)
        if len(names) > 1:
            _print(err, f"==> {kind} {name}")
        options: dict[str, Any] = {"local": args.local, "work_dir": work, "stack_factory": stack_factory}
        if kind != "outputs":
            options.update(endpoint=getattr(args, "endpoint", None), progress=tracker)
            renderer.start(tracker)
        if kind in POLICY_KINDS:
            options["policy"] = not args.no_policy
        try:
            result = OPERATIONS[kind](name, **options)
        except (Exception, KeyboardInterrupt) as exc:
            renderer.stop()
            code, line = describe_error(exc, name, kind, tracker)
            details = format_violations(tracker.policy_violations)
            if tty and tracker.errors:
                details += ["  errors:"] + [f"    {e}" for e in tracker.errors]
            _print(err, *details, line)
            if verbose:
                traceback.print_exception(exc, file=err)
            if len(names) > 1 and name != names[-1]:
                rest = ", ".join(names[names.index(name) + 1:])
                _print(err, f"stopped: not run on {rest}")
            return code
        renderer.stop()
        _print(out, *format_result(result))
        any_drift = any_drift or result.drifted
    return ExitCode.FAILED if any_drift else ExitCode.OK


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
