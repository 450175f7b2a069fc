"""What the program registers does not drift: dev, prod, gpu and a 40-service stack against committed snapshots.

Each snapshot (``tests/fixtures/snapshots/<name>.json``) holds the number of
resources the program registers and one SHA-256 per resource over its URN,
type, parent, custom flag, protect, provider, inputs (secrets and unknowns
marked as such) and dependencies, sorted. Any change to what reaches the
engine changes a digest, and the test names the URNs whose digest is new.
A property dependency with no URN in it is left out: it carries no
dependency (the SDK sends one, empty, for each input the program sets).

A deliberate change to the program's resources is recorded with
``python -m tests.test_program_snapshot``, which rewrites the snapshots.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from bench.synthetic import overrides
from stacks.offline.runner import UNKNOWN, ProgramRun, RecordedResource, SecretValue, run_program
from tests.stack_programs import program

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = Path(__file__).resolve().parent / "fixtures" / "snapshots"
SYNTHETIC_SERVICES = 40
PROJECT_PLACEHOLDER = "<project>"
"""Stands for the checkout's own path (a build context is an absolute path), so any clone matches."""


def _canonical(value: Any) -> Any:
    """A JSON-ready value that still tells a secret or an unknown from a plain string."""
    if isinstance(value, SecretValue):
        return {"<secret>": _canonical(value.value)}
    if value is UNKNOWN:
        return "<unknown>"
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def digest(resource: RecordedResource, root: Path = ROOT) -> str:
    """SHA-256 of what the engine received for ``resource``, independent of where the checkout lives."""
    doc = {
        "urn": resource.urn, "type": resource.type, "parent": resource.parent, "custom": resource.custom,
        "protect": resource.protect, "provider": resource.provider, "inputs": _canonical(resource.inputs),
        "dependencies": sorted(resource.dependencies),
        "propertyDependencies": {key: sorted(urns) for key, urns in resource.property_dependencies.items() if urns},
    }
    text = json.dumps(doc, sort_keys=True, separators=(",", ":")).replace(str(root), PROJECT_PLACEHOLDER)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def snapshot(run: ProgramRun) -> dict[str, Any]:
    return {"resources": len(run.resources), "sha256": sorted(digest(r) for r in run.resources)}


def _synthetic() -> ProgramRun:
    return run_program(ROOT, "prod", config_overrides=overrides(SYNTHETIC_SERVICES))


RUNS = {"dev": lambda: program("dev"), "prod": lambda: program("prod"), "gpu": lambda: program("gpu"),
        f"prod-{SYNTHETIC_SERVICES}-services": _synthetic}


@pytest.mark.parametrize("name", [
    "dev",
    "prod",
    "gpu",
    # A stack larger than prod: `make test-slow` runs it (CI runs both suites).
    pytest.param(f"prod-{SYNTHETIC_SERVICES}-services", marks=pytest.mark.slow),
])
def test_registered_resources_match_the_snapshot(name):
    expected = json.loads((SNAPSHOTS / f"{name}.json").read_text(encoding="utf-8"))
    run = RUNS[name]()
    known = set(expected["sha256"])
    drifted = [r.urn for r in run.resources if digest(r) not in known]
    assert not drifted, f"{name}: {len(drifted)} resource(s) differ from the snapshot, e.g. {drifted[:5]}"
    assert len(run.resources) == expected["resources"], \
        f"{name}: {len(run.resources)} resources registered, the snapshot has {expected['resources']}"


def write_snapshots() -> None:
    SNAPSHOTS.mkdir(parents=True, exist_ok=True)
    for name, make in RUNS.items():
        taken = snapshot(make())
        (SNAPSHOTS / f"{name}.json").write_text(json.dumps(taken, indent=0) + "\n", encoding="utf-8")
        print(f"{name}: {taken['resources']} resources", file=sys.stderr)


if __name__ == "__main__":
    write_snapshots()
