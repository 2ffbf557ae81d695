"""Shared fixtures: run pytrans and qemu-user as subprocesses."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The JIT's tier 0 runs start-up code on Unicorn; off for the suite, so every JIT test runs
# whole programs through the translator (tests/test_jit_tier0.py sets its own budgets).
os.environ.setdefault("PYTRANS_JIT_TIER0", "0")
PYTRANS = [sys.executable, "-m", "translator"]
QEMU = {"arm": "qemu-arm", "aarch64": "qemu-aarch64"}


def _other_arm32_backend() -> str:
    """The ARM32 backend that is not the default one: the suite's 32-bit programs run on
    both (the default through "auto", this one with an explicit --backend)."""
    from translator.emulator import BACKENDS, DEFAULT_BACKEND
    return next(b for b in BACKENDS if b != DEFAULT_BACKEND[32])


OTHER_ARM32_BACKEND = _other_arm32_backend()


def run_pytrans(*args: str, stdin: bytes | None = None, env: dict | None = None,
                timeout: float = 120, cwd: str | None = None) -> subprocess.CompletedProcess:
    """Run `pytrans ARGS...` and capture stdout/stderr as bytes."""
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    if env:
        e.update(env)
    return subprocess.run(PYTRANS + [str(a) for a in args], input=stdin, capture_output=True,
                          timeout=timeout, env=e, cwd=cwd)


def qemu_for(arch: str) -> str | None:
    """Path of qemu-user for 'arm' or 'aarch64', or None when it is not installed."""
    return shutil.which(QEMU[arch])


def run_qemu(arch: str, *args: str, stdin: bytes | None = None, env: dict | None = None,
             timeout: float = 120, cwd: str | None = None) -> subprocess.CompletedProcess:
    exe = qemu_for(arch)
    if exe is None:
        pytest.skip(f"{QEMU[arch]} is not installed (apt-get install qemu-user)")
    return subprocess.run([exe] + [str(a) for a in args], input=stdin, capture_output=True,
                          timeout=timeout, env=env, cwd=cwd)


@pytest.fixture
def pytrans():
    return run_pytrans


def shell_status(returncode: int) -> int:
    """Exit status as a shell shows it: a process killed by signal N reads as 128+N.

    pytrans (like qemu-user) kills itself with the guest's fatal signal, so subprocess
    reports -N; both forms mean the same thing to a shell.
    """
    return 128 - returncode if returncode < 0 else returncode


CROSS_CC = {"arm": "arm-linux-gnueabihf-gcc", "aarch64": "aarch64-linux-gnu-gcc"}
CROSS_SYSROOT = {"arm": "/usr/arm-linux-gnueabihf", "aarch64": "/usr/aarch64-linux-gnu"}
# The host's own compiler: native x86-64 builds of guest programs, as a reference.
HOST_CC = {"native": "gcc"}
# Targets built with zig's bundled clang and musl (pip package ziglang): ARM32 programs on a
# libc other than the cross toolchain's glibc.
ZIG_TARGET = {"arm-musl": "arm-linux-musleabihf"}


def cross_compiler(target: str) -> list[str]:
    """The command that compiles C for ``target`` (a CROSS_CC, HOST_CC or ZIG_TARGET key);
    skips the test, saying what to install, when that compiler is missing."""
    if target in ZIG_TARGET:
        zig = [sys.executable, "-m", "ziglang"]
        if subprocess.run([*zig, "version"], capture_output=True).returncode != 0:
            pytest.skip("zig not available (pip install ziglang)")
        return [*zig, "cc", "-target", ZIG_TARGET[target]]
    cc = HOST_CC[target] if target in HOST_CC else CROSS_CC[target]
    if shutil.which(cc) is None:
        package = cc if target in HOST_CC else f"gcc-{cc[:-4]}"
        pytest.skip(f"{cc} not installed (apt-get install {package})")
    return [cc]


class GuestBuilder:
    """Compiles a guest C program (``tests/guest/NAME.c``, or the file ``src``) once
    per (name, target, flags, link, src) into ``out``; skips the test when the compiler for
    the target is missing.

    ``flags`` are extra compiler arguments separated by spaces (``"-mthumb"``, ``"-lm"``),
    placed after the source so that libraries link; ``link`` is ``-static``, ``-no-pie``
    (dynamic, for a sysroot), ``-static-pie``, or ``""`` for the compiler's default (a
    dynamic PIE on Debian), named ``-dynamic`` in the output's file name.
    """

    def __init__(self, out: Path, cflags: tuple[str, ...] = ("-O1",)):
        self.out = out
        self.cflags = cflags
        self.cache: dict[tuple, Path] = {}

    def __call__(self, name: str, arch: str, flags: str = "", link: str = "-static",
                 src: Path | None = None) -> Path:
        key = (name, arch, flags, link, src)
        if key not in self.cache:
            cc = cross_compiler(arch)
            exe = self.out / f"{name}-{arch}{''.join(flags.split())}{link or '-dynamic'}"
            src = src or ROOT / "tests/guest" / f"{name}.c"
            subprocess.run([*cc, *([link] if link else []), *self.cflags, "-o", str(exe),
                            str(src), *flags.split()], check=True)
            self.cache[key] = exe
        return self.cache[key]
