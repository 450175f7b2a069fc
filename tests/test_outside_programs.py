"""The gate on public Pulumi programs written outside this project (``tests/fixtures/outside/*``).

Each program runs through ``python -m stacks plan test --project-dir <dir>``
under the prod policy config, must reach a verdict (exit 0 or 1, never 2:
every data source, image build and component it uses is answered), and must
get findings that are true of it, and not findings that would be false.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Each program is gated through the documented command in its own process: `make test-slow` runs it
# (CI runs both suites).
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE = Path(__file__).resolve().parent / "fixtures" / "outside"
PROD = ROOT / "policies" / "config" / "prod.json"

# Findings that are true of each program: (policy, resource name), each mandatory under prod.
TRUE_FINDINGS = {
    "aws-py-fargate": [
        ("disallow-ecs-public-ip", "app-svc"),  # assign_public_ip=True
        ("require-pinned-images", "app-task"),  # image "nginx", no tag
        ("require-container-log-configuration", "app-task"),
        ("require-non-root-user", "app-task"),
    ],
    "aws-py-voting-app": [
        ("disallow-ecs-public-ip", "flask-service"),
        ("disallow-ecs-public-ip", "redis-service"),
        ("disallow-open-ingress", "security-group"),  # tcp 0-65535 from 0.0.0.0/0
        ("require-immutable-image-references", "redis-task-definition"),  # redis:alpine
    ],
    "aws-py-wordpress-fargate-rds": [
        ("disallow-plaintext-secrets", "wp-example-fe-app-task"),  # WORDPRESS_DB_PASSWORD in environment
        ("disallow-open-ingress", "wp-example-net-rds-sg"),  # MySQL open to 0.0.0.0/0
        ("disallow-ecs-public-ip", "wp-example-fe-app-svc"),
        ("require-pinned-images", "wp-example-fe-app-task"),  # image "wordpress", no tag
    ],
    "aws-py-ecs-instances-autoapi": [
        ("require-pinned-images", "my-app"),  # image "nginx", no tag
        ("require-container-log-configuration", "my-app"),
        ("require-container-insights", "cluster"),
    ],
    "aws-py-langserve": [
        ("disallow-ecs-public-ip", "langserve-service"),
        ("disallow-open-ingress", "langserve-ecs-security-group"),  # every protocol from 0.0.0.0/0
        ("require-container-insights", "langserve-ecs-cluster"),  # containerInsights "disabled"
    ],
    "awsx-ecs-python": [
        ("require-container-insights", "default-cluster"),
    ],
}

# Findings that would be false: what the program does right, judged on values only the mocks can supply.
FALSE_FINDINGS = {
    # The Flask image is the one the program builds and pushes; its reference carries the build's digest.
    "aws-py-voting-app": [("require-pinned-images", "flask-task-definition")],
    # The container's image is the pushed image's repo digest, and it logs to a log group of the program.
    "aws-py-langserve": [("require-pinned-images", "langserve-task-definition"),
                         ("require-container-log-configuration", "langserve-task-definition")],
}


def gate(project: Path, json_path: Path) -> tuple[int, str, dict | None]:
    # The documented command, in a process of its own: an outside program loads SDK modules this test
    # process may be loading on another thread, and Pulumi's lazy module loader is not thread-safe.
    done = subprocess.run([sys.executable, "-m", "stacks", "plan", "test", "--project-dir", str(project),
                           "--policy-config", str(PROD), "--json", str(json_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stderr, json.loads(json_path.read_text()) if json_path.exists() else None


def test_every_outside_program_is_listed():
    found = sorted(p.name for p in OUTSIDE.iterdir() if (p / "Pulumi.yaml").is_file())
    assert found == sorted(TRUE_FINDINGS), found
    for program in found:
        assert (OUTSIDE / program / "LICENSE").is_file(), f"{program}: the upstream licence is kept"
        assert (OUTSIDE / program / "README.md").is_file(), f"{program}: says where it came from"


# aws-py-langserve reads get_region().name, which the provider SDK announces as deprecated.
@pytest.mark.filterwarnings("ignore:name is deprecated:UserWarning")
@pytest.mark.parametrize("program", sorted(TRUE_FINDINGS))
def test_the_gate_reaches_a_true_verdict(program, tmp_path):
    code, err, doc = gate(OUTSIDE / program, tmp_path / "plan.json")
    assert code in (0, 1), f"{program}: exit {code}: {err}"
    found = {(v["policy"], v["urn"].rsplit("::", 1)[1]): v for v in doc["violations"]}
    for policy, name in TRUE_FINDINGS[program]:
        violation = found.get((policy, name))
        assert violation is not None, f"{program}: no {policy} on {name}"
        assert violation["level"] == "mandatory", f"{violation['urn']}: {policy} is {violation['level']}"
    for policy, name in FALSE_FINDINGS.get(program, ()):
        assert (policy, name) not in found, f"{program}: {policy} on {name}: {found.get((policy, name))}"
    assert code == (1 if any(v["level"] == "mandatory" for v in doc["violations"]) else 0)
