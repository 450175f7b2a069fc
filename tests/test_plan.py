"""``python -m stacks plan``: exit codes, the report, the JSON contract, and the analyzer client (tiny pack)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import socket
from pathlib import Path

import jsonschema
import pytest

from stacks.cli import main
from stacks.offline.analyzer import PolicyPackError, PolicyPackProcess, run_policy_pack
from stacks.offline.policy_config import (
    PolicyConfigError,
    check_policy_names,
    load_policy_config,
    load_policy_file,
    reconcile_policy_config,
)
from stacks.offline.runner import RecordedResource, SecretValue

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
VIOLATING = FIXTURES / "violating_project"
UNKNOWNS = FIXTURES / "unknown_containers"
BADCONFIG = FIXTURES / "badconfig_project"
TINY = FIXTURES / "tiny_pack"
BROKEN = FIXTURES / "broken_pack"
SCHEMA = json.loads((ROOT / "stacks" / "offline" / "plan.schema.json").read_text())

BAD = "urn:pulumi:bad::violating::"
# Each deliberate violation in the fixture: (policy, URN).
EXPECTED = [
    ("require-log-group-retention", BAD + "violating:index:Logging$aws:cloudwatch/logGroup:LogGroup::app-open"),
    ("disallow-open-ingress", BAD + "aws:ec2/securityGroup:SecurityGroup::ssh"),
    ("require-ecr-scan-on-push", BAD + "aws:ecr/repository:Repository::images"),
    ("require-ecr-immutable-tags", BAD + "aws:ecr/repository:Repository::images"),
    ("require-kms-key-rotation", BAD + "aws:kms/key:Key::plain-key"),
]
# Their compliant twins.
COMPLIANT = [
    ("require-log-group-retention", BAD + "violating:index:Logging$aws:cloudwatch/logGroup:LogGroup::app-kept"),
    ("require-ecr-scan-on-push", BAD + "aws:ecr/repository:Repository::pinned"),
    ("require-ecr-immutable-tags", BAD + "aws:ecr/repository:Repository::pinned"),
    ("require-kms-key-rotation", BAD + "aws:kms/key:Key::rotated-key"),
]


def plan(*argv: str) -> tuple[int, str, str]:
    """Run ``python -m stacks plan ...`` in-process; return (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["plan", *argv])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def violating(tmp_path_factory):
    """The violating fixture planned once with the real pack: (exit code, stdout, stderr, JSON document)."""
    path = tmp_path_factory.mktemp("plan") / "bad.json"
    code, out, err = plan("bad", "--project-dir", str(VIOLATING), "--policy-config", str(VIOLATING / "policy.json"),
                          "--json", str(path))
    return code, out, err, json.loads(path.read_text()) if path.exists() else None


# ---------------------------------------------------------------------------
# The real pack over the violating fixture.
# ---------------------------------------------------------------------------
def test_violations_exit_1_and_each_bad_resource_is_reported(violating):
    code, out, err, doc = violating
    assert code == 1, err
    found = {(v["policy"], v["urn"]): v for v in doc["violations"]}
    for policy, urn in EXPECTED:
        assert (policy, urn) in found, f"{urn}: no {policy} violation"
        assert found[(policy, urn)]["level"] == "mandatory", f"{urn}: {policy} level"
    for policy, urn in COMPLIANT:
        assert (policy, urn) not in found, f"{urn}: unexpected {policy} violation"
    assert doc["summary"]["mandatory"] == len([v for v in doc["violations"] if v["level"] == "mandatory"])


def test_json_validates_against_the_schema(violating):
    doc = violating[3]
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["project"] == "violating" and doc["stack"] == "bad"
    assert doc["resources"][0]["type"] == "pulumi:pulumi:Stack" and doc["resources"][0]["parent"] is None
    assert doc["summary"]["resources"] == len(doc["resources"])


