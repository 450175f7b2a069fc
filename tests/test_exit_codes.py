"""The README's exit-code table, through the documented command ``./plan`` run as CI runs it (a subprocess).

``make plan`` cannot keep these codes (make reports any failing command as its own 2), which is why CI
runs ``./plan``; these runs prove that the script passes the plan's codes through, from any directory.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

# Runs the documented make and ./plan commands in their own processes: `make test-slow` runs it (CI runs both suites).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PROJECT = FIXTURES / "badconfig_project"
TINY = FIXTURES / "tiny_pack"


def run_plan(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    assert (ROOT / ".venv" / ".installed").is_file(), "./plan runs the project's .venv; `make test` creates it"
    return subprocess.run([str(ROOT / "plan"), *argv], cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize(("level", "code"), [("advisory", 0), ("mandatory", 1)])
def test_plan_exits_0_when_the_gate_passes_and_1_on_a_mandatory_violation(tmp_path, level, code):
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"require-bucket-name": level}))
    done = run_plan(tmp_path, "good", "--project-dir", str(PROJECT), "--policy-pack", str(TINY),
                    "--policy-config", str(config))
    assert done.returncode == code, done.stderr
    violations = "1 mandatory, 0 advisory" if code else "0 mandatory, 1 advisory"
    assert done.stdout.splitlines()[-1].startswith(f"Plan: 3 resources; policy: {violations} violations"), done.stdout


def test_plan_exits_2_with_one_line_on_invalid_input(tmp_path):
    done = run_plan(tmp_path, "nope", "--project-dir", str(PROJECT), "--policy-pack", str(TINY))
    assert done.returncode == 2
    assert done.stdout == "" and done.stderr == f"error: Pulumi.nope.yaml not found in {PROJECT}\n"
