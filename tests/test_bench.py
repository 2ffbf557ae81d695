"""The benchmark harness: unit checks on its arithmetic and one small real run."""
from __future__ import annotations

import json
import shutil

import pytest

from conftest import run_pytrans
from translator.bench import Bench, Result, _geomean, draw_chart


def _fake(results: list[Result]) -> Bench:
    b = Bench.__new__(Bench)
    b.results = results
    b.names = list(dict.fromkeys(r.workload for r in results))
    b.arches = ["arm"]
    return b


def test_geomean():
    assert _geomean([2.0, 8.0]) == pytest.approx(4.0)
    assert _geomean([]) is None


def test_summary_ratios_and_regressions():
    rs = [Result("w1", "arm", "native", 0.01, checksum_ok=True),
          Result("w1", "arm", "qemu-user", 0.05, checksum_ok=True),
          Result("w1", "arm", "pytrans-unicorn", 0.40, checksum_ok=True),
          Result("w2", "arm", "native", 0.02, checksum_ok=True),
          Result("w2", "arm", "qemu-user", 0.04, checksum_ok=True),
          Result("w2", "arm", "pytrans-unicorn", 0.10, checksum_ok=True)]
    b = _fake(rs)
    s = b.summary()["arm/pytrans-unicorn"]
    assert s["geomean_vs_native"] == pytest.approx((40 * 5) ** 0.5)
    assert s["geomean_vs_qemu"] == pytest.approx((8 * 2.5) ** 0.5)
    baseline = {"results": [{"workload": "w1", "arch": "arm", "runner": "pytrans-unicorn",
                             "seconds": 0.30},
                            {"workload": "w2", "arch": "arm", "runner": "pytrans-unicorn",
                             "seconds": 0.099}]}
    flagged = b.regressions(baseline, 0.15)
    assert len(flagged) == 1 and flagged[0].startswith("w1 arm pytrans-unicorn: 0.300s -> 0.400s")


def test_bad_checksum_is_not_averaged():
    rs = [Result("w1", "arm", "native", 0.01, checksum_ok=True),
          Result("w1", "arm", "pytrans-unicorn", 0.40, checksum_ok=False)]
    assert _fake(rs).summary()["arm/pytrans-unicorn"]["workloads"] == 0


def test_chart_files(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib not installed (pip install matplotlib)")
    data = {"mode": "quick", "machine": {"cpu": "test"}, "results": [
        {"workload": "w1", "arch": "arm", "runner": "native", "seconds": 0.01, "checksum_ok": True},
        {"workload": "w1", "arch": "arm", "runner": "qemu-user", "seconds": 0.05, "checksum_ok": True},
        {"workload": "w1", "arch": "arm", "runner": "pytrans-unicorn", "seconds": 0.4,
         "checksum_ok": True}]}
    paths = draw_chart(data, str(tmp_path / "chart.png"))
    assert [p.suffix for p in paths] == [".png", ".svg"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert b"<svg" in paths[1].read_bytes()[:500]


def test_bench_end_to_end(tmp_path):
    """A real, small run: every runner present, every checksum right, files written."""
    for cc in ("arm-linux-gnueabihf-gcc", "aarch64-linux-gnu-gcc", "gcc"):
        if shutil.which(cc) is None:
            pytest.skip(f"{cc} not installed (tests/install-deps.sh installs the cross compilers)")
    pytest.importorskip("matplotlib", reason="matplotlib not installed (pip install matplotlib)")
    out = tmp_path / "bench.json"
    r = run_pytrans("bench", "--quick", "--reps", "1", "--workloads", "hello,crc32",
                    "--arch", "thumb,aarch64", "--json", out, "--chart", tmp_path / "chart",
                    "--build-dir", tmp_path / "build", timeout=600)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    data = json.loads(out.read_text())
    runners = {(x["workload"], x["arch"], x["runner"]) for x in data["results"]}
    for w in ("hello", "crc32"):
        assert (w, "thumb", "pytrans-unicorn") in runners and (w, "aarch64", "pytrans-unicorn") in runners
        assert (w, "thumb", "pytrans-jit") in runners                 # both by default
        assert (w, "aarch64", "pytrans-jit") not in runners           # the JIT is ARM32 only
        if shutil.which("qemu-arm"):
            assert (w, "thumb", "qemu-user") in runners
    assert all(x["checksum_ok"] for x in data["results"]), data["results"]
    assert all(x["peak_rss_kib"] > 0 for x in data["results"])
    assert all(x["stats"]["syscalls"] > 0 for x in data["results"] if x["runner"].startswith("pytrans"))
    assert data["summary"]["thumb/pytrans-unicorn"]["geomean_vs_native"] > 1
    assert (tmp_path / "chart.png").exists() and (tmp_path / "chart.svg").exists()
    text = r.stdout.decode()
    assert "pytrans bench (quick, best of 1)" in text and "geomean thumb/pytrans-unicorn" in text
    # and against itself as the baseline: nothing can be 10x slower
    r2 = run_pytrans("bench", "--quick", "--reps", "1", "--workloads", "hello", "--arch", "thumb",
                     "--baseline", out, "--threshold", "9", "--build-dir", tmp_path / "build")
    assert r2.returncode == 0 and "no regressions beyond 900%" in r2.stdout.decode()


def test_bench_bad_options():
    r = run_pytrans("bench", "--arch", "mips")
    assert r.returncode != 0 and r.stderr.decode().startswith("pytrans: unknown --arch")
    r = run_pytrans("bench", "--workloads", "nope")
    assert r.returncode != 0 and "unknown workload" in r.stderr.decode()


def test_regression_millisecond_runs_are_not_flagged():
    """A native hello world of ~1 ms took 8 ms on a busy machine and was flagged (+700%)
    against its own baseline: slow-downs under the noise floor are jitter."""
    rs = [Result("hello", "arm", "native", 0.008, checksum_ok=True),
          Result("sort", "arm", "native", 0.300, checksum_ok=True)]
    baseline = {"results": [{"workload": "hello", "arch": "arm", "runner": "native",
                             "seconds": 0.001},
                            {"workload": "sort", "arch": "arm", "runner": "native",
                             "seconds": 0.150}]}
    flagged = _fake(rs).regressions(baseline, 0.15)
    assert len(flagged) == 1 and flagged[0].startswith("sort arm native")
