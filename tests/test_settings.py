"""Config validation: every malformed config is rejected with one line naming the key."""

from __future__ import annotations

import json
import typing
from pathlib import Path

import pytest
import yaml
from fargate_policies import facts
from fargate_policies.facts import MEMORY_BY_CPU

from stacks.settings import (
    NAMESPACE,
    STRATEGY_WORDS,
    TIMEOUT_WORDS,
    CandidateTraffic,
    ConfigError,
    DeploymentSettings,
    LifecycleHook,
    PolicyStatement,
    ScheduledScaling,
    ServiceSettings,
    StackSettings,
    parse_settings,
)

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


LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:release-check"
BLUE_GREEN = {"strategy": "blue-green", "bakeMinutes": 10}
CANARY = {"strategy": "canary", "bakeMinutes": 10, "canaryPercent": 10, "canaryBakeMinutes": 5}
LINEAR = {"strategy": "linear", "bakeMinutes": 10, "linearStepPercent": 25, "linearStepBakeMinutes": 2}
TEST_CIDRS = json.dumps(["10.20.0.0/16"])


def with_deployment(stack=None, **deployment):
    """A config whose one service is released as ``deployment`` says; ``stack`` adds stack keys."""
    return {**with_service(deployment=deployment), **(stack or {})}


def internal_with(**deployment):
    return with_service(internal=True, healthCheckCommand=["CMD", "true"], deployment=deployment)


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
    (base_config(azCount="seven"), "azCount", 'must be a whole number; got "seven"'),
    (base_config(azCount="9"), "azCount", "9 is out of range; allowed: 2 to 6"),
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
     "looks like an AWS access key id in plaintext"),
    (with_service(environment={"DATABASE_URL": "postgres://admin:pw@db/app"}), "services[0].environment.DATABASE_URL",
     "looks like a URL with a password in plaintext"),
    (with_service(environment={"NOTIFY": "xoxb-123456789012-abcdefghijkl"}), "services[0].environment.NOTIFY",
     "looks like a Slack token in plaintext"),
    (with_service(secrets={"DB_PASSWORD": "hunter2"}), "services[0].secrets.DB_PASSWORD",
     "not an SSM parameter or Secrets Manager ARN"),
    (with_service(image="nginx:latest"), "services[0].image", "not pinned"),
    (with_service(image="nginx"), "services[0].image", "not pinned"),
    (with_service(build="app"), "services[0].image", "exactly one of image"),
    (with_service(user="root"), "services[0].user", "runs as root"),
    (with_service(user="00:00"), "services[0].user", "runs as root"),
    (with_service(user="+0"), "services[0].user", "runs as root"),
    (with_service(user=":1000"), "services[0].user", "names no user"),
    (with_service(user=" "), "services[0].user", "names no user"),
    (with_service(enableExec=True), "services[0].enableExec", "writable root filesystem"),
    (base_config(alarmPeriodSeconds="61"), "alarmPeriodSeconds", "allowed: 60, 300, 900 or 3600"),
    (with_service(name="Web_Service"), "services[0].name", "lowercase"),
    (with_service(architecture="MIPS"), "services[0].architecture", "allowed: 'X86_64' or 'ARM64'"),
    (with_service(ephemeralStorageGib=500), "services[0].ephemeralStorageGib", "allowed: 21 to 200"),
    (with_service(containerPort=70000), "services[0].containerPort", "70000 is out of range; allowed: 1 to 65535"),
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
    (base_config(services="[]"), "services", "must be a list of at least one service; got an empty list"),
    (base_config(services='{"name": "web"}'), "services", "must be a list of at least one service; got an object"),
    (with_service(schedules=[{"name": "n", "schedule": "whenever", "minCount": 0, "maxCount": 0}]),
     "services[0].schedules[0].schedule", '"whenever" is invalid; allowed: cron(...), rate(...) or at(...)'),
    (with_service(taskRoleStatements=[{"actions": ["s3:GetObject"], "resources": ["*"], "bogus": 1}]),
     "services[0].taskRoleStatements[0].bogus", "unknown key; allowed: actions, effect, resources"),
    (base_config(extraTags='["NoEquals"]'), "extraTags[0]", "Key=Value"),
    (base_config(availabilityZones='["us-east-1a"]'), "availabilityZones", "exactly azCount"),
    # Releases: every key with its strategy, in the AWS ranges, hooks ECS can run.
    (with_deployment(strategy="rolling", bakeMinutes=5), "services[0].deployment.bakeMinutes",
     "does not apply to strategy rolling; allowed: strategy blue-green, canary or linear"),
    (with_deployment(hooks=[{"stage": "PRE_SCALE_UP", "pause": True}]), "services[0].deployment.hooks",
     "does not apply to strategy rolling"),
    (with_deployment(testTraffic={"header": "X-Release"}), "services[0].deployment.testTraffic",
     "does not apply to strategy rolling"),
    (with_deployment(strategy="blue-green"), "services[0].deployment.bakeMinutes",
     "is required with strategy blue-green; allowed: 0 to 1440"),
    (with_deployment(**{**BLUE_GREEN, "bakeMinutes": 1441}), "services[0].deployment.bakeMinutes",
     "1441 is out of range; allowed: 0 to 1440"),
    (with_deployment(**{**CANARY, "canaryPercent": None}), "services[0].deployment.canaryPercent",
     "is required with strategy canary; allowed: 0.1 to 100"),
    (with_deployment(**{**CANARY, "canaryPercent": 0.05}), "services[0].deployment.canaryPercent",
     "0.05 is out of range; allowed: 0.1 to 100"),
    (with_deployment(**{**BLUE_GREEN, "canaryPercent": 10}), "services[0].deployment.canaryPercent",
     "does not apply to strategy blue-green; allowed: strategy canary"),
    (with_deployment(**{**LINEAR, "linearStepPercent": 2}), "services[0].deployment.linearStepPercent",
     "2 is out of range; allowed: 3 to 100"),
    (with_deployment(**{**LINEAR, "linearStepBakeMinutes": None}), "services[0].deployment.linearStepBakeMinutes",
     "is required with strategy linear"),
    (with_deployment(**{**CANARY, "linearStepBakeMinutes": 3}), "services[0].deployment.linearStepBakeMinutes",
     "does not apply to strategy canary; allowed: strategy linear"),
    (with_deployment(strategy="green"), "services[0].deployment.strategy",
     "allowed: 'rolling', 'blue-green', 'canary' or 'linear'"),
    (with_deployment(**BLUE_GREEN, testTraffic={"port": 8443}), "services[0].deployment.testTraffic.port",
     "needs testTrafficCidrs"),
    (with_deployment({"testTrafficCidrs": TEST_CIDRS}, **BLUE_GREEN, testTraffic={"port": 443}),
     "services[0].deployment.testTraffic.port", "443 is a production listener's port"),
    (with_deployment(**BLUE_GREEN, testTraffic={}), "services[0].deployment.testTraffic", "exactly one of port"),
    (with_deployment({"testTrafficCidrs": TEST_CIDRS}, **BLUE_GREEN, testTraffic={"port": 8443, "header": "X-R"}),
     "services[0].deployment.testTraffic", "exactly one of port"),
    (with_deployment(**BLUE_GREEN, testTraffic={"header": "X Release"}), "services[0].deployment.testTraffic.header",
     "an HTTP header name"),
    (base_config(testTrafficCidrs=json.dumps(["0.0.0.0/0"])), "testTrafficCidrs[0]", "opens the test listeners"),
    (base_config(testTrafficCidrs=json.dumps(["10.0.0.0/33"])), "testTrafficCidrs[0]", "not a CIDR"),
    (internal_with(**BLUE_GREEN, testTraffic={"port": 8443}), "services[0].deployment.testTraffic.port",
     "an internal service has no load balancer"),
    (with_deployment(**BLUE_GREEN, hooks=[{"stage": "PRODUCTION_TRAFFIC_SHIFT", "pause": True}]),
     "services[0].deployment.hooks[0].stage", "a pause cannot hold a release at PRODUCTION_TRAFFIC_SHIFT"),
    (with_deployment(**BLUE_GREEN, hooks=[{"stage": "PRE_SCALE_UP"}]), "services[0].deployment.hooks[0]",
     "exactly one of lambdaArn"),
    (with_deployment(**BLUE_GREEN, hooks=[{"stage": "PRE_SCALE_UP", "pause": True, "lambdaArn": LAMBDA}]),
     "services[0].deployment.hooks[0]", "exactly one of lambdaArn"),
    (with_deployment(**BLUE_GREEN, hooks=[{"stage": "PRE_SCALE_UP", "lambdaArn": "arn:aws:sns:x"}]),
     "services[0].deployment.hooks[0].lambdaArn", "not a Lambda function ARN"),
    (with_deployment(**BLUE_GREEN, hooks=[{"stage": "PRE_SCALE_UP", "lambdaArn": LAMBDA, "timeoutMinutes": 5}]),
     "services[0].deployment.hooks[0].timeoutMinutes", "applies to pause hooks only"),
    (with_deployment(**BLUE_GREEN, hooks=[{"stage": "PRE_SCALE_UP", "pause": True, "timeoutMinutes": 20161}]),
     "services[0].deployment.hooks[0].timeoutMinutes", "allowed: 1 to 20160"),
    (with_deployment(**BLUE_GREEN, hooks=[{"stage": "BAKE_TIME", "pause": True}]),
     "services[0].deployment.hooks[0].stage", "'RECONCILE_SERVICE', 'PRE_SCALE_UP'"),
    (with_deployment(**BLUE_GREEN, hooks=[{"stage": "PRE_SCALE_UP", "pause": True},
                                          {"stage": "PRE_SCALE_UP", "pause": True}]),
     "services[0].deployment.hooks[1]", "a second pause hook at PRE_SCALE_UP"),
    (with_service(deploymentAlarms=False, deployment={"rollbackOnAlarms": True}),
     "services[0].deployment.rollbackOnAlarms", "deploymentAlarms is false"),
    (base_config(services=json.dumps([base_service(priority=100, deployment={**BLUE_GREEN, "testTraffic": {
        "header": "X-Release"}}), base_service(name="api", priority=99)])),
     "services[0].deployment.testTraffic.header", "takes priority 99"),
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


