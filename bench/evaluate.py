"""Worker processes of the scaling benchmark (each run is its own ``python -m bench.evaluate ...`` process).

``record N OUT.pickle``
    Run the real program for prod with N synthetic services
    (:mod:`bench.synthetic`) and pickle what it recorded; print the
    recording time as JSON.
``evaluate IN.pickle``
    Load the recording and evaluate it through
    :func:`stacks.offline.analyzer.run_policy_pack` (the real pack process and
    gRPC protocol) with the prod policy config; print the evaluation time
    (starting the pack to the last finding), the pack process's peak RSS and
    the findings as JSON.
``profile IN.pickle``
    Every policy's ``validate`` called in this process on the recording's
    resources, decoded as pulumi-policy decodes a request: seconds per policy.
``export IN.pickle OUT.json``
    Write the recording's Terraform plan JSON (:mod:`stacks.exports.tfplan`).
``rules``
    Each pack policy's declared checkov equivalents (its rule's ``checkov`` attribute).

The pack sees the stack config as ``PULUMI_CONFIG``, without the services
list (see :data:`PACK_CONFIG_EXCLUDE`).
"""

from __future__ import annotations

import argparse
import gc
import json
import pickle
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fargate_policies.rules import ALL_POLICIES
from google.protobuf import json_format
from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import unknown_checking_proxy

from bench.synthetic import overrides
from stacks.exports.tfplan import write_terraform_plan
from stacks.offline.analyzer import run_policy_pack, to_struct
from stacks.offline.policy_config import load_policy_config
from stacks.offline.runner import run_program

REPO_ROOT = Path(__file__).resolve().parent.parent
PACK_DIR = REPO_ROOT / "policies"
STACK = "prod"
PACK_CONFIG_EXCLUDE = ("fargate-platform:services",)
"""Config keys not passed to the pack. No rule reads them, and the services list of a large synthetic stack
is over Linux's 128 KiB limit for one environment string (the pack would not start); pulumi_policy also
re-parses all of PULUMI_CONFIG on every Analyze call."""


def _rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def policy_config(pack_dir: Path = PACK_DIR, stack: str = STACK) -> tuple[dict[str, Any], str]:
    """The stack's policy config (``policies/config/<stack>.json``) and where it came from."""
    path = pack_dir / "config" / f"{stack}.json"
    if path.is_file():
        return load_policy_config(path), str(path.relative_to(REPO_ROOT))
    return {}, "none (pack defaults)"


def pack_config(values: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if k not in PACK_CONFIG_EXCLUDE}


def record(count: int, out: Path) -> dict[str, Any]:
    started = time.perf_counter()
    program = run_program(REPO_ROOT, STACK, config_overrides=overrides(count), one_shot=True)
    seconds = time.perf_counter() - started
    recording = {"project": program.project, "stack": program.stack, "config": program.config.values,
                 "secret_keys": sorted(program.config.secret_keys), "resources": program.resources}
    with out.open("wb") as handle:
        pickle.dump(recording, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return {"services": count, "resources": len(program.resources), "record_seconds": seconds,
            "record_rss_mib": _rss_mib(resource.RUSAGE_SELF)}


def _load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return pickle.load(handle)


def evaluate(path: Path) -> dict[str, Any]:
    recording = _load(path)
    config, source = policy_config()
    started = time.perf_counter()
    report = run_policy_pack(PACK_DIR, recording["project"], recording["stack"], recording["resources"], config,
                             config=pack_config(recording["config"]), secret_keys=recording["secret_keys"],
                             config_source=source)
    seconds = time.perf_counter() - started
    return {"resources": len(recording["resources"]), "analyzed": report.analyzed, "eval_seconds": seconds,
            "client_rss_mib": _rss_mib(resource.RUSAGE_SELF), "pack_rss_mib": _rss_mib(resource.RUSAGE_CHILDREN),
            "policy_config": source, "policies": len(report.pack.policies), "findings": [
                {"policy": v.policy, "level": v.level, "urn": v.urn, "message": v.message} for v in report.violations]}


def decoded(resources: Sequence[Any]) -> list[PolicyResource]:
    """Recorded resources as a stack policy sees them: props decoded as pulumi-policy decodes a request (through
    the wire format and its unknown-checking proxy), parents, dependencies and property dependencies linked."""
    by_urn: dict[str, PolicyResource] = {}
    for r in resources:
        props = unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(to_struct(r.inputs))))
        by_urn[r.urn] = PolicyResource(r.type, props, r.urn, r.name, None, None, None, [], {})
    for r in resources:
        resource = by_urn[r.urn]
        resource.parent = by_urn.get(r.parent) if r.parent else None
        resource.dependencies.extend(by_urn[d] for d in r.dependencies if d in by_urn)
        for key, urns in r.property_dependencies.items():
            resource.property_dependencies[key] = [by_urn[u] for u in urns if u in by_urn]
    return list(by_urn.values())


