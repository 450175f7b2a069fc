"""``python -m bench``: measure the offline plan, the policy pack and checkov side by side; write RESULTS.md.

Every figure is measured in this one run, each run in a fresh process, and
quoted as the median of its runs with its peak RSS. See bench/README.md.
"""

from __future__ import annotations

import argparse
import compileall
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import checkov as ckv
from bench.measure import Series, run

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "bench" / "RESULTS.md"
PLAN_TARGET = 1.5
EVAL_TARGET_SECONDS = 10.0
EVAL_TARGET_MIB = 1024.0
GROWTH_TARGET = 12.0
CHECKOV_TARGET = 5.0
FULL_SIZES = (10, 100, 1000)
PROGRAM_SIZES = (10, 40, 100)
"""Service counts at which the program side (recording) is compared with its floor."""
PROGRAM_TARGET = 2.0
END_TO_END_SIZE = 1000
END_TO_END_TARGET_SECONDS = 60.0
END_TO_END_TARGET_MIB = 2048.0
QUICK_SIZES = (2, 10)
LARGE = 100
"""Above this many services, recording and checkov run once (a 1,000-service recording takes minutes)."""
PROFILE_RUNS = 3
"""Runs of the in-process profile per size; each time reported is its best over them."""


class BenchError(Exception):
    """A measurement failed; the message is one line."""


@dataclass
class Options:
    quick: bool
    sizes: tuple[int, ...]
    runs: int
    scaling_runs: int
    stacks: tuple[str, ...]
    checkov: bool
    checkov_timeout: float
    output: Path
    work: Path
    log: Callable[[str], None]


@dataclass
class Results:
    started: dt.datetime
    commands: list[str] = field(default_factory=list)
    plan: list[dict[str, Any]] = field(default_factory=list)
    scaling: list[dict[str, Any]] = field(default_factory=list)
    program: list[dict[str, Any]] = field(default_factory=list)
    profiles: dict[int, dict[str, Any]] = field(default_factory=dict)
    checkov: dict[str, Any] = field(default_factory=dict)
    policy_config: str = ""
    seconds: float = 0.0


def _py(*args: str) -> list[str]:
    return [sys.executable, *args]


_WORK: list[Path] = []


def _evaluate_command(recording: Path) -> list[str]:
    """The evaluating process of section 2, which section 3 also runs beside checkov."""
    return _py("-m", "bench.evaluate", "evaluate", str(recording))


def _display(command: Sequence[str]) -> str:
    shown = []
    for part in command:
        text = str(part)
        for work in _WORK:
            if text.startswith(str(work) + os.sep):
                text = "$WORK/" + os.path.relpath(text, work)
        if text == sys.executable:
            text = "python"
        elif text.startswith(str(REPO_ROOT) + os.sep):
            text = os.path.relpath(text, REPO_ROOT)
        shown.append(text)
    return " ".join(shown)


def _json_run(command: Sequence[str], what: str) -> tuple[dict[str, Any], Any]:
    measured = run(command, cwd=REPO_ROOT)
    if measured.returncode != 0:
        lines = [line for line in measured.stderr.splitlines() if line.strip()]
        raise BenchError(f"{what} exited {measured.returncode}: {lines[-1] if lines else 'no output'}")
    return json.loads(measured.stdout.strip().splitlines()[-1]), measured


# ---------------------------------------------------------------------------
# 1. Offline plan vs its floor.
# ---------------------------------------------------------------------------
def bench_plan(options: Options, results: Results) -> None:
    for stack in options.stacks:
        spec = options.work / f"floor-{stack}.json"
        spec_command = _py("-m", "bench.floor", "spec", stack, str(spec))
        if run(spec_command, cwd=REPO_ROOT).returncode != 0:
            raise BenchError(f"cannot record {stack} for the floor spec")
        resources = len(json.loads(spec.read_text(encoding="utf-8"))["resources"]) + 1
        plan_command = _py("-m", "stacks", "plan", stack)
        floor_command = _py("-m", "bench.floor", "run", str(spec))
        results.commands += [_display(plan_command), _display(floor_command)]
        plan = Series(f"plan {stack}", _display(plan_command))
        floor = Series(f"floor {stack}", _display(floor_command))
        for index in range(options.runs):
            # Alternate the two so that drift in the machine's speed hits both alike.
            options.log(f"plan {stack}: run {index + 1}/{options.runs}")
            plan.runs.append(run(plan_command, cwd=REPO_ROOT))
            floor.runs.append(run(floor_command, cwd=REPO_ROOT))
        bad = [r for r in plan.runs if r.returncode not in (0, 1)] + [r for r in floor.runs if r.returncode != 0]
        if bad:
            lines = [line for line in bad[0].stderr.splitlines() if line.strip()]
            raise BenchError(f"{stack}: a run exited {bad[0].returncode}: {lines[-1] if lines else 'no output'}")
        results.plan.append({"stack": stack, "resources": resources, "plan": plan, "floor": floor,
                             "ratio": plan.seconds / floor.seconds, "exit": plan.runs[0].returncode})