@pytest.mark.parametrize(("cpu", "memory"), [(c, m) for c, ms in MEMORY_BY_CPU.items() for m in ms])
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
    # Object-valued keys cannot be declared in Pulumi's project schema (Pulumi.yaml says so).
    fields = {info.alias: info for name, info in StackSettings.model_fields.items()
              if name not in ("services", "managed_instances")}
    keys = {key.split(":", 1)[1] for key in declared}
    assert keys == set(fields), f"Pulumi.yaml and StackSettings differ: {sorted(keys ^ set(fields))}"
    for alias, info in fields.items():
        entry = declared[f"{NAMESPACE}:{alias}"]
        assert entry.get("description"), f"{alias}: no description in Pulumi.yaml"
        assert entry["type"] == _yaml_type(info.annotation), f"{alias}: type {entry['type']}"
        default = list(info.default) if isinstance(info.default, tuple) else info.default
        assert entry["default"] == default, f"{alias}: Pulumi.yaml default {entry['default']!r} != {default!r}"


@pytest.mark.parametrize("stack", ["dev", "prod", "gpu"])
def test_stack_files_only_hold_declared_keys_and_parse(stack):
    declared = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
    values = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text())["config"]
    own = {k: v for k, v in values.items() if k.startswith(f"{NAMESPACE}:")}
    for key in own:
        assert key in declared or key in (f"{NAMESPACE}:services", f"{NAMESPACE}:managedInstances"), \
            f"Pulumi.{stack}.yaml: {key} is not declared"
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


