"""Run a Pulumi Python program in-process under mocks and record what it registers.

:func:`run_program` is what ``pulumi preview`` would do without the CLI, the
engine or a cloud account: it loads the stack's config the way the CLI does,
runs the project's ``__main__.py`` under :class:`stacks.offline.mocks.PlatformMocks`
in preview mode, and records every resource registration as the engine sees
it (URN, type, parent, inputs under the engine's property names,
dependencies, protect, provider), the root stack included, plus the stack's
outputs.

What it records is what ``pulumi up`` would send, as far as it can be known
without AWS: the mocks give every output the provider computes a realistic
value, so inputs built from other resources' outputs (a container's
environment holding a database's address) are known. What stays unknown, as
in a preview, is an optional input the program leaves unset and the SDK does
not say the provider fills in. A project's hooks file
(:mod:`stacks.offline.mock_hooks`) can add or override the mocks' answers.

It can be called several times in one process (dev, then prod, in one pytest
session): each run gets its own copy of Pulumi's runtime context, and the
working directory, ``sys.path``, the modules the program imported and
Pulumi's runtime defaults are put back afterwards.

Errors come back as two exception types, each with a one-line message:
:class:`ConfigError` for a missing or invalid ``Pulumi.yaml`` /
``Pulumi.<stack>.yaml`` and :class:`ProgramError` for anything the program
raised (a ``pulumi.RunError``, like the project's config validation, keeps its
message as is).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import gc
import json
import os
import re
import runpy
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pulumi
import yaml
from google.protobuf import struct_pb2
from pulumi._utils import ContextProperty
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime._callbacks import _CallbackServicer
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.proto import engine_pb2, resource_pb2
from pulumi.runtime.rpc_manager import RPCManager
from pulumi.runtime.stack import run_in_stack

from stacks.offline.mock_hooks import HookError, find_hooks
from stacks.offline.mocks import PlatformMocks, UnknownInvokeError

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"
SECRET_PLACEHOLDER = "[secret]"

# Signatures the engine uses inside property values (sdk/go/common/resource/properties.go).
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
RESOURCE_REF_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
OUTPUT_VALUE_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

# libyaml's loader when PyYAML was built with it: several times faster on the stack files.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DECLARATION_KEYS = frozenset({"type", "description", "default", "value", "secret", "items"})
_YAML_TYPES = {"string": str, "integer": int, "boolean": bool, "array": list, "object": dict}
RECORDING_GC_THRESHOLD = (50_000, 20, 1_000_000)
"""The cyclic collector's thresholds while a program runs (Python's defaults are 700, 10, 10)."""


class OfflineError(Exception):
    """Base of the errors :func:`run_program` raises; ``str()`` is one line."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(OfflineError):
    """The project or stack files are missing or invalid."""


class ProgramError(OfflineError):
    """The program raised, or logged an error. ``cause`` is the original exception, if any."""

    def __init__(self, message: str, cause: BaseException | None = None) -> None:
        super().__init__(message)
        self.cause = cause


# ---------------------------------------------------------------------------
# Values as the engine sees them.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SecretValue:
    """A secret property value. Printed and written as ``[secret]``, never in clear."""

    value: Any

    def __repr__(self) -> str:
        return SECRET_PLACEHOLDER


