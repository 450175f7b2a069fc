"""require-ecs-exec-logging: ECS Exec sessions on a cluster are logged."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_CLUSTER, get, resource_rule, show

PATH = "configuration.executeCommandConfiguration"

MSG_NO_CONFIGURATION = (
    f"{PATH} is {{value}}; set it with logging 'DEFAULT', or 'OVERRIDE' and a logConfiguration that names "
    "a CloudWatch log group or an S3 bucket."
)
MSG_LOGGING_NONE = (
    f"{PATH}.logging is {{value}}, so ECS Exec sessions leave no record; set it to 'DEFAULT', or 'OVERRIDE' "
    "with a log destination."
)
MSG_LOGGING_INVALID = f"{PATH}.logging is {{value}}; it must be 'DEFAULT' or 'OVERRIDE'."
MSG_NO_DESTINATION = (
    f"{PATH}.logging is 'OVERRIDE' but logConfiguration names no destination (cloudWatchLogGroupName "
    "{cloudwatch}, s3BucketName {s3}); set cloudWatchLogGroupName or s3BucketName."
)


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    execute = get(props, "configuration", "executeCommandConfiguration")
    if not isinstance(execute, Mapping):
        yield MSG_NO_CONFIGURATION.format(value=show(execute))
        return
    raw = get(execute, "logging")
    # Absent, the API applies DEFAULT: the task's awslogs configuration.
    logging = raw.strip().upper() if isinstance(raw, str) else ("DEFAULT" if raw is None else None)
    if logging == "NONE":
        yield MSG_LOGGING_NONE.format(value=show(raw))
    elif logging == "OVERRIDE":
        cloudwatch = get(execute, "logConfiguration", "cloudWatchLogGroupName")
        s3 = get(execute, "logConfiguration", "s3BucketName")
        if not any(isinstance(v, str) and v.strip() for v in (cloudwatch, s3)):
            yield MSG_NO_DESTINATION.format(cloudwatch=show(cloudwatch), s3=show(s3))
    elif logging != "DEFAULT":
        yield MSG_LOGGING_INVALID.format(value=show(raw))


POLICY = resource_rule(
    name="require-ecs-exec-logging",
    description="ECS clusters configure ECS Exec so that every session is logged.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set configuration.executeCommandConfiguration on the cluster: logging 'OVERRIDE' with "
        "logConfiguration.cloudWatchLogGroupName (and cloudWatchEncryptionEnabled) or s3BucketName, or "
        "logging 'DEFAULT' to use each task's awslogs configuration. Never 'NONE'."
    ),
    types=ECS_CLUSTER,
    check=check,
    tags=["logging"],
    checkov=("CKV_AWS_223",),
)