# ---------------------------------------------------------------------------
# Every message in the config's words, never pydantic's
# ---------------------------------------------------------------------------
WORDED = [
    # (config, message after "fargate-platform:")
    (base_config(azcount="3"), "azcount: unknown key; did you mean azCount?"),
    (with_service(memry=1024), "services[0].memry: unknown key; did you mean memory?"),
    (with_service(schedules=[{"name": "n", "schedule": "rate(1 hour)", "minCount": 0, "maxCount": 1,
                              "timzone": "UTC"}]),
     "services[0].schedules[0].timzone: unknown key; did you mean timezone?"),
    (with_service(taskRoleStatements=[{"actions": ["s3:GetObject"], "resources": ["*"], "efect": "Deny"}]),
     "services[0].taskRoleStatements[0].efect: unknown key; did you mean effect?"),
    (base_config(zzz="1"), "zzz: unknown key; allowed: " + ", ".join(sorted(
        info.alias for info in StackSettings.model_fields.values()))),
    ({"allowHttpOnly": "true"}, "services: is missing; it must be a list of at least one service"),
    (with_service(schedules=[{"name": "n", "minCount": 0, "maxCount": 1}]),
     "services[0].schedules[0].schedule: is missing; it must be text"),
    (base_config(services='"web"'), 'services: must be a list of at least one service; got "web"'),
    (base_config(services='["web"]'), 'services[0]: must be a service: an object of its settings; got "web"'),
    (with_service(cpu=256.5), "services[0].cpu: must be a whole number; got 256.5"),
    (with_service(cpuTarget="high"), 'services[0].cpuTarget: must be a number or null; got "high"'),
    (with_service(cpuTarget=0), "services[0].cpuTarget: 0 is out of range; allowed: above 0 and at most 100"),
    (with_service(maxCount=0), "services[0].maxCount: 0 is out of range; allowed: at least 1"),
    (with_service(internal="maybe"), 'services[0].internal: must be true or false; got "maybe"'),
    (with_service(name=7), "services[0].name: must be text; got 7"),
    (with_service(environment=["A=1"]), "services[0].environment: must be a map of names to strings; got a list"),
    (with_service(environment={"PIN": 1234}), "services[0].environment.PIN: must be text; got a number"),
    (with_service(pathPatterns="/api"), 'services[0].pathPatterns: must be a list of strings; got "/api"'),
    (with_service(pathPatterns=["/api", 3]), "services[0].pathPatterns[1]: must be text; got 3"),
    (with_service(taskRoleStatements=[{"actions": [], "resources": ["*"]}]),
     "services[0].taskRoleStatements[0].actions: must be a list of at least one string; got an empty list"),
    (with_service(healthCheckPath="health"), 'services[0].healthCheckPath: "health" is invalid; allowed: a path '
     "starting with /"),
    (base_config(environment=""), 'environment: "" is empty; allowed: 1 to 64 characters'),
    (base_config(owner="x" * 129), f'owner: "{"x" * 56}... is too long; allowed: 1 to 128 characters'),
    (with_service(command=["python3", ""]), 'services[0].command[1]: "" is empty; allowed: text that is not empty'),
    (with_service(workingDirectory="app"), 'services[0].workingDirectory: "app" is invalid; allowed: an absolute path, '
     "starting with /"),
    (with_service(architecture="MIPS"), "services[0].architecture: \"MIPS\" is not allowed; allowed: 'X86_64' or "
     "'ARM64'"),
    (with_deployment(strategi="canary"), "services[0].deployment.strategi: unknown key; did you mean strategy?"),
    (with_service(deployment="canary"), 'services[0].deployment: must be a deployment: an object of its settings; '
     'got "canary"'),
    (with_deployment(**BLUE_GREEN, testTraffic={"prot": 8443}),
     "services[0].deployment.testTraffic.prot: unknown key; did you mean port?"),
    (with_deployment(**BLUE_GREEN, hooks=[{"stage": "PRE_SCALE_UP", "pause": True, "onTimeout": "later"}]),
     "services[0].deployment.hooks[0].onTimeout: \"later\" is not allowed; allowed: 'rollback' or 'continue'"),
    (with_deployment(**BLUE_GREEN, hooks="PRE_SCALE_UP"),
     'services[0].deployment.hooks: must be a list of lifecycle hooks; got "PRE_SCALE_UP"'),
]


