"""Policy config files: parsed, then reconciled with the pack's defaults the way the Pulumi CLI does.

A policy config file maps policy names to an enforcement level, or to an
object with an optional ``enforcementLevel`` and the policy's properties.
Two names are reserved: ``all`` sets every policy's level, and ``unknowns``
is the offline plan's own setting (never sent to the pack): ``mandatory``
makes every check the pack could not run, because a value is unknown at
preview, a failure of the gate; ``advisory`` (the default) lists them.

:func:`load_policy_file` parses a file; :func:`reconcile_policy_config` gives
every policy of a pack its level and properties (schema defaults, then the
pack's initial config, then the file; ``all`` sets every level) and checks
the properties against each policy's config schema; :func:`check_policy_names`
refuses names the pack does not define.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema

if TYPE_CHECKING:
    from stacks.offline.analyzer import PackInfo

LEVELS = ("advisory", "mandatory", "remediate", "disabled")
ALL = "all"
UNKNOWNS = "unknowns"
# The values are enforcement levels, not words of our own, because the Pulumi CLI reads every entry of this file
# as a policy's config: `pulumi up --policy-pack-config FILE` refuses a string that is not a level.
UNKNOWNS_LEVELS = ("mandatory", "advisory")
DEFAULT_UNKNOWNS = "advisory"


class PolicyConfigError(Exception):
    """The policy config file is unreadable or invalid. ``str()`` is one line naming the file."""


@dataclass(frozen=True)
class PolicyFile:
    """A parsed policy config file."""

    path: Path | None
    """The file, or None when the plan runs on the pack's defaults."""
    policies: dict[str, tuple[str | None, dict[str, Any]]] = field(default_factory=dict)
    """Policy (or ``all``) -> (enforcement level or None, properties): what the pack is configured with."""
    unknowns: str = DEFAULT_UNKNOWNS
    """``mandatory``: a check that could not run because a value is unknown fails the gate; ``advisory``: listed."""


# ---------------------------------------------------------------------------
def load_policy_config(path: Path) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """Parse a policy config file: policy -> (enforcement level or None, properties), ``unknowns`` left out.

    A string value is an enforcement level; an object has an optional
    ``enforcementLevel`` plus properties. Raises :class:`PolicyConfigError`.
    """
    return load_policy_file(path).policies


def load_policy_file(path: Path) -> PolicyFile:
    """Parse a policy config file: the policies' entries and the ``unknowns`` setting.

    Raises :class:`PolicyConfigError` naming the file.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyConfigError(f"policy config {path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise PolicyConfigError(f"policy config {path}: not UTF-8 text (byte {exc.start})") from exc
    if not text.strip():
        return PolicyFile(path)
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise PolicyConfigError(f"policy config {path}: invalid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise PolicyConfigError(f"policy config {path}: expected an object of policy names")
    unknowns = document.pop(UNKNOWNS, DEFAULT_UNKNOWNS)
    if unknowns not in UNKNOWNS_LEVELS:
        raise PolicyConfigError(f"policy config {path}: {UNKNOWNS}: {unknowns!r} is not allowed; allowed: "
                                "mandatory (a check that could not run fails the gate), advisory (it is listed)")
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
    return PolicyFile(path, parsed, unknowns)


def check_policy_names(given: Iterable[str], known: Iterable[str], source: str = "policy config") -> None:
    """Refuse a name in ``given`` that is not in ``known`` (nor ``all``), suggesting the nearest known name.

    The Pulumi CLI ignores such a name, so a typo would leave a policy at its default level unnoticed.
    """
    known = sorted(known)
    for name in sorted(set(given) - set(known) - {ALL}):
        nearest = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        hint = f"did you mean {nearest[0]}?" if nearest else f"allowed: the pack's policy names, {ALL}, {UNKNOWNS}"
        raise PolicyConfigError(f"{source}: {name}: the pack has no policy of that name; {hint}")


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
        every = layer.get(ALL)
        if every and every[0]:
            result = {name: (every[0], props) for name, (_, props) in result.items()}
        for name, (level, props) in layer.items():
            if name in result:
                current_level, current_props = result[name]
                result[name] = (level or current_level, {**current_props, **props})
    unknown = sorted(name for name in given if name not in result and name != ALL)
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
