"""Weekly capacity timelines from Application Auto Scaling scheduled actions.

A scheduled action ``cron(M H ? * DAYS *)`` with a ``minCapacity`` moves the
floor of a service's task count at fixed times of the week. Laying every action
of one scalable target on a week (minute 0 = Monday 00:00 UTC) gives segments
of constant capacity; the estimate weights task-hours by how long each lasts.

Only weekly-repeating expressions are placed: minutes and hours as numbers,
lists, ranges, ``*`` or ``a/b`` steps; day-of-month ``?`` or ``*``; month and
year ``*``; day-of-week as names or 1-7 (1 = Sunday), lists and ranges.
Anything else (``at(...)``, ``rate(...)``, days of the month, ``L``, ``#``)
is reported as skipped, and the capacity it would set is ignored.
"""

from __future__ import annotations

import datetime as _dt
import re
from collections.abc import Iterable, Sequence
from typing import NamedTuple

MINUTES_PER_WEEK = 7 * 24 * 60
DAY_NAMES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
# AWS cron day-of-week numbers: 1 = SUN ... 7 = SAT. Mapped to Monday-based 0..6.
_AWS_DAY_NUMBER = {1: 6, 2: 0, 3: 1, 4: 2, 5: 3, 6: 4, 7: 5}
_CRON = re.compile(r"^\s*cron\((?P<body>[^)]*)\)\s*$", re.IGNORECASE)
# Reference date for time-zone offsets (a Monday in January; daylight saving is not modelled).
_REFERENCE = _dt.datetime(2025, 1, 6, 12, 0)
_MAX_EVENTS = 20_000


class Action(NamedTuple):
    """One scheduled action: when it fires and the capacity range it sets (None leaves a bound as it is)."""

    schedule: str
    min_capacity: float | None
    max_capacity: float | None
    timezone: str | None = None
    name: str = ""


class Segment(NamedTuple):
    """A stretch of the week at one task count."""

    minutes: int
    """Length of the segment in minutes."""
    count: float
    """Tasks running during it (the floor of the capacity range)."""


class Timeline(NamedTuple):
    """The week of one scalable target."""

    segments: tuple[Segment, ...]
    """Segments in week order; their minutes add up to a week."""
    skipped: tuple[str, ...] = ()
    """Schedules that could not be placed on a week (with the reason)."""

    @property
    def average(self) -> float:
        """Average task count over the week."""
        return sum(s.minutes * s.count for s in self.segments) / MINUTES_PER_WEEK

    def hours_at(self) -> dict[float, float]:
        """Task count -> hours per week spent at that count."""
        out: dict[float, float] = {}
        for s in self.segments:
            out[s.count] = out.get(s.count, 0.0) + s.minutes / 60
        return out


def _field_values(text: str, low: int, high: int, names: Sequence[str] = ()) -> list[int] | None:
    """Values of one cron field within [low, high], or None when the field cannot be read."""
    values: set[int] = set()
    for part in text.split(","):
        part = part.strip().upper()
        if not part:
            return None
        step = 1
        if "/" in part:
            part, _, step_text = part.partition("/")
            if not step_text.isdigit() or int(step_text) == 0:
                return None
            step = int(step_text)
        if part in ("*", "?"):
            start, end = low, high
        elif "-" in part:
            first, _, last = part.partition("-")
            start_value, end_value = _one(first, names), _one(last, names)
            if start_value is None or end_value is None:
                return None
            start, end = start_value, end_value
        else:
            one = _one(part, names)
            if one is None:
                return None
            start, end = one, (high if step > 1 else one)
        if not (low <= start <= high and low <= end <= high):
            return None
        if start <= end:
            values.update(range(start, end + 1, step))
        else:  # a wrapping range such as FRI-MON
            values.update(v for i, v in enumerate(list(range(start, high + 1)) + list(range(low, end + 1)))
                          if i % step == 0)
    return sorted(values)


def _one(token: str, names: Sequence[str]) -> int | None:
    token = token.strip().upper()
    if token.isdigit():
        return int(token)
    if token in names:
        return names.index(token) + 1  # names are 1-based like the AWS numbers
    return None


_DOW_NAMES = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


