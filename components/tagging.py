"""Stack-wide tags, applied to every taggable AWS resource by one resource transform.

Tags go into each resource's own ``tags`` input rather than the provider's
``default_tags``, so that they are visible in previews and to the policy pack's
``require-tags`` rule, which reads a resource's inputs.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Mapping

import pulumi


@functools.cache
def _classes_by_token(module_name: str) -> dict[str, type]:
    """Resource classes of one pulumi-aws module, by type token (read once per module)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return {}
    return {token: value for value in vars(module).values()
            if isinstance(value, type) and isinstance(token := getattr(value, "pulumi_type", None), str)}


@functools.cache
def is_taggable(type_token: str) -> bool:
    """Whether the pulumi-aws resource with this type token accepts a ``tags`` input."""
    package, _, rest = type_token.partition(":")
    if package != "aws" or ":" not in rest:
        return False
    module_path = rest.split(":", 1)[0].split("/", 1)[0]
    cls = _classes_by_token("pulumi_aws" if module_path == "index" else f"pulumi_aws.{module_path}").get(type_token)
    return cls is not None and "tags" in inspect.signature(cls._internal_init).parameters


def tags_transform(tags: Mapping[str, str]) -> pulumi.ResourceTransform:
    """A transform that merges ``tags`` under each taggable resource's own tags (its own win)."""
    fixed = dict(tags)

    def transform(args: pulumi.ResourceTransformArgs) -> pulumi.ResourceTransformResult | None:
        if not args.custom or not is_taggable(args.type_):
            return None
        own = args.props.get("tags")
        if not own:
            merged: pulumi.Input[Mapping[str, str]] = fixed
        elif isinstance(own, Mapping) and all(isinstance(value, str) for value in own.values()):
            merged = {**fixed, **own}  # known tags merge as they are, with no Output to resolve
        else:
            merged = pulumi.Output.from_input(own).apply(lambda current: {**fixed, **(current or {})})
        # No options: the engine then keeps the resource's own, which the SDK would otherwise serialize back.
        return pulumi.ResourceTransformResult(props={**args.props, "tags": merged}, opts=None)  # type: ignore[arg-type]

    return transform


def register_default_tags(tags: Mapping[str, str]) -> None:
    """Apply ``tags`` to every taggable resource registered after this call."""
    pulumi.runtime.register_resource_transform(tags_transform(tags))
