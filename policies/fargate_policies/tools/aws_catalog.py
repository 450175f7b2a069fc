"""The resource types pulumi-aws declares, read from the installed package's generated sources.

Every resource class in pulumi-aws is generated in the same shape::

    @pulumi.type_token("aws:ecs/service:Service")
    class Service(pulumi.CustomResource):
        ...
        def _internal_init(__self__, resource_name, opts, <one input per line>, __props__=None):
            ...
            alias_opts = pulumi.ResourceOptions(aliases=[pulumi.Alias(type_="aws:...")])

Reading that text takes about a second, where importing every pulumi-aws
module takes over ten; ``tests/policies/test_meta.py`` checks the result
against the imported classes (``pulumi_type`` and ``_internal_init``) for the
modules the rules use, so the parser cannot drift silently.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_CLASS = re.compile(
    r'^@pulumi\.type_token\("(?P<token>[^"]+)"\)\nclass (?P<cls>\w+)\(pulumi\.CustomResource\):',
    re.MULTILINE,
)
_INIT = re.compile(r"def _internal_init\(__self__,\n(?P<params>.*?)__props__=None\):", re.DOTALL)
_PARAM = re.compile(r"^\s+(?P<name>\w+): (?P<annotation>.*?)(?: = None)?,$", re.MULTILINE)
_ALIAS = re.compile(r'pulumi\.Alias\(type_="(?P<token>[^"]+)"\)')
_NOT_INPUTS = frozenset({"resource_name", "opts"})


@dataclass(frozen=True)
class ResourceType:
    """One pulumi-aws resource class."""

    token: str
    """The type token the engine sends, e.g. ``aws:ecs/service:Service``."""
    module: str
    """Dotted module that defines the class, e.g. ``pulumi_aws.ecs.service``."""
    class_name: str
    inputs: dict[str, str]
    """Input property (Python name) -> its annotation text."""
    aliases: tuple[str, ...]
    """Older type tokens the class declares as aliases."""

    @property
    def tags_annotation(self) -> str | None:
        return self.inputs.get("tags")

    @property
    def taggable(self) -> bool:
        """True when the ``tags`` input holds resource tags: a string map, or a list of key/value tag blocks.

        A few resources use ``tags`` for something else (devopsguru's ResourceCollection takes a tag
        filter there); those do not count.
        """
        annotation = self.tags_annotation
        if annotation is None:
            return False
        if "Mapping[str," in annotation:
            return True
        return "Sequence[" in annotation and re.search(r"'\w*TagArgs'", annotation) is not None


def package_root() -> Path:
    """Directory of the installed pulumi_aws package, found without importing it."""
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pulumi_aws is not installed in this environment")
    return Path(next(iter(spec.submodule_search_locations)))


def _parse_file(path: Path, module: str) -> Iterable[ResourceType]:
    text = path.read_text(encoding="utf-8")
    if "@pulumi.type_token(" not in text or "(pulumi.CustomResource)" not in text:
        return
    matches = list(_CLASS.finditer(text))
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[match.end():end]
        init = _INIT.search(body)
        inputs: dict[str, str] = {}
        if init:
            for param in _PARAM.finditer(init.group("params")):
                if param.group("name") not in _NOT_INPUTS:
                    inputs[param.group("name")] = param.group("annotation")
        aliases = tuple(dict.fromkeys(a.group("token") for a in _ALIAS.finditer(body)))
        yield ResourceType(match.group("token"), module, match.group("cls"), inputs, aliases)


def scan(root: Path | None = None, packages: Iterable[str] | None = None) -> dict[str, ResourceType]:
    """Every resource type of pulumi-aws by token (or only those of ``packages``, e.g. ``["ecs", "lb"]``)."""
    root = root or package_root()
    wanted = None if packages is None else set(packages)
    found: dict[str, ResourceType] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if wanted is not None and (len(relative.parts) < 2 or relative.parts[0] not in wanted):
            continue
        if path.name.startswith("_") or "__pycache__" in relative.parts:
            continue
        module = ".".join(("pulumi_aws", *relative.with_suffix("").parts))
        for resource in _parse_file(path, module):
            found[resource.token] = resource
    return found


def known_tokens(catalog: dict[str, ResourceType]) -> set[str]:
    """Every token the engine may send for a pulumi-aws resource: current tokens and declared aliases."""
    tokens = set(catalog)
    for resource in catalog.values():
        tokens.update(resource.aliases)
    return tokens


def camel_case(name: str) -> str:
    """The engine's property name for a Python input name (``assign_public_ip`` -> ``assignPublicIp``)."""
    head, *rest = name.rstrip("_").split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)
