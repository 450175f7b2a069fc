"""Remediation through the analyzer protocol: the real pack in its own process, asked to ``Remediate`` each
resource before ``Analyze`` as the engine asks, under dev's and prod's policy configs.

A small stack with one fixable violation per remediating rule, an open security group (which never
remediates), a secret and an unknown value runs through one pack process; the dev stack itself, with its log
retention set to 3 days, runs under ``make test-slow``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import jsonschema
import pytest

from stacks.offline import remediation, report
from stacks.offline.analyzer import PolicyPackProcess
from stacks.offline.gate import decide
from stacks.offline.policy_config import load_policy_file
from stacks.offline.runner import UNKNOWN, ProgramRun, RecordedResource, SecretValue, StackConfig, run_program

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policies"
DEV = load_policy_file(PACK / "config" / "dev.json")
PROD = load_policy_file(PACK / "config" / "prod.json")
SCHEMA = json.loads((ROOT / "stacks" / "offline" / "plan.schema.json").read_text())

STACK = "urn:pulumi:dev::fargate-platform::pulumi:pulumi:Stack::fargate-platform-dev"
TAGS = {"Environment": "dev", "Owner": "platform-team", "CostCenter": "engineering"}


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::fargate-platform::{type_}::{name}"


def resource(type_: str, logical: str, /, **inputs) -> RecordedResource:
    return RecordedResource(urn=urn(type_, logical), type=type_, name=logical, parent=STACK, inputs=inputs,
                            version="7.0.0")


LOG_GROUP = resource("aws:cloudwatch/logGroup:LogGroup", "short-logs", name="/ecs/web", retentionInDays=3.0,
                     tags=TAGS)
UNKNOWN_LOGS = resource("aws:cloudwatch/logGroup:LogGroup", "unknown-logs", name="/ecs/api",
                        retentionInDays=UNKNOWN, tags=TAGS)
CLUSTER = resource("aws:ecs/cluster:Cluster", "cluster", name="dev", tags=TAGS)
ALB = resource("aws:lb/loadBalancer:LoadBalancer", "alb", loadBalancerType="application", internal=False,
               dropInvalidHeaderFields=False, subnets=["subnet-1", "subnet-2"], tags=TAGS)
REPOSITORY = resource("aws:ecr/repository:Repository", "images", name="images", imageTagMutability="MUTABLE",
                      forceDelete=True, tags=TAGS)
SERVICE = resource("aws:ecs/service:Service", "web", name="web", launchType="FARGATE", desiredCount=1.0,
                   cluster="dev", tags=TAGS)
PARAMETER = resource("aws:ssm/parameter:Parameter", "token", name="/dev/token", type="SecureString",
                     value=SecretValue("s3cr3t"))
OPEN_GROUP = resource("aws:ec2/securityGroup:SecurityGroup", "ssh", vpcId="vpc-1", description="ssh", tags=TAGS,
                      ingress=[{"protocol": "tcp", "fromPort": 22.0, "toPort": 22.0, "cidrBlocks": ["0.0.0.0/0"]}])
RESOURCES = [
    RecordedResource(urn=STACK, type="pulumi:pulumi:Stack", name="fargate-platform-dev", parent=None, inputs={},
                     custom=False),
    LOG_GROUP, UNKNOWN_LOGS, CLUSTER, ALB, REPOSITORY, SERVICE, PARAMETER, OPEN_GROUP,
]

# What dev's config remediates, and the only property each remediation may touch.
EXPECTED = {
    ("require-log-group-retention", LOG_GROUP.urn): "retentionInDays",
    ("require-container-insights", CLUSTER.urn): "settings",
    ("require-drop-invalid-headers", ALB.urn): "dropInvalidHeaderFields",
    ("require-ecr-immutable-tags", REPOSITORY.urn): "imageTagMutability",
    ("require-ecr-scan-on-push", REPOSITORY.urn): "imageScanningConfiguration",
    ("require-deployment-circuit-breaker", SERVICE.urn): "deploymentCircuitBreaker",
    ("require-tags", PARAMETER.urn): "tags",
}


class CountingPack(PolicyPackProcess):
    """The real pack, counting the requests sent to it by method."""

    calls: list[str]

    def call(self, name, request):
        self.calls.append(name)
        return super().call(name, request)


@pytest.fixture(scope="module")
def pack():
    with CountingPack(PACK, "fargate-platform", "dev", config={"aws:region": "us-east-1"}) as process:
        process.calls = []
        yield process


@pytest.fixture(scope="module")
def dev(pack):
    """The small stack under dev's config: (report, verdict)."""
    found = pack.analyze(RESOURCES, DEV.policies)
    return found, decide(found, DEV)


