"""Preview a stack, and deploy it only if the preview has changes and no blocking policy violation.

An example of scripting on top of ``stacks.automation``. Run it from the project root:

    .venv/bin/python -m examples.deploy dev             # logged-in backend
    .venv/bin/python -m examples.deploy dev --local     # file:// backend, needs PULUMI_CONFIG_PASSPHRASE
    .venv/bin/python -m examples.deploy prod --yes      # protected stacks need --yes
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from stacks.automation import ExitCode, describe_error, describe_levels, is_protected, preview, up


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stack", help="stack to deploy, e.g. dev")
    parser.add_argument("--local", action="store_true", help="use the file:// backend in .pulumi-state/")
    parser.add_argument("--yes", action="store_true", help="deploy even if the stack is protected")
    parser.add_argument("--dry-run", action="store_true", help="preview only")
    args = parser.parse_args(argv)

    if is_protected(args.stack) and not args.yes:
        print(f"{args.stack}: protected stack; pass --yes to deploy it", file=sys.stderr)
        return ExitCode.NOT_CONFIRMED

    try:
        plan = preview(args.stack, local=args.local)
        print(f"{args.stack}: {plan.changes.describe(planned=True)}")
        if plan.policy_defaults:  # no policies/config/<stack>.json: nobody chose this stack's levels
            print(f"  warning: the pack ran at its default levels ({describe_levels(plan.policy_defaults)})")
        for violation in plan.policy_violations:
            print(f"  {violation.enforcement_level}: {violation.policy_name}: {violation.message}")
        if args.dry_run or not plan.has_changes:
            return 0

        result = up(args.stack, local=args.local)
    except Exception as exc:  # the Automation API's typed errors, and stacks.automation's own
        code, line = describe_error(exc, args.stack, "deploy")
        print(line, file=sys.stderr)
        return int(code)

    print(f"{args.stack}: deployed: {result.changes.describe()}")
    for output in result.outputs.values():
        print(f"  {output.name} = {output.display}")  # display masks secrets
    return 0


if __name__ == "__main__":
    sys.exit(main())
