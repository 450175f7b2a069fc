"""Render the rules table of ``policies/README.md`` from the pack's own metadata.

The table sits between ``<!-- rules:start -->`` and ``<!-- rules:end -->``. Each
row comes from a policy in ``rules.ALL_POLICIES`` (name, with the anchor its ``url`` names, severity, description,
Security Hub controls and checkov checks) and from the config files in
``policies/config/`` (the level, and any threshold, each environment sets)::

    .venv/bin/python policies/tools/gen_readme.py          # rewrite the table
    .venv/bin/python policies/tools/gen_readme.py --check  # exit 1 when it is stale
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

PACK_DIR = Path(__file__).resolve().parents[2]
README = PACK_DIR / "README.md"
CONFIG_DIR = PACK_DIR / "config"
START = "<!-- rules:start -->"
END = "<!-- rules:end -->"


def load_configs(config_dir: Path = CONFIG_DIR) -> dict[str, dict[str, Any]]:
    """Environment name (file stem) -> parsed policy config, in name order."""
    return {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in sorted(config_dir.glob("*.json"))}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def level_in(policy: Any, config: Mapping[str, Any]) -> str:
    """What one config file sets for ``policy``: its level and thresholds, or the pack default."""
    entry = config.get(policy.name)
    fallback = config.get("all")
    settings: dict[str, Any] = {}
    if isinstance(entry, str):
        level = entry
    elif isinstance(entry, Mapping):
        level = entry.get("enforcementLevel") or fallback or f"{policy.enforcement_level.value} (pack default)"
        settings = {k: v for k, v in entry.items() if k != "enforcementLevel"}
    else:
        level = fallback or f"{policy.enforcement_level.value} (pack default)"
    if settings:
        level += "<br>" + "<br>".join(f"`{k}`: `{json.dumps(v)}`" for k, v in sorted(settings.items()))
    return level


def anchor(name: str) -> str:
    """The anchor a policy's ``url`` points at (``README.md#<name>``), in the first cell of its row."""
    return f'<a id="{name}"></a>'


def render_table(policies: Sequence[Any], configs: Mapping[str, Mapping[str, Any]]) -> str:
    """The Markdown table, one row per policy, sorted by name."""
    environments = list(configs)
    header = ["Rule", "Severity", "What it checks", *environments, "Security Hub", "checkov"]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for policy in sorted(policies, key=lambda p: p.name):
        row = [
            f'{anchor(policy.name)}`{policy.name}`',
            policy.severity.value if policy.severity is not None else "",
            _cell(policy.description),
            *(level_in(policy, configs[env]) for env in environments),
            ", ".join(getattr(policy, "security_hub", ())) or "",
            ", ".join(getattr(policy, "checkov", ())) or "",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def with_table(readme: str, table: str) -> str:
    """``readme`` with the text between the markers replaced by ``table``."""
    start, end = readme.find(START), readme.find(END)
    if start < 0 or end < start:
        raise ValueError(f"README has no {START} ... {END} block")
    return readme[: start + len(START)] + "\n" + table + "\n" + readme[end:]


def current_table() -> str:
    """The table for the pack as it is now (imports ``rules`` from the pack directory)."""
    from fargate_policies import rules

    return render_table(rules.ALL_POLICIES, load_configs())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when README.md's table is out of date")
    args = parser.parse_args(argv)
    readme = README.read_text(encoding="utf-8")
    try:
        updated = with_table(readme, current_table())
    except ValueError as exc:
        print(f"error: {README}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if updated != readme:
            print(f"{README} is out of date; run policies/tools/gen_readme.py", file=sys.stderr)
            return 1
        return 0
    if updated != readme:
        README.write_text(updated, encoding="utf-8")
        print(f"updated {README}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
