"""run_program / load_stack_config: the program under mocks, recorded as the engine sees it."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import json
import os
import sys
import threading
from pathlib import Path

import pulumi
import pytest
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings

from stacks.cli import main
from stacks.offline.runner import (
    SECRET_PLACEHOLDER,
    ConfigError,
    ProgramError,
    SecretValue,
    load_stack_config,
    run_program,
    to_plain,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
VIOLATING = FIXTURES / "violating_project"
BADCONFIG = FIXTURES / "badconfig_project"
OUTPUTS = FIXTURES / "outputs_project"
PROD_POLICY = Path(__file__).resolve().parent.parent / "policies" / "config" / "prod.json"
STACK_URN = "urn:pulumi:bad::violating::pulumi:pulumi:Stack::violating-bad"


@functools.cache
def violating():
    """The violating fixture runs once per session; tests only read the recording."""
    return run_program(VIOLATING, "bad")


def urn(type_token: str, name: str, parents: str = "") -> str:
    return f"urn:pulumi:bad::violating::{parents}{type_token}::{name}"


# ---------------------------------------------------------------------------
# Config.
# ---------------------------------------------------------------------------
def test_config_merges_project_defaults_and_stack_values():
    config = load_stack_config(VIOLATING, "bad")
    assert config.project == "violating"
    assert config.values["violating:logRetentionDays"] == "30", "integer default passed as a string"
    assert config.values["violating:sshCidr"] == "0.0.0.0/0"
    assert config.values["aws:region"] == "eu-west-1", "namespaced stack keys kept as is"
    assert json.loads(config.values["violating:tags"]) == {"Environment": "bad", "Owner": "platform",
                                                          "CostCenter": "cc-000"}, "objects as JSON strings"


def test_secure_values_are_placeholders_marked_secret():
    config = load_stack_config(VIOLATING, "bad")
    assert config.values["violating:dbPassword"] == SECRET_PLACEHOLDER
    assert config.secret_keys == {"violating:dbPassword"}


def test_overrides_take_short_or_full_keys():
    config = load_stack_config(BADCONFIG, "good").with_overrides({"size": 1, "aws:region": "us-west-2",
                                                                   "mode": None})
    assert config.values["myproj:size"] == "1"
    assert config.values["aws:region"] == "us-west-2"
    assert "myproj:mode" not in config.values


@pytest.mark.parametrize(("stack", "expected"), [
    ("nope", "Pulumi.nope.yaml not found in " + str(BADCONFIG)),
    ("missing", "myproj:region: not set"),
    ("wrongtype", 'myproj:size: expected integer, got string "large" (in Pulumi.wrongtype.yaml)'),
    ("broken", "Pulumi.broken.yaml line 3: invalid YAML"),
])
def test_config_errors_are_one_line_naming_the_key_or_file(stack, expected):
    with pytest.raises(ConfigError) as caught:
        load_stack_config(BADCONFIG, stack)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def _project(tmp_path: Path, stack_file: bytes) -> Path:
    """A project directory whose ``Pulumi.dev.yaml`` holds ``stack_file`` byte for byte."""
    (tmp_path / "Pulumi.yaml").write_text("name: myproj\nruntime: python\nconfig:\n  azCount:\n    type: integer\n"
                                          "    default: 2\n")
    (tmp_path / "Pulumi.dev.yaml").write_bytes(stack_file)
    return tmp_path


def test_a_stack_file_that_is_not_utf8_is_one_line_naming_the_file_and_line(tmp_path):
    project = _project(tmp_path, b"config:\n  aws:region: us-east-1\n  myproj:owner: Jos\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_stack_config(project, "dev")
    assert str(caught.value) == "Pulumi.dev.yaml line 3: not UTF-8 text (byte 0xe9); save the file as UTF-8"


def test_a_key_given_twice_names_both_lines(tmp_path):
    """YAML keeps the last of two equal keys silently, so the plan would change without a word."""
    project = _project(tmp_path, b"config:\n  myproj:azCount: 2\n  aws:region: us-east-1\n  myproj:azCount: 3\n")
    with pytest.raises(ConfigError) as caught:
        load_stack_config(project, "dev")
    assert str(caught.value) == ("Pulumi.dev.yaml: invalid YAML: myproj:azCount is given twice, at lines 2 and 4; "
                                 "keep one")


def test_keys_repeated_in_different_mappings_or_merged_are_fine(tmp_path):
    project = _project(tmp_path, b"config:\n  myproj:a: &base {name: x, size: 1}\n"
                                 b"  myproj:b: {<<: *base, size: 2}\n  myproj:c: [{name: y}, {name: z}]\n")
    config = load_stack_config(project, "dev")
    assert json.loads(config.values["myproj:b"]) == {"name": "x", "size": 2}
    assert json.loads(config.values["myproj:c"]) == [{"name": "y"}, {"name": "z"}]


def test_missing_project_file(tmp_path):
    with pytest.raises(ConfigError, match=f"Pulumi.yaml not found in {tmp_path}"):
        run_program(tmp_path, "dev")


# ---------------------------------------------------------------------------
# The recording.
# ---------------------------------------------------------------------------
def test_root_stack_comes_first_and_everything_hangs_under_it():
    run = violating()
    assert run.resources[0].urn == STACK_URN
    assert run.resources[0].parent is None and not run.resources[0].custom
    urns = {r.urn for r in run.resources}
    for resource in run.resources[1:]:
        assert resource.parent in urns, f"{resource.urn}: parent {resource.parent}"


def test_urns_are_built_like_the_engine():
    run = violating()
    by_urn = run.by_urn()
    component = urn("violating:index:Logging", "app")
    child = urn("aws:cloudwatch/logGroup:LogGroup", "app-open", parents="violating:index:Logging$")
    assert component in by_urn and not by_urn[component].custom, component
    assert by_urn[child].parent == component, child
    assert urn("aws:ec2/vpc:Vpc", "main") in by_urn, "no root stack type in top-level URNs"


def test_inputs_use_engine_names_and_numbers():
    run = violating()
    ssh = run.named("ssh")
    rule = ssh.inputs["ingress"][0]
    assert rule["fromPort"] == 22.0 and isinstance(rule["fromPort"], float), ssh.urn
    assert rule["cidrBlocks"] == ["0.0.0.0/0"], ssh.urn
    kept = run.named("app-kept")
    assert kept.inputs["retentionInDays"] == 30.0, kept.urn
    pinned = run.named("pinned")
    assert pinned.inputs["imageScanningConfiguration"] == {"scanOnPush": True}, pinned.urn


def test_dependencies_property_dependencies_and_protect():
    run = violating()
    vpc_urn = urn("aws:ec2/vpc:Vpc", "main")
    subnet = run.named("main-a")
    assert vpc_urn in subnet.dependencies, subnet.urn
    assert subnet.property_dependencies["vpcId"] == (vpc_urn,), subnet.urn
    password = run.named("db-password")
    assert urn("aws:kms/key:Key", "rotated-key") in password.dependencies, password.urn
    assert run.named("app-open").protect, run.named("app-open").urn
    assert not run.named("app-kept").protect


def test_stack_transforms_run_like_the_engine():
    run = violating()
    for resource in run.resources:
        if resource.custom and resource.type != "aws:kms/alias:Alias":
            assert resource.inputs.get("tags", {}).get("Environment") == "bad", resource.urn


def test_secrets_stay_secret():
    run = violating()
    password = run.named("db-password")
    assert isinstance(password.inputs["value"], SecretValue), password.urn
    assert to_plain(password.inputs)["value"] == SECRET_PLACEHOLDER
    assert isinstance(run.outputs["password"], SecretValue)


def test_mock_ids_flow_into_dependent_inputs_and_outputs():
    run = violating()
    vpc_id = run.outputs["vpcId"]
    assert vpc_id.startswith("vpc-"), vpc_id
    assert run.named("main-a").inputs["vpcId"] == vpc_id
    assert run.named("main-a").inputs["availabilityZone"] == "eu-west-1a", "zones follow aws:region"
    assert run.outputs["repositoryUrl"].startswith("123456789012.dkr.ecr.eu-west-1.amazonaws.com/pinned-")
    assert run.outputs["accountId"] == "123456789012"


# ---------------------------------------------------------------------------
# Errors.
# ---------------------------------------------------------------------------
def test_run_error_keeps_its_message():
    with pytest.raises(ProgramError) as caught:
        run_program(BADCONFIG, "bad")
    assert str(caught.value) == "myproj:size: 7 is not allowed; allowed: 1, 2"
    assert isinstance(caught.value.cause, pulumi.RunError)


def test_other_exceptions_name_type_and_place():
    with pytest.raises(ProgramError) as caught:
        run_program(BADCONFIG, "crash")
    assert str(caught.value).startswith("KeyError: 'missing-key' (__main__.py:")


def test_unknown_invoke_names_the_token():
    with pytest.raises(ProgramError, match="acme:index/getWidget:getWidget"):
        run_program(BADCONFIG, "invoke")


def test_logged_errors_fail_the_run():
    with pytest.raises(ProgramError, match="the program found something wrong"):
        run_program(BADCONFIG, "log-error")


# ---------------------------------------------------------------------------
# Isolation: several runs in one process.
# ---------------------------------------------------------------------------
def test_runs_leave_no_trace_and_can_repeat():
    cwd, path = os.getcwd(), list(sys.path)
    monitor_before = runtime_settings.SETTINGS.monitor
    root_before = runtime_settings.ROOT.get()
    config_before = dict(runtime_config.CONFIG.get())

    first = run_program(BADCONFIG, "helper")
    assert "helper_module" not in sys.modules, "modules imported from the project are dropped"
    assert first.outputs["helper"] == "from the helper module"
    second = run_program(BADCONFIG, "good", config_overrides={"size": 1})
    other = violating()

    assert os.getcwd() == cwd and sys.path == path
    assert runtime_settings.SETTINGS.monitor is monitor_before
    assert runtime_settings.ROOT.get() is root_before
    assert dict(runtime_config.CONFIG.get()) == config_before
    assert second.outputs["size"] == 1.0
    assert [r.name for r in first.resources] == ["myproj-helper", "box", "box-bucket"]
    assert [r.name for r in second.resources] == ["myproj-good", "box", "box-bucket"]
    assert first.resources[0].urn == "urn:pulumi:helper::myproj::pulumi:pulumi:Stack::myproj-helper"
    assert second.resources[0].urn == "urn:pulumi:good::myproj::pulumi:pulumi:Stack::myproj-good"
    assert other.project == "violating"


def test_the_collector_is_paced_for_the_run_and_put_back():
    import gc

    from stacks.offline.runner import RECORDING_GC_THRESHOLD

    during = []
    saved = gc.get_threshold()
    gc.set_threshold(123, 4, 5)
    try:
        run_program(BADCONFIG, "good", on_resource=lambda record: during.append(gc.get_threshold()))
        assert during and set(during) == {RECORDING_GC_THRESHOLD}
        assert gc.get_threshold() == (123, 4, 5)
        with pytest.raises(ProgramError):
            run_program(BADCONFIG, "crash")
        assert gc.get_threshold() == (123, 4, 5)
    finally:
        gc.set_threshold(*saved)


def test_only_a_one_shot_run_leaves_its_objects_frozen():
    """A command's single run freezes what it allocated (its process ends next); a library call leaves the
    collector as it found it."""
    import gc

    before = gc.get_freeze_count()
    run_program(BADCONFIG, "good")
    assert gc.get_freeze_count() == before
    try:
        program = run_program(BADCONFIG, "good", one_shot=True)
        assert gc.get_freeze_count() > before
        assert program.resources[0].urn.endswith("myproj-good")
    finally:
        gc.unfreeze()


def test_the_callers_event_loop_is_put_back():
    # In a thread of its own, so this test's loop juggling cannot touch the main thread's.
    seen = {}

    def body():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            run_program(BADCONFIG, "good")
            seen["loop"] = asyncio.get_event_loop() is loop and not loop.is_closed()
        finally:
            loop.close()

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    assert seen == {"loop": True}


@pulumi.runtime.test
def test_unit_test_mocks_still_work_after_a_run(pulumi_mocks):
    run_program(BADCONFIG, "good")
    import pulumi_aws as aws

    return aws.s3.Bucket("after", bucket="after-run").bucket.apply(lambda name: _check(name == "after-run", name))


def _check(condition: bool, detail: object) -> None:
    assert condition, detail


def test_reads_of_existing_resources_are_recorded_as_reads():
    run = run_program(BADCONFIG, "read")
    existing = run.named("existing")
    assert existing.read and existing.custom, existing.urn
    assert existing.id == "vpc-0123456789abcdef0", existing.urn
    assert not run.named("box-bucket").read


def test_on_resource_sees_each_registration_and_cannot_break_the_run():
    seen = []

    def listener(record):
        seen.append(record.urn)
        raise RuntimeError("listener bug")

    run = run_program(BADCONFIG, "good", on_resource=listener)
    assert sorted(seen) == sorted(r.urn for r in run.resources)


# ---------------------------------------------------------------------------
# What `pulumi up` would send: inputs built from other resources' outputs are known.
# ---------------------------------------------------------------------------
def test_containers_built_from_a_databases_outputs_are_known():
    run = run_program(OUTPUTS, "bad")
    task = run.named("web")
    containers = json.loads(task.inputs["containerDefinitions"])
    environment = {e["name"]: e["value"] for e in containers[0]["environment"]}
    assert environment["DB_HOST"] == run.outputs["dbAddress"], task.urn
    assert environment["DB_HOST"].endswith(".us-east-1.rds.amazonaws.com"), task.urn
    assert environment["DB_PORT"] == "5432", f"{task.urn}: the engine's port"


def test_the_prod_gate_fails_an_insecure_task_built_from_outputs(tmp_path):
    path = tmp_path / "plan.json"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["plan", "bad", "--project-dir", str(OUTPUTS), "--policy-config", str(PROD_POLICY),
                     "--json", str(path)])
    assert code == 1, err.getvalue()
    task = "urn:pulumi:bad::outputs::aws:ecs/taskDefinition:TaskDefinition::web"
    found = {v["policy"]: v for v in json.loads(path.read_text())["violations"] if v["urn"] == task}
    for policy in ("disallow-privileged-containers", "disallow-plaintext-secrets", "require-pinned-images",
                   "require-container-log-configuration"):
        assert policy in found, f"{task}: no {policy}; found {sorted(found)}"
        assert found[policy]["level"] == "mandatory", f"{task}: {policy} is {found[policy]['level']}"
    assert "DB_PASSWORD" in found["disallow-plaintext-secrets"]["message"], task



def test_outputs_a_resource_declares_secret_stay_secret(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: secrets\nruntime: python\n")
    (tmp_path / "Pulumi.dev.yaml").write_text("config: {}\n")
    (tmp_path / "__main__.py").write_text(
        "import pulumi, pulumi_random as random\n"
        "password = random.RandomPassword('db', length=20)\n"
        "pulumi.export('password', password.result)\n")
    password = run_program(tmp_path, "dev").outputs["password"]
    assert isinstance(password, SecretValue), "the SDK declares result secret, as the engine would mark it"
    assert len(password.value) == 20, "the placeholder follows the length asked for"
