"""Conventions every policy of the pack follows, the config files that enable them, and the README table.

Covers every policy in ``rules.ALL_POLICIES``, whoever wrote it. Type tokens are
checked against the installed pulumi-aws: the resource classes' type tokens and
the alias tokens they declare (read by ``tools.aws_catalog``, which is itself
checked here against the imported classes).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import pkgutil
import re
from pathlib import Path

import jsonschema
import pulumi
import pytest
from fargate_policies import README_URL, rules
from fargate_policies.facts import FSBP_NAME, FSBP_VERSION, SECURITY_HUB_CONTROLS, SECURITY_HUB_NAME
from fargate_policies.rules import require_tags
from fargate_policies.rules._common import TAGS
from fargate_policies.tools import aws_catalog as catalog_module
from fargate_policies.tools import gen_readme
from pulumi_policy import EnforcementLevel, Severity

from stacks.offline.policy_config import UNKNOWNS, UNKNOWNS_LEVELS

POLICIES = list(rules.ALL_POLICIES)
BY_NAME = {p.name: p for p in POLICIES}
CONFIG_DIR = Path(rules.__file__).resolve().parents[2] / "config"
CONFIG_FILES = sorted(CONFIG_DIR.glob("*.json"))
LEVELS = {level.value for level in EnforcementLevel}

NAMED_TOKENS = {t for p in POLICIES if p is not require_tags.POLICY for t in p.resource_types}

NAME = re.compile(r"^(disallow|require|enforce|configure)(-[a-z0-9]+)+$")
SECURITY_HUB_ID = re.compile(r"^[A-Za-z0-9]+\.\d+$")
CHECKOV_ID = re.compile(r"^CKV2?_AWS_\d+$")


def ids(policies):
    return [p.name for p in policies]


def test_policies_found():
    assert len(POLICIES) >= 16
    assert len(BY_NAME) == len(POLICIES), f"duplicate policy names: {sorted(ids(POLICIES))}"


@pytest.mark.parametrize("policy", POLICIES, ids=ids(POLICIES))
def test_name_is_kebab_case_with_an_allowed_verb(policy):
    assert NAME.fullmatch(policy.name), f"{policy.name}: kebab-case, starting with disallow/require/enforce/configure"


@pytest.mark.parametrize("policy", POLICIES, ids=ids(POLICIES))
def test_description_is_a_full_sentence(policy):
    text = policy.description
    assert isinstance(text, str) and text == text.strip(), f"{policy.name}: description {text!r}"
    assert text[:1].isupper() and text.endswith("."), f"{policy.name}: capitalised and ending in '.': {text!r}"
    assert len(text.split()) >= 5 and "\n" not in text, f"{policy.name}: one sentence of five words or more"


@pytest.mark.parametrize("policy", POLICIES, ids=ids(POLICIES))
def test_severity_remediation_and_enforcement(policy):
    assert isinstance(policy.severity, Severity), f"{policy.name}: severity {policy.severity!r}"
    steps = policy.remediation_steps
    assert isinstance(steps, str) and len(steps.split()) >= 5 and steps.rstrip().endswith("."), (
        f"{policy.name}: remediation steps {steps!r}"
    )
    assert isinstance(policy.enforcement_level, EnforcementLevel), f"{policy.name}: {policy.enforcement_level!r}"


@pytest.mark.parametrize("policy", POLICIES, ids=ids(POLICIES))
def test_check_and_compliance_ids(policy):
    assert callable(getattr(policy, "check", None)), f"{policy.name}: no pure check attached"
    for control in policy.security_hub:
        assert SECURITY_HUB_ID.fullmatch(control), f"{policy.name}: Security Hub control {control!r}"
    for check_id in policy.checkov:
        assert CHECKOV_ID.fullmatch(check_id), f"{policy.name}: checkov id {check_id!r}"


@pytest.mark.parametrize("policy", POLICIES, ids=ids(POLICIES))
def test_metadata_pulumi_cloud_shows(policy):
    """display_name, tags, url (the rule's row in policies/README.md) and the compliance framework."""
    assert policy.display_name and policy.display_name[0].isupper(), f"{policy.name}: {policy.display_name!r}"
    assert policy.display_name.lower() == policy.name.replace("-", " "), f"{policy.name}: {policy.display_name!r}"
    assert policy.tags and set(policy.tags) <= TAGS, f"{policy.name}: tags {policy.tags} (allowed: {sorted(TAGS)})"
    assert policy.url == f"{README_URL}#{policy.name}", f"{policy.name}: url {policy.url!r}"
    assert f'<a id="{policy.name}"></a>' in gen_readme.README.read_text(encoding="utf-8"), f"{policy.name}: anchor"
    framework = policy.framework
    if not policy.security_hub:
        assert framework is None, f"{policy.name}: a framework without a Security Hub control"
        return
    controls = [SECURITY_HUB_CONTROLS[c] for c in policy.security_hub]
    fsbp = [c for c in controls if c.fsbp]
    expected = fsbp[0] if fsbp else controls[0]
    assert (framework.name, framework.version, framework.reference) == (
        (FSBP_NAME, FSBP_VERSION, expected.id) if fsbp else (SECURITY_HUB_NAME, None, expected.id)), policy.name
    assert framework.specification == expected.url and framework.specification.startswith(
        "https://docs.aws.amazon.com/securityhub/"), f"{policy.name}: {framework.specification}"


def test_display_names_spell_acronyms():
    by_name = {p.name: p.display_name for p in POLICIES}
    assert by_name["disallow-ecs-public-ip"] == "Disallow ECS public IP"
    assert by_name["require-waf-on-public-alb"] == "Require WAF on public ALB"


def test_security_hub_controls_are_well_formed():
    for control_id, control in SECURITY_HUB_CONTROLS.items():
        assert control.id == control_id and SECURITY_HUB_ID.fullmatch(control_id), control_id
        service, number = control_id.split(".")
        assert control.url.endswith(f"/{service.lower()}-controls.html#{service.lower()}-{number}"), control.url
        assert control.title and not control.title.endswith("."), control_id


@pytest.mark.parametrize("policy", POLICIES, ids=ids(POLICIES))
def test_config_schema(policy):
    properties = policy.config_properties
    schema = policy.config_schema
    assert (schema is None) == (not properties), f"{policy.name}: config_schema and config_properties disagree"
    for key, prop in properties.items():
        assert "type" in prop and "default" in prop, f"{policy.name}.{key}: needs a type and a default"
        jsonschema.Draft7Validator.check_schema(prop)
        jsonschema.validate(prop["default"], prop)


@pytest.mark.parametrize("policy", POLICIES, ids=ids(POLICIES))
def test_type_tokens_exist_in_pulumi_aws(policy, aws_catalog):
    known = catalog_module.known_tokens(aws_catalog)
    tokens = policy.resource_types
    assert tokens and all(isinstance(t, str) for t in tokens), f"{policy.name}: resource_types {tokens!r}"
    unknown = sorted(set(tokens) - known)
    assert not unknown, f"{policy.name}: not a pulumi-aws type or alias token: {unknown}"


@pytest.mark.parametrize("policy", POLICIES, ids=ids(POLICIES))
def test_lb_and_alb_tokens_come_together(policy, aws_catalog):
    """pulumi-aws has two classes per load-balancer type (aws.lb.X and aws.alb.X); a rule covers both."""
    tokens = set(policy.resource_types)
    for token in tokens:
        for a, b in (("aws:lb/", "aws:alb/"), ("aws:alb/", "aws:lb/")):
            twin = b + token[len(a):] if token.startswith(a) else None
            if twin in aws_catalog:
                assert twin in tokens, f"{policy.name}: names {token} but not {twin}"


def _packages_used() -> list[str]:
    packages = {"lb", "alb"}
    for policy in POLICIES:
        if policy is require_tags.POLICY:
            continue  # every taggable type: checked through gen_taggable against the full catalog
        packages.update(t.split(":")[1].split("/")[0] for t in policy.resource_types if t.count(":") == 2)
    return sorted(packages)


# Imports every SDK module a rule names, class by class: `make test-slow` runs it (CI runs both suites).
@pytest.mark.slow
@pytest.mark.parametrize("package", _packages_used())
def test_catalog_matches_the_imported_classes(package, aws_catalog):
    """tools.aws_catalog reads source text; the classes themselves must agree with it."""
    try:
        spec = importlib.util.find_spec(f"pulumi_aws.{package}")
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"pulumi_aws.{package} is only an alias namespace")
    # Load the package (lazily imported by pulumi_aws) before its modules: a module imported first would run the
    # package's __init__ half-way through its own import, and the package would lack that module's names for
    # every later program in this process.
    getattr(importlib.import_module(f"pulumi_aws.{package}"), "_utilities", None)
    classes = {}
    for info in pkgutil.iter_modules(spec.submodule_search_locations):
        if info.name.startswith("_") or info.ispkg:
            continue
        module = importlib.import_module(f"pulumi_aws.{package}.{info.name}")
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, pulumi.CustomResource) and (
                value.__module__ == module.__name__
            ):
                classes[value.pulumi_type] = value
    scanned = {t: r for t, r in aws_catalog.items() if t.startswith(f"aws:{package}/")}
    assert set(classes) == set(scanned), f"pulumi_aws.{package}: {sorted(set(classes) ^ set(scanned))}"
    for token, cls in classes.items():
        not_inputs = ("__self__", "resource_name", "opts", "__props__")
        params = [p for p in inspect.signature(cls._internal_init).parameters if p not in not_inputs]
        assert params == list(scanned[token].inputs), f"{token}: inputs differ from the source scan"
        if token not in NAMED_TOKENS and not scanned[token].aliases:
            continue  # reading class source is slow; check aliases where they matter
        source = inspect.getsource(cls)
        aliases = tuple(dict.fromkeys(re.findall(r'pulumi\.Alias\(type_="([^"]+)"\)', source)))
        assert aliases == scanned[token].aliases, f"{token}: aliases differ from the source scan"


