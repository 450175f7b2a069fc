"""A real ``up`` then ``destroy`` of the dev stack through ``stacks.automation``.

Runs only with the ``pulumi`` CLI on PATH and either AWS credentials or
``FARGATE_PLATFORM_TEST_ENDPOINT`` (an AWS emulator such as ``moto_server``); skipped
otherwise. State goes to a temporary ``file://`` backend, never to ``.pulumi-state/``, so
a developer's own local dev stack is left alone; ``Pulumi.dev.yaml`` is restored afterwards
(``stack init`` with a passphrase writes an ``encryptionsalt`` into it).

    FARGATE_PLATFORM_TEST_ENDPOINT=http://localhost:5000 PULUMI_CONFIG_PASSPHRASE=test \\
        .venv/bin/python -m pytest -m integration tests/integration
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from stacks.automation import destroy, up
from stacks.automation.backend import REPO_ROOT

pytestmark = pytest.mark.integration

ENDPOINT_VAR = "FARGATE_PLATFORM_TEST_ENDPOINT"
STACK = "dev"

# Any of these means the AWS SDK's default credential chain has something to work with.
AWS_CREDENTIAL_VARS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def _aws_credentials_present() -> bool:
    if any(os.environ.get(var) for var in AWS_CREDENTIAL_VARS):
        return True
    shared = os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or Path.home() / ".aws" / "credentials"
    return Path(shared).is_file()


def _missing_prerequisite() -> str | None:
    if shutil.which("pulumi") is None:
        return "the pulumi CLI is not on PATH (install: curl -fsSL https://get.pulumi.com | sh)"
    if not os.environ.get(ENDPOINT_VAR) and not _aws_credentials_present():
        return (f"no AWS credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE or ~/.aws/credentials) and {ENDPOINT_VAR} "
                "is not set (e.g. http://localhost:5000 with moto_server running)")
    return None


@pytest.fixture
def stack_file_restored() -> Iterator[None]:
    """Put ``Pulumi.dev.yaml`` back byte for byte (or remove it) when the test ends."""
    path = REPO_ROOT / f"Pulumi.{STACK}.yaml"
    before = path.read_bytes() if path.exists() else None
    try:
        yield
    finally:
        if before is None:
            path.unlink(missing_ok=True)
        else:
            path.write_bytes(before)


def test_up_then_destroy_dev_on_a_local_backend(tmp_path, monkeypatch, stack_file_restored):
    reason = _missing_prerequisite()
    if reason:
        pytest.skip(reason)
    endpoint = os.environ.get(ENDPOINT_VAR) or None
    if "PULUMI_CONFIG_PASSPHRASE" not in os.environ and "PULUMI_CONFIG_PASSPHRASE_FILE" not in os.environ:
        monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "fargate-platform-integration-test")
    state = tmp_path / "state"

    try:
        deployed = up(STACK, state_dir=state, endpoint=endpoint)
    finally:
        # Always tear down, so a half-finished up leaves nothing behind (in AWS or the emulator).
        destroyed = destroy(STACK, state_dir=state, endpoint=endpoint)

    assert deployed.kind == "up" and deployed.policy_checked
    assert deployed.policy_config == str(REPO_ROOT / "policies" / "config" / f"{STACK}.json")
    assert not deployed.policy_defaults, "dev's own policy config chose the levels"
    assert deployed.changes.created > 0, deployed.changes
    assert not [v for v in deployed.policy_violations if v.mandatory], deployed.policy_violations
    assert deployed.outputs, "the dev stack exports outputs"
    assert destroyed.changes.deleted > 0, destroyed.changes
    assert destroyed.changes.deleted >= deployed.changes.created, (deployed.changes, destroyed.changes)
