"""enforce-tls-policy: HTTPS and TLS listeners refuse TLS 1.0 and 1.1.

An application load balancer's HTTPS listener and a network load balancer's
TLS listener take the same predefined policies, and both default to
``ELBSecurityPolicy-2016-08`` when created through the API. TCP, UDP and
TCP_UDP listeners pass TLS through to the targets and are not checked.

The ELB security policy name says the lowest TLS version it accepts:

* ``ELBSecurityPolicy-TLS13-1-<n>-...`` offers TLS 1.3 down to 1.<n> (for
  example TLS13-1-2-2021-06, TLS13-1-2-Res-2021-06, TLS13-1-2-Ext1-2021-06,
  TLS13-1-3-2021-06 and their -FIPS-2023-04 and -PQ-2025-09 variants; but
  TLS13-1-1-2021-06 and TLS13-1-0-2021-06 still accept 1.1 / 1.0);
* ``ELBSecurityPolicy-TLS-1-<n>-...`` and ``ELBSecurityPolicy-FS-1-<n>-...``
  offer TLS 1.2 at most, down to 1.<n> (TLS-1-2-2017-01, TLS-1-2-Ext-2018-06,
  FS-1-2-2019-08, FS-1-2-Res-2019-08, FS-1-2-Res-2020-10 are TLS 1.2 only;
  TLS-1-1-2017-01 and FS-1-1-2019-08 accept 1.1; TLS-1-0-2015-04 accepts 1.0);
* ``ELBSecurityPolicy-2016-08`` (the default for listeners created through the
  API, CloudFormation or Pulumi), ``ELBSecurityPolicy-2015-05`` and
  ``ELBSecurityPolicy-FS-2018-06`` accept TLS 1.0.

Any other name is not a known predefined policy and fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ..facts import ELB_API_DEFAULT_TLS_POLICY, ELB_RECOMMENDED_TLS_POLICY, elb_policy_tls
from ._common import LISTENER, NotApplicable, as_bool, config_value, get, resource_rule
from ._ecs import show

API_DEFAULT_POLICY = ELB_API_DEFAULT_TLS_POLICY
RECOMMENDED_POLICY = ELB_RECOMMENDED_TLS_POLICY

MSG_NOT_TLS_LISTENER = "protocol is {value}; TLS policies apply only to HTTPS and TLS listeners."
MSG_POLICY_MISSING = (
    "sslPolicy is not set, so AWS applies " + API_DEFAULT_POLICY + ", which accepts TLS 1.0; "
    "set sslPolicy to {expected}."
)
MSG_POLICY_OLD_TLS = "sslPolicy is {value}, which accepts TLS 1.{lowest}; set sslPolicy to {expected}."
MSG_POLICY_UNKNOWN = "sslPolicy is {value}, which is not a predefined ELB security policy; set sslPolicy to {expected}."
MSG_POLICY_NO_TLS13 = "sslPolicy is {value}, which does not offer TLS 1.3; set sslPolicy to {expected}."

EXPECTED_TLS12 = (
    "an ELBSecurityPolicy-TLS13-1-2-* or -TLS13-1-3-* policy (for example '" + RECOMMENDED_POLICY + "'), "
    "or a TLS 1.2-only ELBSecurityPolicy-TLS-1-2-* / -FS-1-2-* policy"
)
EXPECTED_TLS13 = (
    "an ELBSecurityPolicy-TLS13-1-2-* or -TLS13-1-3-* policy (for example '" + RECOMMENDED_POLICY + "')"
)

CONFIG = {
    "requireTls13": {
        "type": "boolean",
        "default": False,
        "description": "Accept only ELBSecurityPolicy-TLS13-* policies (TLS 1.3 offered, nothing below 1.2).",
    },
}


policy_tls = elb_policy_tls
"""``(lowest TLS 1.x minor accepted, offers TLS 1.3)`` for a predefined policy name; None if unknown."""


def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    protocol = get(props, "protocol")
    if not (isinstance(protocol, str) and protocol.strip().upper() in ("HTTPS", "TLS")):
        raise NotApplicable(MSG_NOT_TLS_LISTENER.format(value=show(protocol)))
    require_tls13 = as_bool(config_value(config, "requireTls13", False)) is True
    expected = EXPECTED_TLS13 if require_tls13 else EXPECTED_TLS12
    raw = get(props, "sslPolicy")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        yield MSG_POLICY_MISSING.format(expected=expected)
        return
    found = policy_tls(raw.strip()) if isinstance(raw, str) else None
    if found is None:
        yield MSG_POLICY_UNKNOWN.format(value=show(raw), expected=expected)
        return
    lowest, offers_tls13 = found
    if lowest < 2:
        yield MSG_POLICY_OLD_TLS.format(value=show(raw), lowest=lowest, expected=expected)
    elif require_tls13 and not offers_tls13:
        yield MSG_POLICY_NO_TLS13.format(value=show(raw), expected=expected)


POLICY = resource_rule(
    name="enforce-tls-policy",
    description=(
        "HTTPS listeners of application load balancers and TLS listeners of network load balancers use an ELB "
        "security policy that accepts only TLS 1.2 and later (only TLS 1.3 policies where requireTls13 is set)."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Set ssl_policy on the listener to '" + RECOMMENDED_POLICY + "' (TLS 1.3 with TLS 1.2 fallback) or "
        "another ELBSecurityPolicy-TLS13-1-2-*/-TLS13-1-3-* policy. Never rely on the API default, "
        + API_DEFAULT_POLICY + ", which accepts TLS 1.0."
    ),
    types=LISTENER,
    check=check,
    tags=["encryption", "load-balancing"],
    config=CONFIG,
    checkov=("CKV_AWS_103",),
)
