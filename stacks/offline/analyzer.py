"""Run a CrossGuard policy pack over recorded resources, the way the Pulumi CLI does.

The pack is launched as the CLI's launcher launches it (:mod:`stacks.offline.packlaunch`,
with the current interpreter; there is no engine, so the address is a
placeholder the SDK only parses); ``pulumi.policy`` runs the pack's
``__main__.py``, whose ``PolicyPack`` serves the Analyzer gRPC service and
prints its port on stdout. We then speak the Analyzer protocol with the stubs
shipped in the Pulumi SDK:

1. ``GetAnalyzerInfo``: the pack's policies, their enforcement levels, config
   schemas and remediation steps.
2. ``ConfigureStack`` and ``Configure``: the policy config reconciled as the
   CLI's ``ReconcilePolicyPackConfig`` does (schema defaults, then the pack's
   initial config, then the config file; ``all`` sets every level), and
   validated against each policy's config schema.
3. ``Analyze`` for every custom resource, then, once every one is answered,
   ``AnalyzeStack`` once with all resources (parents, dependencies and
   property dependencies included). The Analyze calls go over a ``grpc.aio``
   channel, a bounded number in flight (:class:`_Pipeline`), and requests are
   encoded to the wire format directly (:func:`encode_properties`), each one
   sent as soon as it is encoded once the pack is configured: on stacks of
   tens of thousands of resources the protocol's per-call cost is most of
   the evaluation, and the pack answers while the rest is encoded.

The pack process is killed at the end, also on errors and Ctrl-C.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import queue
import struct as struct_module
import subprocess
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import grpc._channel  # noqa: F401 - imported now, while the pack boots, not by the first channel once its port is known
import yaml
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from stacks.offline.packlaunch import LaunchedPack, PolicyPackError, launch, pack_error
from stacks.offline.policy_config import reconcile_policy_config
from stacks.offline.runner import (
    ROOT_STACK_TYPE,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
    UNKNOWN_SENTINEL,
    RecordedResource,
    SecretValue,
)

_LEVEL_FROM_PROTO = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
                     analyzer_pb2.REMEDIATE: "remediate", analyzer_pb2.DISABLED: "disabled"}
_LEVEL_TO_PROTO = {v: k for k, v in _LEVEL_FROM_PROTO.items()}
_SEVERITIES = {analyzer_pb2.POLICY_SEVERITY_UNSPECIFIED: "", analyzer_pb2.POLICY_SEVERITY_LOW: "low",
               analyzer_pb2.POLICY_SEVERITY_MEDIUM: "medium", analyzer_pb2.POLICY_SEVERITY_HIGH: "high",
               analyzer_pb2.POLICY_SEVERITY_CRITICAL: "critical"}
_POLICY_TYPES = {analyzer_pb2.POLICY_TYPE_RESOURCE: "resource", analyzer_pb2.POLICY_TYPE_STACK: "stack"}
_GRPC_OPTIONS = [("grpc.max_receive_message_length", 400 * 1024 * 1024),
                 ("grpc.max_send_message_length", 400 * 1024 * 1024)]
DEFAULT_START_TIMEOUT = 60.0
RPC_TIMEOUT = 300.0
# Analyze requests in flight at once: enough to keep the pack busy, few enough that a stack of tens of
# thousands of resources does not queue them all at the server (which then cancels the backlog).
MAX_IN_FLIGHT = 32


# ---------------------------------------------------------------------------
# Results.
# ---------------------------------------------------------------------------
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


@dataclass(frozen=True)
class PackInfo:
    """The pack's name, version (from ``PulumiPolicy.yaml``, as the CLI reports it) and policies."""

    name: str
    version: str
    description: str = ""
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

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.level == "mandatory"]

    @property
    def advisory(self) -> list[Violation]:
        return [v for v in self.violations if v.level != "mandatory"]


