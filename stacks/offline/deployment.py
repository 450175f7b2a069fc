"""A deployed stack's state, as ``pulumi stack export`` writes it, read into recorded resources.

The export is Pulumi's deployment format, version 3: an ``UntypedDeployment``
wrapping a ``DeploymentV3`` (``sdk/go/common/apitype/core.go``)::

    {"version": 3,
     "deployment": {"manifest": {"time": ..., "magic": ..., "version": ...},
                    "resources": [{"urn", "custom", "id", "type", "inputs", "outputs", "parent",
                                   "protect", "external", "dependencies", "provider",
                                   "propertyDependencies", "delete", ...}, ...]}}

:func:`read_deployment` turns each resource into a
:class:`~stacks.offline.runner.RecordedResource` with its recorded inputs, the
values the engine would send a policy pack on the next ``up``, so the pack
judges the deployed resources as it judges a plan. Property values carry the
engine's signatures: a secret is ``{SIG_KEY: SECRET_SIG, "plaintext": "<JSON>"}``
(``pulumi stack export --show-secrets``, and the Automation API's
``export_stack``) and becomes a :class:`~stacks.offline.runner.SecretValue`;
without ``--show-secrets`` it holds a ``ciphertext`` instead, which this reader
cannot decrypt, so the value is unknown and every rule that reads it says it
could not. A resource reference becomes the referenced resource's id, as the
engine sends it.

Errors are :class:`ExportError`, one line naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stacks.offline.runner import (
    RESOURCE_REF_SIG,
    ROOT_STACK_TYPE,
    SECRET_SIG,
    SIG_KEY,
    UNKNOWN,
    UNKNOWN_SENTINEL,
    OfflineError,
    RecordedResource,
    SecretValue,
)

DEPLOYMENT_VERSION = 3
"""The only deployment format version read (``apitype.DeploymentSchemaVersionCurrent``)."""


class ExportError(OfflineError):
    """The export is unreadable or not a Pulumi deployment; ``str()`` is one line naming it."""


@dataclass(frozen=True)
class DeployedStack:
    """What a stack export holds, read for the policy pack."""

    project: str
    """The project name, from the root stack's URN."""
    stack: str
    """The stack name, from the root stack's URN (``urn:pulumi:<stack>::<project>::...``)."""
    resources: list[RecordedResource]
    """Every resource in the state, in the engine's order (the root stack first)."""
    outputs: dict[str, Any]
    """The stack's outputs (the root stack resource's)."""
    updated: str = ""
    """When the state was written (the manifest's ``time``)."""
    encrypted: int = 0
    """How many secret values the export holds encrypted (exported without ``--show-secrets``)."""
    pending_deletion: int = 0
    """Resources left out because the engine deletes them on the next update (``delete: true``)."""


