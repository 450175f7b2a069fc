"""The benchmark's parts, and a smoke test that `make bench QUICK=1` keeps working (shapes, never times).

The smoke test runs the benchmark itself, which takes half a minute: it is marked ``bench`` and left out of the
default run; ``pytest -m bench tests/test_bench.py`` runs it.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

from bench import checkov as ckv
from bench.cli import SOURCE_PACKAGES, compile_sources
from bench.synthetic import services_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.bench
def test_quick_benchmark_writes_a_well_formed_report(tmp_path):
    output = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, "-m", "bench", "--quick", "--sizes", "2", "--no-checkov",
                           "--output", str(output)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    report = output.read_text(encoding="utf-8")
    for heading in ("# Benchmark results", "## Machine", "## 1. Offline plan vs its floor",
                    "## 2. Policy evaluation scaling", "## 3. This pack vs checkov", "## Commands"):
        assert heading in report, heading
    assert re.search(r"^- CPUs: \d+ ", report, re.MULTILINE)
    assert re.search(r"^- Python: 3\.\d+", report, re.MULTILINE)
    # One plan row for prod and one scaling row for 2 services, each with numbers where the figures go.
    assert re.search(r"^\| prod \| \d+ \| [\d.]+ \| [\d.]+ \| [\d.]+× \| \d+ / \d+ \| \d+ \| 1 \|", report,
                     re.MULTILINE), report
    assert re.search(r"^\| 2 \| \d+ \| [\d.]+ \(1\) \| \d+ \| [\d.]+ \(1\) \|", report, re.MULTILINE), report
    assert "Not run (`--no-checkov`)." in report
    assert "python -m stacks plan prod" in report and "python -m bench.evaluate evaluate" in report
    assert str(tmp_path) not in report.split("## Commands")[0]


def test_sources_are_compiled_before_timing_and_a_broken_one_is_reported(tmp_path):
    package = tmp_path / SOURCE_PACKAGES[0]
    package.mkdir()
    (package / "good.py").write_text("VALUE = 1\n")
    assert compile_sources(tmp_path) is True
    assert [p.name.split(".")[0] for p in (package / "__pycache__").iterdir()] == ["good"]
    (package / "broken.py").write_text("def (\n")
    assert compile_sources(tmp_path) is False


def test_synthetic_services_are_distinct():
    import json

    services = json.loads(services_config(3))
    assert len({s["name"] for s in services}) == 3
    assert len({s["priority"] for s in services}) == 3
    assert len({tuple(s["pathPatterns"]) for s in services}) == 3


def test_checkov_output_parsing_and_comparison():
    text = ('{"check_type": "terraform_plan", "results": {"failed_checks": [{"check_id": "CKV_AWS_65", '
            '"resource": "aws_ecs_cluster.c", "check_name": "Container insights"}, {"check_id": "CKV_AWS_18", '
            '"resource": "aws_s3_bucket.b", "check_name": "Access logging"}]}, '
            '"summary": {"passed": 3, "failed": 2, "resource_count": 2, "parsing_errors": 0}}')
    parsed = ckv.parse_output(text)
    assert parsed.passed == 3 and [f.check_id for f in parsed.failed] == ["CKV_AWS_65", "CKV_AWS_18"]
    rows = ckv.compare(
        [{"policy": "require-container-insights", "urn": "urn:c"}, {"policy": "require-tags", "urn": "urn:b"}],
        parsed.failed, {"urn:c": "aws_ecs_cluster.c", "urn:b": "aws_s3_bucket.b"},
        {"require-container-insights": ["CKV_AWS_65"], "require-tags": []})
    by_key = {(r.pack_policy, r.checkov_ids): r for r in rows}
    insights = by_key[("require-container-insights", ("CKV_AWS_65",))]
    assert (insights.pack, insights.checkov, insights.both) == (1, 1, 1)
    assert by_key[("require-tags", ())].pack_only == 1
    assert by_key[("", ("CKV_AWS_18",))].checkov_only == 1


def test_a_check_split_between_two_policies_is_covered_by_either():
    """CKV_AWS_103 fails an HTTP listener that does not redirect (require-http-redirect's finding) and an HTTPS
    listener with an old policy (enforce-tls-policy's): neither row counts the other's resource as missed."""
    failed = [ckv.Failure("CKV_AWS_103", "aws_lb_listener.http", ""),
              ckv.Failure("CKV_AWS_103", "aws_lb_listener.tls", "")]
    claims = {"require-http-redirect": ["CKV_AWS_103"], "enforce-tls-policy": ["CKV_AWS_103"]}
    addresses = {"urn:http": "aws_lb_listener.http", "urn:tls": "aws_lb_listener.tls"}
    rows = {r.pack_policy: r for r in ckv.compare(
        [{"policy": "require-http-redirect", "urn": "urn:http"}, {"policy": "enforce-tls-policy", "urn": "urn:tls"}],
        failed, addresses, claims)}
    assert [(r.both, r.checkov_only) for r in rows.values()] == [(1, 0), (1, 0)]
    # Without the TLS policy's finding, its listener is checkov's alone, in both rows.
    rows = {r.pack_policy: r for r in ckv.compare(
        [{"policy": "require-http-redirect", "urn": "urn:http"}], failed, addresses, claims)}
    assert rows["enforce-tls-policy"].checkov_only == 1 and rows["require-http-redirect"].checkov_only == 1


def test_pack_and_checkov_run_in_turn_up_to_the_large_size(tmp_path, monkeypatch):
    """The ratio compares runs made side by side: pack, checkov, pack, checkov... up to LARGE services; above it,
    checkov runs once against section 2's pack runs."""
    import datetime as dt
    import json

    from bench import cli
    from bench.measure import Run

    order: list[str] = []
    seconds = iter(range(1, 1000))

    def fake_run(command, cwd=None, env=None, timeout=None):
        args = [str(part) for part in command]
        if args[0] == str(tmp_path / "checkov"):
            order.append("checkov")
            stdout = json.dumps({"check_type": "terraform_plan",
                                 "results": {"passed_checks": [], "failed_checks": []},
                                 "summary": {"passed": 0, "failed": 0}})
        elif args[3:4] == ["evaluate"]:
            order.append("pack")
            stdout = json.dumps({"eval_seconds": 0.1})
        elif args[3:4] == ["rules"]:
            stdout = json.dumps({"checkov": {}})
        elif args[3:4] == ["export"]:
            stdout = json.dumps({"exported": 1, "unmapped": [], "skipped": 0, "addresses": {}})
        else:  # the prod stack's export
            stdout = "exported 1 resources"
        return Run(seconds=float(next(seconds)), max_rss_mib=1.0, tree_rss_mib=1.0, returncode=0, stdout=stdout,
                   stderr="")

    monkeypatch.setattr(cli, "run", fake_run)
    monkeypatch.setattr(cli.ckv, "ensure_checkov",
                        lambda log=None: cli.ckv.Installation(executable=tmp_path / "checkov", version="0"))
    options = cli.Options(quick=False, sizes=(10, 1000), runs=1, scaling_runs=3, stacks=("prod",), checkov=True,
                          checkov_timeout=300.0, output=tmp_path / "RESULTS.md", work=tmp_path, log=lambda _: None)
    results = cli.Results(started=dt.datetime.now(dt.UTC))
    results.scaling = [{"services": size, "recording": tmp_path / f"{size}.pickle", "findings": [],
                        "eval_process": [0.5, 0.6, 0.7]} for size in (10, 1000)]
    cli.bench_checkov(options, results)

    assert order[:6] == ["pack", "checkov"] * 3  # 10 services: side by side
    assert order[6:] == ["checkov", "checkov"]  # 1,000 services once, then the prod stack
    small, large = results.checkov["comparisons"]
    assert len(small["pack"]) == 3 and small["pack"] != [0.5, 0.6, 0.7]
    assert large["pack"] == [0.5, 0.6, 0.7]
    lines = "\n".join(cli._checkov_lines(options, results))
    assert f"| 10 | 1 | {statistics.median(small['pack']):.2f} (3) |" in lines


def test_the_profile_keeps_every_times_best_run():
    from bench.cli import best_profile

    def profile(total, policy, times):
        return {"resources": 10, "total_seconds": total, "policy_seconds": policy, "findings": [],
                "policies": [{"policy": name, "type": "stack", "level": "mandatory", "seconds": seconds, "calls": 1}
                             for name, seconds in times.items()]}

    best = best_profile([profile(3.0, 1.0, {"a": 0.5, "b": 0.02}), profile(2.5, 1.2, {"a": 0.7, "b": 0.01})])
    assert (best["total_seconds"], best["policy_seconds"], best["runs"]) == (2.5, 1.0, 2)
    assert [(p["policy"], p["seconds"]) for p in best["policies"]] == [("a", 0.5), ("b", 0.01)]


def test_the_program_side_is_timed_against_its_floor_at_each_size(tmp_path, monkeypatch):
    """Record and floor run in turn at 10, 40 and 100 services; the 100-service ratio meets the 2× target or not,
    and the end-to-end line adds the 1,000-service recording to its evaluating process."""
    import datetime as dt
    import json

    from bench import cli
    from bench.measure import Run

    order: list[str] = []

    def fake_run(command, cwd=None, env=None, timeout=None):
        args = [str(part) for part in command]
        if args[2:4] == ["bench.floor", "spec"]:
            Path(args[5]).write_text(json.dumps({"resources": [{}] * int(args[-1])}))
            return Run(seconds=0.0, max_rss_mib=1.0, tree_rss_mib=1.0, returncode=0, stdout="", stderr="")
        kind = "floor" if args[2] == "bench.floor" else "record"
        order.append(kind)
        return Run(seconds=3.0 if kind == "record" else 1.0, max_rss_mib=5.0, tree_rss_mib=5.0, returncode=0,
                   stdout="", stderr="")

    monkeypatch.setattr(cli, "run", fake_run)
    options = cli.Options(quick=False, sizes=(10, 1000), runs=1, scaling_runs=2, stacks=("prod",), checkov=False,
                          checkov_timeout=300.0, output=tmp_path / "RESULTS.md", work=tmp_path, log=lambda _: None)
    results = cli.Results(started=dt.datetime.now(dt.UTC))
    cli.bench_program(options, results)
    assert order == ["record", "floor"] * 6
    assert [(e["services"], e["resources"], e["ratio"]) for e in results.program] == [
        (10, 10, 3.0), (40, 40, 3.0), (100, 100, 3.0)]
    results.scaling = [{"services": 1000, "resources": 23000, "eval": [1.0], "record": [50.0],
                        "eval_process": [15.0], "record_rss": [1500.0], "tree_rss": [900.0]}]
    text = "\n".join(cli._render_program(results))
    assert "| 100 | 100 | 3.00 | 1.00 | 3.00× | 5 | 2 | no |" in text.replace("**", ""), text
    assert "recording 50.0 s + evaluating process 15.0 s = **65.0 s**" in text and "peak RSS 1500 MiB" in text
