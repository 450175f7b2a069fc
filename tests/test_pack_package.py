"""The pack as a package: its wheel builds, installs into a clean environment, and evaluates a stack from there.

Two ways other projects get the pack, each checked in a fresh virtual environment that
sees this project's dependencies (pulumi, pulumi-policy, grpc) but not the editable
install of ``fargate_policies``:

- ``pulumi policy publish`` uploads the ``policies/`` directory, whose ``__main__.py``
  imports ``fargate_policies`` from beside itself;
- ``pip install`` of the wheel, used by a pack of another project's own.

Both run over the drifted prod export through the analyzer protocol and must find its drift.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import fargate_policies
import pytest
import yaml

from tests.test_audit import DRIFTS, EXPORTS

# Builds the wheel and installs it into a fresh venv: `make test-slow` runs it (CI runs both suites).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
PROD_CONFIG = POLICIES / "config" / "prod.json"
# setuptools builds wheels by itself from 70.1 on; before that it needs the `wheel` package.
MIN_SETUPTOOLS = (70, 1)

CONSUMER_MAIN = '''\
"""Another project's pack: the fargate-platform rules, installed as the fargate-policies package."""
from pathlib import Path

import fargate_policies
from fargate_policies.rules import ALL_POLICIES
from pulumi_policy import PolicyPack

Path("imported-from").write_text(fargate_policies.__file__)  # which copy this process loaded, for the test
PolicyPack(name="platform-guardrails", policies=ALL_POLICIES)
'''

# Runs in the fresh environment: audits an export with a pack directory and prints what it found.
DRIVER = '''\
import json, sys
from pathlib import Path

repo, pack_dir, export, config = sys.argv[1:5]
sys.path.append(repo)  # the offline client (stacks/), which is this repository's, not the pack's
try:
    import fargate_policies
    imported = fargate_policies.__file__
except ImportError:
    imported = None
from stacks.offline.analyzer import run_policy_pack
from stacks.offline.deployment import load_export
from stacks.offline.policy_config import load_policy_config

deployed = load_export(export)
report = run_policy_pack(Path(pack_dir), deployed.project, deployed.stack, deployed.resources,
                         load_policy_config(Path(config)))
print(json.dumps({"imported": imported, "found": sorted([v.policy, v.urn] for v in report.violations)}))
'''


def _setuptools_builds_wheels() -> str | None:
    """Why the wheel cannot be built here without network, or None when it can."""
    try:
        version = importlib.metadata.version("setuptools")
    except importlib.metadata.PackageNotFoundError:
        return "setuptools is not installed; install requirements-dev.txt"
    numbers = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    if numbers < MIN_SETUPTOOLS:
        return f"setuptools {version} cannot build wheels by itself; install requirements-dev.txt (it pins a newer one)"
    return None


def _run(command: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command[:4]} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return result


def _build_wheel(work: Path) -> tuple[Path, Path]:
    """(the wheel, the copy of policies/ it was built from): built offline, nothing written into the repository."""
    reason = _setuptools_builds_wheels()
    if reason:
        pytest.skip(reason)
    source = work / "policies"
    shutil.copytree(POLICIES, source, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "dist",
                                                                     "venv"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "--quiet",
          "--wheel-dir", str(work / "dist"), str(source)])
    (wheel,) = (work / "dist").glob("*.whl")
    return wheel, source


def _fresh_python(venv: Path) -> Path:
    """A new virtual environment's python that sees our dependencies but no fargate_policies."""
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).stdout.strip()
    # A path line, not a site directory: the editable install's own .pth (its import hook) is not run.
    (Path(site) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def _audit_drift(python: Path, pack_dir: Path) -> dict:
    """What the pack in ``pack_dir`` finds in the drifted prod export, run by ``python``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = _run([str(python), "-I", "-c", DRIVER, str(ROOT), str(pack_dir), str(EXPORTS / "prod-drifted.json"),
                   str(PROD_CONFIG)], env=env, cwd=pack_dir.parent)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_pack_directory_runs_on_its_own_as_pulumi_policy_publish_ships_it(tmp_path):
    python = _fresh_python(tmp_path / "venv")
    result = _audit_drift(python, POLICIES)
    assert result["imported"] is None, "the environment has no fargate_policies: the pack found its own copy"
    assert {tuple(item) for item in result["found"]} == DRIFTS


def test_the_wheel_installs_in_a_clean_environment_and_evaluates_a_stack(tmp_path):
    wheel, source = _build_wheel(tmp_path)
    tree = {path.relative_to(source).as_posix() for path in (source / "fargate_policies").rglob("*")
            if path.is_file() and "__pycache__" not in path.parts}
    with zipfile.ZipFile(wheel) as archive:
        packed = {name for name in archive.namelist() if name.startswith("fargate_policies/")}
    assert packed == tree, f"missing from the wheel: {sorted(tree - packed)}; unexpected: {sorted(packed - tree)}"
    manifest = yaml.safe_load((POLICIES / "PulumiPolicy.yaml").read_text())
    assert wheel.name == f"fargate_policies-{fargate_policies.__version__}-py3-none-any.whl"
    assert str(manifest["version"]) == fargate_policies.__version__, "PulumiPolicy.yaml and the package agree"

    python = _fresh_python(tmp_path / "venv")
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index", "--quiet",
          str(wheel)])
    pack = tmp_path / "guardrails"  # another project's pack directory
    pack.mkdir()
    (pack / "PulumiPolicy.yaml").write_text("description: Another project's pack.\nruntime: python\nversion: 1.0.0\n")
    (pack / "__main__.py").write_text(CONSUMER_MAIN)
    result = _audit_drift(python, pack)
    assert Path(result["imported"]).is_relative_to(tmp_path / "venv"), result["imported"]
    assert Path((pack / "imported-from").read_text()).is_relative_to(tmp_path / "venv"), \
        "the pack process used the wheel too"
    assert {tuple(item) for item in result["found"]} == DRIFTS
