"""How a stack is opened: the backend (``--local``), an AWS emulator (``--endpoint``), ``Pulumi.<stack>.yaml``."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from stacks.automation.errors import ConfigurationError
from stacks.automation.progress import clean_message

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The Pulumi project: the directory that holds ``Pulumi.yaml`` and ``stacks/``."""

DEFAULT_PROJECT = "fargate-platform"
"""Project name (config namespace) when ``Pulumi.yaml`` does not say otherwise."""

LOCAL_STATE_DIRNAME = ".pulumi-state"
"""``--local`` keeps state here, under the project directory (git-ignored)."""

PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
"""Either one lets the passphrase secrets provider of ``--local`` work."""

ENDPOINT_SERVICES = (
    "applicationautoscaling",
    "cloudwatch",
    "ec2",
    "ecr",
    "ecs",
    "elbv2",
    "iam",
    "kms",
    "logs",
    "s3",
    "secretsmanager",
    "servicediscovery",
    "sns",
    "ssm",
    "sts",
    "wafv2",
)
"""AWS services the program uses; ``--endpoint`` points each at the emulator.

Names are keys of pulumi-aws v7's provider ``endpoints`` object (``pulumi_aws.config.outputs.Endpoints``).
"""

SECRET_CONFIG_KEYS = frozenset({"aws:secretKey"})
"""The only ``--endpoint`` config value stored as a secret."""

EMULATOR_ACCESS_KEY = "test"
EMULATOR_SECRET_KEY = "test"
"""Credentials written for the emulator. Real ones are never copied into stack config:
a service missing from ``ENDPOINT_SERVICES`` then fails instead of reaching real AWS."""

_STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*){0,2}$")


@dataclass(frozen=True)
class ConfigEntry:
    """One stack config value as ``Stack.set_all_config`` takes it (a string, maybe secret)."""

    value: str
    """The value, as the CLI's ``config set`` reads it."""
    secret: bool = False
    """Whether to store it encrypted."""


@dataclass(frozen=True)
class StackSpec:
    """Everything needed to open one stack of this project through the Automation API."""

    name: str
    """The stack name (``dev``, or ``org/fargate-platform/dev``)."""
    work_dir: Path
    """The project directory (holds ``Pulumi.yaml``)."""
    create: bool
    """Create the stack if the backend does not have it (``preview``, ``up``); else select only."""
    env_vars: Mapping[str, str] = field(default_factory=dict, hash=False)
    """Extra environment for every ``pulumi`` command (the ``file://`` backend URL for ``--local``)."""
    secrets_provider: str | None = None
    """``passphrase`` for ``--local``; ``None`` keeps the backend's default."""
    state_dir: Path | None = None
    """The ``--local`` state directory, created before the stack is opened."""


# --------------------------------------------------------------------------- the backend


def short_name(stack: str) -> str:
    """``dev`` for ``dev`` and for ``org/fargate-platform/dev``: the name stack files use."""
    return stack.rsplit("/", 1)[-1]


def validate_stack_name(stack: str) -> str:
    """``stack`` if it is a valid stack name, else ``ConfigurationError``."""
    if not _STACK_NAME.match(stack or ""):
        raise ConfigurationError(
            f"invalid stack name {stack!r}: use letters, digits, '.', '_' and '-' (optionally org/project/stack)"
        )
    return stack


def local_backend_url(state_dir: Path | str) -> str:
    """The ``file://`` URL of a local state directory."""
    return Path(state_dir).resolve().as_uri()


def stack_spec(
    stack: str,
    *,
    create: bool,
    local: bool = False,
    state_dir: Path | str | None = None,
    work_dir: Path | str = REPO_ROOT,
    env: Mapping[str, str] | None = None,
) -> StackSpec:
    """How to open ``stack``: the logged-in backend (or ``PULUMI_BACKEND_URL``) by default;
    with ``local`` (or an explicit ``state_dir``), a ``file://`` backend under the project's
    ``.pulumi-state/`` with the passphrase secrets provider, which needs ``PULUMI_CONFIG_PASSPHRASE``.
    """
    validate_stack_name(stack)
    work = Path(work_dir).resolve()
    env = os.environ if env is None else env
    if not (local or state_dir is not None):
        return StackSpec(name=stack, work_dir=work, create=create)
    if not any(var in env for var in PASSPHRASE_VARS):
        raise ConfigurationError(
            "--local needs PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) set: "
            "it encrypts the stack's secrets in the local backend"
        )
    state = Path(state_dir).resolve() if state_dir is not None else work / LOCAL_STATE_DIRNAME
    return StackSpec(
        name=stack,
        work_dir=work,
        create=create,
        env_vars={"PULUMI_BACKEND_URL": local_backend_url(state)},
        secrets_provider="passphrase",
        state_dir=state,
    )


