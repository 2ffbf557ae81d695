#!/usr/bin/env python3
"""Cross-build the guest test programs in tests/programs/src for every variant.

Variants (binary names are ``PROGRAM.VARIANT``, e.g. ``hello.thumb-musl``):

    arm-glibc      arm-linux-gnueabihf-gcc -static -O2 -marm
    thumb-glibc    arm-linux-gnueabihf-gcc -static -O2 -mthumb
    aarch64-glibc  aarch64-linux-gnu-gcc   -static -O2
    arm-musl       zig cc -target arm-linux-musleabihf   (python -m ziglang)
    thumb-musl     zig cc -target thumb-linux-musleabihf (libc is Thumb-2 too)
    aarch64-musl   zig cc -target aarch64-linux-musl

(Note: Debian's glibc libc.a for armhf is itself Thumb-2 code, so the
arm-glibc binaries mix ARM user code with Thumb libc -> interworking.)

As a module::

    from build import build_all, available_variants
    binaries = build_all(Path("/tmp/out"))      # {"hello.arm-glibc": Path, ...}

As a script::

    python tests/programs/build.py OUTDIR            # build, print a summary
    python tests/programs/build.py --record [OUTDIR] # also re-record expected.json with qemu-user

Builds are cached: each binary has a ``.stamp`` file holding a hash of its
sources, the exact command line and the compiler version, and is rebuilt
only when that hash changes.  The test cases (program + args + stdin) that
tests/test_programs.py runs are defined here too (CASES), so that
``--record`` and the tests agree.

Cost: the first zig build on a machine compiles musl and libc++ for each of
the three targets into zig's own cache (~/.cache/zig, ~120 MB): about 5
minutes on 2 cores.  After that, building all 84 binaries from scratch takes
~10 s, and an up-to-date check ~0.3 s.
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures
import dataclasses
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
EXPECTED = HERE / "expected.json"

COMMON_FLAGS = ["-static", "-O2", "-s", "-Wall", "-Wno-unused-result"]


@dataclasses.dataclass(frozen=True)
class Variant:
    name: str
    arch: str                 # "arm" or "aarch64": which qemu/pytrans frontend runs it
    libc: str                 # "glibc" or "musl"
    cc: tuple[str, ...]       # C compiler command prefix
    cxx: tuple[str, ...]      # C++ compiler command prefix
    flags: tuple[str, ...]    # variant specific flags
    install_hint: str

    @property
    def uses_zig(self) -> bool:
        return self.libc == "musl"


def _zig(tool: str, target: str) -> tuple[str, ...]:
    return (sys.executable, "-m", "ziglang", tool, "-target", target)


_ZIG_HINT = "pip install ziglang"
VARIANTS: dict[str, Variant] = {v.name: v for v in [
    Variant("arm-glibc", "arm", "glibc", ("arm-linux-gnueabihf-gcc",), ("arm-linux-gnueabihf-g++",),
            ("-marm", "-D_FILE_OFFSET_BITS=64"),
            "apt-get install gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf"),
    Variant("thumb-glibc", "arm", "glibc", ("arm-linux-gnueabihf-gcc",), ("arm-linux-gnueabihf-g++",),
            ("-mthumb", "-D_FILE_OFFSET_BITS=64"),
            "apt-get install gcc-arm-linux-gnueabihf g++-arm-linux-gnueabihf"),
    Variant("aarch64-glibc", "aarch64", "glibc", ("aarch64-linux-gnu-gcc",), ("aarch64-linux-gnu-g++",),
            (), "apt-get install gcc-aarch64-linux-gnu g++-aarch64-linux-gnu"),
    Variant("arm-musl", "arm", "musl", _zig("cc", "arm-linux-musleabihf"),
            _zig("c++", "arm-linux-musleabihf"), (), _ZIG_HINT),
    Variant("thumb-musl", "arm", "musl", _zig("cc", "thumb-linux-musleabihf"),
            _zig("c++", "thumb-linux-musleabihf"), (), _ZIG_HINT),
    Variant("aarch64-musl", "aarch64", "musl", _zig("cc", "aarch64-linux-musl"),
            _zig("c++", "aarch64-linux-musl"), (), _ZIG_HINT),
]}


# --------------------------------------------------------------------------
# Test cases (shared with tests/test_programs.py)
# --------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Case:
    """One run of one program.  In ``args``, ``{tmp}`` is replaced by a fresh
    scratch directory and ``{uid}`` by the caller's uid."""
    id: str
    program: str
    args: tuple[str, ...] = ()
    stdin: bytes | None = None
    env: tuple[tuple[str, str], ...] = ()
    fault: bool = False       # may die by a signal: stderr is not compared

    def argv(self, tmp: Path | str) -> list[str]:
        return [a.replace("{tmp}", str(tmp)).replace("{uid}", str(os.getuid())) for a in self.args]

    @property
    def env_dict(self) -> dict[str, str]:
        return dict(self.env)


