"""IR -> x86-64 machine code.

A deliberately simple first code generator: every IR value lives in a spill slot on the
native stack, operands are loaded into rax/rcx/rdx, results stored back. Guest registers and
flags live in the :class:`ArmState` at rbp. Guest memory is ``r15 + zero-extended 32-bit
address``: a guest access can never leave the 4 GiB guest window, and a one-byte-per-page
permission table at r14 turns accesses to unmapped or protected pages into guest faults
(exit to Python) instead of host crashes.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field
from typing import Callable

from ..backends.x86.asm import (CC, R13, R14, R15, RAX, RBP, RCX, RDX, RSP, Asm, mem)
from .codecache import SPILL_SLOTS
from .ir import (Block, Const, Fallback, Halt, Indirect, Link, LinkCond, Ref, Syscall)
from .state import OFFSETS
from .x86emit_vfp import VfpEmitter

EXIT_LINK_MISS, EXIT_INDIRECT, EXIT_SYSCALL, EXIT_FALLBACK = 1, 2, 3, 4
EXIT_FAULT, EXIT_HALT, EXIT_PENDING = 5, 6, 7
HALT_REASONS = {"undefined": 1, "bkpt": 2, "unpredictable": 3, "fetch": 4}
PERM_R, PERM_W = 1, 2
LOOKUP_BITS = 16                 # indirect-branch table: 2**16 entries of (key, host address)

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
_JE_REL32 = b"\x0f\x84\0\0\0\0"       # je rel32 (field filled in later)
_JNE_REL32 = b"\x0f\x85\0\0\0\0"      # jne rel32 (field filled in later)
_TEST_JE_REL32 = b"\x85\xc0" + _JE_REL32   # test eax, eax; je rel32
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
    "pending": _enc(lambda a: a.cmp(mem(RBP, OFFSETS["pending"]), 0, 8)),
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
# guest memory: [r15 + rax], and the permission-table probe of _check
_LDMEM = {(4, False): _enc(lambda a: a.mov(RAX, mem(R15, 0, RAX))),
          **{(n, s): _enc(lambda a, n=n, s=s: (a.movsx if s else a.movzx)(
              RAX, mem(R15, 0, RAX), 32, n * 8)) for n in (1, 2) for s in (False, True)}}
_STMEM = {n: _enc(lambda a, n=n: a.mov(mem(R15, 0, RAX), RCX, n * 8)) for n in (1, 2, 4)}
_PROBE = {p: _enc(lambda a, p=p: (a.shr(RDX, 12), a.test(mem(R14, 0, RDX), p, 8)))
          for p in (1, 2)}
_MOV_EDX = {r: _enc(lambda a, r=r: a.mov(RDX, r)) for r in (RAX, RCX, RDX)}
_LEA_EDX = {(r, k): _enc(lambda a, r=r, k=k: a.lea(RDX, mem(r, k)))
            for r in (RAX, RCX, RDX) for k in (1, 3, 7)}
_STATE_CODE: dict = {}      # (kind, attr) -> mov between eax and the guest state
_GET_CODE: dict = {}        # the same per kind, keyed by attr alone (the hot lookups)
_SET_CODE: dict = {}
_GETF_CODE: dict = {}
_SETF_CODE: dict = {}
_BY_KIND = {"get": _GET_CODE, "set": _SET_CODE, "getf": _GETF_CODE, "setf": _SETF_CODE}




class Emitter(VfpEmitter):
    """Turns one optimized IR block into code; ``new_site`` numbers chainable links."""

    def __init__(self, epilogue: int, new_site: Callable[[tuple[int, bool]], int]):
        self.epilogue = epilogue
        self.new_site = new_site
        self._ops: dict[str, Callable] = {}   # opcode -> bound op_ method (an Emitter may be
                                              # reused for many blocks)

    # ---- operands -----------------------------------------------------------------------
    def load(self, a, reg) -> None:
        """reg (32 bits, zero-extended) = an operand."""
        if a.__class__ is Ref:
            i = a.index
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
        """Spill slot of value i = reg (32 bits)."""
        if i >= SPILL_SLOTS:
            raise TooManyValues(i)
        tbl = _ST.get(reg)
        if tbl is None:
            self.asm.mov(_slot(i), reg)
        else:
            self.buf += tbl[i]

    # ---- conditions -----------------------------------------------------------------------
    def cond_to_eax(self, cond: int) -> None:
        """eax = 1 if ARM condition ``cond`` holds on the current flags, else 0."""
        code = _COND.get(cond)
        if code is None:
            a = Asm()
            _cond_to_eax(a, cond)
            code = _COND[cond] = bytes(a.buf)
        self.buf += code


    # ---- blocks ---------------------------------------------------------------------------
    def emit(self, block: Block) -> Emitted:
        self.asm = a = Asm()
        self.buf = a.buf                  # the hot paths append precomputed bytes here
        self._faults: dict[int, list[int]] = {}   # guest pc -> rel32 fields to its fault exit
        out = Emitted(a)
        labels = {}
        n = block.guest_insns
        code = _COUNT.get(n)
        if code is None:
            code = _COUNT[n] = _enc(lambda a: a.add(mem(RBP, OFFSETS["insns"]), n, 64))
        self.buf += code
        ops = self._ops
        for i, op in enumerate(block.ops):
            fn = ops.get(op.opcode)
            if fn is None:
                fn = ops[op.opcode] = getattr(self, "op_" + op.opcode)
            fn(i, op, labels)
        self.terminal(block, out)
        return out

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
        self.buf += _GET_CODE.get(op.attr) or self._state_code("get", op.attr)
        self.store(i)

    def op_SetReg(self, i, op, labels):
        self.load(op.args[0], RAX)
        self.buf += _SET_CODE.get(op.attr) or self._state_code("set", op.attr)

    def op_GetFlag(self, i, op, labels):
        self.buf += _GETF_CODE.get(op.attr) or self._state_code("getf", op.attr)
        self.store(i)

    def op_SetFlag(self, i, op, labels):
        self.load(op.args[0], RAX)
        self.buf += _SETF_CODE.get(op.attr) or self._state_code("setf", op.attr)

    # arithmetic
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

    def op_Add(self, i, op, labels):
        self._binop(i, op, _T["add"])

    def op_Sub(self, i, op, labels):
        self._binop(i, op, _T["sub"])

    def op_And(self, i, op, labels):
        self._binop(i, op, _T["and"])

    def op_Or(self, i, op, labels):
        self._binop(i, op, _T["or"])

    def op_Xor(self, i, op, labels):
        self._binop(i, op, _T["xor"])

    def op_Mul(self, i, op, labels):
        self._binop(i, op, _T["imul"])

    def op_AndNot(self, i, op, labels):
        self._binop(i, op, _T["andnot"])

    def op_AddC(self, i, op, labels):
        self._ternop(i, op, _T["addc"])

    def op_Not(self, i, op, labels):
        self._unop(i, op, _T["not"])

    def op_Neg(self, i, op, labels):
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
        self.load(op.args[0], RAX)
        n = op.args[1]
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

    def op_CondHolds(self, i, op, labels):
        self.cond_to_eax(op.attr)
        self.store(i)

    def op_Select(self, i, op, labels):
        args = op.args
        self.load(args[1], RAX)
        self.load(args[2], RCX)
        self.load(args[0], RDX)
        self.buf += _T["select"]
        self.store(i)

    # memory
    def _check(self, addr_reg, size: int, perm: int, pc: int) -> None:
        """Fault unless every byte of the access is on a page with ``perm``."""
        fixups = self._faults.get(pc)
        if fixups is None:
            fixups = self._faults[pc] = []
        buf = self.buf
        buf += _MOV_EDX[addr_reg]
        buf += _PROBE[perm]
        buf += _JE_REL32                   # to the fault exit: patched in terminal()
        fixups.append(len(buf) - 4)
        if size > 1:
            buf += _LEA_EDX[addr_reg, size - 1]
            buf += _PROBE[perm]
            buf += _JE_REL32
            fixups.append(len(buf) - 4)

    def _load(self, i, op, size, signed):
        self.load(op.args[0], RAX)
        self._check(RAX, size, PERM_R, op.attr)
        self.buf += _LDMEM[size, signed and size < 4]
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
        self.load(op.args[0], RAX)
        self._check(RAX, size, PERM_W, op.attr)
        self.load(op.args[1], RCX)
        self.buf += _STMEM[size]

    def op_Store8(self, i, op, labels):
        self._store(i, op, 1)

    def op_Store16(self, i, op, labels):
        self._store(i, op, 2)

    def op_Store32(self, i, op, labels):
        self._store(i, op, 4)

    # control inside the block
    def op_SkipUnless(self, i, op, labels):
        cond, lab = op.attr
        if cond == 14:
            return
        a = self.asm
        target = labels.setdefault(lab, a.label())
        self.cond_to_eax(cond)
        a.test(RAX, RAX)
        a.jcc(CC.E, target)

    def op_Label(self, i, op, labels):
        self.asm.bind(labels.setdefault(op.attr, self.asm.label()))

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
        a = self.asm
        self._set_pc(link.pc, link.thumb)
        self._to_pending()
        key = (link.pc, link.thumb)
        site = self.new_site(key)
        buf = self.buf
        buf += b"\xe9\0\0\0\0"          # jmp to the next instruction: re-targeted to the
        out.sites.append((len(buf) - 4, site, key))   # block once it exists
        self.buf += _T["exit_info"]
        self.buf += _U32(site)
        self._exit(EXIT_LINK_MISS)

    def _to_pending(self) -> None:
        """if (state.pending) goto the pending-signal exit (bound by _bind_pending)."""
        buf = self.buf
        buf += _T["pending"]
        buf += _JNE_REL32
        self._pending.append(len(buf) - 4)

    def _bind_pending(self) -> None:
        buf = self.buf
        here = len(buf)
        for f in self._pending:
            _S32_INTO(buf, f, here - f - 4)
        self._exit(EXIT_PENDING)

    def terminal(self, block: Block, out: Emitted) -> None:
        a = self.asm
        t = block.terminal
        self._pending: list[int] = []          # rel32 fields of jumps to the pending exit
        pending_used = True
        if isinstance(t, Link):
            self._link(t, out)
        elif isinstance(t, LinkCond):
            self.cond_to_eax(t.cond)
            buf = self.buf
            buf += _TEST_JE_REL32
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
        if pending_used:
            self._bind_pending()
        if self._faults:
            # One exit per faulting instruction (it sets exit_pc), all sharing one tail that
            # records the address (in eax) and leaves.
            buf = self.buf
            common = len(buf)
            buf += _T["fault_tail"]
            a.jmp_abs(self.epilogue)
            for pc, fixups in self._faults.items():
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
        if t.interwork:
            buf += _IND_INTERWORK
        buf += _IND_SET_PC
        self._to_pending()
        buf += _IND_LOOKUP
        self._exit(EXIT_INDIRECT)
        self._bind_pending()


def _ind_lookup(a: Asm) -> None:
    """Look the target (pc in eax, thumb in the state) up in the native table at r13 and
    jump to its code; falls through on a miss.
    key = pc | thumb; slot = (key >> 1) & mask; entries are (key: u64, code: u64)."""
    a.movzx(RCX, mem(RBP, OFFSETS["thumb"]), 32, 8)
    a.or_(RCX, RAX)
    a.mov(RDX, RCX)
    a.shr(RDX, 1)
    a.and_(RDX, (1 << LOOKUP_BITS) - 1)
    a.shl(RDX, 4, 64)
    miss = a.label()
    a.cmp(mem(R13, 0, RDX), RCX, 64)
    a.jcc(CC.NE, miss)
    a.jmp(mem(R13, 8, RDX))
    a.bind(miss)


_IND_INTERWORK = _enc(lambda a: (a.mov(RCX, RAX), a.and_(RCX, 1),
                                 a.mov(mem(RBP, OFFSETS["thumb"]), RCX, 8),
                                 a.and_(RAX, ~1 & 0xFFFFFFFF)))
_IND_SET_PC = _enc(lambda a: a.mov(mem(RBP, _R + 60), RAX))
_IND_LOOKUP = _enc(_ind_lookup)


def _cond_to_eax(a: Asm, cond: int) -> None:
    """The code of Emitter.cond_to_eax (encoded once per condition)."""
    base, invert = cond >> 1, cond & 1
    if cond == 14:
        a.mov(RAX, 1)
        return
    if base in (0, 1, 2, 3):                           # EQ/NE, CS/CC, MI/PL, VS/VC
        a.movzx(RAX, mem(RBP, _FLAG["ZCNV"[base]]))
    elif base == 4:                                    # HI: C && !Z
        a.movzx(RAX, mem(RBP, _FLAG["Z"]))
        a.xor(RAX, 1)
        a.and_(RAX, mem(RBP, _FLAG["C"]), 8)
        a.movzx(RAX, RAX, 32, 8)
    elif base == 5:                                    # GE: N == V
        a.movzx(RAX, mem(RBP, _FLAG["N"]))
        a.xor(RAX, mem(RBP, _FLAG["V"]), 8)
        a.movzx(RAX, RAX, 32, 8)
        a.xor(RAX, 1)
    elif base == 6:                                    # GT: !Z && N == V
        a.movzx(RAX, mem(RBP, _FLAG["N"]))
        a.xor(RAX, mem(RBP, _FLAG["V"]), 8)
        a.or_(RAX, mem(RBP, _FLAG["Z"]), 8)
        a.movzx(RAX, RAX, 32, 8)
        a.xor(RAX, 1)
    else:
        raise ValueError(f"condition {cond}")
    if invert:
        a.xor(RAX, 1)


_COND: dict[int, bytes] = {}
_COUNT: dict[int, bytes] = {}     # guest_insns -> add qword [rbp + insns], n

