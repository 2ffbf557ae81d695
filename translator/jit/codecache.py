"""Executable memory for translated code, and the native entry/exit trampolines.

One RWX region holds every translated block, so any block can reach any other (and the
shared epilogue) with a rel32 jump. Native code runs with:

    rbp = &ArmState     r15 = guest_base     r14 = guest instructions run (state.insns)
    r13 = indirect-branch lookup table       [rsp + 8*i] = spill slot of IR value i

The instruction count lives in r14 while native code runs (a block adds its length on entry)
because counting in the state made every loop carry a read-modify-write of memory, whose
store-to-load latency bounded tight loops (measured: 4-8% of sort, hashtable and strings).

``enter(state, code)`` saves the callee-saved registers, sets those up and jumps to
``code``; blocks leave through the epilogue with the exit reason in eax.
"""
from __future__ import annotations

import ctypes
import mmap

from ..backends.x86.asm import (R8, R12, R13, R14, R15, RAX, RBP, RBX, RCX, RDI, RDX, RSI, RSP,
                                Asm, mem)
from . import hostfault
from .state import OFFSETS

SPILL_SLOTS = 1024
FRAME = 8 * SPILL_SLOTS + 8          # keeps rsp 16-byte aligned after six pushes + return

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]

ENTER = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                         ctypes.c_void_p, ctypes.c_void_p)


def build_trampolines() -> tuple[Asm, int]:
    """The code every cache starts with: ``enter(state, code, guest_base, perms, lookup) ->
    exit reason``, the shared epilogue (its offset is returned), and after it the shared
    subroutines of native code (the VFP NaN helpers, whose offsets from the epilogue go into
    ``x86emit_vfp.NAN_HELPERS``; the layout is the same in every cache)."""
    a = Asm()
    for r in (RBX, RBP, R12, R13, R14, R15):
        a.push(r)
    a.sub(RSP, FRAME, 64)
    a.mov(RBP, RDI, 64)
    a.mov(R15, RDX, 64)          # System V: rdi, rsi, rdx, rcx, r8
    a.mov(mem(RBP, OFFSETS["perms"]), RCX, 64)
    a.mov(R14, mem(RBP, OFFSETS["insns"]), 64)
    a.mov(R13, R8, 64)
    _enter_guest_fp(a)
    a.jmp(RSI)
    epi = len(a.buf)
    a.mov(mem(RBP, OFFSETS["insns"]), R14, 64)
    _leave_guest_fp(a)
    a.add(RSP, FRAME, 64)
    for r in (R15, R14, R13, R12, RBP, RBX):
        a.pop(r)
    a.ret()
    from .x86emit_vfp import NAN_HELPERS, emit_nan_select
    for wide in (False, True):
        for nargs in (1, 2):
            NAN_HELPERS[wide, nargs] = len(a.buf) - epi
            emit_nan_select(a, wide, nargs)
    return a, epi


class CodeCacheFull(Exception):
    """No room left: the caller flushes every block and starts again."""


class CodeCache:
    """A bump allocator over one RWX mapping, with the entry trampoline at its start."""

    def __init__(self, size: int = 64 << 20):
        addr = _libc.mmap(None, size, mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC,
                          mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS, -1, 0)
        if addr in (None, ctypes.c_void_p(-1).value):
            raise MemoryError("cannot map the JIT code cache")
        self.base = addr
        self.size = size
        self.top = 0
        self.epilogue = 0
        self._emit_trampolines()
        self.reset_point = self.top
        # Guest accesses in this cache's blocks are checked by the host MMU when its fault
        # handler knows the cache (hostfault.py; not with $PYTRANS_JIT_HWFAULT=0).
        self.mmu_checks = hostfault.enabled() and hostfault.register_cache(
            self, addr + self.reset_point, addr + size)

    def install(self, code: bytes) -> int:
        """Copy finished code in; returns its host address (16-byte aligned)."""
        start = (self.top + 15) & ~15
        if start + len(code) > self.size:
            raise CodeCacheFull()
        ctypes.memmove(self.base + start, code, len(code))
        self.top = start + len(code)
        return self.base + start

    def next_address(self) -> int:
        return self.base + ((self.top + 15) & ~15)

    def flush(self) -> None:
        """Forget every block (the trampolines stay)."""
        self.top = self.reset_point

    def _emit_trampolines(self) -> None:
        a, epi = build_trampolines()
        base = self.install(a.link(self.next_address()))
        self.enter_addr = base
        self.epilogue = base + epi
        self.enter = ENTER(base)

    def close(self) -> None:
        if self.base:
            _libc.munmap(self.base, self.size)
            self.base = 0


