"""Helpers shared by the ECS, ECR and load-balancer rules of this pack.

Everything here reads the engine's property bag the way ``_common`` does: bad
props come back as "absent", never as an exception, and an unknown value
(pulumi-policy's UnknownValueError) is never caught, with one exception: a
task definition's whole container list (see :func:`containers_unknown`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from pulumi_policy.proxy import UnknownValueError

from ..facts import DEFAULT_DEPLOYMENT_STRATEGY, is_windows_family
from ._common import (
    NotApplicable,
    as_list,
    container_definitions,
    container_label,
    get,
    parse_json_document,
    show,  # noqa: F401 - re-exported for the rules that import it from here
)

# ---------------------------------------------------------------------------
# Task definitions
# ---------------------------------------------------------------------------
MSG_BAD_CONTAINERS = "containerDefinitions is {what}; it must be a JSON array of container definition objects."
MSG_CONTAINERS_UNKNOWN = (
    "containerDefinitions is unknown at preview; require-verifiable-container-definitions reports it, and this "
    "rule checks the containers at pulumi up."
)


def containers_unknown(props: Mapping[str, Any]) -> bool:
    """Whether ``containerDefinitions`` is unknown at preview.

    The engine sends the container list as one JSON string, so a single value in it that comes from another
    resource's output (a database address in an environment variable) makes the whole list unknown. Every
    container rule would then say it cannot run; instead they skip the task definition and
    require-verifiable-container-definitions reports it once.
    """
    try:
        get(props, "containerDefinitions")
    except UnknownValueError:
        return True
    return False


def labelled_containers(props: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]] | None:
    """``(label, container)`` for every container, or None when ``containerDefinitions`` is unreadable.

    A container list unknown at preview raises NotApplicable (:data:`MSG_CONTAINERS_UNKNOWN`).
    """
    if containers_unknown(props):
        raise NotApplicable(MSG_CONTAINERS_UNKNOWN)
    containers = container_definitions(props)
    if containers is None:
        return None
    return [(container_label(c, i), c) for i, c in enumerate(containers)]


def json_kind(value: Any) -> str:
    """What kind of JSON value ``value`` is ("an object", "a number", ...), without showing it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, Sequence):
        return "an array"
    return f"a {type(value).__name__}"


def bad_containers_reason(props: Mapping[str, Any]) -> str:
    """What ``containerDefinitions`` is instead of a readable array, without echoing it (it may hold secrets).

    Fills the ``{what}`` of :data:`MSG_BAD_CONTAINERS`.
    """
    raw = get(props, "containerDefinitions")
    if raw is None:
        return "not set"
    if not isinstance(raw, str):
        return f"{json_kind(raw)} instead of a JSON string"
    parsed = parse_json_document(raw)
    return "a string that is not valid JSON" if parsed is None else f"{json_kind(parsed)} in JSON"


def operating_system_family(props: Mapping[str, Any]) -> Any:
    return get(props, "runtimePlatform", "operatingSystemFamily")


def is_windows(props: Mapping[str, Any]) -> bool:
    """True for a task definition whose runtimePlatform names a WINDOWS_SERVER_* family."""
    return is_windows_family(operating_system_family(props))


def linux_containers(props: Mapping[str, Any], windows_message: str) -> list[tuple[str, Mapping[str, Any]]] | None:
    """``labelled_containers`` of a Linux task; Windows tasks raise NotApplicable with ``windows_message``."""
    if is_windows(props):
        raise NotApplicable(windows_message.format(family=show(operating_system_family(props))))
    return labelled_containers(props)


def compatibilities(props: Mapping[str, Any]) -> list[str]:
    """``requiresCompatibilities`` upper-cased; a lone string counts as a one-item list."""
    raw = get(props, "requiresCompatibilities")
    items = [raw] if isinstance(raw, str) else as_list(raw)
    return [item.strip().upper() for item in items if isinstance(item, str)]


def requires_fargate(props: Mapping[str, Any]) -> bool:
    return "FARGATE" in compatibilities(props)


# ---------------------------------------------------------------------------
# Services
# ---------------------------------------------------------------------------
def deployment_controller(props: Mapping[str, Any]) -> str:
    """``deploymentController.type`` upper-cased; ``ECS`` (the AWS default) when absent."""
    value = get(props, "deploymentController", "type")
    return value.strip().upper() if isinstance(value, str) and value.strip() else "ECS"


