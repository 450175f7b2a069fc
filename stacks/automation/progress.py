"""Progress of an operation: ``ProgressTracker`` keeps the engine events' state, ``ProgressRenderer`` draws it.

``ProgressTracker`` is fed the Automation API's ``EngineEvent`` objects (or anything
with the same attributes) and keeps what the live display and the final summary need:
the resource being worked on, the elapsed time, counts per operation, policy
violations and error diagnostics. It never prints and imports nothing of Pulumi.
``ProgressRenderer`` writes the lines it returns to a stream: one line redrawn in place
on a terminal, one line per event in CI logs.
"""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, TextIO

# Operations that leave a resource as it was. Everything else in a change summary is a change.
_NO_CHANGE_OPS = frozenset({"same", "read"})

# Step operations that are the second half of a replacement; the logical "replace" step counts it once.
_REPLACEMENT_HALVES = frozenset({"create-replacement", "delete-replaced", "discard-replaced", "read-replacement"})

# How each operation reads while it runs and once it is done.
_VERBS: Mapping[str, tuple[str, str]] = {
    "create": ("creating", "created"),
    "update": ("updating", "updated"),
    "delete": ("deleting", "deleted"),
    "replace": ("replacing", "replaced"),
    "create-replacement": ("creating replacement", "created replacement"),
    "delete-replaced": ("deleting replaced", "deleted replaced"),
    "read": ("reading", "read"),
    "refresh": ("refreshing", "refreshed"),
    "import": ("importing", "imported"),
    "discard": ("discarding", "discarded"),
}

# Pulumi's colour markup (``<{%reset%}>``) and ANSI escapes, stripped from engine messages.
_MARKUP = re.compile(r"<\{%[^%]*%\}>|\x1b\[[0-9;]*m")


def op_name(op: Any) -> str:
    """The plain string of an ``OpType`` member, or of a key from a change summary."""
    return str(op.value if isinstance(op, Enum) else op)


