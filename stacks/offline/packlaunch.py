"""Launch a CrossGuard policy pack process the way the Pulumi CLI's launcher does.

The CLI starts a Python pack through its ``pulumi-analyzer-policy-python``
launcher, which runs ``python -u -m pulumi.policy <engine address> .`` in the
pack's directory with ``PULUMI_PROJECT``, ``PULUMI_STACK``, ``PULUMI_DRY_RUN``
and ``PULUMI_CONFIG`` set. Booting takes the pack a quarter of a second
(``pulumi.policy`` imports the whole Pulumi SDK before the pack's first line).

This module imports only the standard library, so a caller can launch the
pack first thing and let it boot while the caller imports the gRPC client
(:mod:`stacks.offline.analyzer`, which takes about as long) and loads its resources;
:meth:`stacks.offline.analyzer.PolicyPackProcess.start` takes the launched pack over.

**CPU placement.** The pack is one Python process whose gRPC server hands
every request between a polling thread and worker threads; spread over
several CPUs, each handoff wakes a thread on another CPU, and on a busy
machine that costs the pack a fifth of its time. So, where the process may
use two CPUs or more, the pack runs on one of them (the highest-numbered) and
:meth:`LaunchedPack.caller_placed` keeps the caller's side of the protocol on
the others. ``FARGATE_PACK_CPU`` overrides this: ``auto`` (the default),
``off``, or the number of the CPU to give the pack.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

TYPE_CHECKING = False  # pathlib and typing are imported by whoever needs them, not before the launch
if TYPE_CHECKING:
    from pathlib import Path

# What the launcher passes as the engine address; pulumi.policy parses it but never dials it.
ENGINE_ADDRESS_PLACEHOLDER = "127.0.0.1:0"


class PolicyPackError(Exception):
    """The pack is missing, fails to start, or fails while analyzing. ``str()`` is one line naming the pack."""


def pack_error(pack_dir: str | Path, problem: str) -> PolicyPackError:
    return PolicyPackError(f"policy pack {pack_dir}: {problem}")


PACK_CPU_ENV = "FARGATE_PACK_CPU"


class Placement:
    """The CPUs the pack runs on, and those its caller keeps to (see the module docstring)."""

    __slots__ = ("pack", "caller")

    def __init__(self, pack: frozenset[int], caller: frozenset[int]) -> None:
        self.pack = pack
        self.caller = caller

    def __repr__(self) -> str:
        return f"Placement(pack={sorted(self.pack)}, caller={sorted(self.caller)})"


def _cpu_list(cpus: frozenset[int]) -> str:
    return ", ".join(map(str, sorted(cpus)))


def cpu_placement(setting: str | None = None, allowed: frozenset[int] | None = None) -> Placement | None:
    """Where the pack and its caller run, from ``setting`` (default: ``$FARGATE_PACK_CPU``); None: anywhere.

    ``allowed`` defaults to the CPUs the calling thread may use. Raises
    :class:`PolicyPackError` (one line naming the variable and what it
    accepts) when the setting is not ``auto``, ``off`` or one of those CPUs.
    """
    if setting is None:
        setting = os.environ.get(PACK_CPU_ENV, "")
    choice = setting.strip().lower()
    if choice == "off":
        return None
    if allowed is None:
        if not hasattr(os, "sched_setaffinity"):
            if choice in ("", "auto"):
                return None
            raise PolicyPackError(f"{PACK_CPU_ENV}={setting!r}: this platform cannot place processes on CPUs; "
                                  "use auto or off")
        allowed = frozenset(os.sched_getaffinity(0))
    if choice in ("", "auto"):
        if len(allowed) < 2:
            return None  # one CPU: nowhere else to put either side
        pack = frozenset({max(allowed)})
    else:
        try:
            pack = frozenset({int(choice)})
        except ValueError:
            pack = frozenset()
        if not pack or not pack <= allowed:
            raise PolicyPackError(f"{PACK_CPU_ENV}={setting!r}: expected auto, off or a CPU this process may "
                                  f"use ({_cpu_list(allowed)})")
    return Placement(pack, (allowed - pack) or allowed)


@contextmanager
def _thread_on(cpus: frozenset[int] | None) -> Iterator[None]:
    """Run the calling thread (and what it starts) on ``cpus`` for the block, then put its CPUs back."""
    if cpus is None:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, cpus)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


class LaunchedPack:
    """A pack process started by :func:`launch`, not yet spoken to. :meth:`kill` it unless it is taken over.

    (A plain class: :mod:`dataclasses` would import :mod:`inspect`, a tenth of the time a launch may take.)
    """

    __slots__ = ("pack_dir", "project", "stack", "config", "process", "placement")

    def __init__(self, pack_dir: str, project: str, stack: str, config: dict[str, str],
                 process: subprocess.Popen[bytes], placement: Placement | None = None) -> None:
        self.pack_dir = pack_dir
        self.project = project
        self.stack = stack
        self.config = config
        self.process = process
        self.placement = placement

    def __repr__(self) -> str:
        return f"LaunchedPack(pack_dir={str(self.pack_dir)!r}, project={self.project!r}, stack={self.stack!r})"

    def matches(self, pack_dir: str | Path, project: str, stack: str, config: Mapping[str, str]) -> bool:
        """Whether this is the pack :func:`launch` would start for these arguments."""
        return (self.pack_dir, self.project, self.stack, self.config) == (
            os.path.realpath(pack_dir), project, stack, dict(config))

    @contextmanager
    def caller_placed(self) -> Iterator[None]:
        """For the block, the calling thread and the threads it starts run on the CPUs the pack was kept off.

        The caller's side of the protocol (building requests, reading
        answers) then never takes the pack's CPU from it. The calling
        thread's CPUs are put back at the end; threads started in the block
        keep theirs. Nothing changes when the pack was not placed.
        """
        with _thread_on(self.placement.caller if self.placement is not None else None):
            yield

    def kill(self) -> None:
        """Kill the process and wait for it (safe to call twice)."""
        atexit.unregister(self.kill)
        if self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def launch(pack_dir: str | Path, project: str, stack: str, config: Mapping[str, str] | None = None) -> LaunchedPack:
    """Start the pack in ``pack_dir`` with the stack's ``config`` as ``PULUMI_CONFIG``; do not wait for it.

    The process is killed at exit unless :meth:`LaunchedPack.kill` ran first.
    It runs on the CPUs :func:`cpu_placement` gives it; the calling thread's
    own CPUs are unchanged. Raises :class:`PolicyPackError` when the directory
    is not a Python policy pack, ``FARGATE_PACK_CPU`` is not valid, or the
    interpreter cannot be started.
    """
    pack_dir = os.path.realpath(pack_dir)
    if not os.path.isdir(pack_dir):
        raise pack_error(pack_dir, "not found (no such directory)")
    if not os.path.isfile(os.path.join(pack_dir, "PulumiPolicy.yaml")):
        raise pack_error(pack_dir, "PulumiPolicy.yaml not found")
    if not os.path.isfile(os.path.join(pack_dir, "__main__.py")):
        raise pack_error(pack_dir, "__main__.py not found")
    placement = cpu_placement()
    config = dict(config or {})
    env = {**os.environ, "PULUMI_PROJECT": project, "PULUMI_STACK": stack, "PULUMI_DRY_RUN": "true",
           "PULUMI_CONFIG": json.dumps(config), "PYTHONUNBUFFERED": "1"}
    env.pop("PULUMI_CONFIG_SECRET_KEYS", None)
    command = [sys.executable, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS_PLACEHOLDER, "."]
    try:
        # The child inherits the launching thread's CPUs before it runs a line, so every thread it ever
        # starts is placed. Same process group as ours, as under the CLI: Ctrl-C in a terminal reaches the
        # pack too.
        with _thread_on(placement.pack if placement is not None else None):
            process = subprocess.Popen(command, cwd=pack_dir, env=env, stdin=subprocess.DEVNULL,
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise pack_error(pack_dir, f"cannot start {sys.executable}: {exc.strerror or exc}") from exc
    launched = LaunchedPack(pack_dir, project, stack, config, process, placement)
    atexit.register(launched.kill)
    return launched
