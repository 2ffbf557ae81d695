"""IR -> x86-64 machine code.

One pass per block. IR values live in host registers (rbx, rsi, rdi, r8-r12) from their
definition to their last use (``Emitter._allocate``, a linear scan), in spill slots on the
native stack when more are live; rax/rcx/rdx are scratch. Common operations work on the
value's register directly (two-address ALU ops with immediates, loads into the result's
register); a flag-setting add/subtract takes C, V, N and Z from the x86 flags of one ``adc``.
Guest registers and flags live in the :class:`ArmState` at rbp (written through, so every
exit and fault sees exact guest state); the guest PC is stored only on paths that leave to
Python, and the Thumb bit only when a link changes mode (native code is entered with
``state.thumb`` equal to its block's mode). Guest memory is ``r15 + zero-extended 32-bit
address``: a guest access can never leave the 4 GiB guest window, and the host MMU (guest
memory's host protection mirrors the guest's; hostfault.py) or, with
``$PYTRANS_JIT_HWFAULT=0``, a one-byte-per-page permission table (state.perms) turns accesses to
unmapped or protected pages into guest faults instead of host crashes.
"""
from __future__ import annotations

import atexit
import marshal
import os
import struct
from dataclasses import dataclass, field
from typing import Callable

from .. import diskcache
from ..backends.x86.asm import (CC, R8, R9, R10, R11, R12, R13, R14, R15, RAX, RBP, RBX, RCX,
                                RDI, RDX, RSI, RSP, GPR, Asm, mem)
from .codecache import SPILL_SLOTS
from .hostfault import MARKER
from .passes import _FLAG_WRITERS
from .ir import (Block, Op, Const, Fallback, Halt, Indirect, Link, LinkCond, Ref, Syscall)
from .state import (EXIT_ALIGN, EXIT_FALLBACK, EXIT_FAULT, EXIT_HALT,  # noqa: F401
                    EXIT_INDIRECT, EXIT_LINK_MISS, EXIT_PENDING, EXIT_SYSCALL, HALT_REASONS,
                    LOOKUP_BITS, OFFSETS, PERM_R, PERM_W)
from .x86emit_vfp import VfpEmitter

_FLAG = {f: OFFSETS[f.lower()] for f in "NZCVQ"}
_FLAG["GE"] = OFFSETS["ge"]        # GE[3:0] in the low byte of a word whose rest stays 0
_R = OFFSETS["r"]


class TooManyValues(Exception):
    """The block needs more spill slots than the frame has: translate a shorter block."""


@dataclass
class Emitted:
    """Machine code for one block, before installation."""

    asm: Asm
    sites: list[tuple[int, int, object]] = field(default_factory=list)
    # (rel32 field offset, site id, (target pc, thumb)) of each chainable link


def _slot(i: int):
    if i >= SPILL_SLOTS:
        raise TooManyValues(i)
    return mem(RSP, 8 * i)


# ---- precomputed machine code ------------------------------------------------------------
# Translation cost is paid for every block a program runs, so the hot paths below append
# ready-made bytes instead of calling the assembler for each instruction: spill-slot loads and
# stores, and fixed instruction sequences encoded once at import by the assembler itself.
_U32 = struct.Struct("<I").pack
_S32 = struct.Struct("<i").pack
_S32_INTO = struct.Struct("<i").pack_into
_S8 = struct.Struct("<b").pack
_JE_REL32 = b"\x0f\x84\0\0\0\0"       # je rel32 (field filled in later)
_JNE_REL32 = b"\x0f\x85\0\0\0\0"      # jne rel32 (field filled in later)
MASK32 = 0xFFFFFFFF


def _enc(fn: Callable[[Asm], object]) -> bytes:
    """The bytes the assembler produces for ``fn(asm)`` (no labels, no relocations)."""
    a = Asm()
    fn(a)
    if a.relocs:
        raise ValueError("template with a relocation")
    return bytes(a.buf)


def _enc_prefix(fn: Callable[[Asm], object], imm_size: int = 4) -> bytes:
    """``fn`` encodes an instruction ending in an immediate of ``imm_size`` bytes: the bytes
    before the immediate (the caller appends its own)."""
    return _enc(fn)[:-imm_size]


def _slot_code(opcode: int, reg: int) -> list[bytes]:
    """``mov reg32, [rsp + 8*i]`` (opcode 0x8B) or ``mov [rsp + 8*i], reg32`` (0x89) for every
    spill slot i, encoded as the assembler does (tests check them against it)."""
    out = []
    for i in range(SPILL_SLOTS):
        d = 8 * i
        if d == 0:
            out.append(bytes((opcode, 0x04 | reg << 3, 0x24)))
        elif d < 128:
            out.append(bytes((opcode, 0x44 | reg << 3, 0x24, d)))
        else:
            out.append(bytes((opcode, 0x84 | reg << 3, 0x24)) + _U32(d))
    return out


_LD = {RAX: _slot_code(0x8B, RAX), RCX: _slot_code(0x8B, RCX), RDX: _slot_code(0x8B, RDX)}
_ST = {RAX: _slot_code(0x89, RAX), RDX: _slot_code(0x89, RDX)}
_MOVI = {r: _enc_prefix(lambda a, r=r: a.mov(r, 0)) for r in (RAX, RCX, RDX)}
_T = {  # fixed sequences
    "add": _enc(lambda a: a.add(RAX, RCX)), "sub": _enc(lambda a: a.sub(RAX, RCX)),
    "and": _enc(lambda a: a.and_(RAX, RCX)), "or": _enc(lambda a: a.or_(RAX, RCX)),
    "xor": _enc(lambda a: a.xor(RAX, RCX)), "imul": _enc(lambda a: a.imul(RAX, RCX)),
    "andnot": _enc(lambda a: (a.not_(RCX), a.and_(RAX, RCX))),
    "addc": _enc(lambda a: (a.add(RAX, RCX), a.add(RAX, RDX))),
    "not": _enc(lambda a: a.not_(RAX)), "neg": _enc(lambda a: a.neg(RAX)),
    "mulhiu": _enc(lambda a: a.mul(RCX)), "mulhis": _enc(lambda a: a.imul1(RCX)),
    "msb": _enc(lambda a: a.shr(RAX, 31)),
    "iszero": _enc(lambda a: (a.xor(RAX, RAX), a.test(RCX, RCX), a.setcc(CC.E, RAX))),
    "and1": _enc(lambda a: a.and_(RAX, 1)),
    "carryadd": _enc(lambda a: (a.add(RAX, RCX, 64), a.add(RAX, RDX, 64), a.shr(RAX, 32, 64))),
    "overflowadd": _enc(lambda a: (a.movsxd(RAX, RAX), a.movsxd(RCX, RCX), a.add(RAX, RCX, 64),
                                   a.add(RAX, RDX, 64), a.movsxd(RCX, RAX),
                                   a.cmp(RAX, RCX, 64), a.setcc(CC.NE, RAX),
                                   a.movzx(RAX, RAX, 32, 8))),
    "select": _enc(lambda a: (a.test(RDX, RDX), a.cmovcc(CC.E, RAX, RCX))),
    "adc1": b"\xf9" + _enc(lambda a: a.adc(RAX, RCX)),                 # stc; adc eax, ecx
    "bt_edx0_adc": _enc(lambda a: (a.bt(RDX, 0), a.adc(RAX, RCX))),    # CF = cin; adc
    "or1": _enc(lambda a: a.or_(RAX, 1)),
    "count_link": _enc(lambda a: a.add(mem(RBP, OFFSETS["links"]), 1, 64)),
    "count_lookup": _enc(lambda a: a.add(mem(RBP, OFFSETS["lookups"]), 1, 64)),
    "pending": _enc(lambda a: a.cmp(mem(RBP, OFFSETS["pending"]), 0, 8)),
    "test_eax_imm": _enc_prefix(lambda a: a.test(RAX, 0x12345678)),
    "align_tail": _enc(lambda a: (a.mov(mem(RBP, OFFSETS["exit_info"]), RAX),
                                  a.mov(RAX, EXIT_ALIGN))),
    "set_pc": _enc_prefix(lambda a: a.mov(mem(RBP, _R + 60), 0)),
    "exit_info": _enc_prefix(lambda a: a.mov(mem(RBP, OFFSETS["exit_info"]), 0)),
    "exit_pc": _enc_prefix(lambda a: a.mov(mem(RBP, OFFSETS["exit_pc"]), 0)),
    "fault_tail": _enc(lambda a: (a.mov(mem(RBP, OFFSETS["exit_info"]), RAX),
                                  a.mov(RAX, EXIT_FAULT))),
    "thumb0": _enc(lambda a: a.mov(mem(RBP, OFFSETS["thumb"]), 0, 8)),
    "thumb1": _enc(lambda a: a.mov(mem(RBP, OFFSETS["thumb"]), 1, 8)),
}
_SHIFT_IMM = {k: [b""] + [_enc(lambda a, k=k, n=n: getattr(a, k)(RAX, n)) for n in range(1, 32)]
              for k in ("shl", "shr", "sar", "ror")}
_BIT = [_enc(lambda a, n=n: (a.shr(RAX, n) if n else None, a.and_(RAX, 1))) for n in range(32)]
_EXT = {(s, w): _enc(lambda a, s=s, w=w: (a.movsx if s else a.movzx)(RAX, RAX, 32, w))
        for s in (False, True) for w in (8, 16)}
# guest memory: [r15 + rax], and the permission-table probe of _access
_LDMEM = {(4, False): _enc(lambda a: a.mov(RAX, mem(R15, 0, RAX))),
          **{(n, s): _enc(lambda a, n=n, s=s: (a.movsx if s else a.movzx)(
              RAX, mem(R15, 0, RAX), 32, n * 8)) for n in (1, 2) for s in (False, True)}}
_STMEM = {n: _enc(lambda a, n=n: a.mov(mem(R15, 0, RAX), RCX, n * 8)) for n in (1, 2, 4)}
_STATE_CODE: dict = {}      # (kind, attr) -> mov between eax and the guest state
_GET_CODE: dict = {}        # the same per kind, keyed by attr alone (the hot lookups)
_SET_CODE: dict = {}
_GETF_CODE: dict = {}
_SETF_CODE: dict = {}
_BY_KIND = {"get": _GET_CODE, "set": _SET_CODE, "getf": _GETF_CODE, "setf": _SETF_CODE}