def test_secrets_never_appear_in_clear(violating):
    _, out, _, doc = violating
    text = json.dumps(doc)
    assert "s3cr3t-literal-value" not in text and "s3cr3t-literal-value" not in out
    token = next(r for r in doc["resources"] if r["name"] == "api-token")
    assert token["inputs"]["value"] == "[secret]", token["urn"]


def test_report_shows_tree_violations_fixes_and_summary(violating):
    _, out, _, doc = violating
    lines = out.splitlines()
    assert any(line.lstrip().startswith("+") and "aws:ec2/securityGroup:SecurityGroup" in line and "ssh" in line
               for line in lines), out
    child = next(line for line in lines if "app-open" in line and line.lstrip().startswith("+"))
    parent = next(line for line in lines if "violating:index:Logging" in line)
    assert child.index("aws:") > parent.index("violating:"), "children are indented under their parent"
    assert out.index("mandatory (") < out.index("advisory ("), "mandatory first"
    assert "fix: " in out
    assert "\x1b[" not in out, "no colors when stdout is not a terminal"
    summary = lines[-1]
    assert summary.startswith(f"Plan: {len(doc['resources'])} resources; policy: {doc['summary']['mandatory']} "
                              f"mandatory, {doc['summary']['advisory']} advisory violations (fargate-platform ")


# Each repo stack planned whole by the command line and the real pack: `make test-slow` runs them (CI runs both
# suites); the default suite checks the same verdicts rule by rule on the shared recordings.
@pytest.mark.slow
@pytest.mark.parametrize("stack", ["dev", "prod", "gpu"])
def test_the_repo_stacks_pass_their_own_policy_config(tmp_path, stack):
    """This repo's stacks pass every mandatory policy, and the cost estimate is within budget."""
    path = tmp_path / f"{stack}.json"
    code, out, err = plan(stack, "--cost", "--json", str(path))
    doc = json.loads(path.read_text())
    mandatory = [f"{v['policy']} {v['urn']}: {v['message']}" for v in doc["violations"] if v["level"] == "mandatory"]
    assert code == 0, f"{stack}: exit {code}; {err}; mandatory violations: {mandatory}"
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["cost"]["withinBudget"] is True, f"{stack}: estimate {doc['cost']['totalUsd']} over budget"
    assert f"Total: ${doc['cost']['totalUsd']:,.2f} per month" in out
    assert doc["summary"]["mandatory"] == 0


# ---------------------------------------------------------------------------
# Unknown values: listed per resource and rule; under "unknowns": "mandatory", each fails the gate.
# ---------------------------------------------------------------------------
TASK_URN = "urn:pulumi:test::unknowns::aws:ecs/taskDefinition:TaskDefinition::app"


@pytest.fixture(scope="module", params=["mandatory", "advisory"])
def unknowns_plan(request, tmp_path_factory):
    """The fixture whose container list is unknown, planned under ``"unknowns": <param>`` with every policy
    advisory (so only the unknowns can fail the gate): (setting, exit code, stdout, stderr, JSON document)."""
    tmp = tmp_path_factory.mktemp("unknowns")
    config = tmp / "policy.json"
    config.write_text(json.dumps({"all": "advisory", "unknowns": request.param}))
    code, out, err = plan("test", "--project-dir", str(UNKNOWNS), "--policy-config", str(config),
                          "--json", str(tmp / "plan.json"))
    return request.param, code, out, err, json.loads((tmp / "plan.json").read_text())


