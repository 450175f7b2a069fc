"""Answers to provider functions (data sources) for the offline plan.

Every function of an installed provider SDK gets an answer (:func:`answer`):
the fields of its result type (:func:`stacks.offline.placeholders.function_fields`),
arguments echoed where the result names them, realistic values for the
rest. A few answers are written by hand in :data:`INVOKES` because their
values must agree with each other or with the rest of the plan: the region's
zones, the account id, an ECR token that decodes to its user and password,
policy documents rendered as the provider renders them.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from stacks.offline.placeholders import (
    AZ_ID_PREFIX,
    AZ_LETTERS,
    NO_VALUE,
    Place,
    as_declared,
    function_fields,
    value_for,
)

if TYPE_CHECKING:
    from stacks.offline.mocks import PlatformMocks

# Elastic Load Balancing's account per region (for access-log bucket policies).
_ELB_ACCOUNTS = {"us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
                 "us-west-2": "797873946194", "eu-west-1": "156460612806", "eu-central-1": "054676820928"}


def _availability_zones(args: Mapping[str, Any], region: str, _mocks: PlatformMocks) -> dict[str, Any]:
    letters = AZ_LETTERS.get(region, "abc")
    prefix = AZ_ID_PREFIX.get(region, region.replace("-", "")[:5])
    zones = [(f"{region}{c}", f"{prefix}-az{i + 1}") for i, c in enumerate(letters)]
    excluded_names = set(args.get("excludeNames") or ())
    excluded_ids = set(args.get("excludeZoneIds") or ())
    zones = [z for z in zones if z[0] not in excluded_names and z[1] not in excluded_ids]
    return {**args, "id": region, "region": region, "names": [z[0] for z in zones],
            "zoneIds": [z[1] for z in zones], "groupNames": [region] * len(zones)}


def _caller_identity(args: Mapping[str, Any], _region: str, mocks: PlatformMocks) -> dict[str, Any]:
    return {"id": mocks.account_id, "accountId": mocks.account_id, "userId": "AIDAPLANOFFLINEMOCKS",
            "arn": f"arn:{mocks.partition}:iam::{mocks.account_id}:user/offline-plan"}


def _region(args: Mapping[str, Any], region: str, _mocks: PlatformMocks) -> dict[str, Any]:
    name = args.get("region") or args.get("name") or region
    return {"id": name, "name": name, "region": name, "endpoint": f"ec2.{name}.amazonaws.com",
            "description": name}


def _partition(args: Mapping[str, Any], _region: str, mocks: PlatformMocks) -> dict[str, Any]:
    return {"id": mocks.partition, "partition": mocks.partition, "dnsSuffix": "amazonaws.com",
            "reverseDnsPrefix": "com.amazonaws"}


def _elb_service_account(args: Mapping[str, Any], region: str, mocks: PlatformMocks) -> dict[str, Any]:
    account = _ELB_ACCOUNTS.get(region, "127311923021")
    return {"id": account, "region": region, "arn": f"arn:{mocks.partition}:iam::{account}:root"}


def _ecr_token(args: Mapping[str, Any], region: str, mocks: PlatformMocks) -> dict[str, Any]:
    """An ECR login: the token is base64 of ``user:password``, as programs that split it expect."""
    registry = str(args.get("registryId") or mocks.account_id)
    password = hashlib.sha256(f"ecr/{registry}/{region}".encode()).hexdigest()
    token = base64.b64encode(f"AWS:{password}".encode()).decode()
    return {"id": region, "region": region, "registryId": registry, "userName": "AWS", "password": password,
            "authorizationToken": token, "expiresAt": "2024-01-01T12:00:00Z",
            "proxyEndpoint": f"https://{registry}.dkr.ecr.{region}.amazonaws.com"}


def _one_or_many(values: Any) -> Any:
    values = sorted(set(values or ()))
    return values[0] if len(values) == 1 else values


def _statement(stmt: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if stmt.get("sid"):
        out["Sid"] = stmt["sid"]
    out["Effect"] = stmt.get("effect") or "Allow"
    for key, name in (("actions", "Action"), ("notActions", "NotAction"), ("resources", "Resource"),
                      ("notResources", "NotResource")):
        if stmt.get(key):
            out[name] = _one_or_many(stmt[key])
    for key, name in (("principals", "Principal"), ("notPrincipals", "NotPrincipal")):
        if stmt.get(key):
            principals: dict[str, Any] = {}
            for p in stmt[key]:
                principals.setdefault(p["type"], []).extend(p.get("identifiers") or ())
            out[name] = "*" if principals == {"*": ["*"]} else {k: _one_or_many(v) for k, v in principals.items()}
    for cond in stmt.get("conditions") or ():
        out.setdefault("Condition", {}).setdefault(cond["test"], {})[cond["variable"]] = _one_or_many(cond["values"])
    return out


def _policy_document(args: Mapping[str, Any], _region: str, _mocks: PlatformMocks) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for source in args.get("sourcePolicyDocuments") or ():
        statements.extend(json.loads(source).get("Statement", []))
    by_sid = {s.get("Sid"): i for i, s in enumerate(statements) if s.get("Sid")}
    for stmt in [_statement(s) for s in args.get("statements") or ()]:
        if stmt.get("Sid") in by_sid:
            statements[by_sid[stmt["Sid"]]] = stmt
        else:
            statements.append(stmt)
    for override in args.get("overridePolicyDocuments") or ():
        for stmt in json.loads(override).get("Statement", []):
            sids = [i for i, s in enumerate(statements) if stmt.get("Sid") and s.get("Sid") == stmt["Sid"]]
            if sids:
                statements[sids[0]] = stmt
            else:
                statements.append(stmt)
    document: dict[str, Any] = {"Version": args.get("version") or "2012-10-17"}
    if args.get("policyId"):
        document["Id"] = args["policyId"]
    document["Statement"] = statements
    text = json.dumps(document, indent=2)
    return {**args, "id": hashlib.sha256(text.encode()).hexdigest()[:10], "json": text,
            "minifiedJson": json.dumps(document, separators=(",", ":"))}


InvokeHandler = Callable[[Mapping[str, Any], str, "PlatformMocks"], dict[str, Any]]

# Invoke token -> handler(args, region, mocks), for answers whose values must agree.
INVOKES: dict[str, InvokeHandler] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _availability_zones,
    "aws:index/getCallerIdentity:getCallerIdentity": _caller_identity,
    "aws:index/getRegion:getRegion": _region,
    "aws:index/getPartition:getPartition": _partition,
    "aws:iam/getPolicyDocument:getPolicyDocument": _policy_document,
    "aws:elb/getServiceAccount:getServiceAccount": _elb_service_account,
    "aws:lb/getServiceAccount:getServiceAccount": _elb_service_account,
    "aws:ecr/getAuthorizationToken:getAuthorizationToken": _ecr_token,
    "aws:ecr/getCredentials:getCredentials": _ecr_token,
}


def answer(token: str, args: Mapping[str, Any], region: str, mocks: PlatformMocks) -> dict[str, Any] | None:
    """The answer to provider function ``token``, or None when no installed SDK has the function.

    Built from the function's result type; a hand-written answer from
    :data:`INVOKES` replaces the fields it gives.
    """
    fields = function_fields(token)
    handler = INVOKES.get(token)
    if fields is None:
        return handler(args, region, mocks) if handler is not None else None
    place = Place.of(token, partition=mocks.partition, region=region, account=mocks.account_id,
                     seed=f"{token}/{json.dumps(args, sort_keys=True, default=str)}", given=args)
    result: dict[str, Any] = {}
    for key, spec in fields.items():
        if args.get(key) is not None:
            result[key] = as_declared(args[key], spec.hint)
        elif not spec.optional:
            value = value_for(key, spec.hint, place)
            if value is not NO_VALUE:
                result[key] = value
    if handler is not None:
        result.update(handler(args, region, mocks))
    return result