# ---- register allocation -------------------------------------------------------------------
# IR values live in these host registers while they are live (linear scan per block), in a
# spill slot only when all are taken. None of them is pinned or used as scratch: the entry
# trampoline saves rbx/r12, and native code never calls C (rsi, rdi, r8-r11 are free).
ALLOC_REGS = (RBX, RSI, RDI, R8, R9, R10, R11, R12)
# lea eax, [reg + disp8 / disp32] (the displacement appended)
_LEA8 = {r: _enc_prefix(lambda a, r=r: a.lea(RAX, mem(GPR[r], 0x7F)), 1)
         for r in (RAX,) + ALLOC_REGS}
_LEA32 = {r: _enc_prefix(lambda a, r=r: a.lea(RAX, mem(GPR[r], 0x12345678)))
          for r in (RAX,) + ALLOC_REGS}
NOWHERE = -2                 # a value nobody reads: not kept anywhere
IN_SLOT = -1
REMAT = -3                   # a spilled value read back from a guest register holding it


def _remat_homes(block: Block, j: int, end: int) -> list | None:
    """Where value j can be read back from the guest state instead of a spill slot: a list
    of (from op index, core register) covering every use up to ``end`` (its last use), or
    None. A GetReg value is in its register until that is written; a value that a SetReg
    outside conditional code stores is in that register from then on until it is written
    again. (A use at a SetReg reads before the SetReg writes.)"""
    ops = block.ops
    keep = block.keep
    op = ops[j]
    cur = op.attr
    if op.opcode != "GetReg" or cur.__class__ is not int or cur >= 16:
        return None                      # (a computed value is in no guest register yet)
    homes = [(j, cur)]
    conditional = False
    n = len(ops)
    for k in range(j + 1, min(end + 1, n)):
        if keep is not None and not keep[k]:
            continue
        o = ops[k]
        opc = o.opcode
        if opc == "SetReg":
            r = o.attr
            v = o.args[0]
            if v.__class__ is Ref and v.index == j:
                if cur is None:
                    return None
                if not conditional and r.__class__ is int and r < 16 and r != cur:
                    cur = r
                    homes.append((k + 1, r))
                continue
            if r == cur:
                cur = None
        elif opc == "SkipUnless":
            conditional = True
        elif opc == "Label":
            conditional = False
        elif cur is None and any(a.__class__ is Ref and a.index == j for a in o.args):
            return None
    if cur is None and end >= n:                 # (the terminal reads it)
        return None
    return homes


_MOV32 = {(d, s): _enc(lambda a, d=d, s=s: a.mov(d, s)) for d in GPR for s in GPR}
_MEMO: dict = {}             # (kind, ...) -> bytes encoded on first use (register-direct code)
# The commonest of them, GetReg / SetReg between a guest register and host register h, again
# as _GETR[h][reg] / _SETR[h][reg]: no key tuple to build.
_GETR: list[dict] = [{} for _ in GPR]
_SETR: list[dict] = [{} for _ in GPR]
_PROBE: dict[int, bytes] = {}   # the page probe per (address register, mask), as one int
_LDST: dict[int, bytes] = {}    # loads and stores per (size, signedness, registers), one int
_CMOV: dict[int, bytes] = {}    # cmov<cc> between host registers, per (cc, dst, src)


def _memo(key, fn: Callable[[Asm], object]) -> bytes:
    code = _MEMO.get(key)
    if code is None:
        code = _MEMO[key] = _enc(fn)
    return code


_ALU_METHOD = {"add": "add", "sub": "sub", "and": "and_", "or": "or_", "xor": "xor"}


def _alu_rr(name: str, dst: int, src: int) -> bytes:
    """``name dst, src`` between 32-bit host registers (add/sub/and/or/xor), encoded once."""
    key = (name, dst, src)
    code = _MEMO.get(key)
    if code is None:
        code = _memo(key, lambda x: getattr(x, _ALU_METHOD[name])(GPR[dst], GPR[src]))
    return code



def _asm_not(a: Asm, d) -> None:
    """not d (an _inplace builder, shared by op_Not and _rsb_const)."""
    a.not_(d)


