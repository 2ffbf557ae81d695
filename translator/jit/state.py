"""The guest CPU state the JIT's native code works on, and its hand-over to/from Unicorn.

Native code keeps a pointer to one :class:`ArmState` in a pinned host register and reads and
writes guest registers and flags at fixed offsets. Flags are kept unpacked (one byte each:
cheap to set from x86 ``setcc`` and to test), and packed into a CPSR only when another
component (Unicorn as the fallback interpreter and test oracle, signal frames) needs one.
"""
from __future__ import annotations

import ctypes

from unicorn import arm_const as a32

CPSR_USER = 0x10

# The rest of the contract between native code and the run loop (jit_backend), here so that
# the run loop needs no part of the code generator until it translates (tier 0 may end the
# program first): why native code returned (eax), the page-permission table's bits, and the
# size of the indirect-branch lookup table.
EXIT_LINK_MISS, EXIT_INDIRECT, EXIT_SYSCALL, EXIT_FALLBACK = 1, 2, 3, 4
EXIT_FAULT, EXIT_HALT, EXIT_PENDING, EXIT_ALIGN = 5, 6, 7, 8
HALT_REASONS = {"undefined": 1, "bkpt": 2, "unpredictable": 3, "fetch": 4}
PERM_R, PERM_W = 1, 2            # page permission bits; << 2: this page and the next one
LOOKUP_BITS = 16                 # indirect-branch table: 2**16 entries of (key, host address)


class ArmState(ctypes.Structure):
    """ARM32 user-mode state. Field offsets are part of the native-code ABI (see OFFSETS)."""

    _fields_ = [
        ("r", ctypes.c_uint32 * 16),        # r15 is the PC of the current block on exit
        ("n", ctypes.c_uint8), ("z", ctypes.c_uint8), ("c", ctypes.c_uint8),
        ("v", ctypes.c_uint8),
        ("q", ctypes.c_uint8), ("thumb", ctypes.c_uint8), ("itstate", ctypes.c_uint8),
        ("pending", ctypes.c_uint8),        # a host signal waits: leave at the next link
        ("ge", ctypes.c_uint32),            # GE[3:0]
        ("fpscr", ctypes.c_uint32),
        ("tpidruro", ctypes.c_uint32),
        ("exit_reason", ctypes.c_uint32),
        ("exit_info", ctypes.c_uint32),     # e.g. the faulting guest address
        ("exit_pc", ctypes.c_uint32),
        ("_pad", ctypes.c_uint32),
        ("guest_base", ctypes.c_uint64),
        ("d", ctypes.c_uint64 * 32),        # VFP/NEON D registers (S regs alias them)
        # Guest instructions run natively: native code counts in r14 and the trampolines
        # load and store it here (codecache.py).
        ("insns", ctypes.c_uint64),
        ("tmp", ctypes.c_uint32),           # scratch: a PC value computed under a condition
        ("_pad2", ctypes.c_uint32),
        # MXCSR while native code runs (rounding mode and flush-to-zero from the FPSCR; the
        # x86 exception flags accumulate here and are folded into fpscr at every exit) and
        # the host's MXCSR, restored on the way out (see codecache._emit_trampolines).
        ("mxcsr", ctypes.c_uint32),
        ("host_mxcsr", ctypes.c_uint32),
        # The value(s) the last LDREX/LDREXD read: STREX succeeds only if memory still holds
        # them (guest threads are serialised, so compare-and-store is atomic; as in qemu).
        ("excl_lo", ctypes.c_uint32),
        ("excl_hi", ctypes.c_uint32),
        # Counted natively for --stats: direct links taken (chained or not yet) and indirect
        # branches looked up in the native table (hit or miss).
        ("links", ctypes.c_uint64),
        ("lookups", ctypes.c_uint64),
        # The one-byte-per-page permission table the software probes test (only with
        # $PYTRANS_JIT_HWFAULT=0; set by the entry trampoline).
        ("perms", ctypes.c_uint64),
    ]


OFFSETS = {name: getattr(ArmState, name).offset for name, _ in ArmState._fields_}

