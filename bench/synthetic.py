"""Synthetic stacks: the prod stack with N services built from the real components.

:func:`services_config` returns the ``fargate-platform:services`` value for N
services shaped like prod's ``api`` service (pinned image, secrets, task-role
statement, three scaling policies), each with its own name, path and
listener-rule priority. Run through ``run_program(..., config_overrides=...)``
it gives about 15 resources per service.
"""

from __future__ import annotations

import json
from typing import Any

SERVICES_KEY = "fargate-platform:services"
IMAGE = ("public.ecr.aws/docker/library/python:3.12.8-slim"
         "@sha256:10f3aaab98db50cba827d3b33a91f39dc9ec2d02ca9b85cbc5008220d07b17f3")
MAX_SERVICES = 50_000
"""Listener rule priorities run from 1 to 50,000."""


def service(index: int) -> dict[str, Any]:
    """The settings of synthetic service ``index`` (0-based)."""
    name = f"svc{index:05d}"
    return {
        "name": name,
        "image": IMAGE,
        "cpu": 512,
        "memory": 1024,
        "architecture": "ARM64",
        "containerPort": 8080,
        "healthCheckPath": "/health",
        "environment": {"LOG_LEVEL": "info"},
        "secrets": {"API_SIGNING_KEY": f"arn:aws:ssm:us-east-1:123456789012:parameter/prod/{name}/signing-key"},
        "pathPatterns": [f"/{name}/*"],
        "priority": index + 1,
        "desiredCount": 2,
        "minCount": 2,
        "maxCount": 10,
        "cpuTarget": 60,
        "memoryTarget": 75,
        "requestsPerTarget": 1000,
        "minHealthyPercent": 100,
        "taskRoleStatements": [{"effect": "Allow", "actions": ["s3:GetObject"],
                                "resources": [f"arn:aws:s3:::example-prod-{name}-assets/*"]}],
    }


def services_config(count: int) -> str:
    """The ``fargate-platform:services`` config value (JSON) for ``count`` services."""
    if not 1 <= count <= MAX_SERVICES:
        raise ValueError(f"service count {count}: allowed 1 to {MAX_SERVICES}")
    return json.dumps([service(i) for i in range(count)])


def overrides(count: int) -> dict[str, str]:
    """``config_overrides`` for :func:`stacks.offline.runner.run_program`."""
    return {SERVICES_KEY: services_config(count)}
