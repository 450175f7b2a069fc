"""Export recorded resources as Terraform plan JSON, for checkov, Trivy and other Terraform-plan scanners.

The Pulumi AWS provider is bridged from the Terraform one, so a recorded
resource (:class:`stacks.offline.runner.RecordedResource`) is one Terraform resource
under other names. :func:`to_terraform_plan` renames it back:

* the type token goes through :data:`TERRAFORM_TYPES` (alias tokens such as
  ``aws:alb/...`` first through :data:`ALIASES`);
* each input's engine name (camelCase) goes through
  :func:`terraform_attribute`: a per-type override
  (:data:`ATTRIBUTE_OVERRIDES`), else the Terraform block name of a list
  block whose name the bridge pluralised (:data:`BLOCK_NAMES`), else plain
  camelCase -> snake_case;
* an object value is a Terraform block, written as a one-element list as
  Terraform's plan JSON writes blocks, unless it is a map attribute
  (:data:`MAP_ATTRIBUTES`: ``tags``, metric ``dimensions`` ...), whose keys
  are kept as they are. JSON-string attributes (policies,
  ``containerDefinitions``) stay strings.

Only custom ``aws:`` resources are exported. Components, the root stack,
provider resources and other packages' resources (``awsx:ecr:Image``) are
skipped and listed in :attr:`TfPlanResult.skipped`; an ``aws:`` type without
a mapping is listed in :attr:`TfPlanResult.unmapped`, never dropped silently.

Values are what a Terraform plan of a new stack would show. A top-level
string (or list of strings) input that the engine recorded as coming from
another exported resource (a property dependency: ``vpcId`` from the VPC) is
known only after apply: it is left out of ``values``, flagged in
``after_unknown``, and ``configuration`` records the reference
(``aws_vpc.<name>.id``), which is how checkov connects resources for its graph
checks (flow log -> VPC, security group -> load balancer). JSON documents
(policies, ``containerDefinitions``) and nested blocks keep their values.
Values the engine itself did not know during preview are unknown the same
way; secrets are written as ``[secret]`` and flagged in ``after_sensitive`` /
``sensitive_values``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stacks.offline.runner import SECRET_PLACEHOLDER, UNKNOWN, RecordedResource, SecretValue

FORMAT_VERSION = "1.2"
"""Plan JSON format version (``terraform show -json`` of Terraform 1.6 and later)."""
TERRAFORM_VERSION = "1.9.8"
"""What the export claims in ``terraform_version``; scanners only check the key is there."""
PROVIDER_NAME = "registry.terraform.io/hashicorp/aws"

# ---------------------------------------------------------------------------
# Types. Every aws: type the program can create, by its current token.
# ---------------------------------------------------------------------------
TERRAFORM_TYPES: dict[str, str] = {
    # Application Auto Scaling
    "aws:appautoscaling/policy:Policy": "aws_appautoscaling_policy",
    "aws:appautoscaling/scheduledAction:ScheduledAction": "aws_appautoscaling_scheduled_action",
    "aws:appautoscaling/target:Target": "aws_appautoscaling_target",
    # ACM, Route 53
    "aws:acm/certificate:Certificate": "aws_acm_certificate",
    "aws:acm/certificateValidation:CertificateValidation": "aws_acm_certificate_validation",
    "aws:route53/record:Record": "aws_route53_record",
    "aws:route53/zone:Zone": "aws_route53_zone",
    # CloudWatch and EventBridge
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "aws_cloudwatch_composite_alarm",
    "aws:cloudwatch/dashboard:Dashboard": "aws_cloudwatch_dashboard",
    "aws:cloudwatch/eventRule:EventRule": "aws_cloudwatch_event_rule",
    "aws:cloudwatch/eventTarget:EventTarget": "aws_cloudwatch_event_target",
    "aws:cloudwatch/logGroup:LogGroup": "aws_cloudwatch_log_group",
    "aws:cloudwatch/logMetricFilter:LogMetricFilter": "aws_cloudwatch_log_metric_filter",
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": "aws_cloudwatch_log_resource_policy",
    "aws:cloudwatch/logStream:LogStream": "aws_cloudwatch_log_stream",
    "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter": "aws_cloudwatch_log_subscription_filter",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "aws_cloudwatch_metric_alarm",
    # EC2 networking
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": "aws_default_network_acl",
    "aws:ec2/defaultRouteTable:DefaultRouteTable": "aws_default_route_table",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "aws_default_security_group",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": "aws_egress_only_internet_gateway",
    "aws:ec2/eip:Eip": "aws_eip",
    "aws:ec2/flowLog:FlowLog": "aws_flow_log",
    "aws:ec2/internetGateway:InternetGateway": "aws_internet_gateway",
    "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation": "aws_main_route_table_association",
    "aws:ec2/natGateway:NatGateway": "aws_nat_gateway",
    "aws:ec2/networkAcl:NetworkAcl": "aws_network_acl",
    "aws:ec2/networkAclRule:NetworkAclRule": "aws_network_acl_rule",
    "aws:ec2/route:Route": "aws_route",
    "aws:ec2/routeTable:RouteTable": "aws_route_table",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "aws_route_table_association",
    "aws:ec2/securityGroup:SecurityGroup": "aws_security_group",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "aws_security_group_rule",
    "aws:ec2/subnet:Subnet": "aws_subnet",
    "aws:ec2/vpc:Vpc": "aws_vpc",
    "aws:ec2/vpcDhcpOptions:VpcDhcpOptions": "aws_vpc_dhcp_options",
    "aws:ec2/vpcDhcpOptionsAssociation:VpcDhcpOptionsAssociation": "aws_vpc_dhcp_options_association",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "aws_vpc_endpoint",
    "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy": "aws_vpc_endpoint_policy",
    "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation":
        "aws_vpc_endpoint_route_table_association",
    "aws:ec2/vpcEndpointSubnetAssociation:VpcEndpointSubnetAssociation": "aws_vpc_endpoint_subnet_association",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "aws_vpc_security_group_egress_rule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "aws_vpc_security_group_ingress_rule",
    # ECR
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": "aws_ecr_lifecycle_policy",
    "aws:ecr/pullThroughCacheRule:PullThroughCacheRule": "aws_ecr_pull_through_cache_rule",
    "aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration":
        "aws_ecr_registry_scanning_configuration",
    "aws:ecr/replicationConfiguration:ReplicationConfiguration": "aws_ecr_replication_configuration",
    "aws:ecr/repository:Repository": "aws_ecr_repository",
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "aws_ecr_repository_policy",
    # ECS
    "aws:ecs/accountSettingDefault:AccountSettingDefault": "aws_ecs_account_setting_default",
    "aws:ecs/capacityProvider:CapacityProvider": "aws_ecs_capacity_provider",
    "aws:ecs/cluster:Cluster": "aws_ecs_cluster",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": "aws_ecs_cluster_capacity_providers",
    "aws:ecs/service:Service": "aws_ecs_service",
    "aws:ecs/tag:Tag": "aws_ecs_tag",
    "aws:ecs/taskDefinition:TaskDefinition": "aws_ecs_task_definition",
    # IAM
    "aws:iam/instanceProfile:InstanceProfile": "aws_iam_instance_profile",
    "aws:iam/policy:Policy": "aws_iam_policy",
    "aws:iam/role:Role": "aws_iam_role",
    "aws:iam/rolePolicy:RolePolicy": "aws_iam_role_policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "aws_iam_role_policy_attachment",
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": "aws_iam_service_linked_role",
    # KMS
    "aws:kms/alias:Alias": "aws_kms_alias",
    "aws:kms/grant:Grant": "aws_kms_grant",
    "aws:kms/key:Key": "aws_kms_key",
    "aws:kms/keyPolicy:KeyPolicy": "aws_kms_key_policy",
    # Elastic Load Balancing v2
    "aws:lb/listener:Listener": "aws_lb_listener",
    "aws:lb/listenerCertificate:ListenerCertificate": "aws_lb_listener_certificate",
    "aws:lb/listenerRule:ListenerRule": "aws_lb_listener_rule",
    "aws:lb/loadBalancer:LoadBalancer": "aws_lb",
    "aws:lb/targetGroup:TargetGroup": "aws_lb_target_group",
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": "aws_lb_target_group_attachment",
    "aws:lb/trustStore:TrustStore": "aws_lb_trust_store",
    # S3
    "aws:s3/bucket:Bucket": "aws_s3_bucket",
    "aws:s3/bucketAcl:BucketAcl": "aws_s3_bucket_acl",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "aws_s3_bucket_lifecycle_configuration",
    "aws:s3/bucketLogging:BucketLogging": "aws_s3_bucket_logging",
    "aws:s3/bucketNotification:BucketNotification": "aws_s3_bucket_notification",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "aws_s3_bucket_ownership_controls",
    "aws:s3/bucketPolicy:BucketPolicy": "aws_s3_bucket_policy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "aws_s3_bucket_public_access_block",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration":
        "aws_s3_bucket_server_side_encryption_configuration",
    "aws:s3/bucketVersioning:BucketVersioning": "aws_s3_bucket_versioning",
    # Secrets, parameters
    "aws:secretsmanager/secret:Secret": "aws_secretsmanager_secret",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "aws_secretsmanager_secret_policy",
    "aws:secretsmanager/secretVersion:SecretVersion": "aws_secretsmanager_secret_version",
    "aws:ssm/parameter:Parameter": "aws_ssm_parameter",
    # Cloud Map
    "aws:servicediscovery/httpNamespace:HttpNamespace": "aws_service_discovery_http_namespace",
    "aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace": "aws_service_discovery_private_dns_namespace",
    "aws:servicediscovery/service:Service": "aws_service_discovery_service",
    # SNS, SQS
    "aws:sns/topic:Topic": "aws_sns_topic",
    "aws:sns/topicPolicy:TopicPolicy": "aws_sns_topic_policy",
    "aws:sns/topicSubscription:TopicSubscription": "aws_sns_topic_subscription",
    "aws:sqs/queue:Queue": "aws_sqs_queue",
    "aws:sqs/queuePolicy:QueuePolicy": "aws_sqs_queue_policy",
    # WAFv2
    "aws:wafv2/ipSet:IpSet": "aws_wafv2_ip_set",
    "aws:wafv2/regexPatternSet:RegexPatternSet": "aws_wafv2_regex_pattern_set",
    "aws:wafv2/ruleGroup:RuleGroup": "aws_wafv2_rule_group",
    "aws:wafv2/webAcl:WebAcl": "aws_wafv2_web_acl",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "aws_wafv2_web_acl_association",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "aws_wafv2_web_acl_logging_configuration",
}

ALIASES: dict[str, str] = {
    # pulumi_aws.alb is the same Terraform resource as pulumi_aws.lb (Terraform's aws_alb* are aliases of aws_lb*),
    # and both declare the tokens of older SDKs as aliases.
    **{f"aws:{module}/{name}": f"aws:lb/{name}"
       for module in ("alb", "applicationloadbalancing", "elasticloadbalancingv2")
       for name in ("listener:Listener", "listenerCertificate:ListenerCertificate", "listenerRule:ListenerRule",
                    "loadBalancer:LoadBalancer", "targetGroup:TargetGroup",
                    "targetGroupAttachment:TargetGroupAttachment")},
    # pulumi-aws 7 renamed the S3 V2 classes; the V2 tokens remain as deprecated classes and aliases.
    "aws:s3/bucketV2:BucketV2": "aws:s3/bucket:Bucket",
    "aws:s3/bucketAclV2:BucketAclV2": "aws:s3/bucketAcl:BucketAcl",
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2":
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLoggingV2:BucketLoggingV2": "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2":
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioningV2:BucketVersioningV2": "aws:s3/bucketVersioning:BucketVersioning",
}

# ---------------------------------------------------------------------------
# Attributes.
# ---------------------------------------------------------------------------
BLOCK_NAMES: dict[str, str] = {
    # The bridge names a Terraform list block (MaxItems > 1) in the plural; Terraform names it in the singular.
    # Blocks whose Terraform name is already plural (ingress, egress, placement_constraints, redacted_fields,
    # service_registries, dns_records, metrics) convert mechanically and are not listed.
    "actions": "action",
    "capacityProviderStrategies": "capacity_provider_strategy",
    "conditions": "condition",
    "corsRules": "cors_rule",
    "customKeys": "custom_key",
    "customResponseBodies": "custom_response_body",
    "defaultActions": "default_action",
    "defaultCapacityProviderStrategies": "default_capacity_provider_strategy",
    "encryptionConfigurations": "encryption_configuration",
    "filters": "filter",
    "grants": "grant",
    "inferenceAccelerators": "inference_accelerator",
    "inlinePolicies": "inline_policy",
    "lifecycleHooks": "lifecycle_hook",
    "lifecycleRules": "lifecycle_rule",
    "loadBalancers": "load_balancer",
    "loggings": "logging",
    "metricQueries": "metric_query",
    "noncurrentVersionTransitions": "noncurrent_version_transition",
    "orderedPlacementStrategies": "ordered_placement_strategy",
    "queryStrings": "query_string",
    "ruleActionOverrides": "rule_action_override",
    "ruleLabels": "rule_label",
    "routes": "route",
    "rules": "rule",
    "secretOptions": "secret_option",
    "serverSideEncryptionConfigurations": "server_side_encryption_configuration",
    "settings": "setting",
    "statements": "statement",
    "stepAdjustments": "step_adjustment",
    "subnetConfigurations": "subnet_configuration",
    "subnetMappings": "subnet_mapping",
    "targetFailovers": "target_failover",
    "targetGroups": "target_group",
    "targetHealthStates": "target_health_state",
    "transitions": "transition",
    "versionings": "versioning",
    "volumes": "volume",
    "websites": "website",
}

ATTRIBUTE_OVERRIDES: dict[str, dict[str, str]] = {
    # Terraform type -> dotted camelCase path (list items have no index) -> Terraform name.
    # Names the bridge renamed outright, and plural names that mean something else in one type.
    "aws_cloudwatch_metric_alarm": {"name": "alarm_name"},
    "aws_cloudwatch_composite_alarm": {"name": "alarm_name"},
    "aws_ecs_service": {"serviceConnectConfiguration.services": "service",
                        "serviceConnectConfiguration.services.clientAliases": "client_alias"},
    "aws_sns_topic_subscription": {"topic": "topic_arn"},
}

MAP_ATTRIBUTES: frozenset[str] = frozenset({
    # Terraform map attributes (object values whose keys are data, not attribute names): kept as maps.
    "authenticationRequestExtraParams", "dimensions", "driverOpts", "labels", "options", "parameters", "tags",
    "tagsAll", "triggers", "variables",
})

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_ADDRESS_NAME = re.compile(r"[^A-Za-z0-9_-]")


def snake_case(name: str) -> str:
    """``retentionInDays`` -> ``retention_in_days``, ``cidrIpv4`` -> ``cidr_ipv4``."""
    return _CAMEL_BOUNDARY.sub("_", name).lower()


def terraform_type(pulumi_type: str) -> str | None:
    """The Terraform resource type of a Pulumi type token (aliases included), or None if not mapped."""
    return TERRAFORM_TYPES.get(ALIASES.get(pulumi_type, pulumi_type))


def terraform_attribute(tf_type: str, path: str) -> str:
    """The Terraform name of the input at ``path`` (dotted camelCase, no list indexes) of a ``tf_type``."""
    override = ATTRIBUTE_OVERRIDES.get(tf_type, {}).get(path)
    if override is not None:
        return override
    name = path.rsplit(".", 1)[-1]
    return BLOCK_NAMES.get(name) or snake_case(name)


# ---------------------------------------------------------------------------
# Conversion.
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SkippedResource:
    """A recorded resource that is not a Terraform resource."""

    urn: str
    type: str
    reason: str
    """``component``, ``provider`` or ``not an aws resource``."""


@dataclass(frozen=True)
class TfPlanResult:
    """What the export wrote, and what it left out."""

    plan: dict[str, Any]
    """The Terraform plan JSON document."""
    addresses: dict[str, str]
    """Terraform address -> the Pulumi URN it came from."""
    unmapped: list[str]
    """``aws:`` type tokens with no Terraform mapping (sorted, unique); their resources are not in the plan."""
    unmapped_resources: list[str] = field(default_factory=list)
    """URNs of the resources of unmapped types."""
    skipped: list[SkippedResource] = field(default_factory=list)
    """Components, providers and non-aws resources, which have no Terraform counterpart."""
    path: Path | None = None
    """Where :func:`write_terraform_plan` wrote the plan."""


@dataclass
class _Converted:
    """One object's Terraform values, and the matching parts of after_unknown, after_sensitive and expressions."""

    values: dict[str, Any] = field(default_factory=dict)
    unknown: dict[str, Any] = field(default_factory=dict)
    sensitive: dict[str, Any] = field(default_factory=dict)
    expressions: dict[str, Any] = field(default_factory=dict)


