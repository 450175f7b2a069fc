"""The fargate-platform CrossGuard policy pack: its rules, the AWS facts they check, and its cost estimator."""

__version__ = "0.1.0"
"""The pack's version: ``PulumiPolicy.yaml`` and the package metadata carry this same value (a test checks)."""

REPOSITORY = "https://fargate-platform.invalid/fargate-platform"
"""Where the pack's source lives: the pack's ``repository`` and each policy's ``url`` (a section of
``policies/README.md`` there) start from it. A placeholder until the project has a public home: set it to the
repository's address (then README_URL to the README as the host serves it) before publishing."""

README_URL = f"{REPOSITORY}/blob/main/policies/README.md"
"""The pack's README as its repository shows it; each rule has an anchor named after it in the rules table."""

DESCRIPTION = (
    "Production rules for ECS on Fargate stacks (network, logging, task definitions, services, load balancers, "
    "IAM, tagging)."
)
"""What the pack is for: ``PulumiPolicy.yaml``'s ``description`` says the same (a test checks)."""
