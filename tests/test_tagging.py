"""Unit tests of components/tagging.py, and how the program tags what it creates."""

from __future__ import annotations

import pulumi_aws as aws

from components.tagging import is_taggable, tagged
from tests.stack_programs import program


def test_taggable_types_are_recognised():
    assert is_taggable(aws.ec2.Vpc.pulumi_type)
    assert is_taggable(aws.ecs.Service.pulumi_type)
    assert not is_taggable(aws.ec2.RouteTableAssociation.pulumi_type)
    assert not is_taggable("fargate-platform:index:Network")
    assert not is_taggable("aws:nosuchmodule/thing:Thing")


def test_a_resources_own_tags_win_over_the_components():
    stack = {"Environment": "dev", "Owner": "team"}
    assert tagged(stack, {"Owner": "other", "Name": "vpc"}) == {"Environment": "dev", "Owner": "other", "Name": "vpc"}
    assert tagged(stack) == stack
    assert tagged(stack) is not stack, "each resource gets a map of its own"
    assert tagged({}) == {}


def test_each_taggable_resource_has_exactly_the_stack_tags_under_its_own():
    """The stack's tags reach every taggable resource as a plain input, and only the network's own Name and Tier
    tags come on top of them."""
    run = program("prod")
    stack_tags = {"Project": "fargate-platform", "Environment": "prod", "Owner": "platform-team",
                  "CostCenter": "engineering", "ManagedBy": "pulumi"}
    extra: dict[str, set[str]] = {}
    for resource in run.resources:
        if resource.custom and is_taggable(resource.type):
            tags = resource.inputs.get("tags")
            assert isinstance(tags, dict), f"{resource.urn}: no tags input"
            assert {k: tags.get(k) for k in stack_tags} == stack_tags, f"{resource.urn}: {tags}"
            if set(tags) - set(stack_tags):
                extra[resource.type] = extra.get(resource.type, set()) | (set(tags) - set(stack_tags))
    assert extra == {"aws:ec2/vpc:Vpc": {"Name"}, "aws:ec2/subnet:Subnet": {"Name", "Tier"}}
