"""The components folder is a library: no module reaches into the stack's settings, one component per module."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest

COMPONENTS = Path(__file__).resolve().parents[1] / "components"
MODULES = sorted(COMPONENTS.glob("*.py"))


def _imported_modules(tree: ast.Module) -> list[str]:
    """Every absolute module name an import statement names, anywhere in the module."""
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _component_classes(tree: ast.Module) -> list[str]:
    """Classes deriving from pulumi.ComponentResource."""
    return [node.name for node in tree.body if isinstance(node, ast.ClassDef)
            and any(ast.unparse(base) in ("pulumi.ComponentResource", "ComponentResource") for base in node.bases)]


def test_there_are_component_modules() -> None:
    assert len(MODULES) > 5, f"no component modules found in {COMPONENTS}"


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_no_component_imports_the_stack(module: Path) -> None:
    tree = ast.parse(module.read_text(), filename=str(module))
    stack_imports = [name for name in _imported_modules(tree) if name == "stacks" or name.startswith("stacks.")]
    assert stack_imports == [], f"{module}: imports {stack_imports}; components take their own Args"


@pytest.mark.parametrize("module", MODULES, ids=lambda path: path.name)
def test_one_component_per_module(module: Path) -> None:
    classes = _component_classes(ast.parse(module.read_text(), filename=str(module)))
    assert len(classes) <= 1, f"{module}: holds {classes}; one ComponentResource per module"


def _input_classes() -> list[type]:
    """Every public dataclass the component modules define: their ``…Args`` and the records inside them."""
    found = []
    for module in MODULES:
        namespace = importlib.import_module(f"components.{module.stem}")
        found.extend(value for value in vars(namespace).values()
                     if isinstance(value, type) and dataclasses.is_dataclass(value)
                     and value.__module__ == namespace.__name__ and not value.__name__.startswith("_"))
    return found


def test_inputs_are_frozen_and_every_field_is_documented() -> None:
    classes = _input_classes()
    assert len(classes) >= 14, f"input classes found: {classes}"
    for cls in classes:
        assert cls.__dataclass_params__.frozen, f"{cls.__module__}.{cls.__name__} is not frozen"
        source = ast.parse(inspect.getsource(cls)).body[0]
        assert isinstance(source, ast.ClassDef)
        documented = {current.target.id for current, following in zip(source.body, source.body[1:], strict=False)
                      if isinstance(current, ast.AnnAssign) and isinstance(current.target, ast.Name)
                      and isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant)}
        undocumented = [f.name for f in dataclasses.fields(cls) if f.name not in documented]
        assert undocumented == [], f"{cls.__module__}.{cls.__name__}: fields without a docstring {undocumented}"


def test_protection_is_on_unless_the_caller_says_otherwise() -> None:
    checked = []
    for cls in _input_classes():
        for item in dataclasses.fields(cls):
            if item.name in ("protect", "deletion_protection"):
                checked.append(f"{cls.__name__}.{item.name}")
                assert item.default is True, f"{cls.__module__}.{cls.__name__}.{item.name} defaults to {item.default}"
    assert len(checked) >= 8, f"protection fields found: {checked}"
