"""Drive this project's stacks through the Pulumi Automation API: ``from stacks.automation import preview, up``.

``driver`` holds the operations (``audit`` runs the offline pack over a stack's exported
state), ``command`` the ``python -m stacks preview|up|…`` command line, ``progress`` the
engine-event tracker and its renderer, ``backend`` the backend and emulator settings and
the stack files, ``errors`` the errors and their exit codes.
"""

from stacks.automation.backend import (
    ConfigEntry,
    StackSpec,
    endpoint_config,
    endpoint_settings,
    is_protected,
    stack_spec,
)
from stacks.automation.driver import (
    OperationResult,
    StackOptions,
    StackOutput,
    audit,
    describe_levels,
    destroy,
    drift,
    export_deployment,
    outputs,
    pack_default_levels,
    policy_options,
    preview,
    refresh,
    run,
    up,
)
from stacks.automation.errors import (
    AutomationError,
    CliNotFoundError,
    ConfigurationError,
    ExitCode,
    NotConfirmedError,
    OperationCancelled,
    describe_error,
)
from stacks.automation.progress import ChangeSummary, PolicyViolation, ProgressTracker

__all__ = [
    "AutomationError",
    "ChangeSummary",
    "CliNotFoundError",
    "ConfigEntry",
    "ConfigurationError",
    "ExitCode",
    "NotConfirmedError",
    "OperationCancelled",
    "OperationResult",
    "PolicyViolation",
    "ProgressTracker",
    "StackOptions",
    "StackOutput",
    "StackSpec",
    "audit",
    "describe_error",
    "describe_levels",
    "destroy",
    "drift",
    "endpoint_config",
    "endpoint_settings",
    "export_deployment",
    "is_protected",
    "outputs",
    "pack_default_levels",
    "policy_options",
    "preview",
    "refresh",
    "run",
    "stack_spec",
    "up",
]
