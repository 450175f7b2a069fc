"""require-pinned-images: every container image names a version, not ``latest`` or nothing.

A tagless image pulls ``latest``; with a floating tag, two tasks of the same
revision can run different code, and a rollback does not roll back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import Severity

from ._common import ECS_TASK_DEFINITION, resource_rule
from ._ecs import MSG_BAD_CONTAINERS, bad_containers_reason, labelled_containers, parse_image, show

MSG_IMAGE_MISSING = "{container} has image {value}; set image to a repository with a version tag or digest."
MSG_IMAGE_UNREADABLE = (
    "{container} has image {value}, which is not an image reference; use 'repository:tag' or 'repository@sha256:...'."
)
MSG_BAD_DIGEST = "{container} has image {value} whose digest is not 'sha256:' followed by 64 lowercase hex digits."
MSG_LATEST = (
    "{container} has image {value} with the floating tag 'latest'; pin a version tag (for example ':1.4.2') "
    "or a digest ('@sha256:...')."
)
MSG_TAGLESS = (
    "{container} has image {value} without a tag, which pulls 'latest'; pin a version tag (for example ':1.4.2') "
    "or a digest ('@sha256:...')."
)

FLOATING_TAGS: frozenset[str] = frozenset({"latest"})



def check(props: Mapping[str, Any], config: Mapping[str, Any]) -> Iterable[str]:
    containers = labelled_containers(props)
    if containers is None:
        yield MSG_BAD_CONTAINERS.format(what=bad_containers_reason(props))
        return
    for label, container in containers:
        raw = container.get("image")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            yield MSG_IMAGE_MISSING.format(container=label, value=show(raw))
            continue
        image = parse_image(raw)
        if image is None:
            yield MSG_IMAGE_UNREADABLE.format(container=label, value=show(raw))
        elif image.digest:
            if not image.pinned_by_digest:
                yield MSG_BAD_DIGEST.format(container=label, value=show(raw))
        elif not image.tag:
            yield MSG_TAGLESS.format(container=label, value=show(raw))
        elif image.tag.lower() in FLOATING_TAGS:
            yield MSG_LATEST.format(container=label, value=show(raw))


POLICY = resource_rule(
    name="require-pinned-images",
    description="Every container image in an ECS task definition is pinned to a version tag or a digest.",
    severity=Severity.MEDIUM,
    remediation=(
        "Reference images as 'repository:<version>' (for example the git SHA or release number the CI pushed) "
        "or as 'repository@sha256:<digest>'. Never deploy ':latest' or an image without a tag."
    ),
    types=ECS_TASK_DEFINITION,
    check=check,
    tags=["images"],
)
