"""fargate-platform: production ECS on Fargate, specialised per stack by config alone."""

from pathlib import Path
from typing import Any

import pulumi

from components.alarm_topic import AlarmTopic, AlarmTopicArgs
from components.alarms import Alarms, AlarmsArgs, critical_alarm_names
from components.autoscaling import Autoscaling, AutoscalingArgs, ScheduledCapacity
from components.cluster import Cluster, ClusterArgs
from components.dashboard import Dashboard, DashboardArgs, DashboardService
from components.kms import EncryptionKey, EncryptionKeyArgs
from components.load_balancer import LoadBalancer, LoadBalancerArgs
from components.load_balancer_alarms import LoadBalancerAlarms, LoadBalancerAlarmsArgs
from components.managed_instances import ManagedInstancesArgs
from components.network import Network, NetworkArgs, NotEnoughZonesError
from components.release import CandidateRoute, LifecycleHookArgs, ReleaseArgs
from components.service import (
    FargateService,
    FargateServiceArgs,
    ListenerRoute,
    TaskRoleStatement,
)
from components.volumes import EbsVolume
from components.waf import Waf, WafArgs
from stacks.settings import (
    MANAGED_INSTANCES,
    TIMEOUT_WORDS,
    ConfigError,
    ManagedInstancesSettings,
    ServiceSettings,
    load_settings,
    on_managed_instances,
)

PROJECT_DIR = Path(__file__).resolve().parent


def service_args(svc: ServiceSettings, alb: LoadBalancer, **stack_wide: Any) -> FargateServiceArgs:
    """One service's settings as the service component's arguments; ``stack_wide`` adds the shared parts."""
    route = None if svc.internal else ListenerRoute(
        listener_arn=alb.listener_arn, load_balancer_security_group_id=alb.security_group_id, priority=svc.priority,
        path_patterns=svc.path_patterns, host_headers=svc.host_headers, health_check_path=svc.health_check_path,
        health_check_grace_period=svc.health_check_grace_period)
    return FargateServiceArgs(
        container_name=svc.name, image=svc.image,
        build_context=PROJECT_DIR / svc.build if svc.build is not None else None,
        cpu=svc.cpu, memory=svc.memory, architecture=svc.architecture,
        ephemeral_storage_gib=svc.ephemeral_storage_gib, container_port=svc.container_port,
        command=svc.command, entry_point=svc.entry_point, working_directory=svc.working_directory,
        health_check_command=svc.health_check_command,
        environment=svc.environment, secrets=svc.secrets, user=svc.user,
        readonly_root_filesystem=svc.readonly_root_filesystem, enable_exec=svc.enable_exec,
        task_role_statements=[TaskRoleStatement(effect=s.effect, actions=s.actions, resources=s.resources)
                              for s in svc.task_role_statements],
        route=route, desired_count=svc.desired_count, min_healthy_percent=svc.min_healthy_percent,
        max_percent=svc.max_percent, release=release_args(svc, alb), **stack_wide)


def release_args(svc: ServiceSettings, alb: LoadBalancer) -> ReleaseArgs:
    """How one service releases a new version: its deployment settings in ECS's words."""
    deployment, traffic = svc.deployment, svc.deployment.test_traffic
    candidate = None if traffic is None else CandidateRoute(
        test_listener_arn=alb.test_listener_arns[traffic.port] if traffic.port is not None else None,
        header=traffic.header, header_value=traffic.header_value)
    return ReleaseArgs(
        strategy=deployment.ecs_strategy, bake_minutes=deployment.bake_minutes,
        canary_percent=deployment.canary_percent, canary_bake_minutes=deployment.canary_bake_minutes,
        linear_step_percent=deployment.linear_step_percent,
        linear_step_bake_minutes=deployment.linear_step_bake_minutes, test_traffic=candidate,
        hooks=[LifecycleHookArgs(stage=h.stage, lambda_arn=h.lambda_arn, timeout_minutes=h.timeout_minutes,
                                 on_timeout=TIMEOUT_WORDS[h.on_timeout] if h.on_timeout is not None else None)
               for h in deployment.hooks])


