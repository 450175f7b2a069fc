"""Regenerate ``tools/checkov_checks.json``: the AWS checks of the pinned checkov, by id.

Each rule names the checkov checks it is equivalent to (``checkov=(...)``);
``tests/policies/test_meta.py`` checks every such id against this file, and
that the check reads a Terraform type the rule reads too. checkov pins many
packages of its own, so it is not a dependency of the project: it lives in the
benchmark's virtualenv, pinned in ``bench/requirements.txt``. This script uses
only the standard library and checkov, and runs under that virtualenv's Python
(``python -m bench`` creates it; so does ``python -m venv bench/.venv-checkov &&
bench/.venv-checkov/bin/pip install -r bench/requirements.txt``)::

    bench/.venv-checkov/bin/python policies/fargate_policies/tools/gen_checkov_catalogue.py
    bench/.venv-checkov/bin/python policies/fargate_policies/tools/gen_checkov_catalogue.py --check
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

OUTPUT = Path(__file__).resolve().with_name("checkov_checks.json")
AWS_CHECK_ID = re.compile(r"^CKV2?_AWS_\d+$")


def _registries() -> Iterable[Any]:
    """checkov's Terraform registries of Python checks (``terraform_plan`` runs the same ones); each registry
    module imports and so registers its checks."""
    from checkov.terraform.checks.data.registry import data_registry
    from checkov.terraform.checks.module.registry import module_registry
    from checkov.terraform.checks.provider.registry import provider_registry
    from checkov.terraform.checks.resource.registry import resource_registry

    return (resource_registry, data_registry, provider_registry, module_registry)


def read_checkov() -> tuple[str, dict[str, dict[str, Any]]]:
    """checkov's version and its AWS checks: id -> {"name", "resources" (Terraform types, sorted)}."""
    os.environ.setdefault("BC_SKIP_MAPPING", "TRUE")  # offline: no guideline download
    from checkov.common.checks_infra.registry import get_graph_checks_registry
    from checkov.version import version

    found: dict[str, tuple[str, set[str]]] = {}
    for registry in _registries():
        for resource_type, checks in (*registry.checks.items(), *registry.wildcard_checks.items()):
            for check in checks:
                found.setdefault(check.id, (check.name, set()))[1].add(resource_type)
    graph = get_graph_checks_registry("terraform")
    graph.load_checks()
    for check in graph.checks:
        found.setdefault(check.id, (check.name, set()))[1].update(check.resource_types)
    checks = {
        check_id: {"name": name, "resources": sorted(resources)}
        for check_id, (name, resources) in found.items()
        if AWS_CHECK_ID.fullmatch(check_id)
    }
    return version, checks


def render(version: str, checks: Mapping[str, Mapping[str, Any]]) -> str:
    """The file's exact text: the checkov version and one check per line, by id in numeric order."""

    def order(check_id: str) -> tuple[str, int]:
        prefix, number = check_id.rsplit("_", 1)
        return prefix, int(number)

    lines = [json.dumps(check_id) + ": " + json.dumps(checks[check_id], sort_keys=True)
             for check_id in sorted(checks, key=order)]
    return ('{"checkov": ' + json.dumps(version) + ', "checks": {\n' + ",\n".join(lines) + "\n}}\n")


def load(path: Path = OUTPUT) -> tuple[str, dict[str, dict[str, Any]]]:
    """The committed catalogue: checkov's version and its checks by id."""
    document = json.loads(path.read_text(encoding="utf-8"))
    return document["checkov"], document["checks"]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from checkov")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"file to write (default: {OUTPUT})")
    args = parser.parse_args(argv)
    try:
        text = render(*read_checkov())
    except ImportError as exc:
        print(f"error: cannot import checkov ({exc}); run this script with bench/.venv-checkov/bin/python",
              file=sys.stderr)
        return 2
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output} is out of date; run {Path(__file__).name} with checkov's Python", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({len(json.loads(text)['checks'])} checks)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