def clean_message(text: str) -> str:
    """``text`` without colour markup, reduced to its first non-empty line."""
    for line in _MARKUP.sub("", text or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def resource_label(urn: str, type_: str = "") -> str:
    """``type name`` for a URN such as ``urn:pulumi:dev::fargate-platform::aws:ec2/vpc:Vpc::dev-vpc``."""
    parts = (urn or "").split("::")
    name = parts[-1] if len(parts) >= 4 else (urn or "?")
    if not type_ and len(parts) >= 4:
        type_ = parts[-2].split("$")[-1]
    return f"{type_} {name}".strip()


def format_elapsed(seconds: float) -> str:
    """``mm:ss``, or ``h:mm:ss`` past the hour."""
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


@dataclass(frozen=True)
class PolicyViolation:
    """One policy violation reported by the engine during a preview or an update."""

    policy_name: str
    """The rule's name, e.g. ``require-log-retention``."""
    policy_pack: str
    """The pack that holds the rule."""
    enforcement_level: str
    """``advisory``, ``mandatory`` or ``remediate``, as the engine reports it."""
    message: str
    """The violation message, without colour markup."""
    resource_urn: str | None = None
    """The offending resource, or ``None`` for a stack-level violation."""

    @property
    def mandatory(self) -> bool:
        """Whether this violation blocks the update."""
        return self.enforcement_level.lower() == "mandatory"


@dataclass(frozen=True)
class ChangeSummary:
    """Counts of resource operations, from an engine change summary (op name -> count)."""

    created: int = 0
    """Resources created (or to create, in a preview)."""
    updated: int = 0
    """Resources updated in place."""
    deleted: int = 0
    """Resources deleted."""
    replaced: int = 0
    """Resources replaced."""
    unchanged: int = 0
    """Resources left as they were."""
    other: int = 0
    """Any other change (imports, discards, ...)."""

    @classmethod
    def from_op_map(cls, op_map: Mapping[Any, int] | None) -> ChangeSummary:
        """Build from ``PreviewResult.change_summary`` or ``UpdateSummary.resource_changes``."""
        counts = {op_name(key): int(value or 0) for key, value in (op_map or {}).items()}
        known = {"create", "update", "delete", "replace", "same"} | _NO_CHANGE_OPS | _REPLACEMENT_HALVES
        return cls(
            created=counts.get("create", 0),
            updated=counts.get("update", 0),
            deleted=counts.get("delete", 0),
            replaced=counts.get("replace", 0),
            unchanged=counts.get("same", 0),
            other=sum(n for op, n in counts.items() if op not in known),
        )

    @property
    def changed(self) -> int:
        """How many resources change."""
        return self.created + self.updated + self.deleted + self.replaced + self.other

    @property
    def has_changes(self) -> bool:
        """Whether anything changes at all."""
        return self.changed > 0

    def describe(self, planned: bool = False) -> str:
        """``3 created, 1 updated, 0 deleted, 0 replaced, 40 unchanged`` (``to create`` ... when planned)."""
        create, update, delete, replace = (
            ("to create", "to update", "to delete", "to replace")
            if planned
            else ("created", "updated", "deleted", "replaced")
        )
        parts = [f"{self.created} {create}", f"{self.updated} {update}", f"{self.deleted} {delete}"]
        if self.replaced:
            parts.append(f"{self.replaced} {replace}")
        if self.other:
            parts.append(f"{self.other} other")
        parts.append(f"{self.unchanged} unchanged")
        return ", ".join(parts)


OnUpdate = Callable[["ProgressTracker", str], Any]


class ProgressTracker:
    """Keeps the state of one operation from its engine events. Thread-safe; prints nothing.

    ``handle(event)`` returns a one-line description of the event when it is worth
    showing (a resource step starting or finishing, a failure, a policy violation, an
    error or warning diagnostic), else ``None``. ``status_line()`` is the single line a
    terminal shows in place. ``on_update``, if given, is called with each such line.
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic, on_update: OnUpdate | None = None) -> None:
        self._clock = clock
        self._on_update = on_update
        self._lock = threading.Lock()
        self.started_at = clock()
        self.counts: dict[str, int] = {}
        """Finished steps per operation name (``create``, ``update``, ``same``, ...)."""
        self.in_flight: dict[str, str] = {}
        """URN -> label of each step that has started and not yet finished, oldest first."""
        self.current: str | None = None
        """The step most recently started, e.g. ``creating aws:ec2/vpc:Vpc dev-vpc``."""
        self.failed: list[str] = []
        """Labels of resources whose operation failed."""
        self.policy_violations: list[PolicyViolation] = []
        """Violations in the order the engine reported them, without duplicates."""
        self.errors: list[str] = []
        """Error diagnostics, first line of each."""
        self.warnings: list[str] = []
        """Warning diagnostics, first line of each."""
        self.summary: Any = None
        """The engine's ``SummaryEvent``, once it arrives."""
        self.planning = False
        """Whether the events describe a plan (preview) rather than an update."""
        self.cancelled = False
        """Whether the engine reported the end (or cancellation) of the operation."""

    # Counters the live display shows.
    @property
    def created(self) -> int:
        return self.counts.get("create", 0)

    @property
    def updated(self) -> int:
        return self.counts.get("update", 0)

    @property
    def deleted(self) -> int:
        return self.counts.get("delete", 0)

    @property
    def replaced(self) -> int:
        return self.counts.get("replace", 0)

    @property
    def elapsed(self) -> float:
        """Seconds since the tracker was created."""
        return self._clock() - self.started_at

    @property
    def mandatory_violations(self) -> list[PolicyViolation]:
        return [v for v in self.policy_violations if v.mandatory]

    def __call__(self, event: Any) -> None:
        """So the tracker itself can be passed as ``on_event``."""
        self.handle(event)

    def handle(self, event: Any) -> str | None:
        """Update the state from one engine event; return the line describing it, if any."""
        with self._lock:
            line = self._apply(event)
        if line is not None and self._on_update is not None:
            self._on_update(self, line)
        return line

    def status_line(self, final: bool = False) -> str:
        """``[01:12] creating aws:ecs/service:Service web | 12 created, 1 updated, 0 deleted``.

        ``final`` says ``done`` in place of the resource, for the line left after the run.
        """
        with self._lock:
            doing = "done" if final else self.current or ("planning" if self.planning else "working")
            return f"[{format_elapsed(self.elapsed)}] {doing} | {self._counts_text()}"

    def _counts_text(self) -> str:
        if self.planning:
            text = f"{self.created} to create, {self.updated} to update, {self.deleted} to delete"
            return text + (f", {self.replaced} to replace" if self.replaced else "")
        text = f"{self.created} created, {self.updated} updated, {self.deleted} deleted"
        return text + (f", {self.replaced} replaced" if self.replaced else "")

    def _stamp(self, text: str) -> str:
        return f"[{format_elapsed(self.elapsed)}] {text}"

    def _apply(self, event: Any) -> str | None:
        if getattr(event, "resource_pre_event", None) is not None:
            return self._on_pre(event.resource_pre_event)
        if getattr(event, "res_outputs_event", None) is not None:
            return self._on_outputs(event.res_outputs_event)
        if getattr(event, "res_op_failed_event", None) is not None:
            return self._on_failed(event.res_op_failed_event)
        if getattr(event, "policy_event", None) is not None:
            return self._on_policy(event.policy_event)
        if getattr(event, "diagnostic_event", None) is not None:
            return self._on_diagnostic(event.diagnostic_event)
        if getattr(event, "summary_event", None) is not None:
            self.summary = event.summary_event
            return None
        if getattr(event, "cancel_event", None) is not None:
            self.cancelled = True
            return None
        return None

    def _on_pre(self, pre: Any) -> str | None:
        meta = pre.metadata
        self.planning = self.planning or bool(getattr(pre, "planning", False))
        op = op_name(meta.op)
        if op in _NO_CHANGE_OPS:
            return None
        label = resource_label(meta.urn, meta.type)
        doing = _VERBS.get(op, (op, op))[0]
        text = f"{'plan: ' + op if self.planning else doing} {label}"
        self.in_flight[meta.urn] = text
        self.current = text
        return self._stamp(text)

    def _finish(self, urn: str) -> None:
        self.in_flight.pop(urn, None)
        self.current = next(reversed(self.in_flight.values()), None)

    def _on_outputs(self, out: Any) -> str | None:
        meta = out.metadata
        self.planning = self.planning or bool(getattr(out, "planning", False))
        op = op_name(meta.op)
        self.counts[op] = self.counts.get(op, 0) + 1
        self._finish(meta.urn)
        if op in _NO_CHANGE_OPS or op in _REPLACEMENT_HALVES or self.planning:
            return None
        done = _VERBS.get(op, (op, op))[1]
        return self._stamp(f"{done} {resource_label(meta.urn, meta.type)} ({self._counts_text()})")

    def _on_failed(self, failed: Any) -> str:
        meta = failed.metadata
        label = resource_label(meta.urn, meta.type)
        self.failed.append(label)
        self._finish(meta.urn)
        return self._stamp(f"failed to {op_name(meta.op)} {label}")

    def _on_policy(self, policy: Any) -> str | None:
        violation = PolicyViolation(
            policy_name=policy.policy_name,
            policy_pack=policy.policy_pack_name,
            enforcement_level=policy.enforcement_level,
            message=clean_message(policy.message),
            resource_urn=policy.resource_urn,
        )
        if violation in self.policy_violations:
            return None
        self.policy_violations.append(violation)
        where = f" on {resource_label(violation.resource_urn)}" if violation.resource_urn else ""
        return self._stamp(
            f"policy {violation.enforcement_level}: {violation.policy_name}{where}: {violation.message}"
        )

    def _on_diagnostic(self, diag: Any) -> str | None:
        severity = (diag.severity or "").lower()
        if getattr(diag, "ephemeral", False) or severity not in ("error", "warning"):
            return None
        message = clean_message(diag.message)
        if not message:
            return None
        (self.errors if severity == "error" else self.warnings).append(message)
        where = f" {resource_label(diag.urn)}:" if diag.urn else ""
        return self._stamp(f"{severity}:{where} {message}")


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