def load_export(path: Path | str) -> DeployedStack:
    """Read the export in the file ``path``. Raises :class:`ExportError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ExportError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ExportError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return parse_export(text, str(path))


def parse_export(text: str, source: str) -> DeployedStack:
    """Read an export from its JSON ``text``; ``source`` names it in errors. Raises :class:`ExportError`."""
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise ExportError(f"{source}: not JSON: {exc}") from exc
    return read_deployment(document, source)


def read_deployment(document: Any, source: str) -> DeployedStack:
    """The stack in an export ``document`` (parsed JSON); ``source`` names it in errors."""
    if not isinstance(document, Mapping) or not isinstance(document.get("deployment"), Mapping):
        raise ExportError(f"{source}: not a Pulumi stack export (no \"deployment\" object); "
                          "write one with `pulumi stack export --file FILE`")
    version = document.get("version")
    if version != DEPLOYMENT_VERSION:
        raise ExportError(f"{source}: deployment version {version!r} is not supported; expected "
                          f"{DEPLOYMENT_VERSION} (what Pulumi 3 writes)")
    deployment = document["deployment"]
    entries = deployment.get("resources") or []
    if not isinstance(entries, list):
        raise ExportError(f"{source}: deployment.resources must be a list")

    reader = _Reader(source)
    resources = []
    pending_deletion = 0
    for index, entry in enumerate(entries):
        if isinstance(entry, Mapping) and entry.get("delete") is True:
            # The old copy of a replaced resource: its replacement has the same URN and is read instead.
            pending_deletion += 1
            continue
        resources.append(reader.resource(entry, f"deployment.resources[{index}]"))

    root = next((r for r in resources if r.type == ROOT_STACK_TYPE), None)
    if root is None:
        raise ExportError(f"{source}: no {ROOT_STACK_TYPE} resource; the stack was never deployed, "
                          "or this is not the output of `pulumi stack export`")
    stack, project = _stack_and_project(root.urn, source)
    manifest = deployment.get("manifest")
    updated = manifest.get("time", "") if isinstance(manifest, Mapping) else ""
    return DeployedStack(project=project, stack=stack, resources=resources, outputs=reader.root_outputs,
                         updated=str(updated or ""), encrypted=reader.encrypted, pending_deletion=pending_deletion)


def _stack_and_project(urn: str, source: str) -> tuple[str, str]:
    parts = urn.split("::")
    if len(parts) < 4 or not parts[0].startswith("urn:pulumi:"):
        raise ExportError(f"{source}: {urn!r} is not a Pulumi URN (urn:pulumi:<stack>::<project>::<type>::<name>)")
    return parts[0][len("urn:pulumi:"):], parts[1]


class _Reader:
    """Reads resources and their property values, counting the secrets it cannot decrypt."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.encrypted = 0
        self.root_outputs: dict[str, Any] = {}

    def resource(self, entry: Any, where: str) -> RecordedResource:
        if not isinstance(entry, Mapping):
            raise ExportError(f"{self.source}: {where}: expected an object, got {type(entry).__name__}")
        urn, type_ = entry.get("urn"), entry.get("type")
        if not isinstance(urn, str) or not urn:
            raise ExportError(f"{self.source}: {where}: no \"urn\"")
        if not isinstance(type_, str) or not type_:
            raise ExportError(f"{self.source}: {where} ({urn}): no \"type\"")
        parts = urn.split("::", 3)
        if len(parts) != 4:
            raise ExportError(f"{self.source}: {where}: {urn!r} is not a Pulumi URN")
        where = f"{where} ({urn})"
        inputs = self.properties(entry.get("inputs"), f"{where}.inputs")
        if type_ == ROOT_STACK_TYPE:
            self.root_outputs = self.properties(entry.get("outputs"), f"{where}.outputs")
        property_dependencies = entry.get("propertyDependencies") or {}
        if not isinstance(property_dependencies, Mapping):
            raise ExportError(f"{self.source}: {where}: propertyDependencies must be an object")
        return RecordedResource(
            urn=urn,
            type=type_,
            name=parts[3],
            parent=entry.get("parent") or None,
            inputs=inputs,
            dependencies=tuple(entry.get("dependencies") or ()),
            property_dependencies={str(k): tuple(v or ()) for k, v in property_dependencies.items()},
            protect=bool(entry.get("protect")),
            custom=bool(entry.get("custom")),
            provider=entry.get("provider") or None,
            id=str(entry.get("id") or ""),
            # A resource the stack reads but does not manage (``.get()``): like the plan's reads, not analyzed.
            read=bool(entry.get("external")),
        )

    def properties(self, value: Any, where: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise ExportError(f"{self.source}: {where}: expected an object, got {type(value).__name__}")
        return {str(k): self.value(v, f"{where}.{k}") for k, v in value.items()}

    def value(self, value: Any, where: str) -> Any:
        if isinstance(value, Mapping):
            signature = value.get(SIG_KEY)
            if signature == SECRET_SIG:
                return self.secret(value, where)
            if signature == RESOURCE_REF_SIG:
                return value.get("id") or value.get("urn", "")
            return {str(k): self.value(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if value == UNKNOWN_SENTINEL:
            return UNKNOWN
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)  # as the engine's wire form (and the plan's recording) carries every number
        return value

    def secret(self, value: Mapping[str, Any], where: str) -> SecretValue:
        if "plaintext" not in value:
            self.encrypted += 1
            return SecretValue(UNKNOWN)
        try:
            plain = json.loads(value["plaintext"])
        except (TypeError, ValueError) as exc:
            raise ExportError(f"{self.source}: {where}: a secret's plaintext is not JSON: {exc}") from exc
        return SecretValue(self.value(plain, where))
