"""The scriptable API: build an :class:`Emulator` for a guest program and ``run()`` it.

>>> from translator import Emulator
>>> emu = Emulator("examples/hello-arm", ["hello-arm", "world"])
>>> status = emu.run()          # the guest's exit status (128+N if killed by signal N)
"""
from __future__ import annotations

import importlib
import io
import os
import sys
import time
from dataclasses import dataclass
from types import ModuleType
from typing import BinaryIO, TextIO

from .elf import EM_AARCH64, EM_ARM, ElfImage, parse_elf
from .errors import PytransError
from .linux import signals as sigs
from .linux.fdtable import FdTable
from .linux.kernel import GuestExit, Kernel
from .loader import (AT_BASE, AT_CLKTCK, AT_EGID, AT_ENTRY, AT_EUID, AT_EXECFN, AT_FLAGS,
                     AT_GID, AT_HWCAP, AT_HWCAP2, AT_PAGESZ, AT_PHDR, AT_PHENT, AT_PHNUM,
                     AT_PLATFORM, AT_RANDOM, AT_SECURE, AT_UID, build_stack,
                     find_interpreter, load_image, load_interpreter)
from .memory import PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory, page_align_up

BACKENDS = ("unicorn", "jit")
# What "auto" picks per guest word size: our JIT for ARM32 (start-up code runs on its Unicorn
# tier 0, see backends/tier0.py), Unicorn for AArch64 (the JIT translates ARM32 only).
DEFAULT_BACKEND = {32: "jit", 64: "unicorn"}


def resolve_backend(name: str, bits: int) -> str:
    """The backend to use for ``name`` ("auto", "unicorn" or "jit") on a ``bits``-bit guest.

    "auto" follows ``$PYTRANS_BACKEND`` when set (a preference: "jit" still means Unicorn for
    AArch64 guests, which the JIT does not translate), else the per-architecture default.
    """
    if name == "auto":
        pref = os.environ.get("PYTRANS_BACKEND", "")
        if pref and pref not in BACKENDS:
            raise PytransError(f"PYTRANS_BACKEND={pref!r} is not a backend "
                               f"(available: {', '.join(BACKENDS)})")
        if pref == "jit" and bits != 32:
            pref = "unicorn"
        return pref or DEFAULT_BACKEND[bits]
    if name not in BACKENDS:
        raise PytransError(f"unknown backend {name!r} (available: auto, {', '.join(BACKENDS)})")
    return name


ARCHES = {EM_ARM: "frontends.arm.abi", EM_AARCH64: "frontends.aarch64.abi"}


def abi_for(img: ElfImage) -> ModuleType:
    return importlib.import_module(ARCHES[img.machine])


@dataclass
class Termination:
    """How the guest ended."""

    status: int                 # shell-style: exit code, or 128+signal
    signal: int = 0
    pc: int | None = None
    addr: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if not self.signal:
            return f"guest exited with status {self.status}"
        where = f" at pc={self.pc:#x}" if self.pc is not None else ""
        addr = f" (fault address {self.addr:#x})" if self.addr is not None and \
            self.signal in (sigs.SIGSEGV, sigs.SIGBUS) else ""
        return f"guest killed by signal {self.signal} ({sigs.name(self.signal)}){where}{addr}"


