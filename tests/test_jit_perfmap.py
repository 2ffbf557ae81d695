"""PYTRANS_PERFMAP=1: the JIT names its translated blocks in /tmp/perf-PID.map (the format of
qemu-user's -perfmap), so ``perf report`` attributes host samples to guest code."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import ROOT

HELLO = ROOT / "examples" / "hello-arm"


def test_perfmap_names_every_translated_block(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTRANS_PERFMAP": "1",
           "PYTRANS_JIT_TIER0": "0"}
    stats = tmp_path / "stats.json"
    p = subprocess.Popen([sys.executable, "-m", "translator", "run", "--backend", "jit",
                          "--stats-json", str(stats), str(HELLO)], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = p.communicate(timeout=120)
    path = Path(f"/tmp/perf-{p.pid}.map")
    try:
        assert p.returncode == 0, err.decode()
        lines = path.read_text().splitlines()
    finally:
        path.unlink(missing_ok=True)
    import json
    assert len(lines) == json.loads(stats.read_text())["blocks_translated"] > 0
    starts = []
    for line in lines:
        m = re.fullmatch(r"([0-9a-f]+) ([0-9a-f]+) guest:0x([0-9a-f]+)(:T)?", line)
        assert m, line
        starts.append(int(m[1], 16))
        assert int(m[2], 16) > 0
    assert len(set(starts)) == len(starts)                   # one entry per block
    assert any(line.endswith(":T") for line in lines)        # the example is Thumb-2 code


def test_perfmap_off_by_default(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTRANS_JIT_TIER0": "0"}
    env.pop("PYTRANS_PERFMAP", None)
    p = subprocess.Popen([sys.executable, "-m", "translator", "run", "--backend", "jit",
                          str(HELLO)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.communicate(timeout=120)
    assert p.returncode == 0
    assert not Path(f"/tmp/perf-{p.pid}.map").exists()
