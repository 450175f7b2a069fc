"""require-vpc-flow-logs: every VPC of the stack records its traffic in flow logs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import FLOW_LOG, VPC, stack_rule
from ._net import StackIndex

MSG_NO_FLOW_LOG = (
    "no aws:ec2/flowLog:FlowLog has a vpcId that refers to this VPC; add a flow log with vpcId set to "
    "this VPC's id."
)


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    index = StackIndex(resources)
    vpcs = index.of_type(VPC)
    if not vpcs:
        return
    covered: set[str] = set()
    unresolved = None
    for flow_log in index.of_type(FLOW_LOG):
        link = index.link(flow_log, ("vpcId",), VPC)
        covered.update(vpc.urn for vpc in link.targets)
        unresolved = unresolved or link.unknown
    for vpc in vpcs:
        if vpc.urn not in covered:
            if unresolved is not None:
                raise unresolved  # an unresolved flow log may be this VPC's
            yield vpc.urn, MSG_NO_FLOW_LOG


POLICY = stack_rule(
    name="require-vpc-flow-logs",
    description="Every VPC in the stack has a VPC flow log.",
    severity=Severity.MEDIUM,
    remediation=(
        "Add an aws.ec2.FlowLog with vpc_id=vpc.id and traffic_type 'ALL', delivering to a CloudWatch log "
        "group with retention (and an IAM role the flow-log service can assume) or to an S3 bucket."
    ),
    types=(*VPC, *FLOW_LOG),
    check=check,
    tags=["logging", "network"],
    security_hub=("EC2.6",),
    checkov=("CKV2_AWS_11",),
)
