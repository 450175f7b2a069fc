"""One AWS API request checked against AWS's own API model (botocore's service definitions).

:func:`validate` returns readable error lines, empty when the request is valid. It runs botocore's
``ParamValidator`` (types, required members, unknown members, minimum lengths and values) and then what
``ParamValidator`` leaves to the service, read from the same model:

- enum values, maximum lengths, maximum values and counts, and patterns;
- a boolean where the model wants a number (Python's ``True`` is an ``int``, so botocore lets it through);
- for the ``Modify*Attributes`` calls, each attribute key is one the model's documentation lists for that
  call, and its value is one the documentation states where it states one (``true`` or ``false``, a list of
  words, or a range of whole numbers).

Each service model is loaded once per process. :mod:`tests.aws_requests` builds the requests from the
program's recorded inputs.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping
from typing import Any

import botocore.session
from botocore.model import ServiceModel, Shape, StructureShape
from botocore.validate import ParamValidator


@functools.cache
def service_model(service: str) -> ServiceModel:
    """botocore's model of ``service`` (``"ecs"``, ``"elbv2"``), loaded once per process."""
    return botocore.session.get_session().get_service_model(service)


def input_shape(service: str, operation: str) -> StructureShape:
    """The request shape of ``operation`` (``"CreateService"``)."""
    return service_model(service).operation_model(operation).input_shape


def validate(service: str, operation: str, params: Mapping[str, Any]) -> list[str]:
    """Every way ``params`` breaks ``operation``'s request shape, one line each; empty when it is valid."""
    shape = input_shape(service, operation)
    report = ParamValidator().validate(params, shape)
    errors = report.generate_report().splitlines() if report.has_errors() else []
    errors += _model_checks(params, shape, "")
    errors += _attribute_checks(service, params, shape)
    return [f"{operation}: {error}" for error in errors]


# ---------------------------------------------------------------------------
# What ParamValidator leaves to the service.
# ---------------------------------------------------------------------------
_NUMBERS = ("integer", "long", "double", "float")


def _model_checks(value: Any, shape: Shape, path: str) -> list[str]:
    """Enums, maximums, patterns and booleans given as numbers, at ``path`` and below.

    A value of the wrong type is skipped here: ``ParamValidator`` has already reported it.
    """
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping) and not shape.is_document_type:
        return [error for key, item in value.items() if key in shape.members
                for error in _model_checks(item, shape.members[key], f"{path}.{key}" if path else key)]
    if kind == "list" and isinstance(value, list):
        errors = _maximum(len(value), shape, path, "items")
        for index, item in enumerate(value):
            errors += _model_checks(item, shape.member, f"{path}[{index}]")
        return errors
    if kind == "map" and isinstance(value, Mapping):
        errors = _maximum(len(value), shape, path, "entries")
        for key, item in value.items():
            errors += _model_checks(key, shape.key, f"{path} (key: {key})")
            errors += _model_checks(item, shape.value, f"{path}.{key}")
        return errors
    if kind == "string" and isinstance(value, str):
        errors = []
        if shape.enum and value not in shape.enum:
            errors.append(f"Invalid value for parameter {path}: {value!r}, must be one of: {', '.join(shape.enum)}")
        errors += _maximum(len(value), shape, path, "characters")
        return errors + _pattern_check(value, shape, path)
    if kind in _NUMBERS and isinstance(value, bool):
        return [f"Invalid type for parameter {path}, value: {value}, type: bool, valid types: a number"]
    if kind in _NUMBERS and isinstance(value, int | float):
        return _maximum(value, shape, path, "")
    return []


def _maximum(amount: float, shape: Shape, path: str, unit: str) -> list[str]:
    high = shape.metadata.get("max")
    if high is None or amount <= high:
        return []
    what = f"{amount} {unit}".strip()
    return [f"Invalid {'length' if unit else 'range'} for parameter {path}, value: {what}, valid max: {high}"]