def test_unknowns_are_reported_per_resource_and_rule_and_fail_only_under_mandatory(unknowns_plan):
    setting, code, out, err, doc = unknowns_plan
    assert code == (1 if setting == "mandatory" else 0), f"unknowns: {setting}: exit {code}; {err}"
    unknowns = doc["unknowns"]
    assert unknowns, f"{TASK_URN}: nothing reported unknown"
    assert {u["urn"] for u in unknowns} == {TASK_URN}
    assert len({u["policy"] for u in unknowns}) == len(unknowns), "one entry per resource and rule"
    assert all(u["failing"] is (setting == "mandatory") for u in unknowns), unknowns
    assert any("containerDefinitions" in u["reason"] or "container definitions" in u["reason"].lower()
               for u in unknowns), f"{TASK_URN}: the reason does not say what was unknown: {unknowns}"
    assert not any(v["urn"] == TASK_URN and v["policy"] == u["policy"] for v in doc["violations"] for u in unknowns), \
        "an unknown is not listed again as a violation"
    assert doc["summary"]["unknowns"] == len(unknowns) and doc["summary"]["passed"] is (code == 0)
    assert doc["policyConfig"]["unknowns"] == setting
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def test_unknowns_are_said_in_the_reports_words_with_the_packs_version(unknowns_plan):
    setting, _, out, _, doc = unknowns_plan
    pack = f"{doc['pack']['name']} {doc['pack']['version']}"
    assert f"{pack} could not check it:" in out, out
    assert "v0.0.1" not in out and "v0.0.1" not in json.dumps(doc), "the SDK's placeholder version leaked"
    heading = "each failing the gate (unknowns: mandatory)" if setting == "mandatory" else \
        "listed only (unknowns: advisory)"
    assert f"unknown at preview ({len(doc['unknowns'])}), {heading}" in out, out
    assert out.splitlines()[-1].startswith(f"Plan: 2 resources; policy: 0 mandatory, {doc['summary']['advisory']} "
                                           f"advisory violations, {len(doc['unknowns'])} unknown"), out


def test_prod_fails_on_unknowns_and_dev_lists_them():
    assert load_policy_file(ROOT / "policies" / "config" / "prod.json").unknowns == "mandatory"
    assert load_policy_file(ROOT / "policies" / "config" / "dev.json").unknowns == "advisory"
    assert "unknowns" not in load_policy_config(ROOT / "policies" / "config" / "prod.json"), "never sent to the pack"


# ---------------------------------------------------------------------------
# The policy config: named in the report, stated when missing, names checked.
# ---------------------------------------------------------------------------
def test_a_missing_policy_config_is_refused_under_strict():
    expected = TINY / "config" / "good.json"
    code, out, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY), "--strict")
    assert code == 2 and out == ""
    assert err == (f"error: no policy config for stack good: {expected} not found (--strict needs one; create it or "
                   "pass --policy-config FILE)\n")


def test_an_unknown_policy_name_is_refused_with_the_nearest(tmp_path):
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"require-bucket-nme": "mandatory"}))
    code, _, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY),
                        "--policy-config", str(config))
    assert code == 2
    assert err == (f"error: policy config {config}: require-bucket-nme: the pack has no policy of that name; "
                   "did you mean require-bucket-name?\n")


def test_a_name_near_no_policy_lists_what_is_allowed():
    with pytest.raises(PolicyConfigError) as caught:
        check_policy_names(["all", "limit-resource-count", "something-else"],
                           ["require-bucket-name", "limit-resource-count"], "policy config x.json")
    assert str(caught.value) == ("policy config x.json: something-else: the pack has no policy of that name; "
                                 "allowed: the pack's policy names, all, unknowns")


def test_an_unknowns_value_other_than_a_level_is_refused(tmp_path):
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"unknowns": "fail"}))
    code, _, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY),
                        "--policy-config", str(config))
    assert code == 2
    assert err == (f"error: policy config {config}: unknowns: 'fail' is not allowed; allowed: mandatory (a check "
                   "that could not run fails the gate), advisory (it is listed)\n")


