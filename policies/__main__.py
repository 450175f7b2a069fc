"""Entry point of the fargate-platform CrossGuard policy pack.

This module only assembles the pack. Every rule lives in its own module under
``rules/``; enforcement per environment comes from ``config/<stack>.json``.
"""

import gc
import os

from pulumi_policy import PolicyPack
from rules import ALL_POLICIES
from rules._dispatch import install

# Route each resource only to the rules that read its type (FARGATE_POLICY_DISPATCH=sdk keeps the SDK's loop).
if os.environ.get("FARGATE_POLICY_DISPATCH") != "sdk":
    install()

# Evaluating a stack allocates a few objects for every property read, and few of them ever form cycles; with
# the collector's default thresholds a large stack spends a third of its time re-scanning live objects.
gc.freeze()
gc.set_threshold(10_000, 50, 1_000)

PolicyPack(name="fargate-platform", policies=ALL_POLICIES)
