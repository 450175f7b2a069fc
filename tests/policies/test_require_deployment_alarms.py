"""require-deployment-alarms: the alarms setting of each service, then the alternate target group's alarms of a
traffic-shifting release (from the compliant release of ``release_stack``, in every mode)."""

import pytest
from fargate_policies.rules import require_deployment_alarms as rule
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

SERVICE = "aws:ecs/service:Service"
REQUIRED = {"required": True}


def baseline() -> dict:
    """A compliant ECS service, shaped as the engine sends it."""
    return {
        "name": "api",
        "cluster": "arn:aws:ecs:us-east-1:123456789012:cluster/fp-prod",
        "desiredCount": 2.0,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "alarms": {
            "alarmNames": ["fp-prod-api-target-5xx-rate", "fp-prod-api-unhealthy-hosts"],
            "enable": True,
            "rollback": True,
        },
    }


def stack(node, props: dict) -> list:
    return [node(SERVICE, "api", props)]


@pytest.fixture
def run(evaluate_stack, node):
    def _run(props: dict, config: dict | None = None) -> list[str]:
        return evaluate_stack(rule.POLICY, stack(node, props), REQUIRED if config is None else config).messages

    return _run


def test_baseline_passes(run):
    assert run(baseline()) == []


def test_not_required_by_default(evaluate_stack, node):
    props = baseline()
    del props["alarms"]
    outcome = evaluate_stack(rule.POLICY, stack(node, props))
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_REQUIRED


def test_not_required_when_config_says_false(evaluate_stack, node):
    outcome = evaluate_stack(rule.POLICY, stack(node, {**baseline(), "alarms": None}), {"required": False})
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_REQUIRED


def test_missing_alarms(run):
    props = baseline()
    del props["alarms"]
    assert run(props) == [rule.MSG_MISSING]


@pytest.mark.parametrize("field", ["enable", "rollback"])
@pytest.mark.parametrize("value", [False, None])
def test_flag_not_true(run, field, value):
    props = baseline()
    props["alarms"][field] = value
    if value is None:
        del props["alarms"][field]
    assert run(props) == [rule.MSG_FIELD.format(field=field, value=rule.show(value))]


@pytest.mark.parametrize("value", [[], None])
def test_no_alarm_names(run, value):
    props = baseline()
    props["alarms"]["alarmNames"] = value
    if value is None:
        del props["alarms"]["alarmNames"]
    assert run(props) == [rule.MSG_NO_NAMES.format(value=rule.show(value))]


def test_everything_wrong_reports_each(run):
    props = {**baseline(), "alarms": {"alarmNames": [], "enable": False, "rollback": False}}
    assert run(props) == [
        rule.MSG_FIELD.format(field="enable", value="false"),
        rule.MSG_FIELD.format(field="rollback", value="false"),
        rule.MSG_NO_NAMES.format(value="[]"),
    ]


def test_alarm_names_unknown_at_preview_count(run):
    props = baseline()
    props["alarms"]["alarmNames"] = [UNKNOWN_STRING_VALUE, UNKNOWN_STRING_VALUE]
    assert run(props) == []


@pytest.mark.parametrize("controller", ["CODE_DEPLOY", "EXTERNAL"])
def test_services_of_other_controllers_are_skipped(run, controller):
    props = {**baseline(), "deploymentController": {"type": controller}, "alarms": None}
    assert run(props) == []


def test_explicit_ecs_controller_is_checked(run):
    props = {**baseline(), "deploymentController": {"type": "ECS"}}
    del props["alarms"]
    assert run(props) == [rule.MSG_MISSING]


def test_other_resource_types_are_ignored(evaluate_stack, node):
    outcome = evaluate_stack(rule.POLICY, [node("aws:ecs/taskDefinition:TaskDefinition", "td", {"family": "api"})],
                             REQUIRED)
    assert outcome.violations == [] and outcome.not_applicable is None


def test_findings_are_reported_on_the_service(evaluate_stack, node):
    props = baseline()
    del props["alarms"]
    service = node(SERVICE, "api", props)
    assert evaluate_stack(rule.POLICY, [service], REQUIRED).violations == [(service.urn, rule.MSG_MISSING)]


# ---------------------------------------------------------------------------
# Traffic-shifting releases: an alarm on the alternate target group
# ---------------------------------------------------------------------------
def no_alternate_alarm(message: str) -> bool:
    head, tail = rule.MSG_NO_ALTERNATE_ALARM.split("{target_group}")
    return message.startswith(head) and message.endswith(tail.format(i=0, strategy="BLUE_GREEN"))


def test_release_baseline_passes(release_stack, evaluate_stack):
    assert evaluate_stack(rule.POLICY, release_stack.resources, REQUIRED).violations == []


def test_a_release_without_an_alarm_on_the_alternate_target_group(release_stack, evaluate_stack):
    service = release_stack["api"]
    service.props["alarms"]["alarmNames"] = ["api-target-5xx-rate"]
    outcome = evaluate_stack(rule.POLICY, release_stack.resources, REQUIRED)
    assert [at for at, _ in outcome.violations] == [service.urn], str(outcome)
    assert no_alternate_alarm(outcome.messages[0]), str(outcome)


def test_an_alarm_that_watches_another_target_group_does_not_count(release_stack, evaluate_stack):
    b = release_stack
    alarm = b["api-alternate-5xx-rate"]
    suffix = "targetgroup/api-tg/943f017f100becff"
    alarm.props["metricQueries"][0]["metric"]["dimensions"]["TargetGroup"] = b.ref_value(suffix)
    b.depend(alarm, "metricQueries", b["api-tg"], b["alb"])
    outcome = evaluate_stack(rule.POLICY, b.resources, REQUIRED)
    assert len(outcome.violations) == 1 and no_alternate_alarm(outcome.messages[0]), str(outcome)


def test_rolling_services_need_no_alternate_alarm(release_stack, evaluate_stack):
    service = release_stack["api"]
    service.props["deploymentConfiguration"] = {"strategy": "ROLLING"}
    service.props["alarms"]["alarmNames"] = ["api-target-5xx-rate"]
    assert evaluate_stack(rule.POLICY, release_stack.resources, REQUIRED).violations == []
