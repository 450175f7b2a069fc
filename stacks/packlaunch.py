"""Launch a CrossGuard policy pack process the way the Pulumi CLI's launcher does.

The CLI starts a Python pack through its ``pulumi-analyzer-policy-python``
launcher, which runs ``python -u -m pulumi.policy <engine address> .`` in the
pack's directory with ``PULUMI_PROJECT``, ``PULUMI_STACK``, ``PULUMI_DRY_RUN``
and ``PULUMI_CONFIG`` set. Booting takes the pack a quarter of a second
(``pulumi.policy`` imports the whole Pulumi SDK before the pack's first line).

This module imports only the standard library, so a caller can launch the
pack first thing and let it boot while the caller imports the gRPC client
(:mod:`stacks.analyzer`, which takes about as long) and loads its resources;
:meth:`stacks.analyzer.PolicyPackProcess.start` takes the launched pack over.
"""

from __future__ import annotations

import atexit
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# What the launcher passes as the engine address; pulumi.policy parses it but never dials it.
ENGINE_ADDRESS_PLACEHOLDER = "127.0.0.1:0"


class PolicyPackError(Exception):
    """The pack is missing, fails to start, or fails while analyzing. ``str()`` is one line naming the pack."""


def pack_error(pack_dir: Path, problem: str) -> PolicyPackError:
    return PolicyPackError(f"policy pack {pack_dir}: {problem}")


class LaunchedPack:
    """A pack process started by :func:`launch`, not yet spoken to. :meth:`kill` it unless it is taken over.

    (A plain class: :mod:`dataclasses` would import :mod:`inspect`, a tenth of the time a launch may take.)
    """

    __slots__ = ("pack_dir", "project", "stack", "config", "process")

    def __init__(self, pack_dir: Path, project: str, stack: str, config: dict[str, str],
                 process: subprocess.Popen[bytes]) -> None:
        self.pack_dir = pack_dir
        self.project = project
        self.stack = stack
        self.config = config
        self.process = process

    def __repr__(self) -> str:
        return f"LaunchedPack(pack_dir={str(self.pack_dir)!r}, project={self.project!r}, stack={self.stack!r})"

    def matches(self, pack_dir: Path, project: str, stack: str, config: Mapping[str, str]) -> bool:
        """Whether this is the pack :func:`launch` would start for these arguments."""
        return (self.pack_dir, self.project, self.stack, self.config) == (
            Path(pack_dir).resolve(), project, stack, dict(config))

    def kill(self) -> None:
        """Kill the process and wait for it (safe to call twice)."""
        atexit.unregister(self.kill)
        if self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass


def launch(pack_dir: Path, project: str, stack: str, config: Mapping[str, str] | None = None) -> LaunchedPack:
    """Start the pack in ``pack_dir`` with the stack's ``config`` as ``PULUMI_CONFIG``; do not wait for it.

    The process is killed at exit unless :meth:`LaunchedPack.kill` ran first.
    Raises :class:`PolicyPackError` when the directory is not a Python policy
    pack or the interpreter cannot be started.
    """
    pack_dir = Path(pack_dir).resolve()
    if not pack_dir.is_dir():
        raise pack_error(pack_dir, "not found (no such directory)")
    if not (pack_dir / "PulumiPolicy.yaml").is_file():
        raise pack_error(pack_dir, "PulumiPolicy.yaml not found")
    if not (pack_dir / "__main__.py").is_file():
        raise pack_error(pack_dir, "__main__.py not found")
    config = dict(config or {})
    env = {**os.environ, "PULUMI_PROJECT": project, "PULUMI_STACK": stack, "PULUMI_DRY_RUN": "true",
           "PULUMI_CONFIG": json.dumps(config), "PYTHONUNBUFFERED": "1"}
    env.pop("PULUMI_CONFIG_SECRET_KEYS", None)
    command = [sys.executable, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS_PLACEHOLDER, "."]
    try:
        # Same process group as ours, as under the CLI: Ctrl-C in a terminal reaches the pack too.
        process = subprocess.Popen(command, cwd=pack_dir, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as exc:
        raise pack_error(pack_dir, f"cannot start {sys.executable}: {exc.strerror or exc}") from exc
    launched = LaunchedPack(pack_dir, project, stack, config, process)
    atexit.register(launched.kill)
    return launched
