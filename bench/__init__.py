"""Benchmarks of the offline plan, the policy pack and checkov (``python -m bench``; see bench/README.md)."""
