"""The policy pack's process (stacks.offline.pack): started as the CLI starts it, and its failures in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from fargate_policies import DESCRIPTION, __version__

from stacks.offline.analyzer import PolicyPackError, PolicyPackProcess, run_policy_pack
from stacks.offline.pack import PackProcess, _check_config_size
from tests.test_plan import RESOURCES, TINY, bucket

ROOT = Path(__file__).resolve().parent.parent


def test_the_pack_has_one_version():
    """PulumiPolicy.yaml (what the CLI and the plan's report show) carries the package's version."""
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert str(manifest["version"]) == __version__


def test_the_pack_has_one_description():
    """The pack tells Pulumi Cloud the description PulumiPolicy.yaml gives the CLI."""
    manifest = yaml.safe_load((ROOT / "policies" / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert manifest["description"] == DESCRIPTION


@pytest.mark.parametrize(("files", "problem"), [
    ((), "PulumiPolicy.yaml not found"),
    (("PulumiPolicy.yaml",), "__main__.py not found"),
])
def test_what_is_not_a_pack_is_refused_before_anything_starts(tmp_path, files, problem):
    for name in files:
        (tmp_path / name).write_text("")
    with pytest.raises(PolicyPackError, match=f"^policy pack {tmp_path}: {problem}$"):
        PackProcess(tmp_path, "p", "s", {})
    with pytest.raises(PolicyPackError, match=f"^policy pack {tmp_path / 'nowhere'}: not found"):
        PackProcess(tmp_path / "nowhere", "p", "s", {})


def test_a_config_too_large_for_one_environment_value_is_one_line_naming_its_largest_key(monkeypatch):
    started = []
    monkeypatch.setattr("subprocess.Popen", lambda *a, **k: started.append(a))
    services = json.dumps([{"name": f"svc{i:05d}", "image": "x" * 200} for i in range(1000)])
    with pytest.raises(PolicyPackError) as caught:
        PackProcess(TINY, "proj", "big", {"aws:region": "eu-west-1", "fargate-platform:services": services})
    message = str(caught.value)
    assert message.startswith(f"policy pack {TINY}: cannot start: the stack config is ")
    assert "one environment value may hold 128 KiB (fargate-platform:services alone is " in message
    assert "\n" not in message and not started
    under = {"k": "x" * (128 * 1024 - 100)}
    _check_config_size(TINY, under, json.dumps(under))  # just under the limit: no error


def test_the_pack_sees_the_stack_and_its_config_and_is_killed_at_the_end():
    pack = PackProcess(TINY, "proj", "stage-7", {"aws:region": "eu-west-1"})
    try:
        assert pack.port(timeout=60) > 0
        environ = Path(f"/proc/{pack.process.pid}/environ")
        if environ.exists():
            variables = dict(v.split("=", 1) for v in environ.read_text().split("\0") if "=" in v)
            assert (variables["PULUMI_PROJECT"], variables["PULUMI_STACK"], variables["PULUMI_DRY_RUN"]) == (
                "proj", "stage-7", "true")
            assert variables["PULUMI_CONFIG"] == '{"aws:region": "eu-west-1"}'
    finally:
        pack.kill()
    assert pack.process.poll() is not None, "the pack process is gone"
    pack.kill()  # twice is fine


CRASHING = '''
import os
from pulumi_policy import PolicyPack, ResourceValidationPolicy

def crash(args, report_violation):
    print("the rule gave up", flush=True)
    os._exit(3)

PolicyPack(name="crashing", policies=[ResourceValidationPolicy(name="crash", description="Crashes.",
                                                               validate=crash)])
'''


def test_a_pack_that_dies_while_analyzing_is_one_line_with_its_last_words(tmp_path):
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(CRASHING)
    with pytest.raises(PolicyPackError) as caught:
        run_policy_pack(tmp_path, "p", "s", RESOURCES, {})
    assert str(caught.value) == (f"policy pack {tmp_path}: exited with code 3 during Analyze: the rule gave up")


def test_a_closed_pack_is_gone_and_reports_the_same():
    with PolicyPackProcess(TINY, "p", "s") as pack:
        first = pack.analyze(RESOURCES, {})
        process = pack.process
    assert process.poll() is not None and pack.process is None
    assert ("require-bucket-name", bucket("unnamed").urn) in {(v.policy, v.urn) for v in first.violations}
    pack.close()  # twice is fine
