"""Drive stacks through the Pulumi Automation API: ``from stacks.automation import preview, up``."""

from stacks.automation.driver import *  # noqa: F403
from stacks.automation.driver import __all__  # noqa: F401
