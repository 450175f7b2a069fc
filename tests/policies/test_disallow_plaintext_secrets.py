"""disallow-plaintext-secrets."""

import json

import pytest
from fargate_policies.rules import disallow_plaintext_secrets as rule

TASK = "aws:ecs/taskDefinition:TaskDefinition"
# AWS's documented example credentials, not real ones.
ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def container(*environment: tuple[str, object], name: str = "app") -> dict:
    return {
        "name": name,
        "image": "repo/app:1.0.0",
        "environment": [{"name": key, "value": value} for key, value in environment]
        or [{"name": "LOG_LEVEL", "value": "info"}, {"name": "PORT", "value": "8080"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"}],
    }


def baseline(*containers: dict) -> dict:
    """A compliant task definition: config in environment, credentials in secrets."""
    return {"family": "app", "containerDefinitions": json.dumps(list(containers) or [container()])}


@pytest.fixture
def run(evaluate):
    def _run(props: dict, config: dict | None = None) -> list[str]:
        return evaluate(rule.POLICY, TASK, props, config).messages

    return _run


def test_baseline_passes(run):
    assert run(baseline()) == []


@pytest.mark.parametrize("name", [
    "DB_PASSWORD", "db_passwd", "JWT_SECRET", "GITHUB_TOKEN", "STRIPE_API_KEY", "apikey", "SSH_PRIVATE_KEY",
    "AWS_ACCESS_KEY", "GOOGLE_CREDENTIALS",
])
def test_secret_looking_name(run, name):
    messages = run(baseline(container(("LOG_LEVEL", "info"), (name, "hunter2"))))
    assert messages == [rule.MSG_SECRET_NAME.format(container="container 'app'", name=name)]
    assert "hunter2" not in messages[0]


def test_numeric_secret_value_counts(run):
    assert run(baseline(container(("PIN_TOKEN", 123456.0)))) == [
        rule.MSG_SECRET_NAME.format(container="container 'app'", name="PIN_TOKEN")
    ]


def test_allowed_names_are_exempt_case_insensitively(run):
    props = baseline(container(("TOKEN_ENDPOINT", "https://auth.example.com/token")))
    assert run(props, {"allowedNames": ["token_endpoint"]}) == []
    assert run(props) == [rule.MSG_SECRET_NAME.format(container="container 'app'", name="TOKEN_ENDPOINT")]


def test_arn_values_and_empty_values_are_references_not_secrets(run):
    props = baseline(container(("DB_SECRET_ARN", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"),
                               ("API_TOKEN", "")))
    assert run(props) == []


def test_access_key_id_under_any_name(run):
    messages = run(baseline(container(("UPLOADER", ACCESS_KEY_ID))))
    assert messages == [rule.MSG_ACCESS_KEY_ID.format(container="container 'app'", name="UPLOADER")]
    assert ACCESS_KEY_ID not in messages[0]


def test_access_key_id_even_under_an_allowed_name(run):
    props = baseline(container(("UPLOADER", "ASIAIOSFODNN7EXAMPLE")))
    assert run(props, {"allowedNames": ["UPLOADER"]}) == [
        rule.MSG_ACCESS_KEY_ID.format(container="container 'app'", name="UPLOADER")
    ]


def test_secret_access_key_next_to_a_key_name(run):
    messages = run(baseline(container(("AWS_KEY_2", SECRET_ACCESS_KEY))))
    assert messages == [rule.MSG_SECRET_ACCESS_KEY.format(container="container 'app'", name="AWS_KEY_2")]
    assert SECRET_ACCESS_KEY not in messages[0]


def test_forty_characters_under_a_plain_name_pass(run):
    assert run(baseline(container(("GIT_COMMIT", "0123456789abcdef0123456789abcdef01234567")))) == []


def test_every_container_is_checked(run):
    props = baseline(container(), container(("DB_PASSWORD", "x"), name="worker"))
    assert run(props) == [rule.MSG_SECRET_NAME.format(container="container 'worker'", name="DB_PASSWORD")]


def test_environment_of_the_wrong_shape(run):
    bad = {**container(), "environment": {"DB_PASSWORD": "hunter2"}}
    messages = run(baseline(bad))
    assert messages == [rule.MSG_BAD_ENVIRONMENT.format(container="container 'app'", what="an object")]
    assert "hunter2" not in messages[0]


def test_odd_entries_do_not_raise(run):
    odd = {**container(), "environment": [None, 3, {"name": None, "value": "x"}, {"value": ACCESS_KEY_ID}]}
    assert run(baseline(odd)) == [rule.MSG_ACCESS_KEY_ID.format(container="container 'app'", name="environment[3]")]


def test_unreadable_definitions_are_not_echoed(run):
    messages = run({**baseline(), "containerDefinitions": '[{"environment": [{"name": "DB_PASSWORD", "value": "hunt'})
    assert messages == [rule.MSG_BAD_CONTAINERS.format(what="a string that is not valid JSON")]


def test_other_resource_types_are_ignored(evaluate):
    outcome = evaluate(rule.POLICY, "aws:lambda/function:Function", baseline(container(("DB_PASSWORD", "x"))))
    assert outcome.violations == [] and outcome.not_applicable is None


# Credential-shaped values under innocent names. Built from parts so no scanner mistakes them for real ones.
CREDENTIALS = [
    ("a URL with a password", "postgres://admin:pw@db.internal:5432/app"),
    ("a URL with a password", "redis://:s3cret@cache.internal:6379/0"),
    ("a URL with a password", "amqp://user:p%40ss@mq.internal/vhost"),
    ("a PEM private key", "-----BEGIN " + "PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----"),
    ("a PEM private key", "-----BEGIN RSA " + "PRIVATE KEY-----\\nMIIEow\\n-----END RSA PRIVATE KEY-----"),
    ("a PEM private key", "-----BEGIN OPENSSH " + "PRIVATE KEY-----"),
    ("a GitHub token", "ghp_" + "A1b2C3d4E5" * 3 + "F6g7H8"),
    ("a GitHub token", "gho_" + "x" * 36),
    ("a GitHub token", "ghs_" + "Z9" * 18),
    ("a GitHub token", "github_pat_" + "11ABCDEFG0" * 3 + "_abcdefghij"),
    ("a GitLab token", "glpat-" + "a1B2c3D4e5F6g7H8i9J0"),
    ("a Slack token", "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"),
    ("a Slack token", "xoxp-" + "1234567890-1234567890-abcdef"),
    ("a Slack webhook URL", "https://hooks.slack.com/services/" + "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"),
    ("a Stripe live key", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"),
    ("a Stripe live key", "rk_live_" + "51H8abcdefGHIJKLmnop"),
    ("a Google API key", "AIza" + "SyA1234567890abcdefghijklmnopqrstuv"),
    ("an npm token", "npm_" + "a1B2c3D4e5F6g7H8i9J0a1B2c3D4e5F6g7H8"),
    ("a SendGrid API key", "SG." + "abcdefghijklmnopqrstuv" + "." + "A" * 43),
    ("a URL with a password", "Server=db;Uri=mongodb+srv://app:hunter2@cluster0.example.net/test"),
]


@pytest.mark.parametrize(("what", "value"), CREDENTIALS, ids=[f"{w}-{i}" for i, (w, _) in enumerate(CREDENTIALS)])
def test_credential_shaped_value_under_an_innocent_name(run, what, value):
    messages = run(baseline(container(("CONNECTION", value))))
    assert messages == [rule.MSG_CREDENTIAL.format(container="container 'app'", name="CONNECTION", what=what)]
    assert value not in messages[0]


def test_credential_shaped_value_even_under_an_allowed_name(run):
    props = baseline(container(("DATABASE_URL", "postgres://admin:pw@db/app")))
    assert run(props, {"allowedNames": ["DATABASE_URL"]}) == [
        rule.MSG_CREDENTIAL.format(container="container 'app'", name="DATABASE_URL", what="a URL with a password")
    ]


ORDINARY = [
    "postgres://db.internal:5432/app",
    "postgres://admin@db.internal/app",
    "https://example.com:8443/callback?email=ops@example.com",
    "https://api.example.com/v1/items#section",
    "ssh://git@github.com:22/org/repo.git",
    "git@github.com:org/repo.git",
    "3f2c7e1a-9b4d-4c8e-a1f0-6d2b8c9e7a55",
    "0123456789abcdef0123456789abcdef01234567",
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "repo/app@sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "dGhpcyBpcyBhbiBvcmRpbmFyeSBpZA==",
    "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd",
    "sk_test_is_not_a_live_key",
    "-----BEGIN PUBLIC KEY-----\nMIIBIjANBg\n-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----",
    "my-ghp_short",
    "info",
]


@pytest.mark.parametrize("value", ORDINARY)
def test_ordinary_values_pass(run, value):
    assert run(baseline(container(("SETTING", value)))) == []


def test_forty_hex_characters_under_a_key_name_are_a_hash_not_a_key(run):
    assert run(baseline(container(("CACHE_KEY_VERSION", "0123456789abcdef0123456789abcdef01234567")))) == []
