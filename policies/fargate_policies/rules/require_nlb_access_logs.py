"""require-nlb-access-logs: a network load balancer that terminates TLS writes access logs to S3.

AWS writes a network load balancer's access logs only for its TLS listeners,
so the rule asks for them on a network load balancer that at least one
``protocol: TLS`` listener of the stack uses (the listener's ``loadBalancerArn``
links the two). A network load balancer with only TCP or UDP listeners has no
logs to deliver. The messages are those of ``require-alb-access-logs``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import LISTENER, LOAD_BALANCER, get, stack_rule
from ._net import StackIndex
from .require_alb_access_logs import (  # noqa: F401 - the messages of this rule too
    MSG_BUCKET_MISSING,
    MSG_LOGS_DISABLED,
    MSG_LOGS_MISSING,
    access_log_findings,
)


def _is_network(props: Mapping[str, Any]) -> bool:
    kind = get(props, "loadBalancerType")
    return isinstance(kind, str) and kind.strip().lower() == "network"


def _is_tls(props: Mapping[str, Any]) -> bool:
    protocol = get(props, "protocol")
    return isinstance(protocol, str) and protocol.strip().upper() == "TLS"


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    index = StackIndex(resources)
    balancers = [lb for lb in index.of_type(LOAD_BALANCER) if _is_network(lb.props)]
    if not balancers:
        return
    terminating: set[str] = set()  # URNs of the load balancers a TLS listener uses
    for listener in index.of_type(LISTENER):
        if not _is_tls(listener.props):
            continue
        link = index.link(listener, ("loadBalancerArn",), LOAD_BALANCER)
        if link.unknown is not None and not link.targets:
            raise link.unknown  # the listener may be on any of the network load balancers
        terminating.update(lb.urn for lb in link.targets)
    for lb in balancers:
        if lb.urn in terminating:
            for message in access_log_findings(lb.props):
                yield lb.urn, message


POLICY = stack_rule(
    name="require-nlb-access-logs",
    description="Network load balancers with a TLS listener deliver access logs to an S3 bucket.",
    severity=Severity.MEDIUM,
    remediation=(
        "Set access_logs={'enabled': True, 'bucket': <bucket>, 'prefix': <prefix>} on the network load balancer; "
        "the bucket policy must let the log delivery service (delivery.logs.amazonaws.com) write to it. AWS logs "
        "only the TLS listeners' connections."
    ),
    types=(*LOAD_BALANCER, *LISTENER),
    check=check,
    tags=["load-balancing", "logging"],
    checkov=("CKV_AWS_91",),
)
