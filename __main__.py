"""fargate-platform: production ECS on Fargate, specialised per stack by config alone."""

from pathlib import Path

import pulumi

from components.autoscaling import Autoscaling, AutoscalingArgs
from components.cluster import Cluster, ClusterArgs
from components.kms import EncryptionKey, EncryptionKeyArgs
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.network import Network, NetworkArgs
from components.service import FargateService, FargateServiceArgs
from components.tagging import register_default_tags
from stacks.settings import load_settings

settings = load_settings()
register_default_tags(settings.tags)
prefix = f"fp-{pulumi.get_stack()}"

kms_key_arn = settings.kms_key_arn or None
if settings.create_kms_key:
    kms_key_arn = EncryptionKey(prefix, EncryptionKeyArgs(description=f"{prefix} logs and ECS Exec",
                                                          protect=settings.protect)).key_arn

network = Network(prefix, NetworkArgs(
    cidr=settings.vpc_cidr,
    az_count=settings.az_count,
    availability_zones=settings.availability_zones,
    nat_strategy=settings.nat_strategy,
    vpc_endpoints=settings.vpc_endpoints,
    flow_log_retention_days=settings.flow_log_retention_days,
    kms_key_arn=kms_key_arn,
    protect=settings.protect,
    existing_vpc_id=settings.existing_vpc_id,
    existing_private_subnet_ids=settings.existing_private_subnet_ids,
    existing_public_subnet_ids=settings.existing_public_subnet_ids,
))

cluster = Cluster(prefix, ClusterArgs(
    container_insights=settings.container_insights,
    fargate_base=settings.fargate_base,
    fargate_weight=settings.fargate_weight,
    fargate_spot_weight=settings.fargate_spot_weight,
    log_retention_days=settings.log_retention_days,
    kms_key_arn=kms_key_arn,
    protect=settings.protect,
))

alb = LoadBalancer(prefix, LoadBalancerArgs(
    vpc_id=network.vpc_id,
    public_subnet_ids=network.public_subnet_ids,
    ingress_cidrs=settings.ingress_cidrs,
    certificate_arn=settings.certificate_arn,
    allow_http_only=settings.allow_http_only,
    ssl_policy=settings.ssl_policy,
    deletion_protection=settings.deletion_protection,
    access_log_expiration_days=settings.access_log_expiration_days,
    idle_timeout=settings.alb_idle_timeout,
    protect=settings.protect,
))

services = []
for svc in settings.services:
    service = FargateService(f"{prefix}-{svc.name}", FargateServiceArgs(
        settings=svc,
        cluster_arn=cluster.cluster_arn,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        alb_security_group_id=alb.security_group_id,
        listener_arn=alb.listener_arn,
        log_retention_days=settings.log_retention_days,
        kms_key_arn=kms_key_arn,
        exec_log_group_arn=cluster.exec_log_group_arn,
        protect=settings.protect,
        project_dir=Path(__file__).resolve().parent,
    ))
    Autoscaling(f"{prefix}-{svc.name}", AutoscalingArgs(
        settings=svc,
        cluster_name=cluster.cluster_name,
        service_name=service.service_name,
        load_balancer_arn_suffix=alb.arn_suffix,
        target_group_arn_suffix=service.target_group_arn_suffix,
    ))
    services.append(service)

pulumi.export("url", alb.url)
pulumi.export("albDnsName", alb.dns_name)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("serviceNames", [s.service_name for s in services])
pulumi.export("logGroups", [s.log_group_name for s in services] + [cluster.exec_log_group_name])
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
