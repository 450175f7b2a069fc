"""The benchmark's process runner: wall time, peak RSS of the process tree, and the timeout."""

from __future__ import annotations

import sys

from bench import measure
from bench.measure import run

# A parent that holds ~60 MiB and starts a child holding ~120 MiB, both alive together for a moment (long enough
# for a few scans of the tree at the test's scan interval).
TREE = """
import subprocess, sys
held = bytearray(60 * 1024 * 1024)
child = subprocess.Popen([sys.executable, "-c",
                          "import time; held = bytearray(120 * 1024 * 1024); time.sleep(0.3)"])
child.wait()
"""


def test_a_process_tree_is_measured_whole(monkeypatch):
    monkeypatch.setattr(measure, "TREE_REFRESH", 0.02)
    result = run([sys.executable, "-c", TREE])
    assert result.returncode == 0, result.stderr
    assert result.max_rss_mib >= 120, result          # the largest single process: the child
    assert result.tree_rss_mib >= 170, result         # parent and child at the same time
    assert 0.3 <= result.seconds < 30, result


def test_a_run_past_its_timeout_is_killed():
    result = run([sys.executable, "-c", "import threading; threading.Event().wait()"], timeout=0.1)
    assert result.returncode < 0, result               # killed by a signal
    assert result.seconds < 10, result
