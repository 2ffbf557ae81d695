#!/usr/bin/env python3
"""Build the benchmark workloads (benchmarks/workloads/*.c) for every guest target.

Targets: ``arm`` (ARM32, A32 instructions), ``thumb`` (ARM32, Thumb-2), ``aarch64`` and
``native`` (x86-64, the baseline). Every workload is built static and stripped with
``-O2 -ffp-contract=off``; ``hello`` is also built dynamic as ``hello_dynamic`` (run it under
an emulator with ``-L sysroot(target)``).

Binaries are cached by content hash: the file name carries a hash of the source, the full
compiler command line and the compiler's identity, so a binary is rebuilt exactly when one of
those changes. Builds run in parallel.

    python benchmarks/build.py [OUTDIR] [--targets arm,aarch64] [--workloads sha256,vm] [-j N]

From Python::

    from benchmarks.build import build_workloads, missing_compilers
    bins = build_workloads(Path("/tmp/wl"))      # {("sha256", "arm"): Path(...), ...}
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

WORKLOAD_DIR = Path(__file__).resolve().parent / "workloads"

# Bump to force a rebuild of everything (e.g. when the naming or build logic changes).
BUILD_FORMAT = 1

# Flags every binary gets. -ffp-contract=off: no fused multiply-add, so floating-point
# results are bit-identical across ARM32, AArch64 and x86-64.
COMMON_FLAGS = ("-O2", "-ffp-contract=off", "-s")
LIBS = ("-lm",)


@dataclass(frozen=True)
class Target:
    name: str
    cc: str                      # compiler driver looked up on PATH
    flags: tuple[str, ...]       # target-specific flags
    qemu: str | None             # qemu-user binary for this target (None: runs natively)
    install_hint: str

    def compiler(self) -> str | None:
        return shutil.which(self.cc)


TARGETS: dict[str, Target] = {
    "arm": Target("arm", "arm-linux-gnueabihf-gcc", ("-marm",), "qemu-arm",
                  "apt-get install gcc-arm-linux-gnueabihf"),
    "thumb": Target("thumb", "arm-linux-gnueabihf-gcc", ("-mthumb",), "qemu-arm",
                    "apt-get install gcc-arm-linux-gnueabihf"),
    "aarch64": Target("aarch64", "aarch64-linux-gnu-gcc", (), "qemu-aarch64",
                      "apt-get install gcc-aarch64-linux-gnu"),
    "native": Target("native", "gcc", (), None, "apt-get install gcc libc6-dev"),
}

# Extra binaries built from an existing source: name -> (source stem, static?)
VARIANTS: dict[str, tuple[str, bool]] = {"hello_dynamic": ("hello", False)}


class BuildError(RuntimeError):
    """One or more compilations failed. ``failures`` maps (workload, target) to the compiler's
    output; ``built`` holds everything that did build."""

    def __init__(self, failures: dict[tuple[str, str], str], built: dict[tuple[str, str], Path]):
        self.failures = failures
        self.built = built
        lines = [f"{len(failures)} benchmark build(s) failed:"]
        for (name, target), err in sorted(failures.items()):
            lines.append(f"--- {name} [{target}]\n{err.rstrip()}")
        super().__init__("\n".join(lines))


def default_outdir() -> Path:
    env = os.environ.get("PYTRANS_BENCH_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "pytrans-bench" / "build"


def workload_names() -> list[str]:
    """Names of the static workloads (one per C source), sorted."""
    return sorted(p.stem for p in WORKLOAD_DIR.glob("*.c"))


def all_names() -> list[str]:
    """Static workloads plus the variants (hello_dynamic)."""
    names = workload_names()
    return names + [v for v, (src, _) in VARIANTS.items() if src in names]


def source_of(name: str) -> tuple[Path, bool]:
    """(C source, static?) for a workload or variant name."""
    if name in VARIANTS:
        stem, static = VARIANTS[name]
    else:
        stem, static = name, True
    return WORKLOAD_DIR / f"{stem}.c", static


def missing_compilers(targets=None) -> dict[str, str]:
    """{target: install hint} for each requested target whose compiler is not on PATH."""
    out = {}
    for t in _targets(targets):
        if TARGETS[t].compiler() is None:
            out[t] = f"{TARGETS[t].cc} not found; install it with: {TARGETS[t].install_hint}"
    return out


@lru_cache(maxsize=None)
def _compiler_identity(cc_path: str) -> str:
    """What makes a compiler's output differ: resolved driver, version, target triple."""
    real = os.path.realpath(cc_path)
    parts = [real]
    for args in (["--version"], ["-dumpmachine"]):
        try:
            r = subprocess.run([cc_path, *args], capture_output=True, text=True, timeout=60)
            parts.append(r.stdout)
        except (OSError, subprocess.SubprocessError) as e:
            parts.append(repr(e))
    try:
        st = os.stat(real)
        parts.append(f"{st.st_size}:{st.st_mtime_ns}")
    except OSError:
        pass
    return "\n".join(parts)


@lru_cache(maxsize=None)
def _triple(cc_path: str) -> str | None:
    try:
        r = subprocess.run([cc_path, "-dumpmachine"], capture_output=True, text=True, timeout=60)
        return r.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def sysroot(target: str) -> Path | None:
    """Guest root for running dynamic programs of this target under an emulator (-L), e.g.
    /usr/arm-linux-gnueabihf; None for native or when not installed."""
    t = TARGETS[target]
    cc = t.compiler()
    if t.qemu is None or cc is None:
        return None
    triple = _triple(cc)
    if not triple:
        return None
    for root in (Path("/usr") / triple, Path("/usr/local") / triple):
        if (root / "lib").is_dir():
            return root
    return None


