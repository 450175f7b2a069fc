"""The pack's routed servicer gives exactly the SDK's results, through the real analyzer protocol."""

from __future__ import annotations

from pathlib import Path

import pytest
from rules import _dispatch

from stacks.analyzer import load_policy_config, run_policy_pack
from stacks.offline import run_program

ROOT = Path(__file__).resolve().parents[2]
VIOLATING = ROOT / "tests" / "fixtures" / "violating_project"


def test_the_installed_sdk_has_the_shape_routing_needs():
    assert _dispatch.supported(), "pulumi-policy changed: review policies/rules/_dispatch.py"


@pytest.fixture(scope="module")
def findings(tmp_path_factory):
    """Violations and not-applicable results of the violating fixture and of prod, with and without routing."""
    runs = {"bad": run_program(VIOLATING, "bad"), "prod": run_program(ROOT, "prod")}
    configs = {"bad": load_policy_config(VIOLATING / "policy.json"),
               "prod": load_policy_config(ROOT / "policies" / "config" / "prod.json")}
    results = {}
    with pytest.MonkeyPatch.context() as patch:
        for mode in ("routed", "sdk"):
            patch.setenv("FARGATE_POLICY_DISPATCH", mode)
            for name, program in runs.items():
                report = run_policy_pack(ROOT / "policies", program.project, name, program.resources, configs[name])
                results[mode, name] = (
                    sorted((v.policy, v.level, v.urn or "", v.message) for v in report.violations),
                    sorted((n.policy, n.urn or "", n.reason) for n in report.not_applicable),
                )
    return results


@pytest.mark.parametrize("stack", ["bad", "prod"])
def test_routing_changes_no_result(findings, stack):
    routed, sdk = findings["routed", stack], findings["sdk", stack]
    assert routed[0] == sdk[0], f"{stack}: violations differ"
    assert routed[1] == sdk[1], f"{stack}: not-applicable results differ"


def test_the_violating_fixture_really_violates(findings):
    violations, _ = findings["routed", "bad"]
    assert len({v[0] for v in violations}) >= 4, violations
