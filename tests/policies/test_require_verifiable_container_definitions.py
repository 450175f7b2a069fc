"""require-verifiable-container-definitions, and how the container rules leave it an unknown container list.

At preview a task definition whose containerDefinitions is unknown gets exactly one finding from the whole pack:
this rule's. The container rules skip it (not applicable) instead of each saying it can't run.
"""

import pytest
from fargate_policies.rules import (
    ALL_POLICIES,
    disallow_plaintext_secrets,
    disallow_privileged_containers,
    require_container_log_configuration,
    require_immutable_image_references,
    require_non_root_user,
    require_pinned_images,
    require_read_only_root_filesystem,
)
from fargate_policies.rules import require_verifiable_container_definitions as rule
from fargate_policies.rules._common import ECS_TASK_DEFINITION, schema_defaults
from fargate_policies.rules._ecs import MSG_CONTAINERS_UNKNOWN
from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError

TASK = ECS_TASK_DEFINITION[0]
CONTAINER_RULES = [disallow_plaintext_secrets, disallow_privileged_containers, require_container_log_configuration,
                   require_non_root_user, require_pinned_images, require_read_only_root_filesystem]
RESOURCE_POLICIES = [p for p in ALL_POLICIES if isinstance(p, ResourceValidationPolicy) and TASK in p.resource_types]
STACK_POLICIES = [p for p in ALL_POLICIES if isinstance(p, StackValidationPolicy)]
# Settings under which every stack rule reads task definitions (immutable image references is off by default).
STACK_CONFIG = {require_immutable_image_references.POLICY.name: {"required": True}}


def findings_of_the_pack(evaluate, evaluate_stack, node, props: dict) -> tuple[list[str], list[str]]:
    """Every policy of the pack on one task definition: ``policy: message`` findings, and the policies that
    would say they can't run."""
    findings, cannot_run = [], []
    for policy in RESOURCE_POLICIES:
        try:
            outcome = evaluate(policy, TASK, props, schema_defaults(policy.config_properties))
        except UnknownValueError:
            cannot_run.append(policy.name)
            continue
        findings += [f"{policy.name}: {message}" for message in outcome.messages]
    for policy in STACK_POLICIES:
        config = {**schema_defaults(policy.config_properties), **STACK_CONFIG.get(policy.name, {})}
        outcome = evaluate_stack(policy, [node(TASK, "under-test", props)], config, record_unknown=True)
        findings += [f"{policy.name}: {message}" for _, message in outcome.violations]
        if outcome.cannot_run is not None:
            cannot_run.append(policy.name)
    return findings, cannot_run


def test_baseline_passes(run, task_definition):
    assert run(task_definition()) == []


def test_unknown_container_definitions(run, task_definition):
    assert run(task_definition(containerDefinitions=UNKNOWN_STRING_VALUE)) == [rule.MSG_UNKNOWN]


def test_other_unknown_props_are_not_this_rules_business(run, task_definition):
    assert run(task_definition(taskRoleArn=UNKNOWN_STRING_VALUE, cpu=UNKNOWN_STRING_VALUE)) == []


@pytest.mark.parametrize("module", CONTAINER_RULES, ids=[m.POLICY.name for m in CONTAINER_RULES])
def test_container_rules_skip_an_unknown_container_list(evaluate, task_definition, module):
    outcome = evaluate(module.POLICY, TASK, task_definition(containerDefinitions=UNKNOWN_STRING_VALUE))
    assert outcome.violations == [] and outcome.not_applicable == MSG_CONTAINERS_UNKNOWN, str(outcome)


def test_the_shared_baseline_passes_the_whole_pack(evaluate, evaluate_stack, node, task_definition):
    assert findings_of_the_pack(evaluate, evaluate_stack, node, task_definition()) == ([], [])


def test_an_unknown_container_list_is_one_finding_of_the_whole_pack(evaluate, evaluate_stack, node,
                                                                    task_definition):
    props = task_definition(containerDefinitions=UNKNOWN_STRING_VALUE)
    assert findings_of_the_pack(evaluate, evaluate_stack, node, props) == ([f"{rule.POLICY.name}: {rule.MSG_UNKNOWN}"],
                                                                          [])


def test_a_known_list_is_judged_as_before(evaluate, evaluate_stack, node, task_definition, container):
    props = task_definition(container(privileged=True, image="nginx:latest"))
    findings, cannot_run = findings_of_the_pack(evaluate, evaluate_stack, node, props)
    assert sorted(name.split(":")[0] for name in findings) == [
        disallow_privileged_containers.POLICY.name, require_immutable_image_references.POLICY.name,
        require_pinned_images.POLICY.name,
    ] and cannot_run == [], findings
