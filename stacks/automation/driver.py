"""The Automation API driver: ``preview``, ``up``, ``destroy``, ``refresh``, ``outputs``, ``drift``, ``audit``, typed.

Scripts import these operations; they return an ``OperationResult`` and print nothing::

    from stacks.automation import preview, up
    result = up("dev", local=True)
    print(result.changes.describe(), result.outputs["url"].display)

Every operation takes the same keywords, the fields of ``StackOptions``; ``preview`` and
``up`` also take ``policy``, ``audit`` takes ``policy_config`` (it exports the stack's state
and runs the offline audit, :mod:`stacks.offline.audit`). ``pulumi.automation`` is imported lazily: importing it costs
~0.2 s and sets up the Pulumi runtime (gRPC, protobuf), which ``python -m stacks plan``
does not need.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Protocol

from stacks.automation.backend import (
    REPO_ROOT,
    StackSpec,
    endpoint_config,
    endpoint_settings,
    short_name,
    stack_config,
    stack_spec,
    validate_endpoint,
)
from stacks.automation.errors import (
    CliNotFoundError,
    ConfigurationError,
    OperationCancelled,
    command_error_detail,
    is_missing_cli,
)
from stacks.automation.progress import ChangeSummary, PolicyViolation, ProgressTracker, clean_message

_log = logging.getLogger(__name__)

KINDS = ("preview", "up", "destroy", "refresh", "outputs", "drift")
"""Every operation, in the order the command line lists them."""
# Operations that change the stack (resources or state): a protected stack needs confirmation.
MUTATING_KINDS = frozenset({"up", "destroy", "refresh"})
# Operations that run the policy pack.
POLICY_KINDS = frozenset({"preview", "up"})
# Operations that create the stack when the backend does not have it yet.
CREATING_KINDS = frozenset({"preview", "up"})
# Operations an interrupted run asks the backend to cancel.
CANCELLABLE_KINDS = frozenset({"up", "destroy", "refresh"})


class StackLike(Protocol):
    """The part of ``pulumi.automation.Stack`` the driver uses (tests pass a fake)."""

    name: str

    def preview(self, **kwargs: Any) -> Any: ...
    def up(self, **kwargs: Any) -> Any: ...
    def destroy(self, **kwargs: Any) -> Any: ...
    def refresh(self, **kwargs: Any) -> Any: ...
    def preview_refresh(self, **kwargs: Any) -> Any: ...
    def outputs(self) -> Mapping[str, Any]: ...
    def export_stack(self) -> Any: ...
    def cancel(self) -> None: ...
    def set_all_config(self, config: Any, *, path: bool = False) -> None: ...
    def remove_all_config(self, keys: list[str], *, path: bool = False) -> None: ...


StackFactory = Callable[[StackSpec], StackLike]
OnEvent = Callable[[Any], Any]


@dataclass(frozen=True)
class StackOptions:
    """How every operation reaches its stack and reports its progress. All optional."""

    local: bool = False
    """Use the ``file://`` backend in ``.pulumi-state/``; needs ``PULUMI_CONFIG_PASSPHRASE``."""
    endpoint: str | None = None
    """Point the AWS provider at an emulator (moto server, LocalStack) at this URL for this run."""
    state_dir: Path | str | None = None
    """Another directory for the local backend (implies ``local``)."""
    work_dir: Path | str | None = None
    """The project directory; this repository by default."""
    progress: ProgressTracker | None = None
    """Receives the engine events; still readable after an exception (e.g. its ``policy_violations``)."""
    on_event: OnEvent | None = None
    """Called with every raw ``EngineEvent``."""
    stack_factory: StackFactory | None = None
    """Opens the stack from a ``StackSpec``; ``open_stack`` (needs the ``pulumi`` CLI) by default."""


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
    """``preview``, ``up``, ``destroy``, ``refresh``, ``outputs``, ``drift`` or ``audit``."""
    changes: ChangeSummary = field(default_factory=ChangeSummary)
    """Resource counts: planned for ``preview`` and ``drift``, done for the others."""
    outputs: Mapping[str, StackOutput] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    """Stack outputs after ``up``, or the current ones for ``outputs``; empty otherwise."""
    policy_violations: tuple[PolicyViolation, ...] = ()
    """Violations the pack reported (advisory ones; mandatory ones fail the operation, except in ``audit``)."""
    policy_checked: bool = False
    """Whether the policy pack ran (``False`` with ``policy=False`` and for kinds without it)."""
    policy_config: str | None = None
    """The policy config file used, if any."""
    policy_defaults: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    """When the pack ran without a ``policies/config/<stack>.json``: the default level it ran each policy at."""
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

    @property
    def audit_failed(self) -> bool:
        """For ``audit``: whether the deployed resources violate a mandatory policy."""
        return self.kind == "audit" and any(v.mandatory for v in self.policy_violations)


