"""The Linux user-mode layer: one guest process's kernel-side state and the syscall gate.

Backends call :meth:`Kernel.syscall` when the guest executes ``svc``. Handlers are small
functions ``sys_NAME(k, *args) -> int`` grouped by family under ``translator.linux.syscalls``;
they take guest integers and return a result or ``-errno``. Per-architecture facts
(numbers, 64-bit register pairs, struct layouts) come from ``frontends/<arch>/abi.py``.
"""
from __future__ import annotations

import errno
import os
import sys
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Callable, Protocol, Sequence, TextIO

from ..memory import PROT_READ, PROT_WRITE, GuestFault, GuestMemory, access_rights
from .fdtable import FdTable
from . import signals as sigs
from . import sigdeliver
from .sigdeliver import SigInfo, SignalState, SyscallInterrupted


class Cpu(Protocol):
    """What the Linux layer needs from a backend's CPU."""

    def read_reg(self, name: str) -> int: ...
    def write_reg(self, name: str, value: int) -> None: ...
    def read_syscall(self) -> tuple[int, Sequence[int]]: ...
    def write_result(self, value: int) -> None: ...
    def set_tls(self, value: int) -> None: ...
    def invalidate(self, start: int, length: int) -> None: ...
    def get_context(self) -> dict: ...
    def set_context(self, ctx: dict) -> None: ...
    def interrupt(self) -> None: ...


class GuestExit(Exception):
    """The guest process ended: with ``status`` or killed by ``signal``."""

    def __init__(self, status: int = 0, signal: int = 0, pc: int | None = None,
                 addr: int | None = None, reason: str = ""):
        super().__init__(f"exit {status}" if not signal else f"signal {signal}")
        self.status = status
        self.signal = signal
        self.pc = pc
        self.addr = addr
        self.reason = reason


Handler = Callable[..., int]
_EINTR, _EPIPE = -errno.EINTR, -errno.EPIPE
# Writes that raise SIGPIPE along with -EPIPE on a broken pipe or socket.
_SIGPIPE_CALLS = frozenset({"write", "writev", "pwrite64", "pwritev", "pwritev2", "sendfile",
                            "sendfile64", "splice", "vmsplice", "tee"})
# Calls a signal may interrupt while they block, and how they end then (the kernel's
# -ERESTARTSYS: restarted under SA_RESTART, else EINTR; -ERESTARTNOHAND: EINTR if a handler
# runs). nanosleep's restart block and sigsuspend's loop also end with EINTR when handled.
_RESTARTSYS = frozenset({"read", "readv", "write", "writev", "pread64", "pwrite64", "wait4",
                         "waitid", "accept", "accept4", "recv", "recvfrom", "recvmsg", "send",
                         "sendto", "sendmsg", "connect", "flock", "fcntl", "fcntl64", "futex",
                         "ioctl", "openat", "open"})
_RESTARTNOHAND = frozenset({"poll", "ppoll", "ppoll_time64", "select", "_newselect",
                            "pselect6", "pselect6_time64", "epoll_wait", "epoll_pwait",
                            "epoll_pwait2",
                            "nanosleep", "clock_nanosleep", "clock_nanosleep_time64", "pause",
                            "rt_sigsuspend", "sigsuspend", "rt_sigtimedwait",
                            "rt_sigtimedwait_time64"})
INTERRUPTIBLE = _RESTARTSYS | _RESTARTNOHAND
# Waits done in Python (sleeps, child waits that do not reap): the wake-up signal's handler
# raises SyscallInterrupted out of them.
_PY_WAITS = frozenset({"nanosleep", "clock_nanosleep", "clock_nanosleep_time64", "pause",
                       "rt_sigsuspend", "sigsuspend", "rt_sigtimedwait",
                       "rt_sigtimedwait_time64", "wait4", "waitid"})


