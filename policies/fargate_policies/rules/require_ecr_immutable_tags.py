"""require-ecr-immutable-tags: an image tag in ECR cannot be moved to another image."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECR_REPOSITORY, get, resource_rule, show

ACCEPTED = ("IMMUTABLE", "IMMUTABLE_WITH_EXCLUSION")

MSG_MUTABLE = "imageTagMutability is {value}; set it to 'IMMUTABLE' (or 'IMMUTABLE_WITH_EXCLUSION')."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    raw = get(props, "imageTagMutability")
    if not isinstance(raw, str) or raw.strip().upper() not in ACCEPTED:
        # Absent, ECR uses MUTABLE.
        yield MSG_MUTABLE.format(value=show(raw))


def remediate(props: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    """imageTagMutability 'IMMUTABLE'."""
    return {"imageTagMutability": "IMMUTABLE"} if list(check(props, config)) else None


POLICY = resource_rule(
    name="require-ecr-immutable-tags",
    description="ECR repositories make image tags immutable.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set imageTagMutability='IMMUTABLE' on the repository and push a new tag for every build. Use "
        "'IMMUTABLE_WITH_EXCLUSION' with imageTagMutabilityExclusionFilters if a moving tag such as 'latest' "
        "must stay."
    ),
    types=ECR_REPOSITORY,
    check=check,
    tags=["images"],
    remediate=remediate,
    security_hub=("ECR.2",),
    checkov=("CKV_AWS_51",),
)
