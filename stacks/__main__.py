"""``python -m stacks``: offline plan and the Automation API driver."""

import sys

from stacks.cli import main

sys.exit(main())
