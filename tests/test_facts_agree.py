"""Settings and the pack agree: the settings accept a service exactly when the pack's rules pass it.

For generated service values (cpu/memory pairs, storage and architecture,
container users, environment maps, log retention days), valid or not, the
settings' verdict is compared with the verdict of the matching rules on the
task definition or log group the program builds from them. The props are built
the way the service component builds them (``cpu=str(svc.cpu)``, one container
with ``user`` and the environment sorted by name, ``retentionInDays`` as
given); ``tests/test_service.py`` checks the component does exactly that.
"""

from __future__ import annotations

import json
import string
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from fargate_policies import facts
from fargate_policies.rules import (
    disallow_plaintext_secrets,
    enforce_tls_policy,
    require_deployment_bake_time,
    require_log_group_retention,
    require_non_root_user,
    require_traffic_shifting_deployments,
    require_valid_fargate_size,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stacks.settings import PLAINTEXT_SECRETS_POLICY, ConfigError, parse_settings

# A few hundred examples in all: enough to cross every boundary, fast enough for every run.
AGREE = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

IMAGE = "registry.example.com/web:1.2.3"


def settings_accept(service: Mapping[str, Any], *, checked: Iterable[str], allowed_names: Iterable[str] = (),
                    **stack: Any) -> bool:
    """Whether the settings accept a stack with this one service; a refusal must name a key under test."""
    config = {"allowHttpOnly": "true", "services": json.dumps([{"name": "web", "image": IMAGE, **service}]),
              **{key: value if isinstance(value, str) else json.dumps(value) for key, value in stack.items()}}
    try:
        parse_settings(config, allowed_secret_names=list(allowed_names))
    except ConfigError as error:
        assert error.path.startswith(tuple(checked)), f"refused for another reason: {error}"
        return False
    return True


def rules_pass(rule: Any, props: Mapping[str, Any], config: Mapping[str, Any] | None = None) -> bool:
    return list(rule.check(props, config or {})) == []


def task_definition(cpu: Any = 256, memory: Any = 512, architecture: str = "X86_64", storage: int | None = None,
                    user: str = "1000:1000", environment: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The task definition props the service component registers for these service settings."""
    container = {
        "name": "web",
        "image": IMAGE,
        "essential": True,
        "environment": [{"name": k, "value": v} for k, v in sorted((environment or {}).items())],
        "user": user,
        "readonlyRootFilesystem": True,
        "privileged": False,
    }
    props: dict[str, Any] = {
        "family": "fargate-platform-test-web",
        "requiresCompatibilities": ["FARGATE"],
        "networkMode": "awsvpc",
        "cpu": str(cpu),
        "memory": str(memory),
        "runtimePlatform": {"operatingSystemFamily": "LINUX", "cpuArchitecture": architecture},
        "containerDefinitions": json.dumps([container]),
    }
    if storage is not None:
        props["ephemeralStorage"] = {"sizeInGib": float(storage)}
    return props


# ---------------------------------------------------------------------------
# Fargate size and platform
# ---------------------------------------------------------------------------
ALL_MEMORY = sorted({m for memories in facts.MEMORY_BY_CPU.values() for m in memories})
sizes = st.one_of(
    st.sampled_from(facts.valid_pairs()),
    st.tuples(st.one_of(st.sampled_from(facts.VALID_CPUS), st.integers(0, 20000)),
              st.one_of(st.sampled_from(ALL_MEMORY), st.integers(0, 130000))),
)


@AGREE
@given(size=sizes)
def test_fargate_size(size):
    cpu, memory = size
    accepted = settings_accept({"cpu": cpu, "memory": memory}, checked=["services[0].cpu", "services[0].memory"])
    assert accepted == rules_pass(require_valid_fargate_size, task_definition(cpu, memory)), (size, accepted)


STORAGE_EDGES = [facts.EPHEMERAL_STORAGE_MIN_GIB - 1, facts.EPHEMERAL_STORAGE_MIN_GIB, facts.EPHEMERAL_STORAGE_MAX_GIB,
                 facts.EPHEMERAL_STORAGE_MAX_GIB + 1]


@AGREE
@given(storage=st.one_of(st.none(), st.sampled_from(STORAGE_EDGES), st.integers(0, 300)),
       architecture=st.sampled_from([*facts.CPU_ARCHITECTURES, "arm64", "MIPS", ""]))
def test_fargate_storage_and_architecture(storage, architecture):
    service = {"ephemeralStorageGib": storage, "architecture": architecture}
    accepted = settings_accept(service, checked=[f"services[0].{key}" for key in service])
    props = task_definition(architecture=architecture, storage=storage)
    assert accepted == rules_pass(require_valid_fargate_size, props), (service, accepted)


# ---------------------------------------------------------------------------
# Container user
# ---------------------------------------------------------------------------
ROOT_SPELLINGS = ["root", "0", "00", "0:0", "00:00", "root:root", "0:1000", "root:app", " 0 ", "+0", "-0", "000"]
users = st.one_of(
    st.sampled_from([*ROOT_SPELLINGS, "1000:1000", "1000", "app", "nobody:nogroup", "1000:0", "Root", "", " ",
                     ":1000", ":0"]),
    # A padded, signed uid with leading zeros and a group: " +007:root".
    st.builds(lambda *parts: "".join(parts), st.sampled_from(["", " "]), st.sampled_from(["", "+", "-"]),
              st.sampled_from(["", "0", "00"]), st.sampled_from(["", "0", "1", "1000", "app"]),
              st.sampled_from(["", ":", ":0", ":1000", ":root"]), st.sampled_from(["", " "])),
    st.text(alphabet="0root:+- 1a", max_size=8),
)


@AGREE
@given(user=users)
def test_container_user(user):
    accepted = settings_accept({"user": user}, checked=["services[0].user"])
    assert accepted == rules_pass(require_non_root_user, task_definition(user=user)), (user, accepted)


# ---------------------------------------------------------------------------
# Environment variables
# ---------------------------------------------------------------------------
SECRET_NAMES = ["DB_PASSWORD", "db_passwd", "JWT_SECRET", "GITHUB_TOKEN", "TOKEN_ENDPOINT", "apikey", "AWS_KEY_ID",
                "SSH_PRIVATE_KEY", "GOOGLE_CREDENTIALS"]
PLAIN_NAMES = ["LOG_LEVEL", "PORT", "DATABASE_URL", "UPLOADER", "GIT_COMMIT", "CACHE_KEY", "PUBLIC_URL"]
names = st.one_of(st.sampled_from(SECRET_NAMES + PLAIN_NAMES),
                  st.text(alphabet=string.ascii_letters + string.digits + "_", min_size=1, max_size=12))
values = st.one_of(
    st.sampled_from([
        "", " ", "info", "8080", "https://example.com/callback", "postgres://db.internal:5432/app",
        "postgres://admin:pw@db.internal/app", "arn:aws:secretsmanager:us-east-1:123456789012:secret:db",
        "arn:aws:ssm:us-east-1:123456789012:parameter/app/token", "AKIAIOSFODNN7EXAMPLE",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "0123456789abcdef0123456789abcdef01234567",
        "ghp_" + "a1B2" * 9, "xoxb-" + "1234567890-abcdefghij", "sk_live_" + "4eC39HqLyjWDarjt",
        "-----BEGIN " + "PRIVATE KEY-----", "3f2c7e1a-9b4d-4c8e-a1f0-6d2b8c9e7a55",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]),
    st.text(max_size=20),
)


@st.composite
def environments(draw: st.DrawFn) -> tuple[dict[str, str], list[str]]:
    """An environment map, and allowedNames that often name its own variables, in any case."""
    environment = draw(st.dictionaries(names, values, max_size=4))
    pool = sorted(environment) + SECRET_NAMES
    allowed = draw(st.lists(st.one_of(st.sampled_from(pool), st.sampled_from(pool).map(str.lower), names),
                            max_size=3))
    return environment, allowed


@AGREE
@given(case=environments())
def test_environment(case):
    environment, allowed_names = case
    accepted = settings_accept({"environment": environment}, checked=["services[0].environment"],
                               allowed_names=allowed_names)
    config = {"allowedNames": allowed_names}
    passed = rules_pass(disallow_plaintext_secrets, task_definition(environment=environment), config)
    assert accepted == passed, (environment, allowed_names, accepted)


def test_settings_read_allowed_names_for_the_packs_rule():
    assert PLAINTEXT_SECRETS_POLICY == disallow_plaintext_secrets.POLICY.name


# ---------------------------------------------------------------------------
# Log retention
# ---------------------------------------------------------------------------
@AGREE
@given(days=st.one_of(st.sampled_from(facts.LOG_RETENTION_DAYS), st.integers(-5, 4000)),
       key=st.sampled_from(["logRetentionDays", "flowLogRetentionDays"]))
def test_log_retention(days, key):
    accepted = settings_accept({}, checked=[key], **{key: days})
    log_group = {"name": "/ecs/web", "retentionInDays": float(days)}
    assert accepted == rules_pass(require_log_group_retention, log_group), (key, days, accepted)


@pytest.mark.parametrize("days", facts.LOG_RETENTION_DAYS)
def test_every_retention_value_is_accepted_by_both(days):
    assert settings_accept({}, checked=[], logRetentionDays=days)
    assert rules_pass(require_log_group_retention, {"retentionInDays": float(days)})


# ---------------------------------------------------------------------------
# The HTTPS listener's TLS policy
# ---------------------------------------------------------------------------
TLS_POLICY_NAMES = st.one_of(
    st.sampled_from([
        "ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-FS-2018-06", "ELBSecurityPolicy-TLS-1-2-2017-01",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06", "ELBSecurityPolicy-FS-1-2-Res-2020-10",
        "ELBSecurityPolicy-TLS13-1-0-2021-06", "ELBSecurityPolicy-TLS13-1-1-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-2021-06", "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
        "ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04", "ELBSecurityPolicy-TLS13-1-3-PQ-2025-09",
        "ELBSecurityPolicy-TLS13-1-3-2021-06", "TLS13-1-2", "",
    ]),
    st.builds(lambda low, tail: f"ELBSecurityPolicy-TLS13-1-{low}-{tail}", st.integers(0, 4),
              st.text(string.ascii_letters + string.digits + "-", max_size=12)),
)


@AGREE
@given(policy=TLS_POLICY_NAMES)
def test_ssl_policy(policy):
    """The settings take sslPolicy exactly when enforce-tls-policy passes it under requireTls13 (prod's level)."""
    accepted = settings_accept({}, checked=["sslPolicy"], sslPolicy=policy,
                               certificateArn="arn:aws:acm:us-east-1:123456789012:certificate/abc")
    listener = {"protocol": "HTTPS", "sslPolicy": policy}
    assert accepted == rules_pass(enforce_tls_policy, listener, {"requireTls13": True}), (policy, accepted)

# Releases: bake times and strategies
# ---------------------------------------------------------------------------
@AGREE
@given(minutes=st.one_of(st.sampled_from([facts.BAKE_MINUTES_MIN, facts.BAKE_MINUTES_MAX]),
                         st.integers(-5, facts.BAKE_MINUTES_MAX + 10)))
def test_bake_time(minutes):
    """A bake time the settings accept is one the pack reads as a bake time (at a minimum of 0)."""
    accepted = settings_accept({"deployment": {"strategy": "blue-green", "bakeMinutes": minutes}},
                               checked=["services[0].deployment.bakeMinutes"])
    # The service component sends the minutes as the provider takes them: a string.
    props = {"deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": str(minutes)}}
    assert accepted == rules_pass(require_deployment_bake_time, props, {"minimumMinutes": 0}), minutes


@pytest.mark.parametrize("strategy", ["rolling", "blue-green", "canary", "linear"])
def test_each_strategy_word_is_one_the_pack_knows(strategy):
    from stacks.settings import STRATEGY_WORDS

    ecs = STRATEGY_WORDS[strategy]
    props = {"deploymentConfiguration": {"strategy": ecs}, "loadBalancers": [{"targetGroupArn": "arn:tg"}]}
    assert rules_pass(require_traffic_shifting_deployments, props) == facts.is_traffic_shifting(ecs)
