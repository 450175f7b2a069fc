"""``--sarif FILE`` (validated against the OASIS SARIF 2.1.0 schema) and ``--compliance`` (findings per Security
Hub control), over the real pack's findings on the small stack of ``tests/test_remediation.py`` under dev's
config: violations, a check that could not be made, and remediations."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from pathlib import Path

import jsonschema
import pytest
from fargate_policies.facts import SECURITY_HUB_CONTROLS

from stacks.cli import main
from stacks.offline import compliance, remediation, sarif
from stacks.offline.analyzer import PolicyPackProcess
from stacks.offline.gate import decide
from stacks.offline.runner import ProgramRun, StackConfig
from tests.test_remediation import ALB, DEV, LOG_GROUP, OPEN_GROUP, PACK, RESOURCES, UNKNOWN_LOGS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SARIF_SCHEMA = json.loads((FIXTURES / "sarif" / "sarif-schema-2.1.0.json").read_text())
PLAN_SCHEMA = json.loads((ROOT / "stacks" / "offline" / "plan.schema.json").read_text())


@pytest.fixture(scope="module")
def checked():
    """(run, report, verdict) of the small stack under dev's config, planned as if from this repository."""
    with PolicyPackProcess(PACK, "fargate-platform", "dev", config={"aws:region": "us-east-1"}) as pack:
        found = pack.analyze(RESOURCES, DEV.policies)
    config = StackConfig("fargate-platform", "dev", {}, project_dir=ROOT, main=ROOT / "__main__.py")
    run = remediation.applied(ProgramRun("fargate-platform", "dev", RESOURCES, {}, config), found)
    return run, found, decide(found, DEV)


def results_for(log, urn):
    return [r for r in log["runs"][0]["results"]
            if r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == urn]


def test_the_sarif_log_validates_against_the_oasis_schema(checked):
    run, found, verdict = checked
    log = sarif.document(run, found, verdict, base=ROOT)
    jsonschema.Draft4Validator.check_schema(SARIF_SCHEMA)
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1


def test_one_rule_per_policy_with_help_uri_tags_and_severity(checked):
    run, found, verdict = checked
    driver = sarif.document(run, found, verdict, base=ROOT)["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == (found.pack.name, found.pack.version)
    assert [r["id"] for r in driver["rules"]] == [p.name for p in found.pack.policies]
    rule = next(r for r in driver["rules"] if r["id"] == "require-drop-invalid-headers")
    policy = found.pack.policy("require-drop-invalid-headers")
    assert rule["helpUri"] == policy.url and rule["help"]["text"] == policy.remediation
    assert rule["properties"]["tags"] == list(policy.tags) and rule["properties"]["security-severity"] == "5.5"
    assert rule["properties"]["framework"]["reference"] == "ELB.4"


def test_results_levels_and_locations(checked):
    run, found, verdict = checked
    log = sarif.document(run, found, verdict, base=ROOT)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    ssh = results_for(log, OPEN_GROUP.urn)
    assert [(r["ruleId"], r["level"]) for r in ssh] == [("disallow-open-ingress", "error")], "mandatory: error"
    assert rules[ssh[0]["ruleIndex"]]["id"] == "disallow-open-ingress"
    location = ssh[0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "Pulumi.dev.yaml", "the stack file, relative"
    assert location["logicalLocations"][0]["name"] == "ssh"
    notes = results_for(log, LOG_GROUP.urn)
    assert [(r["ruleId"], r["level"], r["message"]["text"]) for r in notes] == [
        ("require-log-group-retention", "note", "Remediated before the checks: retentionInDays: 3 -> 7")]
    unknown = results_for(log, UNKNOWN_LOGS.urn)
    assert [(r["ruleId"], r["level"]) for r in unknown] == [("require-log-group-retention", "warning")]
    advisory = {(r["ruleId"], r["level"]) for r in results_for(log, ALB.urn)}
    assert ("require-alb-access-logs", "warning") in advisory, "advisory: warning"
    assert len(log["runs"][0]["results"]) == len(verdict.violations) + len(verdict.unknowns) + len(found.remediations)
    assert "s3cr3t" not in json.dumps(log)


def test_the_location_is_the_program_without_a_stack_file(checked, tmp_path):
    run, found, verdict = checked
    (tmp_path / "__main__.py").write_text("")
    elsewhere = ProgramRun(run.project, "dev", run.resources, {},
                           StackConfig(run.project, "dev", {}, project_dir=tmp_path, main=tmp_path / "__main__.py"))
    assert sarif.artifact(elsewhere, base=tmp_path) == "__main__.py"
    assert sarif.artifact(elsewhere, base=ROOT) == (tmp_path / "__main__.py").resolve().as_uri()


def test_compliance_per_control(checked):
    _, found, verdict = checked
    by_id = {c.id: c for c in compliance.summarize(found, verdict)}
    assert list(by_id) == list(SECURITY_HUB_CONTROLS), "every control the pack knows, in its order"
    assert by_id["EC2.18"].status == "failed" and by_id["EC2.18"].policies == ("disallow-open-ingress",)
    assert by_id["ELB.4"].status == "passed", "remediated, then passed"
    assert by_id["CloudWatch.16"].status == "unknown", "one log group's retention is unknown"
    assert by_id["ELB.5"].status == "failed" and by_id["ELB.5"].findings == 1, "an advisory violation fails it too"
    assert by_id["ECR.3"].status == "not covered" and by_id["ECR.3"].policies == ()


def test_a_disabled_policy_leaves_its_control_not_covered(checked):
    _, found, verdict = checked
    config = {**found.config, "require-drop-invalid-headers": ("disabled", {})}
    elb4 = next(c for c in compliance.summarize(dataclasses.replace(found, config=config), verdict)
                if c.id == "ELB.4")
    assert (elb4.status, elb4.disabled) == ("not covered", ("require-drop-invalid-headers",))


def test_compliance_text_and_json(checked):
    _, found, verdict = checked
    controls = compliance.summarize(found, verdict)
    text = compliance.render(controls)
    total = compliance.counts(controls)
    assert text.splitlines()[0].endswith(f"{total['failed']} failed, {total['unknown']} unknown, "
                                         f"{total['passed']} passed, {total['not covered']} not covered")
    assert "    EC2.18*" in text and "no policy of the pack checks it" in text
    doc = compliance.to_json(controls)
    jsonschema.Draft202012Validator(PLAN_SCHEMA["properties"]["compliance"]).validate(doc)
    assert sum(doc["summary"].values()) == len(SECURITY_HUB_CONTROLS)


def test_the_plan_command_writes_sarif_and_prints_compliance(tmp_path):
    """The options end to end, with the tiny pack (whose policies check no Security Hub control)."""
    out, err = io.StringIO(), io.StringIO()
    path, doc_path = tmp_path / "plan.sarif", tmp_path / "plan.json"
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["plan", "good", "--project-dir", str(FIXTURES / "badconfig_project"), "--policy-pack",
                     str(FIXTURES / "tiny_pack"), "--sarif", str(path), "--compliance", "--json", str(doc_path)])
    assert code == 0, err.getvalue()
    log = json.loads(path.read_text())
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["require-bucket-name"]
    assert f"0 passed, {len(SECURITY_HUB_CONTROLS)} not covered" in out.getvalue()
    doc = json.loads(doc_path.read_text())
    jsonschema.Draft202012Validator(PLAN_SCHEMA).validate(doc)
    assert doc["compliance"]["summary"]["not covered"] == len(SECURITY_HUB_CONTROLS)
