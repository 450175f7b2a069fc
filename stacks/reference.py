"""Render the README's config reference from the settings models.

``python -m stacks.reference`` rewrites the section of README.md between the
``<!-- config:start -->`` and ``<!-- config:end -->`` markers; a test fails
when the README is out of date.
"""

from __future__ import annotations

import ast
import inspect
import json
import sys
import typing
from pathlib import Path

from pydantic import BaseModel

from stacks import settings as settings_module
from stacks.settings import (
    NAMESPACE,
    CandidateTraffic,
    CapacityShare,
    DeploymentSettings,
    LifecycleHook,
    ManagedInstancesSettings,
    PolicyStatement,
    ScheduledScaling,
    ServiceSettings,
    StackSettings,
    VolumeSettings,
)

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- config:start -->", "<!-- config:end -->"


def _field_docs(model: type[BaseModel]) -> dict[str, str]:
    """Each field's docstring (the string literal right after its annotation)."""
    tree = ast.parse(inspect.getsource(settings_module))
    docs: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == model.__name__:
            for current, following in zip(node.body, node.body[1:], strict=False):
                if isinstance(current, ast.AnnAssign) and isinstance(current.target, ast.Name) \
                        and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant):
                    docs[current.target.id] = str(following.value.value)
    return docs


def _type_name(annotation: typing.Any) -> str:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _type_name(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{v}`" for v in typing.get_args(annotation))
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " or ".join(_type_name(a) for a in args) + " or null"
    if origin is tuple:
        inner = typing.get_args(annotation)[0]
        return f"list of {_type_name(inner)}"
    if origin in (dict, typing.Mapping, __import__("collections.abc").abc.Mapping):
        return "map of string"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.__name__
    return {bool: "boolean", int: "integer", float: "number", str: "string"}.get(annotation, str(annotation))


def _default(info: typing.Any) -> str:
    if info.is_required():
        return "required"
    value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see its table"
    if isinstance(value, tuple):
        value = list(value)
    return f"`{json.dumps(value)}`"


def _table(model: type[BaseModel], prefix: str) -> list[str]:
    docs = _field_docs(model)
    rows = ["| key | type | default | description |", "| --- | --- | --- | --- |"]
    for name, info in model.model_fields.items():
        rows.append(f"| `{prefix}{info.alias or name}` | {_type_name(info.annotation)} | {_default(info)} | "
                    f"{docs.get(name, '')} |")
    return rows


def render() -> str:
    """The config reference section, in Markdown."""
    lines = [
        START,
        "",
        f"Stack keys (namespace `{NAMESPACE}:`; declared with these defaults in `Pulumi.yaml`):",
        "",
        *_table(StackSettings, f"{NAMESPACE}:"),
        "",
        "Fields of each entry in `services`:",
        "",
        *_table(ServiceSettings, ""),
        "",
        "Fields of each entry in a service's `schedules`:",
        "",
        *_table(ScheduledScaling, ""),
        "",
        "Fields of each entry in a service's `taskRoleStatements`:",
        "",
        *_table(PolicyStatement, ""),
        "",
        "Fields of a service's `deployment` (see [Releasing a new version](#releasing-a-new-version)):",
        "",
        *_table(DeploymentSettings, ""),
        "",
        "Fields of a service's `deployment.testTraffic`:",
        "",
        *_table(CandidateTraffic, ""),
        "",
        "Fields of each entry in a service's `deployment.hooks`:",
        "",
        *_table(LifecycleHook, ""),

        "Fields of each entry in a service's `capacityProviderStrategy`:",
        "",
        *_table(CapacityShare, ""),
        "",
        "Fields of each entry in a service's `volumes`:",
        "",
        *_table(VolumeSettings, ""),
        "",
        f"Fields of `{NAMESPACE}:managedInstances`:",
        "",
        *_table(ManagedInstancesSettings, ""),
        "",
        END,
    ]
    return "\n".join(lines)


def current_section(text: str) -> str:
    """The README's section between the markers (markers included), or '' if absent."""
    if START not in text or END not in text:
        return ""
    return text[text.index(START): text.index(END) + len(END)]


def main() -> int:
    text = README.read_text()
    section = current_section(text)
    if not section:
        print(f"error: {README.name} has no {START} ... {END} markers", file=sys.stderr)
        return 2
    README.write_text(text.replace(section, render()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
