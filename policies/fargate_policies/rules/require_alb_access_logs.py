"""require-alb-access-logs: an application load balancer writes access logs to S3."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import LOAD_BALANCER, NotApplicable, as_bool, get, resource_rule
from ._ecs import is_application, show

MSG_LOGS_MISSING = "accessLogs is not set; set accessLogs to {{enabled: true, bucket: <S3 bucket name>}}."
MSG_LOGS_DISABLED = "accessLogs.enabled is {value}; set it to true (AWS defaults it to false even with a bucket)."
MSG_BUCKET_MISSING = "accessLogs.bucket is {value}; name the S3 bucket that receives the logs."
MSG_NOT_APPLICATION = (
    "loadBalancerType is {value}; this rule covers application load balancers (require-nlb-access-logs covers "
    "network load balancers with a TLS listener)."
)


def access_log_findings(props: Mapping[str, Any]) -> Iterable[str]:
    """Messages for a load balancer whose ``accessLogs`` do not deliver to an S3 bucket."""
    logs = get(props, "accessLogs")
    if logs is None:
        yield MSG_LOGS_MISSING.format()
        return
    enabled = get(logs, "enabled")
    if as_bool(enabled) is not True:
        yield MSG_LOGS_DISABLED.format(value=show(enabled))
    bucket = get(logs, "bucket")
    if not (isinstance(bucket, str) and bucket.strip()):
        yield MSG_BUCKET_MISSING.format(value=show(bucket))


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    if not is_application(props):
        raise NotApplicable(MSG_NOT_APPLICATION.format(value=show(get(props, "loadBalancerType"))))
    yield from access_log_findings(props)


POLICY = resource_rule(
    name="require-alb-access-logs",
    description="Application load balancers deliver access logs to an S3 bucket.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set access_logs={'enabled': True, 'bucket': <bucket>, 'prefix': <prefix>} on the load balancer; the "
        "bucket policy must let the ELB log delivery service write to it."
    ),
    types=LOAD_BALANCER,
    check=check,
    tags=["load-balancing", "logging"],
    security_hub=("ELB.5",),
    checkov=("CKV_AWS_91",),
)
