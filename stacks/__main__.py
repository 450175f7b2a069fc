"""``python -m stacks``: offline plan and the Automation API driver."""

import gc
import sys

from stacks.cli import main

code = main(one_shot=True)
# Nothing is left to clean up: skip collecting the provider SDK's objects one by one at exit.
gc.freeze()
sys.exit(code)
