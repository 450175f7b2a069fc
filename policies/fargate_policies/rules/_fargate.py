"""The Fargate platform facts the shared ECS helpers read; every Fargate fact lives in :mod:`fargate_policies.facts`."""

from ..facts import is_windows_family

__all__ = ["is_windows_family"]
