"""disallow-ecs-public-ip: Fargate tasks get no public IP address."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, NotApplicable, as_bool, get, resource_rule, show

MSG_PUBLIC_IP = (
    "networkConfiguration.assignPublicIp is {value}; set it to false and reach the internet through a NAT "
    "gateway or VPC endpoints."
)
MSG_INVALID = "networkConfiguration.assignPublicIp is {value}, which is not a boolean; set it to false."


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    network = get(props, "networkConfiguration")
    if not isinstance(network, Mapping):
        raise NotApplicable("the service has no networkConfiguration (not awsvpc networking), so no task gets an ENI")
    raw = get(network, "assignPublicIp")
    if raw is None:
        return
    value = as_bool(raw)
    if value is None:
        yield MSG_INVALID.format(value=show(raw))
    elif value:
        yield MSG_PUBLIC_IP.format(value=show(raw))


POLICY = resource_rule(
    name="disallow-ecs-public-ip",
    description="ECS services do not assign public IP addresses to their tasks.",
    severity=Severity.HIGH,
    remediation=(
        "Set networkConfiguration.assignPublicIp to false (the default) and run the service in private "
        "subnets. Give the tasks outbound access through a NAT gateway or VPC endpoints (ECR, CloudWatch "
        "Logs, Secrets Manager, S3), and inbound access through a load balancer."
    ),
    types=ECS_SERVICE,
    check=check,
    tags=["containers", "network"],
    security_hub=("ECS.2",),
    checkov=("CKV_AWS_333",),
)
