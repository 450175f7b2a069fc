"""require-pinned-images."""

import json

import pytest
from fargate_policies.rules import require_pinned_images as rule

TASK = "aws:ecs/taskDefinition:TaskDefinition"
DIGEST = "sha256:" + "ab" * 32
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"


def baseline(*images: object) -> dict:
    """A compliant task definition: one image by version tag, one by digest."""
    images = images or (f"{ECR}:1.4.2", f"public.ecr.aws/aws-observability/aws-otel-collector@{DIGEST}")
    containers = [{"name": f"c{i}", "image": image} for i, image in enumerate(images)]
    return {"family": "app", "containerDefinitions": json.dumps(containers)}


@pytest.fixture
def run(evaluate):
    def _run(props: dict) -> list[str]:
        return evaluate(rule.POLICY, TASK, props).messages

    return _run


def test_baseline_passes(run):
    assert run(baseline()) == []


@pytest.mark.parametrize("image", [
    "nginx:1.27.0", "library/nginx:1.27", "localhost:5000/app:2", "registry.example.com:5000/team/app:v3",
    f"nginx:latest@{DIGEST}", f"registry:5000/app@{DIGEST}",
])
def test_pinned_images_pass(run, image):
    assert run(baseline(image)) == []


@pytest.mark.parametrize("image", [f"{ECR}:latest", "nginx:latest", "localhost:5000/app:latest", "app:LATEST"])
def test_latest(run, image):
    assert run(baseline(image)) == [rule.MSG_LATEST.format(container="container 'c0'", value=f"'{image}'")]


@pytest.mark.parametrize("image", [ECR, "nginx", "registry.example.com:5000/team/app", "localhost:5000/app"])
def test_tagless(run, image):
    assert run(baseline(image)) == [rule.MSG_TAGLESS.format(container="container 'c0'", value=f"'{image}'")]


def test_malformed_digest(run):
    image = "nginx@sha256:abc"
    assert run(baseline(image)) == [rule.MSG_BAD_DIGEST.format(container="container 'c0'", value=f"'{image}'")]


@pytest.mark.parametrize(("image", "shown"), [(None, "not set"), ("", "''"), ("  ", "'  '")])
def test_missing_image(run, image, shown):
    assert run(baseline(image)) == [rule.MSG_IMAGE_MISSING.format(container="container 'c0'", value=shown)]


@pytest.mark.parametrize(("image", "shown"), [("nginx:", "'nginx:'"), ("my app:1", "'my app:1'"), (5.0, "5")])
def test_unreadable_image(run, image, shown):
    assert run(baseline(image)) == [rule.MSG_IMAGE_UNREADABLE.format(container="container 'c0'", value=shown)]


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", baseline("nginx"))
    assert outcome.violations == [] and outcome.not_applicable is None
