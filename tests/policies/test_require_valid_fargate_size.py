"""require-valid-fargate-size: every boundary of the Fargate table, storage and runtime platform."""

import json

import pytest
from fargate_policies.facts import MEMORY_BY_CPU, VALID_CPUS, valid_pairs
from fargate_policies.rules import require_valid_fargate_size as rule

TASK = "aws:ecs/taskDefinition:TaskDefinition"


def baseline() -> dict:
    """A compliant FARGATE task definition, shaped as the engine sends it."""
    return {
        "family": "app",
        "cpu": "512",
        "memory": "1024",
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"},
        "containerDefinitions": json.dumps([{"name": "app", "image": "repo/app:1.0.0", "essential": True}]),
    }


@pytest.fixture
def run(evaluate):
    def _run(props: dict, config: dict | None = None) -> list[str]:
        return evaluate(rule.POLICY, TASK, props, config).messages

    return _run


def allowed(cpu: int) -> str:
    return ", ".join(str(m) for m in MEMORY_BY_CPU[cpu])


def test_baseline_passes(run):
    assert run(baseline()) == []


@pytest.mark.parametrize(("cpu", "memory"), valid_pairs())
def test_every_valid_pair_passes_as_string_and_float(run, cpu, memory):
    for shape in (str, float):
        props = {**baseline(), "cpu": shape(cpu), "memory": shape(memory)}
        assert run(props) == [], (cpu, memory)


def test_vcpu_and_gb_notation_is_understood(run):
    assert run({**baseline(), "cpu": "0.5 vCPU", "memory": "1 GB"}) == []


@pytest.mark.parametrize(("cpu", "memory"), [
    (256, 256), (256, 1536), (256, 3072),
    (512, 512), (512, 1536), (512, 5120),
    (1024, 1024), (1024, 9216),
    (2048, 3072), (2048, 17408),
    (4096, 7168), (4096, 31744),
    (8192, 18432), (8192, 65536), (8192, 15360),
    (16384, 36864), (16384, 131072), (16384, 31744),
])
def test_invalid_pair_lists_the_memory_allowed_for_that_cpu(run, cpu, memory):
    props = {**baseline(), "cpu": float(cpu), "memory": float(memory)}
    assert run(props) == [rule.MSG_PAIR_INVALID.format(value=str(memory), cpu=cpu, allowed=allowed(cpu))]


def test_eight_vcpu_memory_moves_in_4_gb_steps(run):
    assert run({**baseline(), "cpu": "8192", "memory": "20480"}) == []
    assert run({**baseline(), "cpu": "8192", "memory": "18432"}) == [
        rule.MSG_PAIR_INVALID.format(value="'18432'", cpu=8192, allowed=allowed(8192))
    ]


def test_sixteen_vcpu_memory_moves_in_8_gb_steps(run):
    assert run({**baseline(), "cpu": "16384", "memory": "40960"}) == []
    assert run({**baseline(), "cpu": "16384", "memory": "36864"}) == [
        rule.MSG_PAIR_INVALID.format(value="'36864'", cpu=16384, allowed=allowed(16384))
    ]


def test_cpu_not_offered_by_fargate(run):
    props = {**baseline(), "cpu": "768"}
    cpus = ", ".join(str(c) for c in VALID_CPUS)
    assert run(props) == [rule.MSG_CPU_INVALID.format(value="'768'", cpus=cpus)]


@pytest.mark.parametrize("value", [None, "lots", 512.5, True, [512]])
def test_unreadable_cpu(run, value):
    props = {**baseline(), "cpu": value}
    if value is None:
        del props["cpu"]
    cpus = ", ".join(str(c) for c in VALID_CPUS)
    expected = rule.MSG_CPU_UNREADABLE.format(value=rule.show(value), cpus=cpus)
    assert run(props) == [expected]


@pytest.mark.parametrize("value", [None, "a lot", {"mib": 1024}])
def test_unreadable_memory(run, value):
    props = {**baseline(), "memory": value}
    assert run(props) == [rule.MSG_MEMORY_UNREADABLE.format(value=rule.show(value))]


@pytest.mark.parametrize("size", [21, 100, 200])
def test_ephemeral_storage_in_range_passes(run, size):
    assert run({**baseline(), "ephemeralStorage": {"sizeInGib": float(size)}}) == []


