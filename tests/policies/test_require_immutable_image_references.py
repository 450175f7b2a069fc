"""require-immutable-image-references (stack rule)."""

import json

import pytest
from fargate_policies.rules import require_immutable_image_references as rule
from fargate_policies.rules._common import ECR_REPOSITORY, ECS_TASK_DEFINITION
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
DIGEST = "sha256:" + "0f" * 32
ON = {"required": True}


def definitions(*images: str) -> str:
    return json.dumps([{"name": f"c{i}", "image": image} for i, image in enumerate(images)])


def build(b, *images: str, repository: dict | None = None) -> None:
    """A compliant stack in any of the engine's modes: the app image from this stack's IMMUTABLE repository,
    the sidecar pinned by digest."""
    images = images or (f"{REGISTRY}/app-5d1f2e:1.4.2", f"public.ecr.aws/datadog/agent@{DIGEST}")
    repo = b.add(ECR_REPOSITORY[0], "app", {
        "name": "app-5d1f2e", "imageTagMutability": "IMMUTABLE",
        "repositoryUrl": b.ref_value(f"{REGISTRY}/app-5d1f2e"), **(repository or {}),
    }, id="app-5d1f2e")
    b.add(ECS_TASK_DEFINITION[0], "app-task", {
        "family": "app", "containerDefinitions": b.ref_value(definitions(*images)),
    }, containerDefinitions=[repo])


@pytest.fixture
def run(evaluate_stack):
    def _run(resources: list, config: dict | None = None) -> list[tuple[str | None, str]]:
        return evaluate_stack(rule.POLICY, resources, {**ON, **(config or {})}).violations

    return _run


def test_baseline_passes_in_every_mode(run, stack_builder):
    build(stack_builder)
    assert run(stack_builder.resources) == []


def test_not_required_is_not_applicable(evaluate_stack, node):
    task = node(ECS_TASK_DEFINITION[0], "t", {"containerDefinitions": definitions("nginx:1.27")})
    outcome = evaluate_stack(rule.POLICY, [task], {})
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_REQUIRED


@pytest.mark.parametrize(("mutability", "shown"), [("MUTABLE", "'MUTABLE'"), (None, "not set")])
def test_mutable_repository_of_the_stack(run, stack_builder, mutability, shown):
    build(stack_builder, repository={"imageTagMutability": mutability})
    if stack_builder.mode == "preview":
        # The container list is unknown at first preview: require-verifiable-container-definitions reports it.
        assert run(stack_builder.resources) == []
        return
    assert run(stack_builder.resources) == [(stack_builder["app-task"].urn, rule.MSG_MUTABLE_TAG.format(
        container="container 'c0'", image=f"'{REGISTRY}/app-5d1f2e:1.4.2'", repository="app-5d1f2e",
        value=shown, tag="1.4.2"))]


def test_linked_by_dependency_when_the_url_is_a_placeholder(run, node):
    # Under mocks the repository URL is whatever the mock returned, not an ECR-shaped host.
    repo = node(ECR_REPOSITORY[0], "app", {"name": "app", "imageTagMutability": "IMMUTABLE",
                                           "repositoryUrl": "app-repository-url"})
    task = node(ECS_TASK_DEFINITION[0], "t", {"containerDefinitions": definitions("app-repository-url:1.4.2")},
                containerDefinitions=[repo])
    assert run([repo, task]) == []


def test_ecr_repository_outside_the_stack(run, node):
    image = "210987654321.dkr.ecr.us-east-1.amazonaws.com/shared/base:3.1"
    task = node(ECS_TASK_DEFINITION[0], "t", {"containerDefinitions": definitions(image)})
    assert run([task]) == [(task.urn, rule.MSG_OUTSIDE_STACK.format(
        container="container 'c0'", image=f"'{image}'", repository="shared/base",
        name="210987654321.dkr.ecr.us-east-1.amazonaws.com/shared/base"))]


def test_ecr_repository_outside_the_stack_pinned_by_digest_passes(run, node):
    image = f"210987654321.dkr.ecr.us-east-1.amazonaws.com/shared/base@{DIGEST}"
    assert run([node(ECS_TASK_DEFINITION[0], "t", {"containerDefinitions": definitions(image)})]) == []


def test_public_image_by_tag(run, node):
    task = node(ECS_TASK_DEFINITION[0], "t", {"containerDefinitions": definitions("nginx:1.27.0")})
    assert run([task]) == [(task.urn, rule.MSG_NOT_PINNED.format(
        container="container 'c0'", image="'nginx:1.27.0'", name="nginx"))]


@pytest.mark.parametrize(("mode", "tag", "passes"), [
    ("IMMUTABLE_WITH_EXCLUSION", "1.4.2", True),
    ("IMMUTABLE_WITH_EXCLUSION", "dev-42", False),
    ("MUTABLE_WITH_EXCLUSION", "release-1.4.2", True),
    ("MUTABLE_WITH_EXCLUSION", "1.4.2", False),
])
def test_exclusion_filters(run, node, mode, tag, passes):
    filters = [{"filter": "dev-*" if mode.startswith("IMMUTABLE") else "release-*", "filterType": "WILDCARD"}]
    repo = node(ECR_REPOSITORY[0], "app", {"name": "app", "imageTagMutability": mode,
                                           "imageTagMutabilityExclusionFilters": filters})
    task = node(ECS_TASK_DEFINITION[0], "t", {"containerDefinitions": definitions(f"{REGISTRY}/app:{tag}")},
                containerDefinitions=[repo])
    assert (run([repo, task]) == []) is passes


def test_unreadable_image(run, node):
    task = node(ECS_TASK_DEFINITION[0], "t", {"containerDefinitions": definitions("not an image")})
    assert run([task]) == [(task.urn, rule.MSG_IMAGE_UNREADABLE.format(container="container 'c0'",
                                                                       value="'not an image'"))]


def test_a_task_whose_containers_are_unknown_is_skipped_and_the_others_judged(run, node):
    unknown = node(ECS_TASK_DEFINITION[0], "later", {"containerDefinitions": UNKNOWN_STRING_VALUE})
    known = node(ECS_TASK_DEFINITION[0], "t", {"containerDefinitions": definitions("nginx:1.27.0")})
    assert run([unknown, known]) == [(known.urn, rule.MSG_NOT_PINNED.format(
        container="container 'c0'", image="'nginx:1.27.0'", name="nginx"))]


def test_unreadable_container_definitions(run, node):
    task = node(ECS_TASK_DEFINITION[0], "t", {"family": "x"})
    assert run([task]) == [(task.urn, rule.MSG_BAD_CONTAINERS.format(what="not set"))]


def test_other_resource_types_are_ignored(run, node):
    assert run([node("aws:lambda/function:Function", "f", {"imageUri": "nginx:latest"})]) == []
