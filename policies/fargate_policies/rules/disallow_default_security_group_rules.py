"""disallow-default-security-group-rules: a VPC's default security group allows no traffic.

AWS gives every VPC a default security group that allows all traffic among its
members and all egress, and puts in it whatever is launched without a group.
Until a stack empties it, it keeps those rules. This stack rule reports the
three ways it stays open:

* a VPC of the stack whose default group no ``aws:ec2/defaultSecurityGroup``
  manages (its ``vpcId`` links the two);
* a managed default group with inline ``ingress`` or ``egress`` rules;
* a rule resource attached to the default group: its ``securityGroupId`` refers
  to the VPC's ``defaultSecurityGroupId`` or to the managed default group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import DEFAULT_SECURITY_GROUP, VPC, get, show, stack_rule
from ._net import DEFAULT_VPC, StackIndex, label

#: Rule resources that add traffic to the security group their ``securityGroupId`` names.
RULE_RESOURCES = (
    "aws:ec2/securityGroupRule:SecurityGroupRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
)

MSG_HAS_RULES = (
    "{prop} has {count} rule(s): {value}; set {prop} to an empty list so the default security group "
    "allows no traffic."
)
MSG_INVALID = "{prop} is {value}, which is not a list of rules; set {prop} to an empty list."
MSG_UNMANAGED = (
    "no aws:ec2/defaultSecurityGroup has a vpcId that refers to this VPC, so its default security group keeps "
    "AWS's rules (all traffic among its members, all egress); add an aws.ec2.DefaultSecurityGroup with vpc_id "
    "set to this VPC's id and no ingress or egress."
)
MSG_ATTACHED = (
    "securityGroupId refers to {group}, so this rule lets traffic through the default security group; attach "
    "it to a dedicated security group and leave the default group without rules."
)
# How MSG_ATTACHED names the group ({group}).
GROUP_MANAGED = "default security group '{name}'"
GROUP_OF_VPC = "the default security group of VPC '{name}'"


def _inline_findings(props: Mapping[str, Any]) -> Iterable[str]:
    for prop in ("ingress", "egress"):
        rules = get(props, prop)
        if rules is None:
            continue  # absent: the provider removes every rule of the default group
        if isinstance(rules, str | bytes) or not isinstance(rules, Sequence):
            yield MSG_INVALID.format(prop=prop, value=show(rules))
        elif len(rules) > 0:
            yield MSG_HAS_RULES.format(prop=prop, count=len(rules), value=show(rules))


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    index = StackIndex(resources)
    managed: set[str] = set()  # URNs of the VPCs whose default group the stack manages
    unresolved = None
    for group in index.of_type(DEFAULT_SECURITY_GROUP):
        for message in _inline_findings(group.props):
            yield group.urn, message
        link = index.link(group, ("vpcId",), VPC)
        managed.update(vpc.urn for vpc in link.targets)
        unresolved = unresolved or link.unknown
    for vpc in index.of_type(VPC):
        if vpc.urn not in managed:
            if unresolved is not None:
                raise unresolved  # the unresolved default group may be this VPC's
            yield vpc.urn, MSG_UNMANAGED

    for rule in index.of_type(RULE_RESOURCES):
        link = index.link(rule, ("securityGroupId",), DEFAULT_SECURITY_GROUP + VPC + DEFAULT_VPC)
        if link.unknown is not None:
            raise link.unknown  # cannot tell whether the rule is on the default group
        if not link.targets:
            continue
        # A managed default group and its VPC can both match (the group's id is the VPC's defaultSecurityGroupId).
        target = next((t for t in link.targets if t.resource_type in DEFAULT_SECURITY_GROUP), link.targets[0])
        template = GROUP_MANAGED if target.resource_type in DEFAULT_SECURITY_GROUP else GROUP_OF_VPC
        yield rule.urn, MSG_ATTACHED.format(group=template.format(name=label(target)))


POLICY = stack_rule(
    name="disallow-default-security-group-rules",
    description=(
        "Every VPC of the stack has its default security group managed with no ingress and no egress rules, "
        "and no rule resource is attached to it."
    ),
    severity=Severity.HIGH,
    remediation=(
        "Manage each VPC's default security group with aws.ec2.DefaultSecurityGroup(vpc_id=vpc.id) and leave "
        "ingress and egress empty; attach no aws.ec2.SecurityGroupRule or aws.vpc.SecurityGroupIngressRule/"
        "EgressRule to it. Create a dedicated security group for every workload and attach that instead, so "
        "nothing falls back to the default group."
    ),
    types=(*VPC, *DEFAULT_SECURITY_GROUP, *RULE_RESOURCES, *DEFAULT_VPC),
    check=check,
    tags=["network"],
    security_hub=("EC2.2",),
    checkov=("CKV2_AWS_12",),
)
