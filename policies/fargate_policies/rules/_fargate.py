"""What AWS Fargate accepts for a task's size and platform, stated once.

Source: "Task CPU and memory" and "Fargate task ephemeral storage" in the
Amazon ECS Developer Guide. CPU is in CPU units (1024 = 1 vCPU), memory in MiB.
"""

from __future__ import annotations

import re
from typing import Any

from ._common import as_int


def _steps(first: int, last: int, step: int) -> tuple[int, ...]:
    return tuple(range(first, last + 1, step))


# Task-level cpu -> every memory value Fargate accepts with it.
MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _steps(1024, 4096, 1024),
    1024: _steps(2048, 8192, 1024),
    2048: _steps(4096, 16384, 1024),
    4096: _steps(8192, 30720, 1024),
    8192: _steps(16384, 61440, 4096),
    16384: _steps(32768, 122880, 8192),
}
VALID_CPUS: tuple[int, ...] = tuple(MEMORY_BY_CPU)

# ephemeralStorage.sizeInGib: the 20 GiB default is implied; an explicit value must be 21..200.
EPHEMERAL_STORAGE_MIN_GIB = 21
EPHEMERAL_STORAGE_MAX_GIB = 200

CPU_ARCHITECTURES: tuple[str, ...] = ("X86_64", "ARM64")
LINUX = "LINUX"
# WINDOWS_SERVER_2019_CORE, WINDOWS_SERVER_2022_FULL, ... (AWS adds families over time).
WINDOWS_FAMILY = re.compile(r"WINDOWS_SERVER_[A-Z0-9]+_(CORE|FULL)")
# Windows containers on Fargate need at least 1 vCPU and run on X86_64 only.
WINDOWS_MIN_CPU = 1024
WINDOWS_ARCHITECTURE = "X86_64"

_VCPU = re.compile(r"(\d+(?:\.\d+)?)\s*vcpu", re.IGNORECASE)
_GB = re.compile(r"(\d+(?:\.\d+)?)\s*gb", re.IGNORECASE)


def _scaled(value: Any, unit: re.Pattern[str]) -> int | None:
    """Units from a number, a digit string, or a string with the unit ECS also accepts ("1 vCPU", "2 GB")."""
    plain = as_int(value)
    if plain is not None:
        return plain
    if isinstance(value, str):
        match = unit.fullmatch(value.strip())
        if match:
            scaled = float(match.group(1)) * 1024
            if scaled.is_integer():
                return int(scaled)
    return None


def cpu_units(value: Any) -> int | None:
    """Task cpu in CPU units: 256, 256.0, "256" and "0.25 vCPU" all give 256; None when unreadable."""
    return _scaled(value, _VCPU)


def memory_mib(value: Any) -> int | None:
    """Task memory in MiB: 2048, "2048" and "2 GB" all give 2048; None when unreadable."""
    return _scaled(value, _GB)


def allowed_memory(cpu: int) -> tuple[int, ...]:
    """The memory values Fargate accepts with ``cpu`` (empty for a cpu Fargate does not offer)."""
    return MEMORY_BY_CPU.get(cpu, ())


def is_valid_size(cpu: int, memory: int) -> bool:
    return memory in MEMORY_BY_CPU.get(cpu, ())


def is_windows_family(family: Any) -> bool:
    return isinstance(family, str) and WINDOWS_FAMILY.fullmatch(family) is not None


def valid_pairs() -> list[tuple[int, int]]:
    """Every (cpu, memory) pair Fargate accepts."""
    return [(cpu, memory) for cpu, memories in MEMORY_BY_CPU.items() for memory in memories]
