"""Worker processes of the scaling benchmark (each run is its own ``python -m bench.evaluate ...`` process).

``record N OUT.pickle``
    Run the real program for prod with N synthetic services
    (:mod:`bench.synthetic`) and pickle what it recorded; print the
    recording time as JSON.
``evaluate IN.pickle``
    Launch the policy pack for the recording's stack first thing
    (:mod:`stacks.offline.packlaunch`), then import the gRPC client and load the
    recorded resources while the pack boots, and evaluate them through
    :func:`stacks.offline.analyzer.run_policy_pack` (the real pack process and gRPC
    protocol) with the prod policy config; print the evaluation time (launch
    to findings), the pack process's peak RSS and the findings as JSON.
``profile IN.pickle``
    The same requests served in-process by the pack's servicer
    (``policies/rules/_dispatch.py``), one at a time, with every policy's
    ``validate`` timed: seconds per policy, and the share of everything else
    (parsing requests, decoding properties, routing).
``export IN.pickle OUT.json``
    Write the recording's Terraform plan JSON (:mod:`stacks.exports.tfplan`).
``rules``
    Each pack policy's declared checkov equivalents (its rule's ``checkov`` attribute).

The pack sees the stack config as ``PULUMI_CONFIG``, without the services
list (see :data:`PACK_CONFIG_EXCLUDE`). A recording is a header (project,
stack, config, secret keys) on one JSON line, read before the pack is
launched with nothing json does not already import, then the resources,
pickled (:func:`write_recording`).
"""

from __future__ import annotations

# Only what launching the pack needs is imported up front: ``evaluate`` is timed from the launch, and
# everything imported before it (argparse, typing, ...) would only delay the pack. The rest is imported
# where it is used.
import gc
import json
import os
import resource
import sys
import time

TYPE_CHECKING = False  # typing itself is not imported before the launch either
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from concurrent.futures import Future
    from pathlib import Path
    from typing import Any

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
PACK_DIR = os.path.join(REPO_ROOT, "policies")
STACK = "prod"
PACK_CONFIG_EXCLUDE = ("fargate-platform:services",)
"""Config keys not passed to the pack. No rule reads them, and the services list of a large synthetic stack
is over Linux's 128 KiB limit for one environment string (the pack would not start); pulumi_policy also
re-parses all of PULUMI_CONFIG on every Analyze call."""


def _rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def policy_config(pack_dir: str | Path = PACK_DIR, stack: str = STACK) -> tuple[dict[str, Any], str]:
    """The stack's policy config (``policies/config/<stack>.json``) and where it came from."""
    from pathlib import Path

    from stacks.offline.policy_config import load_policy_config

    path = Path(pack_dir) / "config" / f"{stack}.json"
    if path.is_file():
        return load_policy_config(path), str(path.relative_to(REPO_ROOT))
    return {}, "none (pack defaults)"


def pack_config(values: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if k not in PACK_CONFIG_EXCLUDE}


def write_recording(out: str | Path, header: Mapping[str, Any], resources: Any) -> None:
    """A recording: the header (project, stack, config, secret keys) as one JSON line, which the worker reads
    with what launching the pack imports anyway, then the resources, pickled."""
    import pickle

    with open(out, "wb") as handle:
        handle.write(json.dumps(header).encode("utf-8") + b"\n")
        pickle.dump(resources, handle, protocol=pickle.HIGHEST_PROTOCOL)


def _header(handle: Any) -> dict[str, Any]:
    return json.loads(handle.readline())


def record(count: int, out: str | Path) -> dict[str, Any]:
    from bench.synthetic import overrides
    from stacks.offline.runner import run_program

    started = time.perf_counter()
    program = run_program(REPO_ROOT, STACK, config_overrides=overrides(count))
    seconds = time.perf_counter() - started
    write_recording(out, {"project": program.project, "stack": program.stack, "config": program.config.values,
                          "secret_keys": sorted(program.config.secret_keys)}, program.resources)
    return {"services": count, "resources": len(program.resources), "record_seconds": seconds,
            "record_rss_mib": _rss_mib(resource.RUSAGE_SELF)}