@pytest.mark.parametrize(("config", "message"), WORDED, ids=[m.split(":")[0] + m.split(":")[1][:12] for _, m in WORDED])
def test_each_kind_of_error_is_said_in_the_configs_words(config, message):
    with pytest.raises(ConfigError) as info:
        parse_settings(config)
    assert str(info.value) == f"{NAMESPACE}:{message}"


# What pydantic says in its own words; none of it may reach a user.
PYDANTIC_PHRASES = ("input should", "valid tuple", "after validation", "field required", "extra inputs",
                    "not permitted", "[type=", "pydantic", "validation error", "should be", "should have",
                    "unable to parse", "instance of", "string should", "tuple should", "errors.pydantic.dev")
BAD_VALUES = ("seven", -1, 0, 1.5, 10**12, True, None, "", [], [1], {}, {"a": 1}, "x" * 300)


def _bad_configs():
    """Each key of each model given each bad value, plus unknown keys at every level."""
    for info in StackSettings.model_fields.values():
        for value in BAD_VALUES:
            yield base_config(**{info.alias: json.dumps(value)})
    for model, wrap in ((ServiceSettings, lambda **kw: base_service(**kw)),
                        (ScheduledScaling, lambda **kw: base_service(schedules=[
                            {"name": "n", "schedule": "rate(1 hour)", "minCount": 0, "maxCount": 1, **kw}])),
                        (PolicyStatement, lambda **kw: base_service(taskRoleStatements=[
                            {"actions": ["s3:GetObject"], "resources": ["*"], **kw}])),
                        (DeploymentSettings, lambda **kw: base_service(deployment={**CANARY, **kw})),
                        (CandidateTraffic, lambda **kw: base_service(deployment={**BLUE_GREEN, "testTraffic": kw})),
                        (LifecycleHook, lambda **kw: base_service(deployment={**BLUE_GREEN, "hooks": [
                            {"stage": "PRE_SCALE_UP", "pause": True, **kw}]}))):
        for info in model.model_fields.values():
            for value in BAD_VALUES:
                yield base_config(services=json.dumps([wrap(**{info.alias: value})]))
        yield base_config(services=json.dumps([wrap(nonsense=1)]))
    for value in BAD_VALUES:
        yield base_config(services=json.dumps(value))
        yield base_config(services=json.dumps([value]))


