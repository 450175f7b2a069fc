"""Stack-wide tags: each component passes its ``tags`` argument to every taggable resource it creates.

Tags go into each resource's own ``tags`` input rather than the provider's
``default_tags``, so that they are visible in previews and to the policy pack's
``require-tags`` rule, which reads a resource's inputs. They are given as
plain inputs, not added by a stack transform: the engine would then call back
into the program for every resource it registers.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections.abc import Mapping


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


def tagged(tags: Mapping[str, str], own: Mapping[str, str] | None = None) -> dict[str, str]:
    """The ``tags`` input of one resource: a component's ``tags`` under the resource's ``own`` (its own win)."""
    return {**tags, **(own or {})}