# ---------------------------------------------------------------------------
# Wire format.
# ---------------------------------------------------------------------------
def to_wire(value: Any) -> Any:
    """A recorded value in the engine's wire form: secrets signed, unknowns as the sentinel."""
    if isinstance(value, SecretValue):
        return {SIG_KEY: SECRET_SIG, "value": to_wire(value.value)}
    if value is UNKNOWN:
        return UNKNOWN_SENTINEL
    if isinstance(value, Mapping):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_wire(v) for v in value]
    return value


def to_struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(to_wire(props))
    return struct


# ---------------------------------------------------------------------------
# Protobuf encoding, by hand where it is hot.
#
# A large stack is tens of thousands of property bags, and building each as a
# ``Struct`` message (whose ``update`` is Python code per value) and keeping
# the messages for the AnalyzeStack request cost more time and memory than the
# pack's evaluation. The bags are encoded straight to the wire format instead
# (``google.protobuf.Struct``: a map of ``Value``s) and kept as bytes; a
# request is its small fields serialized by protobuf, followed by the encoded
# properties field (protobuf concatenates fields on parsing).
# ---------------------------------------------------------------------------
_PACK_DOUBLE = struct_module.Struct("<d").pack


def _varint(value: int) -> bytes:
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    return tag + _varint(len(payload)) + payload


def _encode_value(value: Any) -> bytes:
    """``to_wire(value)`` as a ``google.protobuf.Value``, typed as ``Struct.update`` types it."""
    if isinstance(value, str):
        return _field(b"\x1a", value.encode("utf-8"))
    if isinstance(value, bool):
        return b"\x20\x01" if value else b"\x20\x00"
    if isinstance(value, int | float):
        return b"\x11" + _PACK_DOUBLE(value)
    if value is None:
        return b"\x08\x00"  # null_value
    if isinstance(value, dict | Mapping):
        return _field(b"\x2a", _encode_fields(value))
    if isinstance(value, list | tuple):
        return _field(b"\x32", b"".join([_field(b"\x0a", _encode_value(item)) for item in value]))
    if isinstance(value, SecretValue) or value is UNKNOWN:
        return _encode_value(to_wire(value))
    raise ValueError(f"Unexpected type {type(value).__name__} in a property value")


def _encode_fields(props: Mapping[str, Any]) -> bytes:
    parts = []
    for key, item in props.items():
        name = str(key).encode("utf-8")
        value = _encode_value(item)
        entry = b"\x0a" + _varint(len(name)) + name + b"\x12" + _varint(len(value)) + value
        parts.append(b"\x0a" + _varint(len(entry)) + entry)
    return b"".join(parts)


def encode_properties(props: Mapping[str, Any]) -> bytes:
    """``to_struct(props).SerializeToString()``, encoded directly (the same message when parsed)."""
    return _encode_fields(props)


def _tag(message: type, name: str) -> bytes:
    """The key of ``message``'s length-delimited field ``name``."""
    return _varint(message.DESCRIPTOR.fields_by_name[name].number << 3 | 2)


def _properties_field(message: type, encoded: bytes) -> bytes:
    """``encoded`` properties as the ``properties`` field of ``message``."""
    return _field(_tag(message, "properties"), encoded)


