"""Policy config files: parsed, then reconciled with the pack's defaults the way the Pulumi CLI does.

A policy config file maps policy names to an enforcement level, or to an
object with an optional ``enforcementLevel`` and the policy's properties.
:func:`load_policy_config` parses one; :func:`reconcile_policy_config` gives
every policy of a pack its level and properties (schema defaults, then the
pack's initial config, then the file; ``all`` sets every level) and checks
the properties against each policy's config schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

if TYPE_CHECKING:
    from stacks.offline.analyzer import PackInfo

LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PolicyConfigError(Exception):
    """The policy config file is unreadable or invalid. ``str()`` is one line naming the file."""


# ---------------------------------------------------------------------------
def load_policy_config(path: Path) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """Parse a policy config file: policy -> (enforcement level or None, properties).

    A string value is an enforcement level; an object has an optional
    ``enforcementLevel`` plus properties. Raises :class:`PolicyConfigError`.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyConfigError(f"policy config {path}: cannot read: {exc.strerror or exc}") from exc
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise PolicyConfigError(f"policy config {path}: invalid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise PolicyConfigError(f"policy config {path}: expected an object of policy names")
    parsed: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for name, value in document.items():
        if isinstance(value, str):
            level, props = value, {}
        elif isinstance(value, dict):
            props = {k: v for k, v in value.items() if k != "enforcementLevel"}
            level = value.get("enforcementLevel")
            if level is not None and not isinstance(level, str):
                raise PolicyConfigError(f"policy config {path}: {name}: enforcementLevel must be a string")
        else:
            raise PolicyConfigError(f"policy config {path}: {name}: must be an enforcement level or an object")
        if level is not None and level not in LEVELS:
            raise PolicyConfigError(f"policy config {path}: {name}: {level!r} is not an enforcement level; "
                                    f"allowed: {', '.join(LEVELS)}")
        parsed[name] = (level, props)
    return parsed


def reconcile_policy_config(pack: PackInfo, given: Mapping[str, tuple[str | None, Mapping[str, Any]]],
                            source: str = "policy config") -> tuple[dict[str, tuple[str, dict[str, Any]]], list[str]]:
    """Every policy's (level, properties): defaults, the pack's initial config, then ``given``; and unknown names.

    Properties are validated against each policy's config schema; a failure
    raises :class:`PolicyConfigError` naming ``source`` and the policy.
    """
    result: dict[str, tuple[str, dict[str, Any]]] = {}
    for policy in pack.policies:
        props = {k: v["default"] for k, v in ((policy.config_schema or {}).get("properties") or {}).items()
                 if isinstance(v, Mapping) and "default" in v}
        result[policy.name] = (policy.enforcement_level, props)
    for layer in (pack.initial_config, given):
        every = layer.get("all")
        if every and every[0]:
            result = {name: (every[0], props) for name, (_, props) in result.items()}
        for name, (level, props) in layer.items():
            if name in result:
                current_level, current_props = result[name]
                result[name] = (level or current_level, {**current_props, **props})
    unknown = sorted(name for name in given if name not in result and name != "all")
    problems: list[str] = []
    for policy in pack.policies:
        if not policy.config_schema:
            continue
        schema = {"type": "object", **{k: v for k, v in policy.config_schema.items() if v}}
        validator = jsonschema.Draft7Validator(schema)
        for error in sorted(validator.iter_errors(result[policy.name][1]), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in error.path)
            problems.append(f"{policy.name}{'.' + where if where else ''}: {error.message}")
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PolicyConfigError(f"{source}: {problems[0]}{more}")
    return result, unknown
