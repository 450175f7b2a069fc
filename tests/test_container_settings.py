"""Service settings that shape the container: command, entry point, working directory and health checks."""

from __future__ import annotations

import json

import pytest

from stacks.settings import ConfigError, parse_settings


def settings_with(**service):
    """Parse a minimal stack whose one service has ``service`` added."""
    base = {"name": "web", "image": "registry.example.com/web:1.2.3", **service}
    return parse_settings({"allowHttpOnly": "true", "services": json.dumps([base])})


def test_command_entry_point_and_working_directory_are_read():
    svc = settings_with(command=["python3", "/app/server.py"], entryPoint=["/usr/bin/tini", "--"],
                        workingDirectory="/app").services[0]
    assert (svc.command, svc.entry_point, svc.working_directory) == \
        (("python3", "/app/server.py"), ("/usr/bin/tini", "--"), "/app")


def test_the_image_decides_when_nothing_is_given():
    svc = settings_with().services[0]
    assert (svc.command, svc.entry_point, svc.working_directory, svc.health_check_command) == (None,) * 4


@pytest.mark.parametrize(("field", "value"), [
    ("command", []),
    ("command", ["python3", ""]),
    ("command", "python3 /app/server.py"),
    ("command", ["python3", 3]),
    ("entryPoint", []),
    ("entryPoint", [""]),
    ("workingDirectory", "app"),
    ("workingDirectory", ""),
])
def test_bad_values_name_the_key(field, value):
    with pytest.raises(ConfigError) as caught:
        settings_with(**{field: value})
    message = str(caught.value)
    assert message.startswith(f"fargate-platform:services[0].{field}"), message
    assert "\n" not in message, message


def test_an_internal_service_needs_its_own_health_check():
    with pytest.raises(ConfigError, match=r"^fargate-platform:services\[0\]\.healthCheckCommand: is required for an "
                                          r"internal service: no load balancer checks its health; allowed: "):
        settings_with(internal=True)
    svc = settings_with(internal=True, healthCheckCommand=["CMD", "python3", "/app/healthcheck.py"]).services[0]
    assert svc.health_check_command == ("CMD", "python3", "/app/healthcheck.py")


def test_a_load_balanced_service_may_leave_the_container_check_to_its_target_group():
    assert settings_with().services[0].health_check_command is None