CASES: list[Case] = [
    Case("hello", "hello"),
    Case("echo-empty", "echo", stdin=b""),
    Case("echo-text", "echo", stdin=b"Hello, World!\nThe quick brown fox jumps.\nno newline at end"),
    Case("echo-binary", "echo", stdin=bytes(range(256)) * 3 + b"\x00\xff\n"),
    Case("args-none", "args"),
    Case("args-many", "args", args=("one", "two words", "", "\u00fcn\u00efc\u00f6de", "--flag=x", "-"),
         env=(("PYTRANS_TEST_VAR", "hello from the environment"),)),
    Case("fileio", "fileio", args=("{tmp}",)),
    Case("fileio-mkdtemp", "fileio"),
    Case("dirs", "dirs", args=("{tmp}",)),
    Case("heap", "heap"),
    Case("fp", "fp"),
    Case("compute", "compute"),
    Case("cxx", "cxx"),
    Case("exitcode-return", "exitcode"),
    Case("exitcode-0", "exitcode", args=("0",)),
    Case("exitcode-1", "exitcode", args=("1",)),
    Case("exitcode-42", "exitcode", args=("42",)),
    Case("exitcode-255", "exitcode", args=("255",)),
    Case("exitcode-256", "exitcode", args=("256",)),
    Case("exitcode-_exit", "exitcode", args=("_exit",)),
    Case("timing", "timing"),
    Case("uname", "uname"),
    Case("misc", "misc", args=("{uid}",)),
    Case("fault-segv", "fault", args=("segv",), fault=True),
    Case("fault-segv-read", "fault", args=("segv-read",), fault=True),
    Case("fault-ill", "fault", args=("ill",), fault=True),
    Case("fault-abort", "fault", args=("abort",), fault=True),
    Case("fault-term", "fault", args=("term",), fault=True),
    Case("fault-divzero-exit", "fault", args=("divzero-exit",), fault=True),
]
CASES_BY_ID = {c.id: c for c in CASES}


# --------------------------------------------------------------------------
# Toolchain discovery
# --------------------------------------------------------------------------

_probe_cache: dict[tuple[str, ...], tuple[str | None, str]] = {}


def _probe(cmd: tuple[str, ...]) -> tuple[str | None, str]:
    """(version string or None, reason when unusable) for a compiler prefix."""
    if cmd in _probe_cache:
        return _probe_cache[cmd]
    if cmd[0] == sys.executable and cmd[1:3] == ("-m", "ziglang"):
        if importlib.util.find_spec("ziglang") is None:
            res = (None, f"python package ziglang not installed ({_ZIG_HINT})")
        else:
            try:
                out = subprocess.run([sys.executable, "-m", "ziglang", "version"],
                                     capture_output=True, text=True, timeout=120)
                res = ((f"zig {out.stdout.strip()}", "") if out.returncode == 0 else
                       (None, f"'python -m ziglang version' failed: {out.stderr.strip()[:200]}"))
            except (OSError, subprocess.TimeoutExpired) as e:
                res = (None, f"'python -m ziglang version' failed: {e}")
    else:
        exe = shutil.which(cmd[0])
        if exe is None:
            res = (None, f"{cmd[0]} not installed")
        else:
            try:
                out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=60)
                res = (out.stdout.splitlines()[0] if out.stdout else exe, "")
            except (OSError, subprocess.TimeoutExpired) as e:
                res = (None, f"{cmd[0]} --version failed: {e}")
    _probe_cache[cmd] = res
    return res