class _Unknown:
    """A value not known during preview (computed by the provider)."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "[unknown]"


UNKNOWN = _Unknown()


def from_struct(struct: struct_pb2.Struct) -> Any:
    """A Python value from a property Struct: secrets as :class:`SecretValue`, unknowns as :data:`UNKNOWN`.

    Resource references become the referenced resource's id (custom) or URN
    (component), as the engine sends them to analyzers.
    """
    fields = struct.fields
    if SIG_KEY in fields:
        sig = fields[SIG_KEY].string_value
        if sig == SECRET_SIG:
            return SecretValue(from_value(fields["value"]) if "value" in fields else None)
        if sig == RESOURCE_REF_SIG:
            ref_id = fields["id"].string_value if "id" in fields else ""
            return ref_id if ref_id and ref_id != UNKNOWN_SENTINEL else fields["urn"].string_value
        if sig == OUTPUT_VALUE_SIG:
            value = from_value(fields["value"]) if "value" in fields else UNKNOWN
            secret = "secret" in fields and fields["secret"].bool_value
            return SecretValue(value) if secret else value
    return {key: from_value(value) for key, value in fields.items()}


def from_value(value: struct_pb2.Value) -> Any:
    kind = value.WhichOneof("kind")
    if kind == "string_value":
        text = value.string_value
        return UNKNOWN if text == UNKNOWN_SENTINEL else text
    if kind == "number_value":
        return value.number_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "struct_value":
        return from_struct(value.struct_value)
    if kind == "list_value":
        return [from_value(v) for v in value.list_value.values]
    return None


def to_plain(value: Any, *, secret: Any = SECRET_PLACEHOLDER, unknown: Any = "[unknown]") -> Any:
    """A JSON-ready copy of a recorded value: secrets and unknowns replaced by placeholders."""
    if isinstance(value, SecretValue):
        return secret
    if value is UNKNOWN:
        return unknown
    if isinstance(value, Mapping):
        return {str(k): to_plain(v, secret=secret, unknown=unknown) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v, secret=secret, unknown=unknown) for v in value]
    return value


# ---------------------------------------------------------------------------
# Config.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class StackConfig:
    """A stack's config as the CLI passes it to the program: full keys, string values."""

    project: str
    """The project name from ``Pulumi.yaml``."""
    stack: str
    """The stack name."""
    values: dict[str, str]
    """Full key (``<namespace>:<key>``) -> value; objects and arrays as JSON, secrets as ``[secret]``."""
    secret_keys: frozenset[str] = frozenset()
    """Keys whose value is a secret (``secure:`` in the stack file)."""
    project_dir: Path = Path(".")
    """The project directory (where ``Pulumi.yaml`` is)."""
    main: Path = Path(".")
    """The program: ``main`` from ``Pulumi.yaml``, or the project directory."""

    def with_overrides(self, overrides: Mapping[str, Any]) -> StackConfig:
        """A copy with ``overrides`` applied (short keys get the project namespace; None removes a key)."""
        values = dict(self.values)
        secret_keys = set(self.secret_keys)
        for key, value in overrides.items():
            full = _full_key(self.project, key)
            if value is None:
                values.pop(full, None)
                secret_keys.discard(full)
                continue
            text, secret = _config_string(value)
            values[full] = text
            if secret:
                secret_keys.add(full)
            else:
                secret_keys.discard(full)
        return replace(self, values=values, secret_keys=frozenset(secret_keys))


