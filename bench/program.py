"""``python -m bench.program``: the program's own cost: recording against its floor, and a large stack gated end to end.

*record* is :func:`stacks.offline.runner.run_program` of the synthetic
N-service prod stack (:mod:`bench.synthetic`), timed inside a fresh process
(``python -m bench.program record N SPEC``, which also writes the stack's
floor spec). *floor* is ``python -m bench.floor run SPEC`` over the same
resource types and names: the least any Pulumi Python program that registers
them can cost. The two alternate, and each figure is the median of its runs.

The *gate* is one fresh process (``python -m bench.program gate N``) that
does what ``python -m stacks plan`` does for a synthetic stack: records it,
then evaluates it through the real pack (:func:`stacks.offline.analyzer.run_policy_pack`)
with the prod policy config. It is timed as a whole, with the peak RSS of its
process tree (the process and the pack).

Wall times depend on what else the machine runs, so every figure comes with
its CPU seconds and the report states the load average when it was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import run

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK = "prod"
SIZES = (10, 40, 100)
GATE_SERVICES = 1000
RUNS = 3
QUICK_SIZES = (2,)
QUICK_GATE_SERVICES = 2
RATIO_TARGET = 2.0
"""Recording within twice its floor, judged at the largest size."""
GATE_TARGET_SECONDS = 60.0
GATE_TARGET_MIB = 2048.0
PACK_CONFIG_EXCLUDE = ("fargate-platform:services",)
"""Not passed to the pack: no rule reads it, and for 1,000 services it is longer than Linux allows one
environment string (the pack gets the config as ``PULUMI_CONFIG``)."""


class ProgramBenchError(Exception):
    """A measured process failed; the message is one line."""


# ---------------------------------------------------------------------------
# The worker processes.
# ---------------------------------------------------------------------------
def _rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def record(count: int, spec_path: Path) -> dict[str, Any]:
    """Record the synthetic stack of ``count`` services, timed; write its floor spec to ``spec_path``."""
    from bench.floor import spec_of
    from bench.synthetic import overrides
    from stacks.offline.runner import run_program

    started, cpu = time.perf_counter(), time.process_time()
    program = run_program(REPO_ROOT, STACK, config_overrides=overrides(count))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    spec_path.write_text(json.dumps(spec_of(program)), encoding="utf-8")
    return {"services": count, "resources": len(program.resources), "seconds": seconds, "cpu_seconds": cpu,
            "rss_mib": _rss_mib(resource.RUSAGE_SELF)}


def gate(count: int) -> dict[str, Any]:
    """Record the synthetic stack of ``count`` services and evaluate it through the pack, as a plan does."""
    from bench.synthetic import overrides
    from stacks.offline.analyzer import run_policy_pack
    from stacks.offline.policy_config import load_policy_config
    from stacks.offline.runner import run_program

    started = time.perf_counter()
    program = run_program(REPO_ROOT, STACK, config_overrides=overrides(count))
    recorded = time.perf_counter()
    config_path = REPO_ROOT / "policies" / "config" / f"{STACK}.json"
    report = run_policy_pack(REPO_ROOT / "policies", program.project, program.stack, program.resources,
                             load_policy_config(config_path),
                             config={k: v for k, v in program.config.values.items() if k not in PACK_CONFIG_EXCLUDE},
                             secret_keys=program.config.secret_keys,
                             config_source=f"policy config {config_path.relative_to(REPO_ROOT)}")
    done = time.perf_counter()
    return {"services": count, "resources": len(program.resources), "record_seconds": recorded - started,
            "evaluate_seconds": done - recorded, "findings": len(report.violations),
            "mandatory": len(report.mandatory), "client_rss_mib": _rss_mib(resource.RUSAGE_SELF),
            "pack_rss_mib": _rss_mib(resource.RUSAGE_CHILDREN)}


# ---------------------------------------------------------------------------
# Measuring.
# ---------------------------------------------------------------------------
@dataclass
class Size:
    services: int
    resources: int = 0
    record: list[float] = field(default_factory=list)
    record_cpu: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    floor_cpu: list[float] = field(default_factory=list)


@dataclass
class Measured:
    sizes: list[Size] = field(default_factory=list)
    gate: dict[str, Any] = field(default_factory=dict)
    commands: list[str] = field(default_factory=list)
    load: list[tuple[float, float, float]] = field(default_factory=list)
    """Load averages (1, 5, 15 min) when the measurements started and when they ended."""
    error: str = ""


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", *args]


def _shown(command: Sequence[str], work: Path) -> str:
    return " ".join("python" if part == sys.executable else str(part).replace(str(work), "$WORK")
                    for part in command)


def _measured(command: Sequence[str], what: str) -> tuple[Any, float]:
    """Run ``command`` in a fresh process; its measured run and the CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    measured = run(command, cwd=REPO_ROOT)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if measured.returncode != 0:
        lines = [line for line in measured.stderr.splitlines() if line.strip()]
        raise ProgramBenchError(f"{what} exited {measured.returncode}: {lines[-1] if lines else 'no output'}")
    return measured, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _result(measured: Any) -> dict[str, Any]:
    return json.loads(measured.stdout.strip().splitlines()[-1])


