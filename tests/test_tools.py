"""The developer tools in tools/ still run against the current JIT (they reach into its
internals, so a refactoring can break them without any other test noticing)."""
from __future__ import annotations

import re
import subprocess
import sys

from conftest import ROOT

HELLO = ROOT / "examples" / "hello-arm"


def test_regression_jit_profile_cold_pass_runs():
    """tools/jit_profile.py --cold referred to an emitter table that no longer existed; it
    now re-translates the run's blocks (in the run's order, ending where they ended) and
    reports each stage."""
    r = subprocess.run([sys.executable, "tools/jit_profile.py", "--cold", "--reps", "1",
                        str(HELLO)], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    run = re.search(r"run: (\d+) blocks", r.stdout)
    assert run and int(run.group(1)) > 0               # (tier 0 off: every block translated)
    assert re.search(r"cold pass: [\d.]+ ms, [\d.]+ us/insn", r.stdout)
    assert f"{run.group(1)} blocks" in r.stdout.split("cold pass")[1]
    for stage in ("lift", "optimize", "emit", "link", "total"):
        assert re.search(rf"^\s+{stage}\s+[\d.]+ us/insn$", r.stdout, re.M), stage