class Emulator:
    """One guest process: load ``program`` and run it with ``run()``.

    ``stdin`` may be bytes, a path or a binary file with ``fileno()``; ``stdout``/``stderr``
    may be binary files with ``fileno()`` or in-memory ``io.BytesIO`` objects (filled when
    ``run()`` returns). ``env=None`` inherits the host environment.
    """

    def __init__(self, program: str | os.PathLike, argv: list[str] | None = None,
                 env: dict[str, str] | None = None, *, sysroot: str | None = None,
                 backend: str = "auto", stdin: bytes | str | BinaryIO | None = None,
                 stdout: BinaryIO | None = None, stderr: BinaryIO | None = None,
                 strace: TextIO | None = None, log: TextIO | None = None,
                 on_kernel=None, inherit_fds: list[int] | None = None):
        if backend != "auto" and backend not in BACKENDS:
            raise PytransError(f"unknown backend {backend!r} (available: auto, {', '.join(BACKENDS)})")
        self.program = os.fspath(program)
        self.argv = list(argv) if argv is not None else [self.program]
        self.env = dict(os.environ if env is None else env)
        self.sysroot = sysroot
        self.strace = strace
        self.log = log or sys.stderr
        self.image = parse_elf(self.program)
        self.abi = abi_for(self.image)
        self.backend_name = backend = resolve_backend(backend, self.abi.BITS)
        if backend == "jit" and self.abi.BITS != 32:
            raise PytransError("the jit backend translates 32-bit ARM guests only "
                               "(use --backend unicorn for AArch64)")
        self.termination: Termination | None = None
        self.stats: dict = {}
        self._stdin, self._stdout, self._stderr = stdin, stdout, stderr
        self._on_kernel = on_kernel     # called with the Kernel once it exists
        # Guest execve may replace this host process (the CLI sets it; an API caller's
        # process is not ours, so there exec runs the new program in a child instead).
        self.owns_process = False
        self.inherit_fds = inherit_fds
        self.exec_signals: tuple[int, int] | None = None   # (ignored, mask) kept by execve

    # ---- set-up ---------------------------------------------------------------------------
    def _std_fds(self) -> tuple[tuple[int, int, int], list, list]:
        """Host descriptors for guest 0/1/2 and the temp files to read back afterwards."""
        cleanup, capture = [], []
        fds = []
        for i, stream in enumerate((self._stdin, self._stdout, self._stderr)):
            if stream is None:
                fds.append(i)
            elif isinstance(stream, (bytes, bytearray)):
                import tempfile     # here: only the API's redirections need it (~2 ms of start-up)
                f = tempfile.TemporaryFile()
                f.write(stream)
                f.seek(0)
                cleanup.append(f)
                fds.append(f.fileno())
            elif isinstance(stream, (str, os.PathLike)):
                f = open(stream, "rb")
                cleanup.append(f)
                fds.append(f.fileno())
            else:
                try:
                    fds.append(stream.fileno())
                except (AttributeError, io.UnsupportedOperation):
                    import tempfile
                    f = tempfile.TemporaryFile()
                    cleanup.append(f)
                    capture.append((f, stream))
                    fds.append(f.fileno())
        return (fds[0], fds[1], fds[2]), cleanup, capture

    def _load(self, mem: GuestMemory, kernel: Kernel) -> tuple[int, int]:
        abi, img = self.abi, self.image
        bias = 0
        if img.is_pie:
            bias = abi.PIE_BASE - img.lo
        main = load_image(mem, img, bias)
        entry, interp_base = main.entry, 0
        if img.interp is not None:
            path = find_interpreter(img.interp, self.sysroot)
            interp = load_interpreter(mem, abi, path, abi.MMAP_TOP)
            entry, interp_base = interp.entry, interp.bias   # AT_BASE: the load bias
        # The break starts on the page after the program (kernel: PAGE_ALIGN(end of bss)).
        kernel.brk_start = kernel.brk_cur = page_align_up(main.end)
        kernel.mmap_top = abi.MMAP_TOP
        # Stack: the rlimit's worth mapped below STACK_TOP, executable if PT_GNU_STACK says.
        prot = PROT_READ | PROT_WRITE | (PROT_EXEC if img.exec_stack else 0)
        mem.map(abi.STACK_TOP - abi.STACK_SIZE, abi.STACK_SIZE, prot, name="[stack]")
        if abi.KUSER_PAGE is not None:
            mem.map(abi.KUSER_PAGE, PAGE_SIZE, PROT_READ | PROT_EXEC, name="[vectors]")
            mem.write(abi.KUSER_PAGE, abi.kuser_page(), force=True)
        phdr = main.phdr
        if not phdr:
            # Program headers outside every segment: give the guest a copy (on the stack).
            raw = img.phdr_bytes()
            phdr = abi.STACK_TOP - PAGE_SIZE
            mem.write(phdr, raw, force=True)
        uid, gid = os.getuid(), os.getgid()
        execfn = os.fsencode(self.program)
        auxv = [(AT_HWCAP, abi.HWCAP), (AT_PAGESZ, PAGE_SIZE), (AT_CLKTCK, 100),
                (AT_PHDR, phdr), (AT_PHENT, img.phentsize), (AT_PHNUM, img.phnum),
                (AT_BASE, interp_base), (AT_FLAGS, 0), (AT_ENTRY, main.entry),
                (AT_UID, uid), (AT_EUID, os.geteuid()), (AT_GID, gid),
                (AT_EGID, os.getegid()), (AT_SECURE, 0), (AT_RANDOM, None),
                (AT_HWCAP2, abi.HWCAP2), (AT_EXECFN, None), (AT_PLATFORM, None)]
        top = abi.STACK_TOP - (PAGE_SIZE if not main.phdr else 0)
        env = [os.fsencode(f"{k}={v}") for k, v in self.env.items()]
        st = build_stack(mem, abi, top, [os.fsencode(a) for a in self.argv], env, auxv, execfn)
        kernel.auxv = st.auxv
        return entry, st.sp

    def _make_backend(self, mem: GuestMemory):
        if self.backend_name == "jit":
            from .backends.jit_backend import JitBackend
            return JitBackend(self.abi, mem)
        from .backends.unicorn_backend import UnicornBackend
        return UnicornBackend(self.abi, mem)

    # ---- running -------------------------------------------------------------------------
    def run(self) -> int:
        """Run the guest to completion; return its exit status (128+N if killed by signal N)."""
        std, cleanup, capture = self._std_fds()
        inherit = self.inherit_fds
        if inherit is not None:     # after a guest execve: guest fd N is host fd N
            std = tuple(h if i in inherit else -1 for i, h in enumerate(std))
        mem = GuestMemory(self.abi.ADDRESS_SPACE)
        fds = FdTable(std)
        for g in inherit or ():
            if g > 2:
                fds.fds[g] = g
        parent_pid = os.getpid()
        try:
            kernel = Kernel(self.abi, mem, fds, argv=[os.fsencode(a) for a in self.argv],
                            exe_path=os.path.abspath(self.program), sysroot=self.sysroot,
                            strace=self.strace, log=self.log)
            kernel.exec_options = ((["-L", os.path.abspath(self.sysroot)] if self.sysroot else [])
                                   + ["--backend", self.backend_name]
                                   + (["--strace"] if self.strace is not None else []))
            kernel.exec_in_place = self.owns_process
            if self.exec_signals is not None:
                ignored, kernel.sigmask = self.exec_signals
                for sig in range(1, sigs.NSIG + 1):
                    if ignored >> (sig - 1) & 1:
                        kernel.sigactions[sig] = (sigs.SIG_IGN, 0, 0, 0)
            if self._on_kernel is not None:
                self._on_kernel(kernel)
            entry, sp = self._load(mem, kernel)
            backend = self._make_backend(mem)
            kernel.cpu = backend
            backend.start(entry, sp, {self.abi.SYSCALL_ARG_REGS[0]: 0})
            t0 = time.perf_counter()
            end = backend.run(kernel)
            if kernel.threads is not None:
                end = kernel.threads.main_finished(end)   # wait for the other guest threads
            if os.getpid() != parent_pid:
                _end_forked_child(_termination(end), self.log)
            self.stats = self._collect_stats(backend, kernel, time.perf_counter() - t0)
        except BaseException:
            if os.getpid() != parent_pid:   # a guest fork's child never returns to the caller
                import traceback
                traceback.print_exc()
                os._exit(70)
            raise
        finally:
            fds.close_all()
            mem.close()
            for f, stream in capture:
                f.seek(0)
                stream.write(f.read())
            for f in cleanup:
                f.close()
        self.termination = _termination(end)
        return self.termination.status

    @staticmethod
    def _collect_stats(backend, kernel: Kernel, seconds: float) -> dict:
        """Run statistics: what every backend knows plus the backend's own counters."""
        stats = {"backend": backend.name, "run_seconds": seconds,
                 "syscalls": kernel.syscall_count}
        stats.update(backend.stats())
        exits = stats.get("exits_to_python", kernel.syscall_count)
        stats["exits_to_python_per_second"] = exits / seconds if seconds > 0 else 0.0
        return stats


def _end_forked_child(t: Termination, log: TextIO) -> None:
    """End a child created by a guest fork the way the guest process ended (never returns):
    its parent (a guest calling wait4) must see the exit status or the killing signal."""
    for stream in (sys.stdout, sys.stderr, log):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if t.signal:
        if t.signal not in (sigs.SIGPIPE, sigs.SIGINT):
            print(f"pytrans: {t.describe()}", file=log, flush=True)
        from .cli import _die_by_signal
        _die_by_signal(t.signal)
    os._exit(t.status)


def _termination(end: GuestExit) -> Termination:
    if end.signal:
        return Termination(128 + end.signal, end.signal, end.pc, end.addr, end.reason)
    return Termination(end.status)