class Emitter(VfpEmitter):
    """Turns one optimized IR block into code; ``new_site`` numbers chainable links."""

    def __init__(self, epilogue: int, new_site: Callable[[tuple[int, bool]], int],
                 count: bool = False, mmu_checks: bool = False):
        self.epilogue = epilogue
        self.new_site = new_site
        # mmu_checks: guest loads and stores are checked by the host MMU (hostfault.py: the
        # code runs in a registered cache, with the handler installed), not by probes.
        self.mmu_checks = mmu_checks
        # Operations that leave the x86 flags alone (host-flag fusion survives them): with
        # the MMU checking, memory accesses too (a probe ends fusion itself, see _access).
        self._keeps = _HF_KEEP | _ACCESS_OPS if mmu_checks else _HF_KEEP
        # count: native code counts the direct links and indirect lookups it takes (the
        # state's links / lookups, for the hit rates in --stats).
        self._count_link = _T["count_link"] if count else b""
        self._count_lookup = _T["count_lookup"] if count else b""
        self._ops: dict[str, Callable] = {}   # opcode -> bound op_ method (an Emitter may be
                                              # reused for many blocks)
        if not _TEMPLATES_LOADED:
            load_templates()

    # ---- operands -----------------------------------------------------------------------
    def load(self, a, reg) -> None:
        """reg (32 bits, zero-extended) = an operand."""
        if a.__class__ is Ref:
            i = a.index
            h = self.loc[i]
            if h >= 0:
                self.buf += _MOV32[reg, h]
                return
            if h == REMAT:
                self.buf += self._remat_code(i, reg)
                return
            if i >= SPILL_SLOTS:
                raise TooManyValues(i)
            tbl = _LD.get(reg)
            if tbl is None:
                self.asm.mov(reg, _slot(i))
            else:
                self.buf += tbl[i]
        elif a.__class__ is Const:
            pre = _MOVI.get(reg)
            if pre is None:
                self.asm.mov(reg, a.value & MASK32)
            else:
                self.buf += pre
                self.buf += _U32(a.value & MASK32)
        else:
            raise TypeError(f"bad operand {a!r}")

    def store(self, i: int, reg=RAX) -> None:
        """Value i (its host register or spill slot) = reg (32 bits)."""
        h = self.loc[i]
        if h >= 0:
            self.buf += _MOV32[h, reg]
            return
        if h < IN_SLOT:                          # NOWHERE, REMAT: nothing to keep
            return
        if i >= SPILL_SLOTS:
            raise TooManyValues(i)
        tbl = _ST.get(reg)
        if tbl is None:
            self.asm.mov(_slot(i), reg)
        else:
            self.buf += tbl[i]

    # ---- blocks ---------------------------------------------------------------------------
    def emit(self, block: Block) -> Emitted:
        self.asm = a = Asm()
        self.buf = a.buf                  # the hot paths append precomputed bytes here
        self._align: dict[int, list[int]] = {}    # the same for alignment faults (SIGBUS)
        self._cold: list[list] = []               # memory accesses: their stubs (_access)
        self._mmu: list[tuple] = []               # accesses the host MMU checks: their stubs
        self._itstates = block.itstates
        self._rerun_tail = None                   # the stubs' shared exit (_rerun)
        self._grps: dict = {}             # (base value, perm) -> the access whose probe
                                          # covers later ones from that base (_access)
        out = Emitted(a)
        labels = {}
        self._guest_insns = n = block.guest_insns
        code = _COUNT.get(n)
        if code is None:
            code = _COUNT[n] = _enc(lambda a: a.add(R14, n, 64))
        self.buf += code
        self._homes: dict = {}
        last = block.last if block.last is not None else self._last_uses(block)
        self.loc = self._allocate(block, self._homes, last)
        keep = block.keep
        self._side: list[tuple] = []      # ExitIf: (rel32 field, Link, instructions not run)
        # Host-flag fusion: self._hf is (op index, its _*_CC table) for the flag-setting
        # operation whose x86 flags are still live (only operations in _HF_KEEP came after
        # it): a condition the table maps is one jcc / setcc on them.
        self._hf = None
        # The flag bytes that operation still owes (its attr, and the _SETCC_* table that
        # stores them from the live x86 flags), or None: stored only when something may
        # read them from the state (see _owed_flags), so a flag write that the next
        # flag-setting operation overwrites, read meanwhile only through fusion, is never
        # stored at all (cmp; addgt; addle; movgt; cmp in a merge).
        self._owe = None
        # ... and the last operation that may read them (optimize's flags_end): past it,
        # nothing reads them before they are set again, so they are dropped, not stored.
        self._owe_end = 0
        self._fend = block.flags_end or {}
        # label -> [(a SkipUnless's pad label, its owed flags, its x86 flags' table)]
        self._lab_jumps: dict = {}
        self._pads: list[tuple] = []      # (pad, owed flags, label): out of line (_flag_pads)
        self._block_ops = block.ops
        self._last = last
        self._keep = keep
        self._done = -1                   # a Select already emitted (_cmov)
        keeps = self._keeps
        ops = self._ops
        for i, op in enumerate(block.ops):
            if keep is not None and not keep[i]:
                continue                  # dropped by optimize(compact=False)
            opc = op.opcode
            self._at = i                  # (where REMAT values are read back from)
            if opc not in keeps:
                if self._owe is not None:
                    self._owed_flags(op.attr if opc in _FLAG_WRITERS else "")
                self._hf = None
            fn = ops.get(opc)
            if fn is None:
                fn = ops[opc] = getattr(self, "op_" + opc)
            fn(i, op, labels)
        self._at = len(block.ops)
        self.terminal(block, out)
        return out

    def _owed_flags(self, overwritten: str = "") -> None:
        """Store the flag bytes owed (while the x86 flags still hold them): before anything
        reads the state's flags or changes the x86 flags, and before any way out of the
        straight line (a memory access that may fault, a jump, a label, the block's end).
        Those the operation about to run overwrites (``overwritten``) are dead instead, and
        all of them once no later operation reads them (``_owe_end``)."""
        if self._at <= self._owe_end:
            _store_flags(self.buf, self._owe, overwritten)
        self._owe = None

    def _end_hf(self) -> None:
        """The x86 flags are about to change: fusion ends."""
        if self._owe is not None:
            self._owed_flags()
        self._hf = None

    def _remat_code(self, i: int, reg) -> bytes:
        """``mov reg, <the guest register holding value i here>`` (a REMAT value)."""
        at = self._at
        attr = None
        for start, r in self._homes[i]:
            if start > at:
                break
            attr = r
        code = _GETR[reg].get(attr)
        if code is None:
            code = _GETR[reg][attr] = _memo(("get", attr, reg),
                                            lambda a: a.mov(GPR[reg], self._reg(attr)))
        return code

    def home(self, a) -> int | None:
        """The host register holding operand ``a``, or None (a constant or a spilled value)."""
        if a.__class__ is Ref:
            h = self.loc[a.index]
            if h >= 0:
                return h
        return None

    @staticmethod
    def _last_uses(block: Block) -> list[int]:
        """Each operation's last reader (-1: none; len(ops): the terminal), as optimize's
        ``compact=False`` records them in ``block.last``."""
        ops = block.ops
        n = len(ops)
        last = [-1] * n
        for j, op in enumerate(ops):
            for x in op.args:
                if x.__class__ is Ref:
                    last[x.index] = j
        t = block.terminal
        if t.__class__ is Indirect and t.target.__class__ is Ref:
            last[t.target.index] = n
        return last

    @staticmethod
    def _allocate(block: Block, homes: dict | None = None,
                  last: list | None = None) -> list[int]:
        """Linear scan over the block's values: each value gets a host register (from
        ALLOC_REGS) from its definition to its last use, or IN_SLOT when more are live (the
        one needed furthest away is spilled), NOWHERE when nothing reads it. A spilled
        GetReg value that some guest register holds at each of its uses (the one it was
        read from, or one a SetReg copied it to: ``homes``) is REMAT instead: spilling it
        costs no code and each use reloads it from the guest state. Control flow inside a
        block only skips forward (SkipUnless to a Label), so live ranges in program order are
        exact enough: a value is never read where its definition was skipped. A register
        freed by an operand's last use may hold the same op's result: every op reads all its
        operands before writing its result. ``last``: each value's last use, if the caller
        has it (else block.last, else computed)."""
        ops = block.ops
        n = len(ops)
        if last is None:
            last = block.last                # (optimize(compact=False) found them)
        if last is None:
            last = Emitter._last_uses(block)
        loc = [NOWHERE] * n
        if homes is None:
            homes = {}                       # REMAT value -> _remat_homes
        free = list(ALLOC_REGS[::-1])
        active: dict[int, int] = {}          # value -> its last use, while in a register
        expire: list = [None] * (n + 1)      # last use -> values whose register frees then
        for j in range(n):
            done = expire[j]
            if done is not None:
                for v in done:
                    if active.pop(v, None) is not None:    # (not stolen in the meantime)
                        free.append(loc[v])
            end = last[j]
            if end < 0:                      # nothing reads it (or it produces no value)
                continue
            if not free:
                # Spill whichever live value is needed furthest away (this one, or one
                # holding a register: that one then lives in its slot from its definition,
                # which is fine since no code has been emitted yet).
                victim = max(active, key=active.__getitem__)
                if active[victim] <= end:
                    h = _remat_homes(block, j, end)
                    if h is not None:
                        loc[j] = REMAT
                        homes[j] = h
                        continue
                    if j >= SPILL_SLOTS:
                        raise TooManyValues(j)
                    loc[j] = IN_SLOT
                    continue
                vend = active.pop(victim)
                free.append(loc[victim])
                h = _remat_homes(block, victim, vend)
                if h is not None:
                    loc[victim] = REMAT
                    homes[victim] = h
                else:
                    if victim >= SPILL_SLOTS:
                        raise TooManyValues(victim)
                    loc[victim] = IN_SLOT
            loc[j] = free.pop()
            active[j] = end
            e = expire[end]
            if e is None:
                expire[end] = [j]
            else:
                e.append(j)
        return loc

    # state
    @staticmethod
    def _reg(attr: int):
        """r0-r15 by number; 16 is TPIDRURO (the user read-only thread ID register), 17 the
        scratch word, 18 the FPSCR, 19/20 the exclusive monitor's value, 32+k the VFP
        single-precision register Sk (a half of
        D(k/2))."""
        if attr < 16:
            return mem(RBP, _R + 4 * attr)
        if attr >= 32:
            return mem(RBP, OFFSETS["d"] + 4 * (attr - 32))
        if attr == 18:
            return mem(RBP, OFFSETS["fpscr"])
        if attr in (19, 20):           # the exclusive monitor's value (LDREX/STREX)
            return mem(RBP, OFFSETS["excl_lo" if attr == 19 else "excl_hi"])
        return mem(RBP, OFFSETS["tpidruro"] if attr == 16 else OFFSETS["tmp"])

    def _state_code(self, kind: str, attr) -> bytes:
        """mov between eax and a guest register / flag (encoded once per register)."""
        key = (kind, attr)
        code = _STATE_CODE.get(key)
        if code is None:
            a = Asm()
            if kind == "get":
                a.mov(RAX, self._reg(attr))
            elif kind == "set":
                a.mov(self._reg(attr), RAX)
            elif kind == "getf":
                a.movzx(RAX, mem(RBP, _FLAG[attr]))
            else:
                a.mov(mem(RBP, _FLAG[attr]), RAX, 8)
            code = _STATE_CODE[key] = bytes(a.buf)
            _BY_KIND[kind][attr] = code
        return code

    def op_GetReg(self, i, op, labels):
        h = self.loc[i]
        if h == REMAT:                               # read where it is used
            return
        if h >= 0:                                   # straight into the value's register
            code = _GETR[h].get(op.attr)
            if code is None:
                code = _GETR[h][op.attr] = _memo(("get", op.attr, h),
                                                 lambda a: a.mov(GPR[h], self._reg(op.attr)))
            self.buf += code
            return
        self.buf += _GET_CODE.get(op.attr) or self._state_code("get", op.attr)
        self.store(i)

    def op_SetReg(self, i, op, labels):
        v = op.args[0]
        if v.__class__ is Ref:
            h = self.loc[v.index]
            if h >= 0:
                code = _SETR[h].get(op.attr)
                if code is None:
                    code = _SETR[h][op.attr] = _memo(
                        ("set", op.attr, h), lambda a: a.mov(self._reg(op.attr), GPR[h]))
                self.buf += code
                return
        else:
            key = ("seti", op.attr)
            code = _MEMO.get(key)
            if code is None:
                code = _MEMO[key] = _enc_prefix(lambda a: a.mov(self._reg(op.attr), 0x12345678))
            self.buf += code
            self.buf += _U32(v.value & MASK32)
            return
        self.load(v, RAX)
        self.buf += _SET_CODE.get(op.attr) or self._state_code("set", op.attr)

    def op_GetFlag(self, i, op, labels):
        owe = self._owe
        if owe is not None and op.attr in owe[0]:
            # Still only on the x86 flags (the divide ladder's cmp; adc): a setcc of them,
            # which leaves them alone, instead of storing the owed bytes and reading one back.
            cc = self._hf[1][_FLAG_COND[op.attr]] if self._hf is not None else None
            if cc is not None:
                d = self.loc[i]
                if d >= 0:
                    key = ("setccz", int(cc), d)
                    code = _MEMO.get(key)
                    if code is None:
                        code = _memo(key, lambda a: (a.setcc(cc, GPR[d]),
                                                     a.movzx(GPR[d], GPR[d], 32, 8)))
                    self.buf += code
                else:
                    self.buf += _SETCC_EAX[cc]
                    self.store(i)
                return
            self._owed_flags()
        self.buf += _GETF_CODE.get(op.attr) or self._state_code("getf", op.attr)
        self.store(i)

    def op_SetFlag(self, i, op, labels):
        v = op.args[0]
        h = self.loc[v.index] if v.__class__ is Ref else IN_SLOT
        if h >= 0:
            key = ("setf", op.attr, h)
            code = _MEMO.get(key)
            if code is None:
                code = _memo(key, lambda a: a.mov(mem(RBP, _FLAG[op.attr]), GPR[h], 8))
            self.buf += code
            return
        self.load(v, RAX)
        self.buf += _SETF_CODE.get(op.attr) or self._state_code("setf", op.attr)

    # arithmetic
    def _alu(self, i, op, name: str, commutative: bool, flags: bool = False) -> None:
        """add/sub/and/or/xor straight into the result's register when it has one
        (``mov d, a; op d, b``, with b a register, an immediate or a spilled value). With
        ``flags`` the op always runs (its x86 flags are the guest's); else ``x op 0`` is the
        mov alone."""
        d = self.loc[i]
        if d < 0:
            self._binop(i, op, _T[name])
            return
        a, b = op.args
        loc = self.loc
        hb = loc[b.index] if b.__class__ is Ref else IN_SLOT
        if hb == d:
            if not commutative:
                # d = a - d: computed in eax (which keeps the sub's flags), then moved
                ha = loc[a.index] if a.__class__ is Ref else IN_SLOT
                if ha >= 0:
                    self.buf += _MOV32[RAX, ha]
                else:
                    self.load(a, RAX)
                self.buf += _alu_rr(name, RAX, hb)
                self.buf += _MOV32[d, RAX]
                return
            a, b = b, a
            hb = loc[b.index] if b.__class__ is Ref else IN_SLOT
        buf = self.buf
        ha = loc[a.index] if a.__class__ is Ref else IN_SLOT
        if ha != d:
            if ha >= 0:
                buf += _MOV32[d, ha]
            else:
                self.load(a, d)
        if hb >= 0:
            buf += _alu_rr(name, d, hb)
        elif b.__class__ is Const and b.value & MASK32 == 0 and name != "and" and not flags:
            pass                               # x op 0 = x: the mov above is all
        elif b.__class__ is Const:
            key = (name, d)
            code = _MEMO.get(key)
            if code is None:
                code = _MEMO[key] = _enc_prefix(
                    lambda x: getattr(x, _ALU_METHOD[name])(GPR[d], 0x12345678))
            buf += code
            buf += _U32(b.value & MASK32)
        else:
            self.load(b, RCX)
            buf += _alu_rr(name, d, RCX)

    def _binop(self, i, op, code):
        """eax = args[0], ecx = args[1], ``code`` (bytes, or an assembler method called as
        code(RAX, RCX)), result from eax."""
        args = op.args
        self.load(args[0], RAX)
        self.load(args[1], RCX)
        if code.__class__ is bytes:
            self.buf += code
        else:
            code(RAX, RCX)
        self.store(i)

    def _ternop(self, i, op, code: bytes):
        """eax, ecx, edx = args, code, result from eax."""
        args = op.args
        self.load(args[0], RAX)
        self.load(args[1], RCX)
        self.load(args[2], RDX)
        self.buf += code
        self.store(i)

    def _unop(self, i, op, code: bytes):
        self.load(op.args[0], RAX)
        self.buf += code
        self.store(i)

    def _inplace(self, i, arg, key, build) -> bool:
        """``d = arg; op d`` on the result's register d (False when it has none): ``build(asm,
        d)`` encodes the op (memoized under ``key + (d,)``)."""
        d = self.loc[i]
        if d < 0:
            return False
        h = self.loc[arg.index] if arg.__class__ is Ref else IN_SLOT
        buf = self.buf
        if h != d:
            if h >= 0:
                buf += _MOV32[d, h]
            else:
                self.load(arg, d)
        key = key + (d,)
        code = _MEMO.get(key)
        if code is None:
            code = _memo(key, lambda a: build(a, GPR[d]))
        buf += code
        return True

    def _held(self, x, scratch: int) -> int:
        """The register holding operand x: its own, else ``scratch`` with x loaded into it."""
        h = self.home(x)
        if h is None:
            self.load(x, scratch)
            h = scratch
        return h

    def _operand_and_dest(self, i, x) -> tuple[int, int, int]:
        """(the register holding operand x, loaded into eax when it has none; value i's
        location; the register to compute value i in: its own, else eax)."""
        d = self.loc[i]
        return self._held(x, RAX), d, d if d >= 0 else RAX

    def _lea(self, i, x, y, disp: int) -> None:
        """Value i = x + y + disp (y a value or None) with one 32-bit lea, which wraps as
        the guest's arithmetic does and leaves the x86 flags alone (host-flag fusion)."""
        hx, d, dst = self._operand_and_dest(i, x)
        buf = self.buf
        if y is not None:
            hy = self._held(y, RCX)
            key = ("lea", dst, hx, hy)
            code = _MEMO.get(key)
            if code is None:
                code = _memo(key, lambda a: a.lea(GPR[dst], mem(GPR[hx], 0, GPR[hy])))
            buf += code
        elif not disp:
            if hx != dst:
                buf += _MOV32[dst, hx]
        else:
            self._lea_disp(dst, hx, disp)
        if d < 0:
            self.store(i)

    def _lea_disp(self, dst: int, hx: int, disp: int) -> None:
        """lea dst, [hx + disp] (32-bit: wraps like the guest's arithmetic)."""
        disp = ((disp + 0x80000000) & MASK32) - 0x80000000
        small = -128 <= disp < 128
        key = ("leai8" if small else "leai", dst, hx)
        code = _MEMO.get(key)
        if code is None:
            code = _MEMO[key] = _enc_prefix(
                lambda a: a.lea(GPR[dst], mem(GPR[hx], 0x7F if small else 0x12345678)),
                1 if small else 4)
        buf = self.buf
        buf += code
        buf += _S8(disp) if small else _S32(disp)

    def op_Add(self, i, op, labels):
        a, b = op.args
        if a.__class__ is Const:
            a, b = b, a
        if a.__class__ is Const:
            self._lea(i, Const((a.value + b.value) & MASK32), None, 0)
        elif b.__class__ is Const:
            self._lea(i, a, None, b.value)
        else:
            self._lea(i, a, b, 0)

    def op_Sub(self, i, op, labels):
        a, b = op.args
        if b.__class__ is Const and a.__class__ is not Const:
            self._lea(i, a, None, -b.value)
        elif a.__class__ is Const and self._hf is not None:
            self._rsb_const(i, a.value, b)
        else:
            self._end_hf()                      # (a sub changes the x86 flags)
            self._alu(i, op, "sub", False)

    def _rsb_const(self, i, c: int, x) -> None:
        """Value i = c - x as ~x + (c + 1): a not and a lea, which leave the x86 flags alone,
        so fusion outlives a reverse subtract under a condition (cmp; rsble r0, r0, #0;
        rsbgt r0, r0, #1 of a comparison function)."""
        d = self.loc[i]
        if not self._inplace(i, x, ("not",), _asm_not):
            self.load(x, RAX)                   # (no register of its own: in eax, stored)
            self.buf += _T["not"]
        dst = d if d >= 0 else RAX
        if (c + 1) & MASK32:
            self._lea_disp(dst, dst, c + 1)
        if d < 0:
            self.store(i)

    def op_And(self, i, op, labels):
        self._alu(i, op, "and", True)

    def op_Or(self, i, op, labels):
        self._alu(i, op, "or", True)

    def op_Xor(self, i, op, labels):
        self._alu(i, op, "xor", True)

    def op_Mul(self, i, op, labels):
        self._binop(i, op, _T["imul"])

    def op_AndNot(self, i, op, labels):
        self._binop(i, op, _T["andnot"])

    def _sets_flags(self, i: int, attr: str, cc_table: tuple, setcc: dict) -> None:
        """Op i just set the x86 flags to the guest flags in ``attr``: fusion on them
        (``cc_table``: a _*_CC table), and those flag bytes owed (stored by ``setcc``, a
        _SETCC_* table) until optimize's flags_end says nothing reads them any more."""
        self._hf = (i, cc_table)
        self._owe = (attr, setcc)
        self._owe_end = self._fend.get(i, 1 << 30)

    def op_AddCFlags(self, i, op, labels):
        """a + b + cin with one add/adc (on the result's register when there is no carry in,
        else in eax), each flag in attr set straight from the x86 flags (SF, ZF, CF, OF are
        ARM's N, Z, C, V for a + b + cin)."""
        x, y, cin = op.args
        if cin.__class__ is Const and not cin.value & 1:
            # add d, b (adds r4, r4, #1: add ebx, 1)
            self._alu(i, Op("Add", (x, y)), "add", True, flags=True)
            self._sets_flags(i, op.attr, _ADD_CC, _SETCC_FLAG)
            return
        self.load(x, RAX)
        self.load(y, RCX)
        buf = self.buf
        if cin.__class__ is Const:
            buf += _T["adc1"] if cin.value & 1 else _T["add"]
        else:
            self.load(cin, RDX)
            buf += _T["bt_edx0_adc"]
        self.store(i)                      # a mov: the flags stay
        self._sets_flags(i, op.attr, _ADD_CC, _SETCC_FLAG)

    def op_SubFlags(self, i, op, labels):
        """a - b with sub (cmp when only the flags are wanted and a is in a register); the
        flags in attr set straight from the x86 flags (C is NOT borrow: setae)."""
        x, y = op.args
        buf = self.buf
        if self.loc[i] == NOWHERE:             # CMP: flags only
            hx = self._held(x, RAX)
            if y.__class__ is Const:
                key = ("cmpi", hx)
                code = _MEMO.get(key)
                if code is None:
                    code = _MEMO[key] = _enc_prefix(lambda a: a.cmp(GPR[hx], 0x12345678))
                buf += code
                buf += _U32(y.value & MASK32)
            else:
                hy = self._held(y, RCX)
                key = ("cmp", hx, hy)
                code = _MEMO.get(key)
                if code is None:
                    code = _memo(key, lambda a: a.cmp(GPR[hx], GPR[hy]))
                buf += code
        else:
            # ends with the sub (or a mov after it)
            self._alu(i, op, "sub", False, flags=True)
        self._sets_flags(i, op.attr, _SUB_CC, _SETCC_SUB)

    def op_SetNZ(self, i, op, labels):
        v = op.args[0]
        h = self._held(v, RAX)
        self.buf += _TEST_SELF[h]
        self._sets_flags(i, op.attr, _NZ_CC, _SETCC_FLAG)

    def op_AddC(self, i, op, labels):
        """a + b + cin (no flags: flag-setting arithmetic is AddCFlags) with leas, which leave
        the x86 flags alone: fusion outlives an ADC (the divide ladder's cmp; adc; subcs)."""
        a, b, cin = op.args
        if cin.__class__ is Const and not cin.value & 1:
            self.op_Add(i, Op("Add", (a, b)), labels)
            return
        if a.__class__ is Const:
            a, b = b, a
        if b.__class__ is Const and a.__class__ is not Const:
            # a + k + cin (adc r6, r6, #0 of a 64-bit add): lea dst, [cin + a + k]
            ha, d, dst = self._operand_and_dest(i, a)
            hc = self._held(cin, RDX)
            k = ((b.value + 0x80000000) & MASK32) - 0x80000000
            key = ("leak", dst, hc, ha)
            code = _MEMO.get(key)
            if code is None:
                code = _MEMO[key] = _enc_prefix(
                    lambda x: x.lea(GPR[dst], mem(GPR[hc], 0x12345678, GPR[ha])))
            buf = self.buf
            buf += code
            buf += _S32(k)
            if d < 0:
                self.store(i)
            return
        ha, d, dst = self._operand_and_dest(i, a)
        hb = ha if b == a else self._held(b, RCX)
        hc = self._held(cin, RDX)
        if ha == hb:                            # a + a + cin: one lea
            key = ("lea2", dst, hc, ha)
            code = _MEMO.get(key)
            if code is None:
                code = _memo(key, lambda x: x.lea(GPR[dst], mem(GPR[hc], 0, GPR[ha], 2)))
        else:
            # lea dst, [p + q]; lea dst, [dst + r], r's register not the one the first
            # lea overwrites.
            p, q, r = (ha, hb, hc) if hc != dst else (hc, ha, hb) if hb != dst else \
                (hc, hb, ha)
            key = ("lea3", dst, p, q, r)
            code = _MEMO.get(key)
            if code is None:
                code = _memo(key, lambda x: (x.lea(GPR[dst], mem(GPR[p], 0, GPR[q])),
                                             x.lea(GPR[dst], mem(GPR[dst], 0, GPR[r]))))
        self.buf += code
        if d < 0:
            self.store(i)

    def op_Not(self, i, op, labels):
        if not self._inplace(i, op.args[0], ("not",), _asm_not):
            self._unop(i, op, _T["not"])

    def op_Neg(self, i, op, labels):
        if not self._inplace(i, op.args[0], ("neg",), lambda a, d: a.neg(d)):
            self._unop(i, op, _T["neg"])

    def _mulhi(self, i, op, signed):
        self.load(op.args[0], RAX)
        self.load(op.args[1], RCX)
        self.buf += _T["mulhis" if signed else "mulhiu"]
        self.store(i, RDX)

    def op_MulHiU(self, i, op, labels):
        self._mulhi(i, op, False)

    def op_MulHiS(self, i, op, labels):
        self._mulhi(i, op, True)

    def op_UDiv(self, i, op, labels):
        a = self.asm
        self.load(op.args[0], RAX)
        self.load(op.args[1], RCX)
        done, zero = a.label(), a.label()
        a.test(RCX, RCX)
        a.jcc(CC.E, zero)
        a.xor(RDX, RDX)
        a.div(RCX)
        a.jmp(done)
        a.bind(zero)
        a.xor(RAX, RAX)                    # ARM: division by zero gives 0
        a.bind(done)
        self.store(i)

    def op_SDiv(self, i, op, labels):
        a = self.asm
        self.load(op.args[0], RAX)
        self.load(op.args[1], RCX)
        done, zero, normal = a.label(), a.label(), a.label()
        a.test(RCX, RCX)
        a.jcc(CC.E, zero)
        a.cmp(RCX, -1)
        a.jcc(CC.NE, normal)
        a.neg(RAX)                          # x / -1 = -x (INT_MIN stays INT_MIN, no #DE)
        a.jmp(done)
        a.bind(normal)
        a.cdq()
        a.idiv(RCX)
        a.jmp(done)
        a.bind(zero)
        a.xor(RAX, RAX)
        a.bind(done)
        self.store(i)

    def _shift(self, i, op, kind):
        """ARM shifts by a register amount: bottom byte, 32 and above handled."""
        a = self.asm
        n = op.args[1]
        if kind == "shl" and n.__class__ is Const and 0 < n.value < 4:
            # A scaled index (ldr r3, [r3, r0, lsl #2]): one lea, which leaves the x86
            # flags alone (a CMP's stay fused and owed: Lsl is in _HF_KEEP).
            hx, d, dst = self._operand_and_dest(i, op.args[0])
            k = n.value
            key = ("leashl", dst, hx, k)
            code = _MEMO.get(key)
            if code is None:
                code = _memo(key, lambda a: a.lea(GPR[dst], mem(
                    GPR[hx], 0, GPR[hx], 1) if k == 1 else mem(None, 0, GPR[hx], 1 << k)))
            self.buf += code
            if d < 0:
                self.store(i)
            return
        if kind == "shl":
            self._end_hf()                      # (a shl changes the x86 flags)
        if n.__class__ is Const:
            k = n.value & 0xFF
            if kind == "ror" or k < 32:
                k &= 31
                if k == 0:
                    if self._inplace(i, op.args[0], ("nop",), lambda a, d: None):
                        return
                elif self._inplace(i, op.args[0], (kind, k),
                                   lambda a, d: getattr(a, kind)(d, k)):
                    return
        self.load(op.args[0], RAX)
        if n.__class__ is Const:
            k = n.value & 0xFF
            if kind == "ror":
                self.buf += _SHIFT_IMM["ror"][k & 31]
            elif k >= 32:
                if kind == "sar":
                    self.buf += _SHIFT_IMM["sar"][31]
                else:
                    a.xor(RAX, RAX)
            else:
                self.buf += _SHIFT_IMM[kind][k]
            self.store(i)
            return
        self.load(n, RCX)
        a.and_(RCX, 0xFF)
        if kind == "ror":
            a.ror(RAX, RCX)
        elif kind == "sar":
            a.mov(RDX, 31)
            a.cmp(RCX, 32)
            a.cmovcc(CC.AE, RCX, RDX)
            a.sar(RAX, RCX)
        else:
            a.xor(RDX, RDX)
            getattr(a, kind)(RAX, RCX)
            a.cmp(RCX, 32)
            a.cmovcc(CC.AE, RAX, RDX)
        self.store(i)

    def op_Lsl(self, i, op, labels):
        self._shift(i, op, "shl")

    def op_Lsr(self, i, op, labels):
        self._shift(i, op, "shr")

    def op_Asr(self, i, op, labels):
        self._shift(i, op, "sar")

    def op_Ror(self, i, op, labels):
        self._shift(i, op, "ror")

    def op_Clz(self, i, op, labels):
        a = self.asm
        self.load(op.args[0], RAX)
        a.mov(RCX, 63)
        a.bsr(RAX, RAX)
        a.cmovcc(CC.E, RAX, RCX)
        a.xor(RAX, 31)
        self.store(i)

    def op_Rev(self, i, op, labels):
        self.load(op.args[0], RAX)
        self.asm.bswap(RAX)
        self.store(i)

    def op_Rev16(self, i, op, labels):
        a = self.asm
        self.load(op.args[0], RAX)
        a.mov(RCX, RAX)
        a.shr(RCX, 8)
        a.and_(RCX, 0x00FF00FF)
        a.shl(RAX, 8)
        a.and_(RAX, 0xFF00FF00)
        a.or_(RAX, RCX)
        self.store(i)

    def _ext(self, i, op, signed, w):
        if not self._inplace(i, op.args[0], ("ext", signed, w),
                             lambda a, d: (a.movsx if signed else a.movzx)(d, d, 32, w)):
            self._unop(i, op, _EXT[signed, w])

    def op_ZeroExt8(self, i, op, labels):
        self._ext(i, op, False, 8)

    def op_ZeroExt16(self, i, op, labels):
        self._ext(i, op, False, 16)

    def op_SignExt8(self, i, op, labels):
        self._ext(i, op, True, 8)

    def op_SignExt16(self, i, op, labels):
        self._ext(i, op, True, 16)

    # flag helpers
    def op_CarryAdd(self, i, op, labels):
        # 32-bit loads zero-extend into the 64-bit registers: add in 64 bits, take bit 32
        self._ternop(i, op, _T["carryadd"])

    def op_OverflowAdd(self, i, op, labels):
        self._ternop(i, op, _T["overflowadd"])

    def op_IsZero(self, i, op, labels):
        self.load(op.args[0], RCX)
        self.buf += _T["iszero"]
        self.store(i)

    def op_Msb(self, i, op, labels):
        self._unop(i, op, _T["msb"])

    def op_Bit(self, i, op, labels):
        n = op.attr
        if 0 <= n < 32:
            self._unop(i, op, _BIT[n])
        else:
            self.load(op.args[0], RAX)
            self.asm.shr(RAX, n)
            self.asm.and_(RAX, 1)
            self.store(i)

    def _fused_cc(self, cond: int):
        """The x86 condition for ARM ``cond`` on the live x86 flags (None: test the flag
        bytes, which changes the x86 flags: fusion ends)."""
        hf = self._hf
        if hf is not None:
            cc = hf[1][cond]
            if cc is not None:
                return cc
            self._end_hf()                      # (the flag bytes are tested instead)
        return None

    def _cond_cc(self, cond: int):
        """The x86 condition that holds exactly when ARM ``cond`` does: on the live x86
        flags (fusion), else after a test of the flag bytes emitted here."""
        cc = self._fused_cc(cond)
        if cc is None:
            test, cc = _COND_TEST[cond]
            self.buf += test
        return cc

    def op_CondHolds(self, i, op, labels):
        nxt = i + 1
        ops = self._block_ops
        if nxt < len(ops) and self._last[i] == nxt:
            sel = ops[nxt]
            c = sel.args[0] if sel.opcode == "Select" else None
            if c.__class__ is Ref and c.index == i and self._keep_op(nxt):
                # The condition only picks the next operation's value (an if-converted
                # instruction): one cmov on the flags, the condition never a value.
                self._cmov(nxt, sel, self._cond_cc(op.attr))
                return
        cc = self._cond_cc(op.attr)
        if self._hf is None:
            # The flag bytes were tested: the x86 flags now hold this condition (for a
            # Select of it: _cmov).
            self._hf = (i, _ONLY_CC[op.attr])
        self.buf += _SETCC_EAX[cc]
        self.store(i)

    def _keep_op(self, j: int) -> bool:
        keep = self._keep
        return keep is None or keep[j]

    def _cmov(self, j: int, sel, cc: int) -> None:
        """Value j = Select(c, a, b) as ``mov eax, b; cmov<cc> eax, a`` where the x86 flags
        hold c as ``cc`` (the moves leave them alone)."""
        self._done = j
        a, b = sel.args[1], sel.args[2]
        h = self.loc[j]
        if h >= 0:
            # Straight into the result's register (which may be an operand's: a result
            # reuses a register its operand's last use frees).
            ha, hb = self.home(a), self.home(b)
            if ha == h:                       # h = a already: take b unless cc
                cc ^= 1
                a, ha, hb = b, hb, ha
            elif hb != h:
                self.load(b, h)
            if ha is None:
                self.load(a, RCX)
                ha = RCX
            key = cc << 8 | h << 4 | ha
            code = _CMOV.get(key)
            if code is None:
                code = _CMOV[key] = _memo(("cmov", int(cc), int(h), int(ha)),
                                          lambda x: x.cmovcc(cc, GPR[h], GPR[ha]))
            self.buf += code
            return
        self.load(a, RCX)
        self.load(b, RAX)
        self.buf += _CMOV_EAX_ECX[cc]
        self.store(j)

    def op_Select(self, i, op, labels):
        if self._done == i:                 # (emitted with its CondHolds: _cmov)
            return
        c = op.args[0]
        if c.__class__ is Ref:
            cop = self._block_ops[c.index]
            if cop.opcode == "CondHolds":
                cc = self._fused_cc(cop.attr)
                if cc is not None:          # the x86 flags still hold the condition
                    self._cmov(i, op, cc)
                    return
        self._end_hf()                      # (the test below changes the x86 flags)
        args = op.args
        self.load(args[1], RAX)
        self.load(args[2], RCX)
        self.load(args[0], RDX)
        self.buf += _T["select"]
        self.store(i)

    # memory
    def _access(self, op, size: int, perm: int) -> int:
        """The register holding a memory op's address (operand + displacement, a 32-bit
        ``lea`` into eax: it wraps as the guest's address does), checked.

        With ``mmu_checks`` the host MMU checks it: a marker goes right before the access
        (hostfault.py), and its stub is emitted by ``_mmu_stubs``. Otherwise the check
        faults unless every byte of the access is on a page with ``perm``. A 2-8 byte
        access probes one byte: the table's "this page and the next" bit (perm << 2); only
        when that is clear does a stub out of line (_fault_stubs) check the pages exactly
        (the last page of a mapping, or a real fault). Accesses of one guest instruction to
        one base value share the first one's probe, in one instruction (LDM/STM/PUSH/POP,
        LDRD/STRD, VLDM/VSTM...) or across instructions (a frame's words at sp + k): it
        covers 4 KiB from its address, so the others, up to 4 KiB above it, need no check of
        their own. That stub then checks the pages of the whole span; when one lacks the
        permission the first instruction is left to the interpreter (which faults at the
        exact byte) and the guest goes on from the next one (a block of its own, checked
        afresh). A probe inside a conditional region covers nothing after its label."""
        pc, disp, seq = op.attr
        a = op.args[0]
        if a.__class__ is Ref:
            base = a.index
            ra = self.loc[base]
            if ra < 0:
                self.load(a, RAX)
                ra = RAX
        else:
            base = -1 - a.value
            self.load(a, RAX)
            ra = RAX
        buf = self.buf
        if disp:
            if -128 <= disp < 128:
                buf += _LEA8[ra]
                buf += _S8(disp)
            else:
                buf += _LEA32[ra]
                buf += _S32(disp)
            ra = RAX
        if seq is not None and self.mmu_checks:
            # The access right after this marker faults to its stub (hostfault.py).
            buf += _MMU_MARKER
            self._mmu.append((len(buf) - 4, pc, seq, self._owe))
            return ra
        self._end_hf()                      # (the probe changes the x86 flags)
        key = base << 4 | perm
        grp = self._grps.get(key)
        if grp is not None:
            entry = grp[1]
            span = disp + size - grp[0]
            if disp >= grp[0] and span <= 4096:     # (one page, the probe covers two)
                if span > entry[6]:
                    entry[6] = span
                return ra
        mask = perm if size == 1 else perm << 2
        code = _PROBE.get(ra << 4 | mask)
        if code is None:
            code = _PROBE[ra << 4 | mask] = _memo(("probe", ra, mask), lambda a: (
                a.mov(RDX, GPR[ra]), a.shr(RDX, 12), a.add(RDX, _PERMS, 64),
                a.test(mem(RDX), mask, 8)))
        buf += code
        buf += _JE_REL32                   # to the stub: patched in terminal()
        entry = [len(buf) - 4, ra, size, perm, pc, seq, size]
        self._cold.append(entry)
        # (a 2-8 byte probe covers two pages; with seq None the interpreter could not rerun
        # the instruction alone)
        if seq is not None and size > 1:
            self._grps[key] = (disp, entry)
        return ra

    def _fault_stubs(self) -> None:
        """One stub per access, out of line: for a 2-8 byte access the exact two-page check,
        which jumps back to the access when both pages allow it; then the instruction is
        left to the interpreter, or without a ``seq`` (hand-built IR) the fault exit
        (eax = the address, exit_pc = the instruction), which joins a tail shared by the
        block."""
        buf = self.buf
        common = None
        for at, reg, size, perm, pc, seq, span in self._cold:
            _S32_INTO(buf, at, len(buf) - at - 4)
            if span > 1:                # (span > size: the probe is shared, see _access)
                key = ("check2", reg, span, perm)
                code = _MEMO.get(key)
                if code is None:
                    code = _MEMO[key] = _cold_check(GPR[reg], span, perm)
                buf += code
                end = len(buf)
                _S32_INTO(buf, end - 4, at + 4 - end)        # back to the access
            if seq is not None:
                # A page lacks the permission: the interpreter runs the instruction (and
                # faults at its first bad byte, as with the host MMU's checks).
                self._rerun(pc, seq)
                continue
            key = ("fault", reg)
            code = _MEMO.get(key)
            if code is None:
                code = _MEMO[key] = _fault_exit(GPR[reg])
            if common is None:
                start = len(buf)
                buf += b"\xeb\0"                       # (jmp short over the tail)
                common = len(buf)
                buf += _T["fault_tail"]
                self.asm.jmp_abs(self.epilogue)
                buf[start + 1] = len(buf) - common
            buf += code
            end = len(buf)
            _U32_INTO(buf, end - 9, pc & 0xFFFFFFFF)
            _S32_INTO(buf, end - 4, common - end)

    def _mmu_stubs(self) -> None:
        """Where an access the host MMU checks resumes when it faults: the flag bytes still
        owed (the x86 flags are as at the access), then the interpreter runs its instruction
        (which faults at the exact address). Every lifter reads and writes all its memory
        before it writes any register (write-back last), and a store made before the fault
        is made again with the same value, so the instruction runs afresh on the state it
        started from."""
        buf = self.buf
        for at, pc, seq, owe in self._mmu:
            _S32_INTO(buf, at, len(buf) - at - 4)
            if owe is not None:
                _store_flags(buf, owe)
            self._rerun(pc, seq)

    def _rerun(self, pc: int, seq: int) -> None:
        """Leave the instruction at ``pc`` (the block's ``seq``-th, not counted as run here)
        to the interpreter: in an IT block, with its ITSTATE. The exit itself is shared by
        the block's stubs (the first one's, which the others jump to). state.thumb is the
        block's mode already (native code keeps it so)."""
        buf = self.buf
        buf += _uncount(self._guest_insns - seq)
        buf += _SET_PC
        buf += _U32(pc & 0xFFFFFFFF)
        its = self._itstates
        if its:
            it = its.get(seq)
            if it:
                buf += _SET_IT
                buf.append(it)
        tail = self._rerun_tail
        if tail is None:
            self._rerun_tail = len(buf)
            self._exit(EXIT_FALLBACK)
        else:
            buf += b"\xe9"
            buf += _S32(tail - len(buf) - 4)

    def _load(self, i, op, size, signed):
        ra = self._access(op, size, PERM_R)
        d = self.loc[i]
        signed = signed and size < 4
        if ra == RAX and d < 0:
            self.buf += _LDMEM[size, signed]
            self.store(i)
            return
        dst = d if d >= 0 else RAX
        k = ((size << 1 | signed) << 4 | dst) << 4 | ra
        code = _LDST.get(k)
        if code is None:
            def ld(a):
                if size == 4:
                    a.mov(GPR[dst], mem(R15, 0, GPR[ra]))
                else:
                    (a.movsx if signed else a.movzx)(GPR[dst], mem(R15, 0, GPR[ra]), 32,
                                                      size * 8)
            code = _LDST[k] = _memo(("ld", size, signed, dst, ra), ld)
        self.buf += code
        if d < 0:
            self.store(i)

    def op_Load8(self, i, op, labels):
        self._load(i, op, 1, False)

    def op_Load16(self, i, op, labels):
        self._load(i, op, 2, False)

    def op_Load32(self, i, op, labels):
        self._load(i, op, 4, False)

    def op_Load8S(self, i, op, labels):
        self._load(i, op, 1, True)

    def op_Load16S(self, i, op, labels):
        self._load(i, op, 2, True)

    def _store(self, i, op, size):
        v = op.args[1]
        hv = self.loc[v.index] if v.__class__ is Ref else IN_SLOT
        if hv < 0:
            self.load(v, RCX)               # (first: the store must follow _access's marker)
            hv = RCX
        ra = self._access(op, size, PERM_W)
        if ra == RAX and hv == RCX:
            self.buf += _STMEM[size]
            return
        k = -((size << 4 | ra) << 4 | hv) - 1           # (negative: apart from the loads)
        code = _LDST.get(k)
        if code is None:
            code = _LDST[k] = _memo(("st", size, ra, hv),
                                    lambda a: a.mov(mem(R15, 0, GPR[ra]), GPR[hv], size * 8))
        self.buf += code

    def op_Store8(self, i, op, labels):
        self._store(i, op, 1)

    def op_Store16(self, i, op, labels):
        self._store(i, op, 2)

    def op_Store32(self, i, op, labels):
        self._store(i, op, 4)

    def op_AlignCheck(self, i, op, labels):
        pc, mask = op.attr
        self.load(op.args[0], RAX)
        buf = self.buf
        buf += _T["test_eax_imm"]
        buf += _U32(mask)
        buf += _JNE_REL32                  # to the alignment-fault exit: patched in terminal()
        self._align.setdefault(pc, []).append(len(buf) - 4)

    # control inside the block
    def op_SkipUnless(self, i, op, labels):
        cond, lab = op.attr
        if cond == 14:
            return
        a = self.asm
        cc = self._cond_cc(cond)                # (unfused, owed flags are stored first)
        # How the x86 flags map to the guest's as the jump leaves them: the paths that meet
        # at the label keep fusion when they map them alike (each path's flags are its own
        # last CMP's: cmp; it ne; cmpne r6, #0; bne).
        t = self._hf[1] if self._hf is not None else None
        # The jump goes to a pad of its own, placed at the label when the paths that meet
        # there owe the same flag bytes (they stay owed: the conditional compare's first CMP
        # is never stored when the second overwrites it), else out of line, where it stores
        # what this path owes (op_Label).
        pad = a.label()
        a.jcc(cc ^ 1, pad)                      # (x86 conditions invert with their low bit)
        self._lab_jumps.setdefault(lab, []).append((pad, self._owe, t))

    def op_ExitIf(self, i, op, labels):
        """A side exit: when the condition holds, jump to an out-of-line link (emitted after
        the terminal, see ``_side_exits``) that first takes back from the instruction count
        the block's instructions that did not run. Flag bytes still owed are stored there,
        from the x86 flags the jump leaves alone: the path that stays owes them on."""
        cond, link, done = op.attr
        buf = self.buf
        cc = self._cond_cc(cond)                # (unfused, owed flags are stored first)
        buf += _JCC_REL32[cc]
        self._side.append((len(buf) - 4, link, self._guest_insns - done, self._owe))

    def op_ExitIfZero(self, i, op, labels):
        """ExitIf on a value: taken when (value == 0) == attr[0] (CBZ / CBNZ)."""
        zero, link, done = op.attr
        v = op.args[0]
        h = self._held(v, RAX)
        buf = self.buf
        buf += _TEST_SELF[h]
        buf += _JE_REL32 if zero else _JNE_REL32
        self._side.append((len(buf) - 4, link, self._guest_insns - done, None))

    def _side_exits(self, out: Emitted) -> None:
        buf = self.buf
        for at, link, not_run, owe in self._side:
            _S32_INTO(buf, at, len(buf) - at - 4)
            if owe is not None:
                _store_flags(buf, owe)
            if not_run:
                buf += _uncount(not_run)
            self._link(link, out)

    def op_Label(self, i, op, labels):
        a = self.asm
        jumps = self._lab_jumps.pop(op.attr, ())
        t = self._hf[1] if self._hf is not None else None
        fused = all(tj is t for _, _, tj in jumps)
        owe = self._owe
        # Flag bytes stay owed past the label when every path owes the same ones and maps
        # the x86 flags alike; else each path stores its own (the jumps in out-of-line pads).
        keep = owe is not None and fused and all(o is not None and o[0] == owe[0]
                                                 and o[1] is owe[1] for _, o, _ in jumps)
        if owe is not None and not keep:
            self._owed_flags()
        if self._grps:
            self._grps.clear()                  # (a probe in the region may not have run)
        label = labels.setdefault(op.attr, a.label())
        a.bind(label)
        for pad, o, _ in jumps:
            if o is None or keep:
                a.bind(pad)
            else:
                self._pads.append((pad, o, label))
        if not fused:
            self._hf = None                     # the paths that meet here differ

    def _flag_pads(self) -> None:
        """The out-of-line pads of jumps to a label that owed flag bytes the other paths
        did not: store them (the x86 flags are still the jump's), then on to the label."""
        a = self.asm
        for pad, owe, label in self._pads:
            a.bind(pad)
            _store_flags(self.buf, owe)
            a.jmp(label)

    # ---- leaving the block ------------------------------------------------------------------
    def _exit(self, reason: int) -> None:
        self.buf += _MOVI[RAX]
        self.buf += _U32(reason)
        self.asm.jmp_abs(self.epilogue)

    def _set_pc(self, pc: int, thumb: bool) -> None:
        buf = self.buf
        buf += _T["set_pc"]
        buf += _U32(pc & 0xFFFFFFFF)
        buf += _T["thumb1" if thumb else "thumb0"]

    def _link(self, link: Link, out: Emitted) -> None:
        """A chained jump. The guest PC is stored only on the paths that leave to Python
        (the pending-signal stub, the not-yet-chained fall-through): native code never reads
        it. The Thumb bit is stored only when it changes (native code keeps state.thumb equal
        to the running block's, which the indirect-branch lookup relies on)."""
        buf = self.buf
        if link.thumb != self._thumb:
            buf += _T["thumb1" if link.thumb else "thumb0"]
        buf += _T["pending"]
        buf += _JNE_REL32
        self._pending_pc.append((len(buf) - 4, link.pc))
        buf += self._count_link
        key = (link.pc, link.thumb)
        site = self.new_site(key)
        buf += b"\xe9\0\0\0\0"          # jmp to the next instruction: re-targeted to the
        out.sites.append((len(buf) - 4, site, key))   # block once it exists
        buf += _T["set_pc"]
        buf += _U32(link.pc & 0xFFFFFFFF)
        buf += _T["exit_info"]
        buf += _U32(site)
        self._exit(EXIT_LINK_MISS)

    def _bind_pending(self) -> None:
        buf = self.buf
        for f, pc in self._pending_pc:           # set the PC, then the shared pending exit
            _S32_INTO(buf, f, len(buf) - f - 4)
            buf += _T["set_pc"]
            buf += _U32(pc & 0xFFFFFFFF)
            buf += b"\xe9\0\0\0\0"
            self._pending.append(len(buf) - 4)
        here = len(buf)
        for f in self._pending:
            _S32_INTO(buf, f, here - f - 4)
        self._exit(EXIT_PENDING)

    def terminal(self, block: Block, out: Emitted) -> None:
        a = self.asm
        t = block.terminal
        if self._owe is not None:
            self._owed_flags()
        self._pending: list[int] = []          # rel32 fields of jumps to the pending exit
        self._pending_pc: list[tuple[int, int]] = []   # (rel32 field, guest pc) of links
        self._thumb = block.thumb
        pending_used = True
        if isinstance(t, Link):
            self._link(t, out)
        elif isinstance(t, LinkCond):
            buf = self.buf
            cc = self._cond_cc(t.cond)
            buf += _JCC_REL32[cc ^ 1]
            not_taken = len(buf) - 4
            self._link(t.taken, out)
            _S32_INTO(buf, not_taken, len(buf) - not_taken - 4)
            self._link(t.not_taken, out)
        elif isinstance(t, Indirect):
            self._indirect(t)
            pending_used = False
        elif isinstance(t, Syscall):
            self._set_pc(t.next_pc, t.thumb)
            self._exit(EXIT_SYSCALL)
            pending_used = False
        elif isinstance(t, Fallback):
            self._set_pc(t.pc, t.thumb)
            self._exit(EXIT_FALLBACK)
            pending_used = False
        elif isinstance(t, Halt):
            self._set_pc(t.pc, block.thumb)
            a.mov(mem(RBP, OFFSETS["exit_info"]), HALT_REASONS.get(t.reason, 0))
            self._exit(EXIT_HALT)
            pending_used = False
        else:
            raise TypeError(f"unknown terminal {t!r}")
        if self._pads:
            self._flag_pads()
        if self._side:
            self._side_exits(out)
            pending_used = True
        if pending_used:
            self._bind_pending()
        if self._cold:
            self._fault_stubs()
        if self._mmu:
            self._mmu_stubs()
        if self._align:
            self._fault_exits(self._align, _T["align_tail"])

    def _fault_exits(self, sites: dict[int, list[int]], tail: bytes) -> None:
        """One exit per faulting instruction (it sets exit_pc), all sharing one ``tail`` that
        records the address (in eax) and leaves with the exit reason."""
        buf = self.buf
        common = len(buf)
        buf += tail
        self.asm.jmp_abs(self.epilogue)
        for pc, fixups in sites.items():
            here = len(buf)
            for f in fixups:
                _S32_INTO(buf, f, here - f - 4)
            buf += _T["exit_pc"]
            buf += _U32(pc & 0xFFFFFFFF)
            buf += b"\xe9"
            buf += _S32(common - len(buf) - 4)

    def _indirect(self, t: Indirect) -> None:
        """Set the PC from a value (BX-style interworking when asked), then look the target
        up in the native table at r13; only a miss returns to Python."""
        self.load(t.target, RAX)
        buf = self.buf
        # The table's key is the target as it is (pc | thumb): a hit stores only the mode
        # (which every exit relies on) and jumps on (the block it enters knows its PC); the
        # PC is set only on the way out, after a miss or for a pending signal.
        set_pc = _IND_SET_PC_THUMB
        if t.interwork:
            buf += _IND_SET_THUMB
        elif self._thumb:               # (the mode stays: the key needs its bit)
            buf += _T["or1"]
        else:
            set_pc = _IND_SET_PC
        buf += _T["pending"]
        buf += _JNE_REL32
        pending = len(buf) - 4
        buf += self._count_lookup
        buf += _IND_LOOKUP
        buf += set_pc
        self._exit(EXIT_INDIRECT)
        _S32_INTO(buf, pending, len(buf) - pending - 4)
        buf += set_pc
        buf += b"\xe9\0\0\0\0"
        self._pending.append(len(buf) - 4)
        self._bind_pending()