# --------------------------------------------------------------------------- the emulator


def validate_endpoint(url: str) -> str:
    """``url`` if it is an ``http(s)://host[:port]`` URL, else ``ConfigurationError``."""
    parsed = urlparse(url or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigurationError(f"--endpoint must be an http(s) URL such as http://localhost:5000, not {url!r}")
    return url


def endpoint_settings(
    url: str, *, access_key: str = EMULATOR_ACCESS_KEY, secret_key: str = EMULATOR_SECRET_KEY
) -> dict[str, Any]:
    """AWS provider config that sends every call to an emulator at ``url`` (moto server, LocalStack)."""
    validate_endpoint(url)
    return {
        "aws:endpoints": [{service: url for service in ENDPOINT_SERVICES}],
        "aws:skipCredentialsValidation": True,
        "aws:skipRequestingAccountId": True,
        "aws:skipMetadataApiCheck": True,
        "aws:s3UsePathStyle": True,
        "aws:accessKey": access_key,
        "aws:secretKey": secret_key,
    }


def endpoint_config(
    url: str, *, access_key: str = EMULATOR_ACCESS_KEY, secret_key: str = EMULATOR_SECRET_KEY
) -> dict[str, ConfigEntry]:
    """``endpoint_settings`` flattened into path keys for ``Stack.set_all_config(..., path=True)``.

    ``aws:endpoints[0].ecs`` and so on; only ``aws:secretKey`` is secret.
    """

    def text(value: Any) -> str:
        return ("true" if value else "false") if isinstance(value, bool) else str(value)

    entries: dict[str, ConfigEntry] = {}
    for key, value in endpoint_settings(url, access_key=access_key, secret_key=secret_key).items():
        if isinstance(value, list):
            for index, item in enumerate(value):
                for sub_key, sub_value in item.items():
                    entries[f"{key}[{index}].{sub_key}"] = ConfigEntry(text(sub_value))
        else:
            entries[key] = ConfigEntry(text(value), secret=key in SECRET_CONFIG_KEYS)
    return entries


# --------------------------------------------------------------------------- stack files


def _load_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigurationError(f"cannot read {path.name}: {clean_message(str(exc))}") from exc


def project_name(work_dir: Path | str = REPO_ROOT) -> str:
    """The ``name`` in ``Pulumi.yaml``, or ``fargate-platform`` when there is none."""
    path = Path(work_dir) / "Pulumi.yaml"
    if path.is_file():
        data = _load_yaml(path)
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            return data["name"]
    return DEFAULT_PROJECT


def stack_file(stack: str, work_dir: Path | str = REPO_ROOT) -> Path | None:
    """The stack's settings file (``Pulumi.<stack>.yaml``), or ``None`` if there is none."""
    for ext in (".yaml", ".yml", ".json"):
        path = Path(work_dir) / f"Pulumi.{short_name(stack)}{ext}"
        if path.is_file():
            return path
    return None


def stack_config(stack: str, work_dir: Path | str = REPO_ROOT) -> dict[str, Any]:
    """The ``config:`` block of the stack's settings file, read directly (no CLI needed)."""
    path = stack_file(stack, work_dir)
    if path is None:
        return {}
    data = _load_yaml(path) or {}
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path.name} must be a mapping with a 'config:' block")
    config = data.get("config") or {}
    if not isinstance(config, dict):
        raise ConfigurationError(f"{path.name}: 'config:' must be a mapping")
    return config


def is_protected(stack: str, work_dir: Path | str = REPO_ROOT) -> bool:
    """Whether ``Pulumi.<stack>.yaml`` sets ``<project>:protect: true``."""
    value = stack_config(stack, work_dir).get(f"{project_name(work_dir)}:protect", False)
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return value is True
