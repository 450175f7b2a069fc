"""Entry point of the fargate-platform CrossGuard policy pack.

This module only assembles the pack. Every rule lives in its own module under
``rules/``; enforcement per environment comes from ``config/<stack>.json``.
"""

from pulumi_policy import PolicyPack
from rules import ALL_POLICIES

PolicyPack(name="fargate-platform", policies=ALL_POLICIES)