def _load(path: str | Path) -> dict[str, Any]:
    import pickle

    with open(path, "rb") as handle:
        header = _header(handle)
        return {**header, "resources": pickle.load(handle)}


def _load_frozen(handle: Any) -> Any:
    """The next pickle of ``handle``, loaded with the collector paused and then moved out of its sight.

    Loading a large recording makes millions of objects that live until the process ends: the collector
    would scan them over and over while they load (half the load time at 1,000 services) and again at every
    full collection while they are analyzed.
    """
    import pickle

    gc.disable()
    try:
        loaded = pickle.load(handle)
    finally:
        gc.enable()
    gc.freeze()
    return loaded


def _findings(report: Any) -> list[dict[str, str]]:
    return [{"policy": v.policy, "level": v.level, "urn": v.urn, "message": v.message} for v in report.violations]


def evaluate(path: str | Path) -> dict[str, Any]:
    from stacks.offline import packlaunch

    with open(path, "rb") as handle:
        header = _header(handle)
        started = time.perf_counter()
        launched = packlaunch.launch(PACK_DIR, header["project"], header["stack"], pack_config(header["config"]))
        with launched.caller_placed():  # from here on this process keeps off the pack's CPU
            try:
                from stacks.offline import analyzer  # while the pack boots

                resources = _load_frozen(handle)
                config, source = policy_config()
            except BaseException:
                launched.kill()
                raise
            loaded_rss = _rss_mib(resource.RUSAGE_SELF)
            report = analyzer.run_policy_pack(PACK_DIR, header["project"], header["stack"], resources, config,
                                              config=pack_config(header["config"]),
                                              secret_keys=header["secret_keys"], config_source=source,
                                              launched=launched)
            seconds = time.perf_counter() - started
    return {"resources": len(resources), "analyzed": report.analyzed, "eval_seconds": seconds,
            "client_rss_mib": _rss_mib(resource.RUSAGE_SELF), "client_loaded_rss_mib": loaded_rss,
            "pack_rss_mib": _rss_mib(resource.RUSAGE_CHILDREN), "policy_config": source,
            "policies": len(report.pack.policies), "findings": _findings(report)}


class _InProcessPipeline:
    """What :meth:`stacks.offline.analyzer.PolicyPackProcess.pipeline` gives, served in this process one call at a time:
    requests arrive serialized, as on the wire, and are parsed before the servicer sees them."""

    _REQUESTS = {"Analyze": "AnalyzeRequest", "AnalyzeStack": "AnalyzeStackRequest"}

    def __init__(self, servicer: Any) -> None:
        self._servicer = servicer
        self.results: dict[str, Any] = {}

    def _serve(self, name: str, request: bytes) -> Any:
        from pulumi.runtime.proto import analyzer_pb2

        message = getattr(analyzer_pb2, self._REQUESTS[name]).FromString(request)
        return getattr(self._servicer, name)(message, None)

    def send(self, key: str, request: bytes) -> None:
        self.results[key] = self._serve("Analyze", request)

    def wait(self) -> dict[str, Any]:
        return self.results

    def call(self, name: str, request: bytes) -> Future[Any]:
        from concurrent.futures import Future

        done: Future[Any] = Future()
        try:
            done.set_result(self._serve(name, request))
        except Exception as exc:  # noqa: BLE001 - handed to the caller through the future
            done.set_exception(exc)
        return done


class _InProcessStub:
    """The Analyzer stub's methods (GetAnalyzerInfo, ConfigureStack, Configure), served in this process."""

    def __init__(self, servicer: Any) -> None:
        self._servicer = servicer

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._servicer, name)
        return lambda request, timeout=None: method(request, None)


