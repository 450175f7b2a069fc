"""require-alarm-actions: an alarm that notifies nobody is not monitoring.

Only the number of ``alarmActions``/``okActions`` entries is read, never their
values, so a topic ARN still unknown at preview does not stop the check.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import as_bool, get, resource_rule
from ._ecs import show

METRIC_ALARM = ("aws:cloudwatch/metricAlarm:MetricAlarm",)
COMPOSITE_ALARM = ("aws:cloudwatch/compositeAlarm:CompositeAlarm",)

MSG_NO_ALARM_ACTIONS = "alarmActions is {value}; add at least one action (e.g. the alarm SNS topic's ARN)."
MSG_NO_OK_ACTIONS = (
    "okActions is {value}; add at least one action (e.g. the alarm SNS topic's ARN) so responders learn when "
    "the alarm recovers (config requireOkActions is true)."
)
MSG_ACTIONS_DISABLED = "actionsEnabled is false, so no action runs when the alarm changes state; set it to true."


def _count(props: Mapping[str, Any], key: str) -> tuple[int, Any]:
    """How many entries ``key`` holds (entries themselves may be unknown), and the value for messages."""
    value = get(props, key)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes):
        return len(value), (value if len(value) == 0 else None)
    if isinstance(value, str) and value.strip():
        return 1, value
    return 0, value


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if as_bool(get(props, "actionsEnabled")) is False:
        yield MSG_ACTIONS_DISABLED
    count, shown = _count(props, "alarmActions")
    if count == 0:
        yield MSG_NO_ALARM_ACTIONS.format(value=show(shown))
    if as_bool(config.get("requireOkActions")) is True:
        count, shown = _count(props, "okActions")
        if count == 0:
            yield MSG_NO_OK_ACTIONS.format(value=show(shown))


CONFIG = {
    "requireOkActions": {
        "type": "boolean",
        "default": False,
        "description": "Also require at least one okActions entry, so recoveries are announced.",
    },
}

POLICY = resource_rule(
    name="require-alarm-actions",
    description=(
        "CloudWatch metric and composite alarms have their actions enabled and at least one alarm action "
        "(and, when configured, an OK action)."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Pass alarm_actions=[topic.arn] (and ok_actions=[topic.arn]) to the alarm, pointing at the stack's "
        "alarm SNS topic, and leave actions_enabled unset or True."
    ),
    types=METRIC_ALARM + COMPOSITE_ALARM,
    check=check,
    tags=["monitoring"],
    config=CONFIG,
    security_hub=("CloudWatch.15", "CloudWatch.17"),
    checkov=("CKV_AWS_319",),
)
