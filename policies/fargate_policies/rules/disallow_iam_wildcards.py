"""disallow-iam-wildcards: ECS task and execution roles grant no wildcard permissions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import Severity

from ._common import (
    IAM_POLICY,
    IAM_ROLE,
    IAM_ROLE_POLICY,
    as_bool,
    as_list,
    config_value,
    get,
    parse_json_document,
    show,
    stack_rule,
)
from ._net import IAM_ROLE_POLICY_ATTACHMENT, label, stack_index

ECS_TASKS_PRINCIPAL = "ecs-tasks.amazonaws.com"

#: Actions that take no resource-level permissions, so AWS requires Resource "*" for them.
DEFAULT_STAR_RESOURCE_ACTIONS = [
    "ecr:GetAuthorizationToken",
    "ssmmessages:CreateControlChannel",
    "ssmmessages:CreateDataChannel",
    "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel",
]

MSG_ACTION = (
    "{where} of task role '{role}', statement {statement}, allows Action {value}: every action of every "
    "service. List the actions the task calls, e.g. 's3:GetObject'."
)
MSG_SERVICE_ACTION = (
    "{where} of task role '{role}', statement {statement}, allows Action {value}: every action of the "
    "service. List the actions the task calls."
)
MSG_RESOURCE = (
    "{where} of task role '{role}', statement {statement}, allows {actions} on Resource '*'. Name the ARNs "
    "the task uses; only statements whose actions are all in starResourceActions ({star_actions}) may use '*'."
)
MSG_NOT_ACTION = (
    "{where} of task role '{role}', statement {statement}, combines Effect 'Allow' with NotAction {value}, "
    "which allows every other action. List the allowed actions in Action instead."
)
MSG_NOT_RESOURCE = (
    "{where} of task role '{role}', statement {statement}, combines Effect 'Allow' with NotResource {value}, "
    "which allows every other resource. List the allowed ARNs in Resource instead."
)
MSG_UNREADABLE = (
    "{where} of task role '{role}' is not a JSON policy document with a Statement; it is {value}. Pass the "
    "policy as a JSON string (pulumi.Output.json_dumps or aws.iam.get_policy_document)."
)

# How messages name a policy document ({where}) and a statement ({statement}).
WHERE_INLINE = "inlinePolicies[{index}]"
WHERE_INLINE_NAMED = "inlinePolicies[{index}] ({name})"
WHERE_ROLE_POLICY = "aws:iam/rolePolicy '{name}'"
WHERE_MANAGED_POLICY = "aws:iam/policy '{name}'"
STATEMENT = "{index}"
STATEMENT_WITH_SID = "{index} (Sid {sid})"
UNREADABLE_NOT_SET = "not set"
UNREADABLE_NOT_JSON = "a string that is not valid JSON"
UNREADABLE_NO_STATEMENT = "a JSON document without a Statement list ({kind})"

CONFIG = {
    "allowedActions": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Actions never reported as wildcards, e.g. 'logs:*' (compared case-insensitively).",
    },
    "allowedResources": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Resources never reported; put '*' here to stop reporting Resource '*' altogether.",
    },
    "starResourceActions": {
        "type": "array",
        "items": {"type": "string"},
        "default": DEFAULT_STAR_RESOURCE_ACTIONS,
        "description": "Actions that may be granted on Resource '*' (they have no resource-level permissions).",
    },
    "disallowServiceWildcards": {
        "type": "boolean",
        "default": False,
        "description": "Also report service-wide actions such as 's3:*'.",
    },
}

_SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$", re.IGNORECASE)


def _strings(value: Any) -> list[str]:
    """A policy element that may be one string or a list of them."""
    if isinstance(value, str):
        return [value]
    return [v for v in as_list(value) if isinstance(v, str)]


def _folded(config: Mapping[str, Any], key: str, default: list[str]) -> set[str]:
    return {v.lower() for v in _strings(config_value(config, key, default))}


def trusts_ecs_tasks(assume_role_policy: Any) -> bool:
    """True when the trust policy lets ecs-tasks.amazonaws.com assume the role."""
    document = parse_json_document(assume_role_policy)
    for statement in as_list(get(document, "Statement")) or [get(document, "Statement")]:
        if get(statement, "Effect") != "Allow":
            continue
        principal = get(statement, "Principal")
        services = _strings(get(principal, "Service")) if isinstance(principal, Mapping) else []
        if any(s.strip().lower() == ECS_TASKS_PRINCIPAL for s in services):
            return True
    return False


def _statements(document: Any) -> list[Any] | None:
    raw = get(document, "Statement")
    if isinstance(raw, Mapping):
        return [raw]
    if isinstance(raw, Sequence) and not isinstance(raw, str | bytes):
        return list(raw)
    return None


def findings(document_raw: Any, config: Mapping[str, Any], where: str, role: str) -> Iterator[str]:
    """Messages for every wildcard grant in one policy document."""
    document = parse_json_document(document_raw)
    statements = _statements(document)
    if statements is None:
        if document_raw is None:
            value = UNREADABLE_NOT_SET
        elif isinstance(document_raw, str) and document is None:
            value = UNREADABLE_NOT_JSON
        else:
            kinds = {Mapping: "object", list: "array"}
            kind = next((k for t, k in kinds.items() if isinstance(document, t)), type(document).__name__)
            value = UNREADABLE_NO_STATEMENT.format(kind=kind)
        yield MSG_UNREADABLE.format(where=where, role=role, value=value)
        return
    allowed_actions = _folded(config, "allowedActions", [])
    allowed_resources = _folded(config, "allowedResources", [])
    star_actions_raw = _strings(config_value(config, "starResourceActions", DEFAULT_STAR_RESOURCE_ACTIONS))
    star_actions = {a.lower() for a in star_actions_raw}
    service_wildcards = as_bool(config_value(config, "disallowServiceWildcards", False)) is True
    for i, statement in enumerate(statements):
        if get(statement, "Effect") != "Allow":
            continue
        sid = get(statement, "Sid")
        if isinstance(sid, str) and sid:
            name = STATEMENT_WITH_SID.format(index=i, sid=show(sid))
        else:
            name = STATEMENT.format(index=i)
        fields = {"where": where, "role": role, "statement": name}
        actions = _strings(get(statement, "Action"))
        for action in actions:
            folded = action.strip().lower()
            if folded in allowed_actions:
                continue
            if folded in ("*", "*:*"):
                yield MSG_ACTION.format(value=show(action), **fields)
            elif service_wildcards and _SERVICE_WILDCARD.match(folded):
                yield MSG_SERVICE_ACTION.format(value=show(action), **fields)
        if get(statement, "NotAction") is not None:
            yield MSG_NOT_ACTION.format(value=show(get(statement, "NotAction")), **fields)
        if get(statement, "NotResource") is not None:
            yield MSG_NOT_RESOURCE.format(value=show(get(statement, "NotResource")), **fields)
        resources = [r.strip() for r in _strings(get(statement, "Resource"))]
        if "*" in resources and "*" not in allowed_resources:
            if actions and not all(a.strip().lower() in star_actions for a in actions):
                yield MSG_RESOURCE.format(actions=show(actions), star_actions=show(star_actions_raw), **fields)


def check(resources: Sequence[Any], config: Mapping[str, Any]) -> Iterable[tuple[str | None, str]]:
    index = stack_index(resources)
    task_roles = {
        role.urn: role for role in index.of_type(IAM_ROLE) if trusts_ecs_tasks(get(role.props, "assumeRolePolicy"))
    }
    if not task_roles:
        return
    for urn, role in task_roles.items():
        for i, inline in enumerate(as_list(get(role.props, "inlinePolicies"))):
            policy_name = get(inline, "name")
            if policy_name is None:
                where = WHERE_INLINE.format(index=i)
            else:
                where = WHERE_INLINE_NAMED.format(index=i, name=show(policy_name))
            if get(inline, "policy") is None:
                continue  # an empty inline policy block removes the role's inline policies
            for message in findings(get(inline, "policy"), config, where, label(role)):
                yield urn, message

    def roles_of(resource: Any, key: str) -> list[Any]:
        link = index.link(resource, (key,), IAM_ROLE)
        if link.unknown is not None and not link.targets:
            raise link.unknown
        return [r for r in link.targets if r.urn in task_roles]

    for role_policy in index.of_type(IAM_ROLE_POLICY):
        for role in roles_of(role_policy, "role"):
            where = WHERE_ROLE_POLICY.format(name=label(role_policy))
            for message in findings(get(role_policy.props, "policy"), config, where, label(role)):
                yield role_policy.urn, message

    # Customer managed policies of this stack, attached by RolePolicyAttachment or managedPolicyArns.
    attached: dict[str, tuple[Any, list[Any]]] = {}
    for attachment in index.of_type(IAM_ROLE_POLICY_ATTACHMENT):
        roles = roles_of(attachment, "role")
        if roles:
            for policy in index.link(attachment, ("policyArn",), IAM_POLICY).targets:
                attached.setdefault(policy.urn, (policy, []))[1].extend(roles)
    for role in task_roles.values():
        for policy in index.link(role, ("managedPolicyArns",), IAM_POLICY).targets:
            attached.setdefault(policy.urn, (policy, []))[1].append(role)
    for policy, roles in attached.values():
        where = WHERE_MANAGED_POLICY.format(name=label(policy))
        for role in {r.urn: r for r in roles}.values():
            for message in findings(get(policy.props, "policy"), config, where, label(role)):
                yield policy.urn, message


POLICY = stack_rule(
    name="disallow-iam-wildcards",
    description=(
        "Policies of ECS task and execution roles allow no '*' action and no '*' resource, except for "
        "actions that only work on '*'."
    ),
    severity=Severity.HIGH,
    remediation=(
        "In every Allow statement of a role that ecs-tasks.amazonaws.com assumes (inline policies, "
        "aws.iam.RolePolicy and customer managed policies attached to it), list the exact actions and the "
        "ARNs they act on. Keep Resource '*' only for actions without resource-level permissions, listed in "
        "starResourceActions of the policy config (ecr:GetAuthorizationToken and the ssmmessages actions "
        "ECS Exec needs by default). Replace Allow+NotAction and Allow+NotResource with explicit lists."
    ),
    types=(*IAM_ROLE, *IAM_ROLE_POLICY, *IAM_ROLE_POLICY_ATTACHMENT, *IAM_POLICY),
    check=check,
    config=CONFIG,
    checkov=("CKV_AWS_63", "CKV_AWS_355"),
)