# ---------------------------------------------------------------------------
# Config files
# ---------------------------------------------------------------------------
def test_config_files_exist():
    assert {p.name for p in CONFIG_FILES} >= {"dev.json", "prod.json"}, CONFIG_FILES


@pytest.mark.parametrize("path", CONFIG_FILES, ids=[p.name for p in CONFIG_FILES])
def test_config_file(path):
    config = json.loads(path.read_text(encoding="utf-8"))
    assert isinstance(config, dict), f"{path.name}: a JSON object of policy name -> level or settings"
    for name, value in config.items():
        where = f"{path.name}: {name}"
        if name == "all":
            assert value in LEVELS, f"{where}: 'all' takes one of {sorted(LEVELS)}"
            continue
        if name == UNKNOWNS:  # the offline plan's own setting, never sent to the pack
            assert value in UNKNOWNS_LEVELS, f"{where}: '{UNKNOWNS}' takes one of {UNKNOWNS_LEVELS}"
            continue
        assert name in BY_NAME, f"{where}: no such policy (known: {sorted(BY_NAME)})"
        if isinstance(value, str):
            assert value in LEVELS, f"{where}: level {value!r} is not one of {sorted(LEVELS)}"
            continue
        assert isinstance(value, dict), f"{where}: a level string or an object"
        if "enforcementLevel" in value:
            assert value["enforcementLevel"] in LEVELS, f"{where}: enforcementLevel {value['enforcementLevel']!r}"
        properties = BY_NAME[name].config_properties
        for key, setting in value.items():
            if key == "enforcementLevel":
                continue
            assert key in properties, f"{where}: {key!r} is not in the policy's config schema {sorted(properties)}"
            jsonschema.validate(setting, properties[key])


# ---------------------------------------------------------------------------
# README
# ---------------------------------------------------------------------------
def test_readme_rules_table_is_up_to_date():
    readme_path = gen_readme.README
    readme = readme_path.read_text(encoding="utf-8")
    assert readme.count(gen_readme.START) == 1 and readme.count(gen_readme.END) == 1, f"{readme_path}: markers"
    assert gen_readme.with_table(readme, gen_readme.current_table()) == readme, (
        f"{readme_path}: the rules table is out of date; run python -m fargate_policies.tools.gen_readme"
    )


def test_readme_table_lists_every_policy_with_its_levels():
    table = gen_readme.render_table(POLICIES, {"dev": {"all": "advisory"}, "prod": {POLICIES[0].name: "mandatory"}})
    rows = table.splitlines()[2:]
    assert [row.split(" | ")[0] for row in rows] == [f'| <a id="{name}"></a>`{name}`' for name in sorted(BY_NAME)]
    name = POLICIES[0].name
    first = next(row for row in rows if row.startswith(f"| {gen_readme.anchor(name)}`{name}`"))
    assert " | advisory | mandatory | " in first, first


def test_readme_without_markers_is_an_error():
    with pytest.raises(ValueError):
        gen_readme.with_table("# no markers\n", "| table |")
