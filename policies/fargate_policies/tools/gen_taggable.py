"""Regenerate ``rules/_taggable.json``: the type tokens whose pulumi-aws resource takes a ``tags`` input.

The pack must not import pulumi-aws at run time, so ``require-tags`` reads this
file. Run after every pulumi-aws upgrade (``tests/policies/test_require_tags.py``
fails until you do)::

    .venv/bin/python policies/tools/gen_taggable.py          # rewrite the file
    .venv/bin/python policies/tools/gen_taggable.py --check  # exit 1 when it is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

PACK_DIR = Path(__file__).resolve().parents[2]
OUTPUT = PACK_DIR / "fargate_policies" / "rules" / "_taggable.json"


def taggable_tokens(catalog: dict | None = None) -> list[str]:
    """Sorted tokens, current and alias, of every resource type whose ``tags`` input holds resource tags."""
    from fargate_policies.tools import aws_catalog

    catalog = aws_catalog.scan() if catalog is None else catalog
    tokens: set[str] = set()
    for resource in catalog.values():
        if resource.taggable:
            tokens.add(resource.token)
            tokens.update(resource.aliases)
    return sorted(tokens)


def render(tokens: Sequence[str]) -> str:
    """The file's exact text: a JSON array, one token per line."""
    return json.dumps(list(tokens), indent=0) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from pulumi-aws")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"file to write (default: {OUTPUT})")
    args = parser.parse_args(argv)
    try:
        text = render(taggable_tokens())
    except (RuntimeError, OSError) as exc:
        print(f"error: cannot read pulumi-aws: {exc}", file=sys.stderr)
        return 2
    current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
    if args.check:
        if current != text:
            print(f"{args.output} is out of date; run policies/tools/gen_taggable.py", file=sys.stderr)
            return 1
        return 0
    if current != text:
        args.output.write_text(text, encoding="utf-8")
        print(f"wrote {args.output} ({len(json.loads(text))} types)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
