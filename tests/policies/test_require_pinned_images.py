"""require-pinned-images: one change from the compliant task definition of conftest per test."""

import pytest
from fargate_policies.rules import require_pinned_images as rule

DIGEST = "sha256:" + "ab" * 32
ECR = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"


@pytest.fixture
def with_image(task_definition, container):
    """The compliant task definition whose first container ('app') runs ``image``."""
    def _with_image(image: object) -> dict:
        return task_definition(container(image=image), container("sidecar"))

    return _with_image


def test_baseline_passes(run, task_definition):
    assert run(task_definition()) == []


@pytest.mark.parametrize("image", [
    "nginx:1.27.0", "library/nginx:1.27", "localhost:5000/app:2", "registry.example.com:5000/team/app:v3",
    f"nginx:latest@{DIGEST}", f"registry:5000/app@{DIGEST}",
    f"public.ecr.aws/aws-observability/aws-otel-collector@{DIGEST}",
])
def test_pinned_images_pass(run, with_image, image):
    assert run(with_image(image)) == []


@pytest.mark.parametrize("image", [f"{ECR}:latest", "nginx:latest", "localhost:5000/app:latest", "app:LATEST"])
def test_latest(run, with_image, image):
    assert run(with_image(image)) == [rule.MSG_LATEST.format(container="container 'app'", value=f"'{image}'")]


@pytest.mark.parametrize("image", [ECR, "nginx", "registry.example.com:5000/team/app", "localhost:5000/app"])
def test_tagless(run, with_image, image):
    assert run(with_image(image)) == [rule.MSG_TAGLESS.format(container="container 'app'", value=f"'{image}'")]


def test_malformed_digest(run, with_image):
    image = "nginx@sha256:abc"
    assert run(with_image(image)) == [rule.MSG_BAD_DIGEST.format(container="container 'app'", value=f"'{image}'")]


@pytest.mark.parametrize(("image", "shown"), [(None, "not set"), ("", "''"), ("  ", "'  '")])
def test_missing_image(run, with_image, image, shown):
    assert run(with_image(image)) == [rule.MSG_IMAGE_MISSING.format(container="container 'app'", value=shown)]


@pytest.mark.parametrize(("image", "shown"), [("nginx:", "'nginx:'"), ("my app:1", "'my app:1'"), (5.0, "5")])
def test_unreadable_image(run, with_image, image, shown):
    assert run(with_image(image)) == [rule.MSG_IMAGE_UNREADABLE.format(container="container 'app'", value=shown)]


def test_other_resource_types_are_ignored(evaluate, with_image):
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", with_image("nginx"))
    assert outcome.violations == [] and outcome.not_applicable is None