def _ind_lookup(a: Asm) -> None:
    """Look the target (eax: pc | thumb) up in the native table at r13 and jump to its
    code; falls through on a miss with eax unchanged.
    slot = (key >> 1) & mask; entries are (key: u64, code: u64)."""
    a.mov(RDX, RAX)
    a.shr(RDX, 1)
    a.and_(RDX, (1 << LOOKUP_BITS) - 1)
    a.shl(RDX, 4, 64)
    miss = a.label()
    a.cmp(mem(R13, 0, RDX), RAX, 64)
    a.jcc(CC.NE, miss)
    a.jmp(mem(R13, 8, RDX))
    a.bind(miss)


_IND_SET_THUMB = _enc(lambda a: (a.mov(RCX, RAX), a.and_(RCX, 1),
                                 a.mov(mem(RBP, OFFSETS["thumb"]), RCX, 8)))
_IND_SET_PC = _enc(lambda a: a.mov(mem(RBP, _R + 60), RAX))
_IND_SET_PC_THUMB = _enc(lambda a: a.and_(RAX, ~1 & 0xFFFFFFFF)) + _IND_SET_PC
_IND_LOOKUP = _enc(_ind_lookup)


def _cond_test(a: Asm, cond: int) -> CC:
    """Set the x86 flags from the guest's flag bytes so that one x86 condition (returned)
    holds exactly when ARM condition ``cond`` does: 2 instructions for one flag, 2-3 for
    the others (flag bytes are 0 or 1: HI is C > Z unsigned, GE is N == V)."""
    base, invert = cond >> 1, cond & 1
    f = _FLAG
    if cond == 14:
        a.cmp(RAX, RAX)                                # ZF = 1
        return CC.E
    if base < 4:                                       # EQ/NE, CS/CC, MI/PL, VS/VC
        a.cmp(mem(RBP, f["ZCNV"[base]]), 0, 8)
        cc = CC.NE
    elif base == 4:                                    # HI: C && !Z
        a.movzx(RAX, mem(RBP, f["C"]))
        a.cmp(RAX, mem(RBP, f["Z"]), 8)
        cc = CC.A
    elif base == 5:                                    # GE: N == V
        a.movzx(RAX, mem(RBP, f["N"]))
        a.cmp(RAX, mem(RBP, f["V"]), 8)
        cc = CC.E
    elif base == 6:                                    # GT: !Z && N == V
        a.movzx(RAX, mem(RBP, f["N"]))
        a.xor(RAX, mem(RBP, f["V"]), 8)
        a.or_(RAX, mem(RBP, f["Z"]), 8)
        cc = CC.E
    else:
        raise ValueError(f"condition {cond}")
    return CC(cc ^ invert)


