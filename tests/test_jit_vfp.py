"""Scalar VFP programs on the JIT: compiled C (tests/guest/fp_env.c) against qemu-user.

The instruction-level differential tests (tests/test_jit_diff.py) cover each VFP instruction
from random and special values; this runs what a compiler and glibc make of floating-point C:
arithmetic, conversions, compares, NaNs, rounding modes (fesetround) and the cumulative
exception flags (fetestexcept/feclearexcept read and write the FPSCR).
"""
from __future__ import annotations

import pytest

from conftest import GuestBuilder, run_pytrans, run_qemu


@pytest.fixture(scope="module")
def fp_env(tmp_path_factory):
    build = GuestBuilder(tmp_path_factory.mktemp("vfp"), ("-O2",))
    return {mode: build("fp_env", "arm", f"-m{mode} -lm") for mode in ("arm", "thumb")}


@pytest.mark.parametrize("mode", ["arm", "thumb"])
def test_fp_env_program_matches_qemu_on_the_jit(fp_env, mode):
    want = run_qemu("arm", fp_env[mode])
    got = run_pytrans("run", "--backend", "jit", "--stats", fp_env[mode])
    assert got.returncode == want.returncode == 0, got.stderr.decode()
    assert got.stdout == want.stdout
    out = got.stdout.decode()
    # ARM facts x86 SSE gets wrong unless fixed up: saturating conversions, NaN -> 0, a
    # positive default NaN, and both directed rounding modes.
    assert "cvt 9: 2147483647 4294967295 2147483647 4294967295" in out
    assert "nan: 7ff8000000000000 7ff8000000000000 1" in out
    assert "round 1: 3fd5555555555556 3eaaaaab" in out
    assert "arith flags: invalid divbyzero overflow underflow inexact" in out
    stats = dict(line.split(" = ") for line in got.stderr.decode().splitlines()
                 if line.startswith("pytrans: stats: "))
    native = int(stats["pytrans: stats: native_instructions"])
    fallback = int(stats["pytrans: stats: fallback_instructions"])
    assert fallback < native / 100, (native, fallback)
