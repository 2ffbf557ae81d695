"""``pytrans bench``: guest workloads under each pytrans backend, qemu-user and natively.

Every performance claim of the project is made with this command: best-of-N wall time per
(workload, guest architecture, runner), ratios to qemu-user and to native, checksums checked
against the native run, peak memory of each run, and what each pytrans backend can report
about itself (guest instructions, translation time, translated blocks, exits to Python).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import __version__

ARCHES = ("arm", "thumb", "aarch64")
QEMU = {"arm": "qemu-arm", "thumb": "qemu-arm", "aarch64": "qemu-aarch64"}
BACKENDS = ("unicorn", "jit")      # accepted by --backends
DEFAULT_BACKENDS = ("jit", "unicorn")
DEFAULT_THRESHOLD = 0.15
NOISE_FLOOR = 0.010          # seconds: smaller slow-downs are never flagged as regressions


@dataclass
class Result:
    workload: str
    arch: str                      # guest arch ("native" rows use the arch they pair with)
    runner: str                    # "native", "qemu-user", "pytrans-<backend>"
    seconds: float | None = None   # best of N wall time
    all_seconds: list[float] = field(default_factory=list)
    checksum: str | None = None
    checksum_ok: bool | None = None
    peak_rss_kib: int | None = None
    stats: dict | None = None
    error: str | None = None


def _run_once(cmd: list[str], env: dict, timeout: float) -> tuple[float, int, bytes, bytes, int]:
    """Run a command once: (wall seconds, status, stdout, stderr, peak RSS in KiB).

    The child is reaped with os.wait4 so its own rusage (peak RSS) comes back with it;
    a timer kills it on timeout.
    """
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=fo, stderr=fe, stdin=subprocess.DEVNULL, env=env)
        expired = threading.Event()

        def kill() -> None:
            expired.set()
            p.kill()
        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            timer.cancel()
        dt = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        if expired.is_set():
            raise subprocess.TimeoutExpired(cmd, timeout)
        fo.seek(0)
        fe.seek(0)
        return dt, p.returncode, fo.read(), fe.read(), ru.ru_maxrss


def _checksum(out: bytes) -> str | None:
    for line in out.decode(errors="replace").splitlines():
        if line.startswith("checksum "):
            return line.split(None, 1)[1].strip()
    return None


def machine_info() -> dict:
    import datetime as _dt
    import platform
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    qemu = None
    if shutil.which("qemu-arm"):
        r = subprocess.run(["qemu-arm", "--version"], capture_output=True, text=True)
        qemu = r.stdout.splitlines()[0] if r.stdout else None
    try:
        import unicorn
        uc_version = unicorn.__version__
    except Exception:  # noqa: BLE001 - informational only
        uc_version = None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "kernel": platform.release(), "qemu": qemu, "unicorn": uc_version,
            "pytrans": __version__, "date": _dt.datetime.now(_dt.timezone.utc).isoformat(
                timespec="seconds")}


def byte_compile(root: Path) -> None:
    """Compile pytrans's modules to bytecode, as ``pip install`` does, so every timed run
    starts like an installed copy: without it a source tree whose ``.pyc`` files are stale
    (edited since, under PYTHONDONTWRITEBYTECODE) recompiles them in every run, tens of ms."""
    import compileall
    for pkg in ("translator", "frontends"):
        compileall.compile_dir(str(root / pkg), quiet=2)


class Bench:
    def __init__(self, a: argparse.Namespace):
        from benchmarks import build as bbuild
        from benchmarks import workloads as wl
        self.a = a
        self.wl = wl
        self.bbuild = bbuild
        self.mode = "quick" if a.quick else "full"
        self.arches = [x for x in a.arch.split(",") if x]
        self.backends = [x for x in a.backends.split(",") if x]
        for x in self.arches:
            if x not in ARCHES:
                raise SystemExit(f"pytrans: unknown --arch {x!r} (choose from {', '.join(ARCHES)})")
        for b in self.backends:
            if b not in BACKENDS:
                raise SystemExit(f"pytrans: unknown backend {b!r} (available: {', '.join(BACKENDS)})")
        names = list(wl.WORKLOADS)
        if a.workloads:
            wanted = a.workloads.split(",")
            bad = [w for w in wanted if w not in names]
            if bad:
                raise SystemExit(f"pytrans: unknown workload(s) {', '.join(bad)} "
                                 f"(available: {', '.join(names)})")
            names = wanted
        self.names = names
        self.notes: list[str] = []
        self.results: list[Result] = []
        self.env = dict(os.environ)
        root = str(Path(__file__).resolve().parent.parent)
        self.env["PYTHONPATH"] = root + os.pathsep + self.env.get("PYTHONPATH", "")

    # ---- plan -----------------------------------------------------------------------------
    def runners(self, arch: str) -> list[tuple[str, list[str]]]:
        out = []
        for b in self.backends:
            if b == "jit" and arch == "aarch64":
                continue
            out.append((f"pytrans-{b}", [sys.executable, "-m", "translator", "run",
                                         "--backend", b]))
        q = shutil.which(QEMU[arch])
        if q:
            out.append(("qemu-user", [q]))
        return out

    def _args(self, name: str) -> list[str]:
        return self.wl.WORKLOADS[name].args(self.mode)

    # ---- run --------------------------------------------------------------------------------
    def measure(self, name: str, arch: str, runner: str, cmd: list[str], binary: Path,
                dynamic: bool) -> Result:
        res = Result(name, arch, runner)
        full = list(cmd)
        if dynamic and runner != "native":
            root = self.bbuild.sysroot(arch)
            if root is None:
                res.error = f"no sysroot for dynamic {arch} programs"
                return res
            full += ["-L", str(root)]
        stats_file = None
        if runner.startswith("pytrans-"):
            fd, stats_file = tempfile.mkstemp(prefix="pytrans-stats-", suffix=".json")
            os.close(fd)
            full += ["--stats-json", stats_file]
        full += [str(binary), *self._args(name)]
        expected = self.wl.WORKLOADS[name].checksum[self.mode]
        try:
            for _ in range(self.a.reps):
                dt, status, out, err, rss = _run_once(full, self.env, self.a.timeout)
                res.peak_rss_kib = max(res.peak_rss_kib or 0, rss)
                if status != 0:
                    res.error = (f"exit status {status}: "
                                 f"{err.decode(errors='replace').strip().splitlines()[-1:] or ''}")
                    break
                res.all_seconds.append(dt)
                res.checksum = _checksum(out)
                res.checksum_ok = res.checksum is not None and res.checksum == expected
                if not res.checksum_ok:
                    break
        except subprocess.TimeoutExpired:
            res.error = f"timed out after {self.a.timeout:.0f} s"
        if res.all_seconds:
            res.seconds = min(res.all_seconds)
        if stats_file:
            try:
                res.stats = json.loads(Path(stats_file).read_text() or "null")
            except (OSError, json.JSONDecodeError):
                res.stats = None
            os.unlink(stats_file)
        return res

    def run(self) -> int:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        console = Console(stderr=True)
        outdir = Path(self.a.build_dir) if self.a.build_dir else None
        missing = self.bbuild.missing_compilers([*self.arches, "native"])
        for target, hint in missing.items():
            self.notes.append(f"no compiler for {target}: {hint}")
        targets = [t for t in [*self.arches, "native"] if t not in missing]
        with console.status("building workloads..."):
            try:
                binaries = self.bbuild.build_workloads(outdir, targets=targets,
                                                       workloads=self.names)
            except self.bbuild.BuildError as e:
                binaries = e.built
                self.notes.append(str(e).splitlines()[0])
        for arch in self.arches:
            if not shutil.which(QEMU[arch]):
                self.notes.append(f"{QEMU[arch]} not installed: no qemu-user column for {arch} "
                                  "(apt-get install qemu-user)")
        plan = []
        native_done = set()
        for name in self.names:
            dynamic = self.wl.WORKLOADS[name].dynamic
            for arch in self.arches:
                if (name, arch) not in binaries:
                    continue
                if name not in native_done and (name, "native") in binaries:
                    plan.append((name, "native", "native", [], binaries[name, "native"], dynamic))
                    native_done.add(name)
                for runner, cmd in self.runners(arch):
                    plan.append((name, arch, runner, cmd, binaries[name, arch], dynamic))
        with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                      TimeElapsedColumn(), console=console, transient=True) as prog:
            task = prog.add_task("benchmarking", total=len(plan))
            for name, arch, runner, cmd, binary, dynamic in plan:
                prog.update(task, description=f"{name} {arch} {runner}")
                self.results.append(self.measure(name, arch, runner, cmd, binary, dynamic))
                prog.advance(task)
        return self.report(console)

    # ---- report -------------------------------------------------------------------------------
    def _get(self, name: str, arch: str, runner: str) -> Result | None:
        for r in self.results:
            if r.workload == name and r.runner == runner and (r.arch == arch or runner == "native"):
                return r
        return None

    def runner_names(self) -> list[str]:
        seen = []
        for r in self.results:
            if r.runner not in seen and r.runner != "native":
                seen.append(r.runner)
        return seen

    def summary(self) -> dict:
        """Geometric means of the ratios per (arch, runner)."""
        out = {}
        for arch in self.arches:
            for runner in self.runner_names():
                to_native, to_qemu = [], []
                for name in self.names:
                    r, n, q = (self._get(name, arch, runner), self._get(name, arch, "native"),
                               self._get(name, arch, "qemu-user"))
                    if r and r.seconds and r.checksum_ok:
                        if n and n.seconds:
                            to_native.append(r.seconds / n.seconds)
                        if q and q.seconds and runner != "qemu-user":
                            to_qemu.append(r.seconds / q.seconds)
                out[f"{arch}/{runner}"] = {
                    "geomean_vs_native": _geomean(to_native),
                    "geomean_vs_qemu": _geomean(to_qemu),
                    "workloads": len(to_native)}
        return out

    def regressions(self, baseline: dict, threshold: float) -> list[str]:
        old = {(r["workload"], r["arch"], r["runner"]): r for r in baseline.get("results", [])}
        flagged = []
        for r in self.results:
            b = old.get((r.workload, r.arch, r.runner))
            if not b or not b.get("seconds") or not r.seconds:
                continue
            change = r.seconds / b["seconds"] - 1
            # A run of a few ms (a native hello world) easily takes several times as long
            # on a busy machine: a slow-down under NOISE_FLOOR seconds is jitter, not news.
            if change > threshold and r.seconds - b["seconds"] >= NOISE_FLOOR:
                flagged.append(f"{r.workload} {r.arch} {r.runner}: {b['seconds']:.3f}s -> "
                               f"{r.seconds:.3f}s (+{change:.0%})")
        return flagged

    def report(self, console) -> int:
        from rich.console import Console
        from rich.table import Table
        # Never squeeze the table into 80 columns when writing to a file or pipe.
        out = Console(width=None if sys.stdout.isatty() else 220)
        runners = self.runner_names()
        pyt_stats = [r.stats or {} for r in self.results if r.runner.startswith("pytrans")]
        extra = [(key, label) for key, label in (("guest_instructions", "insn/s"),
                                                 ("translate_seconds", "translate"),
                                                 ("blocks_translated", "blocks"))
                 if any(st.get(key) is not None for st in pyt_stats)]
        table = Table(title=f"pytrans bench ({self.mode}, best of {self.a.reps})")
        table.add_column("workload")
        table.add_column("arch")
        table.add_column("native ms", justify="right")
        for rn in runners:
            table.add_column(f"{rn} ms", justify="right")
        for rn in runners:
            if rn != "qemu-user":
                table.add_column(f"{rn} / qemu", justify="right")
            table.add_column(f"{rn} / native", justify="right")
        table.add_column("pytrans peak MiB", justify="right")
        for _, label in extra:
            table.add_column(label, justify="right")
        bad = 0
        for name in self.names:
            for arch in self.arches:
                n = self._get(name, arch, "native")
                row = [name, arch, _fmt_s(n)]
                rs = {rn: self._get(name, arch, rn) for rn in runners}
                if all(v is None for v in rs.values()):
                    continue
                for rn in runners:
                    row.append(_fmt_s(rs[rn]))
                    if rs[rn] is not None and (rs[rn].error or rs[rn].checksum_ok is False):
                        bad += 1
                q = rs.get("qemu-user")
                for rn in runners:
                    r = rs[rn]
                    if rn != "qemu-user":
                        row.append(_ratio(r, q))
                    row.append(_ratio(r, n))
                pyt = next((rs[rn] for rn in runners if rn.startswith("pytrans") and rs[rn]), None)
                row.append(f"{pyt.peak_rss_kib / 1024:.0f}" if pyt and pyt.peak_rss_kib else "-")
                st = (pyt.stats or {}) if pyt else {}
                for key, _ in extra:
                    v = st.get(key)
                    if v is None:
                        row.append("n/a")
                    elif key == "guest_instructions":
                        secs = st.get("run_seconds") or 0
                        row.append(f"{v / secs / 1e6:.0f}M" if secs else "n/a")
                    elif key == "translate_seconds":
                        row.append(f"{v * 1e3:.1f} ms")
                    else:
                        row.append(str(v))
                table.add_row(*row)
        out.print(table)
        summ = self.summary()
        for key, v in summ.items():
            vn, vq = v["geomean_vs_native"], v["geomean_vs_qemu"]
            out.print(f"geomean {key}: {vn:.2f}x native" if vn else f"geomean {key}: -",
                      f", {vq:.2f}x qemu-user" if vq else "", sep="")
        for r in self.results:
            if r.error or r.checksum_ok is False:
                out.print(f"[red]FAILED[/red] {r.workload} {r.arch} {r.runner}: "
                          f"{r.error or 'checksum ' + str(r.checksum) + ' != expected'}")
        for note in self.notes:
            out.print(f"note: {note}")
        data = {"machine": machine_info(), "mode": self.mode, "reps": self.a.reps,
                "summary": summ, "notes": self.notes, "results": [asdict(r) for r in self.results]}
        status = 1 if bad else 0
        if self.a.baseline:
            try:
                baseline = json.loads(Path(self.a.baseline).read_text())
            except (OSError, json.JSONDecodeError) as e:
                raise SystemExit(f"pytrans: cannot read baseline {self.a.baseline}: {e}")
            flagged = self.regressions(baseline, self.a.threshold)
            data["regressions"] = flagged
            for f in flagged:
                out.print(f"[yellow]REGRESSION[/yellow] {f}")
            if not flagged:
                out.print(f"no regressions beyond {self.a.threshold:.0%} against {self.a.baseline}")
        if self.a.json:
            Path(self.a.json).parent.mkdir(parents=True, exist_ok=True)
            Path(self.a.json).write_text(json.dumps(data, indent=1))
            out.print(f"wrote {self.a.json}")
        if self.a.chart:
            for path in draw_chart(data, self.a.chart):
                out.print(f"wrote {path}")
        return status


def _geomean(xs: list[float]) -> float | None:
    xs = [x for x in xs if x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def _fmt_s(r: Result | None) -> str:
    if r is None:
        return "-"
    if r.error:
        return "error"
    if r.checksum_ok is False:
        return "BAD SUM"
    return f"{r.seconds * 1e3:.1f}" if r.seconds is not None else "-"


def _ratio(a: Result | None, b: Result | None) -> str:
    if not a or not b or not a.seconds or not b.seconds or not a.checksum_ok or not b.checksum_ok:
        return "-"
    return f"{a.seconds / b.seconds:.2f}x"


def draw_chart(data: dict, path: str) -> list[Path]:
    """Bar chart of each runner's time relative to native, per workload and arch (log scale)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise SystemExit("pytrans: --chart needs matplotlib (pip install 'pytrans[bench]')")
    results = data["results"]
    arches = [a for a in ARCHES if any(r["arch"] == a and r["runner"] != "native" for r in results)]
    runners = []
    for r in results:
        if r["runner"] != "native" and r["runner"] not in runners:
            runners.append(r["runner"])
    native = {r["workload"]: r["seconds"] for r in results if r["runner"] == "native" and r["seconds"]}
    workloads = list(dict.fromkeys(r["workload"] for r in results))
    fig, axes = plt.subplots(len(arches), 1, figsize=(max(8, len(workloads) * 0.9), 3.2 * len(arches)),
                             squeeze=False)
    width = 0.8 / max(1, len(runners))
    for ax, arch in zip(axes[:, 0], arches):
        for i, rn in enumerate(runners):
            vals = []
            for w in workloads:
                r = next((x for x in results if x["workload"] == w and x["arch"] == arch
                          and x["runner"] == rn), None)
                ok = r and r["seconds"] and r["checksum_ok"] and native.get(w)
                vals.append(r["seconds"] / native[w] if ok else 0)
            ax.bar([j + i * width for j in range(len(workloads))], vals, width, label=rn)
        ax.set_yscale("log")
        ax.set_ylabel("time / native")
        ax.set_title(f"{arch} guest")
        ax.set_xticks([j + width * (len(runners) - 1) / 2 for j in range(len(workloads))])
        ax.set_xticklabels(workloads, rotation=30, ha="right")
        ax.axhline(1, color="grey", linewidth=0.8)
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    m = data.get("machine", {})
    fig.suptitle(f"pytrans bench ({data.get('mode')}) on {m.get('cpu', '?')}", fontsize="medium")
    fig.tight_layout()
    base = Path(path)
    base.parent.mkdir(parents=True, exist_ok=True)
    stem = base.with_suffix("") if base.suffix.lower() in (".png", ".svg") else base
    written = []
    for ext in (".png", ".svg"):
        out = stem.with_suffix(ext)
        fig.savefig(out, dpi=110)
        written.append(out)
    plt.close(fig)
    return written


