"""Releases of a FargateService (components/release.py): the pieces each strategy adds, under PlatformMocks."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fargate_policies import facts

from components.release import (
    ALTERNATE_WEIGHT,
    ELB_READ_ACTIONS,
    PRODUCTION_WEIGHT,
    CandidateRoute,
    LifecycleHookArgs,
    ReleaseArgs,
)
from components.service import FargateService
from stacks.offline.mocks import ACCOUNT_ID, DEFAULT_REGION
from tests.harness import Built, build_component
from tests.test_service import (
    LISTENER_ARN,
    NAMESPACE_ARN,
    OUTPUT_NAMES,
    ROLE,
    ROLE_POLICY,
    RULE,
    SERVICE,
    TARGET_GROUP,
    TYPE_TOKEN,
    internal_args,
    service_args,
    statements_by_sid,
)

TEST_LISTENER_ARN = (f"arn:aws:elasticloadbalancing:{DEFAULT_REGION}:{ACCOUNT_ID}:"
                     "listener/app/alb/50dc6c495c0c9188/0a1b2c3d4e5f6789")
HOOK = f"arn:aws:lambda:{DEFAULT_REGION}:{ACCOUNT_ID}:function:release-check"
CANARY = ReleaseArgs(strategy=facts.CANARY, bake_minutes=10, canary_percent=10.0, canary_bake_minutes=5)
BLUE_GREEN = ReleaseArgs(
    strategy=facts.BLUE_GREEN, bake_minutes=15, test_traffic=CandidateRoute(test_listener_arn=TEST_LISTENER_ARN),
    hooks=(LifecycleHookArgs(stage=facts.PRE_SCALE_UP, lambda_arn=HOOK),
           LifecycleHookArgs(stage=facts.POST_TEST_TRAFFIC_SHIFT, timeout_minutes=120,
                             on_timeout=facts.HOOK_TIMEOUT_ROLLBACK)))
LINEAR = ReleaseArgs(strategy=facts.LINEAR, bake_minutes=5, linear_step_percent=25.0, linear_step_bake_minutes=2,
                     test_traffic=CandidateRoute(header="X-Release", header_value="green"))


def build(mocks: Any, args: Any, name: str = "api") -> Built:
    return build_component(mocks, TYPE_TOKEN, lambda opts: FargateService(name, args, opts=opts),
                           (*OUTPUT_NAMES, "alternate_target_group_arn_suffix"))


def released(mocks: Any, release: ReleaseArgs, **extra: Any) -> Built:
    return build(mocks, service_args(release=release, **extra))


def weighted(b: Built) -> list[dict[str, Any]]:
    """The forward action of a rule that spreads traffic over the service's two target groups."""
    return [{"type": "forward", "forward": {"targetGroups": [
        {"arn": b.one(TARGET_GROUP, "api-tg").outputs["arn"], "weight": PRODUCTION_WEIGHT},
        {"arn": b.one(TARGET_GROUP, "api-tg-alternate").outputs["arn"], "weight": ALTERNATE_WEIGHT},
    ]}}]


def test_rolling_is_the_default_and_adds_nothing(built: Built) -> None:
    svc = built.one(SERVICE, "api-service")
    assert svc.inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}, svc.urn
    assert svc.inputs["availabilityZoneRebalancing"] == "ENABLED", svc.urn
    assert "advancedConfiguration" not in svc.inputs["loadBalancers"][0], svc.urn
    assert not {"api-tg-alternate", "api-test-rule", "api-release-role"} & set(built.children), sorted(built.children)
    assert built.outputs["alternate_target_group_arn_suffix"] is None, f"{TYPE_TOKEN}::api"


@pytest.fixture
def built(pulumi_mocks: Any) -> Built:
    return build(pulumi_mocks, service_args())


