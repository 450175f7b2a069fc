"""Build one component under the mocks and record what its children were given.

Inputs come from the mocks (resolved, under the engine's camelCase names);
options come from a transformation on the component, which its children
inherit, so tests can check ``parent``, ``protect`` and ``ignore_changes``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi


@dataclass
class Child:
    """One child resource as the engine would see it."""

    type: str
    name: str
    parent_type: str
    inputs: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    id: str = ""
    """The id the mocks gave the resource (empty for components)."""
    opts: pulumi.ResourceOptions | None = None
    resource: pulumi.Resource | None = None

    @property
    def urn(self) -> str:
        return f"urn:pulumi:test::fargate-platform::{self.parent_type}${self.type}::{self.name}"


@dataclass
class Built:
    """The component, its children by name, and its resolved outputs."""

    component: Any
    children: dict[str, Child]
    outputs: dict[str, Any]

    def one(self, type_: str, name: str) -> Child:
        child = self.children.get(name)
        assert child is not None and child.type == type_, f"missing {type_}::{name}; have {sorted(self.children)}"
        return child

    def of_type(self, type_: str) -> list[Child]:
        return [c for c in self.children.values() if c.type == type_]

    def names(self, type_: str) -> list[str]:
        return sorted(c.name for c in self.of_type(type_))


def build_component(mocks: Any, type_token: str, make: Callable[[pulumi.ResourceOptions], Any],
                    output_names: Sequence[str]) -> Built:
    """Run ``make(opts)`` under the mocks, wait for every registration, and return what was recorded."""
    children: dict[str, Child] = {}
    original = mocks.new_resource

    def new_resource(args: Any) -> Any:
        resource_id, outputs = original(args)
        if args.typ != type_token:
            child = children.setdefault(args.name, Child(args.typ, args.name, type_token))
            child.inputs, child.outputs, child.id = dict(args.inputs), dict(outputs), resource_id
        return resource_id, outputs

    def capture(args: pulumi.ResourceTransformationArgs) -> None:
        if args.type_ != type_token:
            child = children.setdefault(args.name, Child(args.type_, args.name, type_token))
            child.opts, child.resource = args.opts, args.resource
        return None

    mocks.new_resource = new_resource
    holder: dict[str, Any] = {}

    @pulumi.runtime.test
    def program() -> pulumi.Output:
        component = make(pulumi.ResourceOptions(transformations=[capture]))
        holder["component"] = component
        values = [pulumi.Output.from_input(getattr(component, key)) for key in output_names]
        return pulumi.Output.all(*values).apply(
            lambda resolved: holder.update(outputs=dict(zip(output_names, resolved, strict=True))))

    try:
        program()
    finally:
        mocks.new_resource = original
    return Built(holder["component"], children, holder["outputs"])


def assert_children_parented_and_named(built: Built, name: str) -> None:
    """Every child is parented to the component and named ``<name>-<role>``."""
    assert built.children, "no children recorded"
    for child in built.children.values():
        assert child.name.startswith(f"{name}-"), f"{child.urn}: not named {name}-<role>"
        parent = child.opts.parent if child.opts is not None else None
        assert parent is built.component, f"{child.urn}: parent is not the component"
