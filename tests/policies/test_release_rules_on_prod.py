"""The release rules on the real prod stack: it passes under prod's policy config, and each one-change variant of
the issue (no alternate target group, the same target group twice, a bake time of 0, a test listener open to the
internet, rolling in prod, no role) fails a mandatory rule.

The resources are the shared recording of ``__main__.py`` for prod (``tests.stack_programs``), as the pack sees
them in the offline plan: inputs behind pulumi-policy's unknown-checking proxy, placeholder ARNs that no props
repeat, and the engine's property dependencies.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fargate_policies.rules import (
    require_complete_blue_green_wiring,
    require_deployment_alarms,
    require_deployment_bake_time,
    require_traffic_shifting_deployments,
)
from fargate_policies.rules._common import StackResource
from pulumi_policy import StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from stacks.offline.runner import to_plain
from tests.policies.conftest import _evaluate, _evaluate_stack
from tests.stack_programs import program

RULES = (require_traffic_shifting_deployments, require_deployment_bake_time, require_complete_blue_green_wiring,
         require_deployment_alarms)
PROD_CONFIG = json.loads((Path(__file__).resolve().parents[2] / "policies" / "config" / "prod.json").read_text())


def _config(policy: Any) -> dict[str, Any]:
    entry = PROD_CONFIG[policy.name]
    assert entry == "mandatory" or entry["enforcementLevel"] == "mandatory", f"{policy.name} is not mandatory"
    return {} if isinstance(entry, str) else {k: v for k, v in entry.items() if k != "enforcementLevel"}


def findings(change: Callable[[dict[str, dict[str, Any]]], None] | None = None) -> dict[str, list[str]]:
    """Each release rule's messages on prod after ``change`` (name -> inputs, edited in place)."""
    run = program("prod")
    inputs = {r.name: to_plain(copy.deepcopy(r.inputs), unknown=UNKNOWN_STRING_VALUE) for r in run.resources}
    if change is not None:
        change(inputs)
    resources = {r.urn: StackResource(r.type, inputs[r.name], r.urn, r.name) for r in run.resources}
    for r in run.resources:
        resources[r.urn].property_dependencies = {
            key: [resources[u] for u in urns if u in resources] for key, urns in r.property_dependencies.items()}
    found: dict[str, list[str]] = {}
    for rule in RULES:
        policy = rule.POLICY
        if isinstance(policy, StackValidationPolicy):
            found[policy.name] = _evaluate_stack(policy, list(resources.values()), _config(policy)).messages
        else:
            found[policy.name] = [m for r in resources.values() if r.resource_type in policy.resource_types
                                  for m in _evaluate(policy, r.resource_type, unknown_checking_proxy(r.props),
                                                     _config(policy), r.name).messages]
    return found


def api_advanced(inputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return inputs["fp-prod-api-service"]["loadBalancers"][0]["advancedConfiguration"]


def test_prod_passes_every_release_rule():
    assert findings() == {rule.POLICY.name: [] for rule in RULES}


def _drop_alternate(inputs):
    del api_advanced(inputs)["alternateTargetGroupArn"]


def _same_target_group(inputs):
    api_advanced(inputs)["alternateTargetGroupArn"] = inputs["fp-prod-api-service"]["loadBalancers"][0][
        "targetGroupArn"]


def _bake_zero(inputs):
    inputs["fp-prod-web-service"]["deploymentConfiguration"]["bakeTimeInMinutes"] = "0"


def _test_listener_open(inputs):
    for entry in inputs["fp-prod-sg"]["ingress"]:
        if entry["fromPort"] == 8443:
            entry["cidrBlocks"] = ["0.0.0.0/0"]


def _rolling(inputs):
    inputs["fp-prod-web-service"]["deploymentConfiguration"] = {"strategy": "ROLLING"}


def _no_role(inputs):
    del api_advanced(inputs)["roleArn"]


VARIANTS = [
    (_drop_alternate, require_complete_blue_green_wiring, require_complete_blue_green_wiring.MSG_NO_ALTERNATE),
    (_same_target_group, require_complete_blue_green_wiring,
     require_complete_blue_green_wiring.MSG_SAME_TARGET_GROUP),
    (_bake_zero, require_deployment_bake_time, require_deployment_bake_time.MSG_TOO_SHORT),
    (_test_listener_open, require_complete_blue_green_wiring, require_complete_blue_green_wiring.MSG_TEST_OPEN),
    (_rolling, require_traffic_shifting_deployments, require_traffic_shifting_deployments.MSG_STRATEGY),
    (_no_role, require_complete_blue_green_wiring, require_complete_blue_green_wiring.MSG_NO_ROLE),
]


@pytest.mark.parametrize(("change", "rule", "message"), VARIANTS, ids=[v[0].__name__.strip("_") for v in VARIANTS])
def test_each_one_change_variant_fails_a_mandatory_rule(change, rule, message):
    found = findings(change)
    shape = re.compile(".+".join(re.escape(part) for part in re.split(r"\{[a-z_]+\}", message)), re.DOTALL)
    assert [m for m in found[rule.POLICY.name] if shape.fullmatch(m)], found
    others = {name: messages for name, messages in found.items() if name != rule.POLICY.name and messages}
    assert not others, f"one change, one rule: {others}"