def test_dev_remediates_each_fixable_resource_and_nothing_else(dev):
    found, _ = dev
    remediated = {(r.policy, r.urn): r.property for r in found.remediations}
    assert remediated == EXPECTED
    assert set(found.remediated_inputs) == {u for _, u in EXPECTED}


def test_remediated_resources_pass_their_own_rules_and_what_needs_a_human_still_fails(dev):
    _, verdict = dev
    fixed = {(v.policy, v.urn) for v in verdict.violations} & set(EXPECTED)
    assert not fixed, f"still violating after remediation: {sorted(fixed)}"
    mandatory = {(v.policy, v.urn) for v in verdict.mandatory}
    assert ("disallow-open-ingress", OPEN_GROUP.urn) in mandatory, verdict.violations
    assert not {policy for policy, _ in mandatory} & {policy for policy, _ in EXPECTED}, mandatory
    assert not verdict.passed


def test_a_remediation_never_touches_a_property_outside_its_rule(dev):
    found, _ = dev
    by_urn = {r.urn: r for r in RESOURCES}
    for changed_urn, after in found.remediated_inputs.items():
        allowed = {prop for (_, u), prop in EXPECTED.items() if u == changed_urn}
        before = by_urn[changed_urn].inputs
        touched = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        assert touched == allowed, f"{changed_urn}: changed {sorted(touched)}, its rules own {sorted(allowed)}"


def test_values_before_and_after(dev):
    found, _ = dev
    by_key = {(r.policy, r.urn): r for r in found.remediations}
    retention = by_key[("require-log-group-retention", LOG_GROUP.urn)]
    assert (retention.before, retention.after) == (3.0, 7.0), retention
    tags = found.remediated_inputs[PARAMETER.urn]
    assert tags["tags"] == TAGS, "dev's tagValues fill the missing tags"
    assert tags["value"] == SecretValue("s3cr3t"), "the parameter's secret value comes back secret"


def test_an_unknown_value_is_not_remediated_but_listed(dev):
    found, verdict = dev
    assert not any(r.urn == UNKNOWN_LOGS.urn for r in found.remediations)
    unknown = [u for u in verdict.unknowns if u.urn == UNKNOWN_LOGS.urn]
    assert [u.policy for u in unknown] == ["require-log-group-retention"], "listed once, remediation and check"
    assert "retentionInDays" in unknown[0].reason


def test_applying_remediations_twice_changes_nothing_the_second_time(pack, dev):
    found, _ = dev
    again = remediation.applied(ProgramRun("fargate-platform", "dev", RESOURCES, {},
                                           StackConfig("fargate-platform", "dev", {})), found)
    second = pack.analyze(again.resources, DEV.policies)
    assert second.remediations == () and second.remediated_inputs == {}
    assert decide(second, DEV).violations == decide(found, DEV).violations


def test_prod_asks_for_no_remediation_and_fails_on_what_dev_fixes(pack):
    pack.calls.clear()
    found = pack.analyze(RESOURCES, PROD.policies)
    assert "Remediate" not in pack.calls and "Analyze" in pack.calls, "no policy at the level remediate"
    assert found.remediations == ()
    mandatory = {(v.policy, v.urn) for v in decide(found, PROD).mandatory}
    missing = set(EXPECTED) - mandatory
    assert not missing, f"prod passes what it should fail: {sorted(missing)}"