# The model's patterns use Java's Unicode classes, which Python's re does not know. Inside a character
# class these stand-ins are a little wider (\s also admits tabs and newlines), never narrower.
_JAVA_CLASSES = {r"\p{L}": r"\w", r"\p{N}": r"\w", r"\p{Z}": r"\s"}


@functools.cache
def _pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's pattern as a Python regex (unanchored, as the model means it), or None if it has no
    Python equivalent."""
    for java, python in _JAVA_CLASSES.items():
        pattern = pattern.replace(java, python)
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _pattern_check(value: str, shape: Shape, path: str) -> list[str]:
    pattern = shape.metadata.get("pattern")
    if pattern is None:
        return []
    compiled = _pattern(pattern)
    if compiled is None:
        return [f"Cannot check parameter {path} against the model's pattern {pattern!r}"]
    if compiled.search(value):
        return []
    return [f"Invalid value for parameter {path}: {value!r}, must match the pattern {pattern!r}"]


# ---------------------------------------------------------------------------
# Attributes (ModifyLoadBalancerAttributes and friends): keys and values from the model's documentation.
# ---------------------------------------------------------------------------
_DOCUMENTED_KEY = re.compile(r"<li>\s*<p>\s*<code>([a-z0-9_]+(?:\.[a-z0-9_]+)+)</code>\s*[-\u2013]\s*(.*?)</li>", re.S)
_STATED_VALUES = re.compile(r"[Tt]he (?:possible )?values? (?:for the attribute )?(?:is|are) ([^:]*?)\.(?:\s|$)")
_STATED_RANGE = re.compile(r"range is (\d+)\s*(?:-|\u2013|to)\s*(\d+)")


@functools.cache
def documented_attributes(service: str, shape_name: str) -> dict[str, tuple[frozenset[str] | None, range | None]]:
    """Each attribute key the documentation of ``shape_name``'s ``Key`` lists, with its stated values and range.

    A value or range is None where the documentation does not state one in a form read here ("The value
    is ``true`` or ``false``", "The possible values are ``a``, ``b``, and ``c``", "The valid range is 1-4000").
    """
    documentation = service_model(service).shape_for(shape_name).members["Key"].documentation
    attributes = {}
    for key, description in _DOCUMENTED_KEY.findall(documentation):
        text = html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"</?code>", "`", description)))
        values = _STATED_VALUES.search(text)
        words = frozenset(re.findall(r"`([^`]+)`", values.group(1))) if values and "integer" not in values.group(1) \
            else frozenset()
        bounds = _STATED_RANGE.search(text)
        attributes[key] = (words or None, range(int(bounds[1]), int(bounds[2]) + 1) if bounds else None)
    return attributes


def _attribute_checks(service: str, params: Mapping[str, Any], shape: StructureShape) -> list[str]:
    """For a request with a list of ``{Key, Value}`` attributes: each key documented, each value as stated."""
    member = shape.members.get("Attributes")
    if member is None or member.type_name != "list" or "Key" not in getattr(member.member, "members", {}):
        return []
    documented = documented_attributes(service, member.member.name)
    if not documented:
        return [f"Cannot check Attributes: the model documents no attribute keys for {member.member.name}"]
    errors = []
    given = params.get("Attributes")
    for index, attribute in enumerate(given if isinstance(given, list) else []):
        if not isinstance(attribute, Mapping):
            continue
        key, value, where = attribute.get("Key"), attribute.get("Value"), f"Attributes[{index}]"
        if key not in documented:
            errors.append(f"Invalid value for parameter {where}.Key: {key!r} is not an attribute the model documents "
                          f"for {member.member.name}")
            continue
        words, bounds = documented[key]
        if words is not None and value not in words:
            errors.append(f"Invalid value for attribute {key}: {value!r}, must be one of: {', '.join(sorted(words))}")
        if bounds is not None and not (isinstance(value, str) and value.isdigit() and int(value) in bounds):
            errors.append(f"Invalid value for attribute {key}: {value!r}, must be a whole number from "
                          f"{bounds.start} to {bounds.stop - 1}")
    return errors
