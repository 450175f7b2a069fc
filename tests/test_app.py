"""The sample app (app/server.py) answers /health and / and stops cleanly on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[1] / "app" / "server.py"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


@pytest.fixture
def server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "SERVICE_NAME": "hello-svc",
           "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen([sys.executable, str(SERVER)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 10
        while True:  # readiness poll: the port accepts connections once the server is listening
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()  # so that reading its output cannot block
                    output = proc.communicate(timeout=5)[0]
                    raise AssertionError(f"{SERVER} did not start: {output!r}") from None
                time.sleep(0.05)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=5)
        if proc.stdout:
            proc.stdout.close()


def test_health_and_hello(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, _ = server
    assert _get(f"{base}/health") == (200, {"status": "ok"}), f"{SERVER} /health"
    assert _get(f"{base}/") == (200, {"message": "hello", "service": "hello-svc"}), f"{SERVER} /"
    assert _get(f"{base}/nope")[0] == 404, f"{SERVER} /nope"


def test_sigterm_stops_gracefully(server: tuple[str, subprocess.Popen[bytes]]) -> None:
    base, proc = server
    assert _get(f"{base}/health")[0] == 200, f"{SERVER} /health"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=5) == 0, f"{SERVER}: exit code after SIGTERM"
    assert proc.stdout is not None and b"stopped" in proc.stdout.read(), f"{SERVER}: no clean shutdown"
