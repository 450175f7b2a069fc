"""ECS: task definitions, services, clusters and capacity providers, as the requests that create them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.aws_requests.mapping import (
    REGION,
    Fields,
    Request,
    Skip,
    autoname,
    each,
    json_text,
    listed,
    request,
    same,
    single,
    structure,
    tag_list,
    whole_number,
)


def enabled_disabled(value: Any, path: str) -> Any:
    """A boolean input that the API takes as ``ENABLED`` or ``DISABLED``."""
    return ("ENABLED" if value else "DISABLED") if isinstance(value, bool) else value


_TAGS_ECS = ("tags", tag_list("key", "value"))
_STRATEGY = each(structure(same("capacityProvider", "base", "weight")))
_PLACEMENT_CONSTRAINTS = ("placementConstraints", each(structure(same("type", "expression"))))
_LOG_CONFIGURATION = structure({
    **same("logDriver", "options"),
    "secretOptions": ("secretOptions", each(structure(same("name", "valueFrom")))),
})

TASK_DEFINITION: Fields = {
    **same("family", "cpu", "memory", "executionRoleArn", "taskRoleArn", "networkMode", "ipcMode", "pidMode",
           "requiresCompatibilities", "enableFaultInjection"),
    "containerDefinitions": ("containerDefinitions", json_text),
    "ephemeralStorage": ("ephemeralStorage", structure({"sizeInGib": "sizeInGiB"})),
    "placementConstraints": _PLACEMENT_CONSTRAINTS,
    "proxyConfiguration": ("proxyConfiguration", structure({
        **same("containerName", "type"),
        "properties": ("properties", lambda value, path: [{"name": k, "value": v} for k, v in value.items()]
                       if isinstance(value, Mapping) else value),
    })),
    "runtimePlatform": ("runtimePlatform", structure(same("cpuArchitecture", "operatingSystemFamily"))),
    "volumes": ("volumes", each(structure({
        "name": "name",
        "configureAtLaunch": "configuredAtLaunch",
        "hostPath": "host.sourcePath",
        "dockerVolumeConfiguration": ("dockerVolumeConfiguration", structure(
            same("autoprovision", "driver", "driverOpts", "labels", "scope"))),
        "efsVolumeConfiguration": ("efsVolumeConfiguration", structure({
            **same("fileSystemId", "rootDirectory", "transitEncryption", "transitEncryptionPort"),
            "authorizationConfig": ("authorizationConfig", structure(same("accessPointId", "iam"))),
        })),
        "fsxWindowsFileServerVolumeConfiguration": ("fsxWindowsFileServerVolumeConfiguration", structure({
            **same("fileSystemId", "rootDirectory"),
            "authorizationConfig": ("authorizationConfig", structure(same("credentialsParameter", "domain"))),
        })),
        "s3filesVolumeConfiguration": ("s3filesVolumeConfiguration", structure(
            same("fileSystemArn", "accessPointArn", "rootDirectory", "transitEncryptionPort"))),
    }))),
    "tags": _TAGS_ECS,
    "region": REGION,
    "skipDestroy": Skip("keeps the old revision registered when the provider replaces it"),
    "trackLatest": Skip("makes the provider read the family's latest revision"),
}


def register_task_definition(inputs: Mapping[str, Any], name: str) -> list[Request]:
    """``aws.ecs.TaskDefinition`` → ``RegisterTaskDefinition`` (container definitions are JSON text in Pulumi)."""
    return [request("ecs", "RegisterTaskDefinition", structure(TASK_DEFINITION)(inputs, name))]


_DEPLOYMENT_CONFIGURATION = structure({
    "strategy": "strategy",
    "bakeTimeInMinutes": ("bakeTimeInMinutes", whole_number),
    "canaryConfiguration": ("canaryConfiguration", structure({
        "canaryPercent": "canaryPercent",
        "canaryBakeTimeInMinutes": ("canaryBakeTimeInMinutes", whole_number),
    })),
    "linearConfiguration": ("linearConfiguration", structure({
        "stepPercent": "stepPercent",
        "stepBakeTimeInMinutes": ("stepBakeTimeInMinutes", whole_number),
    })),
    "lifecycleHooks": ("lifecycleHooks", each(structure({
        **same("hookTargetArn", "roleArn", "lifecycleStages", "targetType"),
        "hookDetails": ("hookDetails", json_text),
        "timeoutConfiguration": ("timeoutConfiguration", structure({
            "action": "action",
            "timeoutInMinutes": ("timeoutInMinutes", whole_number),
        })),
    }))),
})

_SERVICE_CONNECT = structure({
    **same("enabled", "namespace"),
    "accessLogConfiguration": ("accessLogConfiguration", structure(same("format", "includeQueryParameters"))),
    "logConfiguration": ("logConfiguration", _LOG_CONFIGURATION),
    "services": ("services", each(structure({
        **same("portName", "discoveryName", "ingressPortOverride"),
        "clientAlias": ("clientAliases", each(structure({
            **same("port", "dnsName"),
            "testTrafficRules": ("testTrafficRules", single(structure({
                "header": ("header", structure({"name": "name", "value": ("value", structure(same("exact")))})),
            }))),
        }))),
        "timeout": ("timeout", structure(same("idleTimeoutSeconds", "perRequestTimeoutSeconds"))),
        "tls": ("tls", structure({
            **same("kmsKey", "roleArn"),
            "issuerCertAuthority": ("issuerCertificateAuthority", structure(same("awsPcaAuthorityArn"))),
        })),
    }))),
})

SERVICE: Fields = {
    "name": "serviceName",
    **same("cluster", "taskDefinition", "desiredCount", "launchType", "platformVersion", "schedulingStrategy",
           "propagateTags", "enableExecuteCommand", "healthCheckGracePeriodSeconds", "availabilityZoneRebalancing"),
    "enableEcsManagedTags": "enableECSManagedTags",
    "iamRole": "role",
    # Pulumi keeps these flat; AWS takes them inside deploymentConfiguration.
    "alarms": ("deploymentConfiguration.alarms", structure(same("alarmNames", "enable", "rollback"))),
    "deploymentCircuitBreaker": ("deploymentConfiguration.deploymentCircuitBreaker",
                                 structure(same("enable", "rollback"))),
    "deploymentMaximumPercent": "deploymentConfiguration.maximumPercent",
    "deploymentMinimumHealthyPercent": "deploymentConfiguration.minimumHealthyPercent",
    "deploymentConfiguration": ("deploymentConfiguration", _DEPLOYMENT_CONFIGURATION),
    "deploymentController": ("deploymentController", structure(same("type"))),
    "capacityProviderStrategies": ("capacityProviderStrategy", _STRATEGY),
    "loadBalancers": ("loadBalancers", each(structure({
        **same("containerName", "containerPort", "targetGroupArn"),
        "elbName": "loadBalancerName",
        "advancedConfiguration": ("advancedConfiguration", structure(
            same("alternateTargetGroupArn", "productionListenerRule", "roleArn", "testListenerRule"))),
    }))),
    "networkConfiguration": ("networkConfiguration.awsvpcConfiguration", structure({
        **same("subnets", "securityGroups"),
        "assignPublicIp": ("assignPublicIp", enabled_disabled),
    })),
    "orderedPlacementStrategies": ("placementStrategy", each(structure(same("type", "field")))),
    "placementConstraints": _PLACEMENT_CONSTRAINTS,
    "serviceConnectConfiguration": ("serviceConnectConfiguration", _SERVICE_CONNECT),
    "serviceRegistries": ("serviceRegistries", listed(structure(
        same("registryArn", "containerName", "containerPort", "port")))),
    "volumeConfiguration": ("volumeConfigurations", listed(structure({
        "name": "name",
        "managedEbsVolume": ("managedEBSVolume", structure({
            **same("roleArn", "encrypted", "iops", "kmsKeyId", "snapshotId", "throughput",
                   "volumeInitializationRate", "volumeType"),
            "fileSystemType": "filesystemType",
            "sizeInGb": "sizeInGiB",
            "tagSpecifications": ("tagSpecifications", each(structure({
                **same("resourceType", "propagateTags"),
                "tags": _TAGS_ECS,
            }))),
        })),
    }))),
    "vpcLatticeConfigurations": ("vpcLatticeConfigurations", each(structure(
        same("portName", "roleArn", "targetGroupArn")))),
    "tags": _TAGS_ECS,
    "region": REGION,
    "forceDelete": Skip("lets the provider delete a service that still has tasks"),
    "forceNewDeployment": Skip("an UpdateService member (see update_service), not a CreateService one"),
    "sigintRollback": Skip("makes the provider roll back when it is interrupted"),
    "triggers": Skip("values whose change makes the provider redeploy"),
    "waitForSteadyState": Skip("makes the provider wait for the service to settle"),
}


def create_service(inputs: Mapping[str, Any], name: str) -> list[Request]:
    """``aws.ecs.Service`` → ``CreateService``."""
    params = structure(SERVICE)(inputs, name)
    params.setdefault("serviceName", autoname(name))
    return [request("ecs", "CreateService", params)]


UPDATE_SERVICE_OMITS = {
    "serviceName": "UpdateService names the service in 'service'",
    "launchType": "a change replaces the service",
    "schedulingStrategy": "a change replaces the service",
    "role": "a change replaces the service",
    "tags": "tags change through TagResource and UntagResource",
}
"""CreateService members that UpdateService does not take, and why."""


def update_service(inputs: Mapping[str, Any], name: str) -> Request:
    """``aws.ecs.Service`` → ``UpdateService``: CreateService's mapping where the two shapes overlap."""
    (create,) = create_service(inputs, name)
    params = {key: value for key, value in create.params.items() if key not in UPDATE_SERVICE_OMITS}
    params["service"] = create.params["serviceName"]
    if inputs.get("forceNewDeployment") is not None:
        params["forceNewDeployment"] = inputs["forceNewDeployment"]
    return request("ecs", "UpdateService", params)


