"""Usage assumptions: the quantities a plan cannot know (log volume, traffic, load), with documented defaults.

Every estimate that depends on usage rather than on what the stack declares
reads one of these. Each can be overridden per stack in the budget policy's
config entry (``assumptions`` of ``enforce-monthly-budget`` in
``policies/config/<stack>.json``), which ``python -m stacks plan --cost`` reads
too, so the pack and the plan agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple


class CostConfigError(ValueError):
    """An invalid price file, price override or assumption; the message is one line."""


class Assumption(NamedTuple):
    """One usage assumption."""

    key: str
    """Config key (camelCase)."""
    default: float
    """Value used when the config does not set it."""
    unit: str
    """Unit of the value."""
    description: str
    """What it stands for and what it is applied to."""
    maximum: float | None = None
    """Largest allowed value (fractions are at most 1); None for no bound."""


ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption("logGbPerDay", 0.1, "GB/day",
               "Log data ingested per service log group (the awslogs group of a task definition)."),
    Assumption("flowLogGbPerDay", 0.2, "GB/day", "Flow records ingested per VPC flow log group."),
    Assumption("execLogGbPerDay", 0.01, "GB/day", "ECS Exec session output ingested per exec log group."),
    Assumption("wafLogGbPerDay", 0.1, "GB/day", "WAF request logs ingested per WAF log group."),
    Assumption("otherLogGbPerDay", 0.05, "GB/day", "Data ingested per log group with none of the roles above."),
    Assumption("logStorageCompression", 0.15, "ratio",
               "Stored bytes per ingested byte: CloudWatch Logs bills archived data after gzip compression.",
               maximum=1.0),
    Assumption("logStorageHorizonDays", 365, "days",
               "Days of logs held at steady state when retention is longer or never expires: the estimate is "
               "the monthly storage bill after the group has filled for this long."),
    Assumption("natGbPerMonth", 50, "GB/month", "Data processed per NAT gateway."),
    Assumption("natGbShiftedToEndpoints", 0.6, "ratio",
               "Share of NAT traffic (image pulls, logs, secrets) that moves to interface VPC endpoints when the "
               "stack has any.", maximum=1.0),
    Assumption("endpointGbPerMonth", 5, "GB/month", "Data processed per interface VPC endpoint."),
    Assumption("albLcu", 1.0, "LCU", "Average load balancer capacity units per Application Load Balancer."),
    Assumption("nlbLcu", 1.0, "NLCU", "Average capacity units per Network Load Balancer."),
    Assumption("wafRequestsPerMonth", 10_000_000, "requests/month", "Requests inspected per WAF web ACL."),
    Assumption("ciMetricsPerCluster", 10, "metrics",
               "Container Insights metrics per cluster (CPU, memory, network, storage, task and service counts)."),
    Assumption("ciMetricsPerService", 12, "metrics",
               "Container Insights metrics per service (the cluster set plus running/pending/desired tasks, "
               "deployments)."),
    Assumption("ciEnhancedMetricsPerTask", 12, "metrics",
               "Extra task- and container-level metrics per running task with enhanced observability."),
    Assumption("ciLogGbPerTaskMonth", 0.07, "GB/month",
               "Container Insights performance log events ingested per running task (about 1.5 KB a minute)."),
    Assumption("kmsRotations", 0, "rotations",
               "Automatic rotations a rotating KMS key has had; AWS adds $1/month for each of the first two "
               "(0 for a key in its first year).", maximum=2.0),
    Assumption("releasesPerMonth", 20, "releases/month",
               "Releases of each service released with BLUE_GREEN, CANARY or LINEAR; each runs a second fleet of the "
               "service's tasks while traffic shifts and bakes (canary or linear step bake times, then the bake "
               "time)."),
    Assumption("releaseMinimumMinutes", 10, "minutes",
               "Shortest time the second fleet of such a release runs: starting its tasks, health checks and test "
               "traffic take this long even with no shift or bake time."),
    Assumption("s3GbPerBucket", 5, "GB", "Data stored per S3 bucket (load balancer access logs)."),
    Assumption("ecrGbPerRepository", 1, "GB", "Image data stored per ECR repository."),
)

DEFAULT_ASSUMPTIONS: Mapping[str, float] = {a.key: float(a.default) for a in ASSUMPTIONS}
"""Assumption key -> default value."""

_BY_KEY = {a.key: a for a in ASSUMPTIONS}


def resolve_assumptions(overrides: Mapping[str, Any] | None) -> dict[str, float]:
    """The defaults with ``overrides`` applied; raises :class:`CostConfigError` on an unknown key or bad value."""
    values = dict(DEFAULT_ASSUMPTIONS)
    if overrides is None:
        return values
    if not isinstance(overrides, Mapping):
        raise CostConfigError(f"assumptions: expected an object of assumption -> number, got {overrides!r}")
    for key, value in overrides.items():
        spec = _BY_KEY.get(key)
        if spec is None:
            raise CostConfigError(f"assumptions.{key}: unknown assumption; allowed: {', '.join(sorted(_BY_KEY))}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise CostConfigError(f"assumptions.{key}: {value!r} is not a non-negative number")
        if spec.maximum is not None and value > spec.maximum:
            raise CostConfigError(f"assumptions.{key}: {value!r} is above its maximum {spec.maximum:g}")
        values[key] = float(value)
    return values


def assumptions_schema() -> dict[str, Any]:
    """JSON schema of the ``assumptions`` config object: every key a bounded number, nothing else."""
    properties: dict[str, Any] = {}
    for a in ASSUMPTIONS:
        prop: dict[str, Any] = {"type": "number", "minimum": 0, "description": f"{a.description} ({a.unit})"}
        if a.maximum is not None:
            prop["maximum"] = a.maximum
        properties[a.key] = prop
    return {"type": "object", "properties": properties, "additionalProperties": False}
