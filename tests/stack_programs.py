"""The real dev and prod programs, each run once per test process and shared by the tests that read them."""

from __future__ import annotations

import functools
from pathlib import Path

from stacks.offline.runner import ProgramRun, run_program

ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def program(stack_name: str) -> ProgramRun:
    """What the real ``__main__.py`` registers for ``stack_name`` under the mocks (tests only read it)."""
    return run_program(ROOT, stack_name)