class SyscallEntry:
    """One syscall number: its handler, how its arguments come from the registers, and what
    the gate does around it (precomputed from the name, so the gate tests plain booleans)."""

    __slots__ = ("nr", "name", "handler", "args", "nargs", "pairs", "plain", "interruptible",
                 "restart", "py_wait", "unlock", "sigpipe")

    def __init__(self, nr: int, name: str, handler: Handler | None, args: tuple, nargs: int,
                 pairs: bool = False):
        self.nr = nr
        self.name = name
        self.handler = handler
        self.args = args          # register indices, (lo, hi) pairs for 64-bit values
        self.nargs = nargs
        self.pairs = pairs        # any 64-bit register-pair argument (else args are raw[:nargs])
        # The gate's explicit-argument call for raw[:nargs] with nargs <= 4, else -1.
        self.plain = nargs if not pairs and nargs <= 4 else -1
        self.interruptible = name in INTERRUPTIBLE
        # The kernel's restart code when a signal cuts it short.
        self.restart = (sigdeliver.ERESTARTSYS if name in _RESTARTSYS
                        else sigdeliver.ERESTARTNOHAND)
        self.py_wait = name in _PY_WAITS
        self.unlock = name in BLOCKING    # runs without the guest threads' run lock
        self.sigpipe = name in _SIGPIPE_CALLS

    def arguments(self, raw) -> list | tuple:
        """The handler's arguments from the raw argument registers."""
        if self.pairs:
            return [raw[a[0]] | raw[a[1]] << 32 if isinstance(a, tuple) else raw[a]
                    for a in self.args]
        return raw[:self.nargs]

    def __repr__(self) -> str:
        return f"SyscallEntry({self.nr}, {self.name!r})"