def test_canary_shifts_production_traffic_between_two_target_groups(pulumi_mocks: Any) -> None:
    b = released(pulumi_mocks, CANARY)
    primary, alternate = b.one(TARGET_GROUP, "api-tg"), b.one(TARGET_GROUP, "api-tg-alternate")
    assert alternate.inputs == primary.inputs, f"{alternate.urn}: differs from the production target group"
    rule = b.one(RULE, "api-rule")
    assert rule.inputs["actions"] == weighted(b), f"{rule.urn}: {rule.inputs['actions']}"
    assert rule.opts is not None and rule.opts.ignore_changes == ["actions"], f"{rule.urn}: ECS's weights reverted"
    svc = b.one(SERVICE, "api-service")
    assert svc.inputs["deploymentConfiguration"] == {
        "strategy": "CANARY", "bakeTimeInMinutes": "10",
        "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": "5"}}, svc.urn
    role = b.one(ROLE, "api-release-role")
    (balancer,) = svc.inputs["loadBalancers"]
    assert balancer["targetGroupArn"] == primary.outputs["arn"], svc.urn
    assert balancer["advancedConfiguration"] == {
        "alternateTargetGroupArn": alternate.outputs["arn"], "productionListenerRule": rule.outputs["arn"],
        "roleArn": role.outputs["arn"]}, svc.urn
    assert "api-test-rule" not in b.children, f"{TYPE_TOKEN}::api: a test rule nobody configured"
    assert b.outputs["alternate_target_group_arn_suffix"] == alternate.outputs["arnSuffix"], f"{TYPE_TOKEN}::api"
    depends = svc.opts.depends_on if svc.opts is not None else []
    assert b.one(ROLE_POLICY, "api-release-policy").resource in depends, f"{svc.urn}: created before its role"


def test_the_release_role_is_trusted_by_ecs_and_names_only_this_services_pieces(pulumi_mocks: Any) -> None:
    b = released(pulumi_mocks, BLUE_GREEN)
    role = b.one(ROLE, "api-release-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": facts.ECS_SERVICE_PRINCIPAL}, f"{role.urn}: {trust}"
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}, f"{role.urn}: {trust}"
    assert "managedPolicyArns" not in role.inputs, f"{role.urn}: a managed policy attached"
    pol = b.one(ROLE_POLICY, "api-release-policy")
    assert pol.inputs["role"] == role.id, pol.urn
    sids = statements_by_sid(pol)
    assert set(sids) == {"ReadLoadBalancer", "MoveTargets", "ShiftTraffic", "InvokeHooks"}, f"{pol.urn}: {sids}"
    assert sids["ReadLoadBalancer"]["Action"] == list(ELB_READ_ACTIONS) and \
        sids["ReadLoadBalancer"]["Resource"] == "*", pol.urn
    assert sids["MoveTargets"]["Resource"] == [b.one(TARGET_GROUP, "api-tg").outputs["arn"],
                                               b.one(TARGET_GROUP, "api-tg-alternate").outputs["arn"]], pol.urn
    assert sids["ShiftTraffic"]["Resource"] == [b.one(RULE, "api-rule").outputs["arn"],
                                                b.one(RULE, "api-test-rule").outputs["arn"]], pol.urn
    assert sids["InvokeHooks"] == {"Sid": "InvokeHooks", "Effect": "Allow", "Action": ["lambda:InvokeFunction"],
                                   "Resource": [HOOK]}, pol.urn
    star = [s["Sid"] for s in sids.values() if s["Resource"] == "*"]
    assert star == ["ReadLoadBalancer"], f"{pol.urn}: '*' beyond the describe calls: {star}"