# ---------------------------------------------------------------------------
# Exit 2: one line on stderr.
# ---------------------------------------------------------------------------
def test_a_stack_file_that_is_not_utf8_exits_2(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(BADCONFIG, project)
    (project / "Pulumi.latin1.yaml").write_bytes(b"config:\n  myproj:region: S\xe3o Paulo\n")
    code, out, err = plan("latin1", "--project-dir", str(project), "--policy-pack", str(TINY))
    assert (code, out) == (2, "")
    assert err == "error: Pulumi.latin1.yaml line 2: not UTF-8 text (byte 0xe3); save the file as UTF-8\n"


def test_cost_refuses_a_region_it_has_no_prices_for():
    """The violating fixture deploys to eu-west-1: its cost is not silently priced at us-east-1's prices."""
    code, _, err = plan("bad", "--project-dir", str(VIOLATING), "--policy-pack", str(TINY), "--cost")
    assert code == 2
    assert err.startswith("error: --cost: no price file for region eu-west-1; regions priced: us-east-1"), err
    assert err.count("\n") == 1
def test_bad_stack_config_names_the_key():
    code, out, err = plan("bad", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY))
    assert code == 2
    assert err == "error: myproj:size: 7 is not allowed; allowed: 1, 2\n"


def test_verbose_adds_the_traceback():
    code, _, err = plan("crash", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY), "--verbose")
    assert code == 2
    assert "Traceback" in err and err.splitlines()[-1].startswith("error: KeyError: 'missing-key'")


@pytest.mark.parametrize(("stack", "expected"), [
    ("nope", f"error: Pulumi.nope.yaml not found in {BADCONFIG}"),
    ("missing", "error: myproj:region: not set"),
    ("invoke", "error: no installed provider SDK has the function 'acme:index/getWidget:getWidget'"),
])
def test_invalid_stacks_exit_2(stack, expected):
    code, _, err = plan(stack, "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY))
    assert code == 2
    assert err.startswith(expected) and err.count("\n") == 1, err


def test_broken_pack_exits_2_naming_it():
    code, _, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(BROKEN))
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"error: policy pack {BROKEN}: exited with code 1 before serving"), err
    assert "rule module exploded on import" in err


def test_missing_pack_exits_2(tmp_path):
    code, _, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(tmp_path / "nowhere"))
    assert code == 2
    assert err.startswith(f"error: policy pack {tmp_path / 'nowhere'}: not found"), err


@pytest.mark.parametrize(("content", "problem"), [
    ("{not json", "invalid JSON"),
    ('{"limit-resource-count": "sometimes"}', "'sometimes' is not an enforcement level"),
    ('["mandatory"]', "expected an object"),
])
def test_invalid_policy_config_exits_2_naming_the_file(tmp_path, content, problem):
    config = tmp_path / "policy.json"
    config.write_text(content)
    code, _, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY),
                        "--policy-config", str(config))
    assert code == 2
    assert str(config) in err and problem in err and err.count("\n") == 1, err


def test_missing_policy_config_exits_2(tmp_path):
    code, _, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY),
                        "--policy-config", str(tmp_path / "absent.json"))
    assert code == 2 and str(tmp_path / "absent.json") in err


# ---------------------------------------------------------------------------
# Exit 0 / 1 with the tiny pack, and the default config location.
# ---------------------------------------------------------------------------
def test_clean_plan_exits_0_and_states_that_it_ran_without_a_policy_config(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # paths outside the working directory are shown in full
    code, out, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1] == "Plan: 3 resources; policy: 0 mandatory, 1 advisory violations (tiny 0.0.7, 2 policies)"
    assert (f"    policy config: none ({TINY / 'config' / 'good.json'} not found); every policy runs at the pack's "
            "default level") in lines, out
    assert "    1 of 3 resources analyzed one by one; stack policies also see the other 2: the stack, 1 component" \
        in lines, "the two counts are explained"


def test_default_policy_config_is_pack_config_stack_json_and_the_header_names_it(tmp_path):
    pack = tmp_path / "pack"
    shutil.copytree(TINY, pack)
    (pack / "config").mkdir()
    (pack / "config" / "good.json").write_text(json.dumps({"require-bucket-name": "mandatory"}))
    code, out, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(pack))
    assert code == 1, err
    assert "1 mandatory, 0 advisory" in out.splitlines()[-1]
    assert f"    policy config: {pack / 'config' / 'good.json'} (unknowns: advisory)" in out.splitlines(), out