def _pack_version(pack_dir: Path) -> str:
    try:
        doc = yaml.safe_load((pack_dir / "PulumiPolicy.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return ""
    version = doc.get("version") if isinstance(doc, Mapping) else None
    return str(version) if version is not None else ""


def _pack_info(info: analyzer_pb2.AnalyzerInfo, version: str) -> PackInfo:
    policies = []
    for p in info.policies:
        schema = None
        if p.HasField("configSchema") and (len(p.configSchema.properties) or len(p.configSchema.required)):
            schema = {"properties": json_format.MessageToDict(p.configSchema.properties),
                      "required": list(p.configSchema.required)}
        policies.append(PolicyInfo(
            name=p.name, description=p.description, enforcement_level=_LEVEL_FROM_PROTO.get(p.enforcementLevel,
                                                                                             "advisory"),
            policy_type=_POLICY_TYPES.get(p.policy_type, ""), severity=_SEVERITIES.get(p.severity, ""),
            remediation=p.remediation_steps, display_name=p.displayName, config_schema=schema))
    initial: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for name, config in info.initialConfig.items():
        props = json_format.MessageToDict(config.properties) if config.HasField("properties") else {}
        level = _LEVEL_FROM_PROTO.get(config.enforcementLevel)
        initial[name] = (level if (config.enforcementLevel or not props) else None, props)
    return PackInfo(name=info.name, version=version or info.version, description=info.description,
                    policies=tuple(policies), initial_config=initial)


# ---------------------------------------------------------------------------
# The pack process.
# ---------------------------------------------------------------------------
_SERVICE = analyzer_pb2.DESCRIPTOR.services_by_name["Analyzer"].full_name


class _Pipeline:
    """Analyze requests from any thread, sent over a ``grpc.aio`` channel that one event-loop thread drives.

    The synchronous stub costs a thread handoff and a future per call on both
    ends; with tens of thousands of resources that is most of an evaluation.
    Here callers only append to a queue; the loop keeps at most ``limit``
    calls in flight, starting the next one as each finishes, and files each
    response (or ``grpc.RpcError``) under its key. :meth:`wait` blocks until
    everything queued so far is answered.
    """

    def __init__(self, target: str, limit: int) -> None:
        self._target = target
        self._limit = limit
        self._loop = asyncio.new_event_loop()
        self._queue: deque[tuple[str, bytes]] = deque()
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._outstanding = 0
        self._running = 0
        self._wake_pending = False
        self.results: dict[str, Any] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._channel: Any = None
        self._methods: dict[str, Any] = {}
        # Not waited for: making the first grpc.aio channel of a process takes milliseconds, which pass while the
        # caller goes on (GetAnalyzerInfo, Configure). Whatever is queued or scheduled meanwhile runs on the loop
        # once the channel is made.
        self._thread = threading.Thread(target=self._serve, name="policy-pack-analyze", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        # If the channel cannot be made, the thread ends here: wait() then returns what was answered, and the
        # caller reports the rest as unanswered.
        asyncio.set_event_loop(self._loop)
        self._channel = grpc.aio.insecure_channel(self._target, options=_GRPC_OPTIONS)
        # Requests arrive serialized (see encode_properties); responses are parsed as usual.
        self._methods = {
            name: self._channel.unary_unary(f"/{_SERVICE}/{name}", request_serializer=None,
                                            response_deserializer=analyzer_pb2.AnalyzeResponse.FromString)
            for name in ("Analyze", "AnalyzeStack")}
        # Connect now, not at the first call: the pack is being configured meanwhile, so the first Analyze finds
        # the connection made. (A state query, not a poller: closing never waits on it.)
        self._channel.get_state(try_to_connect=True)
        self._loop.run_forever()

    def send(self, key: str, request: bytes) -> None:
        """Queue ``Analyze`` with the serialized ``request``; its response is filed under ``key``."""
        with self._lock:
            self._queue.append((key, request))
            self._outstanding += 1
            if self._wake_pending:
                return
            self._wake_pending = True
        self._loop.call_soon_threadsafe(self._start_more)

    def _start_more(self) -> None:
        with self._lock:
            self._wake_pending = False
            batch = []
            while self._queue and self._running < self._limit:
                batch.append(self._queue.popleft())
                self._running += 1
        for key, request in batch:
            task = self._loop.create_task(self._analyze(key, request))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _analyze(self, key: str, request: bytes) -> None:
        try:
            result: Any = await self._methods["Analyze"](request, timeout=RPC_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - filed as the answer; finish() raises it
            result = exc
        except asyncio.CancelledError:
            result = grpc.aio.AioRpcError(grpc.StatusCode.CANCELLED, grpc.aio.Metadata(), grpc.aio.Metadata(),
                                          details="the analyzer was closed")
        with self._lock:
            self.results[key] = result
            self._running -= 1
            self._outstanding -= 1
            if not self._outstanding:
                self._idle.notify_all()
        self._start_more()

    def call(self, name: str, request: bytes) -> concurrent.futures.Future[Any]:
        """Start ``name`` (``Analyze`` or ``AnalyzeStack``) with the serialized ``request``; its future."""

        async def call() -> Any:
            return await self._methods[name](request, timeout=RPC_TIMEOUT)

        return asyncio.run_coroutine_threadsafe(call(), self._loop)

    def wait(self) -> dict[str, Any]:
        """Every response so far, once every queued request is answered (or the loop has stopped)."""
        with self._idle:
            while self._outstanding and self._thread.is_alive():
                self._idle.wait(timeout=1.0)
            return self.results

    def close(self) -> None:
        if not self._thread.is_alive():
            return

        async def shut() -> None:
            with self._lock:
                self._queue.clear()  # never started: nothing to wait for
            await self._channel.close()  # cancels the calls in flight
            if self._tasks:
                await asyncio.gather(*self._tasks, return_exceptions=True)
            self._loop.stop()

        self._loop.call_soon_threadsafe(lambda: self._loop.create_task(shut()))
        self._thread.join(timeout=10)
        if not self._thread.is_alive():
            self._loop.close()


class PolicyPackProcess:
    """A running policy pack. Start it early (:meth:`start`), use it, and always :meth:`close` it.

    Usable as a context manager. Starting does not wait for the port, so the
    pack can boot while the program runs; :meth:`connect` waits.
    """

    def __init__(self, pack_dir: Path, project: str, stack: str, *, config: Mapping[str, str] | None = None,
                 timeout: float = DEFAULT_START_TIMEOUT) -> None:
        self.pack_dir = Path(pack_dir).resolve()
        self.project = project
        self.stack = stack
        self.config = dict(config or {})
        self.timeout = timeout
        self._launched: LaunchedPack | None = None
        self.channel: grpc.Channel | None = None
        self.stub: analyzer_pb2_grpc.AnalyzerStub | None = None
        self._address = ""
        self._pipeline: _Pipeline | None = None
        self._pipeline_lock = threading.Lock()
        self._port: queue.Queue[int | None] = queue.Queue()
        self._stderr: deque[str] = deque(maxlen=60)
        self._stdout: deque[str] = deque(maxlen=60)
        self._threads: list[threading.Thread] = []

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The pack's process, from :meth:`start` until :meth:`close`."""
        return self._launched.process if self._launched is not None else None

    def __enter__(self) -> PolicyPackProcess:
        if self.process is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _fail(self, problem: str) -> PolicyPackError:
        return pack_error(self.pack_dir, problem)

    def start(self, launched: LaunchedPack | None = None) -> PolicyPackProcess:
        """Launch the pack, or take over ``launched``: the same pack, started earlier with the same project,
        stack and config (:func:`stacks.offline.packlaunch.launch`), so that it boots while the caller gets ready."""
        if launched is None:
            launched = launch(self.pack_dir, self.project, self.stack, self.config)
        elif not launched.matches(self.pack_dir, self.project, self.stack, self.config):
            launched.kill()
            raise ValueError(f"{launched} was launched for another pack, project, stack or config")
        self._launched = launched
        atexit.register(self.close)
        for target in (self._read_stdout, self._read_stderr):
            thread = threading.Thread(target=target, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def caller_placed(self) -> contextlib.AbstractContextManager[None]:
        """A block in which the calling thread, and the threads it starts, keep off the pack's CPU
        (:meth:`stacks.offline.packlaunch.LaunchedPack.caller_placed`); a no-op before :meth:`start`."""
        return self._launched.caller_placed() if self._launched is not None else contextlib.nullcontext()

    def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        announced = False
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").strip()
            if not announced and line.isdigit():
                announced = True
                self._port.put(int(line))
            elif line:
                self._stdout.append(line)
        if not announced:
            self._port.put(None)

    def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            if line:
                self._stderr.append(line)

    def _last_words(self) -> str:
        for thread in self._threads:
            thread.join(timeout=2)
        lines = [line for line in list(self._stderr) + list(self._stdout) if line.strip()]
        # Python's traceback ends with the exception line; pulumi.policy prefixes its own "error:" line.
        for line in reversed(lines):
            text = line.strip()
            if text and not text.startswith(("File ", "^", "~")) and text != "Traceback (most recent call last):":
                return text
        return ""

    def connect(self) -> analyzer_pb2_grpc.AnalyzerStub:
        """Wait for the port (``timeout`` seconds), connect, and return the Analyzer stub."""
        if self.stub is not None:
            return self.stub
        if self.process is None:
            self.start()
        try:
            port = self._port.get(timeout=self.timeout)
        except queue.Empty:
            raise self._fail(f"printed no port within {self.timeout:g}s") from None
        if port is None:
            code = self.process.wait(timeout=10) if self.process else None
            words = self._last_words()
            raise self._fail(f"exited with code {code} before serving" + (f": {words}" if words else ""))
        self._address = f"127.0.0.1:{port}"
        # The pack listens before it prints its port, so the first call connects. (No channel_ready_future: its
        # connectivity poller would hold up closing the channel by up to 0.2 s.)
        self.channel = grpc.insecure_channel(self._address, options=_GRPC_OPTIONS)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)
        self.pipeline()  # its channel connects while GetAnalyzerInfo and Configure go over this one
        return self.stub

    def pipeline(self) -> _Pipeline:
        """The asynchronous channel for Analyze and AnalyzeStack (made, and connecting, once the port is known)."""
        if self.stub is None:
            self.connect()
        with self._pipeline_lock:
            if self._pipeline is None:
                self._pipeline = _Pipeline(self._address, MAX_IN_FLIGHT)
            return self._pipeline

    def _rpc(self, name: str, request: Any) -> Any:
        stub = self.connect()
        try:
            return getattr(stub, name)(request, timeout=RPC_TIMEOUT)
        except grpc.RpcError as exc:
            raise self._rpc_error(name, exc) from None

    def _rpc_error(self, name: str, exc: grpc.RpcError) -> PolicyPackError:
        details = exc.details() if hasattr(exc, "details") else str(exc)
        if self.process is not None and self.process.poll() is not None:
            words = self._last_words()
            return self._fail(f"exited with code {self.process.returncode} during {name}"
                              + (f": {words}" if words else ""))
        first = (details or str(exc)).strip().splitlines()
        return self._fail(f"{name} failed: {first[0] if first else exc.code()}")

    def info(self) -> PackInfo:
        return _pack_info(self._rpc("GetAnalyzerInfo", empty_pb2.Empty()), _pack_version(self.pack_dir))

    def configure(self, config: Mapping[str, tuple[str, Mapping[str, Any]]],
                  secret_keys: Iterable[str] = ()) -> None:
        stub = self.connect()
        try:
            stub.ConfigureStack(analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=self.stack, project=self.project, organization="organization", dry_run=True,
                config=self.config, config_secret_keys=sorted(secret_keys)), timeout=RPC_TIMEOUT)
        except grpc.RpcError as exc:
            if exc.code() != grpc.StatusCode.UNIMPLEMENTED:
                raise self._rpc_error("ConfigureStack", exc) from None
        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, (level, props) in config.items():
            entry = request.policyConfig[name]
            entry.enforcementLevel = _LEVEL_TO_PROTO[level]
            entry.properties.update(to_wire(props))
        self._rpc("Configure", request)

    def close(self) -> None:
        """Close the channels and kill the pack process (safe to call twice)."""
        with self._pipeline_lock:
            pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()
        if self.channel is not None:
            self.channel.close()
            self.channel = None
            self.stub = None
        launched, self._launched = self._launched, None
        if launched is None:
            return
        atexit.unregister(self.close)
        launched.kill()
        process = launched.process
        for thread in self._threads:
            thread.join(timeout=2)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()

    def session(self, policy_config: Mapping[str, tuple[str | None, Mapping[str, Any]]] | None = None, *,
                config_source: str = "policy config", secret_keys: Iterable[str] = (),
                provider_config: Mapping[str, str] | None = None) -> AnalysisSession:
        """Start analyzing: configure the pack in the background and accept resources as they are registered."""
        return AnalysisSession(self, policy_config, config_source=config_source, secret_keys=secret_keys,
                               provider_config=provider_config)

    def analyze(self, resources: Sequence[RecordedResource],
                policy_config: Mapping[str, tuple[str | None, Mapping[str, Any]]] | None = None, *,
                config_source: str = "policy config", secret_keys: Iterable[str] = (),
                provider_config: Mapping[str, str] | None = None) -> PolicyReport:
        """GetAnalyzerInfo, Configure, Analyze each custom resource, AnalyzeStack; the pack's findings."""
        return self.session(policy_config, config_source=config_source, secret_keys=secret_keys,
                            provider_config=provider_config).finish(resources)


class AnalysisSession:
    """Resources analyzed as they are registered, then the whole stack, as the engine does.

    A background thread waits for the pack, reads its info and configures it;
    :meth:`submit` (safe from any thread, never raises) sends ``Analyze`` for
    each created custom resource as soon as the pack is configured, so the
    pack works while the program still runs; :meth:`finish` analyzes anything
    not yet submitted, runs ``AnalyzeStack`` over all resources and returns
    the report, raising what went wrong on the way.
    """

    def __init__(self, pack: PolicyPackProcess,
                 policy_config: Mapping[str, tuple[str | None, Mapping[str, Any]]] | None, *,
                 config_source: str, secret_keys: Iterable[str], provider_config: Mapping[str, str] | None) -> None:
        self._pack = pack
        self._lock = threading.Lock()
        self._ready = False
        self._backlog: list[RecordedResource] = []
        self._sent: set[str] = set()
        self._encoded: dict[str, bytes] = {}
        """Each analyzed resource's encoded properties, built once for Analyze and reused for AnalyzeStack."""
        self._error: BaseException | None = None
        self._providers = _Providers(provider_config if provider_config is not None else pack.config)
        self.info: PackInfo | None = None
        self.config: dict[str, tuple[str, dict[str, Any]]] = {}
        self.unknown: list[str] = []
        self._thread = threading.Thread(target=self._setup, name="policy-pack-setup", daemon=True,
                                        args=(policy_config or {}, config_source, tuple(secret_keys)))
        self._thread.start()

    def _setup(self, policy_config: Mapping[str, tuple[str | None, Mapping[str, Any]]], config_source: str,
               secret_keys: tuple[str, ...]) -> None:
        try:
            info = self._pack.info()
            self.config, self.unknown = reconcile_policy_config(info, policy_config, config_source)
            self._pack.configure(self.config, secret_keys)
            self.info = info
            with self._lock:
                self._ready = True
                backlog, self._backlog = self._backlog, []
            for resource in backlog:
                self._send(resource)
        except BaseException as exc:  # noqa: BLE001 - raised by finish()
            self._error = exc

    def submit(self, resource: RecordedResource) -> None:
        """Queue ``Analyze`` for ``resource`` if it is a created custom resource. Never raises."""
        try:
            self._providers.add(resource)
            if not resource.custom or resource.read:
                return
            with self._lock:
                if not self._ready:
                    self._backlog.append(resource)
                    return
            self._send(resource)
        except Exception:  # noqa: BLE001 - finish() sends whatever was not sent, and raises then
            pass

    def _send(self, resource: RecordedResource) -> None:
        with self._lock:
            if resource.urn in self._sent:
                return
            self._sent.add(resource.urn)
        try:
            properties = self._encoded.get(resource.urn)
            if properties is None:
                properties = self._encoded[resource.urn] = encode_properties(resource.inputs)
            request = analyzer_pb2.AnalyzeRequest(
                type=resource.type, urn=resource.urn, name=resource.name,
                options=analyzer_pb2.AnalyzerResourceOptions(protect=resource.protect, parent=resource.parent or ""),
                provider=self._providers.for_resource(resource))
            self._pack.pipeline().send(resource.urn, request.SerializeToString()
                                       + _properties_field(analyzer_pb2.AnalyzeRequest, properties))
        except BaseException:
            with self._lock:
                self._sent.discard(resource.urn)
            raise

    def finish(self, resources: Sequence[RecordedResource]) -> PolicyReport:
        """Wait for every ``Analyze``, run ``AnalyzeStack`` over ``resources``; the pack's findings."""
        for resource in resources:
            self._providers.add(resource)
        # Created custom resources; components and reads of existing resources are not analyzed one by one.
        custom = [r for r in resources if r.custom and not r.read]
        # Encoding is most of this process's work. Encode while the pack starts; once it is configured, encode
        # each resource as it is sent, so that the pack answers while the rest is encoded.
        for resource in custom:
            if not self._thread.is_alive():
                break
            if resource.urn not in self._encoded:
                self._encoded[resource.urn] = encode_properties(resource.inputs)
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self.info is not None
        for resource in custom:
            self._send(resource)
        stack_request = self._stack_request(resources)
        root_urn = next((r.urn for r in resources if r.type == ROOT_STACK_TYPE), "")
        pipeline = self._pack.pipeline()
        pack = self.info
        descriptions = {p.name: p.description for p in pack.policies}
        violations: list[Violation] = []
        not_applicable: list[NotApplicable] = []

        def collect(response: analyzer_pb2.AnalyzeResponse, urn: str) -> None:
            for diag in response.diagnostics:
                policy = pack.policy(diag.policyName)
                prefix = diag.description or descriptions.get(diag.policyName, "")
                message = diag.message
                if prefix and message.startswith(prefix):
                    message = message[len(prefix):].lstrip("\n")
                violations.append(Violation(
                    policy=diag.policyName, level=_LEVEL_FROM_PROTO.get(diag.enforcementLevel, "advisory"),
                    urn=diag.urn or urn, message=message.strip() or prefix, description=prefix,
                    severity=_SEVERITIES.get(diag.severity, "") or (policy.severity if policy else ""),
                    remediation=policy.remediation if policy else ""))
            for item in response.not_applicable:
                not_applicable.append(NotApplicable(policy=item.policy_name, urn=urn, reason=item.reason))

        # As the engine does: the whole stack once every resource has been analyzed.
        responses = pipeline.wait()
        stack_future = pipeline.call("AnalyzeStack", stack_request)
        for resource in custom:
            response = responses.get(resource.urn)
            if response is None:
                raise self._pack._fail(f"Analyze({resource.urn}) got no answer (the analyzer's channel stopped)")
            if isinstance(response, grpc.RpcError):
                raise self._pack._rpc_error(f"Analyze({resource.urn})", response) from None
            if isinstance(response, Exception):
                raise self._pack._fail(f"Analyze({resource.urn}) failed: {type(response).__name__}: {response}")
            collect(response, resource.urn)
        try:
            collect(stack_future.result(), root_urn)
        except grpc.RpcError as exc:
            raise self._pack._rpc_error("AnalyzeStack", exc) from None
        return PolicyReport(pack=pack, violations=_sorted_violations(violations),
                            not_applicable=sorted(not_applicable, key=lambda n: (n.policy, n.urn)),
                            config=self.config, unknown_policies=tuple(self.unknown), analyzed=len(custom))

    def _stack_request(self, resources: Sequence[RecordedResource]) -> bytes:
        """The serialized AnalyzeStackRequest: every resource, then the default providers."""
        items = []
        tag = _tag(analyzer_pb2.AnalyzeStackRequest, "resources")
        for r in [*resources, *self._providers.defaults()]:
            item = analyzer_pb2.AnalyzerResource(
                type=r.type, urn=r.urn, name=r.name, parent=r.parent or "", dependencies=list(r.dependencies),
                options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent or ""))
            provider = self._providers.for_resource(r)
            if provider is not None:
                item.provider.CopyFrom(provider)
            for key, urns in r.property_dependencies.items():
                item.propertyDependencies[key].urns.extend(urns)
            encoded = self._encoded.get(r.urn)
            if encoded is None:
                encoded = encode_properties(r.inputs)
            body = item.SerializeToString() + _properties_field(analyzer_pb2.AnalyzerResource, encoded)
            items.append(_field(tag, body))
        return b"".join(items)


def _sorted_violations(violations: list[Violation]) -> list[Violation]:
    order = {"mandatory": 0, "remediate": 1, "advisory": 2, "disabled": 3}
    unique = list(dict.fromkeys(violations))
    return sorted(unique, key=lambda v: (order.get(v.level, 9), v.policy, v.urn, v.message))


class _Providers:
    """Provider resources for Analyze: explicit ones from the recording, default ones as the engine makes them."""

    def __init__(self, config: Mapping[str, str]) -> None:
        self._by_urn: dict[str, RecordedResource] = {}
        self._config = config
        self._defaults: dict[str, RecordedResource] = {}
        self._messages: dict[str, analyzer_pb2.AnalyzerProviderResource] = {}
        self._lock = threading.Lock()

    def add(self, resource: RecordedResource) -> None:
        if resource.type.startswith("pulumi:providers:"):
            with self._lock:
                self._by_urn[resource.urn] = resource

    def _default(self, resource: RecordedResource) -> RecordedResource:
        package = resource.type.split(":", 1)[0]
        name = "default" + (f"_{resource.version.replace('.', '_').replace('-', '_')}" if resource.version else "")
        prefix = "::".join(resource.urn.split("::")[:2])
        urn = f"{prefix}::pulumi:providers:{package}::{name}"
        with self._lock:
            if urn not in self._defaults:
                inputs: dict[str, Any] = {k.split(":", 1)[1]: v for k, v in self._config.items()
                                          if k.startswith(f"{package}:")}
                if resource.version:
                    inputs["version"] = resource.version
                self._defaults[urn] = RecordedResource(urn=urn, type=f"pulumi:providers:{package}", name=name,
                                                       parent=None, inputs=inputs, custom=True,
                                                       version=resource.version)
            return self._defaults[urn]

    def resolve(self, resource: RecordedResource) -> RecordedResource | None:
        if not resource.custom or resource.type.startswith(("pulumi:providers:", "pulumi:pulumi:")):
            return None
        if resource.provider:
            with self._lock:
                return self._by_urn.get(resource.provider.rsplit("::", 1)[0])
        return self._default(resource)

    def for_resource(self, resource: RecordedResource) -> analyzer_pb2.AnalyzerProviderResource | None:
        provider = self.resolve(resource)
        if provider is None:
            return None
        message = self._messages.get(provider.urn)
        if message is None:  # a provider's inputs are final once it is registered: build its message once
            message = analyzer_pb2.AnalyzerProviderResource(type=provider.type, properties=to_struct(provider.inputs),
                                                            urn=provider.urn, name=provider.name)
            with self._lock:
                self._messages[provider.urn] = message
        return message

    def defaults(self) -> list[RecordedResource]:
        with self._lock:
            return list(self._defaults.values())


def run_policy_pack(pack_dir: Path, project: str, stack: str, resources: Sequence[RecordedResource],
                    policy_config: Mapping[str, tuple[str | None, Mapping[str, Any]]] | None = None, *,
                    config: Mapping[str, str] | None = None, secret_keys: Iterable[str] = (),
                    config_source: str = "policy config", timeout: float = DEFAULT_START_TIMEOUT,
                    launched: LaunchedPack | None = None) -> PolicyReport:
    """Start the pack, analyze ``resources`` with ``policy_config``, kill the pack; return its findings.

    ``policy_config`` is what :func:`load_policy_config` returns (policy ->
    (level or None, properties)). ``config`` is the stack config the pack
    sees as ``PULUMI_CONFIG`` (and the default providers' inputs). ``launched``
    is the same pack already launched (see :meth:`PolicyPackProcess.start`).
    Raises :class:`PolicyPackError` or :class:`PolicyConfigError`.
    """
    with PolicyPackProcess(pack_dir, project, stack, config=config, timeout=timeout).start(launched) as pack, \
            pack.caller_placed():
        return pack.analyze(resources, policy_config, config_source=config_source, secret_keys=secret_keys)