def skip_reason(variant: str, cplusplus: bool = False) -> str | None:
    """Why VARIANT (its C++ compiler if CPLUSPLUS) cannot build, or None if it can."""
    v = VARIANTS[variant]
    version, reason = _probe(v.cxx if cplusplus else v.cc)
    if version is None:
        return f"{reason} ({v.install_hint})" if v.install_hint not in reason else reason
    return None


def available_variants() -> list[str]:
    """Names of the variants whose C compiler is usable on this machine."""
    return [name for name in VARIANTS if skip_reason(name) is None]


def unavailable_variants() -> dict[str, str]:
    """{variant: reason} for the variants that cannot be built here."""
    return {name: r for name in VARIANTS if (r := skip_reason(name)) is not None}


def programs() -> dict[str, Path]:
    """{program name: source path} for every program in src/."""
    out = {}
    for p in sorted(SRC.iterdir()):
        if p.suffix in (".c", ".cpp"):
            out[p.stem] = p
    return out


def arch_of(variant: str) -> str:
    return VARIANTS[variant].arch


# --------------------------------------------------------------------------
# Building
# --------------------------------------------------------------------------

@dataclasses.dataclass
class BuildResult:
    binaries: dict[str, Path] = dataclasses.field(default_factory=dict)   # name -> path
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)     # name -> reason
    failed: dict[str, str] = dataclasses.field(default_factory=dict)      # name -> compiler output
    rebuilt: list[str] = dataclasses.field(default_factory=list)
    cached: list[str] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def reason(self, name: str) -> str | None:
        """Why binary NAME is not available (None if it is)."""
        if name in self.binaries:
            return None
        if name in self.skipped:
            return self.skipped[name]
        if name in self.failed:
            return "build failed: " + self.failed[name].strip()[-600:]
        return "no such program/variant"

    def summary(self) -> str:
        lines = [f"{len(self.binaries)} binaries ready ({len(self.rebuilt)} built, "
                 f"{len(self.cached)} up to date) in {self.seconds:.1f}s"]
        per_variant: dict[str, list[str]] = {}
        for name in self.binaries:
            prog, var = name.split(".", 1)
            per_variant.setdefault(var, []).append(prog)
        for var in VARIANTS:
            n = len(per_variant.get(var, []))
            lines.append(f"  {var:14s} {n:2d} programs")
        reasons: dict[tuple[str, str], list[str]] = {}
        for name, why in self.skipped.items():
            prog, var = name.split(".", 1)
            reasons.setdefault((var, why), []).append(prog)
        for (var, why), progs in sorted(reasons.items()):
            lines.append(f"  skipped {var} ({', '.join(sorted(progs))}): {why}")
        for name, err in self.failed.items():
            lines.append(f"  FAILED {name}: {err.strip()[-400:]}")
        return "\n".join(lines)


def _command(variant: Variant, src: Path, out: Path) -> list[str]:
    cxx = src.suffix == ".cpp"
    cmd = list(variant.cxx if cxx else variant.cc) + COMMON_FLAGS + list(variant.flags)
    cmd += ["-I", str(SRC), str(src), "-o", str(out)]
    if not cxx:
        cmd.append("-lm")
    return cmd


def _stamp(variant: Variant, src: Path) -> str:
    """Hash of everything that determines the binary: compiler version, command
    line (independent of where the repository and the output live), sources."""
    h = hashlib.sha256()
    version, _ = _probe(variant.cxx if src.suffix == ".cpp" else variant.cc)
    norm = [("PYTHON" if a == sys.executable else a.replace(str(SRC), "SRC"))
            for a in _command(variant, src, Path("OUT"))]
    h.update(json.dumps([version, norm]).encode())
    h.update(src.read_bytes())
    for hdr in sorted(SRC.glob("*.h")):
        h.update(hdr.name.encode() + b"\0" + hdr.read_bytes())
    return h.hexdigest()


