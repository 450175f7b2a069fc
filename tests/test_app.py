"""The sample app (app/) answers /health and /, stops cleanly on SIGTERM, and runs as the stacks describe it.

The second half starts every example service from its own task definition in the real dev and prod
programs, the way ECS would start its container from the image built from app/:

- the image's files (the Dockerfile's COPY lines) in a directory that is read-only, like the task's root
  filesystem, and the image's WORKDIR unless the task sets ``workingDirectory``;
- the image's ENV overlaid with the task's ``environment``, and placeholder values for its ``secrets``;
- the task's ``entryPoint`` and ``command`` (the image's ENTRYPOINT and CMD where the task sets none);
- the task's ``user`` when the test runs as root (otherwise the current, non-root user runs it).

It then waits for the server to listen on the task's container port, runs the task definition's own
health-check command (if any), and requests the target group's health path (if any). Two deliberate
differences from Fargate, where each task has its own network namespace: the server binds 127.0.0.1, not
0.0.0.0, and ``python3`` is this machine's interpreter. Nothing may be written to the image's files.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.stack_programs import ROOT, program

# Runs the sample app in its own process: `make test-slow` runs it (CI runs both suites).
pytestmark = pytest.mark.slow

APP = ROOT / "app"
SERVER = APP / "server.py"
STACKS = ("dev", "prod")
START_TIMEOUT = 10.0


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


def _wait_until_listening(proc: subprocess.Popen[bytes], what: str) -> str:
    """The server's first line ("listening on host:port"), or a failure with everything it printed."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], START_TIMEOUT)
    line = proc.stdout.readline().decode() if ready else ""
    if not line.startswith("listening on "):
        proc.kill()  # so that reading the rest of its output cannot block
        rest = proc.communicate(timeout=5)[0].decode()
        raise AssertionError(f"{what} did not start: {line}{rest}")
    return line.strip()


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=5)
    if proc.stdout:
        proc.stdout.close()


@pytest.fixture
def server() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {**os.environ, "HOST": "127.0.0.1", "PORT": str(port), "SERVICE_NAME": "hello-svc",
           "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.Popen([sys.executable, str(SERVER)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(proc, str(SERVER))
        yield f"http://127.0.0.1:{port}", proc
    finally:
        _stop(proc)


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


# ---------------------------------------------------------------------------
# The image, as the Dockerfile builds it
# ---------------------------------------------------------------------------
@dataclass
class Image:
    """What the Dockerfile puts into the image and how it starts a container."""

    files: dict[str, Path] = field(default_factory=dict)
    """Path in the image -> the build-context file copied there."""
    env: dict[str, str] = field(default_factory=dict)
    workdir: str = "/"
    entrypoint: list[str] = field(default_factory=list)
    cmd: list[str] = field(default_factory=list)


def read_dockerfile(context: Path) -> Image:
    """The instructions of ``context``/Dockerfile this test needs (ENV, WORKDIR, COPY, ENTRYPOINT, CMD)."""
    text = (context / "Dockerfile").read_text().replace("\\\n", " ")
    image = Image()
    for line in text.splitlines():
        instruction, _, rest = line.strip().partition(" ")
        if instruction == "ENV":
            image.env.update(token.split("=", 1) for token in shlex.split(rest))  # type: ignore[arg-type]
        elif instruction == "WORKDIR":
            image.workdir = rest.strip()
        elif instruction == "COPY":
            *sources, destination = shlex.split(rest)
            for source in sources:
                target = destination + Path(source).name if destination.endswith("/") else destination
                image.files[target] = context / source
        elif instruction == "ENTRYPOINT":
            image.entrypoint = json.loads(rest)
        elif instruction == "CMD":
            image.cmd = json.loads(rest)
    return image


def test_the_dockerfile_is_read_as_written() -> None:
    image = read_dockerfile(APP)
    assert image.files == {"/app/server.py": SERVER, "/app/healthcheck.py": APP / "healthcheck.py"}, image
    assert (image.workdir, image.cmd) == ("/app", ["python3", "/app/server.py"]), image
    assert image.env["PORT"] == "8080" and image.env["PYTHONDONTWRITEBYTECODE"] == "1", image.env


@contextlib.contextmanager
def read_only_image_root(image: Image) -> Iterator[Path]:
    """A directory holding the image's files at their image paths, readable by everyone and writable by nobody."""
    root = Path(tempfile.mkdtemp(prefix="app-image-"))
    try:
        for target, source in image.files.items():
            local = root / target.lstrip("/")
            local.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, local)
        (root / image.workdir.lstrip("/")).mkdir(parents=True, exist_ok=True)
        for path in [*root.rglob("*"), root]:
            path.chmod(0o555 if path.is_dir() else 0o444)
        yield root
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(stat.S_IRWXU)
        shutil.rmtree(root)


# ---------------------------------------------------------------------------
# Who runs it, and with which python3
# ---------------------------------------------------------------------------
def _runnable_by_anyone(path: Path) -> bool:
    """Whether a user other than the owner can run ``path``: every directory above it searchable, it executable."""
    real = path.resolve()
    if not real.is_file() or not real.stat().st_mode & stat.S_IXOTH:
        return False
    return all(parent.stat().st_mode & stat.S_IXOTH for parent in real.parents)


@dataclass(frozen=True)
class Runner:
    """How the container's processes are started here."""

    python: str
    """The interpreter that stands in for the image's python3."""
    popen: dict[str, Any]
    """Extra subprocess arguments (the task's user, when the test may switch to it)."""
    who: str
    """For messages: which user ran it."""