# --------------------------------------------------------------------------- the policy pack


def policy_config_file(stack: str, work_dir: Path | str = REPO_ROOT) -> Path:
    """Where ``stack``'s policy config lives (``policies/config/<stack>.json``), whether or not it exists."""
    return Path(work_dir).resolve() / "policies" / "config" / f"{short_name(stack)}.json"


def policy_options(stack: str, *, enabled: bool = True, work_dir: Path | str = REPO_ROOT) -> dict[str, list[str]]:
    """``policy_packs`` / ``policy_pack_configs`` keyword arguments for ``Stack.preview``/``Stack.up``.

    Absolute paths: the pack directory always, the stack's config file when it exists.
    Empty when ``enabled`` is false (``--no-policy``).
    """
    if not enabled:
        return {}
    options = {"policy_packs": [str(Path(work_dir).resolve() / "policies")]}
    config = policy_config_file(stack, work_dir)
    if config.is_file():
        options["policy_pack_configs"] = [str(config)]
    return options


def pack_default_levels() -> Mapping[str, str]:
    """Each policy of the pack and the enforcement level it runs at when no config file chooses one."""
    # Imported here: loading every rule takes a moment and only a stack without a config file needs it.
    from fargate_policies.rules import ALL_POLICIES

    # A policy without a level of its own is advisory: the SDK's default for a pack that sets none.
    levels = {p.name: p.enforcement_level.value if p.enforcement_level else "advisory" for p in ALL_POLICIES}
    return MappingProxyType(dict(sorted(levels.items())))