def _cond_entry(cond: int) -> tuple[bytes, int]:
    a = Asm()
    cc = _cond_test(a, cond)
    return bytes(a.buf), int(cc)


_COND_TEST = [_cond_entry(c) for c in range(15)]      # cond -> (flag test code, x86 cc)
_JCC_REL32 = [bytes((0x0F, 0x80 | cc)) + b"\0\0\0\0" for cc in range(16)]   # field later
_SETCC_EAX = [_enc(lambda a, cc=cc: (a.setcc(cc, RAX), a.movzx(RAX, RAX, 32, 8)))
              for cc in range(16)]
_TEST_SELF = {r: _enc(lambda a, r=r: a.test(r, r)) for r in GPR}
# The x86 flags after testing one ARM condition from the flag bytes: as a _*_CC table.
_ONLY_CC = [tuple(CC(_COND_TEST[c][1] ^ (k ^ c)) if k >> 1 == c >> 1 and c < 14 else None
                  for k in range(15)) for c in range(15)]
_CMOV_EAX_ECX = [_enc(lambda a, cc=cc: a.cmovcc(cc, RAX, RCX)) for cc in range(16)]
# ARM condition -> x86 condition on the x86 flags a flag-setting operation leaves, when they
# are exactly ARM's: cmp/sub a, b (SubFlags, C being NOT borrow: AE), add/adc (AddCFlags: C
# is CF; HI and LS have no x86 condition), test v, v (SetNZ: N and Z only). None: unmapped.
_SUB_CC = (CC.E, CC.NE, CC.AE, CC.B, CC.S, CC.NS, CC.O, CC.NO, CC.A, CC.BE, CC.GE, CC.L, CC.G,
           CC.LE)
