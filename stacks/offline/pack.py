"""The policy pack's process, started the way the Pulumi CLI starts it.

The CLI starts a Python pack through its ``pulumi-analyzer-policy-python``
launcher, which runs ``python -u -m pulumi.policy <engine address> .`` in the
pack's directory with ``PULUMI_PROJECT``, ``PULUMI_STACK``, ``PULUMI_DRY_RUN``
and ``PULUMI_CONFIG`` set; the pack's ``PolicyPack`` then serves the Analyzer
gRPC service and prints its port on stdout. :class:`PackProcess` does the same
with the current interpreter. There is no engine, so the address is a
placeholder that the SDK parses but never dials.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Mapping
from pathlib import Path
from typing import IO

ENGINE_ADDRESS_PLACEHOLDER = "127.0.0.1:0"
"""What the launcher passes as the engine address; pulumi.policy parses it but never dials it."""
ENV_VALUE_LIMIT = 128 * 1024
"""Linux's limit on one environment string (``MAX_ARG_STRLEN``), ``PULUMI_CONFIG=`` and its value included."""


class PolicyPackError(Exception):
    """The pack is missing, fails to start, or fails while analyzing. ``str()`` is one line naming the pack."""


def pack_error(pack_dir: str | Path, problem: str) -> PolicyPackError:
    return PolicyPackError(f"policy pack {pack_dir}: {problem}")


def _check_config_size(pack_dir: Path, config: Mapping[str, str], config_json: str) -> None:
    """Refuse, in one line, a stack config too large for the one environment value the pack reads it from."""
    size = len("PULUMI_CONFIG=") + len(config_json.encode("utf-8")) + 1
    if size <= ENV_VALUE_LIMIT:
        return
    largest = max(config, key=lambda key: len(json.dumps(config[key])))
    raise pack_error(pack_dir, (
        f"cannot start: the stack config is {size // 1024} KiB as PULUMI_CONFIG, and one environment value may "
        f"hold {ENV_VALUE_LIMIT // 1024} KiB ({largest} alone is {len(json.dumps(config[largest])) // 1024} KiB); "
        "`pulumi preview --policy-pack` hands the pack its config the same way"))


class PackProcess:
    """The pack's process, started at once and killed by :meth:`kill` (or at exit, whichever comes first).

    Starting does not wait for the pack: it boots while the caller does
    other work, and :meth:`port` waits for the port it prints. What the pack
    prints besides is kept, so that a failure can quote its last words.
    """

    def __init__(self, pack_dir: Path, project: str, stack: str, config: Mapping[str, str]) -> None:
        """Start the pack in ``pack_dir`` with the stack's ``config`` as ``PULUMI_CONFIG``.

        Raises :class:`PolicyPackError` when the directory is not a Python
        policy pack or the interpreter cannot be started.
        """
        self.pack_dir = pack_dir
        if not pack_dir.is_dir():
            raise pack_error(pack_dir, "not found (no such directory)")
        for required in ("PulumiPolicy.yaml", "__main__.py"):
            if not (pack_dir / required).is_file():
                raise pack_error(pack_dir, f"{required} not found")
        config_json = json.dumps(dict(config))
        _check_config_size(pack_dir, config, config_json)
        env = {**os.environ, "PULUMI_PROJECT": project, "PULUMI_STACK": stack, "PULUMI_DRY_RUN": "true",
               "PULUMI_CONFIG": config_json, "PYTHONUNBUFFERED": "1"}
        env.pop("PULUMI_CONFIG_SECRET_KEYS", None)
        command = [sys.executable, "-u", "-m", "pulumi.policy", ENGINE_ADDRESS_PLACEHOLDER, "."]
        try:
            # Same process group as ours, as under the CLI: Ctrl-C in a terminal reaches the pack too.
            self.process = subprocess.Popen(command, cwd=pack_dir, env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except OSError as exc:
            raise pack_error(pack_dir, f"cannot start {sys.executable}: {exc.strerror or exc}") from exc
        atexit.register(self.kill)
        self._port: queue.Queue[int | None] = queue.Queue()
        self._output: deque[str] = deque(maxlen=120)
        # The pipes are read as the pack writes, so that it never blocks on a full one.
        self._readers = [threading.Thread(target=self._read, args=(stream, stream is self.process.stdout),
                                          daemon=True)
                         for stream in (self.process.stdout, self.process.stderr)]
        for reader in self._readers:
            reader.start()

    def _read(self, stream: IO[bytes], announces_port: bool) -> None:
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip()
            if announces_port and line.strip().isdigit():
                self._port.put(int(line))
                announces_port = False
            elif line.strip():
                self._output.append(line)
        if announces_port:
            self._port.put(None)  # stdout closed without a port: the pack exited

    def port(self, timeout: float) -> int:
        """The port the pack serves on, once it prints it (at most ``timeout`` seconds from now; call once)."""
        try:
            port = self._port.get(timeout=timeout)
        except queue.Empty:
            raise pack_error(self.pack_dir, f"printed no port within {timeout:g}s") from None
        if port is None:
            code = self.process.wait(timeout=10)
            raise pack_error(self.pack_dir, self._with_last_words(f"exited with code {code} before serving"))
        return port

    def exit_error(self, during: str, wait: float = 0.0) -> PolicyPackError | None:
        """The error to report if the pack exits within ``wait`` seconds (it failed ``during`` that call), or None."""
        try:
            code = self.process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            return None
        return pack_error(self.pack_dir, self._with_last_words(f"exited with code {code} during {during}"))

    def _with_last_words(self, problem: str) -> str:
        """``problem``, followed by the last line the pack printed that says what went wrong."""
        for reader in self._readers:
            reader.join(timeout=2)
        # Python's traceback ends with the exception line; pulumi.policy prefixes its own "error:" line.
        for line in reversed(self._output):
            text = line.strip()
            if not text.startswith(("File ", "^", "~")) and text != "Traceback (most recent call last):":
                return f"{problem}: {text}"
        return problem

    def kill(self) -> None:
        """Kill the process and wait for it (safe to call twice)."""
        atexit.unregister(self.kill)
        if self.process.poll() is None:
            self.process.kill()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for reader in self._readers:
            reader.join(timeout=2)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()
