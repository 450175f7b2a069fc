"""The AWS API requests that the program's ECS and ELB resources stand for, built from the engine's inputs.

The engine records a resource's inputs under Pulumi's camelCase names
(:class:`stacks.offline.runner.RecordedResource`). The provider sends AWS other names and shapes: a tags map
becomes a list of key/value pairs, ``aws.ecs.Service``'s flat ``deploymentMaximumPercent`` goes into
``deploymentConfiguration.maximumPercent``, and a load balancer's ``idleTimeout`` becomes an attribute set by
``ModifyLoadBalancerAttributes``. Each converter maps one resource type's inputs to the requests that create
it, so :func:`tests.aws_model.validate` can check them against AWS's model.

A converter raises :class:`~tests.aws_requests.mapping.UnmappedInput` on an input name it does not know, at any
depth, so an input the program starts sending cannot reach AWS unchecked.

To add a resource type: in :mod:`.ecs` or :mod:`.elb` (or a new module for another service), describe its
inputs with a ``Fields`` table (each input name to its place in the request), write a function that returns
its requests, and list it in :data:`CONVERTERS` under every alias token of the type.
``tests/test_aws_model.py`` then checks it against the recorded stacks and the installed SDK's inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pulumi_aws as aws

from stacks.offline.runner import RecordedResource
from tests.aws_requests.ecs import (
    create_capacity_provider,
    create_cluster,
    create_service,
    put_cluster_capacity_providers,
    register_task_definition,
)
from tests.aws_requests.elb import create_listener, create_load_balancer, create_rule, create_target_group
from tests.aws_requests.mapping import Request, reveal

Converter = Callable[[Mapping[str, Any], str], list[Request]]
"""A resource's inputs and logical name → the requests that create it."""

CONVERTERS: dict[str, Converter] = {
    aws.ecs.TaskDefinition.pulumi_type: register_task_definition,
    aws.ecs.Service.pulumi_type: create_service,
    aws.ecs.Cluster.pulumi_type: create_cluster,
    aws.ecs.ClusterCapacityProviders.pulumi_type: put_cluster_capacity_providers,
    aws.ecs.CapacityProvider.pulumi_type: create_capacity_provider,
    **{module.TargetGroup.pulumi_type: create_target_group for module in (aws.lb, aws.alb)},
    **{module.Listener.pulumi_type: create_listener for module in (aws.lb, aws.alb)},
    **{module.ListenerRule.pulumi_type: create_rule for module in (aws.lb, aws.alb)},
    **{module.LoadBalancer.pulumi_type: create_load_balancer for module in (aws.lb, aws.alb)},
}
"""Every converter, under every type token of its resource type."""


def requests_for(resource: RecordedResource) -> list[Request]:
    """The requests that create ``resource``; LookupError when no converter knows its type."""
    converter = CONVERTERS.get(resource.type)
    if converter is None:
        raise LookupError(f"{resource.urn}: no converter for {resource.type}")
    return converter(reveal(resource.inputs), resource.name)