def deployment_strategy(props: Mapping[str, Any]) -> str:
    """``deploymentConfiguration.strategy`` upper-cased; ``ROLLING`` (the AWS default) when absent.

    A strategy unknown at preview raises pulumi-policy's UnknownValueError: no rule guesses it.
    """
    value = get(props, "deploymentConfiguration", "strategy")
    return value.strip().upper() if isinstance(value, str) and value.strip() else DEFAULT_DEPLOYMENT_STRATEGY


def load_balancer_entries(props: Mapping[str, Any]) -> list[Any]:
    """The service's ``loadBalancers`` entries ([] when it has none); unknown at preview raises."""
    return as_list(get(props, "loadBalancers"))


def is_daemon(props: Mapping[str, Any]) -> bool:
    value = get(props, "schedulingStrategy")
    return isinstance(value, str) and value.strip().upper() == "DAEMON"


def last_segment(value: Any) -> str | None:
    """The name at the end of an ARN or path (``arn:...:cluster/prod`` -> ``prod``); a bare name as is."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().rsplit("/", 1)[-1] or None


# ---------------------------------------------------------------------------
# Load balancers
# ---------------------------------------------------------------------------
def is_application(props: Mapping[str, Any]) -> bool:
    """loadBalancerType 'application', or absent (the AWS default)."""
    kind = get(props, "loadBalancerType")
    return kind is None or (isinstance(kind, str) and kind.strip().lower() == "application")


# ---------------------------------------------------------------------------
# Container image references
# ---------------------------------------------------------------------------
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_ECR_REGISTRY = re.compile(
    r"(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?", re.IGNORECASE
)


class ImageRef(NamedTuple):
    """An image reference split the way Docker reads it: ``[registry/]repository[:tag][@digest]``."""

    registry: str
    repository: str
    tag: str
    digest: str

    @property
    def name(self) -> str:
        """Registry and repository without tag or digest (what ECR calls the repository URL)."""
        return f"{self.registry}/{self.repository}" if self.registry else self.repository

    @property
    def pinned_by_digest(self) -> bool:
        return _DIGEST.fullmatch(self.digest) is not None

    @property
    def ecr_registry(self) -> bool:
        return _ECR_REGISTRY.fullmatch(self.registry) is not None


def parse_image(image: Any) -> ImageRef | None:
    """Split an image reference; None when it is not a non-empty string without spaces."""
    if not isinstance(image, str):
        return None
    ref = image.strip()
    if not ref or any(ch.isspace() for ch in ref):
        return None
    name, _, digest = ref.partition("@")
    first, slash, rest = name.partition("/")
    # The first component is a registry only when it looks like a host: "host:5000/repo", "a.b/repo", "localhost/x".
    if slash and ("." in first or ":" in first or first == "localhost"):
        registry, path = first, rest
    else:
        registry, path = "", name
    head, _, last = path.rpartition("/")
    repo_last, colon, tag = last.partition(":")
    repository = f"{head}/{repo_last}" if head else repo_last
    if not repository or (colon and not tag):
        return None
    return ImageRef(registry=registry, repository=repository, tag=tag, digest=digest)


# ---------------------------------------------------------------------------
# Stack indexes. Built once per check; stacks can hold 15,000 resources.
# ---------------------------------------------------------------------------
def of_types(resources: Iterable[Any], types: Sequence[str]) -> list[Any]:
    wanted = frozenset(types)
    return [r for r in resources if getattr(r, "resource_type", None) in wanted]


def dependency_urns(resource: Any, prop: str, types: Sequence[str]) -> set[str]:
    """URNs of the resources of ``types`` that ``resource``'s property ``prop`` was computed from."""
    wanted = frozenset(types)
    deps = getattr(resource, "property_dependencies", None) or {}
    found: set[str] = set()
    for dep in as_list(deps.get(prop) if isinstance(deps, Mapping) else None):
        if getattr(dep, "resource_type", None) in wanted and isinstance(getattr(dep, "urn", None), str):
            found.add(dep.urn)
    return found


def service_key(service_props: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(cluster name, service name)`` of an ECS service, as an autoscaling resourceId spells it."""
    name = get(service_props, "name")
    if not isinstance(name, str) or not name.strip():
        return None
    cluster = last_segment(get(service_props, "cluster")) or "default"
    return cluster, name.strip()


def parse_service_resource_id(value: Any) -> tuple[str, str] | None:
    """``service/<cluster>/<service>`` -> ``(cluster, service)``; None for anything else."""
    if not isinstance(value, str):
        return None
    parts = value.strip().split("/")
    if len(parts) == 3 and parts[0] == "service" and parts[1] and parts[2]:
        return parts[1], parts[2]
    return None