_ADD_CC = (CC.E, CC.NE, CC.B, CC.AE, CC.S, CC.NS, CC.O, CC.NO, None, None, CC.GE, CC.L, CC.G,
           CC.LE)
_NZ_CC = (CC.E, CC.NE, None, None, CC.S, CC.NS) + (None,) * 8
# Operations whose code leaves the x86 flags alone (moves, lea, jcc, setcc): host-flag
# fusion survives them. SkipUnless, ExitIf and CondHolds only test flags when fused (unfused,
# there was nothing to keep); Label checks the paths that meet there itself; GetFlag of a
# fused flag is a setcc; Add and AddC are leas, and so is Sub of a constant (op_Sub ends
# fusion otherwise); Select is a cmov when its condition is still on the x86 flags
# (op_Select ends fusion otherwise); Lsl by 1-3 is a lea (_shift ends fusion otherwise).
# With the MMU checking, memory accesses join them (a mov after a no-op marker; a probe ends
# fusion itself: _access).
_HF_KEEP = frozenset({"GetReg", "SetReg", "GetFlag", "SkipUnless", "ExitIf", "CondHolds",
                      "Label", "Add", "AddC", "Sub", "Select", "Lsl"})
# Flag -> the ARM condition that holds when it is set (the x86 condition a GetFlag of a
# fused flag is a setcc of).
_FLAG_COND = {"Z": 0, "C": 2, "N": 4, "V": 6}


