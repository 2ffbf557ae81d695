#!/usr/bin/env python3
"""Foundation costs: static and dynamic hello-world wall time and one syscall round trip.

Runs pytrans (each backend), qemu-user when installed, and the native x86-64 build side by
side, best of N, and prints a table with ratios. Guest programs are built from
benchmarks/src with the Debian cross compilers (cached under ~/.cache/pytrans-bench); the
dynamically linked hello world runs with -L on the cross toolchain's sysroot
(/usr/arm-linux-gnueabihf, /usr/aarch64-linux-gnu), i.e. glibc's ld.so + libc.so.6.

    python benchmarks/startup.py [--reps 5] [--calls 200000]
"""
from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from translator.bench import byte_compile  # noqa: E402
SRC = ROOT / "benchmarks" / "src"
CACHE = Path(os.environ.get("PYTRANS_BENCH_CACHE", Path.home() / ".cache" / "pytrans-bench"))
COMPILERS = {"arm": ["arm-linux-gnueabihf-gcc", "-mthumb"], "aarch64": ["aarch64-linux-gnu-gcc"],
             "native": ["gcc"]}
QEMU = {"arm": "qemu-arm", "aarch64": "qemu-aarch64"}
SYSROOT = {"arm": "/usr/arm-linux-gnueabihf", "aarch64": "/usr/aarch64-linux-gnu"}


def build(name: str, arch: str, link: str = "-static") -> Path | None:
    cc = COMPILERS[arch]
    if shutil.which(cc[0]) is None:
        print(f"note: {cc[0]} not installed; skipping {arch}", file=sys.stderr)
        return None
    src = SRC / f"{name}.c"
    extra = b"" if link == "-static" else link.encode()     # keep the static builds' names
    tag = hashlib.sha256(src.read_bytes() + " ".join(cc).encode() + extra).hexdigest()[:12]
    out = CACHE / f"{name}-{arch}-{tag}"
    if not out.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([*cc, link, "-O2", "-s", "-o", str(out), str(src)], check=True)
    return out


def best_of(cmd: list[str], reps: int) -> float:
    best = float("inf")
    for _ in range(reps):
        t = time.perf_counter()
        r = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        dt = time.perf_counter() - t
        if r.returncode != 0:
            raise SystemExit(f"benchmark command failed ({r.returncode}): {' '.join(cmd)}\n"
                             f"{r.stderr.decode()}")
        best = min(best, dt)
    return best


def runners(arch: str) -> dict[str, list[str]]:
    out = {}
    if arch == "arm":          # the default ARM32 backend (start-up runs in its tier 0)
        out["pytrans-jit"] = [sys.executable, "-m", "translator", "run", "--backend", "jit"]
    out["pytrans-unicorn"] = [sys.executable, "-m", "translator", "run", "--backend", "unicorn"]
    if shutil.which(QEMU[arch]):
        out["qemu-user"] = [QEMU[arch]]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--calls", type=int, default=200000)
    a = ap.parse_args()
    os.environ["PYTHONPATH"] = str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")
    byte_compile(ROOT)
    rows = []
    native_hello = build("hello", "native")
    t_native = best_of([str(native_hello)], a.reps) if native_hello else None
    for arch in ("arm", "aarch64"):
        hello, loop = build("hello", arch), build("syscall_loop", arch)
        if not hello or not loop:
            continue
        dyn = build("hello", arch, "-no-pie") if os.path.isdir(SYSROOT[arch]) else None
        for name, cmd in runners(arch).items():
            t_hello = best_of(cmd + [str(hello)], a.reps)
            t_dyn = best_of(cmd + ["-L", SYSROOT[arch], str(dyn)], a.reps) if dyn else None
            small = best_of(cmd + [str(loop), "1000"], a.reps)
            big = best_of(cmd + [str(loop), str(a.calls + 1000)], max(1, a.reps // 2))
            per_call = (big - small) / a.calls
            rows.append((arch, name, t_hello, t_dyn, per_call))
    print(f"{'guest':<9}{'runner':<18}{'hello wall (s)':>15}{'x native':>10}"
          f"{'dynamic hello (s)':>19}{'syscall (us)':>14}")
    for arch, name, th, td, pc in rows:
        ratio = f"{th / t_native:.0f}x" if t_native else "-"
        dyn = f"{td:.3f}" if td is not None else "-"
        print(f"{arch:<9}{name:<18}{th:>15.3f}{ratio:>10}{dyn:>19}{pc * 1e6:>14.2f}")
    if t_native:
        print(f"{'x86-64':<9}{'native':<18}{t_native:>15.3f}{'1x':>10}{'-':>19}{'-':>14}")


if __name__ == "__main__":
    main()