# Unicorn register ids for the hand-over.
_UC_R = [getattr(a32, f"UC_ARM_REG_R{i}") for i in range(13)] + [
    a32.UC_ARM_REG_SP, a32.UC_ARM_REG_LR, a32.UC_ARM_REG_PC]
_UC_D = [getattr(a32, f"UC_ARM_REG_D{i}") for i in range(32)]


def pack_cpsr(s: ArmState) -> int:
    it = s.itstate
    return (s.n << 31 | s.z << 30 | s.c << 29 | s.v << 28 | s.q << 27 | (it & 3) << 25
            | (s.ge & 0xF) << 16 | (it >> 2) << 10 | s.thumb << 5 | CPSR_USER)


def unpack_cpsr(s: ArmState, cpsr: int) -> None:
    s.n, s.z, s.c, s.v, s.q = (cpsr >> 31) & 1, (cpsr >> 30) & 1, (cpsr >> 29) & 1, \
        (cpsr >> 28) & 1, (cpsr >> 27) & 1
    s.ge = (cpsr >> 16) & 0xF
    s.itstate = ((cpsr >> 25) & 3) | ((cpsr >> 10) & 0x3F) << 2
    s.thumb = (cpsr >> 5) & 1


class UnicornBridge:
    """Fast hand-over: every register in one uc_reg_write_batch / uc_reg_read_batch call
    (the Python wrapper's per-register calls cost ~4 us each, ~50 registers a hand-over)."""

    IDS = [a32.UC_ARM_REG_CPSR, *_UC_R, *_UC_D, a32.UC_ARM_REG_FPSCR, a32.UC_ARM_REG_C13_C0_3]

    def __init__(self, uc):
        from unicorn.unicorn_py3.unicorn import uclib
        raw = ctypes.CDLL(uclib._name)
        self._read, self._write, self._uch = raw.uc_reg_read_batch, raw.uc_reg_write_batch, uc._uch
        n = self.n = len(self.IDS)
        self.ids = (ctypes.c_int * n)(*self.IDS)
        self.vals = (ctypes.c_uint64 * n)()
        base = ctypes.addressof(self.vals)
        self.ptrs = (ctypes.c_void_p * n)(*(base + 8 * i for i in range(n)))

    def load(self, s: ArmState) -> None:
        v = self.vals
        v[0] = pack_cpsr(s)
        v[1:16] = list(s.r)[:15]
        v[16] = s.r[15] & ~1 if s.thumb else s.r[15]
        v[17:49] = list(s.d)
        v[49], v[50] = s.fpscr, s.tpidruro
        self._write(self._uch, self.ids, self.ptrs, self.n)

    def store(self, s: ArmState) -> None:
        ctypes.memset(self.vals, 0, 8 * self.n)        # 32-bit registers fill 4 bytes
        self._read(self._uch, self.ids, self.ptrs, self.n)
        v = self.vals
        unpack_cpsr(s, v[0])
        s.r[:] = v[1:17]
        s.d[:] = v[17:49]
        s.fpscr, s.tpidruro = v[49], v[50]


def to_unicorn(s: ArmState, uc) -> None:
    """Load Unicorn's CPU with this state (registers, flags, IT state, VFP, TLS)."""
    uc.reg_write(a32.UC_ARM_REG_CPSR, pack_cpsr(s))
    for i, rid in enumerate(_UC_R):
        uc.reg_write(rid, s.r[i] & ~1 if i == 15 and s.thumb else s.r[i])
    for i, rid in enumerate(_UC_D):
        uc.reg_write(rid, s.d[i])
    uc.reg_write(a32.UC_ARM_REG_FPSCR, s.fpscr)
    uc.reg_write(a32.UC_ARM_REG_C13_C0_3, s.tpidruro)


def from_unicorn(s: ArmState, uc) -> None:
    """Take the state back from Unicorn."""
    for i, rid in enumerate(_UC_R):
        s.r[i] = uc.reg_read(rid)
    unpack_cpsr(s, uc.reg_read(a32.UC_ARM_REG_CPSR))
    for i, rid in enumerate(_UC_D):
        s.d[i] = uc.reg_read(rid)
    s.fpscr = uc.reg_read(a32.UC_ARM_REG_FPSCR)
    s.tpidruro = uc.reg_read(a32.UC_ARM_REG_C13_C0_3)