def _setcc_flags(carry: CC) -> dict[str, bytes]:
    """setcc of each NZCV byte from the x86 flags of an add (C is CF: ``carry`` B) or of a
    sub (C is NOT borrow: AE)."""
    return {f: _enc(lambda a, f=f, cc=cc: a.setcc(cc, mem(RBP, _FLAG[f])))
            for f, cc in (("N", CC.S), ("Z", CC.E), ("C", carry), ("V", CC.O))}


_SETCC_FLAG = _setcc_flags(CC.B)
_SETCC_SUB = _setcc_flags(CC.AE)
_U32_INTO = struct.Struct("<I").pack_into


_ACCESS_OPS = frozenset({"Load8", "Load16", "Load32", "Load8S", "Load16S",
                         "Store8", "Store16", "Store32"})
_PERMS = mem(RBP, OFFSETS["perms"])      # the permission table (software probes)
_MMU_MARKER = MARKER + b"\0\0\0\0"        # its disp32: the stub's offset from the access


def _cold_check(reg, size: int, perm: int) -> bytes:
    """The exact check of a 2-8 byte access's two pages; jmp back (rel32 field at -4) when
    both allow it, else on to the fault exit that follows."""
    a = Asm()
    fault = a.label()
    a.test(mem(RDX), perm, 8)                      # rdx still points at the first page's byte
    a.jcc(CC.E, fault)
    a.lea(RDX, mem(reg, size - 1))
    a.shr(RDX, 12)
    a.add(RDX, _PERMS, 64)
    a.test(mem(RDX), perm, 8)
    a.jcc(CC.E, fault)
    a.buf += b"\xe9\0\0\0\0"
    a.bind(fault)
    return a.link(0)                               # (only relative jumps)