def measure(sizes: Sequence[int], gate_services: int, runs: int, work: Path,
            log: Callable[[str], None]) -> Measured:
    """Record against floor at each size (``runs`` each, alternating), then the gate once."""
    result = Measured(load=[os.getloadavg()])
    try:
        for services in sizes:
            spec = work / f"floor-{services}.json"
            record_command = _command("bench.program", "record", str(services), str(spec))
            floor_command = _command("bench.floor", "run", str(spec))
            result.commands += [_shown(record_command, work), _shown(floor_command, work)]
            size = Size(services)
            result.sizes.append(size)
            for index in range(runs):
                # Alternate the two so that drift in the machine's speed hits both alike.
                log(f"program {services} services: run {index + 1}/{runs}")
                measured, _ = _measured(record_command, f"record {services}")
                recorded = _result(measured)
                size.resources = recorded["resources"]
                size.record.append(recorded["seconds"])
                size.record_cpu.append(recorded["cpu_seconds"])
                measured, cpu = _measured(floor_command, f"floor {services}")
                size.floor.append(measured.seconds)
                size.floor_cpu.append(cpu)
        gate_command = _command("bench.program", "gate", str(gate_services))
        result.commands.append(_shown(gate_command, work))
        log(f"program gate {gate_services} services")
        measured, cpu = _measured(gate_command, f"gate {gate_services}")
        result.gate = {**_result(measured), "process_seconds": measured.seconds, "cpu_seconds": cpu,
                       "tree_rss_mib": measured.tree_rss_mib, "largest_rss_mib": measured.max_rss_mib}
    except ProgramBenchError as exc:
        result.error = str(exc)
        log(f"program: {exc}")
    result.load.append(os.getloadavg())
    return result


# ---------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------
def _yes(flag: bool) -> str:
    return "**yes**" if flag else "**no**"