def compile_command(name: str, target: str, output: Path) -> list[str]:
    src, static = source_of(name)
    t = TARGETS[target]
    cc = t.compiler() or t.cc
    return [cc, *t.flags, *COMMON_FLAGS, *(("-static",) if static else ()),
            "-o", str(output), str(src), *LIBS]


def _cache_key(name: str, target: str) -> str:
    src, _ = source_of(name)
    cmd = compile_command(name, target, Path("OUT"))
    h = hashlib.sha256()
    h.update(f"format {BUILD_FORMAT}\n".encode())
    h.update(src.read_bytes())
    h.update(b"\0" + "\0".join(cmd[1:]).encode())
    h.update(b"\0" + _compiler_identity(cmd[0]).encode())
    return h.hexdigest()[:16]


def output_path(outdir: Path, name: str, target: str) -> Path:
    return Path(outdir) / f"{name}-{target}-{_cache_key(name, target)}"


def _build_one(outdir: Path, name: str, target: str) -> tuple[Path, bool, str | None]:
    """Returns (path, rebuilt?, error)."""
    out = output_path(outdir, name, target)
    if out.is_file() and os.access(out, os.X_OK):
        return out, False, None
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", dir=outdir)
    os.close(fd)
    try:
        cmd = compile_command(name, target, Path(tmp))
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return out, False, f"$ {' '.join(cmd)}\n{r.stdout}{r.stderr}"
        os.chmod(tmp, 0o755)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    # Drop binaries of older versions of this (workload, target).
    stale = re.compile(re.escape(f"{name}-{target}-") + r"[0-9a-f]{16}")
    for p in Path(outdir).iterdir():
        if p != out and stale.fullmatch(p.name):
            try:
                p.unlink()
            except OSError:
                pass
    return out, True, None


def _targets(targets) -> list[str]:
    if targets is None:
        return list(TARGETS)
    if isinstance(targets, str):
        targets = [t for t in targets.split(",") if t]
    unknown = [t for t in targets if t not in TARGETS]
    if unknown:
        raise ValueError(f"unknown target(s) {unknown}; known: {list(TARGETS)}")
    return list(targets)


def build_workloads(outdir: Path | None = None, targets=None, workloads=None, jobs: int | None = None,
                    *, report: dict | None = None) -> dict[tuple[str, str], Path]:
    """Build (or reuse from the cache) every workload for every target whose compiler is
    installed; targets without a compiler are skipped (see missing_compilers()).

    workloads: names to build (default: all, including hello_dynamic).
    report: if a dict is given, it is filled with {(workload, target): "built" | "cached"}.
    Returns {(workload, target): path}. Raises BuildError if a compilation fails.
    """
    outdir = Path(outdir) if outdir is not None else default_outdir()
    outdir.mkdir(parents=True, exist_ok=True)
    names = all_names() if workloads is None else list(workloads)
    known = set(all_names())
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown workload(s) {unknown}; known: {sorted(known)}")
    missing = missing_compilers(targets)
    jobs_list = [(n, t) for t in _targets(targets) if t not in missing for n in names]
    built: dict[tuple[str, str], Path] = {}
    failures: dict[tuple[str, str], str] = {}
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 2) as pool:
        futs = {key: pool.submit(_build_one, outdir, *key) for key in jobs_list}
        for key, fut in futs.items():
            path, rebuilt, err = fut.result()
            if err is not None:
                failures[key] = err
                continue
            built[key] = path
            if report is not None:
                report[key] = "built" if rebuilt else "cached"
    if failures:
        raise BuildError(failures, built)
    return built


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir", nargs="?", type=Path, default=None,
                    help=f"output directory (default: {default_outdir()})")
    ap.add_argument("--targets", default=None, help="comma-separated subset of "
                    + ",".join(TARGETS))
    ap.add_argument("--workloads", default=None, help="comma-separated subset of workloads")
    ap.add_argument("-j", "--jobs", type=int, default=None)
    a = ap.parse_args(argv)
    outdir = a.outdir or default_outdir()
    try:
        targets = _targets(a.targets)
    except ValueError as e:
        ap.error(str(e))
    workloads = a.workloads.split(",") if a.workloads else None
    unknown = [w for w in workloads or () if w not in all_names()]
    if unknown:
        ap.error(f"unknown workload(s) {unknown}; known: {all_names()}")
    for t, hint in missing_compilers(targets).items():
        print(f"note: skipping target {t}: {hint}", file=sys.stderr)
    report: dict[tuple[str, str], str] = {}
    status = 0
    try:
        bins = build_workloads(outdir, targets, workloads, a.jobs, report=report)
    except BuildError as e:
        print(e, file=sys.stderr)
        bins, status = e.built, 1
    names = sorted({n for n, _ in bins})
    cols = [t for t in targets if any((n, t) in bins for n in names)]
    width = max([len(n) for n in names] + [8])
    print(f"benchmark binaries in {outdir}")
    print(f"{'workload':<{width}}  " + "  ".join(f"{t:>14}" for t in cols))
    for n in names:
        cells = []
        for t in cols:
            p = bins.get((n, t))
            cells.append(f"{report.get((n, t), '-'):>6} {p.stat().st_size // 1024:>5}K" if p
                         else f"{'-':>14}")
        print(f"{n:<{width}}  " + "  ".join(f"{c:>14}" for c in cells))
    built = sum(1 for v in report.values() if v == "built")
    print(f"{len(bins)} binaries ({built} built, {len(bins) - built} cached)")
    for t in cols:
        root = sysroot(t)
        if root:
            print(f"sysroot for dynamic {t} programs: -L {root}")
    return status


if __name__ == "__main__":
    sys.exit(main())