def _number(value: Any) -> Any:
    # The engine sends every number as a float; Terraform writes whole numbers without a fraction.
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _reference_attribute(key: str) -> str:
    lowered = key.lower()
    if lowered.endswith(("arn", "arns")):
        return "arn"
    if lowered.endswith(("name", "names")):
        return "name"
    return "id"


def _is_reference_value(value: Any) -> bool:
    """A string input (or non-empty list of them) that is an id, ARN or name, not a JSON document."""
    if isinstance(value, str):
        return not value.lstrip().startswith(("{", "["))
    return isinstance(value, list | tuple) and bool(value) and all(_is_reference_value(v) for v in value)


def _as_reference(key: str, value: Any, ids: Mapping[str, str]) -> list[str] | None:
    """Terraform references when ``value`` is another exported resource's id (or a list of them only)."""
    items = value if isinstance(value, list | tuple) else [value]
    if not ids or not items or not all(isinstance(v, str) and v in ids for v in items):
        return None
    attribute = _reference_attribute(key)
    return [ref for target in dict.fromkeys(ids[v] for v in items) for ref in (f"{target}.{attribute}", target)]


def _convert_object(tf_type: str, props: Mapping[str, Any], prefix: str, *,
                    references: Mapping[str, list[str]], ids: Mapping[str, Mapping[str, str]]) -> _Converted:
    """Convert one object. ``references``: keys known only after apply; ``ids``: key -> {id: address} below it."""
    out = _Converted()
    for key, raw in props.items():
        path = f"{prefix}.{key}" if prefix else key
        name = terraform_attribute(tf_type, path)
        refs = references.get(key)
        if refs is not None:
            out.unknown[name] = True
            out.expressions[name] = {"references": refs}
            continue
        if raw is UNKNOWN:
            out.unknown[name] = True
            continue
        if isinstance(raw, SecretValue):
            out.values[name] = SECRET_PLACEHOLDER
            out.sensitive[name] = True
            continue
        if isinstance(raw, Mapping) and key in MAP_ATTRIBUTES:
            out.values[name], out.unknown[name], out.sensitive[name] = _plain_map(raw)
        elif isinstance(raw, Mapping):
            # A nested object is a block with at most one item, which plan JSON writes as a one-element list.
            block = _convert_block(tf_type, raw, path, ids.get(key, {}))
            out.values[name], out.unknown[name], out.sensitive[name] = [block.values], [block.unknown], [
                block.sensitive]
            out.expressions[name] = [block.expressions]
        elif isinstance(raw, list | tuple) and any(isinstance(item, Mapping) for item in raw):
            blocks = [_convert_block(tf_type, item, path, ids.get(key, {})) for item in raw
                      if isinstance(item, Mapping)]
            out.values[name] = [b.values for b in blocks]
            out.unknown[name] = [b.unknown for b in blocks]
            out.sensitive[name] = [b.sensitive for b in blocks]
            out.expressions[name] = [b.expressions for b in blocks]
        elif isinstance(raw, list | tuple):
            out.values[name], out.unknown[name], out.sensitive[name] = _plain_list(raw)
        else:
            out.values[name] = _number(raw)
    # Terraform leaves out the parts of after_unknown / after_sensitive that are all false.
    out.unknown = {k: v for k, v in out.unknown.items() if _any_true(v)}
    out.sensitive = {k: v for k, v in out.sensitive.items() if _any_true(v)}
    out.expressions = {k: v for k, v in out.expressions.items() if _any_true(v)}
    return out


