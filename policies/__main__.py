"""Entry point of the fargate-platform CrossGuard policy pack.

This module only assembles the pack. Every rule lives in its own module under
``rules/``; enforcement per environment comes from ``config/<stack>.json``.
"""

import os

from fargate_policies.rules import ALL_POLICIES
from fargate_policies.rules._dispatch import install, tune_collector
from pulumi_policy import PolicyPack

# Route each resource only to the rules that read its type (FARGATE_POLICY_DISPATCH=sdk keeps the SDK's loop).
if os.environ.get("FARGATE_POLICY_DISPATCH") != "sdk":
    install()

tune_collector()

PolicyPack(name="fargate-platform", policies=ALL_POLICIES)
