"""require-http-redirect: plain-HTTP listeners only redirect to HTTPS.

A listener without ``protocol`` is HTTP when it belongs to an application load
balancer: the provider sends HTTP for it. Which kind of load balancer it is
shows in ``loadBalancerArn`` (``...:loadbalancer/app/...``, ``/net/``, ``/gwy/``);
a network or gateway load balancer's listener is not HTTP. An ARN that names no
kind is taken as an application load balancer's, so that a listener is never
let through for want of a protocol; an ARN unknown at preview is left to the
engine (the policy can't run yet).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import LISTENER, NotApplicable, as_bool, as_list, config_value, get, resource_rule
from ._ecs import show

MSG_NOT_HTTP = "protocol is {value}; only HTTP listeners need a redirect."
MSG_NOT_APPLICATION = (
    "protocol is not set on a listener of a {kind} load balancer (loadBalancerArn {arn}), which is not HTTP; "
    "only HTTP listeners need a redirect."
)
MSG_DEFAULT_HTTP = "protocol is not set, so this application load balancer listener is HTTP (the provider's default): "
MSG_HTTP_ALLOWED = "allowHttp is true for this stack; HTTP listeners may serve traffic."
MSG_NO_ACTIONS = "defaultActions is {value}; an HTTP listener needs one redirect action with protocol 'HTTPS'."
MSG_NOT_REDIRECT = (
    "defaultActions[{index}] has type {value}; an HTTP listener may only redirect, with redirect.protocol 'HTTPS'."
)
MSG_REDIRECT_NOT_HTTPS = "defaultActions[{index}].redirect.protocol is {value}; set it to 'HTTPS'."

CONFIG = {
    "allowHttp": {
        "type": "boolean",
        "default": False,
        "description": "Let HTTP listeners serve traffic instead of redirecting (development stacks only).",
    },
}


# The load balancer kind an ELB ARN names, and how messages call it.
_KIND = re.compile(r":loadbalancer/(app|net|gwy)/")
_KIND_NAMES = {"net": "network", "gwy": "gateway"}


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    protocol = get(props, "protocol")
    prefix = ""
    if protocol is None or (isinstance(protocol, str) and not protocol.strip()):
        arn = get(props, "loadBalancerArn")
        kind = _KIND.search(arn) if isinstance(arn, str) else None
        if kind is not None and kind.group(1) in _KIND_NAMES:
            raise NotApplicable(MSG_NOT_APPLICATION.format(kind=_KIND_NAMES[kind.group(1)], arn=show(arn)))
        protocol, prefix = "HTTP", MSG_DEFAULT_HTTP
    if not (isinstance(protocol, str) and protocol.strip().upper() == "HTTP"):
        raise NotApplicable(MSG_NOT_HTTP.format(value=show(protocol)))
    if as_bool(config_value(config, "allowHttp", False)) is True:
        raise NotApplicable(MSG_HTTP_ALLOWED)
    for message in _findings(props):
        yield prefix + message


def _findings(props: Mapping[str, Any]) -> Iterable[str]:
    actions = as_list(get(props, "defaultActions"))
    if not actions:
        yield MSG_NO_ACTIONS.format(value=show(get(props, "defaultActions")))
        return
    for index, action in enumerate(actions):
        kind = get(action, "type")
        if not (isinstance(kind, str) and kind.strip().lower() == "redirect"):
            yield MSG_NOT_REDIRECT.format(index=index, value=show(kind))
            continue
        target = get(action, "redirect", "protocol")
        if not (isinstance(target, str) and target.strip().upper() == "HTTPS"):
            yield MSG_REDIRECT_NOT_HTTPS.format(index=index, value=show(target))


POLICY = resource_rule(
    name="require-http-redirect",
    description="HTTP load balancer listeners only redirect to HTTPS and serve no content themselves.",
    severity=Severity.HIGH,
    remediation=(
        "Give the HTTP listener a single default action of type 'redirect' with redirect protocol 'HTTPS', "
        "port '443' and status_code 'HTTP_301'; serve the application from an HTTPS listener."
    ),
    types=LISTENER,
    check=check,
    tags=["encryption", "load-balancing"],
    config=CONFIG,
    security_hub=("ELB.1",),
    # CKV_AWS_103 fails a plain HTTP listener that does not redirect to HTTPS (its TLS half is
    # enforce-tls-policy's); CKV2_AWS_20 fails an application load balancer's HTTP listener that does not.
    checkov=("CKV_AWS_2", "CKV_AWS_103", "CKV2_AWS_20"),
)
