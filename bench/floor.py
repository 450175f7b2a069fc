"""The floor of an offline plan: import what the program imports, register as many resources, nothing else.

``python -m bench.floor spec STACK SPEC.json`` records the stack once and
writes its resource types and names. ``python -m bench.floor run SPEC.json``
is the floor process: it imports pulumi and the provider SDK modules that
define those types (the same pulumi_aws modules the program loads), then
registers one trivial resource (no inputs) per recorded resource, of the same
type and under the same name, under minimal mocks in preview mode, with no
components, settings, config or policy pack. The root stack is created by
``set_mocks``, as the runtime creates it in a real run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


def write_spec(stack: str, path: Path, project_dir: Path = REPO_ROOT, services: int | None = None) -> dict[str, Any]:
    """Record ``stack`` (with ``services`` synthetic services, when given) and write the types and names of its
    resources (the root stack excluded)."""
    from bench.synthetic import overrides
    from stacks.offline.runner import run_program

    spec = spec_of(run_program(project_dir, stack, config_overrides=overrides(services) if services else None))
    path.write_text(json.dumps(spec), encoding="utf-8")
    return spec


def spec_of(program: Any) -> dict[str, Any]:
    """The floor spec of a recorded program (a ``ProgramRun``): its resources' types and names."""
    return {
        "project": program.project,
        "stack": program.stack,
        "resources": [{"type": r.type, "name": r.name, "custom": r.custom}
                      for r in program.resources if r.type != ROOT_STACK_TYPE],
    }


def _resource_classes(types: set[str]) -> list[type]:
    """The SDK classes of ``types`` (importing their modules), from each package's resource-module registry."""
    classes = []
    registries: dict[str, dict[str, tuple[str, str]]] = {}
    for token in sorted(types):
        package = token.split(":", 1)[0]
        if package not in registries:
            registries[package] = _registry(package)
        found = registries[package].get(token)
        if found is not None:
            module, name = found
            classes.append(getattr(importlib.import_module(module), name))
    return classes


def _registry(package: str) -> dict[str, tuple[str, str]]:
    """token -> (module, class) from ``pulumi_<package>``'s generated ``_utilities.register`` table."""
    try:
        module = importlib.import_module(f"pulumi_{package}")
    except ImportError:
        return {}
    source = Path(module.__file__).read_text(encoding="utf-8")
    start = source.find('resource_modules="""')
    if start < 0:
        return {}
    start += len('resource_modules="""')
    entries = json.loads(source[start:source.index('"""', start)])
    return {token: (entry["fqn"], name) for entry in entries for token, name in entry["classes"].items()}


def run_floor(spec_path: Path) -> int:
    """Register the spec's resources trivially under mocks; return how many were registered."""
    import pulumi
    from pulumi.runtime.stack import wait_for_rpcs

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    resources = spec["resources"]
    _resource_classes({r["type"] for r in resources})

    class Mocks(pulumi.runtime.Mocks):
        def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
            return f"{args.name}-id", dict(args.inputs)

        def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list]:
            return {}, []

    # set_mocks registers the root stack on the current event loop: make that loop first.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(Mocks(), project=spec["project"], stack=spec["stack"], preview=True)
    for entry in resources:
        if entry["custom"]:
            pulumi.CustomResource(entry["type"], entry["name"], {})
        else:
            pulumi.ComponentResource(entry["type"], entry["name"], None)
    # The process ends here: the loop is left open, as pulumi's own runner leaves it.
    loop.run_until_complete(wait_for_rpcs())
    return len(resources)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    spec = sub.add_parser("spec", help="record STACK and write its resource types and names")
    spec.add_argument("stack")
    spec.add_argument("path", type=Path)
    spec.add_argument("--services", type=int, default=None, help="the synthetic stack with N services")
    run = sub.add_parser("run", help="the floor process")
    run.add_argument("path", type=Path)
    args = parser.parse_args(argv)
    if args.command == "spec":
        written = write_spec(args.stack, args.path, services=args.services)
        print(f"{len(written['resources'])} resources")
    else:
        print(f"registered {run_floor(args.path)} resources")
    return 0


if __name__ == "__main__":
    sys.exit(main())