def weekly_minutes(expression: str) -> tuple[list[int], str | None]:
    """Minutes of the week (0 = Monday 00:00, in the expression's own time zone) an expression fires at.

    Returns ``([], reason)`` when the expression does not repeat weekly in a form this module reads.
    """
    if not isinstance(expression, str):
        return [], "not a schedule expression"
    match = _CRON.match(expression)
    if not match:
        kind = expression.strip().split("(", 1)[0] or "empty"
        return [], f"'{expression.strip()[:60]}' is a {kind} expression, not a weekly cron"
    fields = match["body"].split()
    if len(fields) not in (5, 6):
        return [], f"'{expression.strip()}' does not have 6 fields"
    minute_f, hour_f, dom_f, month_f, dow_f = fields[:5]
    year_f = fields[5] if len(fields) == 6 else "*"
    if dom_f not in ("?", "*") or month_f != "*" or year_f != "*":
        return [], f"'{expression.strip()}' repeats by day of month, month or year, not weekly"
    minutes = _field_values(minute_f, 0, 59)
    hours = _field_values(hour_f, 0, 23)
    days = _field_values(dow_f, 1, 7, _DOW_NAMES)
    if minutes is None or hours is None or days is None:
        return [], f"'{expression.strip()}' uses a cron form this estimate does not read"
    week_days = sorted(_AWS_DAY_NUMBER[d] for d in days)
    out = [d * 1440 + h * 60 + m for d in week_days for h in hours for m in minutes]
    return out[:_MAX_EVENTS], None


def utc_offset_minutes(timezone: str | None) -> int:
    """Offset of ``timezone`` from UTC in minutes on a winter reference date; 0 when unknown."""
    if not timezone or not isinstance(timezone, str) or timezone.upper() in ("UTC", "ETC/UTC", "Z"):
        return 0
    try:
        from zoneinfo import ZoneInfo

        offset = _REFERENCE.replace(tzinfo=ZoneInfo(timezone)).utcoffset()
    except Exception:  # noqa: BLE001 - unknown zone or no tz database: treat as UTC
        return 0
    return int(offset.total_seconds() // 60) if offset is not None else 0


def timeline(base_min: float, base_max: float | None, actions: Iterable[Action]) -> Timeline:
    """The week of a scalable target whose range is [base_min, base_max] until actions move it.

    The count in a segment is the floor the latest action set (clamped to the ceiling), i.e. the estimate
    assumes the service runs at its minimum. The week wraps: the state at Monday 00:00 is the state the last
    action of the previous week left.
    """
    actions = list(actions)
    zones = {a.timezone or "UTC" for a in actions}
    shared_zone = len(zones) <= 1  # one zone for all: offsets cancel out, so none is applied
    events: list[tuple[int, int, Action]] = []
    skipped: list[str] = []
    for order, action in enumerate(actions):
        minutes, reason = weekly_minutes(action.schedule)
        if reason is not None:
            skipped.append(f"{action.name or 'schedule'}: {reason}")
            continue
        offset = 0 if shared_zone else utc_offset_minutes(action.timezone)
        events.extend(((m - offset) % MINUTES_PER_WEEK, order, action) for m in minutes)
    if not events:
        return Timeline((Segment(MINUTES_PER_WEEK, _count(base_min, base_max)),), tuple(skipped))
    events.sort(key=lambda e: (e[0], e[1]))

    def apply(state: tuple[float, float | None], action: Action) -> tuple[float, float | None]:
        low, high = state
        if action.min_capacity is not None:
            low = action.min_capacity
        if action.max_capacity is not None:
            high = action.max_capacity
        return low, high

    state: tuple[float, float | None] = (base_min, base_max)
    for _, _, action in events:  # one pass to find the state the week starts in
        state = apply(state, action)
    segments: list[Segment] = []
    cursor = 0
    for minute, _, action in events:
        if minute > cursor:
            segments.append(Segment(minute - cursor, _count(*state)))
            cursor = minute
        state = apply(state, action)
    if cursor < MINUTES_PER_WEEK:
        segments.append(Segment(MINUTES_PER_WEEK - cursor, _count(*state)))
    return Timeline(tuple(_merge(segments)), tuple(skipped))


def _count(low: float, high: float | None) -> float:
    low = max(low, 0.0)
    return min(low, max(high, 0.0)) if high is not None else low


def _merge(segments: list[Segment]) -> list[Segment]:
    merged: list[Segment] = []
    for s in segments:
        if merged and merged[-1].count == s.count:
            merged[-1] = Segment(merged[-1].minutes + s.minutes, s.count)
        else:
            merged.append(s)
    return merged