def render(measured: Measured) -> list[str]:
    """Section 4 of RESULTS.md."""
    median = statistics.median
    lines = ["## 4. The program against its floor", "",
             "*record s* is `run_program` of the synthetic N-service prod stack (`bench/synthetic.py`) inside a fresh "
             "process; *floor s* the whole `bench/floor.py` process over the same resource types and names (see "
             "section 1). Medians of *n* runs, the two alternating; *CPU s* is the process's user + system time, "
             "which other work on the machine affects less than wall time. The *gate* is one process that records "
             "the stack and evaluates it through the pack with the prod policy config, timed as a whole "
             "(*process s*), with the peak RSS of its process tree (it and the pack).", "",
             "Load average (1, 5, 15 min) at the start and at the end: "
             + " → ".join(", ".join(f"{x:.1f}" for x in load) for load in measured.load) + ".", ""]
    if measured.sizes:
        lines += ["| services | resources | record s | floor s | ratio | record CPU s | floor CPU s | CPU ratio | n |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for size in measured.sizes:
            if not size.floor:
                continue
            record, floor = median(size.record), median(size.floor)
            record_cpu, floor_cpu = median(size.record_cpu), median(size.floor_cpu)
            lines.append(f"| {size.services:,} | {size.resources:,} | {record:.2f} | {floor:.2f} | "
                         f"{record / floor:.2f}× | {record_cpu:.2f} | {floor_cpu:.2f} | {record_cpu / floor_cpu:.2f}× "
                         f"| {len(size.floor)} |")
        lines.append("")
        top = measured.sizes[-1]
        if top.floor:
            ratio = median(top.record) / median(top.floor)
            lines += [f"- {top.services:,} services recorded within {RATIO_TARGET:g}× the floor: "
                      f"{_yes(ratio <= RATIO_TARGET)} ({ratio:.2f}×)", ""]
    gate = measured.gate
    if gate:
        lines += ["| services | resources | record s | evaluate s | process s | process CPU s | client + pack RSS | "
                  "tree RSS | findings (mandatory) |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
                  f"| {gate['services']:,} | {gate['resources']:,} | {gate['record_seconds']:.2f} | "
                  f"{gate['evaluate_seconds']:.2f} | {gate['process_seconds']:.2f} | {gate['cpu_seconds']:.2f} | "
                  f"{gate['client_rss_mib'] + gate['pack_rss_mib']:.0f} | {gate['tree_rss_mib']:.0f} | "
                  f"{gate['findings']} ({gate['mandatory']}) |", "",
                  f"- {gate['services']:,} services gated end to end in ≤ {GATE_TARGET_SECONDS:.0f} s: "
                  f"{_yes(gate['process_seconds'] <= GATE_TARGET_SECONDS)} ({gate['process_seconds']:.1f} s)",
                  f"- in ≤ {GATE_TARGET_MIB / 1024:.0f} GiB peak RSS (process tree): "
                  f"{_yes(gate['tree_rss_mib'] <= GATE_TARGET_MIB)} ({gate['tree_rss_mib']:.0f} MiB)", ""]
    if measured.error:
        lines += [f"**Failed**: {measured.error}", ""]
    lines += ["Commands (`$WORK` is a scratch directory):", "", "```", *dict.fromkeys(measured.commands), "```", ""]
    return lines


def section(options: Any) -> str:
    """Measure and render section 4 for ``python -m bench`` (its ``Options``: ``quick`` and ``log``)."""
    quick = options.quick
    with tempfile.TemporaryDirectory(prefix="bench-program-") as work:
        measured = measure(QUICK_SIZES if quick else SIZES, QUICK_GATE_SERVICES if quick else GATE_SERVICES,
                           1 if quick else RUNS, Path(work), options.log)
    return "\n".join(render(measured))


# ---------------------------------------------------------------------------
# Entry point.
# ---------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.program", description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), metavar="N",
                        help=f"service counts recorded against the floor (default {' '.join(map(str, SIZES))})")
    parser.add_argument("--gate", type=int, default=GATE_SERVICES, metavar="N",
                        help=f"service count of the end-to-end gate (default {GATE_SERVICES})")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"runs per record and floor figure (default {RUNS})")
    sub = parser.add_subparsers(dest="worker", metavar="{record,gate}",
                                help="a measured process (started by the measurement itself)")
    worker = sub.add_parser("record", help="record N services, write the floor spec, print the time as JSON")
    worker.add_argument("count", type=int)
    worker.add_argument("spec", type=Path)
    sub.add_parser("gate", help="record N services and evaluate them through the pack; print JSON").add_argument(
        "count", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.worker is not None:
        result = record(args.count, args.spec) if args.worker == "record" else gate(args.count)
        print(json.dumps(result))
        return 0
    if min(args.sizes) < 1 or args.gate < 1 or args.runs < 1:
        print("error: --sizes, --gate and --runs must be positive", file=sys.stderr)
        return 2

    def log(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="bench-program-") as work:
        measured = measure(args.sizes, args.gate, args.runs, Path(work), log)
    print("\n".join(render(measured)))
    return 1 if measured.error else 0


if __name__ == "__main__":
    sys.exit(main())