def test_report_and_json_show_each_remediation(dev):
    found, verdict = dev
    run = remediation.applied(ProgramRun("fargate-platform", "dev", RESOURCES, {},
                                         StackConfig("fargate-platform", "dev", {})), found)
    text = report.render(run, found, verdict=verdict, stream=io.StringIO(), color=False)
    assert f"  remediated ({len(EXPECTED)}), applied before the checks as `pulumi up` applies them:" in text
    assert "        ~ retentionInDays: 3 -> 7" in text.splitlines(), text
    assert f"        urn: {LOG_GROUP.urn}" in text
    assert text.splitlines()[-1].count(f", {len(EXPECTED)} remediated") == 1
    assert "s3cr3t" not in text
    doc = report.document(run, found, verdict)
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert {(m["policy"], m["urn"], m["property"]) for m in doc["remediations"]} == {
        (policy, u, prop) for (policy, u), prop in EXPECTED.items()}
    entry = next(m for m in doc["remediations"] if m["urn"] == LOG_GROUP.urn)
    assert (entry["before"], entry["after"]) == (3.0, 7.0)
    inputs = next(r["inputs"] for r in doc["resources"] if r["urn"] == LOG_GROUP.urn)
    assert inputs["retentionInDays"] == 7.0, "the resources carry the remediated inputs"
    assert doc["summary"]["remediated"] == len(EXPECTED)
    assert "s3cr3t" not in json.dumps(doc)


def test_an_audit_never_remediates(pack):
    pack.calls.clear()
    found = pack.analyze(RESOURCES, DEV.policies, remediate=False)
    assert "Remediate" not in pack.calls and found.remediations == ()
    assert ("require-log-group-retention", LOG_GROUP.urn) in {(v.policy, v.urn) for v in found.mandatory}, \
        "what the next up would fix is reported, at the level the SDK gives a remediation that did not run"


# ---------------------------------------------------------------------------
# The dev stack itself, with its log retention set to 3 days.
# ---------------------------------------------------------------------------
@pytest.mark.slow
def test_dev_stack_with_short_retention_plans_with_a_remediation_under_dev_and_fails_under_prod():
    run = run_program(ROOT, "dev", config_overrides={"logRetentionDays": 3})
    groups = {r.urn for r in run.resources if r.type == "aws:cloudwatch/logGroup:LogGroup"
              and r.inputs.get("retentionInDays") == 3.0}
    assert groups, "the override sets the service and exec log groups' retention"
    with PolicyPackProcess(PACK, run.project, "dev", config=run.config.values) as process:
        under_dev = process.analyze(run.resources, DEV.policies)
        under_prod = process.analyze(run.resources, PROD.policies)
    dev_verdict = decide(under_dev, DEV)
    assert {(r.urn, r.property, r.before, r.after) for r in under_dev.remediations} == {
        (u, "retentionInDays", 3.0, 7.0) for u in groups}
    # No violation but dev's one advice: web releases rolling (require-traffic-shifting-deployments, advisory).
    assert dev_verdict.passed and {v.policy for v in dev_verdict.violations} == {
        "require-traffic-shifting-deployments"}, dev_verdict.violations
    text = report.render(remediation.applied(run, under_dev), under_dev, verdict=dev_verdict, stream=io.StringIO(),
                         color=False)
    assert text.count("~ retentionInDays: 3 -> 7") == len(groups)
    prod_verdict = decide(under_prod, PROD)
    failing = {v.urn for v in prod_verdict.mandatory if v.policy == "require-log-group-retention"}
    assert not prod_verdict.passed and groups <= failing, prod_verdict.mandatory
    assert under_prod.remediations == ()


def test_policy_config_accepts_remediate(tmp_path):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"require-tags": {"enforcementLevel": "remediate", "tagValues": {"Owner": "o"}},
                                "require-ecr-scan-on-push": "remediate"}))
    assert load_policy_file(path).policies == {"require-tags": ("remediate", {"tagValues": {"Owner": "o"}}),
                                               "require-ecr-scan-on-push": ("remediate", {})}


def test_changes_compare_values_as_the_wire_does():
    before = {"a": 1.0, "b": [1.0, 2.0], "s": SecretValue("x"), "gone": True}
    after = {"a": 1.0, "b": (1.0, 2.0), "s": SecretValue("x"), "new": "v"}
    assert [(c.property, c.before, c.after) for c in remediation.changes("p", "u", before, after)] == [
        ("gone", True, None), ("new", None, "v")]