def test_no_bad_input_gets_pydantics_wording():
    refused = 0
    for config in _bad_configs():
        try:
            parse_settings(config)
        except ConfigError as error:
            refused += 1
            message = str(error)
            assert message.startswith(f"{NAMESPACE}:") and "\n" not in message, message
            assert not any(phrase in message.lower() for phrase in PYDANTIC_PHRASES), message
    assert refused > 500, f"only {refused} bad inputs were refused: the walk lost its inputs"


# ---------------------------------------------------------------------------
# Settings accept what the pack's rules pass
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("environment", [
    {"DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:db"},
    {"API_TOKEN": ""},
    {"PUBLIC_URL": "https://example.com:8443/callback?email=ops@example.com"},
    {"IMAGE_DIGEST": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
])
def test_references_empty_and_ordinary_values_are_not_secrets(environment):
    parse_settings(with_service(environment=environment))


def test_allowed_names_let_a_secret_looking_name_through():
    config = with_service(environment={"TOKEN_ENDPOINT": "https://auth.example.com/token"})
    with pytest.raises(ConfigError, match="allowedNames"):
        parse_settings(config)
    parse_settings(config, allowed_secret_names=["token_endpoint"])


def test_allowed_names_do_not_let_a_credential_through():
    config = with_service(environment={"DATABASE_URL": "postgres://admin:pw@db/app"})
    with pytest.raises(ConfigError, match="a URL with a password"):
        parse_settings(config, allowed_secret_names=["DATABASE_URL"])


def test_allowed_names_come_from_the_stacks_policy_config(tmp_path, monkeypatch):
    from stacks import settings

    monkeypatch.setattr(settings, "POLICY_CONFIG_DIR", tmp_path)
    assert settings.plaintext_allowed_names("none") == ()
    (tmp_path / "dev.json").write_text(json.dumps({
        "disallow-plaintext-secrets": {"enforcementLevel": "mandatory", "allowedNames": ["TOKEN_ENDPOINT"]}}))
    assert settings.plaintext_allowed_names("dev") == ("TOKEN_ENDPOINT",)
    (tmp_path / "lean.json").write_text(json.dumps({"disallow-plaintext-secrets": "advisory"}))
    assert settings.plaintext_allowed_names("lean") == ()


@pytest.mark.parametrize(("text", "problem"), [
    ("{not json", "policies/config/bad.json: cannot be read as JSON"),
    ('{"disallow-plaintext-secrets": {"allowedNames": "TOKEN"}}',
     "policies/config/bad.json: disallow-plaintext-secrets.allowedNames must be a list of names"),
])
def test_a_bad_policy_config_is_one_line(tmp_path, monkeypatch, text, problem):
    import pulumi

    from stacks import settings

    monkeypatch.setattr(settings, "POLICY_CONFIG_DIR", tmp_path)
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(pulumi.RunError) as info:
        settings.plaintext_allowed_names("bad")
    assert str(info.value).startswith(problem) and "\n" not in str(info.value)


@pytest.mark.parametrize("stack", ["dev", "prod", "gpu"])
def test_each_stacks_policy_config_is_read(stack):
    from stacks import settings

    document = json.loads((ROOT / "policies" / "config" / f"{stack}.json").read_text())
    assert settings.plaintext_allowed_names(stack) == tuple(document["disallow-plaintext-secrets"]["allowedNames"])


# ---------------------------------------------------------------------------
# Releases: what the settings accept, and the words they share with the pack's facts
# ---------------------------------------------------------------------------
def test_config_words_name_every_strategy_and_timeout_action_of_the_facts():
    assert sorted(STRATEGY_WORDS.values()) == sorted(facts.DEPLOYMENT_STRATEGIES)
    assert STRATEGY_WORDS[DeploymentSettings().strategy] == facts.DEFAULT_DEPLOYMENT_STRATEGY
    assert sorted(TIMEOUT_WORDS.values()) == sorted(facts.HOOK_TIMEOUT_ACTIONS)
    assert typing.get_args(LifecycleHook.model_fields["stage"].annotation) == facts.LIFECYCLE_STAGES


@pytest.mark.parametrize("deployment", [BLUE_GREEN, CANARY, LINEAR], ids=["blue-green", "canary", "linear"])
def test_each_traffic_shifting_strategy_is_accepted_with_its_own_keys(deployment):
    service = parse_settings(with_deployment(**deployment)).services[0]
    assert service.deployment.shifts_traffic and service.deployment.ecs_strategy in facts.TRAFFIC_SHIFTING_STRATEGIES


def test_rolling_is_the_default_and_shifts_nothing():
    deployment = parse_settings(base_config()).services[0].deployment
    assert deployment.ecs_strategy == facts.ROLLING and not deployment.shifts_traffic
    assert deployment.rollback_on_alarms is True and deployment.test_traffic is None and deployment.hooks == ()


def test_every_stage_takes_a_lambda_hook_and_the_others_a_pause():
    hooks = [{"stage": stage, "lambdaArn": LAMBDA} for stage in facts.LIFECYCLE_STAGES]
    hooks += [{"stage": stage, "pause": True, "timeoutMinutes": 30, "onTimeout": "continue"}
              for stage in facts.LIFECYCLE_STAGES if stage not in facts.PAUSE_EXCLUDED_STAGES]
    parsed = parse_settings(with_deployment(**BLUE_GREEN, hooks=hooks)).services[0].deployment.hooks
    assert len(parsed) == len(hooks)


def test_test_listener_and_header_rules_are_accepted():
    config = with_deployment({"testTrafficCidrs": TEST_CIDRS}, **CANARY, testTraffic={"port": 8443})
    assert parse_settings(config).services[0].deployment.test_traffic.port == 8443
    traffic = parse_settings(with_deployment(**LINEAR, testTraffic={"header": "X-Release"})).services[0]
    assert (traffic.deployment.test_traffic.header, traffic.deployment.test_traffic.header_value) == \
        ("X-Release", "candidate")


def test_an_internal_service_may_shift_traffic_with_a_header_rule():
    service = parse_settings(internal_with(**BLUE_GREEN, testTraffic={"header": "X-Release",
                                                                       "headerValue": "green"})).services[0]
    assert service.internal and service.deployment.test_traffic.header == "X-Release"
