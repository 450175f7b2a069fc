"""``python -m stacks audit`` and the driver's ``audit``: a deployed stack's exported state judged by the pack.

The exports under ``tests/fixtures/exports/`` are our stacks as deployed from their plans
(``tests/fixtures/exports/generate.py``); ``prod-drifted.json`` is prod after three
changes made outside Pulumi. Small hand-written exports drive the tiny pack where the
real one is not needed.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pulumi.automation import CommandResult, Deployment
from pulumi.automation.errors import create_command_error

import stacks.automation as automation
from stacks.automation import driver
from stacks.automation.errors import MISSING_CLI_MESSAGE, CliNotFoundError, ConfigurationError, ExitCode
from stacks.cli import main
from stacks.offline.deployment import ExportError, load_export, read_deployment
from stacks.offline.gate import IN_STATE
from stacks.offline.policy_config import load_policy_config
from stacks.offline.runner import SECRET_SIG, SIG_KEY, UNKNOWN, SecretValue
from tests.fixtures.exports import generate
from tests.test_automation import FakeFactory, FakeStack

ROOT = Path(__file__).resolve().parent.parent
EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
TINY = Path(__file__).resolve().parent / "fixtures" / "tiny_pack"
SCHEMA = json.loads((ROOT / "stacks" / "offline" / "plan.schema.json").read_text())
REGENERATE = "if the program changed, regenerate the exports: python -m tests.fixtures.exports.generate"

SERVICE = "urn:pulumi:prod::fargate-platform::fargate-platform:index:FargateService$"
# The three drifts in prod-drifted.json, each with the rule that must report it.
DRIFTS = {
    ("require-log-group-retention", f"{SERVICE}aws:cloudwatch/logGroup:LogGroup::{generate.DRIFTED_LOG_GROUP}"),
    ("disallow-open-ingress", f"{SERVICE}aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::"
                              f"{generate.DRIFTED_INGRESS_RULE}"),
    ("disallow-privileged-containers", f"{SERVICE}aws:ecs/taskDefinition:TaskDefinition::"
                                       f"{generate.DRIFTED_TASK_DEFINITION}"),
}

TINY_STACK = "urn:pulumi:test::tiny::pulumi:pulumi:Stack::tiny-test"
TINY_PROVIDER = "urn:pulumi:test::tiny::pulumi:providers:aws::default_7_0_0"


def audit_cli(*argv: str, stdin: str | None = None, monkeypatch: pytest.MonkeyPatch | None = None
              ) -> tuple[int, str, str]:
    """Run ``python -m stacks audit ...`` in-process; return (exit code, stdout, stderr)."""
    if stdin is not None:
        assert monkeypatch is not None
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["audit", *argv])
    return code, out.getvalue(), err.getvalue()


def secret(plaintext: Any = None, *, encrypted: bool = False) -> dict[str, str]:
    """A secret property value as the export writes it."""
    if encrypted:
        return {SIG_KEY: SECRET_SIG, "ciphertext": "v1:T3BhcXVlIGNpcGhlcnRleHQ="}
    return {SIG_KEY: SECRET_SIG, "plaintext": json.dumps(plaintext)}


def bucket(name: str, **inputs: Any) -> dict[str, Any]:
    return {"urn": f"urn:pulumi:test::tiny::aws:s3/bucket:Bucket::{name}", "custom": True, "id": name,
            "type": "aws:s3/bucket:Bucket", "inputs": inputs, "outputs": inputs, "parent": TINY_STACK,
            "provider": f"{TINY_PROVIDER}::0b1d"}


def tiny_export(*resources: dict[str, Any], version: Any = 3) -> dict[str, Any]:
    """A deployment of project ``tiny``, stack ``test``: the root stack, its default provider, ``resources``."""
    return {"version": version, "deployment": {
        "manifest": {"time": "2025-06-02T09:30:00Z", "magic": "", "version": "v3.200.0"},
        "resources": [
            {"urn": TINY_STACK, "custom": False, "type": "pulumi:pulumi:Stack", "outputs": {"url": "https://x"}},
            {"urn": TINY_PROVIDER, "custom": True, "id": "0b1d", "type": "pulumi:providers:aws",
             "inputs": {"region": "eu-west-1", "version": "7.0.0"}, "outputs": {"region": "eu-west-1"}},
            *resources,
        ]}}


def exported(name: str) -> dict[str, Any]:
    return json.loads((EXPORTS / name).read_text())


class ExportingStack(FakeStack):
    """The automation tests' fake stack, whose state is ``document``."""

    def __init__(self, name: str, document: dict[str, Any]) -> None:
        super().__init__(name)
        self.document = document

    def export_stack(self) -> Deployment:
        self.calls.append(("export_stack", {}))
        return Deployment(version=self.document["version"], deployment=self.document["deployment"])