# ---------------------------------------------------------------------------
# 1b. The program side at larger sizes: recording the synthetic stack vs its floor.
# ---------------------------------------------------------------------------
def bench_program(options: Options, results: Results) -> None:
    for size in PROGRAM_SIZES if not options.quick else options.sizes[:1]:
        recording = options.work / f"program-{size}.pickle"
        spec = options.work / f"floor-{size}.json"
        record_command = _py("-m", "bench.evaluate", "record", str(size), str(recording))
        spec_command = _py("-m", "bench.floor", "spec", "prod", str(spec), "--services", str(size))
        floor_command = _py("-m", "bench.floor", "run", str(spec))
        if run(spec_command, cwd=REPO_ROOT).returncode != 0:
            raise BenchError(f"cannot record {size} services for the floor spec")
        results.commands += [_display(record_command), _display(floor_command)]
        record, floor = Series(f"record {size}", _display(record_command)), Series(f"floor {size}", "")
        for index in range(options.scaling_runs):
            options.log(f"program {size} services: record and floor {index + 1}/{options.scaling_runs}")
            record.runs.append(run(record_command, cwd=REPO_ROOT))
            floor.runs.append(run(floor_command, cwd=REPO_ROOT))
        if any(r.returncode != 0 for r in record.runs + floor.runs):
            raise BenchError(f"recording or floor of {size} services failed")
        resources = len(json.loads(spec.read_text(encoding="utf-8"))["resources"])
        results.program.append({"services": size, "resources": resources, "record": record, "floor": floor,
                                "ratio": record.seconds / floor.seconds})


# ---------------------------------------------------------------------------
# 2. Policy evaluation scaling.
# ---------------------------------------------------------------------------
def bench_scaling(options: Options, results: Results) -> None:
    for size in options.sizes:
        recording = options.work / f"services-{size}.pickle"
        record_command = _py("-m", "bench.evaluate", "record", str(size), str(recording))
        evaluate_command = _evaluate_command(recording)
        results.commands += [_display(record_command), _display(evaluate_command)]
        # Above LARGE each run takes minutes on a 2-core machine: one recording and one evaluation.
        runs = options.scaling_runs if size <= LARGE else 1
        records = []
        for index in range(runs):
            options.log(f"scaling {size} services: record {index + 1}/{runs}")
            records.append(_json_run(record_command, f"record {size}"))
        evaluations = []
        error = ""
        for index in range(runs):
            options.log(f"scaling {size} services: evaluate {index + 1}/{runs}")
            try:
                evaluations.append(_json_run(evaluate_command, f"evaluate {size}"))
            except BenchError as exc:
                # Keep going: the other sizes, the profile and checkov still say something.
                error = str(exc)
                options.log(f"scaling {size} services: {error}")
                break
        entry: dict[str, Any] = {
            "services": size, "resources": records[0][0]["resources"],
            "record": [r[0]["record_seconds"] for r in records],
            "record_rss": [r[0]["record_rss_mib"] for r in records], "recording": recording, "error": error,
            "eval": [], "eval_process": [], "client_rss": [], "pack_rss": [], "tree_rss": [], "findings": [],
        }
        if evaluations:
            first = evaluations[0][0]
            results.policy_config = first["policy_config"]
            entry.update({
                "analyzed": first["analyzed"], "findings": first["findings"],
                "eval": [e[0]["eval_seconds"] for e in evaluations],
                "eval_process": [e[1].seconds for e in evaluations],
                "client_rss": [e[0]["client_rss_mib"] for e in evaluations],
                "pack_rss": [e[0]["pack_rss_mib"] for e in evaluations],
                "tree_rss": [e[1].tree_rss_mib for e in evaluations],
            })
        results.scaling.append(entry)
    for size in sorted(set(options.sizes))[-2:]:
        recording = options.work / f"services-{size}.pickle"
        command = _py("-m", "bench.evaluate", "profile", str(recording))
        results.commands.append(_display(command))
        runs = []
        for index in range(PROFILE_RUNS if not options.quick else 1):
            options.log(f"profile {size} services: run {index + 1}")
            runs.append(_json_run(command, f"profile {size}")[0])
        results.profiles[size] = best_profile(runs)
    for entry in results.scaling:
        if entry["error"] and not entry["eval"] and entry["services"] in results.profiles:
            # The in-process profile served the same requests: its findings stand in for the comparison.
            entry["findings"] = results.profiles[entry["services"]]["findings"]
            entry["findings_from"] = "profile"


