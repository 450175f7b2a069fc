"""The ``python -m stacks`` command line.

Each subcommand lives in its own module, which exposes ``register(subparsers)``
and sets ``func`` on its parser. ``func(args) -> int`` returns the exit code.
Nothing here has side effects at import.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

# Modules that contribute subcommands, in the order they appear in --help.
_COMMAND_MODULES = ("stacks.offline.plan", "stacks.offline.audit", "stacks.automation.command")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m stacks",
        description="Plan fargate-platform stacks offline, or drive them through the Pulumi Automation API.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in _COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None, *, one_shot: bool = False) -> int:
    """Run one command; ``one_shot``: the process ends after it (``python -m stacks``), so a plan need not
    collect its program's garbage (:func:`stacks.offline.runner.run_program`)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    args.one_shot = one_shot
    return int(args.func(args))
