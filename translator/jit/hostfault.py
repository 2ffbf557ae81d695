"""Guest accesses checked by the host MMU: a native SIGSEGV handler for translated code.

Guest memory's host protection mirrors the guest's (``PROT_NONE`` where the guest may not
access, read-only where it may not write: memory.py), so a native guest load or store
needs no software check: it simply runs, and when it faults the kernel hands this handler
the host context. Every such access is preceded by a marker, ``nopl disp32(%rax)``
(``0f 1f 80`` + disp32), whose displacement is the offset from the access to its stub; the
handler checks that the faulting instruction is in a registered code cache and follows a
marker, and resumes the thread at the stub (which leaves the instruction to the
interpreter: it faults there at the exact address, as a guest signal). The marker costs
one no-op per access, against four instructions and a table read for a software probe.

A fault anywhere else goes to the handler that was installed before (Python's
faulthandler, say), or to the default action. The handler takes no locks and touches only
the context it is given and this module's data page, so it is safe in any thread.
"""
from __future__ import annotations

import ctypes
import mmap
import os
import signal
import weakref

from ..backends.x86.asm import CC, R8, R9, R10, RAX, RCX, RDX, RSI, Asm, mem
from ..memory import PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, host_mmap

MARKER = b"\x0f\x1f\x80"          # nopl disp32(%rax): disp32 = stub - access
MAX_CACHES = 1024                 # code caches registered at once (one per JIT backend)

# x86-64 Linux ucontext_t: uc_mcontext.gregs[REG_RIP] (gregs at 40, REG_RIP = 16)
_UC_RIP = 40 + 16 * 8
_SA_SIGINFO, _SA_ONSTACK, _SA_NODEFER = 4, 0x08000000, 0x40000000
_NR_RT_SIGACTION = 13
# Data page layout: the previous handler; a zeroed kernel sigaction (SIG_DFL); the ranges.
_OLD, _DFL, _RANGES = 0, 8, 64

_libc = ctypes.CDLL(None, use_errno=True)


class _Sigaction(ctypes.Structure):
    """glibc's struct sigaction on x86-64."""
    _fields_ = [("handler", ctypes.c_void_p), ("mask", ctypes.c_ulong * 16),
                ("flags", ctypes.c_int), ("restorer", ctypes.c_void_p)]


_libc.sigaction.argtypes = [ctypes.c_int, ctypes.POINTER(_Sigaction),
                            ctypes.POINTER(_Sigaction)]


def _build(data: int) -> bytes:
    """The handler: void handler(int sig, siginfo_t *info, ucontext_t *uc)."""
    a = Asm()
    scan, nxt, found, chain, dfl = a.label(), a.label(), a.label(), a.label(), a.label()
    a.mov(RAX, mem(RDX, _UC_RIP), 64)
    a.mov(R8, data, 64)
    a.lea(R9, mem(R8, _RANGES), 64)
    a.mov(RCX, MAX_CACHES)
    a.bind(scan)
    a.cmp(RAX, mem(R9, 0), 64)            # [lo, hi): lo is past the cache's first 8 bytes
    a.jcc(CC.B, nxt)
    a.cmp(RAX, mem(R9, 8), 64)
    a.jcc(CC.B, found)
    a.bind(nxt)
    a.add(R9, 16, 64)
    a.dec(RCX)
    a.jcc(CC.NE, scan)
    a.bind(chain)                         # not ours: the previous handler, else the default
    a.mov(RAX, mem(R8, _OLD), 64)
    a.cmp(RAX, 1, 64)                     # SIG_DFL (0) or SIG_IGN (1)
    a.jcc(CC.BE, dfl)
    a.jmp(RAX)
    a.bind(dfl)                           # rt_sigaction(sig, SIG_DFL) and return: the access
    a.lea(RSI, mem(R8, _DFL), 64)         # faults again and the default action is taken
    a.mov(RAX, _NR_RT_SIGACTION)
    a.mov(RDX, 0)
    a.mov(R10, 8)
    a.buf += b"\x0f\x05"                  # syscall (edi is still the signal)
    a.ret()
    a.bind(found)
    a.mov(RCX, mem(RAX, -8))
    a.and_(RCX, -256)
    a.cmp(RCX, int.from_bytes(b"\0" + MARKER, "little"))
    a.jcc(CC.NE, chain)
    a.movsxd(RCX, mem(RAX, -4))
    a.add(RAX, RCX, 64)
    a.mov(mem(RDX, _UC_RIP), RAX, 64)
    a.ret()
    return bytes(a.link(0))


class _Handler:
    def __init__(self) -> None:
        page = host_mmap(0, PAGE_SIZE * 8, PROT_READ | PROT_WRITE | PROT_EXEC,
                         mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        self.data = page
        code = _build(page)
        self.code = page + _RANGES + 16 * MAX_CACHES
        ctypes.memmove(self.code, code, len(code))
        self.free = list(range(MAX_CACHES - 1, -1, -1))
        self.ranges = (ctypes.c_uint64 * (2 * MAX_CACHES)).from_address(page + _RANGES)

    def install(self) -> None:
        """Make this the SIGSEGV handler (again, if something replaced it since), keeping
        the one before it to pass foreign faults on to."""
        cur = _Sigaction()
        if _libc.sigaction(signal.SIGSEGV, None, ctypes.byref(cur)) != 0:
            raise OSError(ctypes.get_errno(), "sigaction")
        if cur.handler == self.code:
            return
        new = _Sigaction()
        new.handler = self.code
        # SA_NODEFER: a fault in the previous handler we pass on to is not blocked (which
        # would kill the process without that handler's report).
        new.flags = _SA_SIGINFO | _SA_ONSTACK | _SA_NODEFER
        ctypes.c_uint64.from_address(self.data + _OLD).value = cur.handler or 0
        if _libc.sigaction(signal.SIGSEGV, ctypes.byref(new), None) != 0:
            raise OSError(ctypes.get_errno(), "sigaction")

    def register(self, lo: int, hi: int) -> int | None:
        """Native faults in [lo, hi) are guest accesses (lo >= the cache's start + 8, so
        a marker before a fault is always readable). A slot, or None when all are taken."""
        if not self.free:
            return None
        slot = self.free.pop()
        # lo first, hi last: a fault in another thread meanwhile sees [lo, 0), nothing
        self.ranges[2 * slot] = lo
        self.ranges[2 * slot + 1] = hi
        return slot

    def unregister(self, slot: int) -> None:
        self.ranges[2 * slot + 1] = 0               # (hi first, as above)
        self.ranges[2 * slot] = 0
        self.free.append(slot)


_handler: _Handler | None = None


def enabled() -> bool:
    """Native accesses rely on the host MMU unless ``$PYTRANS_JIT_HWFAULT=0`` (each is
    then checked in software, by a probe of a page-permission table)."""
    return os.environ.get("PYTRANS_JIT_HWFAULT", "1") != "0"


def handler() -> _Handler:
    global _handler
    if _handler is None:
        _handler = _Handler()
    return _handler


def register_cache(cache, lo: int, hi: int) -> bool:
    """Register a code cache's block area; unregistered when ``cache`` is collected. False
    when there is no room (its accesses must then be checked in software)."""
    h = handler()
    slot = h.register(lo, hi)
    if slot is None:
        return False
    weakref.finalize(cache, h.unregister, slot)
    h.install()
    return True
