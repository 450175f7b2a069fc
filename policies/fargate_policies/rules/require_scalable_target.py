"""require-scalable-target: every ECS service can scale out.

A service is linked to an ``aws:appautoscaling/target`` (serviceNamespace
``ecs``) either by the target's ``resourceId`` (``service/<cluster>/<service>``)
or by the target's ``property_dependencies["resourceId"]``: the resourceId is
built from the service's name, so its dependencies name the service's URN even
at first preview, when the name may still be unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_SERVICE, SCALABLE_TARGET, as_int, get, stack_rule
from ._ecs import dependency_urns, is_daemon, of_types, parse_service_resource_id, service_key, show

MSG_NO_TARGET = (
    "ECS service '{service}' has no aws:appautoscaling/target with serviceNamespace 'ecs' and resourceId "
    "'service/<cluster name>/<service name>'; add one (with scaling policies) so the service can scale out."
)
MSG_NOT_SCALABLE = (
    "scalable target '{target}' of ECS service '{service}' has minCapacity {min} and maxCapacity {max}; "
    "maxCapacity must be a whole number greater than minCapacity."
)


def _is_ecs_target(target: Any) -> bool:
    namespace = get(target.props, "serviceNamespace")
    return isinstance(namespace, str) and namespace.strip().lower() == "ecs"


def _label(resource: Any, props: Mapping[str, Any]) -> str:
    name = getattr(resource, "name", "")
    return name if isinstance(name, str) and name else str(get(props, "name") or resource.urn)


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    services = {s.urn: s for s in of_types(resources, ECS_SERVICE) if not is_daemon(s.props)}
    if not services:
        return
    targets = [t for t in of_types(resources, SCALABLE_TARGET) if _is_ecs_target(t)]

    # 1. Links through property dependencies: known at every preview.
    linked: dict[str, list[Any]] = {}
    unlinked_targets: list[Any] = []
    for target in targets:
        urns = dependency_urns(target, "resourceId", ECS_SERVICE) & services.keys()
        for urn in urns:
            linked.setdefault(urn, []).append(target)
        if not urns:
            unlinked_targets.append(target)

    # 2. Links through the resourceId value, read only for what step 1 left open.
    remaining = [s for urn, s in services.items() if urn not in linked]
    if remaining and unlinked_targets:
        by_service_name: dict[str, list[tuple[str, Any]]] = {}
        for target in unlinked_targets:
            parsed = parse_service_resource_id(get(target.props, "resourceId"))
            if parsed:
                by_service_name.setdefault(parsed[1], []).append((parsed[0], target))
        for service in remaining:
            name = get(service.props, "name")
            candidates = by_service_name.get(name.strip(), []) if isinstance(name, str) else []
            if candidates:
                key = service_key(service.props)
                matches = [t for cluster, t in candidates if key and cluster == key[0]]
                if matches:
                    linked[service.urn] = matches

    for urn, service in services.items():
        label = _label(service, service.props)
        if urn not in linked:
            yield urn, MSG_NO_TARGET.format(service=label)
            continue
        for target in linked[urn]:
            low = as_int(get(target.props, "minCapacity"))
            high = as_int(get(target.props, "maxCapacity"))
            if low is None or high is None or high <= low:
                yield target.urn, MSG_NOT_SCALABLE.format(
                    target=_label(target, target.props), service=label,
                    min=show(get(target.props, "minCapacity")), max=show(get(target.props, "maxCapacity")),
                )


POLICY = stack_rule(
    name="require-scalable-target",
    description=(
        "Every ECS service has an Application Auto Scaling target whose maxCapacity is greater than its "
        "minCapacity."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Add an aws.appautoscaling.Target with service_namespace 'ecs', scalable_dimension "
        "'ecs:service:DesiredCount' and resource_id Output.format('service/{0}/{1}', cluster.name, service.name), "
        "with max_capacity above min_capacity, and attach target-tracking policies to it."
    ),
    types=ECS_SERVICE + SCALABLE_TARGET,
    check=check,
    tags=["availability"],
)