# ---------------------------------------------------------------------------
# Reading the deployment format.
# ---------------------------------------------------------------------------
def test_resources_are_read_with_their_recorded_inputs():
    deployed = read_deployment(tiny_export(
        bucket("logs", bucket="logs-1", versioning={"enabled": True}, lifecycleDays=30,
               policy={SIG_KEY: "5cf8f73096256a8f31e491e813e4eb8e", "urn": TINY_PROVIDER, "id": "pol-1"}),
        {**bucket("shared"), "external": True},
        {**bucket("logs"), "delete": True, "inputs": {"bucket": "old"}},
    ), "test.json")
    assert (deployed.project, deployed.stack, deployed.updated) == ("tiny", "test", "2025-06-02T09:30:00Z")
    assert deployed.outputs == {"url": "https://x"}
    assert [r.name for r in deployed.resources] == ["tiny-test", "default_7_0_0", "logs", "shared"], \
        "the old copy of a replaced resource is left out"
    assert deployed.pending_deletion == 1
    logs = deployed.resources[2]
    assert logs.inputs == {"bucket": "logs-1", "versioning": {"enabled": True}, "lifecycleDays": 30.0,
                           "policy": "pol-1"}, logs.urn
    assert isinstance(logs.inputs["lifecycleDays"], float), "numbers as the engine's wire form carries them"
    assert logs.custom and logs.parent == TINY_STACK and logs.provider == f"{TINY_PROVIDER}::0b1d", logs.urn
    assert deployed.resources[3].read, "an external resource is read, not managed (and not analyzed)"


def test_secrets_become_secret_values_and_encrypted_ones_unknown():
    deployed = read_deployment(tiny_export(
        bucket("a", bucket=secret("a-name"), tags=secret({"Owner": "team"})),
        bucket("b", bucket=secret(encrypted=True)),
    ), "test.json")
    a, b = deployed.resources[2:]
    assert a.inputs["bucket"] == SecretValue("a-name") and a.inputs["tags"] == SecretValue({"Owner": "team"}), a.urn
    assert b.inputs["bucket"] == SecretValue(UNKNOWN), b.urn
    assert deployed.encrypted == 1


def test_the_generators_secrets_read_back_as_they_were_written():
    value = {"password": SecretValue("hunter2"), "port": 5432.0, "nested": [SecretValue({"k": "v"})]}
    document = tiny_export(bucket("s", **generate.export_value(value)))
    (resource,) = read_deployment(document, "test.json").resources[2:]
    assert resource.inputs == value


@pytest.mark.parametrize("document, expected", [
    ("[1, 2]", "test.json: not a Pulumi stack export (no \"deployment\" object)"),
    (json.dumps(tiny_export(version=2)), "test.json: deployment version 2 is not supported; expected 3"),
    (json.dumps({"version": 3, "deployment": {"resources": []}}), "test.json: no pulumi:pulumi:Stack resource"),
    (json.dumps(tiny_export({"type": "aws:s3/bucket:Bucket"})), "test.json: deployment.resources[2]: no \"urn\""),
    (json.dumps(tiny_export(bucket("x", bucket={SIG_KEY: SECRET_SIG, "plaintext": "{not json"}))),
     "test.json: deployment.resources[2] (urn:pulumi:test::tiny::aws:s3/bucket:Bucket::x).inputs.bucket: "
     "a secret's plaintext is not JSON"),
    ("{\"version\": 3,", "test.json: not JSON: "),
])
def test_a_bad_export_is_one_line_naming_the_file(tmp_path, monkeypatch, document, expected):
    monkeypatch.chdir(tmp_path)
    Path("test.json").write_text(document)
    with pytest.raises(ExportError) as raised:
        load_export("test.json")
    assert str(raised.value).startswith(expected) and "\n" not in str(raised.value)
    code, out, err = audit_cli("test.json")
    assert (code, out) == (2, "")
    assert err.startswith(f"error: {expected}") and err.count("\n") == 1, err


