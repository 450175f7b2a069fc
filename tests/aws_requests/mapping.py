"""The building blocks of a converter: tables from an input name to its place in an API request.

A ``Fields`` table maps each input name (Pulumi's camelCase) to a dotted path in the request, optionally with a
function for the value; :func:`structure` applies a table and raises :class:`UnmappedInput` on a name the table
does not list. An input that only steers the provider is listed with a :class:`Skip` and its reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

from stacks.offline.runner import SecretValue
from tests.aws_model import input_shape


@dataclass(frozen=True)
class Request:
    """One API call: ``params`` as botocore takes them."""

    service: str
    operation: str
    params: dict[str, Any]


class UnmappedInput(Exception):
    """An input whose place in the API request no converter knows: map it (or skip it, saying why)."""


@dataclass(frozen=True)
class Skip:
    """An input that steers the provider and is never part of a request."""

    reason: str


Convert = Callable[[Any, str], Any]
"""Turns one input value (at a path, for messages) into its API value."""

Field = str | tuple[str, Convert] | Skip
"""Where an input goes: a dotted path in the request, optionally with a converter for its value."""

Fields = Mapping[str, Field]

REGION = Skip("picks the endpoint the provider calls; not a request member")


def same(*names: str) -> dict[str, str]:
    """Inputs the API names the same way."""
    return {name: name for name in names}


def capitalized(*names: str) -> dict[str, str]:
    """Inputs the API names with a capital first letter (Elastic Load Balancing's style)."""
    return {name: name[0].upper() + name[1:] for name in names}


def unmapped(path: str) -> UnmappedInput:
    return UnmappedInput(f"{path}: no converter maps this input to the API request")


def structure(fields: Fields) -> Convert:
    """An input block: each member to its place in the API structure. Unknown members raise.

    Null members are not sent. A dotted target nests (``"deploymentConfiguration.maximumPercent"``), and
    blocks aimed at the same structure merge.
    """
    def convert(value: Any, path: str) -> Any:
        if not isinstance(value, Mapping):
            return value  # the validator reports the type
        out: dict[str, Any] = {}
        for name, item in value.items():
            if name not in fields:
                raise unmapped(f"{path}.{name}")
            field = fields[name]
            if item is None or isinstance(field, Skip):
                continue
            target, inner = (field, None) if isinstance(field, str) else field
            _put(out, target, inner(item, f"{path}.{name}") if inner else item)
        return out
    return convert


def _put(out: dict[str, Any], target: str, value: Any) -> None:
    *parents, last = target.split(".")
    for parent in parents:
        out = out.setdefault(parent, {})
    if isinstance(value, dict) and isinstance(out.get(last), dict):
        out[last].update(value)
    else:
        out[last] = value


def each(inner: Convert) -> Convert:
    """A list input whose items each convert with ``inner``."""
    def convert(value: Any, path: str) -> Any:
        if not isinstance(value, list):
            return value
        return [inner(item, f"{path}[{index}]") for index, item in enumerate(value)]
    return convert


def listed(inner: Convert) -> Convert:
    """One input block that the API takes as a list of one."""
    return lambda value, path: [inner(value, path)]


def single(inner: Convert) -> Convert:
    """A list input of at most one item that the API takes as that item (more stay a list: the validator
    reports them)."""
    def convert(value: Any, path: str) -> Any:
        if isinstance(value, list) and len(value) == 1:
            return inner(value[0], f"{path}[0]")
        return value
    return convert


def json_text(value: Any, path: str) -> Any:
    """An input holding JSON text (a container definition list, a hook's details)."""
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # the validator reports a string where the model wants a structure


def whole_number(value: Any, path: str) -> Any:
    """An input Pulumi types as text that the API takes as an integer (the provider parses it)."""
    return int(value) if isinstance(value, str) and value.strip().isdigit() else value


def tag_list(key: str, value: str) -> Convert:
    """A tags map that the API takes as a list of ``{key: ..., value: ...}`` (under the given member names)."""
    return lambda tags, path: ([{key: k, value: v} for k, v in tags.items()] if isinstance(tags, Mapping)
                               else tags)


def fit_numbers(value: Any, shape: Shape) -> Any:
    """The engine sends every number as a float: whole ones become ints where the model wants an integer,
    as the provider's schema does. Anything else is left for the validator to judge."""
    kind = shape.type_name
    if kind in ("integer", "long") and isinstance(value, float) and value.is_integer():
        return int(value)
    if kind == "structure" and isinstance(value, Mapping) and not shape.is_document_type:
        return {k: fit_numbers(v, shape.members[k]) if k in shape.members else v for k, v in value.items()}
    if kind == "list" and isinstance(value, list):
        return [fit_numbers(item, shape.member) for item in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: fit_numbers(v, shape.value) for k, v in value.items()}
    return value


def request(service: str, operation: str, params: dict[str, Any]) -> Request:
    """The request, with the engine's whole numbers made ints where the model wants them."""
    return Request(service, operation, fit_numbers(params, input_shape(service, operation)))


def reveal(value: Any) -> Any:
    """A recorded value with its secrets opened (the provider sends them in clear)."""
    if isinstance(value, SecretValue):
        return reveal(value.value)
    if isinstance(value, Mapping):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def autoname(name: str) -> str:
    """A stand-in for the physical name Pulumi gives a resource whose name input is absent
    (``<logical name>-<7 random characters>``)."""
    return f"{name}-a1b2c3d"