@dataclass
class Kernel:
    """Kernel state for one guest process."""

    abi: ModuleType
    mem: GuestMemory
    fds: FdTable
    argv: list[bytes] = field(default_factory=list)
    exe_path: str = ""
    sysroot: str | None = None
    strace: TextIO | None = None
    log: TextIO = sys.stderr
    cpu: Cpu | None = None
    brk_start: int = 0
    brk_cur: int = 0
    mmap_top: int = 0
    tid_address: int = 0
    auxv: list[tuple[int, int]] = field(default_factory=list)
    sigactions: dict[int, tuple[int, int, int, int]] = field(default_factory=dict)
    sig: SignalState = field(default_factory=SignalState)
    umask_value: int = 0o022
    syscall_count: int = 0
    # execve of a guest ELF re-runs pytrans with these `pytrans run` options (-L, --backend,
    # --strace); exec_in_place says the host process may be replaced (the CLI, forked children).
    exec_options: list[str] = field(default_factory=list)
    exec_in_place: bool = False
    vfork_done_fd: int = -1       # vfork child: closing it (exec or exit) resumes the parent

    def __post_init__(self) -> None:
        self.pid = os.getpid()
        self.word_bits = self.abi.BITS
        self.word_mask = (1 << self.abi.BITS) - 1
        self._warned: set[str] = set()
        self.start_time = time.time()
        # umask is process-wide on the host; read it once without changing it.
        self.umask_value = os.umask(0o022)
        os.umask(self.umask_value)
        self.table = build_table(self.abi)
        self.interruptible = False   # inside a blocking call a host signal may cut short
        self.wake_hook: Callable[[], None] | None = None   # set by the host signal forwarder
        self.threads = None          # a threads.ThreadGroup once the guest clones a thread
        self._access = GuestAccessCache(self.mem)

    # ---- per-thread signal state (kept as properties for older callers) -------------------
    @property
    def sigmask(self) -> int:
        return self.sig.mask

    @sigmask.setter
    def sigmask(self, value: int) -> None:
        self.sig.mask = value

    @property
    def sigpending(self) -> int:
        return self.sig.pending

    # ---- helpers for handlers -------------------------------------------------------
    def signed(self, value: int) -> int:
        """A guest register as a signed C int/long."""
        value &= self.word_mask
        return value - (1 << self.word_bits) if value >> (self.word_bits - 1) else value

    @staticmethod
    def s32(value: int) -> int:
        value &= 0xFFFFFFFF
        return value - (1 << 32) if value & 0x80000000 else value

    def warn_once(self, key: str, message: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            print(f"pytrans: {message}", file=self.log, flush=True)

    def guest_buffer(self, addr: int, length: int, access: int) -> int:
        """Host address of the guest buffer [addr, addr+length) after checking the guest
        may access it with ``access`` (GuestFault otherwise); an empty buffer is not
        checked (the kernel does not look at it either)."""
        if length <= 0:
            return self.mem.base
        return self._access.check(addr, length, access)

    def path(self, addr: int, follow: bool = True) -> str:
        """A guest path argument, resolved against the sysroot (qemu -L semantics)."""
        raw = self.mem.read_cstring(addr)
        p = os.fsdecode(raw)
        return self.host_path(p, follow)

    def host_path(self, p: str, follow: bool = True) -> str:
        """Host path for guest path ``p``: an absolute path found in the sysroot (symlinks
        resolved inside it, never escaping to the host) is used from there, anything else
        from the host. ``follow=False`` keeps a symlink in the last component (lstat...)."""
        if self.sysroot and p.startswith("/"):
            from ..sysroot import sysroot_path
            return sysroot_path(self.sysroot, p, follow)
        return p

    # ---- the gate ---------------------------------------------------------------------
    def syscall(self, raw: Sequence[int] | None = None) -> None:
        """Handle one ``svc``: read number and arguments from the CPU, write the result.
        A backend that has the registers at hand passes them as ``raw``: the argument
        registers in order, the syscall number last (what ``read_syscall`` reads).

        This is every guest syscall's path, so it reads the per-thread state (CPU, signal
        state) once, takes the per-number facts from the entry's precomputed flags, and
        calls handlers of up to four plain arguments with explicit positional arguments
        (a ``handler(self, *raw[:n])`` call is a slice plus CPython's slower generic call
        path: ~0.25 us of a ~4 us round trip)."""
        group = self.threads
        if group is None:
            d = self.__dict__
            cpu = d["_main_cpu"]
            sig = d["_main_sig"]
        else:
            t = threads_current()
            if t is not None and t.group is group:      # thread_local_attr, inlined
                cpu = t.cpu
                sig = t.sig
            else:
                d = self.__dict__
                cpu = d["_main_cpu"]
                sig = d["_main_sig"]
        if raw is None:
            nr, raw = cpu.read_syscall()
        else:
            nr = raw[-1]
        self.syscall_count += 1
        entry = self.table.get(nr)
        if entry is None:
            self._unknown_syscall(cpu, nr, raw)
            return
        handler = entry.handler
        if handler is None:
            self.warn_once(entry.name, f"unsupported syscall {entry.name} returns -ENOSYS")
            result = -errno.ENOSYS
        else:
            py_wait = entry.py_wait
            try:
                if entry.interruptible:
                    if sig.pending & ~sig.mask:
                        raise SyscallInterrupted
                    # Only waits with nothing to undo may be cut short by raising out of
                    # them; host calls that block return -EINTR to the wake-up signal.
                    if py_wait:
                        self.interruptible = True
                if group is not None and entry.unlock:
                    # Other guest threads run meanwhile (group.unlocked(), without the
                    # generator's cost).
                    token = group.release_cpu()
                    try:
                        result = handler(self, *entry.arguments(raw))
                    finally:
                        group.take_cpu(token)
                else:
                    n = entry.plain
                    if n == 3:
                        result = handler(self, raw[0], raw[1], raw[2])
                    elif n == 1:
                        result = handler(self, raw[0])
                    elif n == 2:
                        result = handler(self, raw[0], raw[1])
                    elif n == 0:
                        result = handler(self)
                    elif n == 4:
                        result = handler(self, raw[0], raw[1], raw[2], raw[3])
                    else:
                        result = handler(self, *entry.arguments(raw))
            except SyscallInterrupted as e:
                # A handler may name its restart code (a timed futex wait: never restarted
                # after a handler, as the kernel's -ERESTART_RESTARTBLOCK).
                result = -(e.args[0] if e.args else entry.restart)
                sig.restart = (-result, raw[0])
            except GuestFault:
                result = -errno.EFAULT
            except OSError as e:
                result = -(e.errno or errno.EIO)
            except GuestExit:
                if self.strace:
                    self._trace(entry.name, entry.arguments(raw), entry, None)
                raise
            finally:
                if py_wait:
                    self.interruptible = False
            if result == _EINTR and entry.interruptible and sig.pending & ~sig.mask:
                # Cut short by the wake-up signal: the kernel's restart codes apply.
                result = -entry.restart
                sig.restart = (entry.restart, raw[0])
        if self.strace:
            self._trace(entry.name, entry.arguments(raw), entry, result)
        cpu.write_result(result & self.word_mask)
        if result == _EPIPE and entry.sigpipe:
            # pytrans (Python) ignores SIGPIPE itself; the guest must still get it.
            self.raise_signal(sigs.SIGPIPE)
        if sig.pending & ~sig.mask:
            sigdeliver.deliver_pending(self)

    def _unknown_syscall(self, cpu: Cpu, nr: int, raw) -> None:
        """A number the ABI does not have: -ENOSYS, and SIGILL for the ARM private range."""
        bad = self.abi.SYSCALL_SIGILL_FROM
        if bad is not None and nr >= bad:
            if self.strace:
                self._trace(f"syscall_{nr:#x}", [], None, None)
            # bad_syscall(): -ENOSYS in r0, then SIGILL at the svc (a handler's frame
            # must see the result, so it goes first).
            cpu.write_result(-errno.ENOSYS & self.word_mask)
            self.raise_signal(4, pc=cpu.read_reg("pc"), reason=f"bad syscall {nr:#x}")
            return
        self.warn_once(f"nr{nr}", f"unknown syscall {nr} returns -ENOSYS")
        if self.strace:
            self._trace(f"syscall_{nr}", list(raw[:6]), None, -errno.ENOSYS)
        cpu.write_result(-errno.ENOSYS & self.word_mask)

    def _trace(self, name: str, args: list[int], entry: SyscallEntry | None,
               result: int | None) -> None:
        from .strace import format_call
        print(format_call(self, name, args, result), file=self.strace, flush=True)

    # ---- signals ------------------------------------------------------------------------
    def raise_signal(self, sig: int, *, pc: int | None = None, addr: int | None = None,
                     reason: str = "", code: int | None = None, pid: int | None = None,
                     esr: int = 0) -> None:
        """Send ``sig`` to this process. With ``pc`` it is a synchronous fault (delivered
        now: a handler frame is pushed, or the default action raises GuestExit); otherwise
        it is queued and delivered at the next safe point (the end of the syscall)."""
        if sig == 0:
            return
        if pc is not None:
            info = SigInfo(sig, code=1 if code is None else code, addr=addr if addr is not None
                           else (pc if sig in (sigs.SIGILL, sigs.SIGTRAP) else None),
                           fault=True, kind="fault", esr=esr)
            sigdeliver.force_fault(self, info, pc=pc, reason=reason)
            return
        info = SigInfo(sig, code=sigdeliver.SI_USER if code is None else code,
                       pid=self.pid if pid is None else pid, uid=os.getuid())
        # For the calling thread (SIGPIPE: send_sig(current)), not routed to another one.
        sigdeliver.post(self, info, wake=False,
                        thread=None if self.threads is None else threads_current())

    def deliver_pending(self) -> None:
        """Deliver signals that are pending and not blocked (a safe point)."""
        if self.sig.pending & ~self.sig.mask:
            sigdeliver.deliver_pending(self)

    def wake(self) -> None:
        """Called (from any thread) when a signal became ready: make the backend reach a
        safe point and cut a blocking syscall short."""
        if self.threads is not None:
            self.threads.kick_ready()      # every guest thread with a signal ready
            return
        cpu = self.cpu
        if cpu is not None and hasattr(cpu, "interrupt"):
            cpu.interrupt()
        if self.wake_hook is not None:
            self.wake_hook()


class GuestAccessCache:
    """The last readable and the last writable guest mapping a syscall buffer was checked
    against, so the next buffer inside the same mapping (a loop of read()s into one stack
    or heap buffer) costs two compares instead of a VMA lookup.

    A memory listener: any map, unmap or protect bumps ``gen`` and so invalidates both.
    Each remembered range carries the generation read *before* its VMA was looked up, so a
    range computed while another guest thread changed the mappings (handlers of blocking
    calls run without the run lock) is never trusted."""

    def __init__(self, mem: GuestMemory):
        self.mem = mem
        self.base = mem.base
        self.gen = 0
        self.readable = (0, 0, -1)        # (start, end, generation)
        self.writable = (0, 0, -1)
        listeners = getattr(mem, "listeners", None)
        if listeners is not None:
            listeners.append(self)

    def on_map(self, start: int, length: int, prot: int) -> None:
        self.gen += 1

    def on_unmap(self, start: int, length: int) -> None:
        self.gen += 1

    def on_protect(self, start: int, length: int, prot: int) -> None:
        self.gen += 1

    def check(self, addr: int, length: int, access: int) -> int:
        """Host address of [addr, addr+length) (length > 0) if ``access`` is allowed."""
        end = addr + length
        gen = self.gen
        if access == PROT_WRITE:
            lo, hi, g = self.writable
            if g == gen and lo <= addr and end <= hi:
                return self.base + addr
        elif access == PROT_READ:
            lo, hi, g = self.readable
            if g == gen and lo <= addr and end <= hi:
                return self.base + addr
        mem = self.mem
        mem.check(addr, length, access)           # raises GuestFault
        v = mem.vma_at(addr)
        if v is not None and end <= v.end:
            if v.prot & PROT_WRITE:
                self.writable = (v.start, v.end, gen)
            if access_rights(v.prot) & PROT_READ:
                self.readable = (v.start, v.end, gen)
        return self.base + addr


def build_table(abi: ModuleType) -> dict[int, SyscallEntry]:
    """Number -> entry for one ABI, from the registered handler families."""
    from .syscalls import HANDLERS
    table: dict[int, SyscallEntry] = {}
    for name, nr in abi.SYSCALLS.items():
        hname = abi.SYSCALL_ALIASES.get(name, name)
        handler = None if name in abi.SYSCALL_EXCLUDE else HANDLERS.get(hname)
        if handler is None and hname.startswith("ARM_"):
            handler = HANDLERS.get(hname[4:])
        if handler is None:
            table[nr] = SyscallEntry(nr, name, None, (), 0)
            continue
        spec = abi.SYSCALL_ARGS.get(name)
        nparams = handler.__code__.co_argcount - 1
        if spec is None:
            spec = tuple(range(nparams))
        regs = [r for a in spec for r in (a if isinstance(a, tuple) else (a,))]
        pairs = any(isinstance(a, tuple) for a in spec) or list(spec) != list(range(len(spec)))
        table[nr] = SyscallEntry(nr, name, handler, spec, (max(regs) + 1) if regs else 0, pairs)
    return table


# With guest threads, the CPU and the signal state are the calling thread's (threads.py needs
# GuestExit from above, hence the late import).
from .threads import BLOCKING, thread_local_attr  # noqa: E402
from .threads import current as threads_current  # noqa: E402
Kernel.cpu = thread_local_attr("cpu")
Kernel.sig = thread_local_attr("sig")
Kernel.interruptible = thread_local_attr("interruptible")