def test_building_the_command_line_does_not_load_the_audits_dependencies():
    code = ("import sys, stacks.cli; stacks.cli.build_parser(); "
            "print(sorted(m for m in ('pulumi', 'grpc', 'stacks.offline.deployment') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", "every `python -m stacks` command would pay for the audit's imports"


def test_a_missing_export_file_is_exit_2_not_a_stack_name(tmp_path):
    code, _, err = audit_cli(str(tmp_path / "state.json"))
    assert code == 2 and err.startswith(f"error: {tmp_path / 'state.json'}: cannot read: "), err


def test_local_is_refused_with_an_export_file():
    code, _, err = audit_cli(str(EXPORTS / "dev.json"), "--local")
    assert code == 2 and err.startswith("error: --local: applies to auditing a STACK"), err


# ---------------------------------------------------------------------------
# The committed exports.
# ---------------------------------------------------------------------------
def test_the_drifted_export_is_prod_with_exactly_three_changes():
    prod, drifted = exported("prod.json"), exported("prod-drifted.json")
    assert drifted == generate.drift(prod), "prod-drifted.json is prod.json with drift() applied"
    before, after = prod["deployment"]["resources"], drifted["deployment"]["resources"]
    assert [r["urn"] for r in before] == [r["urn"] for r in after]
    changed = {b["urn"] for b, a in zip(before, after, strict=True) if a != b}
    assert changed == {urn for _, urn in DRIFTS}


def test_the_dev_export_audits_clean_under_devs_config(monkeypatch):
    code, out, err = audit_cli("-", stdin=(EXPORTS / "dev.json").read_text(), monkeypatch=monkeypatch)
    assert code == 0, err
    assert out.startswith("Auditing stack dev of project fargate-platform (deployed state from standard input, "
                          f"written {generate.DEPLOYED_AT})")
    # dev releases by rolling deployments, which its config reports as advisory only.
    assert "policy: 0 mandatory, 1 advisory violations" in out, f"{out[-3000:]}\n{REGENERATE}"
    assert "advisory (1):\n    require-traffic-shifting-deployments: aws:ecs/service:Service fp-dev-web-service" in out
    assert err == "", "dev's policy config is found from the export's stack name"


def audit_with_json(name: str, tmp_path: Path) -> tuple[int, str, str, dict[str, Any]]:
    """Audit ``tests/fixtures/exports/<name>`` with ``--json``: (exit code, stdout, stderr, the JSON document)."""
    path = tmp_path / "findings.json"
    code, out, err = audit_cli(str(EXPORTS / name), "--json", str(path))
    return code, out, err, json.loads(path.read_text()) if path.exists() else {}


@pytest.mark.slow  # the whole prod stack through the real pack: `make test-slow` (CI runs both)
def test_the_prod_export_audits_clean_under_prods_config(tmp_path):
    code, out, err, document = audit_with_json("prod.json", tmp_path)
    assert code == 0, err
    assert document["violations"] == [], f"{document['violations']}\n{REGENERATE}"
    chosen = load_policy_config(ROOT / "policies" / "config" / "prod.json")
    applied = {p["name"]: p["enforcementLevel"] for p in document["pack"]["policies"]}
    assert {name: level for name, (level, _) in chosen.items() if level} == \
        {name: applied[name] for name, (level, _) in chosen.items() if level}, "prod's config applied"


@pytest.mark.slow  # the whole prod stack through the real pack: `make test-slow` (CI runs both)
def test_the_drifted_export_reports_exactly_the_three_drifts_and_exits_1(tmp_path):
    code, out, err, document = audit_with_json("prod-drifted.json", tmp_path)
    assert code == 1, err
    found = {(v["policy"], v["urn"]) for v in document["violations"]}
    assert found == DRIFTS
    assert {v["level"] for v in document["violations"]} == {"mandatory"}
    total = len(exported("prod-drifted.json")["deployment"]["resources"])
    assert f"Audit: {total} resources; policy: 3 mandatory, 0 advisory violations" in out
    assert f"    {total} deployed" in out and "+ " not in out.split("Resources by type:")[1], "nothing is to create"
    jsonschema.Draft202012Validator(SCHEMA).validate(document)


# ---------------------------------------------------------------------------
# Secrets through the protocol (tiny pack: require-bucket-name reads ``bucket``).
# ---------------------------------------------------------------------------
def test_an_encrypted_secret_is_never_passed_and_fails_the_gate_under_unknowns_mandatory(tmp_path):
    export, config = tmp_path / "sealed.json", tmp_path / "strict.json"
    export.write_text(json.dumps(tiny_export(bucket("plain", bucket=secret("named")),
                                             bucket("sealed", bucket=secret(encrypted=True)))))
    config.write_text('{"unknowns": "mandatory"}')
    code, out, err = audit_cli(str(export), "--policy-pack", str(TINY), "--policy-config", str(config),
                               "--json", str(tmp_path / "findings.json"))
    document = json.loads((tmp_path / "findings.json").read_text())
    assert code == 1, err
    assert err == f"warning: {export}: 1 secret value(s) are encrypted (exported without --show-secrets); the rules " \
                  "that read them cannot check them and report so\n"
    assert [(u["policy"], u["urn"], u["failing"]) for u in document["unknowns"]] == [
        ("require-bucket-name", "urn:pulumi:test::tiny::aws:s3/bucket:Bucket::sealed", True)]
    # A deployed stack has no `pulumi up` ahead of it: the reason says what the state hides.
    assert [u["reason"] for u in document["unknowns"]] == [f"bucket is not known ({IN_STATE})"], document["unknowns"]
    assert not [v for v in document["violations"] if v["policy"] == "require-bucket-name"], \
        "the plaintext secret is read and passes"


# ---------------------------------------------------------------------------
# The Automation API driver's audit.
# ---------------------------------------------------------------------------
def test_driver_audit_exports_the_stack_and_judges_it_under_its_policy_config(tmp_path):
    shutil.copytree(TINY, tmp_path / "policies")
    (tmp_path / "policies" / "config").mkdir()
    (tmp_path / "policies" / "config" / "test.json").write_text(
        '{"limit-resource-count": "advisory", "unknowns": "mandatory"}')
    stack = ExportingStack("test", tiny_export(*(bucket(f"b{i}") for i in range(3)),
                                               bucket("sealed", bucket=secret(encrypted=True))))
    factory = FakeFactory(stack)
    result = automation.audit("test", stack_factory=factory, work_dir=tmp_path)
    assert stack.calls == [("export_stack", {})]
    assert [spec.create for spec in factory.specs] == [False], "an audit never creates the stack"
    assert result.kind == "audit" and result.policy_checked and not result.drifted
    assert result.policy_config == str(tmp_path / "policies" / "config" / "test.json")
    assert result.policy_defaults == {}
    found = sorted((v.policy_name, v.enforcement_level, v.resource_urn.rsplit("::", 1)[1])
                   for v in result.policy_violations)
    assert found == [("limit-resource-count", "advisory", "sealed"), ("require-bucket-name", "advisory", "b0"),
                     ("require-bucket-name", "advisory", "b1"), ("require-bucket-name", "advisory", "b2"),
                     ("require-bucket-name", "mandatory", "sealed")]
    (unchecked,) = [v for v in result.policy_violations if v.mandatory]
    assert unchecked.message.startswith("could not check: "), unchecked
    assert result.audit_failed, "under unknowns: mandatory, a check the pack could not make fails the audit"


def test_driver_audit_without_a_policy_config_says_which_levels_ran(tmp_path):
    shutil.copytree(TINY, tmp_path / "policies")
    stack = ExportingStack("test", tiny_export(*(bucket(f"b{i}", bucket=f"b{i}") for i in range(4))))
    result = automation.audit("test", stack_factory=FakeFactory(stack), work_dir=tmp_path)
    assert result.policy_config is None
    assert dict(result.policy_defaults) == {"limit-resource-count": "mandatory", "require-bucket-name": "advisory"}
    assert [v.policy_name for v in result.policy_violations] == ["limit-resource-count"]
    assert result.audit_failed, "4 buckets, at most 3 allowed, mandatory by default"


def test_driver_audit_refuses_an_unusable_export_with_exit_2():
    stack = ExportingStack("prod", tiny_export(version=1))
    with pytest.raises(ConfigurationError) as raised:
        automation.audit("prod", stack_factory=FakeFactory(stack), work_dir=ROOT)
    code, line = automation.describe_error(raised.value, "prod", "audit")
    assert code == ExitCode.USAGE and line.startswith("prod: audit: stack prod's export: deployment version 1")


def test_driver_audit_needs_the_cli_and_says_so_first(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    with pytest.raises(CliNotFoundError):
        automation.audit("prod", local=True)
    code, out, err = audit_cli("prod", "--local")
    assert (code, out, err) == (ExitCode.CLI_MISSING, "", MISSING_CLI_MESSAGE + "\n")


def test_audit_stack_on_the_command_line_goes_through_the_driver(monkeypatch):
    stack = ExportingStack("test", tiny_export(bucket("unnamed")))
    monkeypatch.setattr(driver, "require_cli", lambda: "/usr/bin/pulumi")
    monkeypatch.setattr(driver, "open_stack", FakeFactory(stack))
    code, out, err = audit_cli("test", "--policy-pack", str(TINY))
    assert code == 0 and stack.calls == [("export_stack", {})], err
    assert out.startswith("Auditing stack test of project tiny (deployed state from stack test (exported through")
    assert "require-bucket-name: aws:s3/bucket:Bucket unnamed" in out
    assert "policy config: none (" in out and "every policy runs at the pack's default level" in out


def test_audit_of_a_stack_the_backend_does_not_have_is_exit_5(monkeypatch):
    def missing(spec):
        raise create_command_error(CommandResult(stdout="", stderr="error: no stack named 'nope' found", code=255))

    monkeypatch.setattr(driver, "require_cli", lambda: "/usr/bin/pulumi")
    monkeypatch.setattr(driver, "open_stack", missing)
    code, out, err = audit_cli("nope")
    assert (code, out) == (ExitCode.STACK_NOT_FOUND, "") and err.startswith("nope: no such stack"), err