def _build_one(variant: Variant, src: Path, outdir: Path) -> tuple[str, str | None, bool]:
    """Build one binary. Returns (name, error or None, rebuilt?)."""
    name = f"{src.stem}.{variant.name}"
    out = outdir / name
    stamp_file = outdir / f"{name}.stamp"
    stamp = _stamp(variant, src)
    if out.exists() and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        return name, None, False
    tmp = outdir / f".{name}.tmp{os.getpid()}"
    cmd = _command(variant, src, tmp)
    env = dict(os.environ)
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800, env=env)
    except (OSError, subprocess.TimeoutExpired) as e:
        return name, f"{' '.join(cmd)}: {e}", True
    if proc.returncode != 0 or not tmp.exists():
        tmp.unlink(missing_ok=True)
        return name, f"$ {' '.join(cmd)}\n{proc.stdout}{proc.stderr}", True
    os.replace(tmp, out)
    stamp_tmp = outdir / f".{name}.stamp.tmp{os.getpid()}"
    stamp_tmp.write_text(stamp + "\n")
    os.replace(stamp_tmp, stamp_file)
    return name, None, True


def build_all_with_report(outdir: Path, variants: list[str] | None = None,
                          jobs: int | None = None, verbose: bool = False) -> BuildResult:
    """Build every program for every (requested) variant into OUTDIR."""
    t0 = time.monotonic()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    result = BuildResult()
    todo: list[tuple[Variant, Path]] = []
    for vname in (variants or list(VARIANTS)):
        v = VARIANTS[vname]
        for prog, src in programs().items():
            name = f"{prog}.{vname}"
            why = skip_reason(vname, src.suffix == ".cpp")
            if why is not None:
                result.skipped[name] = why
            else:
                todo.append((v, src))
    # C++ first (slowest), zig before gcc (zig's first run builds its libc)
    todo.sort(key=lambda vs: (vs[1].suffix != ".cpp", not vs[0].uses_zig))
    jobs = jobs or max(2, os.cpu_count() or 2)
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futs = [pool.submit(_build_one, v, src, outdir) for v, src in todo]
        for fut in concurrent.futures.as_completed(futs):
            name, err, rebuilt = fut.result()
            if err is not None:
                result.failed[name] = err
            else:
                result.binaries[name] = outdir / name
                (result.rebuilt if rebuilt else result.cached).append(name)
            if verbose:
                print(f"  {'FAIL' if err else ('built' if rebuilt else 'cached'):6s} {name}", flush=True)
    # A musl C++ build may legitimately fail (zig's libc++): report it as skipped.
    for name in list(result.failed):
        prog, vname = name.split(".", 1)
        if VARIANTS[vname].uses_zig and programs()[prog].suffix == ".cpp":
            result.skipped[name] = "zig c++ build failed: " + result.failed.pop(name).strip()[-300:]
    result.binaries = dict(sorted(result.binaries.items()))
    result.seconds = time.monotonic() - t0
    return result


def build_all(outdir: Path) -> dict[str, Path]:
    """Build everything that can be built into OUTDIR; return {name: path}."""
    return build_all_with_report(outdir).binaries


# --------------------------------------------------------------------------
# Running under qemu-user and recording expected.json
# --------------------------------------------------------------------------

QEMU = {"arm": "qemu-arm", "aarch64": "qemu-aarch64"}


def exit_status(returncode: int) -> int:
    """Shell-style status: a death by signal N becomes 128+N."""
    return 128 - returncode if returncode < 0 else returncode


def run_under_qemu(case: Case, variant: str, binary: Path, tmp: Path,
                   timeout: float = 120) -> tuple[bytes, int, bytes]:
    exe = shutil.which(QEMU[arch_of(variant)])
    if exe is None:
        raise FileNotFoundError(QEMU[arch_of(variant)])
    env = dict(os.environ)
    env.update(case.env_dict)
    proc = subprocess.run([exe, str(binary), *case.argv(tmp)], input=case.stdin or b"",
                          capture_output=True, timeout=timeout, env=env, cwd=str(tmp))
    return proc.stdout, exit_status(proc.returncode), proc.stderr


