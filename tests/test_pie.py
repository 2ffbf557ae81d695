"""Static-PIE (ET_DYN without PT_INTERP) programs load at the PIE base and run."""
from __future__ import annotations

import pytest

from conftest import ROOT, GuestBuilder, run_pytrans

SRC = ROOT / "examples" / "hello.c"
# variant: (GuestBuilder target, flags besides -static-pie); arm-musl is built with zig cc.
BUILDS = {
    "aarch64-glibc": ("aarch64", "-fPIE"),
    "arm-musl": ("arm-musl", "-fPIE -Wno-unused-command-line-argument"),
}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return GuestBuilder(tmp_path_factory.mktemp("pie"), ("-O2",))


@pytest.mark.parametrize("variant", sorted(BUILDS))
def test_static_pie(build, variant):
    target, flags = BUILDS[variant]
    prog = build("hello", target, flags, link="-static-pie", src=SRC)
    info = run_pytrans("info", prog).stdout.decode()
    assert "ET_DYN, static-pie" in info
    r = run_pytrans("run", "--strace", prog, "pie-arg")
    assert r.returncode == 0, r.stderr
    assert "argv[1] = pie-arg" in r.stdout.decode()
    assert "sum 1/n^2 for n<=1000 = 1.643934567" in r.stdout.decode()
