"""Every command imports only what its requirements file installs.

A user who installs ``requirements.txt`` (the README's Deploy section) must be able to run every command
without a ``ModuleNotFoundError``, and the pack must run from ``policies/requirements.txt`` alone. The
test reads each command's import graph from the source (``ast``: every ``import``, lazy ones inside
functions included, ``TYPE_CHECKING`` blocks excepted), follows this repository's own modules, and maps
each third-party name to the distributions that provide it (``importlib.metadata``). Each must be one the
requirements file installs: a pinned name or something it depends on.
"""

from __future__ import annotations

import ast
import functools
import importlib.metadata as metadata
import re
import sys
import tomllib
from collections.abc import Iterable
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "policies"
FIRST_PARTY = {"stacks": ROOT, "components": ROOT, "fargate_policies": PACK}
"""This repository's top-level packages, and the directory each lives in."""

COMMANDS = {
    # The offline plan runs the program (and its components) in-process and launches the pack.
    "python -m stacks plan": (["stacks.__main__", "stacks.offline.plan"], [ROOT / "__main__.py", PACK / "__main__.py"]),
    "python -m stacks preview|up|destroy|refresh|outputs|drift": (["stacks.__main__", "stacks.automation.command"],
                                                                  [ROOT / "__main__.py"]),
    "python -m stacks.exports.cost_levers": (["stacks.exports.cost_levers"], []),
}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _module_file(name: str) -> Path | None:
    """The source file of a first-party module (a package's ``__init__.py``), or None."""
    base = FIRST_PARTY[name.split(".")[0]].joinpath(*name.split("."))
    for candidate in (base / "__init__.py", base.with_suffix(".py")):
        if candidate.is_file():
            return candidate
    return None


def _package_of(path: Path) -> str:
    """The dotted package a first-party file belongs to (``stacks.offline`` for ``stacks/offline/plan.py``)."""
    for top, base in FIRST_PARTY.items():
        if path.is_relative_to(base / top):
            parts = path.relative_to(base).with_suffix("").parts
            return ".".join(parts[:-1])
    return ""


def _is_type_checking(node: ast.stmt) -> bool:
    test = getattr(node, "test", None) if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _statements(body: list[ast.stmt]) -> Iterable[ast.stmt]:
    """Every statement, nested ones included (imports are statements), but not what only type checkers run."""
    for node in body:
        yield node
        for field in ("orelse",) if _is_type_checking(node) else ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                yield from _statements(children)


_IMPORT_MODULE = re.compile(r"import_module\(\s*(?:[\"']([\w.]+)[\"']\s*\))?")


@functools.cache
def _imports(path: Path) -> tuple[frozenset[str], bool]:
    """The absolute module names ``path`` imports, and whether it also imports by a computed name."""
    text = path.read_text(encoding="utf-8")
    package = _package_of(path)
    names: set[str] = set()
    for node in _statements(ast.parse(text, str(path)).body):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            names.add(module)
            # `from package import module` imports a submodule when there is one.
            names.update(f"{module}.{alias.name}" for alias in node.names)
    calls = _IMPORT_MODULE.findall(text)  # importlib.import_module("name"), or of a computed name
    names.update(name for name in calls if name)
    return frozenset(names), any(not name for name in calls)


def third_party_imports(modules: Iterable[str], files: Iterable[Path]) -> dict[str, str]:
    """Top-level third-party names imported, each with one place that imports it, following first-party modules.

    A first-party module that imports by a computed name (``importlib.import_module(name)``) is taken to
    import every module of its package.
    """
    found: dict[str, str] = {}
    seen: set[Path] = set()
    queue = [_module_file(m) for m in modules] + list(files)
    while queue:
        path = queue.pop()
        if path is None or path in seen:
            continue
        seen.add(path)
        names, dynamic = _imports(path)
        if dynamic:
            queue.extend(p for p in path.parent.glob("*.py"))
        for name in names:
            top = name.split(".")[0]
            if not top or top == "__future__" or top in sys.stdlib_module_names:
                continue
            if top in FIRST_PARTY:
                parts = name.split(".")
                queue.extend(_module_file(".".join(parts[:i])) for i in range(1, len(parts) + 1))
                continue
            found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def installed_by(requirements: Path) -> set[str]:
    """Canonical names of every distribution ``pip install -r requirements`` installs: the named ones and,
    through the installed metadata, everything they depend on."""
    pending: list[str] = []
    for raw in requirements.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith(("-r", "-c", "--")):
            continue
        if line.startswith("-e"):
            project = tomllib.loads((requirements.parent / line[2:].strip() / "pyproject.toml").read_text())
            pending.append(project["project"]["name"])
        else:
            pending.append(Requirement(line).name)
    closure: set[str] = set()
    while pending:
        name = _canonical(pending.pop())
        if name in closure:
            continue
        closure.add(name)
        for spec in metadata.requires(name) or ():
            requirement = Requirement(spec)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(requirement.name)
    return closure


@functools.cache
def _providers() -> dict[str, list[str]]:
    """Top-level import name -> the installed distributions that provide it (reading them all takes a while)."""
    return metadata.packages_distributions()


def _unmet(imports: dict[str, str], allowed: set[str]) -> list[str]:
    providers = _providers()
    unmet = []
    for name, where in sorted(imports.items()):
        dists = {_canonical(d) for d in providers.get(name, ())}
        if not dists & allowed:
            unmet.append(f"{name} (imported by {where}; provided by {', '.join(sorted(dists)) or 'nothing installed'})")
    return unmet


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_each_command_imports_only_what_requirements_txt_installs(command):
    modules, files = COMMANDS[command]
    imports = third_party_imports(modules, files)
    assert "pulumi" in imports, f"{command}: the import graph was not read"
    unmet = _unmet(imports, installed_by(ROOT / "requirements.txt"))
    assert not unmet, f"{command}: not installed by requirements.txt: {'; '.join(unmet)}"


def test_the_pack_imports_only_what_its_own_requirements_install():
    imports = third_party_imports([], [PACK / "__main__.py"])
    assert "pulumi_policy" in imports
    unmet = _unmet(imports, installed_by(PACK / "requirements.txt"))
    assert not unmet, f"the pack: not installed by policies/requirements.txt: {'; '.join(unmet)}"


def test_a_dev_only_import_is_caught(tmp_path):
    """The check can fail: the runtime requirements without jsonschema do not cover the plan."""
    requirements = tmp_path / "requirements.txt"
    lines = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    kept = [f"-e {PACK}" if line.startswith("-e") else line for line in lines if not line.startswith("jsonschema")]
    requirements.write_text("\n".join(kept) + "\n")
    modules, files = COMMANDS["python -m stacks plan"]
    unmet = _unmet(third_party_imports(modules, files), installed_by(requirements))
    assert any(entry.startswith("jsonschema (imported by stacks/offline/policy_config.py") for entry in unmet), unmet