# ---------------------------------------------------------------------------
# The analyzer client, against the tiny pack.
# ---------------------------------------------------------------------------
STACK = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"


def bucket(name: str, parent: str | None = STACK, **inputs) -> RecordedResource:
    return RecordedResource(urn=f"urn:pulumi:s::p::aws:s3/bucket:Bucket::{name}", type="aws:s3/bucket:Bucket",
                            name=name, parent=parent, inputs=inputs, version="7.51.1")


RESOURCES = [
    RecordedResource(urn=STACK, type="pulumi:pulumi:Stack", name="p-s", parent=None, inputs={}, custom=False),
    bucket("named", bucket="logs", tags={"password": SecretValue("hunter2")}),
    bucket("unnamed"),
    bucket("not-applicable", acl="n/a"),
    bucket("orphan", parent=None, bucket="orphan"),
]


@pytest.fixture(scope="module")
def tiny():
    """One tiny-pack process for the client tests (each analyze() call reconfigures every policy)."""
    with PolicyPackProcess(TINY, "p", "s") as pack:
        yield pack


def test_analyzer_reports_resource_and_stack_findings_with_remediation(tiny):
    report = tiny.analyze(RESOURCES, {"limit-resource-count": (None, {"maxResources": 10})})
    assert report.pack.name == "tiny" and report.pack.version == "0.0.7", "version from PulumiPolicy.yaml"
    assert [p.name for p in report.pack.policies] == ["require-bucket-name", "limit-resource-count"]
    assert report.analyzed == 4
    found = {(v.policy, v.urn): v for v in report.violations}
    unnamed = found[("require-bucket-name", bucket("unnamed").urn)]
    assert unnamed.level == "advisory" and unnamed.message == "bucket is not set; set an explicit bucket name."
    assert unnamed.remediation == "Set the bucket argument." and unnamed.description == "Buckets have explicit names."
    orphan = found[("limit-resource-count", bucket("orphan").urn)]
    assert orphan.level == "mandatory" and orphan.message == "bucket has no parent.", "AnalyzeStack sees parents"
    assert ("limit-resource-count", bucket("named").urn) not in found
    assert [(n.policy, n.urn, n.reason) for n in report.not_applicable] == [
        ("require-bucket-name", bucket("not-applicable").urn, "acl is n/a")]
    assert report.config["limit-resource-count"] == ("mandatory", {"maxResources": 10})


def test_the_report_shows_the_packs_one_version(violating):
    """The version in the report is the pack's own (``fargate_policies.__version__``, which PulumiPolicy.yaml
    repeats, see tests/test_pack.py)."""
    from fargate_policies import __version__

    _, out, _, doc = violating
    assert doc["pack"]["name"] == "fargate-platform" and doc["pack"]["version"] == __version__
    assert f"(fargate-platform {__version__}, {len(doc['pack']['policies'])} policies)" in out.splitlines()[-1]


def test_schema_defaults_all_and_unknown_names(tiny):
    report = tiny.analyze(RESOURCES, {"all": ("advisory", {}), "no-such-policy": ("mandatory", {})})
    assert report.config["limit-resource-count"] == ("advisory", {"maxResources": 3}), "schema default applied"
    assert report.unknown_policies == ("no-such-policy",)
    count = [v for v in report.violations if v.message.startswith("4 resources")]
    assert count and count[0].level == "advisory", report.violations


def test_config_is_validated_against_the_policy_schema(tiny):
    with pytest.raises(PolicyConfigError) as caught:
        reconcile_policy_config(tiny.info(), {"limit-resource-count": (None, {"maxResources": "many"})},
                                "policy config /x/policy.json")
    assert str(caught.value) == ("policy config /x/policy.json: limit-resource-count.maxResources: "
                                 "'many' is not of type 'integer'")