def _full_key(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _is_secure(value: Any) -> bool:
    return isinstance(value, Mapping) and set(value) == {"secure"}


def _scrub_secure(value: Any) -> tuple[Any, bool]:
    """``value`` with every ``{secure: ...}`` replaced by the placeholder, and whether there was one."""
    if _is_secure(value):
        return SECRET_PLACEHOLDER, True
    if isinstance(value, Mapping):
        found = False
        out = {}
        for k, v in value.items():
            out[k], secret = _scrub_secure(v)
            found = found or secret
        return out, found
    if isinstance(value, list):
        items = [_scrub_secure(v) for v in value]
        return [v for v, _ in items], any(s for _, s in items)
    return value, False


def _config_string(value: Any) -> tuple[str, bool]:
    """The string the CLI passes for a YAML config value, and whether it is secret."""
    value, secret = _scrub_secure(value)
    if isinstance(value, str):
        return value, secret
    if value is None:
        return "", secret
    return json.dumps(value), secret


class _UniqueKeyLoader(_YAML_LOADER):  # type: ignore[misc, valid-type]
    """The YAML loader, refusing a key given twice in one mapping: YAML would keep the last one silently."""


def _unique_key_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *defaults` is meant to be overridden
            continue
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        try:
            first = first_line.setdefault(key, line)
        except TypeError:  # a complex key; YAML compares those by value, and config never has them
            continue
        if first != line:
            raise yaml.constructor.ConstructorError(problem=f"{key} is given twice, at lines {first} and {line}; "
                                                            "keep one")
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _unique_key_mapping)


def _read_yaml(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{path.name} line {line}: not UTF-8 text (byte 0x{data[exc.start]:02x}); "
                          "save the file as UTF-8") from exc
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{path.name}{where}: invalid YAML: {problem}") from exc


def _is_declaration(value: Any) -> bool:
    return isinstance(value, Mapping) and bool(value) and set(value) <= _DECLARATION_KEYS


def _type_name(value: Any) -> str:
    for name, kind in _YAML_TYPES.items():
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return name
    return "number" if isinstance(value, float) else type(value).__name__


def load_stack_config(project_dir: Path, stack: str) -> StackConfig:
    """The stack's config: ``Pulumi.yaml`` defaults overlaid with ``Pulumi.<stack>.yaml``.

    Raises :class:`ConfigError` when a file is missing or invalid, a declared
    key without default is not set, or a value has the wrong type.
    """
    project_dir = Path(project_dir).resolve()
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.is_file():
        alt = project_dir / "Pulumi.yml"
        if not alt.is_file():
            raise ConfigError(f"Pulumi.yaml not found in {project_dir}")
        project_file = alt
    project_doc = _read_yaml(project_file)
    if not isinstance(project_doc, Mapping) or not isinstance(project_doc.get("name"), str):
        raise ConfigError(f"{project_file.name} in {project_dir}: 'name' is missing")
    project = project_doc["name"]
    runtime = project_doc.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, Mapping) else runtime
    if runtime_name not in (None, "python"):
        raise ConfigError(f"{project_file.name} in {project_dir}: runtime {runtime_name!r} is not python")
    main = project_dir / str(project_doc.get("main") or ".")

    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        raise ConfigError(f"Pulumi.{stack}.yaml not found in {project_dir}")
    stack_doc = _read_yaml(stack_file)
    if not isinstance(stack_doc, Mapping):
        raise ConfigError(f"{stack_file.name}: expected a mapping at the top level")

    declared = project_doc.get("config") or {}
    if not isinstance(declared, Mapping):
        raise ConfigError(f"{project_file.name}: 'config' must be a mapping")
    given = stack_doc.get("config") or {}
    if not isinstance(given, Mapping):
        raise ConfigError(f"{stack_file.name}: 'config' must be a mapping")

    raw: dict[str, Any] = {}
    types: dict[str, str] = {}
    required: set[str] = set()
    for key, spec in declared.items():
        full = _full_key(project, str(key))
        if _is_declaration(spec):
            if isinstance(spec.get("type"), str):
                types[full] = spec["type"]
            if "default" in spec or "value" in spec:
                raw[full] = spec.get("default", spec.get("value"))
            elif "type" in spec:
                required.add(full)
        else:
            raw[full] = spec
    for key, value in given.items():
        raw[_full_key(project, str(key))] = value

    for full in sorted(required - raw.keys()):
        raise ConfigError(f"{full}: not set; Pulumi.yaml declares it without a default, so {stack_file.name} "
                          "must set it")
    values: dict[str, str] = {}
    secret_keys: set[str] = set()
    for full, value in raw.items():
        expected = types.get(full)
        if expected in _YAML_TYPES and not _is_secure(value) and value is not None:
            actual = _type_name(value)
            if actual != expected:
                raise ConfigError(f"{full}: expected {expected}, got {actual} {json.dumps(value, default=str)} "
                                  f"(in {stack_file.name if full in _given_keys(project, given) else 'Pulumi.yaml'})")
        values[full], secret = _config_string(value)
        if secret:
            secret_keys.add(full)
    return StackConfig(project=project, stack=stack, values=values, secret_keys=frozenset(secret_keys),
                       project_dir=project_dir, main=main)


def _given_keys(project: str, given: Mapping[str, Any]) -> set[str]:
    return {_full_key(project, str(k)) for k in given}


# ---------------------------------------------------------------------------
# What the program registered.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RecordedResource:
    """One resource registration, as the engine received it."""

    urn: str
    type: str
    name: str
    parent: str | None
    """Parent URN; None for the root stack."""
    inputs: dict[str, Any]
    """Inputs under the engine's (camelCase) names; numbers are floats, secrets :class:`SecretValue`."""
    dependencies: tuple[str, ...] = ()
    property_dependencies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    protect: bool = False
    custom: bool = True
    provider: str | None = None
    """Provider reference (``<provider urn>::<provider id>``) when one was given explicitly."""
    remote: bool = False
    """A component implemented by a provider (e.g. awsx), not by the program."""
    id: str = ""
    """The id the mocks assigned (custom resources)."""
    version: str = ""
    """The provider package version the SDK asked for."""
    read: bool = False
    """An existing resource read with ``.get()`` (shown as ``>-`` by ``pulumi preview``), not created."""


@dataclass(frozen=True)
class LogEntry:
    """A message the program logged through ``pulumi.log``."""

    severity: str
    message: str
    urn: str = ""


@dataclass(frozen=True)
class ProgramRun:
    """The result of :func:`run_program`."""

    project: str
    stack: str
    resources: list[RecordedResource]
    """Every registration, the root stack first, then depth-first by parent (children sorted by name)."""
    outputs: dict[str, Any]
    """Stack outputs (secrets as :class:`SecretValue`)."""
    config: StackConfig
    logs: list[LogEntry] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def root(self) -> RecordedResource:
        return self.resources[0]

    def by_urn(self) -> dict[str, RecordedResource]:
        return {r.urn: r for r in self.resources}

    def of_type(self, type_token: str) -> list[RecordedResource]:
        return [r for r in self.resources if r.type == type_token]

    def named(self, name: str) -> RecordedResource:
        """The one resource with logical name ``name`` (KeyError if none)."""
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(name)


class _RecordingEngine:
    """The engine end of ``pulumi.log``: keeps every message."""

    _SEVERITIES = {engine_pb2.DEBUG: "debug", engine_pb2.INFO: "info", engine_pb2.WARNING: "warning",
                   engine_pb2.ERROR: "error"}

    def __init__(self) -> None:
        self.logs: list[LogEntry] = []

    def Log(self, request: engine_pb2.LogRequest) -> None:  # noqa: N802 - gRPC method name
        severity = self._SEVERITIES.get(request.severity, "info")
        if severity != "debug":
            self.logs.append(LogEntry(severity, request.message, request.urn))


class RecordingMonitor(MockMonitor):
    """A mock monitor that records each RegisterResource request and runs the program's transforms.

    The plain ``MockMonitor`` answers through ``Mocks.new_resource``, which
    never sees parent, dependencies or protect, and it does not run stack
    transforms. Here each request is kept whole, after the transforms have been
    applied as the engine applies them (the resource's own, then the stack's).
    URNs are built as the engine builds them (the root stack's type is not
    part of its children's URNs).
    """

    def __init__(self, mocks: pulumi.runtime.Mocks,
                 on_resource: Callable[[RecordedResource], None] | None = None) -> None:
        super().__init__(mocks)
        self.records: list[RecordedResource] = []
        """Every registration so far, in the order the engine received them."""
        self.outputs: dict[str, struct_pb2.Struct] = {}
        self.callback_errors: list[BaseException] = []
        self._on_resource = on_resource
        self._stack_transform_tokens: list[str] = []
        self._lock = threading.Lock()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            parent_type = parent.split("::")[2]
            if parent_type != ROOT_STACK_TYPE:
                type_ = f"{parent_type}${type_}"
        return "urn:pulumi:" + "::".join([runtime_settings.get_stack(), runtime_settings.get_project(), type_, name])

    def RegisterResource(self, request: resource_pb2.RegisterResourceRequest):  # noqa: N802
        tokens = [cb.token for cb in request.transforms] + list(self._stack_transform_tokens)
        if tokens and request.type != ROOT_STACK_TYPE:
            request = self._transform(request, tokens)
        response = super().RegisterResource(request)
        _mark_secret(response.object, request.additionalSecretOutputs)
        self._record(_registered(request, response.urn, response.id))
        return response

    def ReadResource(self, request: resource_pb2.ReadResourceRequest):  # noqa: N802
        response = super().ReadResource(request)
        self._record(_read(request, response.urn))
        return response

    def _record(self, record: RecordedResource) -> None:
        with self._lock:
            self.records.append(record)
        if self._on_resource is not None:
            try:
                self._on_resource(record)
            except Exception as exc:  # noqa: BLE001 - a listener's failure must not fail the program
                self.callback_errors.append(exc)

    def RegisterResourceOutputs(self, request):  # noqa: N802
        with self._lock:
            self.outputs[request.urn] = request.outputs
        return super().RegisterResourceOutputs(request)

    def RegisterStackTransform(self, request):  # noqa: N802
        with self._lock:
            self._stack_transform_tokens.append(request.token)
        return super().RegisterStackTransform(request)

    @staticmethod
    def _callback(token: str):
        for servicer in list(_CallbackServicer._servicers):
            callback = servicer._callbacks.get(token)
            if callback is not None:
                return callback, servicer._loop
        raise RuntimeError(f"transform callback {token} is not registered")

    def _transform(self, request: resource_pb2.RegisterResourceRequest,
                   tokens: list[str]) -> resource_pb2.RegisterResourceRequest:
        current = resource_pb2.RegisterResourceRequest()
        current.CopyFrom(request)
        for token in tokens:
            options = resource_pb2.TransformResourceOptions(
                depends_on=list(current.dependencies), ignore_changes=list(current.ignoreChanges),
                provider=current.provider, version=current.version,
                plugin_download_url=current.pluginDownloadURL,
                additional_secret_outputs=list(current.additionalSecretOutputs))
            if current.HasField("protect"):
                options.protect = current.protect
            transform_request = resource_pb2.TransformRequest(
                type=current.type, name=current.name, custom=current.custom, parent=current.parent,
                properties=current.object, options=options)
            callback, loop = self._callback(token)
            payload = transform_request.SerializeToString()
            result = asyncio.run_coroutine_threadsafe(callback(payload), loop).result()
            current.object.CopyFrom(result.properties)
            if result.HasField("options"):
                opts = result.options
                del current.dependencies[:]
                current.dependencies.extend(opts.depends_on)
                if opts.HasField("protect"):
                    current.protect = opts.protect
                if opts.provider:
                    current.provider = opts.provider
                del current.ignoreChanges[:]
                current.ignoreChanges.extend(opts.ignore_changes)
        return current


def _mark_secret(outputs: struct_pb2.Struct, names: Iterable[str]) -> None:
    """Wrap the outputs a resource declares secret (a random password's result), as the engine does."""
    for name in names:
        value = outputs.fields.get(name)
        inner = value.struct_value.fields if value is not None and value.HasField("struct_value") else {}
        if value is None or (SIG_KEY in inner and inner[SIG_KEY].string_value == SECRET_SIG):
            continue
        secret = struct_pb2.Struct()
        secret.fields[SIG_KEY].string_value = SECRET_SIG
        secret.fields["value"].CopyFrom(value)
        outputs.fields[name].struct_value.CopyFrom(secret)


# ---------------------------------------------------------------------------
# Running the program.
# ---------------------------------------------------------------------------
def run_program(project_dir: Path, stack: str, *, config_overrides: Mapping[str, Any] | None = None,
                mocks: pulumi.runtime.Mocks | None = None, mocks_file: Path | None = None,
                on_resource: Callable[[RecordedResource], None] | None = None, one_shot: bool = False) -> ProgramRun:
    """Run the project's program for ``stack`` under mocks (preview mode) and record what it registers.

    ``config_overrides`` replaces config values (short keys get the project
    namespace; None removes a key). ``mocks`` defaults to :class:`PlatformMocks`
    with the hooks of ``mocks_file``, or of the project's ``offline_mocks.py``
    when there is one. ``on_resource`` is called with each registration as it
    happens (from the runtime's worker threads), as the engine hands resources
    to analyzers; its exceptions are ignored. ``one_shot`` says the process
    ends soon after this run (a command's one plan): what the run allocated is
    then frozen rather than collected (see :func:`_collector_paced_for_recording`).
    Raises :class:`ConfigError` or :class:`ProgramError`, each with a one-line message.
    """
    started = time.perf_counter()
    project_dir = Path(project_dir).resolve()
    config = load_stack_config(project_dir, stack)
    if config_overrides:
        config = config.with_overrides(config_overrides)
    entry = config.main / "__main__.py" if config.main.is_dir() else config.main
    if not entry.is_file():
        raise ConfigError(f"{entry.name} not found in {entry.parent}")

    engine = _RecordingEngine()
    with _isolated_process_state(project_dir), _collector_paced_for_recording(freeze=one_shot):
        if mocks is None:
            # Loaded here, with the project on sys.path, so the hooks may import the project's modules.
            try:
                mocks = PlatformMocks(hooks=find_hooks(project_dir, mocks_file))
            except HookError as exc:
                raise ConfigError(str(exc)) from exc
        monitor = RecordingMonitor(mocks, on_resource)
        failure = _in_worker_thread(monitor, engine, config)
    if failure is not None:
        raise ProgramError(_describe(failure, project_dir), failure)
    errors = [log.message.strip() for log in engine.logs if log.severity == "error"]
    if errors:
        raise ProgramError(errors[0].splitlines()[0] if errors[0] else "the program logged an error")

    resources = _order(list(monitor.records))
    outputs = {}
    if resources and resources[0].urn in monitor.outputs:
        outputs = from_struct(monitor.outputs[resources[0].urn])
    return ProgramRun(project=config.project, stack=config.stack, resources=resources, outputs=outputs,
                      config=config, logs=engine.logs, seconds=time.perf_counter() - started)


def _in_worker_thread(monitor: RecordingMonitor, engine: _RecordingEngine, config: StackConfig) -> BaseException | None:
    """Run the program on a thread of its own, in a copy of the caller's context.

    The thread has its own event loop, so a caller that is itself inside a
    running loop (an async test, ``pulumi.runtime.test``) is not disturbed,
    and the copied context keeps Pulumi's settings, config and root resource
    from leaking back to the caller.
    """
    context = contextvars.copy_context()
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            outcome.append(context.run(_execute, monitor, engine, config))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            outcome.append(exc)

    worker = threading.Thread(target=target, name="pulumi-program", daemon=True)
    worker.start()
    worker.join()
    return outcome[0] if outcome else RuntimeError("the program thread ended without a result")


def _execute(monitor: RecordingMonitor, engine: _RecordingEngine, config: StackConfig) -> BaseException | None:
    """Run the program inside the caller's copied context; return what it raised, if anything."""
    settings = runtime_settings.SETTINGS
    settings.monitor = monitor
    settings.engine = engine
    settings.project = config.project
    settings.stack = config.stack
    settings.organization = "organization"
    settings.root_directory = str(config.project_dir)
    settings.dry_run = True
    settings.parallel = None
    settings.legacy_apply_enabled = False
    settings.rpc_manager = RPCManager()
    settings.outputs = set()
    settings.lock = threading.Lock()
    settings.package_refs = {}
    settings.base_providers_by_ref = {}
    settings.callbacks = None
    settings.monitor_features = set(monitor.GetDeploymentInfo(None).supportedFeatures)
    runtime_settings.ROOT.set(None)
    runtime_config.set_all_config(dict(config.values), sorted(config.secret_keys))

    program = str(config.main)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(
            run_in_stack(lambda: runpy.run_path(program, run_name="__main__")))
        return None
    except BaseException as exc:  # noqa: BLE001 - reported to the caller as a ProgramError
        return exc
    finally:
        _close_loop(loop)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


@contextlib.contextmanager
def _collector_paced_for_recording(*, freeze: bool = False) -> Iterator[None]:
    """Python's cyclic collector set to :data:`RECORDING_GC_THRESHOLD` for the run, its thresholds put back after.

    ``freeze``: for a process that ends soon after the run. The run's objects become garbage once it ends, and the
    first collection after the thresholds are put back is a full pass over them all (1.5 s of a 100-service
    recording's 10 s); frozen, the collector never looks at them again, and the process's exit frees them.
    """
    saved = gc.get_threshold()
    # Nearly everything a run allocates lives until it ends, so full passes over it free nothing and cost
    # two fifths of a large run: young objects are collected less often and old ones not during the run.
    gc.set_threshold(*RECORDING_GC_THRESHOLD)
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        gc.set_threshold(*saved)


class _isolated_process_state:  # noqa: N801 - used as a context manager
    """cwd, sys.path, argv, the program's modules and Pulumi's runtime defaults, put back on exit."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir

    def __enter__(self) -> None:
        self.cwd = os.getcwd()
        self.path = list(sys.path)
        self.modules = set(sys.modules)
        self.argv = list(sys.argv)
        self.defaults = _settings_defaults()
        os.chdir(self.project_dir)
        sys.path.insert(0, str(self.project_dir))

    def __exit__(self, *exc: object) -> None:
        os.chdir(self.cwd)
        sys.path[:] = self.path
        sys.argv[:] = self.argv
        root = str(self.project_dir) + os.sep
        for name in set(sys.modules) - self.modules:
            module = sys.modules.get(name)
            locations = [getattr(module, "__file__", None) or "", *list(getattr(module, "__path__", None) or [])]
            # Installed packages (a virtualenv may live inside the project) stay loaded: re-importing
            # a provider SDK would register its package twice.
            if any(str(loc).startswith(root) and not _is_installed(str(loc)) for loc in locations if loc):
                del sys.modules[name]
        _restore_settings_defaults(self.defaults)


def _is_installed(location: str) -> bool:
    """Whether a module file belongs to an installed distribution rather than to the project."""
    return f"{os.sep}site-packages{os.sep}" in location or f"{os.sep}dist-packages{os.sep}" in location


def _settings_defaults() -> dict[str, Any]:
    # A ContextProperty's first assignment also replaces its process-wide default, which would leak
    # this run's monitor and project into later code; remember the defaults to put them back.
    return {name: prop._ContextProperty__default for name, prop in vars(runtime_settings.Settings).items()
            if isinstance(prop, ContextProperty)}


def _restore_settings_defaults(defaults: Mapping[str, Any]) -> None:
    for name, value in defaults.items():
        vars(runtime_settings.Settings)[name]._ContextProperty__default = value


def _describe(exc: BaseException, project_dir: Path) -> str:
    """One line for an exception from the program."""
    if isinstance(exc, pulumi.RunError):
        return str(exc).strip() or type(exc).__name__
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, SystemExit):
        return f"the program called sys.exit({exc.code!r})"
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(str(project_dir) + os.sep):
            where = f" ({os.path.relpath(frame.filename, project_dir)}:{frame.lineno})"
            break
    if isinstance(exc, UnknownInvokeError | HookError):
        return f"{first}{where}"
    return f"{type(exc).__name__}: {first}{where}" if first else f"{type(exc).__name__}{where}"


def _registered(request: resource_pb2.RegisterResourceRequest, urn: str, resource_id: str) -> RecordedResource:
    return RecordedResource(
        urn=urn,
        type=request.type,
        name=request.name,
        parent=request.parent or None,
        inputs=from_struct(request.object) if request.type != ROOT_STACK_TYPE else {},
        dependencies=tuple(request.dependencies),
        property_dependencies={key: tuple(deps.urns) for key, deps in request.propertyDependencies.items()},
        protect=bool(request.protect),
        custom=bool(request.custom),
        provider=request.provider or None,
        remote=bool(request.remote),
        id=resource_id or "",
        version=request.version,
    )


def _read(request: resource_pb2.ReadResourceRequest, urn: str) -> RecordedResource:
    return RecordedResource(
        urn=urn, type=request.type, name=request.name, parent=request.parent or None,
        inputs=from_struct(request.properties), dependencies=tuple(request.dependencies), custom=True,
        provider=request.provider or None, id=request.id, version=request.version, read=True)


def _natural(text: str) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _order(records: Iterable[RecordedResource]) -> list[RecordedResource]:
    """Root stack first, then depth-first by parent, siblings in natural name order."""
    items = list(records)
    children: dict[str | None, list[RecordedResource]] = {}
    urns = {r.urn for r in items}
    for record in items:
        parent = record.parent if record.parent in urns else None
        children.setdefault(parent, []).append(record)
    for siblings in children.values():
        siblings.sort(key=lambda r: (r.type != ROOT_STACK_TYPE, _natural(r.name), r.type))
    ordered: list[RecordedResource] = []
    stack = list(reversed(children.get(None, [])))
    while stack:
        record = stack.pop()
        ordered.append(record)
        stack.extend(reversed(children.get(record.urn, [])))
    return ordered