def _convert_block(tf_type: str, props: Mapping[str, Any], path: str, ids: Mapping[str, str]) -> _Converted:
    references = {key: refs for key, value in props.items()
                  if (refs := _as_reference(key, value, ids)) is not None}
    return _convert_object(tf_type, props, path, references=references,
                           ids=dict.fromkeys(props, ids) if ids else {})


def _plain_map(value: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    values: dict[str, Any] = {}
    unknown: dict[str, Any] = {}
    sensitive: dict[str, Any] = {}
    for key, item in value.items():
        if item is UNKNOWN:
            unknown[str(key)] = True
        elif isinstance(item, SecretValue):
            values[str(key)] = SECRET_PLACEHOLDER
            sensitive[str(key)] = True
        else:
            values[str(key)] = _number(item)
    return values, unknown, sensitive


def _plain_list(value: Sequence[Any]) -> tuple[list[Any], list[bool], list[bool]]:
    values = [None if v is UNKNOWN else SECRET_PLACEHOLDER if isinstance(v, SecretValue) else _number(v)
              for v in value]
    return values, [v is UNKNOWN for v in value], [isinstance(v, SecretValue) for v in value]


def _any_true(value: Any) -> bool:
    if isinstance(value, Mapping):
        return any(_any_true(v) for v in value.values())
    if isinstance(value, list):
        return any(_any_true(v) for v in value)
    return bool(value)


def _address_name(name: str) -> str:
    cleaned = _ADDRESS_NAME.sub("_", name) or "resource"
    return f"_{cleaned}" if not (cleaned[0].isalpha() or cleaned[0] == "_") else cleaned


def _skip_reason(resource: RecordedResource) -> str | None:
    if resource.type.startswith("pulumi:providers:"):
        return "provider"
    if not resource.custom:
        return "component"
    if not resource.type.startswith("aws:"):
        return "not an aws resource"
    return None


def _dependencies(resource: RecordedResource, addresses: Mapping[str, str],
                  ids: Mapping[str, str]) -> tuple[dict[str, list[str]], dict[str, dict[str, str]]]:
    """Top-level keys known only after apply (-> references), and key -> {dependency id: address} for blocks."""
    references: dict[str, list[str]] = {}
    nested: dict[str, dict[str, str]] = {}
    for key, urns in resource.property_dependencies.items():
        targets = [addresses[urn] for urn in dict.fromkeys(urns) if urn in addresses]
        if not targets:
            continue
        value = resource.inputs.get(key)
        if _is_reference_value(value):
            attribute = _reference_attribute(key)
            references[key] = [ref for target in targets for ref in (f"{target}.{attribute}", target)]
        elif isinstance(value, Mapping | list | tuple):
            nested[key] = {ids[urn]: addresses[urn] for urn in urns if urn in addresses and ids.get(urn)}
    return references, nested


def _address(tf_type: str, name: str, taken: Mapping[str, str]) -> tuple[str, str]:
    base = candidate = _address_name(name)
    counter = 1
    while f"{tf_type}.{candidate}" in taken:
        counter += 1
        candidate = f"{base}_{counter}"
    return f"{tf_type}.{candidate}", candidate


def convert(resources: Iterable[RecordedResource]) -> TfPlanResult:
    """The Terraform plan JSON of ``resources`` and what could not be exported."""
    exported: list[tuple[RecordedResource, str, str, str]] = []
    addresses: dict[str, str] = {}
    urn_addresses: dict[str, str] = {}
    ids: dict[str, str] = {}
    unmapped: set[str] = set()
    unmapped_resources: list[str] = []
    skipped: list[SkippedResource] = []
    for resource in resources:
        reason = _skip_reason(resource)
        if reason is not None:
            skipped.append(SkippedResource(resource.urn, resource.type, reason))
            continue
        tf_type = terraform_type(resource.type)
        if tf_type is None:
            unmapped.add(resource.type)
            unmapped_resources.append(resource.urn)
            continue
        address, name = _address(tf_type, resource.name, addresses)
        addresses[address] = resource.urn
        urn_addresses[resource.urn] = address
        ids[resource.urn] = resource.id
        exported.append((resource, tf_type, name, address))

    planned: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    configured: list[dict[str, Any]] = []
    for resource, tf_type, name, address in exported:
        references, nested = _dependencies(resource, urn_addresses, ids)
        converted = _convert_object(tf_type, resource.inputs, "", references=references, ids=nested)
        head = {"address": address, "mode": "managed", "type": tf_type, "name": name,
                "provider_name": PROVIDER_NAME}
        planned.append({**head, "schema_version": 0, "values": converted.values,
                        "sensitive_values": converted.sensitive})
        changes.append({**head, "change": {
            "actions": ["create"], "before": None, "after": converted.values, "after_unknown": converted.unknown,
            "before_sensitive": False, "after_sensitive": converted.sensitive}})
        configured.append({"address": address, "mode": "managed", "type": tf_type, "name": name,
                           "provider_config_key": "aws", "expressions": converted.expressions, "schema_version": 0})
    plan = {
        "format_version": FORMAT_VERSION,
        "terraform_version": TERRAFORM_VERSION,
        "planned_values": {"root_module": {"resources": planned}},
        "resource_changes": changes,
        "configuration": {"provider_config": {"aws": {"name": "aws", "full_name": PROVIDER_NAME}},
                          "root_module": {"resources": configured}},
        "errored": False,
    }
    return TfPlanResult(plan=plan, addresses=addresses, unmapped=sorted(unmapped),
                        unmapped_resources=unmapped_resources, skipped=skipped)


def to_terraform_plan(resources: Iterable[RecordedResource]) -> dict[str, Any]:
    """The Terraform plan JSON document (``terraform show -json`` shape) of ``resources``."""
    return convert(resources).plan


def write_terraform_plan(resources: Iterable[RecordedResource], path: Path | str) -> TfPlanResult:
    """Write the Terraform plan JSON of ``resources`` to ``path`` (atomically); return what was exported."""
    result = convert(resources)
    target = Path(path)
    if not target.parent.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(result.plan, indent=1) + "\n", encoding="utf-8")
    tmp.replace(target)
    return TfPlanResult(plan=result.plan, addresses=result.addresses, unmapped=result.unmapped,
                        unmapped_resources=result.unmapped_resources, skipped=result.skipped, path=target)


