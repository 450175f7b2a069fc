"""Shared fixtures: Pulumi mocks for component unit tests.

The ``pulumi_mocks`` fixture installs :class:`stacks.offline.mocks.PlatformMocks` (whose
``call`` raises on any invoke it does not know) and puts the runtime's
settings and config back afterwards, so tests cannot leak state into each other.
"""

from __future__ import annotations

import pulumi
import pytest
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings

PROJECT = "fargate-platform"


@pytest.fixture
def pulumi_mocks():
    from stacks.offline.mocks import PlatformMocks

    saved_settings = dict(runtime_settings.SETTINGS.__dict__)
    saved_root = runtime_settings.ROOT.get()
    saved_config = dict(runtime_config.CONFIG.get())
    saved_secret_keys = set(runtime_config._SECRET_KEYS.get())
    mocks = PlatformMocks()
    runtime_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack="test", preview=False)
    try:
        yield mocks
    finally:
        runtime_settings.SETTINGS.__dict__.update(saved_settings)
        runtime_settings.ROOT.set(saved_root)
        runtime_config.CONFIG.set(saved_config)
        runtime_config._SECRET_KEYS.set(saved_secret_keys)