def encode_stdout(data: bytes) -> dict:
    try:
        return {"stdout": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"stdout_b64": base64.b64encode(data).decode()}


def decode_stdout(entry: dict) -> bytes:
    if "stdout_b64" in entry:
        return base64.b64decode(entry["stdout_b64"])
    return entry["stdout"].encode("utf-8")


def load_expected(path: Path = EXPECTED) -> dict[str, dict[str, tuple[bytes, int]]]:
    """{case id: {variant: (stdout, status)}} from expected.json ({} if missing)."""
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    out: dict[str, dict[str, tuple[bytes, int]]] = {}
    for cid, groups in data["cases"].items():
        for g in groups:
            for var in g["variants"]:
                out.setdefault(cid, {})[var] = (decode_stdout(g), g["status"])
    return out


def record(binaries: dict[str, Path], path: Path = EXPECTED, runs: int = 2) -> list[str]:
    """Run every case under qemu-user (RUNS times, checking determinism) and
    write PATH.  Variants not built here keep their old entries.  Returns a
    list of problems found (non-determinism)."""
    old = load_expected(path)
    problems: list[str] = []
    results: dict[str, dict[str, tuple[bytes, int]]] = {}
    for case in CASES:
        for var in VARIANTS:
            name = f"{case.program}.{var}"
            if name not in binaries:
                if var in old.get(case.id, {}):
                    results.setdefault(case.id, {})[var] = old[case.id][var]
                continue
            seen = []
            for _ in range(runs):
                with tempfile.TemporaryDirectory(prefix="pytrans-record-") as tmp:
                    out, status, _err = run_under_qemu(case, var, binaries[name], Path(tmp))
                seen.append((out, status))
            if any(s != seen[0] for s in seen):
                problems.append(f"{case.id} on {var} is not deterministic")
            results.setdefault(case.id, {})[var] = seen[0]
    doc = {
        "_comment": ("Expected stdout and exit status of each test case (tests/programs/build.py "
                     "CASES) per variant, recorded under qemu-user by "
                     "'python tests/programs/build.py --record'. Variants with identical "
                     "results are grouped. Status is shell style (128+N for signal N). "
                     "stdout_b64 is used when stdout is not UTF-8."),
        "cases": {},
    }
    for case in CASES:
        groups: list[dict] = []
        for var, (out, status) in results.get(case.id, {}).items():
            for g in groups:
                if g["_key"] == (out, status):
                    g["variants"].append(var)
                    break
            else:
                groups.append({"_key": (out, status), "variants": [var], "status": status,
                               **encode_stdout(out)})
        for g in groups:
            del g["_key"]
        doc["cases"][case.id] = groups
    path.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    return problems


def default_cache_dir() -> Path:
    """``$PYTRANS_TEST_CACHE/programs``; the base defaults to ``$XDG_CACHE_HOME/pytrans-tests``
    or ``~/.cache/pytrans-tests`` (the same base the busybox tests use)."""
    env = os.environ.get("PYTRANS_TEST_CACHE")
    if env:
        base = Path(env)
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg) if xdg else Path.home() / ".cache") / "pytrans-tests"
    return base / "programs"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("outdir", nargs="?", type=Path, default=None,
                    help="where to put binaries (default: $PYTRANS_TEST_CACHE/programs, "
                         "base ~/.cache/pytrans-tests)")
    ap.add_argument("--variant", action="append", choices=list(VARIANTS),
                    help="only build this variant (repeatable)")
    ap.add_argument("-j", "--jobs", type=int, default=None)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--record", action="store_true",
                    help=f"run all cases under qemu-user and rewrite {EXPECTED.name}")
    args = ap.parse_args(argv)
    outdir = args.outdir or default_cache_dir()
    res = build_all_with_report(outdir, args.variant, args.jobs, args.verbose)
    print(res.summary())
    if args.record:
        t0 = time.monotonic()
        problems = record(res.binaries)
        print(f"recorded {EXPECTED} in {time.monotonic() - t0:.1f}s")
        for p in problems:
            print("  PROBLEM:", p)
        if problems:
            return 1
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main())
