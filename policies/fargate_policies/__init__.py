"""The fargate-platform CrossGuard policy pack: its rules, the AWS facts they check, and its cost estimator."""

__version__ = "0.1.0"
"""The pack's version: ``PulumiPolicy.yaml`` and the package metadata carry this same value (a test checks)."""
