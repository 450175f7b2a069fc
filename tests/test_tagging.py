"""Unit tests of components/tagging.py."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.tagging import is_taggable, tags_transform


def test_taggable_types_are_recognised():
    assert is_taggable(aws.ec2.Vpc.pulumi_type)
    assert is_taggable(aws.ecs.Service.pulumi_type)
    assert not is_taggable(aws.ec2.RouteTableAssociation.pulumi_type)
    assert not is_taggable("fargate-platform:index:Network")
    assert not is_taggable("aws:nosuchmodule/thing:Thing")


def _transform(type_, props, custom=True):
    args = pulumi.ResourceTransformArgs(custom=custom, type_=type_, name="r", props=props,
                                        opts=pulumi.ResourceOptions())
    return tags_transform({"Environment": "dev", "Owner": "team"})(args)


def test_tags_are_added_and_resource_tags_win():
    result = _transform(aws.ec2.Vpc.pulumi_type, {"cidrBlock": "10.0.0.0/16", "tags": {"Owner": "other"}})
    assert result.props["tags"] == {"Environment": "dev", "Owner": "other"}


def test_tags_not_known_yet_merge_once_they_are(pulumi_mocks):
    own = pulumi.Output.secret({"Owner": "other"})
    result = _transform(aws.ec2.Vpc.pulumi_type, {"cidrBlock": "10.0.0.0/16", "tags": own})
    seen = {}

    @pulumi.runtime.test
    def wait():
        return result.props["tags"].apply(seen.update)

    wait()
    assert seen == {"Environment": "dev", "Owner": "other"}


def test_the_resources_own_options_are_left_to_the_engine():
    """The transform returns no options, so the engine keeps the resource's (protect, dependencies...)."""
    result = _transform(aws.ec2.Vpc.pulumi_type, {"cidrBlock": "10.0.0.0/16"})
    assert result.opts is None


def test_untaggable_and_components_are_left_alone():
    assert _transform(aws.ec2.RouteTableAssociation.pulumi_type, {"subnetId": "s"}) is None
    assert _transform("fargate-platform:index:Network", {}, custom=False) is None



def test_resource_without_tags_gets_the_stack_tags():
    result = _transform(aws.ec2.Vpc.pulumi_type, {"cidrBlock": "10.0.0.0/16"})
    assert result.props["tags"] == {"Environment": "dev", "Owner": "team"}
    assert result.props["cidrBlock"] == "10.0.0.0/16"
