"""Launching the pack before the gRPC client is imported, and handing it over (stacks.packlaunch)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from bench import evaluate as bench_evaluate
from stacks import packlaunch
from stacks.analyzer import PolicyPackError, PolicyPackProcess, run_policy_pack
from tests.test_plan import RESOURCES, TINY, bucket

ROOT = Path(__file__).resolve().parent.parent


def test_launcher_imports_nothing_beyond_the_standard_library():
    code = ("import sys; before = set(sys.modules); import stacks.packlaunch; "
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
    with recording.open("wb") as handle:  # the header, and no resources after it
        pickle.dump({"project": "p", "stack": "s", "config": {}, "secret_keys": []}, handle)
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
