"""require-log-group-retention: log groups expire their events within configured bounds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ..facts import LOG_RETENTION_DAYS
from ._common import LOG_GROUP, NotApplicable, as_int, config_value, get, resource_rule, show

MSG_NEVER_EXPIRES = (
    "retentionInDays is {value}, so log events never expire and storage cost grows without bound; set it "
    "to one of {allowed} between {min} and {max} days."
)
MSG_INVALID = "retentionInDays is {value}, which is not a whole number of days; set it to one of {allowed}."
MSG_NOT_ALLOWED = (
    "retentionInDays is {value}, which CloudWatch Logs does not accept; use one of {allowed} between {min} "
    "and {max} days."
)
MSG_TOO_SHORT = "retentionInDays is {value}, below the minimum of {min} days; set it to one of {allowed}."
MSG_TOO_LONG = "retentionInDays is {value}, above the maximum of {max} days; set it to one of {allowed}."

CONFIG = {
    "minRetentionDays": {
        "type": "integer",
        "minimum": 1,
        "maximum": 3653,
        "default": 1,
        "description": "Shortest retention, in days, a log group may have.",
    },
    "maxRetentionDays": {
        "type": "integer",
        "minimum": 1,
        "maximum": 3653,
        "default": 3653,
        "description": "Longest retention, in days, a log group may have.",
    },
}


def _allowed_between(low: int, high: int) -> list[int]:
    return [d for d in LOG_RETENTION_DAYS if low <= d <= high]


def _applicable(props: Mapping[str, Any]) -> None:
    log_class = get(props, "logGroupClass")
    if isinstance(log_class, str) and log_class.upper() == "DELIVERY":
        raise NotApplicable("log groups of class DELIVERY have a retention CloudWatch fixes at 2 days")


def _bounds(config: Mapping[str, Any]) -> tuple[int, int]:
    low = as_int(config_value(config, "minRetentionDays", 1))
    high = as_int(config_value(config, "maxRetentionDays", 3653))
    return (1 if low is None else low), (3653 if high is None else high)


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    _applicable(props)
    low, high = _bounds(config)
    allowed = show(_allowed_between(low, high) or list(LOG_RETENTION_DAYS))
    raw = get(props, "retentionInDays")
    days = as_int(raw)
    if raw is None or days == 0:
        yield MSG_NEVER_EXPIRES.format(value=show(raw), allowed=allowed, min=low, max=high)
    elif days is None:
        yield MSG_INVALID.format(value=show(raw), allowed=allowed)
    elif days not in LOG_RETENTION_DAYS:
        yield MSG_NOT_ALLOWED.format(value=show(raw), allowed=allowed, min=low, max=high)
    elif days < low:
        yield MSG_TOO_SHORT.format(value=show(raw), min=low, allowed=allowed)
    elif days > high:
        yield MSG_TOO_LONG.format(value=show(raw), max=high, allowed=allowed)


def remediate(props: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    """Raise a retention that is too short, or not one CloudWatch accepts, to the next allowed value.

    Only ever longer: a log group that keeps events forever (unset or 0) or
    longer than the maximum would lose events, which a human decides.
    """
    _applicable(props)
    low, high = _bounds(config)
    days = as_int(get(props, "retentionInDays"))
    if days is None or days <= 0 or (days in LOG_RETENTION_DAYS and low <= days <= high):
        return None
    raised = next((d for d in LOG_RETENTION_DAYS if max(days, low) <= d <= high), None)
    return None if raised is None else {"retentionInDays": raised}


POLICY = resource_rule(
    name="require-log-group-retention",
    description=(
        "CloudWatch log groups set retentionInDays to a value CloudWatch accepts, within the configured "
        "minimum and maximum."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        f"Set retentionInDays on the log group to one of {', '.join(map(str, LOG_RETENTION_DAYS[:-1]))} or "
        f"{LOG_RETENTION_DAYS[-1]}, within minRetentionDays and maxRetentionDays of the policy config. Do not "
        "leave it unset or 0: those keep events forever."
    ),
    types=LOG_GROUP,
    check=check,
    tags=["cost", "logging"],
    remediate=remediate,
    config=CONFIG,
    security_hub=("CloudWatch.16",),
    checkov=("CKV_AWS_66",),
)