def best_profile(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The profiles of one recording combined: every time is its best (least) over the runs.

    A policy that takes a few milliseconds is easily doubled by whatever
    else the machine did during one run; its best time is the one that
    shows how its cost grows. Calls and findings are the same in every run.
    """
    best = dict(runs[0])
    for key in ("total_seconds", "policy_seconds"):
        best[key] = min(profile[key] for profile in runs)
    seconds: dict[str, float] = {}
    for profile in runs:
        for entry in profile["policies"]:
            seconds[entry["policy"]] = min(seconds.get(entry["policy"], entry["seconds"]), entry["seconds"])
    best["policies"] = sorted(({**entry, "seconds": seconds[entry["policy"]]} for entry in runs[0]["policies"]),
                              key=lambda entry: -entry["seconds"])
    best["runs"] = len(runs)
    return best


# ---------------------------------------------------------------------------
# 3. The pack vs checkov.
# ---------------------------------------------------------------------------
def bench_checkov(options: Options, results: Results) -> None:
    installation = ckv.ensure_checkov(log=options.log)
    results.checkov["installation"] = installation
    if installation.executable is None:
        options.log(f"checkov unavailable: {installation.problem}")
        return
    policy_checkov = _json_run(_py("-m", "bench.evaluate", "rules"), "rules")[0]["checkov"]
    comparisons = []
    for entry in results.scaling:
        size = entry["services"]
        plan = options.work / f"services-{size}.tfplan.json"
        exported = _json_run(_py("-m", "bench.evaluate", "export", str(entry["recording"]), str(plan)),
                             f"export {size}")[0]
        command = ckv.command(installation.executable, plan)
        results.commands.append(_display(command))
        runs = options.scaling_runs if size <= LARGE else 1
        series = Series(f"checkov {size}", _display(command))
        # Side by side: up to LARGE services the pack's evaluating process (section 2's command) and checkov run
        # in turn, so that a machine that gets faster or slower during the benchmark moves both figures alike.
        side_by_side = size <= LARGE and bool(entry["eval_process"])
        pack_seconds: list[float] = []
        evaluate_command = _evaluate_command(entry["recording"])
        for index in range(runs):
            if side_by_side:
                options.log(f"checkov {size} services: pack run {index + 1}/{runs}")
                try:
                    pack_seconds.append(_json_run(evaluate_command, f"evaluate {size}")[1].seconds)
                except BenchError as exc:  # section 2's runs stand in, as when not side by side
                    options.log(f"checkov {size} services: {exc}")
                    side_by_side, pack_seconds = False, []
            options.log(f"checkov {size} services: run {index + 1}/{runs}")
            series.runs.append(run(command, cwd=REPO_ROOT, env=ckv.environment(), timeout=options.checkov_timeout))
            if series.runs[-1].seconds >= options.checkov_timeout:
                break
        if series.runs[0].seconds >= options.checkov_timeout:
            options.log(f"checkov {size} services: killed after {options.checkov_timeout:.0f} s")
            comparisons.append({"services": size, "exported": exported["exported"], "unmapped": exported["unmapped"],
                                "series": series, "pack": pack_seconds or entry["eval_process"], "parsed": None,
                                "rows": [], "timed_out": True})
            continue
        if series.runs[0].returncode not in (0, 1):
            lines = [line for line in series.runs[0].stderr.splitlines() if line.strip()]
            raise BenchError(f"checkov exited {series.runs[0].returncode}: {lines[-1] if lines else 'no output'}")
        parsed = ckv.parse_output(series.runs[0].stdout)
        urn_to_address = {urn: address for address, urn in exported["addresses"].items()}
        comparisons.append({
            "services": size, "exported": exported["exported"], "unmapped": exported["unmapped"],
            "series": series, "pack": pack_seconds or entry["eval_process"], "parsed": parsed,
            "rows": ckv.compare(entry["findings"], parsed.failed, urn_to_address, policy_checkov),
            "findings_from": entry.get("findings_from", "evaluate"), "timed_out": False,
        })
    results.checkov["comparisons"] = comparisons

    # checkov over our own prod stack.
    prod_plan = options.work / "prod.tfplan.json"
    script = ("from pathlib import Path; from stacks.offline.runner import run_program; "
              "from stacks.exports.tfplan import write_terraform_plan, summary; "
              f"print(summary(write_terraform_plan(run_program(Path('.'), 'prod').resources, {str(prod_plan)!r})))")
    exported = run(_py("-c", script), cwd=REPO_ROOT)
    if exported.returncode != 0:
        raise BenchError("cannot export the prod stack")
    command = ckv.command(installation.executable, prod_plan)
    checked = run(command, cwd=REPO_ROOT, env=ckv.environment())
    export_line = exported.stdout.strip().replace(str(prod_plan), "plan.json")
    results.checkov["prod"] = {"export": export_line, "parsed": ckv.parse_output(checked.stdout),
                               "command": "python -m stacks plan prod --tfplan plan.json && "
                                          "checkov -f plan.json " + " ".join(ckv.OPTIONS)}


# ---------------------------------------------------------------------------
# The report.
# ---------------------------------------------------------------------------
def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _yes(flag: bool) -> str:
    return "**yes**" if flag else "**no**"


SOURCE_PACKAGES = ("components", "stacks", "policies", "bench")
"""The project's packages, compiled to bytecode before anything is timed (see :func:`compile_sources`)."""


def compile_sources(root: Path = REPO_ROOT) -> bool:
    """Write the bytecode cache of the project's packages; False if a file did not compile.

    Installed packages, checkov's among them, were compiled when pip installed them, and Python caches the
    project's own modules on their first import. With ``PYTHONDONTWRITEBYTECODE`` set it never does, and
    every process would compile the project again. Compiling first times every process as it runs on a
    developer's machine or in CI after the first run.
    """
    return all(compileall.compile_dir(root / name, quiet=1) for name in SOURCE_PACKAGES if (root / name).is_dir())


def _machine() -> list[str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text(encoding="utf-8").split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    commit = ""
    if shutil.which("git"):
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                              text=True, check=False)
        commit = done.stdout.strip()
    return [f"- CPUs: {os.cpu_count()} ({cpu or platform.processor() or 'unknown model'})",
            f"- Memory: {memory or 'unknown'}",
            f"- Python: {platform.python_version()} ({sys.executable if not sys.executable.startswith(str(REPO_ROOT)) else os.path.relpath(sys.executable, REPO_ROOT)})",  # noqa: E501
            f"- OS: {platform.system()} {platform.release()}",
            f"- Commit: {commit or 'unknown'} (working tree as it was during the run)",
            f"- Bytecode: the project's packages ({', '.join(SOURCE_PACKAGES)}) compiled before the first run"
            + (" (PYTHONDONTWRITEBYTECODE is set, so Python would not have cached them)"
               if os.environ.get("PYTHONDONTWRITEBYTECODE") else "")]


def _render_program(results: Results) -> list[str]:
    lines = ["### The program side at larger sizes", "",
             "The recording process (`python -m bench.evaluate record N`: the synthetic N-service prod stack under "
             "the mocks, written to a file) against the floor of the same resources (`python -m bench.floor run`), "
             "each a whole process, run in turn. The end-to-end gate at "
             f"{END_TO_END_SIZE:,} services is recording plus evaluating (section 2).", ""]
    if not results.program:
        return [*lines, "Not run.", ""]
    lines += [f"| services | resources | record s | floor s | ratio | record RSS | n | target ≤ {PROGRAM_TARGET}× |",
              "|---:|---:|---:|---:|---:|---:|---:|---|"]
    for entry in results.program:
        record, floor = entry["record"], entry["floor"]
        lines.append(f"| {entry['services']:,} | {entry['resources']:,} | {record.seconds:.2f} | {floor.seconds:.2f} "
                     f"| {entry['ratio']:.2f}× | {record.max_rss_mib:.0f} | {len(record.runs)} | "
                     f"{_yes(entry['ratio'] <= PROGRAM_TARGET) if entry['services'] == 100 else '(100 only)'} |")
    lines.append("")
    top = next((e for e in results.scaling if e["services"] == END_TO_END_SIZE and e["eval"]), None)
    if top is not None:
        seconds = _median(top["record"]) + _median(top["eval_process"])
        rss = max(_median(top["record_rss"]), _median(top["tree_rss"]))
        fast, small = _yes(seconds <= END_TO_END_TARGET_SECONDS), _yes(rss <= END_TO_END_TARGET_MIB)
        lines += [f"End to end at {END_TO_END_SIZE:,} services ({top['resources']:,} resources): recording "
                  f"{_median(top['record']):.1f} s + evaluating process {_median(top['eval_process']):.1f} s = "
                  f"**{seconds:.1f} s** (target ≤ {END_TO_END_TARGET_SECONDS:.0f} s: {fast}), "
                  f"peak RSS {rss:.0f} MiB (target ≤ {END_TO_END_TARGET_MIB:.0f}: {small}).", ""]
    return lines


def render(options: Options, results: Results) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `python -m bench{' --quick' if options.quick else ''}` on "
        f"{results.started:%Y-%m-%d %H:%M} UTC in {results.seconds:.0f} s. Every figure below was measured in "
        "that one run on this machine, each run in a fresh process; times are medians of the runs shown as *n*. "
        "RSS is in MiB: *largest* is the peak of the largest single process (`ru_maxrss` from `wait4`), *tree* the "
        "sampled peak of the whole process tree (a plan and its policy pack run side by side). "
        "See bench/README.md for what each figure means.",
        "",
        "## Machine",
        "",
        *_machine(),
        "",
    ]
    if options.quick:
        lines += ["**Quick mode**: tiny sizes and single runs; the figures show the benchmark works, not how fast "
                  "anything is.", ""]

    lines += ["## 1. Offline plan vs its floor", "",
              "`python -m stacks plan STACK` (the whole CLI: program under mocks, the policy pack in its own "
              "process, the report) against its floor: a process that imports the same provider SDK modules and "
              "registers as many trivial resources of the same types under minimal mocks, with no components, "
              "config, logic or pack (`bench/floor.py`).", ""]
    if results.plan:
        lines += ["| stack | resources | plan s | floor s | ratio | plan RSS largest / tree | floor RSS | n | "
                  f"target ≤ {PLAN_TARGET}× |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---|"]
        for entry in results.plan:
            plan, floor = entry["plan"], entry["floor"]
            target = _yes(entry["ratio"] <= PLAN_TARGET) if entry["stack"] == "prod" else "(prod only)"
            lines.append(f"| {entry['stack']} | {entry['resources']} | {plan.seconds:.2f} | {floor.seconds:.2f} | "
                         f"{entry['ratio']:.2f}× | {plan.max_rss_mib:.0f} / {plan.tree_rss_mib:.0f} | "
                         f"{floor.max_rss_mib:.0f} | {len(plan.runs)} | {target} |")
        lines += ["", "Run-to-run range (s): " + "; ".join(
            f"{e['stack']} plan {e['plan'].spread or '-'}, floor {e['floor'].spread or '-'}" for e in results.plan),
            ""]
    else:
        lines += ["Not run.", ""]

    lines += _render_program(results)

    lines += ["## 2. Policy evaluation scaling", "",
              "Synthetic prod stacks with N services from the real components (`bench/synthetic.py`), recorded "
              "with `run_program(..., config_overrides=...)` and evaluated through "
              "`stacks.offline.analyzer.run_policy_pack` (the real pack process and gRPC protocol) "
              "with the prod policy "
              f"config ({results.policy_config or 'n/a'}). Recording and evaluation are separate processes; "
              "*evaluate s* runs from starting the pack, once the recording is loaded, to the last finding (the "
              "pack boots; then GetAnalyzerInfo, Configure, Analyze per resource, AnalyzeStack), *process s* is "
              "the whole evaluating process. Recording and evaluating run once above "
              f"{LARGE} services.", ""]
    if results.scaling:
        lines += ["| services | resources | record s (n) | record RSS | evaluate s (n) | process s | "
                  "ms / resource | client + pack RSS | tree RSS | findings |",
                  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for entry in results.scaling:
            if not entry["eval"]:
                lines.append(f"| {entry['services']:,} | {entry['resources']:,} | {_median(entry['record']):.2f} "
                             f"({len(entry['record'])}) | {_median(entry['record_rss']):.0f} | **failed** | | | | | "
                             f"{len(entry['findings'])} |")
                continue
            evaluate = _median(entry["eval"])
            rss = _median(entry["client_rss"]) + _median(entry["pack_rss"])
            lines.append(
                f"| {entry['services']:,} | {entry['resources']:,} | {_median(entry['record']):.2f} "
                f"({len(entry['record'])}) | {_median(entry['record_rss']):.0f} | {evaluate:.2f} "
                f"({len(entry['eval'])}) | {_median(entry['eval_process']):.2f} | "
                f"{evaluate / max(entry['resources'], 1) * 1000:.2f} | {rss:.0f} | "
                f"{_median(entry['tree_rss']):.0f} | {len(entry['findings'])} |")
        lines.append("")
        for entry in results.scaling:
            if entry["error"]:
                lines += [f"**`run_policy_pack` failed on {entry['services']:,} services**: {entry['error']}", ""]
        by_size = {e["services"]: e for e in results.scaling if e["eval"]}
        if 1000 in by_size:
            top = by_size[1000]
            seconds = _median(top["eval"])
            rss = _median(top["client_rss"]) + _median(top["pack_rss"])
            met = _yes(seconds <= EVAL_TARGET_SECONDS)
            lines.append(f"- 1,000 services evaluated in ≤ {EVAL_TARGET_SECONDS:.0f} s: {met} ({seconds:.1f} s)")
            lines.append(f"- 1,000 services in ≤ 1 GiB RSS (client + pack): {_yes(rss <= EVAL_TARGET_MIB)} "
                         f"({rss:.0f} MiB)")
        if 1000 in by_size and 100 in by_size:
            growth = _median(by_size[1000]["eval"]) / _median(by_size[100]["eval"])
            grew = by_size[1000]["resources"] / by_size[100]["resources"]
            lines.append(f"- Linear growth, t(1000)/t(100) ≤ {GROWTH_TARGET:.0f}: {_yes(growth <= GROWTH_TARGET)} "
                         f"({growth:.1f}; resources grew {grew:.1f}×)")
        if not (1000 in by_size and 100 in by_size):
            lines.append("- Targets (1,000 services ≤ 10 s, ≤ 1 GiB; t(1000)/t(100) ≤ 12) need evaluations at 100 "
                         "and 1,000 services: **not met** in this run (not measured)." if not options.quick else
                         "- Targets (1,000 services ≤ 10 s, ≤ 1 GiB; t(1000)/t(100) ≤ 12): not judged in quick mode.")
        lines.append("")
        lines += _profile_lines(results)
    else:
        lines += ["Not run.", ""]

    lines += _checkov_lines(options, results)
    lines += ["## Commands", "", "Each run below is a fresh process started by `python -m bench` "
              "(working directory: the repository root; `$WORK` is its scratch directory):", "", "```"]
    lines += list(dict.fromkeys(results.commands))
    lines += ["```", ""]
    return "\n".join(lines)


def _profile_lines(results: Results) -> list[str]:
    if not results.profiles:
        return []
    sizes = sorted(results.profiles)
    top = results.profiles[sizes[-1]]
    low = results.profiles[sizes[0]] if len(sizes) > 1 else None
    lines = [f"### Where the rules' time goes ({sizes[-1]:,} services)", "",
             "Every policy's `validate` called in one process on the recording's resources, decoded once as "
             "pulumi-policy decodes a request, without gRPC or the pack process "
             f"(`python -m bench.evaluate profile`, best of {top.get('runs', 1)} runs for every time). "
             f"Total {top['total_seconds']:.2f} s, of which the rules' own code {top['policy_seconds']:.2f} s "
             f"({top['policy_seconds'] / max(top['total_seconds'], 1e-9) * 100:.0f}%); the rest is decoding. "
             "The pack process decodes a resource's properties again for each policy (pulumi-policy's way), so "
             "the total is not comparable with *evaluate s* above; where the rules' time goes is what it shows.",
             ""]
    header = "| policy | type | s | calls |"
    rule = "|---|---|---:|---:|"
    if low:
        factor = top["resources"] / max(low["resources"], 1)
        header += f" growth vs {sizes[0]:,} services (resources ×{factor:.1f}) |"
        rule += "---:|"
    lines += [header, rule]
    low_by_name = {p["policy"]: p for p in (low or {}).get("policies", [])}
    flagged = []
    for entry in top["policies"][:12]:
        row = f"| {entry['policy']} | {entry['type']} | {entry['seconds']:.3f} | {entry['calls']:,} |"
        if low:
            before = low_by_name.get(entry["policy"], {}).get("seconds", 0.0)
            growth = entry["seconds"] / before if before > 1e-4 else float("nan")
            row += f" {growth:.1f}× |"
            if before > 1e-3 and growth > 2 * factor:
                flagged.append(f"{entry['policy']} ({growth:.0f}× for {factor:.0f}× resources)")
        lines.append(row)
    lines.append("")
    if low:
        lines += [("Superlinear policies (growth over twice the resource growth): " + ", ".join(flagged) + ".")
                  if flagged else "No policy grows faster than twice the resource growth.", ""]
    return lines


def _checkov_lines(options: Options, results: Results) -> list[str]:
    lines = ["## 3. This pack vs checkov", ""]
    if not options.checkov:
        return lines + ["Not run (`--no-checkov`).", ""]
    installation = results.checkov.get("installation")
    if installation is None or installation.executable is None:
        problem = installation.problem if installation else "not attempted"
        return lines + [f"**checkov could not be installed**, so there is no comparison: {problem}", ""]
    lines += [f"checkov {installation.version} from `bench/.venv-checkov` (pinned in bench/requirements.txt), "
              "reading the Terraform-plan export of the same synthetic recordings (`stacks/exports/tfplan.py`, see "
              "docs/tfplan.md), offline (`--skip-download`). *pack s* is the whole evaluating process of "
              "section 2 (loading the recording, starting the pack, evaluating); *checkov s* the whole checkov "
              f"process. Up to {LARGE} services the two run in turn, pack then checkov, *n* times each, so that "
              "both are timed on the machine in the same state; above that, checkov runs once and *pack s* is "
              "section 2's.", "",
              "| services | resources exported | pack s (n) | checkov s (n) | checkov RSS | pack faster by | "
              f"target ≥ {CHECKOV_TARGET:.0f}× | checkov passed / failed |",
              "|---:|---:|---:|---:|---:|---:|---|---:|"]
    for comparison in results.checkov.get("comparisons", []):
        series = comparison["series"]
        pack = _median(comparison["pack"]) if comparison["pack"] else float("nan")
        pack_text = f"{pack:.2f} ({len(comparison['pack'])})" if comparison["pack"] else "failed"
        if comparison["timed_out"]:
            ratio = options.checkov_timeout / pack if comparison["pack"] else float("nan")
            lines.append(f"| {comparison['services']:,} | {comparison['exported']:,} | {pack_text} | "
                         f"> {options.checkov_timeout:.0f} (killed) | {series.max_rss_mib:.0f} | "
                         f"{'> ' + format(ratio, '.1f') + '×' if comparison['pack'] else 'n/a'} | "
                         f"{_yes(ratio >= CHECKOV_TARGET) if comparison['pack'] else 'n/a'} | — |")
            continue
        ratio = series.seconds / pack if comparison["pack"] else float("nan")
        parsed = comparison["parsed"]
        lines.append(f"| {comparison['services']:,} | {comparison['exported']:,} | {pack_text} | "
                     f"{series.seconds:.2f} ({len(series.runs)}) | {series.max_rss_mib:.0f} | "
                     f"{format(ratio, '.1f') + '×' if comparison['pack'] else 'n/a'} | "
                     f"{_yes(ratio >= CHECKOV_TARGET) if comparison['pack'] else 'n/a'} | "
                     f"{parsed.passed:,} / {len(parsed.failed):,} |")
    lines.append("")
    comparisons = [c for c in results.checkov.get("comparisons", []) if not c["timed_out"]]
    if comparisons:
        chosen = comparisons[-1]
        source = ("" if chosen["findings_from"] == "evaluate" else
                  " The pack's findings come from the in-process profile run, as the evaluation failed.")
        lines += [f"### Findings side by side ({chosen['services']:,} services)", "",
                  "Both tools' findings as (Terraform address, check) pairs. A pack policy is matched to the "
                  "checkov checks its rule names as equivalent (`checkov=` in policies/fargate_policies/rules); "
                  "*both* counts "
                  f"resources flagged by the two.{source}", "",
                  "| pack policy | checkov checks | pack | checkov | both | pack only | checkov only |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        agreed = [r for r in chosen["rows"] if r.pack_policy and r.checkov_ids and not r.pack and not r.checkov]
        for row in chosen["rows"]:
            if row in agreed:
                continue
            lines.append(f"| {row.pack_policy or '—'} | {', '.join(row.checkov_ids) or '—'} | {row.pack} | "
                         f"{row.checkov} | {row.both} | {row.pack_only} | {row.checkov_only} |")
        lines += ["", "Rows with a pack policy and no checkov finding: checkov has no such check, or its check "
                  "passed. Rows without a pack policy: checkov checks the pack has no rule for (notes below).", ""]
        if agreed:
            lines += ["Pack policies whose checkov equivalents agree that nothing is wrong (no finding from either): "
                      + ", ".join(f"{r.pack_policy} ({', '.join(r.checkov_ids)})" for r in agreed) + ".", ""]
    prod = results.checkov.get("prod")
    if prod:
        parsed = prod["parsed"]
        lines += ["### checkov on the prod stack", "", f"`{prod['command']}` ({prod['export']}): "
                  f"{parsed.passed} passed, {len(parsed.failed)} failed.", "",
                  "| check | resources | why, and the fix |", "|---|---|---|"]
        for check_id, name, addresses in ckv.failures_by_check(parsed.failed):
            note = ckv.NOTES.get(check_id, "No note yet: review.")
            lines.append(f"| {check_id}: {name} | {', '.join(f'`{a}`' for a in addresses)} | {note} |")
        lines.append("")
    return lines


# ---------------------------------------------------------------------------
# Entry point.
# ---------------------------------------------------------------------------
def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, single runs, prod plan only")
    parser.add_argument("--sizes", type=int, nargs="+", metavar="N",
                        help=f"service counts of the synthetic stacks (default {' '.join(map(str, FULL_SIZES))}; "
                             f"quick: {' '.join(map(str, QUICK_SIZES))})")
    parser.add_argument("--runs", type=int, default=None, help="runs per plan/floor figure (default 5; quick 1)")
    parser.add_argument("--scaling-runs", type=int, default=None,
                        help="runs per scaling and checkov figure (default 3; quick 1)")
    parser.add_argument("--stacks", nargs="+", default=None, help="stacks to plan (default dev prod; quick prod)")
    parser.add_argument("--no-checkov", action="store_true", help="skip the checkov comparison")
    parser.add_argument("--checkov-timeout", type=float, default=600.0, metavar="S",
                        help="kill a checkov run after S seconds and report it as slower than that (default 600)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="results file (default bench/RESULTS.md)")
    parser.add_argument("--keep", type=Path, default=None, metavar="DIR",
                        help="keep recordings and plans in DIR (default: a temporary directory, removed)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    sizes = tuple(args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES))
    if any(size < 1 for size in sizes):
        print("error: --sizes must be positive", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-"))
    work.mkdir(parents=True, exist_ok=True)
    _WORK[:] = [work.resolve()]

    def log(message: str) -> None:
        print(f"[bench] {message}", file=sys.stderr, flush=True)

    options = Options(quick=args.quick, sizes=sizes, runs=args.runs or (1 if args.quick else 5),
                      scaling_runs=args.scaling_runs or (1 if args.quick else 3),
                      stacks=tuple(args.stacks or (("prod",) if args.quick else ("dev", "prod"))),
                      checkov=not args.no_checkov, checkov_timeout=args.checkov_timeout, output=args.output,
                      work=work, log=log)
    results = Results(started=dt.datetime.now(dt.UTC))
    started = dt.datetime.now(dt.UTC)
    if not compile_sources():
        print("error: the project's sources do not compile (python -m compileall shows where)", file=sys.stderr)
        return 1
    try:
        bench_plan(options, results)
        bench_program(options, results)
        bench_scaling(options, results)
        if options.checkov:
            bench_checkov(options, results)
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    results.seconds = (dt.datetime.now(dt.UTC) - started).total_seconds()
    text = render(options, results)
    options.output.parent.mkdir(parents=True, exist_ok=True)
    options.output.write_text(text, encoding="utf-8")
    log(f"wrote {options.output}")
    return 0