def test_config_the_pack_refuses_fails_the_plan_in_one_line(tmp_path):
    """The pack is configured while the program runs; a config its schema refuses still ends the plan with one
    line naming the file, and no resource is analyzed against it."""
    config = tmp_path / "policy.json"
    config.write_text(json.dumps({"limit-resource-count": {"maxResources": "many"}}))
    code, out, err = plan("good", "--project-dir", str(BADCONFIG), "--policy-pack", str(TINY),
                          "--policy-config", str(config))
    assert (code, out) == (2, "")
    assert err == (f"error: policy config {config}: limit-resource-count.maxResources: 'many' is not of type "
                   "'integer'\n")


def test_disabled_policies_do_not_run(tiny):
    report = tiny.analyze(RESOURCES, {"all": ("disabled", {})})
    assert report.violations == [] and report.not_applicable == []


def test_run_policy_pack_kills_the_process(monkeypatch):
    started = []
    original = PolicyPackProcess.start

    def spy(self):
        result = original(self)
        started.append(self.process)
        return result

    monkeypatch.setattr(PolicyPackProcess, "start", spy)
    report = run_policy_pack(TINY, "p", "s", RESOURCES[:2], {})
    assert report.violations == []
    assert len(started) == 1 and started[0].poll() is not None, "the pack process is gone"


def test_pack_that_prints_no_port_times_out(tmp_path):
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text("import threading\nthreading.Event().wait()\n")
    with pytest.raises(PolicyPackError, match=f"policy pack {tmp_path}: printed no port within 0.3s"):
        run_policy_pack(tmp_path, "p", "s", RESOURCES, {}, timeout=0.3)


def test_pack_that_prints_a_port_nobody_listens_on_fails_at_once(tmp_path):
    with socket.socket() as probe:  # a port that was free a moment ago, and is closed now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "PulumiPolicy.yaml").write_text("runtime: python\nversion: 0.0.1\n")
    (tmp_path / "__main__.py").write_text(f"import threading\nprint({port}, flush=True)\nthreading.Event().wait()\n")
    with pytest.raises(PolicyPackError, match=f"policy pack {tmp_path}: GetAnalyzerInfo failed: ") as caught:
        run_policy_pack(tmp_path, "p", "s", RESOURCES, {}, timeout=30)
    assert "\n" not in str(caught.value)


def test_load_policy_config_reads_levels_and_properties(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"a": "mandatory", "b": {"enforcementLevel": "advisory", "x": 1}, "c": {"y": 2}}))
    assert load_policy_config(path) == {"a": ("mandatory", {}), "b": ("advisory", {"x": 1}), "c": (None, {"y": 2})}
    path.write_text("")
    assert load_policy_config(path) == {}
    path.write_text('{"a": 3}')
    with pytest.raises(PolicyConfigError, match="a: must be an enforcement level or an object"):
        load_policy_config(path)


def test_streaming_resources_during_the_run_gives_the_same_report(tiny):
    from stacks.offline.runner import run_program

    session = tiny.session({})
    run = run_program(BADCONFIG, "good", on_resource=session.submit)
    streamed = session.finish(run.resources)
    assert streamed == tiny.analyze(run.resources, {})
    assert streamed.analyzed == 1 and len(streamed.violations) == 1, streamed.violations


class _Terminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self) -> bool:
        return True


def test_colors_only_on_a_terminal_without_no_color(monkeypatch):
    from stacks.offline.report import use_color

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert use_color(_Terminal())
    assert not use_color(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not use_color(_Terminal())


def test_tfplan_export_of_the_violating_fixture(tmp_path):
    path = tmp_path / "tfplan.json"
    code, _, err = plan("bad", "--project-dir", str(VIOLATING), "--policy-pack", str(TINY), "--tfplan", str(path))
    assert code in (0, 1), err
    doc = json.loads(path.read_text())
    resources = doc["planned_values"]["root_module"]["resources"]
    assert resources and all(r["address"] == f"{r['type']}.{r['name']}" for r in resources)
    assert "exported" in err and str(path) in err