CLUSTER: Fields = {
    "name": "clusterName",
    "configuration": ("configuration", structure({
        "executeCommandConfiguration": ("executeCommandConfiguration", structure({
            **same("kmsKeyId", "logging"),
            "logConfiguration": ("logConfiguration", structure({
                **same("cloudWatchEncryptionEnabled", "cloudWatchLogGroupName", "s3BucketName", "s3KeyPrefix"),
                "s3BucketEncryptionEnabled": "s3EncryptionEnabled",
            })),
        })),
        "managedStorageConfiguration": ("managedStorageConfiguration", structure(
            same("fargateEphemeralStorageKmsKeyId", "kmsKeyId"))),
    })),
    "serviceConnectDefaults": ("serviceConnectDefaults", structure(same("namespace"))),
    "settings": ("settings", each(structure(same("name", "value")))),
    "tags": _TAGS_ECS,
    "region": REGION,
}


def create_cluster(inputs: Mapping[str, Any], name: str) -> list[Request]:
    """``aws.ecs.Cluster`` → ``CreateCluster``."""
    params = structure(CLUSTER)(inputs, name)
    params.setdefault("clusterName", autoname(name))
    return [request("ecs", "CreateCluster", params)]


CLUSTER_CAPACITY_PROVIDERS: Fields = {
    "clusterName": "cluster",
    "capacityProviders": "capacityProviders",
    "defaultCapacityProviderStrategies": ("defaultCapacityProviderStrategy", _STRATEGY),
    "region": REGION,
}


