"""Static-PIE (ET_DYN without PT_INTERP) programs load at the PIE base and run."""
from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from conftest import ROOT, run_pytrans

SRC = ROOT / "examples" / "hello.c"
BUILDS = {
    "aarch64-glibc": (["aarch64-linux-gnu-gcc"], "gcc-aarch64-linux-gnu",
                      ["-static-pie", "-fPIE"]),
    "arm-musl": ([sys.executable, "-m", "ziglang", "cc", "-target", "arm-linux-musleabihf"],
                 "pip install ziglang", ["-static-pie", "-fPIE", "-Wno-unused-command-line-argument"]),
}


def _have(cmd: list[str]) -> bool:
    if cmd[0] == sys.executable:
        return subprocess.run([*cmd[:3], "version"], capture_output=True).returncode == 0
    return shutil.which(cmd[0]) is not None


@pytest.mark.parametrize("variant", sorted(BUILDS))
def test_static_pie(tmp_path, variant):
    cc, install, flags = BUILDS[variant]
    if not _have(cc):
        pytest.skip(f"{cc[-1] if cc[0] != sys.executable else 'zig'} not available ({install})")
    prog = tmp_path / "pie"
    subprocess.run([*cc, *flags, "-O2", "-o", str(prog), str(SRC)], check=True,
                   capture_output=True)
    info = run_pytrans("info", prog).stdout.decode()
    assert "ET_DYN, static-pie" in info
    r = run_pytrans("run", "--strace", prog, "pie-arg")
    assert r.returncode == 0, r.stderr
    assert "argv[1] = pie-arg" in r.stdout.decode()
    assert "sum 1/n^2 for n<=1000 = 1.643934567" in r.stdout.decode()
