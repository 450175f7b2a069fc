"""Config validation: every malformed config is rejected with one line naming the key."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest
import yaml

from stacks.settings import FARGATE_MEMORY, NAMESPACE, ConfigError, StackSettings, parse_settings

ROOT = Path(__file__).resolve().parent.parent


def base_service(**overrides):
    service = {"name": "web", "image": "registry.example.com/web:1.2.3", "cpu": 256, "memory": 512}
    service.update(overrides)
    return service


def base_config(**overrides):
    """A minimal valid config, as raw strings the way Pulumi hands them over."""
    config = {"allowHttpOnly": "true", "services": json.dumps([base_service()])}
    config.update(overrides)
    return config


def with_service(**overrides):
    return base_config(services=json.dumps([base_service(**overrides)]))


def test_minimal_config_is_valid():
    settings = parse_settings(base_config())
    assert settings.services[0].name == "web"
    assert settings.az_count == 2


def test_settings_are_immutable():
    settings = parse_settings(base_config())
    with pytest.raises(Exception):  # noqa: B017 - pydantic raises ValidationError for frozen models
        settings.az_count = 3  # type: ignore[misc]


MALFORMED = [
    # (config, key path named in the error, fragment of what is wrong or allowed)
    (base_config(bogusKey="1"), "bogusKey", "unknown key"),
    (with_service(bogus=1), "services[0].bogus", "unknown key"),
    (base_config(azCount="seven"), "azCount", "invalid"),
    (base_config(azCount="9"), "azCount", "less than or equal to 6"),
    (base_config(natStrategy="many"), "natStrategy", "allowed: 'single', 'one-per-az' or 'none'"),
    (with_service(memory=4096), "services[0].memory", "allowed: 512, 1024, 2048"),
    (with_service(cpu=300), "services[0].cpu", "not a Fargate size"),
    (with_service(minCount=5, maxCount=2, desiredCount=2), "services[0].minCount", "greater than maxCount"),
    (with_service(desiredCount=9, maxCount=4), "services[0].desiredCount", "outside"),
    (base_config(services=json.dumps([base_service(), base_service(priority=200)])), "services[1].name",
     "duplicates"),
    (base_config(services=json.dumps([base_service(), base_service(name="api")])), "services[1].priority",
     "duplicates"),
    (base_config(vpcCidr="10.0.0.0/33"), "vpcCidr", "not a CIDR"),
    (base_config(vpcCidr="10.0.0.0/8"), "vpcCidr", "allowed: /16 to /22"),
    (base_config(ingressCidrs='["1.2.3.4/40"]'), "ingressCidrs[0]", "not a CIDR"),
    (base_config(allowHttpOnly="false"), "certificateArn", "allowHttpOnly"),
    (base_config(certificateArn="not-an-arn"), "certificateArn", "not an ACM certificate ARN"),
    (with_service(environment={"DB_PASSWORD": "hunter2"}), "services[0].environment.DB_PASSWORD",
     "secret in plaintext"),
    (with_service(environment={"KEY_ID": "AKIAABCDEFGHIJKLMNOP"}), "services[0].environment.KEY_ID",
     "secret in plaintext"),
    (with_service(secrets={"DB_PASSWORD": "hunter2"}), "services[0].secrets.DB_PASSWORD",
     "not an SSM parameter or Secrets Manager ARN"),
    (with_service(image="nginx:latest"), "services[0].image", "not pinned"),
    (with_service(image="nginx"), "services[0].image", "not pinned"),
    (with_service(build="app"), "services[0].image", "exactly one of image"),
    (with_service(user="root"), "services[0].user", "root"),
    (with_service(enableExec=True), "services[0].enableExec", "writable root filesystem"),
    (base_config(alarmPeriodSeconds="61"), "alarmPeriodSeconds", "allowed: 60, 300, 900 or 3600"),
    (with_service(name="Web_Service"), "services[0].name", "lowercase"),
    (with_service(architecture="MIPS"), "services[0].architecture", "allowed: 'X86_64' or 'ARM64'"),
    (with_service(ephemeralStorageGib=500), "services[0].ephemeralStorageGib", "less than or equal to 200"),
    (with_service(containerPort=70000), "services[0].containerPort", "less than or equal to 65535"),
    (base_config(logRetentionDays="10"), "logRetentionDays", "allowed: 1, 3, 5, 7, 14"),
    (base_config(kmsKeyArn="arn:aws:kms:us-east-1:123456789012:key/abc", createKmsKey="true"), "kmsKeyArn",
     "one of them"),
    (base_config(existingVpcId="vpc-12345678", existingPrivateSubnetIds='["subnet-12345678"]',
                 existingPublicSubnetIds='["subnet-22345678", "subnet-32345678"]'), "existingPrivateSubnetIds",
     "at least 2"),
    (base_config(existingPrivateSubnetIds='["subnet-12345678", "subnet-22345678"]'), "existingVpcId",
     "set existingVpcId too"),
    (base_config(fargateWeight="0", fargateSpotWeight="0"), "fargateWeight", "both 0"),
    (base_config(sslPolicy="ELBSecurityPolicy-2016-08"), "sslPolicy", "not a TLS 1.3 policy"),
    (base_config(natStrategy="none"), "natStrategy", "vpcEndpoints"),
    (base_config(services="[]"), "services", "at least 1"),
    (base_config(services='{"name": "web"}'), "services", "invalid"),
    (with_service(schedules=[{"name": "n", "schedule": "whenever", "minCount": 0, "maxCount": 0}]),
     "services[0].schedules[0].schedule", "invalid"),
    (with_service(taskRoleStatements=[{"actions": ["s3:GetObject"], "resources": ["*"], "bogus": 1}]),
     "services[0].taskRoleStatements[0].bogus", "unknown key; allowed: actions, effect, resources"),
    (base_config(extraTags='["NoEquals"]'), "extraTags[0]", "Key=Value"),
    (base_config(availabilityZones='["us-east-1a"]'), "availabilityZones", "exactly azCount"),
]


@pytest.mark.parametrize(("config", "key", "fragment"), MALFORMED, ids=[m[1] for m in MALFORMED])
def test_malformed_config_is_rejected_with_the_key_named(config, key, fragment):
    with pytest.raises(ConfigError) as info:
        parse_settings(config)
    message = str(info.value)
    assert message.startswith(f"{NAMESPACE}:{key}: "), message
    assert fragment in message, message
    assert "\n" not in message, "the error must be one line"


def test_config_error_is_a_clean_pulumi_error():
    """The Pulumi CLI prints a RunError's message without a traceback."""
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


