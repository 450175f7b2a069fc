"""require-immutable-image-references: a deployed image cannot change under the same reference.

A tag is only a pin when nobody can move it: either the image is referenced by
digest, or it lives in an ECR repository of this stack whose tags are
immutable. An image from anywhere else must be pinned by digest.

Links between a task definition and a repository: the repository's
``repositoryUrl`` or ``name`` against the image reference, and the URNs in
``property_dependencies["containerDefinitions"]`` (ids are unknown at first
preview).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import (
    ECR_REPOSITORY,
    ECS_TASK_DEFINITION,
    NotApplicable,
    as_bool,
    as_list,
    config_value,
    get,
    stack_rule,
)
from ._ecs import (
    MSG_BAD_CONTAINERS,
    bad_containers_reason,
    containers_unknown,
    dependency_urns,
    labelled_containers,
    of_types,
    parse_image,
    show,
)

MSG_NOT_REQUIRED = "required is false for this stack; set it to true to demand digest-pinned or immutable images."
MSG_IMAGE_UNREADABLE = "{container} has image {value}, which is not an image reference; pin it by digest."
MSG_NOT_PINNED = (
    "{container} uses image {image}, which is not pinned by digest and not in an ECR repository of this stack; "
    "reference it as '{name}@sha256:<digest>'."
)
MSG_OUTSIDE_STACK = (
    "{container} uses ECR image {image} from repository '{repository}', which this stack does not manage; "
    "reference it as '{name}@sha256:<digest>', or manage the repository here with imageTagMutability 'IMMUTABLE'."
)
MSG_MUTABLE_TAG = (
    "{container} uses image {image} from ECR repository '{repository}' whose imageTagMutability is {value}, "
    "so tag '{tag}' can be moved; set imageTagMutability to 'IMMUTABLE' or pin the image by digest."
)

CONFIG = {
    "required": {
        "type": "boolean",
        "default": False,
        "description": "Demand digest-pinned images or images from an IMMUTABLE ECR repository of this stack.",
    },
}



def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.split("*")))


def tag_is_immutable(repository_props: Mapping[str, Any], tag: str) -> bool:
    """Whether ECR refuses to move ``tag`` in this repository (absent imageTagMutability = AWS default MUTABLE)."""
    mode = get(repository_props, "imageTagMutability")
    mode = mode.strip().upper() if isinstance(mode, str) else "MUTABLE"
    if mode == "IMMUTABLE":
        return True
    if mode not in ("IMMUTABLE_WITH_EXCLUSION", "MUTABLE_WITH_EXCLUSION"):
        return False
    filters = [get(f, "filter") for f in as_list(get(repository_props, "imageTagMutabilityExclusionFilters"))]
    excluded = any(isinstance(f, str) and f and _wildcard(f).fullmatch(tag) for f in filters)
    # IMMUTABLE_WITH_EXCLUSION: matching tags stay mutable. MUTABLE_WITH_EXCLUSION: matching tags are immutable.
    return not excluded if mode == "IMMUTABLE_WITH_EXCLUSION" else excluded


def _label(repository: Any) -> str:
    name = get(repository.props, "name")
    return name if isinstance(name, str) and name else getattr(repository, "name", "") or repository.urn


class _Repositories:
    """The stack's ECR repositories, indexed by URN and (on first need) by name."""

    def __init__(self, repositories: Sequence[Any]) -> None:
        self.by_urn = {r.urn: r for r in repositories}
        self._by_name: dict[str, list[Any]] | None = None

    def by_name(self, name: str) -> list[Any]:
        if self._by_name is None:
            self._by_name = {}
            for repository in self.by_urn.values():
                key = get(repository.props, "name")
                if isinstance(key, str) and key:
                    self._by_name.setdefault(key, []).append(repository)
        return self._by_name.get(name, [])


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    if as_bool(config_value(config, "required", False)) is not True:
        raise NotApplicable(MSG_NOT_REQUIRED)
    repositories = _Repositories(of_types(resources, ECR_REPOSITORY))
    for task in of_types(resources, ECS_TASK_DEFINITION):
        if containers_unknown(task.props):
            continue  # require-verifiable-container-definitions reports it; judged at pulumi up
        containers = labelled_containers(task.props)
        if containers is None:
            yield task.urn, MSG_BAD_CONTAINERS.format(what=bad_containers_reason(task.props))
            continue
        dependencies = [repositories.by_urn[u] for u in sorted(
            dependency_urns(task, "containerDefinitions", ECR_REPOSITORY)) if u in repositories.by_urn]
        for label, container in containers:
            raw = container.get("image")
            image = parse_image(raw)
            if image is None:
                yield task.urn, MSG_IMAGE_UNREADABLE.format(container=label, value=show(raw))
                continue
            if image.pinned_by_digest:
                continue
            candidates = [
                r for r in dependencies
                if get(r.props, "name") == image.repository or get(r.props, "repositoryUrl") == image.name
            ]
            if not candidates and image.ecr_registry:
                candidates = repositories.by_name(image.repository)
            tag = image.tag or "latest"
            if not candidates:
                template = MSG_OUTSIDE_STACK if image.ecr_registry else MSG_NOT_PINNED
                yield task.urn, template.format(
                    container=label, image=show(raw), repository=image.repository, name=image.name
                )
            elif not any(tag_is_immutable(r.props, tag) for r in candidates):
                repository = candidates[0]
                yield task.urn, MSG_MUTABLE_TAG.format(
                    container=label, image=show(raw), repository=_label(repository),
                    value=show(get(repository.props, "imageTagMutability")), tag=tag,
                )


POLICY = stack_rule(
    name="require-immutable-image-references",
    description=(
        "Every ECS container image is pinned by digest or comes from an ECR repository of this stack "
        "with immutable tags."
    ),
    severity=Severity.MEDIUM,
    remediation=(
        "Create the service's ECR repository in this stack with imageTagMutability IMMUTABLE and deploy "
        "'<repositoryUrl>:<version>', or reference any other image as '<name>@sha256:<digest>'."
    ),
    types=ECS_TASK_DEFINITION + ECR_REPOSITORY,
    check=check,
    tags=["images"],
    config=CONFIG,
)
