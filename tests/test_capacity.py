"""Unit tests of the capacity beside Fargate: components/managed_instances.py, the cluster's attachment of it,
the service's placement and EBS volume (components/volumes.py), and the key's grant to Fargate."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fargate_policies import facts

from components.cluster import Cluster, ClusterArgs
from components.kms import EncryptionKey, EncryptionKeyArgs
from components.managed_instances import ManagedInstances, ManagedInstancesArgs
from components.service import TYPE_TOKEN, FargateService
from components.volumes import EbsVolume
from stacks.offline.mocks import ACCOUNT_ID
from tests.harness import Built, assert_children_parented_and_named, build_component
from tests.test_service import KMS_ARN, SUBNETS, VPC_ID, service_args

PROVIDER = "aws:ecs/capacityProvider:CapacityProvider"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
PROFILE = "aws:iam/instanceProfile:InstanceProfile"
SG = "aws:ec2/securityGroup:SecurityGroup"
EGRESS = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
SERVICE = "aws:ecs/service:Service"
TASK_DEF = "aws:ecs/taskDefinition:TaskDefinition"
CAPACITY = "aws:ecs/clusterCapacityProviders:ClusterCapacityProviders"
MI_OUTPUTS = ("provider_name", "provider_arn", "security_group_id", "infrastructure_role_arn", "instance_profile_arn")

GPU = ManagedInstancesArgs(
    vpc_id=VPC_ID, subnet_ids=SUBNETS, cluster_name="platform", vcpu_min=4, vcpu_max=8, memory_min_mib=16384,
    memory_max_mib=32768, instance_types=("g5.xlarge", "g5.2xlarge"), accelerator_types=("gpu",),
    accelerator_manufacturers=("nvidia",), accelerator_count_min=1, accelerator_count_max=1, storage_gib=100)
VOLUME = EbsVolume(name="models", mount_path="/models", size_gib=100, iops=3000, throughput=250)


def build_mi(mocks: Any, args: ManagedInstancesArgs = GPU) -> Built:
    return build_component(mocks, "fargate-platform:index:ManagedInstances",
                           lambda opts: ManagedInstances("gpu", args, opts=opts), MI_OUTPUTS)


def build_service(mocks: Any, **extra: Any) -> Built:
    args = service_args(**extra)
    return build_component(mocks, TYPE_TOKEN, lambda opts: FargateService("infer", args, opts=opts),
                           ("service_name", "task_definition_arn"))


def container(built: Built) -> dict[str, Any]:
    return json.loads(built.one(TASK_DEF, "infer-task").inputs["containerDefinitions"])[0]


# ---------------------------------------------------------------------------
# ManagedInstances
# ---------------------------------------------------------------------------
def test_managed_instances_children_are_parented_and_named(pulumi_mocks):
    built = build_mi(pulumi_mocks)
    assert_children_parented_and_named(built, "gpu")
    assert sorted(built.children) == ["gpu-infrastructure-policy", "gpu-infrastructure-role", "gpu-instance-policy",
                                      "gpu-instance-profile", "gpu-instance-role", "gpu-provider", "gpu-sg",
                                      "gpu-sg-egress-https"]


def test_roles_use_the_aws_managed_policies_and_trust_one_service_each(pulumi_mocks):
    built = build_mi(pulumi_mocks)
    for role, attachment, service, policy in (
            ("gpu-infrastructure-role", "gpu-infrastructure-policy", "ecs.amazonaws.com",
             facts.MANAGED_INSTANCES_INFRASTRUCTURE_POLICY),
            ("gpu-instance-role", "gpu-instance-policy", "ec2.amazonaws.com", facts.MANAGED_INSTANCES_INSTANCE_POLICY)):
        trust = json.loads(built.one(ROLE, role).inputs["assumeRolePolicy"])["Statement"]
        assert [s["Principal"] for s in trust] == [{"Service": service}], role
        arn = built.one(ATTACHMENT, attachment).inputs["policyArn"]
        assert arn == f"arn:aws:iam::aws:policy/{policy}", attachment
    assert not built.of_type(ROLE_POLICY), "no inline grants beside the managed policies"


def test_instance_role_is_named_so_the_managed_policy_can_pass_it(pulumi_mocks):
    built = build_mi(pulumi_mocks)
    role = built.one(ROLE, "gpu-instance-role")
    assert role.inputs["namePrefix"].startswith(facts.MANAGED_INSTANCES_ROLE_PREFIX), role.urn
    profile = built.one(PROFILE, "gpu-instance-profile")
    assert profile.inputs["role"] == role.outputs["name"], profile.urn


def test_instances_admit_nothing_and_send_only_https(pulumi_mocks):
    built = build_mi(pulumi_mocks)
    assert not built.of_type(INGRESS)
    group = built.one(SG, "gpu-sg")
    assert not group.inputs.get("ingress") and not group.inputs.get("egress"), group.urn
    (egress,) = built.of_type(EGRESS)
    assert (egress.inputs["fromPort"], egress.inputs["toPort"], egress.inputs["ipProtocol"]) == (443, 443, "tcp")


def test_provider_carries_the_instance_requirements_and_private_subnets(pulumi_mocks):
    built = build_mi(pulumi_mocks)
    provider = built.one(PROVIDER, "gpu-provider")
    assert provider.inputs["cluster"] == "platform", provider.urn
    template = provider.inputs["managedInstancesProvider"]["instanceLaunchTemplate"]
    assert template["networkConfiguration"] == {"subnets": SUBNETS,
                                                "securityGroups": [built.one(SG, "gpu-sg").id]}, provider.urn
    assert template["capacityOptionType"] == "ON_DEMAND" and template["storageConfiguration"] == {
        "storageSizeGib": 100}, provider.urn
    assert template["ec2InstanceProfileArn"] == built.one(PROFILE, "gpu-instance-profile").outputs["arn"]
    assert template["instanceRequirements"] == {
        "vcpuCount": {"min": 4, "max": 8}, "memoryMib": {"min": 16384, "max": 32768},
        "cpuManufacturers": ["intel", "amd"], "allowedInstanceTypes": ["g5.xlarge", "g5.2xlarge"],
        "acceleratorTypes": ["gpu"], "acceleratorManufacturers": ["nvidia"],
        "acceleratorCount": {"min": 1, "max": 1}}, provider.urn


def test_arm64_spot_instances_without_a_type_list(pulumi_mocks):
    args = ManagedInstancesArgs(vpc_id=VPC_ID, subnet_ids=SUBNETS, cluster_name="platform", architecture="ARM64",
                                capacity_option="SPOT")
    template = build_mi(pulumi_mocks, args).one(PROVIDER, "gpu-provider").inputs[
        "managedInstancesProvider"]["instanceLaunchTemplate"]
    assert template["capacityOptionType"] == "SPOT" and "storageConfiguration" not in template
    requirements = template["instanceRequirements"]
    assert requirements["cpuManufacturers"] == ["amazon-web-services"]
    assert requirements["instanceGenerations"] == ["current"] and "allowedInstanceTypes" not in requirements
    assert requirements["vcpuCount"] == {"min": 1} and "acceleratorCount" not in requirements


# ---------------------------------------------------------------------------
# Cluster: attachment beside FARGATE and FARGATE_SPOT; Fargate ephemeral storage under the key
# ---------------------------------------------------------------------------
def build_cluster(mocks: Any, **overrides: Any) -> Built:
    args = ClusterArgs(**overrides)
    return build_component(mocks, "fargate-platform:index:Cluster", lambda opts: Cluster("ecs", args, opts=opts),
                           ("cluster_name", "cluster_arn"))


def test_cluster_attaches_the_managed_instances_provider(pulumi_mocks):
    mi = ManagedInstancesArgs(vpc_id=VPC_ID, subnet_ids=SUBNETS)
    built = build_cluster(pulumi_mocks, managed_instances=mi)
    cluster = built.one("aws:ecs/cluster:Cluster", "ecs-cluster")
    provider = built.one(PROVIDER, "ecs-mi-provider")
    assert provider.inputs["cluster"] == cluster.outputs["name"], provider.urn
    capacity = built.one(CAPACITY, "ecs-capacity")
    assert capacity.inputs["capacityProviders"] == ["FARGATE", "FARGATE_SPOT", provider.outputs["name"]]
    assert [s["capacityProvider"] for s in capacity.inputs["defaultCapacityProviderStrategies"]] == ["FARGATE"]


def test_cluster_without_managed_instances_has_the_fargate_providers_only(pulumi_mocks):
    built = build_cluster(pulumi_mocks)
    assert not built.of_type(PROVIDER)
    cluster = built.one("aws:ecs/cluster:Cluster", "ecs-cluster")
    assert "managedStorageConfiguration" not in cluster.inputs["configuration"], cluster.urn


def test_cluster_encrypts_fargate_ephemeral_storage_with_the_key(pulumi_mocks):
    cluster = build_cluster(pulumi_mocks, kms_key_arn=KMS_ARN, fargate_ephemeral_storage_kms=True).one(
        "aws:ecs/cluster:Cluster", "ecs-cluster")
    assert cluster.inputs["configuration"]["managedStorageConfiguration"] == {
        "fargateEphemeralStorageKmsKeyId": KMS_ARN}, cluster.urn


def test_fargate_ephemeral_storage_needs_a_key():
    with pytest.raises(ValueError, match="kms_key_arn"):
        Cluster("ecs", ClusterArgs(fargate_ephemeral_storage_kms=True))


@pytest.mark.parametrize("grant", [False, True])
def test_key_grants_fargate_only_when_asked(pulumi_mocks, grant):
    built = build_component(pulumi_mocks, "fargate-platform:index:EncryptionKey", lambda opts: EncryptionKey(
        "k", EncryptionKeyArgs(description="d", fargate_ephemeral_storage=grant), opts=opts), ("key_arn",))
    statements = json.loads(built.one("aws:kms/key:Key", "k-key").inputs["policy"])["Statement"]
    fargate = [s for s in statements if s.get("Principal") == {"Service": facts.FARGATE_SERVICE_PRINCIPAL}]
    assert bool(fargate) is grant
    for statement in fargate:
        if statement["Action"] != "kms:DescribeKey":
            assert statement["Condition"]["StringEquals"] == {
                "kms:EncryptionContext:aws:ecs:clusterAccount": [ACCOUNT_ID]}, statement["Sid"]
    grants = [s for s in fargate if s["Action"] == "kms:CreateGrant"]
    assert all(s["Condition"]["ForAllValues:StringEquals"] == {"kms:GrantOperations": ["Decrypt"]} for s in grants)


# ---------------------------------------------------------------------------
# The service on managed instances, with a GPU and an EBS volume
# ---------------------------------------------------------------------------
def test_fargate_service_keeps_its_fargate_shape(pulumi_mocks):
    built = build_service(pulumi_mocks)
    task = built.one(TASK_DEF, "infer-task")
    service = built.one(SERVICE, "infer-service")
    assert task.inputs["requiresCompatibilities"] == ["FARGATE"], task.urn
    assert service.inputs["platformVersion"] == "LATEST", service.urn
    assert "orderedPlacementStrategies" not in service.inputs and "volumeConfiguration" not in service.inputs
    assert "resourceRequirements" not in container(built)


def test_managed_instances_service(pulumi_mocks):
    strategy = [("fp-gpu-mi-provider-1", 1, 0)]
    built = build_service(pulumi_mocks, compatibility="MANAGED_INSTANCES", capacity_provider_strategy=strategy,
                          gpus=1, cpu=3072, memory=12288)
    task = built.one(TASK_DEF, "infer-task")
    service = built.one(SERVICE, "infer-service")
    assert task.inputs["requiresCompatibilities"] == ["MANAGED_INSTANCES"], task.urn
    assert task.inputs["networkMode"] == "awsvpc", task.urn
    assert "platformVersion" not in service.inputs, service.urn
    assert service.inputs["capacityProviderStrategies"] == [
        {"capacityProvider": "fp-gpu-mi-provider-1", "weight": 1, "base": 0}], service.urn
    assert service.inputs["orderedPlacementStrategies"][0] == {
        "type": "spread", "field": "attribute:ecs.availability-zone"}, service.urn
    assert service.inputs["networkConfiguration"]["assignPublicIp"] is False, service.urn
    assert container(built)["resourceRequirements"] == [{"type": "GPU", "value": "1"}]


def test_volume_is_encrypted_with_the_key_and_mounted_writable(pulumi_mocks):
    built = build_service(pulumi_mocks, volumes=[VOLUME])
    task = built.one(TASK_DEF, "infer-task")
    assert task.inputs["volumes"] == [{"name": "tmp"}, {"name": "models", "configureAtLaunch": True}], task.urn
    mounts = container(built)["mountPoints"]
    assert {"sourceVolume": "models", "containerPath": "/models", "readOnly": False} in mounts
    assert container(built)["readonlyRootFilesystem"] is True
    service = built.one(SERVICE, "infer-service")
    role = built.one(ROLE, "infer-ebs-role")
    assert service.inputs["volumeConfiguration"] == {"name": "models", "managedEbsVolume": {
        "roleArn": role.outputs["arn"], "encrypted": True, "kmsKeyId": KMS_ARN, "sizeInGb": 100,
        "volumeType": "gp3", "fileSystemType": "xfs", "iops": 3000, "throughput": 250,
        "tagSpecifications": [{"resourceType": "volume", "propagateTags": "SERVICE"}]}}, service.urn
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "ecs.amazonaws.com"}], role.urn
    attachment = built.one(ATTACHMENT, "infer-ebs-policy")
    assert attachment.inputs["policyArn"] == (
        f"arn:aws:iam::aws:policy/service-role/{facts.EBS_INFRASTRUCTURE_POLICY}"), attachment.urn
    (statement,) = json.loads(built.one(ROLE_POLICY, "infer-ebs-kms").inputs["policy"])["Statement"]
    assert statement["Resource"] == [KMS_ARN] and statement["Action"] == list(facts.EBS_KMS_ACTIONS)


def test_volume_without_a_key_is_still_encrypted(pulumi_mocks):
    built = build_service(pulumi_mocks, volumes=[VOLUME], kms_key_arn=None)
    managed = built.one(SERVICE, "infer-service").inputs["volumeConfiguration"]["managedEbsVolume"]
    assert managed["encrypted"] is True and "kmsKeyId" not in managed
    assert "infer-ebs-kms" not in built.children


def test_volume_on_a_writable_root_is_the_only_mount(pulumi_mocks):
    built = build_service(pulumi_mocks, volumes=[VOLUME], readonly_root_filesystem=False)
    assert built.one(TASK_DEF, "infer-task").inputs["volumes"] == [{"name": "models", "configureAtLaunch": True}]
    assert container(built)["mountPoints"] == [{"sourceVolume": "models", "containerPath": "/models",
                                                "readOnly": False}]