def profile(path: Path) -> dict[str, Any]:
    """Per-policy seconds for the recording, served in-process (no gRPC, no threads overlapping)."""
    from collections import defaultdict

    from pulumi_policy import policy as sdk

    from stacks.offline import analyzer

    recording = _load(path)
    config, source = policy_config()
    os.environ.update({"PULUMI_PROJECT": recording["project"], "PULUMI_STACK": recording["stack"],
                       "PULUMI_DRY_RUN": "true", "PULUMI_CONFIG": json.dumps(pack_config(recording["config"]))})
    sys.path.insert(0, str(PACK_DIR))
    from fargate_policies.rules import ALL_POLICIES  # the pack's rules, as its __main__ assembles them
    from fargate_policies.rules._dispatch import install, tune_collector

    install()  # the pack's own servicer and collector settings, as its __main__ sets them
    tune_collector()

    spent: dict[str, float] = defaultdict(float)
    calls: dict[str, int] = defaultdict(int)
    for policy in ALL_POLICIES:
        original = policy.validate

        def timed(args: Any, report_violation: Any, _name: str = policy.name, _validate: Any = original) -> Any:
            started = time.perf_counter()
            try:
                return _validate(args, report_violation)
            finally:
                spent[_name] += time.perf_counter() - started
                calls[_name] += 1
        policy.validate = timed  # an instance attribute shadows the method for this process only

    servicer = sdk._PolicyAnalyzerServicer("fargate-platform", "0.0.1", ALL_POLICIES, sdk.EnforcementLevel.ADVISORY)
    pack = analyzer.PolicyPackProcess(PACK_DIR, recording["project"], recording["stack"],
                                      config=pack_config(recording["config"]))
    pack.stub = _InProcessStub(servicer)
    pipeline = _InProcessPipeline(servicer)
    pack.pipeline = lambda: pipeline  # an instance attribute shadows the method for this process only
    started = time.perf_counter()
    report = pack.analyze(recording["resources"], config, config_source=source,
                          secret_keys=recording["secret_keys"])
    total = time.perf_counter() - started
    kinds = {p.name: p.policy_type for p in report.pack.policies}
    levels = {name: level for name, (level, _) in report.config.items()}
    policies = sorted(({"policy": name, "type": kinds.get(name, ""), "level": levels.get(name, ""),
                        "seconds": spent[name], "calls": calls[name]} for name in kinds),
                      key=lambda p: -p["seconds"])
    return {"resources": len(recording["resources"]), "total_seconds": total,
            "policy_seconds": sum(spent.values()), "policies": policies, "policy_config": source,
            "findings": _findings(report)}


def export(path: Path, out: Path) -> dict[str, Any]:
    from stacks.exports.tfplan import write_terraform_plan

    recording = _load(path)
    result = write_terraform_plan(recording["resources"], out)
    return {"exported": len(result.addresses), "unmapped": result.unmapped, "skipped": len(result.skipped),
            "addresses": result.addresses}


def rules() -> dict[str, Any]:
    sys.path.insert(0, str(PACK_DIR))
    from fargate_policies.rules import ALL_POLICIES

    return {"checkov": {p.name: list(getattr(p, "checkov", ())) for p in ALL_POLICIES}}


def _parser() -> Any:
    import argparse
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m bench.evaluate", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    rec = sub.add_parser("record")
    rec.add_argument("count", type=int)
    rec.add_argument("out", type=Path)
    sub.add_parser("evaluate").add_argument("path", type=Path)
    sub.add_parser("profile").add_argument("path", type=Path)
    exp = sub.add_parser("export")
    exp.add_argument("path", type=Path)
    exp.add_argument("out", type=Path)
    sub.add_parser("rules")
    return parser


def _print(result: dict[str, Any]) -> int:
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "evaluate" and not argv[1].startswith("-"):
        return _print(evaluate(argv[1]))  # the timed command: no argparse before the pack is launched
    args = _parser().parse_args(argv)
    if args.command == "record":
        return _print(record(args.count, args.out))
    if args.command == "evaluate":
        return _print(evaluate(args.path))
    if args.command == "profile":
        return _print(profile(args.path))
    if args.command == "export":
        return _print(export(args.path, args.out))
    return _print(rules())


if __name__ == "__main__":
    code = main()
    # Everything this worker opened is closed (the pack killed, its channels shut, files written) and its
    # output flushed, so it leaves without tearing the interpreter down object by object, as a process
    # killed at that point would: what is timed is the pack's work, not this process's finalization.
    sys.stderr.flush()
    os._exit(code)