@pytest.mark.parametrize("size", [20, 201, 0, -5])
def test_ephemeral_storage_out_of_range(run, size):
    props = {**baseline(), "ephemeralStorage": {"sizeInGib": float(size)}}
    assert run(props) == [rule.MSG_EPHEMERAL_INVALID.format(value=str(size), low=21, high=200)]


def test_ephemeral_storage_without_size(run):
    props = {**baseline(), "ephemeralStorage": {}}
    assert run(props) == [rule.MSG_EPHEMERAL_INVALID.format(value="not set", low=21, high=200)]


def test_arm64_passes(run):
    props = baseline()
    props["runtimePlatform"]["cpuArchitecture"] = "ARM64"
    assert run(props) == []


def test_unknown_architecture(run):
    props = baseline()
    props["runtimePlatform"]["cpuArchitecture"] = "RISCV"
    assert run(props) == [rule.MSG_ARCHITECTURE_INVALID.format(value="'RISCV'", allowed="'X86_64' or 'ARM64'")]


def test_unknown_operating_system_family(run):
    props = baseline()
    props["runtimePlatform"]["operatingSystemFamily"] = "MACOS"
    assert run(props) == [rule.MSG_OS_INVALID.format(value="'MACOS'")]


def test_windows_with_1_vcpu_passes(run):
    props = {**baseline(), "cpu": "1024", "memory": "2048"}
    props["runtimePlatform"]["operatingSystemFamily"] = "WINDOWS_SERVER_2022_CORE"
    assert run(props) == []


def test_windows_with_half_a_vcpu(run):
    props = baseline()
    props["runtimePlatform"]["operatingSystemFamily"] = "WINDOWS_SERVER_2019_FULL"
    assert run(props) == [
        rule.MSG_WINDOWS_CPU.format(value="'512'", family="'WINDOWS_SERVER_2019_FULL'", minimum=1024)
    ]


def test_windows_on_arm64(run):
    props = {**baseline(), "cpu": "1024", "memory": "2048"}
    props["runtimePlatform"] = {"cpuArchitecture": "ARM64", "operatingSystemFamily": "WINDOWS_SERVER_2022_CORE"}
    assert run(props) == [
        rule.MSG_WINDOWS_ARCHITECTURE.format(value="'ARM64'", family="'WINDOWS_SERVER_2022_CORE'")
    ]


def test_runtime_platform_absent_means_linux_x86(run):
    props = baseline()
    del props["runtimePlatform"]
    assert run(props) == []


@pytest.mark.parametrize("compatibilities", [["EC2"], None, [], "EC2"])
def test_not_applicable_without_fargate(evaluate, compatibilities):
    props = {**baseline(), "requiresCompatibilities": compatibilities, "cpu": "3", "memory": "7"}
    outcome = evaluate(rule.POLICY, TASK, props)
    assert outcome.violations == []
    assert outcome.not_applicable is not None and "FARGATE" in outcome.not_applicable


def test_fargate_as_a_lone_string_counts(run):
    props = {**baseline(), "requiresCompatibilities": "FARGATE", "memory": "9999"}
    assert run(props) == [rule.MSG_PAIR_INVALID.format(value="'9999'", cpu=512, allowed=allowed(512))]


def test_other_resource_types_are_ignored(evaluate):
    props = {**baseline(), "cpu": "3"}
    outcome = evaluate(rule.POLICY, "aws:ecs/service:Service", props)
    assert outcome.violations == [] and outcome.not_applicable is None


def test_gpu_on_fargate_fails(run):
    container = {"name": "app", "image": "repo/app:1.0.0", "essential": True,
                 "resourceRequirements": [{"type": "GPU", "value": "1"}]}
    props = {**baseline(), "containerDefinitions": json.dumps([container])}
    assert run(props) == [rule.MSG_GPU_ON_FARGATE.format(container="container 'app'", value="'1'")]


def test_managed_instances_task_definitions_are_left_to_their_own_rule(evaluate):
    props = {**baseline(), "requiresCompatibilities": ["MANAGED_INSTANCES"], "cpu": "3072", "memory": "12288"}
    outcome = evaluate(rule.POLICY, TASK, props)
    assert outcome.violations == [] and outcome.not_applicable == rule.MSG_NOT_FARGATE.format(
        value="[\"MANAGED_INSTANCES\"]")
