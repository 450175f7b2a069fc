"""Run a command in a fresh process and measure it: wall time, peak RSS of the largest process, peak tree RSS.

``ru_maxrss`` from :func:`os.wait4` is the peak resident set of the child or,
if larger, of any descendant it waited for (Linux reports the largest, not the
sum). Processes that run at the same time (``stacks plan`` and its policy pack)
add up, so :func:`run` also samples the whole process tree's RSS from
``/proc`` and keeps the peak of the sum.

The sampling must not slow down what it measures, on a machine whose two
cores the measured processes already keep busy: the tree is found by
scanning ``/proc`` (about a millisecond) only every
:data:`TREE_REFRESH` seconds, and the RSS of the processes found is read
every :data:`SAMPLE_INTERVAL` seconds (microseconds). The parent waits for
the child in a blocking ``wait4``, without polling.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SAMPLE_INTERVAL = 0.02
"""Seconds between two readings of the RSS of the processes in the tree."""
TREE_REFRESH = 0.25
"""Seconds between two scans of ``/proc`` for the processes in the tree."""
_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


@dataclass(frozen=True)
class Run:
    """One measured run."""

    seconds: float
    max_rss_mib: float
    """Peak RSS of the largest single process (``ru_maxrss``)."""
    tree_rss_mib: float
    """Peak of the sampled sum of RSS over the process and its descendants (0 where /proc is missing)."""
    returncode: int
    stdout: str = ""
    stderr: str = ""


@dataclass(frozen=True)
class Series:
    """Repeated runs of one measurement."""

    label: str
    command: str
    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs) if self.runs else float("nan")

    @property
    def max_rss_mib(self) -> float:
        return statistics.median(r.max_rss_mib for r in self.runs) if self.runs else float("nan")

    @property
    def tree_rss_mib(self) -> float:
        return statistics.median(r.tree_rss_mib for r in self.runs) if self.runs else float("nan")

    @property
    def spread(self) -> str:
        if len(self.runs) < 2:
            return ""
        times = [r.seconds for r in self.runs]
        return f"{min(times):.2f}-{max(times):.2f}"


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # The command name may contain spaces and parentheses; fields resume after the last ')'.
        fields = stat[stat.rfind(b")") + 2:].split()
        tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as handle:
            return int(handle.read().split()[1]) * _PAGE_KIB
    except (OSError, IndexError, ValueError):
        return 0


def tree_pids(root: int) -> list[int]:
    """``root`` and all its descendants."""
    tree = _children()
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, ()))
    return found


class _Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak_kib = 0
        self.done = threading.Event()

    def run(self) -> None:
        if not Path("/proc").is_dir():
            return
        pids: list[int] = []
        rescan = 0.0
        while not self.done.is_set():
            now = time.monotonic()
            if now >= rescan:
                pids, rescan = tree_pids(self.pid), now + TREE_REFRESH
            self.peak_kib = max(self.peak_kib, sum(_rss_kib(pid) for pid in pids))
            self.done.wait(SAMPLE_INTERVAL)


def run(command: Sequence[str], *, cwd: Path | None = None, env: Mapping[str, str] | None = None,
        timeout: float | None = None, capture: bool = True) -> Run:
    """Run ``command`` once in a fresh process; wall time from start to exit, and its peak RSS."""
    out = subprocess.PIPE if capture else subprocess.DEVNULL
    started = time.perf_counter()
    process = subprocess.Popen(list(command), cwd=cwd, env=dict(env) if env is not None else None,
                               stdin=subprocess.DEVNULL, stdout=out, stderr=out)
    sampler = _Sampler(process.pid)
    sampler.start()
    readers: list[threading.Thread] = []
    captured: dict[str, bytes] = {"stdout": b"", "stderr": b""}
    for name in ("stdout", "stderr"):
        stream = getattr(process, name)
        if stream is not None:
            def read(stream: Any = stream, name: str = name) -> None:
                captured[name] = stream.read()
            reader = threading.Thread(target=read, daemon=True)
            reader.start()
            readers.append(reader)
    killer = threading.Timer(timeout, process.kill) if timeout is not None else None
    if killer is not None:
        killer.daemon = True
        killer.start()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if killer is not None:
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)
    sampler.done.set()
    sampler.join()
    for reader in readers:
        reader.join()
    return Run(seconds=seconds, max_rss_mib=usage.ru_maxrss / 1024, tree_rss_mib=sampler.peak_kib / 1024,
               returncode=process.returncode, stdout=captured["stdout"].decode("utf-8", "replace"),
               stderr=captured["stderr"].decode("utf-8", "replace"))


def repeat(label: str, command: Sequence[str], runs: int, **kwargs: Any) -> Series:
    """``runs`` fresh-process runs of ``command``."""
    series = Series(label=label, command=" ".join(command))
    for _ in range(runs):
        series.runs.append(run(command, **kwargs))
    return series


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")