def _fault_exit(reg) -> bytes:
    """eax = the address; exit_pc = imm32 (field at -9); jmp rel32 (field at -4) to the
    block's shared fault tail."""
    a = Asm()
    if reg != RAX:
        a.mov(RAX, reg)
    a.mov(mem(RBP, OFFSETS["exit_pc"]), 0x12345678)
    a.buf += b"\xe9\0\0\0\0"
    return a.link(0)


_COUNT: dict[int, bytes] = {}     # guest_insns -> add r14, n (the count, codecache.py)
_SET_PC = _T["set_pc"]
_SET_IT = _enc(lambda a: a.mov(mem(RBP, OFFSETS["itstate"]), 0, 8))[:-1]    # + the byte
_UNCOUNT: dict[int, bytes] = {}   # instructions a side exit skipped -> sub r14, n


def _store_flags(buf, owe: tuple, overwritten: str = "") -> None:
    """Append the setcc stores of owed flag bytes (attr, _SETCC_* table), but those
    ``overwritten``."""
    attr, table = owe
    for f in attr:
        if f not in overwritten:
            buf += table[f]


def _uncount(n: int) -> bytes:
    """Take back from the instruction count the n instructions a block counted on entry
    but does not run (it leaves early)."""
    code = _UNCOUNT.get(n)
    if code is None:
        code = _UNCOUNT[n] = _enc(lambda a: a.sub(R14, n, 64))
    return code


# ---- the templates on disk -----------------------------------------------------------------
# The lazily encoded templates above cost ~4 us each, a few hundred per run: they are kept in
# a cache file (translator/diskcache.py) keyed by the source of the emitter and the assembler,
# loaded by the first Emitter and saved at exit when the run encoded new ones.
_PERSISTED = {"memo": _MEMO, "count": _COUNT, "uncount": _UNCOUNT, "state": _STATE_CODE}
_TEMPLATES_LOADED: dict[str, int] = {}      # table -> its size after loading
_TEMPLATE_PATH: str | None = None           # the cache file, found once by load_templates


def _template_sources() -> list[str]:
    here = os.path.dirname(os.path.abspath(__file__))
    x86 = os.path.join(os.path.dirname(here), "backends", "x86")
    return sorted(os.path.join(d, n) for d in (here, x86) for n in os.listdir(d)
                  if n.endswith(".py"))


def load_templates() -> None:
    """Fill the template tables from the cache file (once per process)."""
    global _TEMPLATE_PATH
    _TEMPLATE_PATH = diskcache.cache_path("x86templates", _template_sources())
    data = diskcache.load(_TEMPLATE_PATH)
    if type(data) is dict:
        for name, table in _PERSISTED.items():
            saved = data.get(name)
            if type(saved) is dict:
                for k, v in saved.items():
                    if type(v) is bytes:       # (every template is)
                        table.setdefault(k, v)
        for (kind, attr), code in _STATE_CODE.items():
            _BY_KIND[kind][attr] = code
    _TEMPLATES_LOADED.update({name: len(t) for name, t in _PERSISTED.items()})
    atexit.register(_save_templates)


def _plain(k):
    """A key with its registers and condition codes (int subclasses, which marshal refuses)
    as plain ints: equal to them and hashed alike, so the loaded key is the same dict key."""
    if type(k) is tuple:
        return tuple(_plain(x) for x in k)
    if isinstance(k, int) and type(k) is not bool:
        return int(k)
    return k


def _save_templates() -> None:
    if all(len(t) == _TEMPLATES_LOADED.get(name) for name, t in _PERSISTED.items()):
        return
    data = {}
    for name, table in _PERSISTED.items():
        out = {}
        for k, v in table.items():
            k = _plain(k)
            try:
                marshal.dumps(k)
            except ValueError:                 # (not a key of ints, strings and tuples)
                continue
            out[k] = v
        data[name] = out
    diskcache.save(_TEMPLATE_PATH, data)
