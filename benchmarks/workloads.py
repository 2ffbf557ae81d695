"""The benchmark workloads as data: what each one measures, its scale argument in ``quick`` and
``full`` mode, and the checksum it must print.

Every workload is a C program in benchmarks/workloads/<source>.c (built by benchmarks.build)
taking one optional argument, the scale, and printing exactly one line on stdout,
``checksum <value>``, then exiting 0. The expected value is the same on every target (arm,
thumb, aarch64 and native x86-64; floating point is built with -ffp-contract=off), so a
different value means a wrong emulation.

Scales were chosen on a 2-core x86-64 Debian 12 machine so that natively ``quick`` takes
about 7-10 ms (all of quick: ~0.1 s native, ~0.9 s under qemu-user, ~5 s under pytrans with
Unicorn, per target) and ``full`` about 140-250 ms per workload (all of full: ~1.9 s native,
~15 s under qemu-user). ``hello`` / ``hello_dynamic`` take no scale.

The checksums of the floating-point workloads hash the exact bit patterns of the results:
IEEE-754 + - * / and sqrt without fused multiply-add are bit-identical on every target.

    from benchmarks.workloads import WORKLOADS
    w = WORKLOADS["sha256"]
    cmd = [binary, *w.args("quick")]
    assert w.check(stdout, "quick")
"""
from __future__ import annotations

from dataclasses import dataclass

MODES = ("quick", "full")
CATEGORIES = ("int", "fp", "memory", "branch", "string", "syscall", "startup")


@dataclass(frozen=True)
class Workload:
    name: str
    description: str
    category: str
    quick: int | None             # scale argument in quick mode (None: no argument)
    full: int | None              # scale argument in full mode (None: no argument)
    checksum: dict[str, str]      # mode -> the <value> in the "checksum <value>" line
    source: str = ""              # C source stem in benchmarks/workloads (default: name)
    dynamic: bool = False         # dynamically linked: run emulators with -L <sysroot>

    @property
    def src(self) -> str:
        return self.source or self.name

    def scale(self, mode: str) -> int | None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; known: {MODES}")
        return getattr(self, mode)

    def args(self, mode: str) -> list[str]:
        """Guest arguments (after the program) for this mode."""
        s = self.scale(mode)
        return [] if s is None else [str(s)]

    def expected_stdout(self, mode: str) -> str:
        return f"checksum {self.checksum[mode]}\n"

    def check(self, stdout: str | bytes, mode: str) -> bool:
        """Whether a run's stdout is exactly the expected checksum line."""
        if isinstance(stdout, bytes):
            stdout = stdout.decode(errors="replace")
        return stdout == self.expected_stdout(mode)


_ALL = [
    Workload(
        "hello", "static hello world: process start-up, ELF loading, libc init, one write",
        "startup", None, None, {"quick": "0", "full": "0"}),
    Workload(
        "hello_dynamic", "dynamically linked hello world: adds ld.so, mmap of libc, "
        "relocation and symbol binding (run with -L <sysroot>)",
        "startup", None, None, {"quick": "0", "full": "0"}, source="hello", dynamic=True),
    Workload(
        "sha256", "SHA-256 of a 1 KiB buffer, N chained rounds: 32-bit rotates/adds/logic",
        "int", 2000, 40000,
        {"quick": "50720677ac8c59d9", "full": "647c07869b72cd33"}),
    Workload(
        "crc32", "table-driven CRC-32 over a 16 KiB buffer, N passes: byte loads + table lookups",
        "int", 200, 4000,
        {"quick": "cbf439260cf88e2f", "full": "cbf43926f2421a7d"}),
    Workload(
        "nbody_double", "5-body planetary simulation, N steps, double: FP add/mul/div/sqrt",
        "fp", 60000, 1200000,
        {"quick": "83858e12fe2af76d", "full": "78fe1126c686cb31"}),
    Workload(
        "nbody_float", "5-body planetary simulation, N steps, float: FP add/mul/div/sqrt",
        "fp", 60000, 1200000,
        {"quick": "9d92ee816c7b5ad1", "full": "8d9fdd5a769cf3fc"}),
    Workload(
        "matmul_double", "naive i-j-k multiply of N x N double matrices (twice): FP + strided loads",
        "fp", 160, 450,
        {"quick": "0f19c7bb4175b264", "full": "b166807ec66f092c"}),
    Workload(
        "matmul_float", "naive i-j-k multiply of N x N float matrices (twice): FP + strided loads",
        "fp", 160, 450,
        {"quick": "63b2ba7aac691c17", "full": "45f7721fca46f4fe"}),
    Workload(
        "sort", "N random ints sorted by libc qsort (indirect calls) and a hand-written merge sort",
        "memory", 50000, 800000,
        {"quick": "4588b79ea6906c6c", "full": "d6121189ba2fc1ab"}),
    Workload(
        "hashtable", "open-addressing hash table, N inserts/lookups/deletes: random memory access",
        "memory", 100000, 1000000,
        {"quick": "d31b122e28008606", "full": "daad6aa6f5eb8077"}),
    Workload(
        "vm", "computed-goto bytecode interpreter counting primes below N (plus fib calls): "
              "indirect branches",
        "branch", 35000, 400000,
        {"quick": "3732-6a007678-1e528c15-5065064",
         "full": "33860-c61160b6-133d4883-136724956"}),
    Workload(
        "strings", "N rounds of building, scanning, tokenizing (strtok_r), comparing and reversing "
                   "a 2 KiB text: libc string routines",
        "string", 200, 4000,
        {"quick": "5ec9bf55d14ac841", "full": "011a51129d547085"}),
    Workload(
        "syscalls", "N read/write syscalls of 64 bytes (pipe, /dev/null, /dev/zero)",
        "syscall", 20000, 400000,
        {"quick": "ca5099ca7e207100-0", "full": "ae8496d1f8a5d400-0"}),
]

WORKLOADS: dict[str, Workload] = {w.name: w for w in _ALL}

assert all(w.category in CATEGORIES for w in _ALL)
assert all(set(w.checksum) == set(MODES) for w in _ALL)


def names(category: str | None = None, *, dynamic: bool = True) -> list[str]:
    """Workload names in display order, optionally one category only / without the dynamic
    variants."""
    return [w.name for w in _ALL
            if (category is None or w.category == category) and (dynamic or not w.dynamic)]


def get(name: str) -> Workload:
    try:
        return WORKLOADS[name]
    except KeyError:
        raise KeyError(f"unknown workload {name!r}; known: {list(WORKLOADS)}") from None