def describe_levels(levels: Mapping[str, str]) -> str:
    """``42 advisory`` or ``30 mandatory, 12 advisory``: how many policies run at each level."""
    counts = Counter(levels.values())
    return ", ".join(f"{n} {level}" for level, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def default_levels_warning(stack: str, levels: Mapping[str, str]) -> str:
    """The warning for a stack whose policy config file is missing, naming the file and the defaults used."""
    blocks = "" if "mandatory" in levels.values() else "; no violation blocks the deployment"
    return (f"WARNING: {stack}: no policies/config/{short_name(stack)}.json: the policy pack runs at its "
            f"default levels ({describe_levels(levels)}){blocks}; add the file to choose this stack's levels.")


# --------------------------------------------------------------------------- opening and running a stack


def project_dir(options: StackOptions) -> Path:
    """The project directory ``options`` name: ``work_dir``, or this repository."""
    return Path(options.work_dir).resolve() if options.work_dir is not None else REPO_ROOT


def require_cli(which: Callable[[str], str | None] | None = None) -> str:
    """The path of the ``pulumi`` CLI, or ``CliNotFoundError``."""
    path = (which or shutil.which)("pulumi")
    if path is None:
        raise CliNotFoundError()
    return path


def open_stack(spec: StackSpec) -> StackLike:
    """The default stack factory: a ``LocalWorkspace`` on the project directory."""
    from pulumi import automation as auto

    if spec.state_dir is not None:
        spec.state_dir.mkdir(parents=True, exist_ok=True)
    options = auto.LocalWorkspaceOptions(env_vars=dict(spec.env_vars), secrets_provider=spec.secrets_provider)
    select = auto.create_or_select_stack if spec.create else auto.select_stack
    try:
        return select(spec.name, work_dir=str(spec.work_dir), opts=options)
    except FileNotFoundError as exc:
        if is_missing_cli(exc):
            raise CliNotFoundError() from exc
        raise


def apply_endpoint(stack: StackLike, spec: StackSpec, url: str) -> list[str]:
    """Point the AWS provider at ``url``; return the top-level keys to remove afterwards."""
    from pulumi.automation import ConfigValue

    before = stack_config(spec.name, spec.work_dir)
    entries = endpoint_config(url)
    stack.set_all_config({key: ConfigValue(e.value, secret=e.secret) for key, e in entries.items()}, path=True)
    return [key for key in endpoint_settings(url) if key not in before]


def remove_endpoint(stack: StackLike, keys: list[str]) -> None:
    """Remove the emulator settings ``apply_endpoint`` added; a failure is logged, never raised."""
    try:
        stack.remove_all_config(keys)
    except Exception as exc:  # noqa: BLE001 - never mask the operation's own outcome
        _log.warning("could not remove the emulator settings (%s) from the stack config: %s",
                     ", ".join(keys), clean_message(str(exc)))


def cancel(stack: StackLike) -> str | None:
    """Ask the backend to cancel the running update; the reason it could not, if any."""
    try:
        stack.cancel()
    except KeyboardInterrupt:
        return "interrupted again"
    except Exception as exc:  # noqa: BLE001 - the run is already being cancelled
        text = str(exc)
        return command_error_detail(text) if "\n stderr: " in text else clean_message(text) or type(exc).__name__
    return None


def _outputs_of(raw: Mapping[str, Any] | None) -> Mapping[str, StackOutput]:
    items = {
        name: StackOutput(name=name, value=getattr(value, "value", value), secret=bool(getattr(value, "secret", False)))
        for name, value in (raw or {}).items()
    }
    return MappingProxyType(dict(sorted(items.items())))


def _call(stack: StackLike, kind: str, events: dict[str, Any], policy_opts: dict[str, list[str]]) -> tuple:
    """Run ``kind`` on the opened stack: (change summary or None, outputs or None, CLI stdout)."""
    if kind == "preview":
        raw = stack.preview(**events, **policy_opts)
        return raw.change_summary, None, raw.stdout
    if kind == "up":
        raw = stack.up(**events, **policy_opts)
        return raw.summary.resource_changes, raw.outputs, raw.stdout
    if kind == "destroy":
        raw = stack.destroy(**events)
        return raw.summary.resource_changes, None, raw.stdout
    if kind == "refresh":
        raw = stack.refresh(**events)
        return raw.summary.resource_changes, None, raw.stdout
    if kind == "drift":
        raw = stack.preview_refresh(**events)
        return raw.change_summary, None, raw.stdout
    return {}, stack.outputs(), ""


def run(kind: str, stack: str, options: StackOptions | None = None, *, policy: bool = True) -> OperationResult:
    """Run operation ``kind`` (one of ``KINDS``) on ``stack``; ``policy`` applies to ``preview`` and ``up``.

    Checks, in this order: the ``pulumi`` CLI (unless a ``stack_factory`` stands in for it),
    the stack name and backend, the endpoint. Raises the Automation API's errors
    (``CommandError`` and subclasses) and ``stacks.automation.errors.AutomationError``'s.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown operation {kind!r}; expected one of {', '.join(KINDS)}")
    options = options or StackOptions()
    if options.stack_factory is None:
        # First, so a user without the CLI learns that before being asked for anything else.
        require_cli()
    work = project_dir(options)
    spec = stack_spec(stack, create=kind in CREATING_KINDS, local=options.local, state_dir=options.state_dir,
                      work_dir=work)
    if options.endpoint is not None:
        validate_endpoint(options.endpoint)
    policy_opts = policy_options(stack, enabled=policy, work_dir=work) if kind in POLICY_KINDS else {}
    defaults = pack_default_levels() if policy_opts and "policy_pack_configs" not in policy_opts else {}
    tracker = options.progress if options.progress is not None else ProgressTracker()

    def handle(event: Any) -> None:
        tracker.handle(event)
        if options.on_event is not None:
            options.on_event(event)

    opened = (options.stack_factory or open_stack)(spec)
    cleanup: list[str] = []
    try:
        if options.endpoint is not None:
            cleanup = apply_endpoint(opened, spec, options.endpoint)
        try:
            changes, outs, stdout = _call(opened, kind, {"on_event": handle, "color": "never"}, policy_opts)
        except KeyboardInterrupt:
            cancellable = kind in CANCELLABLE_KINDS
            error = cancel(opened) if cancellable else None
            raise OperationCancelled(stack, kind, error, cancel_requested=cancellable) from None
    finally:
        if cleanup:
            remove_endpoint(opened, cleanup)

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
        policy_defaults=defaults,
        stdout=stdout or "",
        warnings=tuple(tracker.warnings),
        elapsed_seconds=tracker.elapsed,
    )


# --------------------------------------------------------------------------- the operations


def preview(stack: str, *, policy: bool = True, **options: Any) -> OperationResult:
    """Preview ``stack`` with the policy pack (unless ``policy=False``); creates the stack if missing.

    ``options`` are ``StackOptions``' fields (``local``, ``endpoint``, ``state_dir``, ``work_dir``,
    ``progress``, ``on_event``, ``stack_factory``).
    """
    return run("preview", stack, StackOptions(**options), policy=policy)


def up(stack: str, *, policy: bool = True, **options: Any) -> OperationResult:
    """Deploy ``stack`` with the policy pack (unless ``policy=False``); creates the stack if missing.

    No confirmation is asked here, protected or not: calling ``up`` is the decision.
    ``options`` as for ``preview``.
    """
    return run("up", stack, StackOptions(**options), policy=policy)


def destroy(stack: str, **options: Any) -> OperationResult:
    """Delete every resource of ``stack`` (the stack and its history stay). ``options`` as for ``preview``."""
    return run("destroy", stack, StackOptions(**options))


def refresh(stack: str, **options: Any) -> OperationResult:
    """Adopt the cloud's current state of ``stack``'s resources into its state. ``options`` as for ``preview``."""
    return run("refresh", stack, StackOptions(**options))


def drift(stack: str, **options: Any) -> OperationResult:
    """Refresh ``stack`` in preview mode (``Stack.preview_refresh``): nothing is written.

    ``result.drifted`` is true when any resource would change, i.e. the cloud no longer
    matches the state. ``options`` as for ``preview``.
    """
    return run("drift", stack, StackOptions(**options))


def outputs(stack: str, **options: Any) -> OperationResult:
    """The current outputs of ``stack`` in ``result.outputs`` (secrets flagged, values plaintext).

    ``options`` as for ``preview``; no AWS call is made, so ``endpoint`` is not needed.
    """
    return run("outputs", stack, StackOptions(**options))


def export_deployment(stack: str, options: StackOptions | None = None) -> dict[str, Any]:
    """``stack``'s state as ``pulumi stack export --show-secrets`` writes it (``Stack.export_stack()``).

    The stack must exist (it is selected, never created). Secrets are in plaintext in the
    returned document: keep it in memory, or write it only where secrets may be.
    """
    options = options or StackOptions()
    if options.stack_factory is None:
        require_cli()
    work = project_dir(options)
    spec = stack_spec(stack, create=False, local=options.local, state_dir=options.state_dir, work_dir=work)
    exported = (options.stack_factory or open_stack)(spec).export_stack()
    return {"version": exported.version, "deployment": exported.deployment}


def audit(stack: str, *, policy_config: Path | str | None = None, **options: Any) -> OperationResult:
    """Export ``stack``'s state and run the policy pack over its deployed resources (nothing is changed).

    The pack is ``<work_dir>/policies``; the policy config is ``policy_config``, else
    ``policies/config/<stack>.json`` if it exists, else the pack's default levels (then
    listed in ``result.policy_defaults``). ``result.audit_failed`` is true when the plan's
    gate fails: a mandatory violation, or a check the pack could not make (a secret exported
    encrypted) under ``"unknowns": "mandatory"``; such checks are listed as violations too.
    An export, policy config or pack that cannot be used raises ``ConfigurationError``.
    ``options`` as for ``preview``; ``endpoint`` is not used.
    """
    # Imported here: the offline audit loads the pack's gRPC client, which the other operations do not need.
    from stacks.offline.audit import audit_deployment, audit_errors
    from stacks.offline.deployment import read_deployment

    started = time.perf_counter()
    opts = StackOptions(**options)
    work = project_dir(opts)
    document = export_deployment(stack, opts)
    try:
        deployed = read_deployment(document, f"stack {stack}'s export")
        # Without policy_config, the default is policies/config/<stack>.json, as policy_config_file() says.
        checked = audit_deployment(deployed, pack_dir=work / "policies", stack=short_name(stack),
                                   policy_config=Path(policy_config) if policy_config is not None else None)
    except audit_errors() as exc:
        raise ConfigurationError(f"{stack}: audit: {exc}") from exc
    report, verdict = checked.report, checked.verdict
    pack = report.pack.name
    violations = [PolicyViolation(policy_name=v.policy, policy_pack=pack, enforcement_level=v.level, message=v.message,
                                  resource_urn=v.urn or None) for v in verdict.violations]
    # A check the pack could not make is mandatory when it fails the gate, as the command line's exit code says.
    violations += [PolicyViolation(policy_name=u.policy, policy_pack=pack, message=f"could not check: {u.reason}",
                                   enforcement_level="mandatory" if u.failing else "advisory",
                                   resource_urn=u.urn or None) for u in verdict.unknowns]
    defaults = {} if checked.policy_config else {name: level for name, (level, _) in sorted(report.config.items())}
    return OperationResult(
        stack=stack,
        kind="audit",
        policy_violations=tuple(violations),
        policy_checked=True,
        policy_config=str(checked.policy_config) if checked.policy_config else None,
        policy_defaults=MappingProxyType(defaults),
        elapsed_seconds=time.perf_counter() - started,
    )