@pytest.mark.parametrize(("cpu", "memory"), [(c, m) for c, ms in FARGATE_MEMORY.items() for m in ms])
def test_every_fargate_size_is_accepted(cpu, memory):
    parse_settings(with_service(cpu=cpu, memory=memory))


def _yaml_type(annotation) -> str | None:
    origin = typing.get_origin(annotation)
    if annotation is bool:
        return "boolean"
    if annotation is int:
        return "integer"
    if origin is typing.Literal:
        return "integer" if isinstance(typing.get_args(annotation)[0], int) else "string"
    if annotation is str:
        return "string"
    if origin is typing.Annotated:
        return _yaml_type(typing.get_args(annotation)[0])
    if origin is tuple:
        return "array"
    return None


def test_pulumi_yaml_declares_every_key_with_the_settings_default():
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    fields = {info.alias: info for name, info in StackSettings.model_fields.items() if name != "services"}
    keys = {key.split(":", 1)[1] for key in declared}
    assert keys == set(fields), f"Pulumi.yaml and StackSettings differ: {sorted(keys ^ set(fields))}"
    for alias, info in fields.items():
        entry = declared[f"{NAMESPACE}:{alias}"]
        assert entry.get("description"), f"{alias}: no description in Pulumi.yaml"
        assert entry["type"] == _yaml_type(info.annotation), f"{alias}: type {entry['type']}"
        default = list(info.default) if isinstance(info.default, tuple) else info.default
        assert entry["default"] == default, f"{alias}: Pulumi.yaml default {entry['default']!r} != {default!r}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_files_only_hold_declared_keys_and_parse(stack):
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    values = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    own = {k: v for k, v in values.items() if k.startswith(f"{NAMESPACE}:")}
    for key in own:
        assert key in declared or key == f"{NAMESPACE}:services", f"Pulumi.{stack}.yaml: {key} is not declared"
    raw = {k.split(":", 1)[1]: (v if isinstance(v, str) else json.dumps(v)) for k, v in own.items()}
    parse_settings(raw)


def test_readme_config_reference_is_up_to_date():
    """Regenerate with `python -m stacks.reference`."""
    from stacks.reference import README, current_section, render

    assert current_section(README.read_text()) == render(), "README config reference is stale"


def test_readme_config_reference_covers_every_declared_key():
    from stacks.reference import README, current_section

    section = current_section(README.read_text())
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    for key in declared:
        assert f"`{key}`" in section, f"README config reference lacks {key}"