def profile(path: Path) -> dict[str, Any]:
    """Seconds per policy over the recording, in this process: no gRPC, no pack process, one call at a time."""
    recording = _load(path)
    config, source = policy_config()
    analyzed = {r.urn for r in recording["resources"] if r.custom and not r.read}
    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    findings: list[dict[str, str]] = []
    started = time.perf_counter()
    stack = decoded(recording["resources"])
    # What decoding left behind is not any one policy's: no collection of it lands in a policy's time.
    gc.collect()
    gc.freeze()

    def run(policy: Any, level: str, args: Any, urn: str) -> None:
        def report(message: str, at: str | None = None) -> None:
            findings.append({"policy": policy.name, "level": level, "urn": at or urn, "message": message})

        began = time.perf_counter()
        try:
            policy.validate(args, report)
        except Exception:  # noqa: BLE001 - unknown at preview or not applicable: the rule's time still counts
            pass
        spent[policy.name] += time.perf_counter() - began
        calls[policy.name] += 1

    for policy in ALL_POLICIES:
        level, properties = config.get(policy.name, (None, {}))
        level = level or (policy.enforcement_level or EnforcementLevel.ADVISORY).value
        if level == "disabled":
            continue
        if isinstance(policy, ResourceValidationPolicy):
            for r in stack:
                if r.urn in analyzed:
                    run(policy, level, ResourceValidationArgs(r.resource_type, r.props, r.urn, r.name, None, None,
                                                              dict(properties)), r.urn)
        elif isinstance(policy, StackValidationPolicy):
            run(policy, level, StackValidationArgs(stack, dict(properties)), "")
    total = time.perf_counter() - started
    kinds = {p.name: "resource" if isinstance(p, ResourceValidationPolicy) else "stack" for p in ALL_POLICIES}
    policies = sorted(({"policy": name, "type": kinds[name], "seconds": spent[name], "calls": calls[name]}
                       for name in calls), key=lambda p: -p["seconds"])
    return {"resources": len(recording["resources"]), "total_seconds": total,
            "policy_seconds": sum(spent.values()), "policies": policies, "policy_config": source,
            "findings": findings}


def export(path: Path, out: Path) -> dict[str, Any]:
    result = write_terraform_plan(_load(path)["resources"], out)
    return {"exported": len(result.addresses), "unmapped": result.unmapped, "skipped": len(result.skipped),
            "addresses": result.addresses}


def rules() -> dict[str, Any]:
    return {"checkov": {p.name: list(getattr(p, "checkov", ())) for p in ALL_POLICIES}}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.evaluate", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record", help="record prod with N synthetic services")
    rec.add_argument("count", type=int)
    rec.add_argument("out", type=Path)
    sub.add_parser("evaluate", help="evaluate a recording with the pack process").add_argument("path", type=Path)
    sub.add_parser("profile", help="time every policy over a recording, in-process").add_argument("path", type=Path)
    exp = sub.add_parser("export", help="write a recording's Terraform plan JSON")
    exp.add_argument("path", type=Path)
    exp.add_argument("out", type=Path)
    sub.add_parser("rules", help="each policy's checkov equivalents")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "record":
        result = record(args.count, args.out)
    elif args.command == "evaluate":
        result = evaluate(args.path)
    elif args.command == "profile":
        result = profile(args.path)
    elif args.command == "export":
        result = export(args.path, args.out)
    else:
        result = rules()
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