def summary(result: TfPlanResult) -> str:
    """One line for the CLI: how many resources were exported, skipped and left unmapped."""
    exported = len(result.addresses)
    text = f"exported {exported} resource{'s' if exported != 1 else ''} as Terraform plan JSON"
    if result.path is not None:
        text += f" to {result.path}"
    if result.skipped:
        text += f"; skipped {len(result.skipped)} (components, providers, non-aws)"
    if result.unmapped:
        text += f"; NOT exported, no Terraform mapping: {', '.join(result.unmapped)}"
    return text


def validate_plan(plan: Mapping[str, Any]) -> list[str]:
    """Structural problems of a plan document (empty when it is well formed): keys, unique addresses."""
    problems: list[str] = []
    for key in ("format_version", "terraform_version", "planned_values", "resource_changes"):
        if key not in plan:
            problems.append(f"missing top-level key {key!r}")
    resources: Sequence[Mapping[str, Any]] = (plan.get("planned_values") or {}).get("root_module", {}).get(
        "resources", [])
    seen: set[str] = set()
    for entry in resources:
        missing = [k for k in ("address", "mode", "type", "name", "provider_name", "schema_version", "values")
                   if k not in entry]
        address = entry.get("address", "?")
        if missing:
            problems.append(f"{address}: missing {', '.join(missing)}")
        if address in seen:
            problems.append(f"{address}: duplicate address")
        seen.add(address)
        if address != f"{entry.get('type')}.{entry.get('name')}":
            problems.append(f"{address}: address is not <type>.<name>")
    change_addresses = [c.get("address") for c in plan.get("resource_changes", [])]
    if sorted(change_addresses) != sorted(seen):
        problems.append("resource_changes and planned_values list different addresses")
    return problems