def capacity_args(svc: ServiceSettings, cluster: Cluster) -> dict[str, Any]:
    """Where one service's tasks run (compatibility, strategy, GPUs) and the EBS volume each task gets."""
    providers = {"fargate": "FARGATE", "fargate-spot": "FARGATE_SPOT",
                 MANAGED_INSTANCES: cluster.managed_instances_provider}
    shares = [(s.capacity, s.weight, s.base) for s in svc.capacity_provider_strategy]
    if svc.capacity is not None:
        shares = [(svc.capacity, 1, 0)]
    return {
        "compatibility": "MANAGED_INSTANCES" if on_managed_instances(svc) else "FARGATE",
        # No strategy of its own: the cluster's default (fargateBase, fargateWeight, fargateSpotWeight).
        "capacity_provider_strategy": [(providers[c], w, b) for c, w, b in shares] or None,
        "gpus": svc.gpus,
        "volumes": [EbsVolume(name=v.name, mount_path=v.mount_path, size_gib=v.size_gib, volume_type=v.type,
                              iops=v.iops, throughput=v.throughput) for v in svc.volumes],
    }


def managed_instances_args(mi: ManagedInstancesSettings, network: Network) -> ManagedInstancesArgs | None:
    """The stack's Managed Instances capacity, in its private subnets (or those it names), or None."""
    if not mi.enabled:
        return None
    return ManagedInstancesArgs(
        vpc_id=network.vpc_id, subnet_ids=list(mi.subnet_ids) or network.private_subnet_ids,
        architecture=mi.architecture, vcpu_min=mi.vcpu_min, vcpu_max=mi.vcpu_max,
        memory_min_mib=mi.memory_min_mib, memory_max_mib=mi.memory_max_mib, instance_types=mi.instance_types,
        accelerator_types=mi.accelerator_types, accelerator_manufacturers=mi.accelerator_manufacturers,
        accelerator_count_min=mi.accelerator_count_min, accelerator_count_max=mi.accelerator_count_max,
        capacity_option="SPOT" if mi.capacity_option == "spot" else "ON_DEMAND", storage_gib=mi.storage_gib)


def autoscaling_args(svc: ServiceSettings, cluster: Cluster, alb: LoadBalancer, service: FargateService,
                     tags: dict[str, str]) -> AutoscalingArgs:
    """One service's capacity range, scaling targets and schedules as the autoscaling component's arguments."""
    return AutoscalingArgs(
        cluster_name=cluster.cluster_name, service_name=service.service_name,
        min_count=svc.min_count, max_count=svc.max_count, cpu_target=svc.cpu_target,
        memory_target=svc.memory_target, requests_per_target=svc.requests_per_target,
        scale_in_cooldown=svc.scale_in_cooldown, scale_out_cooldown=svc.scale_out_cooldown,
        schedules=[ScheduledCapacity(name=s.name, schedule=s.schedule, min_count=s.min_count,
                                     max_count=s.max_count, timezone=s.timezone) for s in svc.schedules],
        load_balancer_arn_suffix=None if svc.internal else alb.arn_suffix,
        target_group_arn_suffix=service.target_group_arn_suffix, tags=tags)


settings = load_settings()
prefix = f"fp-{pulumi.get_stack()}"

kms_key_arn = settings.kms_key_arn or None
if settings.create_kms_key:
    kms_key_arn = EncryptionKey(prefix, EncryptionKeyArgs(
        description=f"{prefix} logs and ECS Exec", protect=settings.protect, tags=settings.tags,
        fargate_ephemeral_storage=settings.fargate_ephemeral_storage_kms)).key_arn

try:
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
        tags=settings.tags,
    ))
except NotEnoughZonesError as err:
    raise ConfigError("azCount", f"{err}; allowed: 2 to {err.available}") from None

cluster = Cluster(prefix, ClusterArgs(
    container_insights=settings.container_insights,
    fargate_base=settings.fargate_base,
    fargate_weight=settings.fargate_weight,
    fargate_spot_weight=settings.fargate_spot_weight,
    log_retention_days=settings.log_retention_days,
    kms_key_arn=kms_key_arn,
    protect=settings.protect,
    service_connect_namespace=f"{pulumi.get_stack()}.{pulumi.get_project()}.internal",
    vpc_id=network.vpc_id,
    managed_instances=managed_instances_args(settings.managed_instances, network),
    fargate_ephemeral_storage_kms=settings.fargate_ephemeral_storage_kms,
    tags=settings.tags,
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
    # One test listener per port the services' releases are tried on.
    test_listener_ports=sorted({svc.deployment.test_traffic.port for svc in settings.services
                                if svc.deployment.test_traffic is not None
                                and svc.deployment.test_traffic.port is not None}),
    test_ingress_cidrs=settings.test_traffic_cidrs,
    tags=settings.tags,
))