def test_blue_green_tries_the_release_on_the_test_listener_and_runs_its_hooks(pulumi_mocks: Any) -> None:
    b = released(pulumi_mocks, BLUE_GREEN)
    test_rule, rule = b.one(RULE, "api-test-rule"), b.one(RULE, "api-rule")
    assert test_rule.inputs["listenerArn"] == TEST_LISTENER_ARN, test_rule.urn
    assert test_rule.inputs["priority"] == rule.inputs["priority"], test_rule.urn
    assert test_rule.inputs["conditions"] == rule.inputs["conditions"], test_rule.urn
    assert test_rule.inputs["actions"] == weighted(b), test_rule.urn
    assert test_rule.opts is not None and test_rule.opts.ignore_changes == ["actions"], test_rule.urn
    svc = b.one(SERVICE, "api-service")
    role_arn = b.one(ROLE, "api-release-role").outputs["arn"]
    assert svc.inputs["loadBalancers"][0]["advancedConfiguration"]["testListenerRule"] == \
        test_rule.outputs["arn"], svc.urn
    assert svc.inputs["deploymentConfiguration"] == {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": "15",
                                                     "lifecycleHooks": [
        {"lifecycleStages": ["PRE_SCALE_UP"], "targetType": "AWS_LAMBDA", "hookTargetArn": HOOK,
         "roleArn": role_arn},
        {"lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"], "targetType": "PAUSE",
         "timeoutConfiguration": {"timeoutInMinutes": "120", "action": "ROLLBACK"}},
    ]}, svc.urn
    assert svc.inputs["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}, svc.urn


def test_linear_with_a_header_rule_on_the_production_listener(pulumi_mocks: Any) -> None:
    b = released(pulumi_mocks, LINEAR)
    test_rule, rule = b.one(RULE, "api-test-rule"), b.one(RULE, "api-rule")
    assert test_rule.inputs["listenerArn"] == LISTENER_ARN, f"{test_rule.urn}: not on the production listener"
    assert test_rule.inputs["priority"] == rule.inputs["priority"] - 1, f"{test_rule.urn}: not matched first"
    assert test_rule.inputs["conditions"] == [*rule.inputs["conditions"], {"httpHeader": {
        "httpHeaderName": "X-Release", "values": ["green"]}}], test_rule.urn
    svc = b.one(SERVICE, "api-service")
    assert svc.inputs["deploymentConfiguration"] == {
        "strategy": "LINEAR", "bakeTimeInMinutes": "5",
        "linearConfiguration": {"stepPercent": 25.0, "stepBakeTimeInMinutes": "2"}}, svc.urn


def test_an_internal_release_is_tried_through_service_connect(pulumi_mocks: Any) -> None:
    release = ReleaseArgs(strategy=facts.BLUE_GREEN, bake_minutes=5,
                          test_traffic=CandidateRoute(header="X-Release"),
                          hooks=(LifecycleHookArgs(stage=facts.POST_SCALE_UP, lambda_arn=HOOK),))
    b = build(pulumi_mocks, internal_args(release=release, service_connect_namespace_arn=NAMESPACE_ARN),
              name="ledger")
    assert not b.of_type(TARGET_GROUP) and not b.of_type(RULE), sorted(b.children)
    svc = b.one(SERVICE, "ledger-service")
    (alias,) = svc.inputs["serviceConnectConfiguration"]["services"][0]["clientAlias"]
    assert alias["testTrafficRules"] == [{"header": {"name": "X-Release", "value": {"exact": "candidate"}}}], svc.urn
    # The role exists for the Lambda hook alone: it may invoke the hook and touch no load balancer.
    sids = statements_by_sid(b.one(ROLE_POLICY, "ledger-release-policy"))
    assert set(sids) == {"InvokeHooks"}, f"{svc.urn}: {sids}"
    hooks = svc.inputs["deploymentConfiguration"]["lifecycleHooks"]
    assert hooks[0]["roleArn"] == b.one(ROLE, "ledger-release-role").outputs["arn"], svc.urn


def test_an_internal_release_with_pause_hooks_needs_no_role(pulumi_mocks: Any) -> None:
    release = ReleaseArgs(strategy=facts.CANARY, bake_minutes=5, canary_percent=20.0, canary_bake_minutes=3,
                          hooks=(LifecycleHookArgs(stage=facts.POST_SCALE_UP),))
    b = build(pulumi_mocks, internal_args(release=release), name="ledger")
    assert "ledger-release-policy" not in b.children, sorted(b.children)
    assert "ledger-release-role" not in b.children, sorted(b.children)
    hooks = b.one(SERVICE, "ledger-service").inputs["deploymentConfiguration"]["lifecycleHooks"]
    assert hooks == [{"lifecycleStages": ["POST_SCALE_UP"], "targetType": "PAUSE"}], hooks


# ---------------------------------------------------------------------------
# The stacks as configured
# ---------------------------------------------------------------------------
def test_prod_releases_web_as_a_canary_and_api_blue_green_with_a_test_listener() -> None:
    from tests.stack_programs import program

    run = program("prod")
    web, api = run.named("fp-prod-web-service"), run.named("fp-prod-api-service")
    assert web.inputs["deploymentConfiguration"] == {
        "strategy": "CANARY", "bakeTimeInMinutes": "10",
        "canaryConfiguration": {"canaryPercent": 10.0, "canaryBakeTimeInMinutes": "5"}}, web.urn
    assert api.inputs["deploymentConfiguration"]["strategy"] == "BLUE_GREEN", api.urn
    test_rule = run.named("fp-prod-api-test-rule")
    listener = run.named("fp-prod-test-8443")
    assert listener.inputs["protocol"] == "HTTPS" and listener.inputs["port"] == 8443, listener.urn
    assert test_rule.property_dependencies["listenerArn"] == (listener.urn,), test_rule.urn
    assert {test_rule.urn, run.named("fp-prod-api-tg-alternate").urn, run.named("fp-prod-api-release-role").urn} \
        <= set(api.property_dependencies["loadBalancers"]), f"{api.urn}: advancedConfiguration is not wired"
    for svc in (web, api):
        alarms = svc.inputs["alarms"]["alarmNames"]
        assert any("alternate" in name for name in alarms), f"{svc.urn}: the new version's alarms do not roll back"
    ledger = run.named("fp-prod-ledger-service")
    assert ledger.inputs["deploymentConfiguration"] == {"strategy": "ROLLING"}, ledger.urn


def test_dev_stays_rolling() -> None:
    from tests.stack_programs import program

    run = program("dev")
    services = run.of_type(SERVICE)
    assert services and all(s.inputs["deploymentConfiguration"] == {"strategy": "ROLLING"} for s in services)
    assert not [r.name for r in run.resources if r.name.endswith(("-tg-alternate", "-release-role", "-test-rule"))]


def test_the_plan_summary_and_json_show_each_services_release() -> None:
    from stacks.offline import report
    from tests.stack_programs import program

    run = program("prod")
    by_service = {entry["service"]: entry for entry in report.deployments(run)}
    assert set(by_service) == {"fp-prod-web-service", "fp-prod-api-service", "fp-prod-ledger-service"}
    web, api = by_service["fp-prod-web-service"], by_service["fp-prod-api-service"]
    assert (web["strategy"], web["canaryPercent"], web["canaryBakeMinutes"], web["bakeMinutes"]) == \
        ("CANARY", 10.0, 5, 10), web
    assert (api["strategy"], api["testTraffic"], api["hooks"], api["bakeMinutes"]) == \
        ("BLUE_GREEN", True, ["POST_TEST_TRAFFIC_SHIFT (pause)"], 15), api
    assert by_service["fp-prod-ledger-service"]["strategy"] == "ROLLING"
    text = report.render(run, None, stream=io.StringIO(), color=False)
    section = text.split("Deployments:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert "    fp-prod-web-service     CANARY      10% for 5 min, then all; bake 10 min; alarms roll back" in section
    document = report.document(run, None)
    assert document["deployments"] == report.deployments(run)
    schema = json.loads((Path(__file__).resolve().parents[1] / "stacks" / "offline" / "plan.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