def add_parser(sub, help_line: str) -> None:
    """``pytrans bench [options]``."""
    b = sub.add_parser("bench", help=help_line, description=__doc__.splitlines()[0])
    b.add_argument("--quick", action="store_true", help="small sizes (under two minutes)")
    b.add_argument("--backends", default=",".join(DEFAULT_BACKENDS),
                   help=f"pytrans backends to run ({', '.join(BACKENDS)}; the jit runs ARM32 only)")
    b.add_argument("--arch", default=",".join(ARCHES), help="guest architectures: arm,thumb,aarch64")
    b.add_argument("--workloads", default="", help="comma-separated subset of workloads")
    b.add_argument("--reps", type=int, default=3, help="repetitions; the best is kept")
    b.add_argument("--json", metavar="FILE", help="write all results as JSON")
    b.add_argument("--chart", metavar="FILE", help="bar chart of the ratios (FILE.png and FILE.svg)")
    b.add_argument("--baseline", metavar="FILE", help="earlier --json output to compare with")
    b.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                   help="slow-down that counts as a regression (default 0.15 = 15%%)")
    b.add_argument("--timeout", type=float, default=600, help="per-run timeout in seconds")
    b.add_argument("--build-dir", metavar="DIR", help="where workload binaries are built/cached")


def cmd_bench(a: argparse.Namespace) -> int:
    if a.reps < 1:
        raise SystemExit("pytrans: --reps must be at least 1")
    return Bench(a).run()