# The stack's key grants CloudWatch Logs only; without a given key the topic creates one CloudWatch may use.
topic = AlarmTopic(f"{prefix}-alarms", AlarmTopicArgs(
    kms_key_arn=settings.kms_key_arn or None,
    email_endpoints=settings.alarm_emails,
    https_endpoints=settings.alarm_https_endpoints,
    protect=settings.protect,
    tags=settings.tags,
))
container_insights = settings.container_insights != "disabled"
alarm_periods = {"period_seconds": settings.alarm_period_seconds,
                 "evaluation_periods": settings.alarm_evaluation_periods}

services: dict[str, FargateService] = {}
dashboard_services = []
for svc in settings.services:
    # A scheduled scale-to-zero lowers the floor the running-task alarm watches.
    floor = min([svc.min_count, *(s.min_count for s in svc.schedules)])
    alarm_prefix = f"{prefix}-{svc.name}"
    routed = not svc.internal
    # A release's new version starts in the alternate target group; its alarms roll a bad one back.
    green_alarms = routed and svc.deployment.shifts_traffic and svc.deployment.rollback_on_alarms
    service = FargateService(f"{prefix}-{svc.name}", service_args(
        svc, alb,
        **capacity_args(svc, cluster),
        cluster_arn=cluster.cluster_arn,
        vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids,
        log_retention_days=settings.log_retention_days,
        kms_key_arn=kms_key_arn,
        exec_log_group_arn=cluster.exec_log_group_arn,
        deployment_alarm_names=(critical_alarm_names(alarm_prefix, load_balanced=routed, min_count=floor,
                                                     container_insights=container_insights, alternate=green_alarms)
                                if svc.deployment_alarms else ()),
        service_connect_namespace_arn=cluster.namespace_arn,
        protect=settings.protect,
        tags=settings.tags,
    ))
    Autoscaling(f"{prefix}-{svc.name}", autoscaling_args(svc, cluster, alb, service, settings.tags))
    Alarms(f"{prefix}-{svc.name}", AlarmsArgs(
        cluster_name=cluster.cluster_name,
        service_name=service.service_name,
        topic_arn=topic.topic_arn,
        alarm_name_prefix=alarm_prefix,
        target_group_arn_suffix=service.target_group_arn_suffix,
        alternate_target_group_arn_suffix=service.alternate_target_group_arn_suffix,
        load_balancer_arn_suffix=alb.arn_suffix if routed else None,
        min_count=floor,
        container_insights=container_insights,
        cpu_percent=settings.alarm_cpu_percent,
        memory_percent=settings.alarm_memory_percent,
        target_5xx_percent=settings.alarm_target_5xx_percent,
        p99_latency_ms=settings.alarm_p99_latency_ms,
        tags=settings.tags,
        **alarm_periods,
    ))
    dashboard_services.append(DashboardService(
        label=svc.name, service_name=service.service_name, target_group_arn_suffix=service.target_group_arn_suffix,
        alternate_target_group_arn_suffix=service.alternate_target_group_arn_suffix))
    services[svc.name] = service

# Internal services admit exactly the services that call them.
for svc in settings.services:
    for caller in svc.callers:
        services[svc.name].admit(caller, services[caller].security_group_id)

LoadBalancerAlarms(f"{prefix}-alb", LoadBalancerAlarmsArgs(
    load_balancer_arn_suffix=alb.arn_suffix,
    topic_arn=topic.topic_arn,
    elb_5xx_count=settings.alarm_alb_5xx_count,
    rejected_connections=settings.alarm_rejected_connections,
    tags=settings.tags,
    **alarm_periods,
))
dashboard = Dashboard(prefix, DashboardArgs(cluster_name=cluster.cluster_name, services=dashboard_services,
                                            load_balancer_arn_suffix=alb.arn_suffix,
                                            period_seconds=settings.alarm_period_seconds))
if settings.waf_enabled:
    Waf(f"{prefix}-waf", WafArgs(load_balancer_arn=alb.load_balancer_arn, rate_limit=settings.waf_rate_limit,
                                 log_retention_days=settings.log_retention_days, kms_key_arn=kms_key_arn,
                                 protect=settings.protect, tags=settings.tags))

pulumi.export("url", alb.url)
pulumi.export("albDnsName", alb.dns_name)
pulumi.export("clusterName", cluster.cluster_name)
pulumi.export("serviceNames", [s.service_name for s in services.values()])
pulumi.export("logGroups", [s.log_group_name for s in services.values()] + [cluster.exec_log_group_name])
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.private_subnet_ids)
pulumi.export("publicSubnetIds", network.public_subnet_ids)
pulumi.export("alarmTopicArn", topic.topic_arn)
pulumi.export("dashboardName", dashboard.dashboard_name)
