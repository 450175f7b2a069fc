"""Every rule of the pack on this repo's dev and prod stacks, under each stack's own policy config.

The resources are the shared recordings of ``__main__.py`` (``tests.stack_programs``), decoded once as
pulumi-policy decodes a request, in this process (``bench.evaluate.decoded``, which the benchmark's profile
uses). Every rule at ``mandatory`` or ``remediate`` must find nothing and, under ``"unknowns": "mandatory"``,
must be able to run. The same verdict through the command line and the pack's own process is
``tests/test_plan.py::test_the_repo_stacks_pass_their_own_policy_config`` (``make test-slow``).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from fargate_policies.rules import ALL_POLICIES
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy
from pulumi_policy.proxy import UnknownValueError

from bench.evaluate import decoded
from stacks.offline.policy_config import load_policy_file
from stacks.offline.runner import ProgramRun
from tests.policies.conftest import _ResourceArgs, _Skipped, _StackArgs
from tests.stack_programs import program

ROOT = Path(__file__).resolve().parents[2]
FAILING = {EnforcementLevel.MANDATORY.value, EnforcementLevel.REMEDIATE.value}


def gate_failures(stack: str, run: ProgramRun | None = None) -> list[str]:
    """What fails ``stack``'s gate (on ``run``, by default its recording): each finding of a failing level and,
    where unknowns fail, each rule that could not run."""
    policy_file = load_policy_file(ROOT / "policies" / "config" / f"{stack}.json")
    run = run or program(stack)
    analyzed = {r.urn for r in run.resources if r.custom and not r.read}
    resources = decoded(run.resources)
    failures: list[str] = []
    evaluated = 0
    for policy in ALL_POLICIES:
        level, properties = policy_file.policies.get(policy.name, (None, {}))
        if (level or policy.enforcement_level.value) not in FAILING:
            continue
        evaluated += 1
        if isinstance(policy, ResourceValidationPolicy):
            calls = [(_ResourceArgs(r.resource_type, r.props, r.urn, r.name, None, None, dict(properties)),
                      r.urn) for r in resources if r.urn in analyzed]
        else:
            calls = [(_StackArgs(resources, dict(properties)), "")]
        for args, urn in calls:
            found: list[tuple[str | None, str]] = []
            try:
                policy.validate(args, lambda message, at=None: found.append((at, message)))  # noqa: B023 - called before the loop moves on
            except UnknownValueError as unknown:
                if policy_file.unknowns == EnforcementLevel.MANDATORY.value:
                    failures.append(f"{policy.name} {urn}: can't run: {unknown.message}")
            except _Skipped:
                pass  # not applicable to this resource
            failures += [f"{policy.name} {at or urn}: {message}" for at, message in found]
    assert evaluated >= 10, f"{stack}: only {evaluated} rules fail its gate; is its policy config read?"
    return failures


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_repo_stack_passes_every_rule_that_fails_its_gate(stack):
    assert gate_failures(stack) == []


def test_the_check_fails_a_stack_that_breaks_a_rule():
    """The same check on prod with one log group's retention cut to a day finds exactly that."""
    run = program("prod")
    group = next(r for r in run.resources if r.type == "aws:cloudwatch/logGroup:LogGroup")
    changed = dataclasses.replace(group, inputs={**group.inputs, "retentionInDays": 1})
    run = dataclasses.replace(run, resources=[changed if r is group else r for r in run.resources])
    failures = gate_failures("prod", run)
    assert failures and all(f.startswith(f"require-log-group-retention {group.urn}: ") for f in failures), failures