def put_cluster_capacity_providers(inputs: Mapping[str, Any], name: str) -> list[Request]:
    """``aws.ecs.ClusterCapacityProviders`` → ``PutClusterCapacityProviders`` (the provider sends an empty
    list for either list input that is absent: AWS requires both)."""
    params = structure(CLUSTER_CAPACITY_PROVIDERS)(inputs, name)
    params.setdefault("capacityProviders", [])
    params.setdefault("defaultCapacityProviderStrategy", [])
    return [request("ecs", "PutClusterCapacityProviders", params)]


_RANGE = structure(same("min", "max"))

CAPACITY_PROVIDER: Fields = {
    **same("name", "cluster"),
    "autoScalingGroupProvider": ("autoScalingGroupProvider", structure({
        **same("autoScalingGroupArn", "managedDraining", "managedTerminationProtection"),
        "managedScaling": ("managedScaling", structure(same(
            "instanceWarmupPeriod", "maximumScalingStepSize", "minimumScalingStepSize", "status", "targetCapacity"))),
    })),
    "managedInstancesProvider": ("managedInstancesProvider", structure({
        **same("infrastructureRoleArn", "propagateTags"),
        "autoRepairConfiguration": ("autoRepairConfiguration", structure(same("actionsStatus"))),
        "infrastructureOptimization": ("infrastructureOptimization", structure(same("scaleInAfter"))),
        "instanceLaunchTemplate": ("instanceLaunchTemplate", structure({
            **same("ec2InstanceProfileArn", "capacityOptionType", "monitoring"),
            "networkConfiguration": ("networkConfiguration", structure(same("subnets", "securityGroups"))),
            "capacityReservations": ("capacityReservations", structure(
                same("reservationGroupArn", "reservationPreference"))),
            "localStorageConfiguration": ("localStorageConfiguration", structure(same("useLocalStorage"))),
            "storageConfiguration": ("storageConfiguration", structure({"storageSizeGib": "storageSizeGiB"})),
            "instanceRequirements": ("instanceRequirements", structure({
                **same("acceleratorManufacturers", "acceleratorNames", "acceleratorTypes", "allowedInstanceTypes",
                       "bareMetal", "burstablePerformance", "cpuManufacturers", "excludedInstanceTypes",
                       "instanceGenerations", "localStorage", "localStorageTypes",
                       "maxSpotPriceAsPercentageOfOptimalOnDemandPrice", "onDemandMaxPricePercentageOverLowestPrice",
                       "requireHibernateSupport", "spotMaxPricePercentageOverLowestPrice"),
                "memoryMib": ("memoryMiB", _RANGE),
                "vcpuCount": ("vCpuCount", _RANGE),
                "acceleratorCount": ("acceleratorCount", _RANGE),
                "acceleratorTotalMemoryMib": ("acceleratorTotalMemoryMiB", _RANGE),
                "baselineEbsBandwidthMbps": ("baselineEbsBandwidthMbps", _RANGE),
                "memoryGibPerVcpu": ("memoryGiBPerVCpu", _RANGE),
                "networkBandwidthGbps": ("networkBandwidthGbps", _RANGE),
                "networkInterfaceCount": ("networkInterfaceCount", _RANGE),
                "totalLocalStorageGb": ("totalLocalStorageGB", _RANGE),
            })),
        })),
    })),
    "tags": _TAGS_ECS,
    "region": REGION,
}


def create_capacity_provider(inputs: Mapping[str, Any], name: str) -> list[Request]:
    """``aws.ecs.CapacityProvider`` → ``CreateCapacityProvider``."""
    params = structure(CAPACITY_PROVIDER)(inputs, name)
    params.setdefault("name", autoname(name))
    return [request("ecs", "CreateCapacityProvider", params)]
