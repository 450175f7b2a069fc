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
