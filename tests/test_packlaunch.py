"""Launching the pack before the gRPC client is imported, and handing it over (stacks.offline.packlaunch)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bench import evaluate as bench_evaluate
from stacks.offline import packlaunch
from stacks.offline import runner as offline
from stacks.offline.analyzer import AnalysisSession, PolicyPackError, PolicyPackProcess, run_policy_pack
from tests.test_plan import BADCONFIG, RESOURCES, TINY, bucket, plan

ROOT = Path(__file__).resolve().parent.parent


def test_launcher_imports_nothing_beyond_the_standard_library():
    code = ("import sys; before = set(sys.modules); import stacks.offline.packlaunch; "
            "print(sorted(m.split('.')[0] for m in set(sys.modules) - before))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout.replace("'", '"')))
    assert loaded - set(sys.stdlib_module_names) == {"stacks"}, "only the standard library may load before launch"
    assert "dataclasses" not in loaded, "dataclasses imports inspect: keep the launch path lean"


@pytest.mark.parametrize(("files", "problem"), [
    ((), "PulumiPolicy.yaml not found"),
    (("PulumiPolicy.yaml",), "__main__.py not found"),
])
def test_launch_refuses_what_is_not_a_pack(tmp_path, files, problem):
    for name in files:
        (tmp_path / name).write_text("")
    with pytest.raises(PolicyPackError, match=f"^policy pack {tmp_path}: {problem}$"):
        packlaunch.launch(tmp_path, "p", "s")
    with pytest.raises(PolicyPackError, match=f"^policy pack {tmp_path / 'nowhere'}: not found"):
        packlaunch.launch(tmp_path / "nowhere", "p", "s")


def test_a_launched_pack_is_taken_over_and_killed_at_the_end():
    launched = packlaunch.launch(TINY, "p", "s", {"aws:region": "eu-west-1"})
    report = run_policy_pack(TINY, "p", "s", RESOURCES, {}, config={"aws:region": "eu-west-1"}, launched=launched)
    assert launched.process.poll() is not None, "the pack process is gone"
    fresh = run_policy_pack(TINY, "p", "s", RESOURCES, {}, config={"aws:region": "eu-west-1"})
    assert report.violations == fresh.violations and report.analyzed == fresh.analyzed == 4
    assert ("require-bucket-name", bucket("unnamed").urn) in {(v.policy, v.urn) for v in report.violations}


def test_a_pack_launched_for_another_stack_is_refused_and_killed():
    launched = packlaunch.launch(TINY, "p", "s")
    pack = PolicyPackProcess(TINY, "p", "other")
    with pytest.raises(ValueError, match="launched for another pack, project, stack or config"):
        pack.start(launched)
    assert launched.process.poll() is not None
    assert pack.process is None


def test_evaluate_kills_the_early_pack_when_the_recording_is_cut_short(tmp_path, monkeypatch):
    recording = tmp_path / "cut.pickle"
    recording.write_text(json.dumps({"project": "p", "stack": "s", "config": {}, "secret_keys": []}) + "\n")
    # the header, and no resources after it
    launched: list[packlaunch.LaunchedPack] = []

    def spy(*args, **kwargs):
        launched.append(original(*args, **kwargs))
        return launched[-1]

    original = packlaunch.launch
    monkeypatch.setattr(packlaunch, "launch", spy)
    monkeypatch.setattr(bench_evaluate, "PACK_DIR", TINY)
    with pytest.raises(EOFError):
        bench_evaluate.evaluate(recording)
    assert len(launched) == 1 and launched[0].process.poll() is not None, "the launched pack was killed"


# ---------------------------------------------------------------------------
# CPU placement: the pack on one CPU, its caller on the others.
# ---------------------------------------------------------------------------
TWO_CPUS = pytest.mark.skipif(not hasattr(os, "sched_setaffinity") or len(os.sched_getaffinity(0)) < 2,
                              reason="placing processes on CPUs needs Linux and two CPUs this process may use")


@pytest.mark.parametrize(("setting", "allowed", "pack", "caller"), [
    ("", {0, 1}, {1}, {0}),
    ("auto", {0, 1, 2, 3}, {3}, {0, 1, 2}),
    (" AUTO ", {4, 6}, {6}, {4}),
    ("0", {0, 1}, {0}, {1}),
    ("2", {2}, {2}, {2}),  # one CPU: the caller cannot be kept off it
])
def test_placement_gives_the_pack_one_cpu_and_the_caller_the_rest(setting, allowed, pack, caller):
    placement = packlaunch.cpu_placement(setting, frozenset(allowed))
    assert placement is not None, f"{setting!r} over {allowed} places the pack"
    assert (placement.pack, placement.caller) == (pack, caller), f"{setting!r} over {allowed}: {placement}"


@pytest.mark.parametrize(("setting", "allowed"), [("off", {0, 1}), ("Off", {0, 1, 2}), ("", {0}), ("auto", {3})])
def test_no_placement_when_turned_off_or_with_one_cpu(setting, allowed):
    assert packlaunch.cpu_placement(setting, frozenset(allowed)) is None, f"{setting!r} over {allowed}"


@pytest.mark.parametrize("setting", ["7", "x", "-1", "1,2", "0.5"])
def test_a_bad_setting_is_one_line_naming_the_variable_and_the_choices(setting):
    with pytest.raises(PolicyPackError) as caught:
        packlaunch.cpu_placement(setting, frozenset({0, 1}))
    assert str(caught.value) == (f"FARGATE_PACK_CPU={setting!r}: expected auto, off or a CPU this process may "
                                 "use (0, 1)")


def test_a_bad_setting_starts_no_process(monkeypatch):
    monkeypatch.setenv(packlaunch.PACK_CPU_ENV, "nine")

    def refuse(*args, **kwargs):
        raise AssertionError("no pack process may start with a bad FARGATE_PACK_CPU")

    monkeypatch.setattr(packlaunch.subprocess, "Popen", refuse)
    with pytest.raises(PolicyPackError, match="^FARGATE_PACK_CPU='nine': expected auto, off or a CPU"):
        packlaunch.launch(TINY, "p", "s")


def test_the_plan_reports_a_bad_setting_in_one_line(monkeypatch):
    monkeypatch.setenv(packlaunch.PACK_CPU_ENV, "nine")
    code, out, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY))
    assert code == 2, out
    assert err.strip().splitlines() == [err.strip()] and err.startswith("error: FARGATE_PACK_CPU='nine': expected")


def _thread_cpus(pid: int) -> dict[int, set[int]]:
    """The CPUs each thread of ``pid`` may run on."""
    cpus = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        cpus[int(task.name)] = os.sched_getaffinity(int(task.name))
    return cpus


@TWO_CPUS
def test_every_thread_of_the_pack_runs_on_its_cpu_and_the_launcher_keeps_its_own(monkeypatch):
    monkeypatch.delenv(packlaunch.PACK_CPU_ENV, raising=False)
    mine = os.sched_getaffinity(0)
    pack = PolicyPackProcess(TINY, "p", "s").start()
    try:
        assert os.sched_getaffinity(0) == mine, "launching leaves the launching thread's CPUs alone"
        pack.connect()  # the pack's gRPC server and its threads are up
        threads = _thread_cpus(pack.process.pid)
        assert len(threads) > 1, "the serving pack has several threads"
        assert all(cpus == {max(mine)} for cpus in threads.values()), f"pack threads' CPUs: {threads}"
    finally:
        pack.close()


@TWO_CPUS
def test_the_caller_and_the_threads_it_starts_keep_off_the_pack_cpu_for_the_block(monkeypatch):
    monkeypatch.setenv(packlaunch.PACK_CPU_ENV, str(min(os.sched_getaffinity(0))))
    mine = os.sched_getaffinity(0)
    launched = packlaunch.launch(TINY, "p", "s")
    try:
        seen: list[set[int]] = []
        with launched.caller_placed():
            inside = os.sched_getaffinity(0)
            thread = threading.Thread(target=lambda: seen.append(os.sched_getaffinity(0)))
            thread.start()
            thread.join()
        assert launched.placement.pack == {min(mine)}
        assert inside == seen[0] == mine - {min(mine)}, "the caller and its new thread keep off the pack's CPU"
        assert os.sched_getaffinity(0) == mine, "the caller's CPUs come back after the block"
    finally:
        launched.kill()


def test_nothing_is_placed_when_turned_off(monkeypatch):
    monkeypatch.setenv(packlaunch.PACK_CPU_ENV, "off")
    mine = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    launched = packlaunch.launch(TINY, "p", "s")
    try:
        assert launched.placement is None
        with launched.caller_placed():
            assert mine is None or os.sched_getaffinity(0) == mine
        if mine is not None:
            assert os.sched_getaffinity(launched.process.pid) == mine, "the pack may run anywhere we may"
    finally:
        launched.kill()


@TWO_CPUS
@pytest.mark.parametrize("entry", ["plan", "run_policy_pack"])
def test_the_plan_and_run_policy_pack_keep_their_work_off_the_pack_cpu(monkeypatch, entry):
    """The program (plan) and the client's analysis run with the caller's CPUs, not the pack's."""
    monkeypatch.delenv(packlaunch.PACK_CPU_ENV, raising=False)
    mine = os.sched_getaffinity(0)
    seen: list[set[int]] = []
    finish = AnalysisSession.finish

    def spy(self, resources):
        seen.append(os.sched_getaffinity(0))
        return finish(self, resources)

    monkeypatch.setattr(AnalysisSession, "finish", spy)
    if entry == "plan":
        run_program = offline.run_program

        def program_spy(*args, **kwargs):
            seen.append(os.sched_getaffinity(0))
            return run_program(*args, **kwargs)

        monkeypatch.setattr(offline, "run_program", program_spy)
        code, _, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY))
        assert code == 0, err
    else:
        run_policy_pack(TINY, "p", "s", RESOURCES, {})
    calls = 2 if entry == "plan" else 1  # the program, then the analysis
    assert seen == [mine - {max(mine)}] * calls, f"{entry} ran with CPUs {seen}, the pack has {max(mine)}"
    assert os.sched_getaffinity(0) == mine, f"{entry} gives the caller its CPUs back"


def test_the_analyze_channel_connects_while_the_pack_is_configured():
    """Once the port is known, the Analyze pipeline exists and its channel is connecting or connected before any
    Analyze call, so the first Analyze does not pay for the connection."""
    import asyncio
    import time

    import grpc

    with PolicyPackProcess(TINY, "p", "s") as pack:
        pack.connect()
        pipeline = pack._pipeline
        assert pipeline is not None, "connect() made the Analyze pipeline"

        async def state() -> grpc.ChannelConnectivity:
            return pipeline._channel.get_state(try_to_connect=False)

        deadline = time.monotonic() + 10
        seen = grpc.ChannelConnectivity.IDLE
        while time.monotonic() < deadline and seen != grpc.ChannelConnectivity.READY:
            seen = asyncio.run_coroutine_threadsafe(state(), pipeline._loop).result(timeout=5)
            time.sleep(0.01)
        assert seen == grpc.ChannelConnectivity.READY, f"the Analyze channel is {seen} without any call made"
        assert pack.pipeline() is pipeline, "the pipeline made at connect() is the one used"
