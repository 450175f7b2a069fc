"""The resource types the estimator prices, the ones it knows are free, and the ones it reads for links.

A type in neither :data:`PRICED_TYPES` nor :data:`FREE_TYPES` is reported as
unpriced, never counted as zero. Every ``aws:`` token here is checked against
the installed pulumi-aws by the tests, so a provider upgrade that renames one
cannot make it silently stop matching.
"""

from __future__ import annotations

ECS_SERVICE = ("aws:ecs/service:Service",)
ECS_TASK_DEFINITION = ("aws:ecs/taskDefinition:TaskDefinition",)
ECS_CLUSTER = ("aws:ecs/cluster:Cluster",)
ECS_CAPACITY_PROVIDERS = ("aws:ecs/clusterCapacityProviders:ClusterCapacityProviders",)
ECS_CAPACITY_PROVIDER = ("aws:ecs/capacityProvider:CapacityProvider",)
SCALABLE_TARGET = ("aws:appautoscaling/target:Target",)
SCHEDULED_ACTION = ("aws:appautoscaling/scheduledAction:ScheduledAction",)
NAT_GATEWAY = ("aws:ec2/natGateway:NatGateway",)
EIP = ("aws:ec2/eip:Eip",)
LOAD_BALANCER = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")
LOG_GROUP = ("aws:cloudwatch/logGroup:LogGroup",)
METRIC_ALARM = ("aws:cloudwatch/metricAlarm:MetricAlarm",)
COMPOSITE_ALARM = ("aws:cloudwatch/compositeAlarm:CompositeAlarm",)
DASHBOARD = ("aws:cloudwatch/dashboard:Dashboard",)
WEB_ACL = ("aws:wafv2/webAcl:WebAcl",)
WEB_ACL_LOGGING = ("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",)
VPC_ENDPOINT = ("aws:ec2/vpcEndpoint:VpcEndpoint",)
KMS_KEY = ("aws:kms/key:Key",)
S3_BUCKET = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
ECR_REPOSITORY = ("aws:ecr/repository:Repository",)
SECRET = ("aws:secretsmanager/secret:Secret",)
FLOW_LOG = ("aws:ec2/flowLog:FlowLog",)
DNS_NAMESPACE = ("aws:servicediscovery/privateDnsNamespace:PrivateDnsNamespace",
                 "aws:servicediscovery/publicDnsNamespace:PublicDnsNamespace")

PRICED_TYPES: tuple[str, ...] = (
    *ECS_SERVICE, *ECS_CLUSTER, *NAT_GATEWAY, *EIP, *LOAD_BALANCER, *LOG_GROUP, *METRIC_ALARM, *COMPOSITE_ALARM,
    *DASHBOARD, *WEB_ACL, *VPC_ENDPOINT, *KMS_KEY, *S3_BUCKET, *ECR_REPOSITORY, *SECRET, *DNS_NAMESPACE,
)
"""Types with a price of their own."""