# ---- the guest's floating-point environment --------------------------------------------------
# Native VFP code runs on SSE with the guest's rounding mode (FPSCR.RMode) and flush-to-zero
# (FPSCR.FZ -> MXCSR FTZ|DAZ) in MXCSR. The x86 exception flags accumulate in MXCSR while
# native code runs and are folded into the FPSCR's cumulative flags at every exit, so the
# FPSCR is exact whenever anything else (Unicorn, VMRS via FpscrRead, Python) looks at it.
# The host's MXCSR is saved on entry and restored on exit: Python never runs with the guest's.
MXCSR_DEFAULT = 0x1F80               # all exceptions masked, round to nearest, no FTZ/DAZ
FPSCR_FZ, FPSCR_DN = 1 << 24, 1 << 25


def _enter_guest_fp(a: Asm) -> None:
    """MXCSR = host-default masks + RC from FPSCR.RMode (ARM 01 = +inf, 10 = -inf: x86 has
    them the other way round) + FTZ|DAZ when FPSCR.FZ; exception flags start clear."""
    fp, mx = mem(RBP, OFFSETS["fpscr"]), mem(RBP, OFFSETS["mxcsr"])
    a.stmxcsr(mem(RBP, OFFSETS["host_mxcsr"]))
    a.mov(RAX, fp)
    a.mov(RCX, RAX)
    a.shr(RCX, 22)
    a.and_(RCX, 3)
    a.mov(RDX, RCX)
    a.and_(RDX, 1)
    a.shl(RDX, 1)
    a.shr(RCX, 1)
    a.or_(RCX, RDX)
    a.shl(RCX, 13)
    a.or_(RCX, MXCSR_DEFAULT)
    a.and_(RAX, FPSCR_FZ)
    a.shr(RAX, 24)                   # 1 when flushing to zero
    a.imul3(RAX, RAX, 0x8040)        # FTZ | DAZ
    a.or_(RCX, RAX)
    a.mov(mx, RCX)
    a.ldmxcsr(mx)


def mxcsr_flags_to_rcx(a: Asm) -> None:
    """ecx = the exception flags native code raised so far (MXCSR.{IE,ZE,OE,UE,PE}) as
    FPSCR.{IOC,DZC,OFC,UFC,IXC} bits; clobbers edx. MXCSR.DE (denormal operand) has no ARM
    counterpart without flush-to-zero and is dropped."""
    mx = mem(RBP, OFFSETS["mxcsr"])
    a.stmxcsr(mx)
    a.mov(RCX, mx)
    a.mov(RDX, RCX)
    a.and_(RDX, 1)
    a.shr(RCX, 1)
    a.and_(RCX, 0x1E)
    a.or_(RCX, RDX)


def _leave_guest_fp(a: Asm) -> None:
    """FPSCR.{IOC,DZC,OFC,UFC,IXC} |= MXCSR.{IE,ZE,OE,UE,PE}; back to the host's MXCSR.
    eax (the exit reason) is preserved."""
    mxcsr_flags_to_rcx(a)
    a.or_(mem(RBP, OFFSETS["fpscr"]), RCX)
    a.ldmxcsr(mem(RBP, OFFSETS["host_mxcsr"]))
