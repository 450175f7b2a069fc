"""Entry point of the fargate-platform CrossGuard policy pack.

This module only assembles the pack. Every rule lives in its own module under
``fargate_policies/rules/``; enforcement per environment comes from ``config/<stack>.json``.
"""

from pathlib import Path

from fargate_policies import DESCRIPTION, REPOSITORY
from fargate_policies.rules import ALL_POLICIES
from pulumi_policy import PolicyPack

PolicyPack(
    name="fargate-platform",
    policies=ALL_POLICIES,
    description=DESCRIPTION,
    display_name="Fargate platform",
    readme=(Path(__file__).parent / "README.md").read_text(encoding="utf-8"),
    provider="aws",
    tags=["aws", "ecs", "fargate"],
    repository=REPOSITORY,
)