_NO_CHARGE = "no charge of its own"
FREE_TYPES: dict[str, str] = {
    # Network plumbing: no hourly or usage charge.
    "aws:ec2/vpc:Vpc": _NO_CHARGE,
    "aws:ec2/subnet:Subnet": _NO_CHARGE,
    "aws:ec2/routeTable:RouteTable": _NO_CHARGE,
    "aws:ec2/route:Route": _NO_CHARGE,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _NO_CHARGE,
    "aws:ec2/mainRouteTableAssociation:MainRouteTableAssociation": _NO_CHARGE,
    "aws:ec2/defaultRouteTable:DefaultRouteTable": _NO_CHARGE,
    "aws:ec2/internetGateway:InternetGateway": "no charge of its own (data transfer out is not estimated)",
    "aws:ec2/egressOnlyInternetGateway:EgressOnlyInternetGateway": _NO_CHARGE,
    "aws:ec2/securityGroup:SecurityGroup": _NO_CHARGE,
    "aws:ec2/securityGroupRule:SecurityGroupRule": _NO_CHARGE,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _NO_CHARGE,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _NO_CHARGE,
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _NO_CHARGE,
    "aws:ec2/networkAcl:NetworkAcl": _NO_CHARGE,
    "aws:ec2/networkAclRule:NetworkAclRule": _NO_CHARGE,
    "aws:ec2/defaultNetworkAcl:DefaultNetworkAcl": _NO_CHARGE,
    "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation": _NO_CHARGE,
    "aws:ec2/vpcEndpointSubnetAssociation:VpcEndpointSubnetAssociation": "hours priced on the endpoint",
    "aws:ec2/eipAssociation:EipAssociation": "the address is priced on the Eip",
    "aws:ec2/flowLog:FlowLog": "its records are priced on the destination log group",
    # IAM.
    "aws:iam/role:Role": _NO_CHARGE,
    "aws:iam/rolePolicy:RolePolicy": _NO_CHARGE,
    "aws:iam/policy:Policy": _NO_CHARGE,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _NO_CHARGE,
    "aws:iam/policyAttachment:PolicyAttachment": _NO_CHARGE,
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _NO_CHARGE,
    "aws:iam/instanceProfile:InstanceProfile": _NO_CHARGE,
    # ECS and autoscaling: tasks are priced on the service.
    "aws:ecs/taskDefinition:TaskDefinition": "its tasks are priced on the service that runs them",
    "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders": _NO_CHARGE,
    "aws:ecs/capacityProvider:CapacityProvider": "its instances are priced on the services whose tasks run on them",
    "aws:appautoscaling/target:Target": "its task counts are priced on the service",
    "aws:appautoscaling/policy:Policy": "its alarms are managed by AWS and not billed",
    "aws:appautoscaling/scheduledAction:ScheduledAction": "its task counts are priced on the service",
    # Load balancer parts: priced on the load balancer.
    "aws:lb/listener:Listener": "priced on the load balancer",
    "aws:alb/listener:Listener": "priced on the load balancer",
    "aws:lb/listenerRule:ListenerRule": "rule evaluations are part of the load balancer's LCUs",
    "aws:alb/listenerRule:ListenerRule": "rule evaluations are part of the load balancer's LCUs",
    "aws:lb/targetGroup:TargetGroup": _NO_CHARGE,
    "aws:alb/targetGroup:TargetGroup": _NO_CHARGE,
    "aws:lb/targetGroupAttachment:TargetGroupAttachment": _NO_CHARGE,
    "aws:alb/targetGroupAttachment:TargetGroupAttachment": _NO_CHARGE,
    "aws:lb/listenerCertificate:ListenerCertificate": _NO_CHARGE,
    "aws:alb/listenerCertificate:ListenerCertificate": _NO_CHARGE,
    "aws:acm/certificate:Certificate": "public ACM certificates have no charge",
    # Bucket settings: storage is priced on the bucket.
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _NO_CHARGE,
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": _NO_CHARGE,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _NO_CHARGE,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _NO_CHARGE,
    "aws:s3/bucketPolicy:BucketPolicy": _NO_CHARGE,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _NO_CHARGE,
    "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": _NO_CHARGE,
    "aws:s3/bucketVersioning:BucketVersioning": _NO_CHARGE,
    "aws:s3/bucketVersioningV2:BucketVersioningV2": _NO_CHARGE,
    # Registry, keys, logs and notifications settings.
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": _NO_CHARGE,
    "aws:ecr/repositoryPolicy:RepositoryPolicy": _NO_CHARGE,
    "aws:kms/alias:Alias": _NO_CHARGE,
    "aws:cloudwatch/logResourcePolicy:LogResourcePolicy": _NO_CHARGE,
    "aws:sns/topic:Topic": "billed per notification; alarm traffic stays within the free tier",
    "aws:sns/topicPolicy:TopicPolicy": _NO_CHARGE,
    "aws:sns/topicSubscription:TopicSubscription": "billed per notification; alarm traffic stays within the free tier",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "priced on the web ACL",
    "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration": "its logs are priced on the log group",
    # Cloud Map: registrations are priced on the ECS service whose tasks register.
    "aws:servicediscovery/httpNamespace:HttpNamespace": "API-only namespace: registrations are priced on the service",
    "aws:servicediscovery/service:Service": "its registered instances are priced on the ECS service",
    # Image builds run where `pulumi up` runs; the image is stored (and priced) in its repository.
    "awsx:ecr:Image": "the image is stored in, and priced on, its ECR repository",
    "docker-build:index:Image": "the image is stored in, and priced on, its registry",
    "docker:index/image:Image": "the image is stored in, and priced on, its registry",
    "random:index/randomId:RandomId": _NO_CHARGE,
    "random:index/randomPassword:RandomPassword": _NO_CHARGE,
    "random:index/randomString:RandomString": _NO_CHARGE,
}
"""Types known to cost nothing themselves -> why."""

LINK_TYPES: tuple[str, ...] = (
    *ECS_TASK_DEFINITION, *ECS_CAPACITY_PROVIDERS, *ECS_CAPACITY_PROVIDER, *SCALABLE_TARGET, *SCHEDULED_ACTION,
    *FLOW_LOG, *WEB_ACL_LOGGING,
)
"""Types the estimator reads to price others (task sizes, counts, schedules, log group roles)."""

TYPES_READ: tuple[str, ...] = tuple(dict.fromkeys((*PRICED_TYPES, *LINK_TYPES)))
"""Every type whose props the estimate depends on."""

KEYS_READ: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(METRIC_ALARM, ("metricQueries", "period")),
}
"""Types of :data:`TYPES_READ` whose props the estimate reads only at these top-level keys (and whose
dependencies it does not read). A stack holds several alarms per service, so copying only what the price
depends on saves most of the copying."""
