"""require-ephemeral-storage-cmk: clusters running Fargate tasks encrypt their ephemeral storage with a customer key.

Where the config requires it (``required``: prod's config does; the rule is advisory by default).

Fargate encrypts every task's ephemeral storage, by default with a key AWS owns. A cluster's
``configuration.managedStorageConfiguration.fargateEphemeralStorageKmsKeyId`` puts it under a
customer managed key instead, whose use CloudTrail records and whose policy the stack controls.
A cluster is judged when one of the stack's ECS services runs Fargate tasks in it: launch type
FARGATE, a strategy naming FARGATE or FARGATE_SPOT, or neither (the cluster's default strategy,
taken to be Fargate). A provider name the engine does not know yet comes from a capacity
provider of the stack, never from the literal FARGATE names, so it is not Fargate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity
from pulumi_policy.proxy import UnknownValueError

from .. import facts
from ._common import (
    ECS_CLUSTER,
    ECS_SERVICE,
    KMS_KEY,
    NotApplicable,
    as_bool,
    as_list,
    config_value,
    get,
    show,
    stack_rule,
)
from ._net import StackIndex, label

KEY_PATH = ("configuration", "managedStorageConfiguration", "fargateEphemeralStorageKmsKeyId")

MSG_NO_KEY = (
    "configuration.managedStorageConfiguration.fargateEphemeralStorageKmsKeyId is {value}, so the Fargate tasks "
    "of service(s) {services} keep their ephemeral storage under a key AWS owns; set it to a customer managed KMS "
    "key whose policy lets fargate.amazonaws.com generate data keys and create Decrypt grants."
)
MSG_AWS_MANAGED_KEY = (
    "configuration.managedStorageConfiguration.fargateEphemeralStorageKmsKeyId is {value}, an AWS managed key; "
    "name a customer managed KMS key instead."
)
NOT_REQUIRED = "the policy config sets required to false: Fargate may keep ephemeral storage under an AWS owned key"
NOT_APPLICABLE = "no ECS service of this stack runs Fargate tasks in a cluster of this stack ({reasons})"

CONFIG = {
    "required": {
        "type": "boolean",
        "default": False,
        "description": "Whether clusters running Fargate tasks must name a customer managed key; when false the rule "
                       "does not apply.",
    },
}

_AWS_MANAGED = re.compile(r"(^|:)alias/aws/", re.IGNORECASE)
_NON_FARGATE_LAUNCH = ("EC2", "EXTERNAL", facts.COMPATIBILITY_MANAGED_INSTANCES)


def _provider_names(service: Any) -> list[str | None]:
    """The strategy's provider names; None for a name not known yet (another resource's output)."""
    names: list[str | None] = []
    for entry in as_list(get(service.props, "capacityProviderStrategies")):
        try:
            value = get(entry, "capacityProvider")
        except UnknownValueError:
            names.append(None)
            continue
        names.append(value.strip().upper() if isinstance(value, str) else None)
    return names


def runs_fargate(service: Any) -> bool:
    """Whether the service's tasks (some of them) run on Fargate."""
    launch = get(service.props, "launchType")
    if isinstance(launch, str) and launch.strip():
        return launch.strip().upper() == facts.COMPATIBILITY_FARGATE
    names = _provider_names(service)
    if not names:
        return True  # the cluster's default strategy: FARGATE and FARGATE_SPOT unless the cluster says otherwise
    return any(name in facts.FARGATE_PROVIDERS for name in names)


def _key(cluster: Any, index: StackIndex) -> tuple[bool, Any]:
    """(whether a key is set, its value); a value unknown at preview counts when it comes from a KMS key."""
    try:
        value = get(cluster.props, *KEY_PATH)
    except UnknownValueError:
        if index.dependencies(cluster, ("configuration",), KMS_KEY):
            return True, None
        raise
    return isinstance(value, str) and bool(value.strip()), value


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    if as_bool(config_value(config, "required", False)) is not True:
        raise NotApplicable(NOT_REQUIRED)
    index = StackIndex(resources)
    fargate_services: dict[str, list[str]] = {}
    skipped: list[str] = []
    for service in index.of_type(ECS_SERVICE):
        if not runs_fargate(service):
            continue
        link = index.link(service, ("cluster",), ECS_CLUSTER)
        if link.unknown is not None:
            raise link.unknown
        for cluster in link.targets:
            fargate_services.setdefault(cluster.urn, []).append(label(service))
        if not link.targets:
            skipped.append(f"service '{label(service)}' runs in cluster {show(link.external or None)}, "
                           "which is not in this stack")
    if not fargate_services:
        reasons = "; ".join(skipped[:3]) if skipped else "no Fargate service"
        raise NotApplicable(NOT_APPLICABLE.format(reasons=reasons))
    for urn, services in fargate_services.items():
        cluster = index.by_urn[urn]
        present, value = _key(cluster, index)
        if not present:
            yield urn, MSG_NO_KEY.format(value=show(value), services=", ".join(f"'{s}'" for s in services))
        elif isinstance(value, str) and _AWS_MANAGED.search(value.strip()):
            yield urn, MSG_AWS_MANAGED_KEY.format(value=show(value))


POLICY = stack_rule(
    name="require-ephemeral-storage-cmk",
    description=(
        "ECS clusters that run Fargate tasks encrypt the tasks' ephemeral storage with a customer managed KMS key "
        "when the config requires it."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Set the cluster's configuration.managedStorageConfiguration.fargateEphemeralStorageKmsKeyId to a customer "
        "managed KMS key (fargateEphemeralStorageKms: true with the stack's key). Its key policy must let "
        "fargate.amazonaws.com call kms:GenerateDataKeyWithoutPlaintext and kms:CreateGrant (grant operation "
        "Decrypt) for the account's clusters, and kms:DescribeKey."
    ),
    tags=["encryption"],
    types=(*ECS_CLUSTER, *ECS_SERVICE, *KMS_KEY),
    check=check,
    config=CONFIG,
)
