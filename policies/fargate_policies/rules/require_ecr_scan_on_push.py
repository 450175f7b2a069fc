"""require-ecr-scan-on-push: ECR repositories scan every image pushed to them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECR_REPOSITORY, as_bool, get, resource_rule, show

MSG_NO_SCAN = "imageScanningConfiguration.scanOnPush is {value}; set it to true."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    raw = get(props, "imageScanningConfiguration", "scanOnPush")
    if as_bool(raw) is not True:
        yield MSG_NO_SCAN.format(value=show(raw))


def remediate(props: Mapping[str, Any], config: Mapping[str, Any]) -> dict[str, Any] | None:
    """scanOnPush on, the rest of imageScanningConfiguration kept."""
    if not list(check(props, config)):
        return None
    scanning = get(props, "imageScanningConfiguration")
    kept = dict(scanning) if isinstance(scanning, Mapping) else {}
    return {"imageScanningConfiguration": {**kept, "scanOnPush": True}}


POLICY = resource_rule(
    name="require-ecr-scan-on-push",
    description="ECR repositories scan images for vulnerabilities when they are pushed.",
    severity=Severity.HIGH,
    remediation=(
        "Set imageScanningConfiguration={scanOnPush: true} on the repository. If the registry uses enhanced "
        "scanning (aws.ecr.RegistryScanningConfiguration), keep scanOnPush true as well so the rule holds."
    ),
    types=ECR_REPOSITORY,
    check=check,
    tags=["images"],
    remediate=remediate,
    security_hub=("ECR.1",),
    checkov=("CKV_AWS_163",),
)