def runner_for(task_user: str) -> Runner:
    """Run as the task's user when the test runs as root and can; as the current, non-root user otherwise."""
    if os.geteuid() != 0:
        return Runner(sys.executable, {}, f"the current user (uid {os.getuid()}), not the task's {task_user}")
    pythons = [Path(d) / "python3" for d in os.get_exec_path()] + [Path(sys.executable)]
    usable = next((p for p in pythons if _runnable_by_anyone(p)), None)
    if usable is None:
        return Runner(sys.executable, {}, f"root: no python3 on PATH that uid {task_user} may run")
    uid, _, gid = task_user.partition(":")
    return Runner(str(usable.resolve()), {"user": int(uid), "group": int(gid or uid), "extra_groups": []},
                  f"the task's user {task_user}")


@contextlib.contextmanager
def port_lock(port: int) -> Iterator[None]:
    """Only one test process at a time may serve on ``port`` (the tasks' ports are fixed, not free ones)."""
    with open(Path(tempfile.gettempdir()) / f"fargate-platform-test-port-{port}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# ---------------------------------------------------------------------------
# The stacks' task definitions
# ---------------------------------------------------------------------------
def _services(stack: str) -> list[dict[str, Any]]:
    config = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    return config["fargate-platform:services"]


EXAMPLES = [(stack, svc["name"]) for stack in STACKS for svc in _services(stack) if svc.get("build") == "app"]


def test_every_example_service_runs_the_sample_app() -> None:
    """So that the test below starts every example service, not only some."""
    others = [(stack, svc["name"]) for stack in STACKS for svc in _services(stack) if svc.get("build") != "app"]
    assert others == [], f"services not built from app/, which this test cannot start: {others}"
    assert len([e for e in EXAMPLES if e[0] == "prod"]) >= 3, EXAMPLES


def _resource(stack: str, type_: str, name: str) -> Any:
    return next((r for r in program(stack).resources if r.type == type_ and r.name == name), None)


def _localise(argv: list[str], root: Path, python: str) -> list[str]:
    """Image paths to the read-only copy, python3 to the interpreter standing in for the image's."""
    def one(arg: str) -> str:
        if arg == "python3":
            return python
        if arg.startswith("/") and (root / arg.lstrip("/")).exists():
            return str(root / arg.lstrip("/"))
        return arg
    return [one(arg) for arg in argv]


def _health_check_argv(command: list[str], root: Path, python: str) -> list[str]:
    """An ECS health check command (CMD or CMD-SHELL form) as this machine runs it."""
    kind, *rest = command
    if kind == "CMD-SHELL":
        return ["/bin/sh", "-c", shlex.join(_localise(shlex.split(rest[0]), root, python))]
    assert kind == "CMD", f"unknown health check form {command}"
    return _localise(rest, root, python)


def _snapshot(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


@pytest.mark.parametrize(("stack", "service"), EXAMPLES, ids=[f"{s}-{n}" for s, n in EXAMPLES])
def test_the_task_definition_runs_and_answers_its_health_checks(stack: str, service: str) -> None:
    task = _resource(stack, "aws:ecs/taskDefinition:TaskDefinition", f"fp-{stack}-{service}-task")
    assert task is not None, f"{stack}: no task definition for {service}"
    (container,) = json.loads(task.inputs["containerDefinitions"])
    target_group = _resource(stack, "aws:lb/targetGroup:TargetGroup", f"fp-{stack}-{service}-tg")
    health_check = container.get("healthCheck", {}).get("command")
    assert health_check or target_group is not None, f"{task.urn}: nothing checks this service's health"

    image = read_dockerfile(APP)
    port = container["portMappings"][0]["containerPort"]
    run = runner_for(container["user"])
    env = {**image.env, **{e["name"]: e["value"] for e in container["environment"]},
           **{s["name"]: f"placeholder-for-{s['name']}" for s in container["secrets"]}, "HOST": "127.0.0.1"}
    entrypoint = container.get("entryPoint", image.entrypoint)
    command = container.get("command", [] if "entryPoint" in container else image.cmd)
    where = f"{task.urn} (run as {run.who})"

    with read_only_image_root(image) as root, port_lock(port):
        before = _snapshot(root)
        cwd = root / container.get("workingDirectory", image.workdir).lstrip("/")
        proc = subprocess.Popen(_localise([*entrypoint, *command], root, run.python), env=env, cwd=cwd,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **run.popen)
        try:
            listening = _wait_until_listening(proc, where)
            assert listening == f"listening on 127.0.0.1:{port}", f"{where}: {listening}, container port {port}"
            checks = [(health_check, _health_check_argv(health_check, root, run.python))] if health_check else []
            for command_as_given, argv in checks:
                result = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, timeout=30, **run.popen)
                assert result.returncode == 0, f"{where}: health check {command_as_given} failed: {result.stderr!r}"
            if target_group is not None:
                check = target_group.inputs["healthCheck"]
                assert check["port"] == "traffic-port", f"{target_group.urn}: {check}"
                status, body = _get(f"http://127.0.0.1:{port}{check['path']}")
                low, high = (int(n) for n in check["matcher"].split("-"))
                assert low <= status <= high, f"{target_group.urn}: {check['path']} answered {status} {body}"
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0, f"{where}: exit code after SIGTERM"
        finally:
            _stop(proc)
        # The check must be able to fail: with the server gone it reports unhealthy.
        for command_as_given, argv in checks:
            result = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, timeout=30, **run.popen)
            assert result.returncode != 0, f"{where}: health check {command_as_given} passes with no server"
        assert _snapshot(root) == before, f"{where}: wrote into the image's files"
