"""A32/Thumb-2 -> JIT IR: the semantics of each instruction, after the ARM ARM pseudocode.

``lift_block`` decodes from a guest PC until an instruction that ends the block (a write to
the PC, SVC, an instruction left to the interpreter, or the length limit) and returns an IR
:class:`Block`. Each ``_NAME`` function lifts the decoded instruction ``NAME`` (manual naming,
the decoder's variables: d, n, m, s, t, t2, imm32, setflags, shift_t, shift_n, add, index,
wback, registers...). Anything without a lifter becomes a ``Fallback`` terminal: the
interpreter backend runs that one instruction, so every program runs.
"""
from __future__ import annotations

import ctypes
import struct
from typing import Callable

from translator.jit.ir import OPCODES, Block, Const, Fallback, Halt, Indirect, Link, Ref, Syscall
from translator.jit.passes import _FLAG_WRITERS, ForwardingBlock
from translator.memory import PROT_EXEC, GuestFault, GuestMemory

from . import decoder as dec

MAX_INSNS = 48
AL = 14
SRType_LSL, SRType_LSR, SRType_ASR, SRType_ROR, SRType_RRX = 0, 1, 2, 3, 4


class _End(Exception):
    """Raised by a lifter that ended the block (its terminal is set)."""


class Ctx:
    """Lifting state for one block."""

    def __init__(self, block: Block, thumb: bool):
        self.b = block
        self.thumb = thumb
        self.insn = None
        self.cond = AL
        self.skip: int | None = None     # label closing the current conditional region
        self.seq: int | None = None      # instructions before this one in the block (None
        #                                  inside an IT block: see the memory ops' attr)
        # Guest state reads/writes are the commonest operations: a ForwardingBlock has
        # direct entry points for them.
        self._get = getattr(block, "get_state", None) or \
            (lambda opc, attr: block.emit(opc, attr=attr))
        self._set = getattr(block, "set_state", None) or \
            (lambda opc, v, attr: block.emit(opc, v, attr=attr))

    # ---- operands -------------------------------------------------------------------------
    def pc_value(self) -> int:
        """What reading the PC gives: the instruction's address + 8 (ARM) / + 4 (Thumb)."""
        return (self.insn.addr + (4 if self.thumb else 8)) & 0xFFFFFFFF

    def r(self, n: int):
        if n == 15:
            return Const(self.pc_value())
        return self._get("GetReg", n)

    def set_r(self, n: int, v) -> None:
        self._set("SetReg", v, n)

    def flag(self, f: str):
        return self._get("GetFlag", f)

    def set_nz(self, v) -> None:
        self.b.emit("SetNZ", v, attr="NZ")

    # ---- ARM ARM helpers ----------------------------------------------------------------------
    def shift_c(self, v, shift_t: int, amount, carry_in):
        """Shift_C(value, type, amount, carry_in) -> (result, carry_out), amount an int (imm
        shifts) or an IR value (register shifts, bottom byte already taken)."""
        b = self.b
        if isinstance(amount, int):
            if amount == 0 and shift_t != SRType_RRX:
                return v, carry_in
            if shift_t == SRType_LSL:
                return b.emit("Lsl", v, Const(amount)), b.emit("Bit", v, attr=32 - amount)
            if shift_t == SRType_LSR:
                return b.emit("Lsr", v, Const(amount)), b.emit("Bit", v, attr=amount - 1)
            if shift_t == SRType_ASR:
                return b.emit("Asr", v, Const(amount)), b.emit("Bit", v, attr=amount - 1)
            if shift_t == SRType_ROR:
                res = b.emit("Ror", v, Const(amount))
                return res, b.emit("Msb", res)
            # RRX
            res = b.emit("Or", b.emit("Lsr", v, Const(1)), b.emit("Lsl", carry_in, Const(31)))
            return res, b.emit("Bit", v, attr=0)
        # register-controlled amount (0..255)
        zero = b.emit("IsZero", amount)
        if shift_t == SRType_LSL:
            res = b.emit("Lsl", v, amount)
            # carry = bit (32 - n) of v for 1 <= n <= 32, 0 above
            c = b.emit("Lsl", v, b.emit("Sub", amount, Const(1)))
            c = b.emit("Msb", c)
        elif shift_t == SRType_LSR:
            res = b.emit("Lsr", v, amount)
            c = b.emit("Bit", b.emit("Lsr", v, b.emit("Sub", amount, Const(1))), attr=0)
        elif shift_t == SRType_ASR:
            res = b.emit("Asr", v, amount)
            c = b.emit("Bit", b.emit("Asr", v, b.emit("Sub", amount, Const(1))), attr=0)
        else:
            res = b.emit("Ror", v, amount)
            c = b.emit("Msb", res)
        return res, b.emit("Select", zero, carry_in, c)

    # ---- control flow -----------------------------------------------------------------------
    def end(self, terminal) -> None:
        self.b.terminal = terminal
        raise _End()

    def branch_to(self, target: int, thumb: bool) -> None:
        """A direct branch. A conditional one is a side exit (``ExitIf``) and the block goes
        on with the next instruction: fewer, longer blocks (translation pays ~30 us per block
        besides its instructions), and the not-taken path runs on without a link."""
        dest = Link(target & 0xFFFFFFFF, thumb)
        if self.cond == AL:
            self.end(dest)
        self.b.emit("ExitIf", attr=(self.cond, dest, self.b.guest_insns + 1))

    def write_pc(self, v, interwork: bool) -> None:
        """BXWritePC / LoadWritePC (interwork) or BranchWritePC (Thumb ALU writes).

        Under a condition the value was computed inside a SkipUnless region (see
        ``lift_block``): it goes through the scratch word, and the not-taken arm continues
        with the next instruction."""
        b = self.b
        if not interwork:
            v = b.emit("And", v, Const(0xFFFFFFFE if self.thumb else 0xFFFFFFFC))
            if self.thumb:
                v = b.emit("Or", v, Const(1))
        if self.cond != AL:
            b.emit("SetReg", v, attr=17)
            b.emit("Label", attr=self.skip)
            nxt = (self.insn.addr + self.insn.size) | int(self.thumb)
            taken = b.emit("GetReg", attr=17)
            # (the condition right before its Select: one cmov, see if_convert)
            v = b.emit("Select", b.emit("CondHolds", attr=self.cond), taken,
                       Const(nxt & 0xFFFFFFFF))
        self.end(Indirect(v, True))

    def load(self, size: int, addr, signed: bool = False, disp: int = 0):
        """The value at ``addr`` + ``disp``: a displacement is part of the access (one
        operation, no Add; the emitter adds it with the address's ``lea``)."""
        if disp and addr.__class__ is Const:
            addr, disp = Const((addr.value + disp) & 0xFFFFFFFF), 0
        return self.b.emit(_LOADS[size, signed], addr,
                           attr=(self.insn.addr, ((disp + _2G) & 0xFFFFFFFF) - _2G, self.seq))

    def store(self, size: int, addr, v, disp: int = 0) -> None:
        if disp and addr.__class__ is Const:
            addr, disp = Const((addr.value + disp) & 0xFFFFFFFF), 0
        self.b.emit(_STORES[size], addr, v,
                    attr=(self.insn.addr, ((disp + _2G) & 0xFFFFFFFF) - _2G, self.seq))


_LOADS = {(1, False): "Load8", (2, False): "Load16", (4, False): "Load32",
          (1, True): "Load8S", (2, True): "Load16S", (4, True): "Load32"}
_STORES = {1: "Store8", 2: "Store16", 4: "Store32"}
_2G = 1 << 31                # displacements are kept signed (-2**31 <= disp < 2**31)


LIFTERS: dict[str, Callable] = {}


def lifter(*names: str):
    def deco(fn):
        for n in names:
            LIFTERS[n] = fn
        return fn
    return deco


def _g(i, name, default=None):
    """A decoded field, ``default`` when the instruction does not define it."""
    v = getattr(i, name, None)
    return default if v is None else v


# ---- data processing --------------------------------------------------------------------------
_DP = {"AND": "and", "EOR": "eor", "ORR": "orr", "BIC": "bic", "MOV": "mov", "MVN": "mvn",
       "TST": "and", "TEQ": "eor", "ORN": "orn",
       "ADD": "add", "ADC": "adc", "SUB": "sub", "SBC": "sbc", "RSB": "rsb", "RSC": "rsc",
       "CMP": "sub", "CMN": "add"}
_TESTS = {"TST", "TEQ", "CMP", "CMN"}


def _operand2(c: Ctx, i, logical: bool, form: str):
    """(shifted operand, carry out) for the _imm / _reg / _rsr forms."""
    if form == "imm":
        carry = _g(i, "carry")
        return Const(i.imm32), (Const(carry) if carry is not None else None)
    if form == "rsr":
        amount = c.b.emit("ZeroExt8", c.r(i.s))
        cin = c.flag("C") if logical else None
        v, carry = c.shift_c(c.r(i.m), i.shift_t, amount, cin if cin is not None else Const(0))
        return v, (carry if logical else None)
    cin = c.flag("C") if logical and (i.shift_n or i.shift_t == SRType_RRX) else None
    if i.shift_t == SRType_RRX and cin is None:
        cin = c.flag("C")
    v, carry = c.shift_c(c.r(i.m), i.shift_t, i.shift_n, cin)
    return v, carry if logical else None


_LOGICAL_OP = {"and": "And", "eor": "Xor", "orr": "Or", "bic": "AndNot"}
_ZERO, _ONE = Const(0), Const(1)


def _dp_info(name: str) -> tuple[str, str, bool, str]:
    """(stem, kind, logical, operand form) of a data-processing lifter name."""
    stem = name.split("_")[0]
    kind = _DP[stem]
    form = name.rsplit("_", 1)[1] if "_" in name else "reg"
    return stem, kind, kind in ("and", "eor", "orr", "bic", "mov", "mvn", "orn"), form


def _dp(c: Ctx, i) -> None:
    stem, kind, logical, form = _DP_INFO[i.name]
    setflags = stem in _TESTS or bool(i.setflags)
    op2, carry = _operand2(c, i, logical and setflags, form)
    b = c.b
    if kind in ("mov", "mvn"):
        res = op2 if kind == "mov" else b.emit("Not", op2)
    elif logical:
        rn = c.r(i.n)
        if kind == "orn":
            res = b.emit("Or", rn, b.emit("Not", op2))
        else:
            res = b.emit(_LOGICAL_OP[kind], rn, op2)
    else:
        rn = c.r(i.n)
        if not setflags and kind in ("add", "sub", "rsb"):
            # No flags wanted: a plain add/subtract (no carry/overflow values to drop later,
            # and the emitter's immediate forms apply).
            if kind == "add":
                res = b.emit("Add", rn, op2)
            else:
                res = b.emit("Sub", rn, op2) if kind == "sub" else b.emit("Sub", op2, rn)
            _dp_result(c, i, res)
            return
        if kind in ("sub", "rsb") and setflags and (stem in _TESTS or i.d != 15):
            # x86 sub sets SF, ZF, OF as ARM does and CF = borrow = NOT C: one operation
            # (AddWithCarry(x, NOT y, 1) would need the NOT and a carry-in).
            res = b.emit("SubFlags", rn, op2, attr="NZCV") if kind == "sub" else \
                b.emit("SubFlags", op2, rn, attr="NZCV")
            if stem not in _TESTS:
                _dp_result(c, i, res)
            return
        if kind == "add" or kind == "adc":
            x, y = rn, op2
        elif kind == "sub" or kind == "sbc":
            x, y = rn, b.emit("Not", op2)
        else:                                   # rsb, rsc
            x, y = op2, b.emit("Not", rn)
        if kind == "add":
            cin = _ZERO
        elif kind == "sub" or kind == "rsb":
            cin = _ONE
        else:
            cin = c.flag("C")
        if not setflags or (stem not in _TESTS and i.d == 15):
            _dp_result(c, i, b.emit("AddC", x, y, cin))      # ADC/SBC/RSC: no flags
            return
        res = b.emit("AddCFlags", x, y, cin, attr="NZCV")
        if stem not in _TESTS:
            _dp_result(c, i, res)
        return
    if setflags and not (stem not in _TESTS and i.d == 15):
        c.set_nz(res)
        if carry is not None:
            b.emit("SetFlag", carry, attr="C")
    if stem not in _TESTS:
        _dp_result(c, i, res)


def _dp_result(c: Ctx, i, res) -> None:
    if i.d == 15:
        if _g(i, "setflags"):
            raise NotImplementedError("SUBS pc, lr (exception return)")
        # ARMv7: ALUWritePC interworks in ARM state; Thumb writes are BranchWritePC.
        c.write_pc(res, interwork=not c.thumb)
    c.set_r(i.d, res)


for _stem in _DP:
    for _form in ("imm", "reg", "rsr"):
        LIFTERS[f"{_stem}_{_form}"] = _dp
for _name in ("ADD_sp_imm", "SUB_sp_imm", "ADD_sp_reg", "SUB_sp_reg"):
    LIFTERS[_name] = _dp
_DP_INFO = {n: _dp_info(n) for n, fn in LIFTERS.items() if fn is _dp}   # (per instruction:
#                                                                          no string splitting)


@lifter("LSL_imm", "LSR_imm", "ASR_imm", "ROR_imm", "RRX")
def _shift_imm(c: Ctx, i) -> None:
    setflags = bool(_g(i, "setflags"))
    cin = c.flag("C") if setflags or i.name == "RRX" else None
    res, carry = c.shift_c(c.r(i.m), i.shift_t, i.shift_n, cin)
    if setflags:
        c.set_nz(res)
        if carry is not None and carry is not cin:
            c.b.emit("SetFlag", carry, attr="C")
    if i.d == 15:
        c.write_pc(res, interwork=not c.thumb)
    c.set_r(i.d, res)


@lifter("LSL_reg", "LSR_reg", "ASR_reg", "ROR_reg")
def _shift_reg(c: Ctx, i) -> None:
    setflags = bool(_g(i, "setflags"))
    amount = c.b.emit("ZeroExt8", c.r(i.m))
    cin = c.flag("C") if setflags else Const(0)
    res, carry = c.shift_c(c.r(i.n), i.shift_t, amount, cin)
    if setflags:
        c.set_nz(res)
        c.b.emit("SetFlag", carry, attr="C")
    c.set_r(i.d, res)


@lifter("MOVW", "MOV_imm16")
def _movw(c: Ctx, i) -> None:
    c.set_r(i.d, Const(i.imm32 & 0xFFFF))


@lifter("MOVT")
def _movt(c: Ctx, i) -> None:
    lo = c.b.emit("And", c.r(i.d), Const(0xFFFF))
    c.set_r(i.d, c.b.emit("Or", lo, Const((i.imm32 & 0xFFFF) << 16)))


@lifter("ADR")
def _adr(c: Ctx, i) -> None:
    base = c.pc_value() & ~3
    c.set_r(i.d, Const((base + i.imm32 if i.add else base - i.imm32) & 0xFFFFFFFF))


# ---- multiply / divide --------------------------------------------------------------------------
@lifter("MUL", "MLA", "MLS")
def _mul(c: Ctx, i) -> None:
    b = c.b
    prod = b.emit("Mul", c.r(i.n), c.r(i.m))
    if i.name == "MLA":
        prod = b.emit("Add", prod, c.r(i.a))
    elif i.name == "MLS":
        prod = b.emit("Sub", c.r(i.a), prod)
    if _g(i, "setflags"):
        c.set_nz(prod)
    c.set_r(i.d, prod)


@lifter("UMULL", "SMULL", "UMLAL", "SMLAL")
def _mull(c: Ctx, i) -> None:
    b = c.b
    rn, rm = c.r(i.n), c.r(i.m)
    lo = b.emit("Mul", rn, rm)
    hi = b.emit("MulHiS" if i.name[0] == "S" else "MulHiU", rn, rm)
    if i.name.endswith("LAL"):
        alo, ahi = c.r(i.dLo), c.r(i.dHi)
        nlo = b.emit("Add", lo, alo)
        carry = b.emit("CarryAdd", lo, alo, Const(0))
        hi = b.emit("AddC", hi, ahi, carry)
        lo = nlo
    if _g(i, "setflags"):
        b.emit("SetFlag", b.emit("Msb", hi), attr="N")
        b.emit("SetFlag", b.emit("IsZero", b.emit("Or", lo, hi)), attr="Z")
    c.set_r(i.dLo, lo)
    c.set_r(i.dHi, hi)


@lifter("SDIV", "UDIV")
def _div(c: Ctx, i) -> None:
    c.set_r(i.d, c.b.emit(i.name.title(), c.r(i.n), c.r(i.m)))


# ---- bit manipulation ------------------------------------------------------------------------------
@lifter("CLZ")
def _clz(c: Ctx, i) -> None:
    c.set_r(i.d, c.b.emit("Clz", c.r(i.m)))


@lifter("REV", "REV16")
def _rev(c: Ctx, i) -> None:
    c.set_r(i.d, c.b.emit("Rev" if i.name == "REV" else "Rev16", c.r(i.m)))


@lifter("REVSH")
def _revsh(c: Ctx, i) -> None:
    c.set_r(i.d, c.b.emit("SignExt16", c.b.emit("Rev16", c.r(i.m))))


@lifter("UXTB", "UXTH", "SXTB", "SXTH", "UXTAB", "UXTAH", "SXTAB", "SXTAH")
def _extend(c: Ctx, i) -> None:
    b = c.b
    v = c.r(i.m)
    rot = _g(i, "rotation", 0)
    if rot:
        v = b.emit("Ror", v, Const(rot))
    op = {"B": "8", "H": "16"}[i.name[-1]]
    v = b.emit(("SignExt" if i.name[0] == "S" else "ZeroExt") + op, v)
    if "XTA" in i.name:
        v = b.emit("Add", c.r(i.n), v)
    c.set_r(i.d, v)


@lifter("UBFX", "SBFX")
def _bfx(c: Ctx, i) -> None:
    b = c.b
    lsb, width = i.lsbit, i.widthminus1 + 1
    if lsb + width > 32:
        raise NotImplementedError("UNPREDICTABLE bitfield")
    v = b.emit("Lsl", c.r(i.n), Const(32 - lsb - width))
    c.set_r(i.d, b.emit("Asr" if i.name == "SBFX" else "Lsr", v, Const(32 - width)))


@lifter("BFC", "BFI")
def _bfi(c: Ctx, i) -> None:
    b = c.b
    lsb, msb = i.lsbit, i.msbit
    if msb < lsb:
        raise NotImplementedError("UNPREDICTABLE bitfield")
    mask = ((1 << (msb - lsb + 1)) - 1) << lsb
    keep = b.emit("And", c.r(i.d), Const(~mask & 0xFFFFFFFF))
    if i.name == "BFC":
        c.set_r(i.d, keep)
        return
    ins = b.emit("And", b.emit("Lsl", c.r(i.n), Const(lsb)), Const(mask))
    c.set_r(i.d, b.emit("Or", keep, ins))


# ---- loads and stores ----------------------------------------------------------------------------------
_LS = {"LDR": (4, False, True), "LDRB": (1, False, True), "LDRH": (2, False, True),
       "LDRSB": (1, True, True), "LDRSH": (2, True, True),
       "STR": (4, False, False), "STRB": (1, False, False), "STRH": (2, False, False)}


def _address(c: Ctx, i):
    """(base, displacement, writeback value) of an access in imm / reg / literal form: the
    address is base + displacement. An immediate offset without writeback stays a
    displacement of the access (no Add operation)."""
    b = c.b
    form = i.name.rsplit("_", 1)[1]
    if form == "lit":
        base = c.pc_value() & ~3
        return Const((base + i.imm32 if i.add else base - i.imm32) & 0xFFFFFFFF), 0, None
    rn = c.r(i.n)
    index = _g(i, "index", True)
    wback = _g(i, "wback", False)
    if form == "imm":
        if not wback:
            return rn, (i.imm32 if i.add else -i.imm32) if index else 0, None
        off = Const(i.imm32)
    else:
        off, _ = c.shift_c(c.r(i.m), _g(i, "shift_t", 0), _g(i, "shift_n", 0), Const(0))
    offset_addr = b.emit("Add" if i.add else "Sub", rn, off)
    return (offset_addr if index else rn), 0, (offset_addr if wback else None)


def _ldst(c: Ctx, i) -> None:
    stem = i.name.rsplit("_", 1)[0]
    size, signed, is_load = _LS[stem]
    addr, disp, wb = _address(c, i)
    if is_load:
        v = c.load(size, addr, signed, disp)
        if wb is not None:
            c.set_r(i.n, wb)
        if i.t == 15:
            c.write_pc(v, interwork=True)
        c.set_r(i.t, v)
    else:
        v = c.r(i.t)
        c.store(size, addr, v, disp)
        if wb is not None:
            c.set_r(i.n, wb)


for _stem in _LS:
    for _form in ("imm", "reg", "lit"):
        LIFTERS[f"{_stem}_{_form}"] = _ldst


@lifter("LDRD_imm", "LDRD_lit", "STRD_imm", "LDRD_reg", "STRD_reg")
def _ldstd(c: Ctx, i) -> None:
    addr, disp, wb = _address(c, i)
    if i.name.startswith("LDRD"):
        lo, hi = c.load(4, addr, disp=disp), c.load(4, addr, disp=disp + 4)
        if wb is not None:
            c.set_r(i.n, wb)
        c.set_r(i.t, lo)
        c.set_r(i.t2, hi)
    else:
        lo, hi = c.r(i.t), c.r(i.t2)
        c.store(4, addr, lo, disp)
        c.store(4, addr, hi, disp + 4)
        if wb is not None:
            c.set_r(i.n, wb)


@lifter("LDM", "LDMIA", "LDMDA", "LDMDB", "LDMIB", "POP", "STM", "STMIA", "STMDA", "STMDB",
        "STMIB", "PUSH")
def _ldm(c: Ctx, i) -> None:
    b = c.b
    regs = [r for r in range(16) if i.registers >> r & 1]
    count = len(regs)
    name = i.name
    n = 13 if name in ("PUSH", "POP") else i.n
    wback = True if name in ("PUSH", "POP") else bool(i.wback)
    mode = {"PUSH": "DB", "POP": "IA", "LDM": "IA", "STM": "IA"}.get(name, name[-2:])
    rn = c.r(n)
    # The accesses are rn + displacement (no address operations); only the write-back value
    # is computed.
    start = {"IA": 0, "IB": 4, "DA": 4 - 4 * count, "DB": -4 * count}[mode]
    def new_base():
        return b.emit("Add" if mode in ("IA", "IB") else "Sub", rn, Const(4 * count))
    is_load = name.startswith(("LDM", "POP"))
    if is_load:
        vals = [c.load(4, rn, disp=start + 4 * k) for k in range(count)]
        if wback and not (i.registers >> n & 1):
            c.set_r(n, new_base())
        pc_val = None
        for r, v in zip(regs, vals):
            if r == 15:
                pc_val = v
            else:
                c.set_r(r, v)
        if pc_val is not None:
            c.write_pc(pc_val, interwork=True)
    else:
        for k, r in enumerate(regs):
            c.store(4, rn, c.r(r), start + 4 * k)
        if wback:
            c.set_r(n, new_base())


# The exclusive monitor, as qemu does it: LDREX remembers the value it read (state words 19
# and 20), STREX stores only if memory still holds it. Guest threads run one at a time and
# switch only between blocks, so the compare-and-store is atomic; another thread's store
# between LDREX and STREX makes STREX fail and the guest's loop retry.
EXCL_LO, EXCL_HI = 19, 20


@lifter("LDREX", "LDREXB", "LDREXH")
def _ldrex(c: Ctx, i) -> None:
    size = {"LDREX": 4, "LDREXB": 1, "LDREXH": 2}[i.name]
    v = c.load(size, c.r(i.n), disp=_g(i, "imm32", 0))
    c.set_r(i.t, v)
    c.b.emit("SetReg", v, attr=EXCL_LO)


def _store_exclusive(c: Ctx, i, parts: list) -> None:
    """parts: (size, address, new value, remembered-value register) per word."""
    b = c.b
    cur = [c.load(size, addr) for size, addr, _, _ in parts]
    diff = None
    for (_, _, _, reg), v in zip(parts, cur):
        d = b.emit("Xor", v, b.emit("GetReg", attr=reg))
        diff = d if diff is None else b.emit("Or", diff, d)
    ok = b.emit("IsZero", diff)
    for (size, addr, new, _), v in zip(parts, cur):
        c.store(size, addr, b.emit("Select", ok, new, v))    # a failed STREX rewrites the old
    c.set_r(i.d, b.emit("Xor", ok, Const(1)))


@lifter("STREX", "STREXB", "STREXH")
def _strex(c: Ctx, i) -> None:
    size = {"STREX": 4, "STREXB": 1, "STREXH": 2}[i.name]
    addr = c.b.emit("Add", c.r(i.n), Const(_g(i, "imm32", 0)))
    _store_exclusive(c, i, [(size, addr, c.r(i.t), EXCL_LO)])


@lifter("DMB", "DSB", "ISB", "NOP", "YIELD", "CLREX", "PLD_imm", "PLD_reg", "PLD_lit",
        "PLI_imm", "PLI_reg", "SEV", "WFE", "WFI", "PLDW_imm", "PLDW_reg")
def _nop(c: Ctx, i) -> None:
    pass


# ---- branches and exceptions ----------------------------------------------------------------------
@lifter("B")
def _b(c: Ctx, i) -> None:
    c.branch_to(i.target, c.thumb)


@lifter("BL_imm", "BL", "BLX_imm")
def _bl(c: Ctx, i) -> None:
    ret = (i.addr + i.size) | (1 if c.thumb else 0)
    to_thumb = c.thumb if i.name != "BLX_imm" else not c.thumb
    if c.cond != AL:
        raise NotImplementedError("conditional BL")        # -> interpreter
    c.set_r(14, Const(ret & 0xFFFFFFFF))
    c.branch_to(i.target, to_thumb)


@lifter("BX")
def _bx(c: Ctx, i) -> None:
    c.write_pc(c.r(i.m), interwork=True)


@lifter("BLX_reg")
def _blx(c: Ctx, i) -> None:
    if c.cond != AL:
        raise NotImplementedError("conditional BLX")
    target = c.r(i.m)
    c.set_r(14, Const(((i.addr + i.size) | (1 if c.thumb else 0)) & 0xFFFFFFFF))
    c.write_pc(target, interwork=True)


@lifter("CBZ", "CBNZ")
def _cbz(c: Ctx, i) -> None:
    """A side exit on the register's value (CBZ/CBNZ sit outside IT blocks: never
    conditional); the block goes on with the next instruction."""
    dest = Link(i.target & 0xFFFFFFFF, True)
    v = c.r(i.n)
    zero = i.name == "CBZ"
    if v.__class__ is Const:                  # known here (e.g. set by a movs just before)
        if (v.value == 0) == zero:
            c.end(dest)
        return
    c.b.emit("ExitIfZero", v, attr=(zero, dest, c.b.guest_insns + 1))


@lifter("VLDR", "VSTR")
def _vldr(c: Ctx, i) -> None:
    """VFP loads/stores move bits: two words for a D register, one for an S register."""
    b = c.b
    base = Const(c.pc_value() & ~3) if i.n == 15 else c.r(i.n)
    disp = i.imm32 if i.add else -i.imm32
    regs = [32 + i.d] if i.single_reg else [32 + 2 * i.d, 33 + 2 * i.d]
    for k, sreg in enumerate(regs):
        if i.name == "VLDR":
            b.emit("SetReg", c.load(4, base, disp=disp + 4 * k), attr=sreg)
        else:
            c.store(4, base, b.emit("GetReg", attr=sreg), disp + 4 * k)


@lifter("UADD8", "USUB8", "UQADD8", "UQSUB8")
def _parallel_u8(c: Ctx, i) -> None:
    """Unsigned byte-lane add/subtract (GE bits set by UADD8/USUB8), and the saturating
    UQADD8/UQSUB8 (GE unchanged), as strlen/memchr use them with SEL."""
    b = c.b
    rn, rm = c.r(i.n), c.r(i.m)
    sub = "SUB" in i.name
    sat = i.name.startswith("UQ")
    result = Const(0)
    ge = Const(0)
    for k in range(4):
        a = b.emit("And", b.emit("Lsr", rn, Const(8 * k)), Const(0xFF))
        x = b.emit("And", b.emit("Lsr", rm, Const(8 * k)), Const(0xFF))
        r = b.emit("Sub" if sub else "Add", a, x)
        # r is the exact 9-bit result (negative: bit 31 set): borrow / carry out of the lane
        ok = b.emit("Msb", r) if sub else b.emit("Bit", r, attr=8)
        if sat:
            r = b.emit("Select", ok, Const(0 if sub else 0xFF), r)
        lane = b.emit("Lsl", b.emit("And", r, Const(0xFF)), Const(8 * k))
        result = b.emit("Or", result, lane)
        if not sat:
            flag = b.emit("Xor", ok, Const(1)) if sub else ok      # USUB8: GE = no borrow
            ge = b.emit("Or", ge, b.emit("Lsl", flag, Const(k)))
    if not sat:
        b.emit("SetFlag", ge, attr="GE")
    c.set_r(i.d, result)


@lifter("SEL")
def _sel(c: Ctx, i) -> None:
    b = c.b
    ge = b.emit("GetFlag", attr="GE")
    rn, rm = c.r(i.n), c.r(i.m)
    mask = Const(0)
    for k in range(4):     # byte mask from GE[3:0]
        bit = b.emit("Bit", ge, attr=k)
        mask = b.emit("Or", mask, b.emit("Mul", bit, Const(0xFF << (8 * k))))
    c.set_r(i.d, b.emit("Or", b.emit("And", rn, mask), b.emit("AndNot", rm, mask)))


@lifter("TBB", "TBH")
def _tb(c: Ctx, i) -> None:
    b = c.b
    idx = c.r(i.m)
    if i.name == "TBH":
        idx = b.emit("Lsl", idx, Const(1))
    half = c.load(2 if i.name == "TBH" else 1, b.emit("Add", c.r(i.n), idx))
    target = b.emit("Add", Const(c.pc_value() | 1), b.emit("Lsl", half, Const(1)))
    c.end(Indirect(target, True))


@lifter("LDREXD")
def _ldrexd(c: Ctx, i) -> None:
    addr = c.r(i.n)
    lo, hi = c.load(4, addr), c.load(4, addr, disp=4)
    c.set_r(i.t, lo)
    c.set_r(i.t2, hi)
    c.b.emit("SetReg", lo, attr=EXCL_LO)
    c.b.emit("SetReg", hi, attr=EXCL_HI)


@lifter("STREXD")
def _strexd(c: Ctx, i) -> None:
    addr = c.r(i.n)
    _store_exclusive(c, i, [(4, addr, c.r(i.t), EXCL_LO),
                            (4, c.b.emit("Add", addr, Const(4)), c.r(i.t2), EXCL_HI)])


@lifter("SVC")
def _svc(c: Ctx, i) -> None:
    if c.cond != AL:
        raise NotImplementedError("conditional SVC")
    c.end(Syscall((i.addr + i.size) & 0xFFFFFFFF, c.thumb))


@lifter("UDF", "UNDEFINED")
def _udf(c: Ctx, i) -> None:
    c.end(Halt(i.addr, "undefined"))


@lifter("BKPT")
def _bkpt(c: Ctx, i) -> None:
    c.end(Halt(i.addr, "bkpt"))


@lifter("MRC")
def _mrc(c: Ctx, i) -> None:
    # Only TPIDRURO (p15, 0, Rt, c13, c0, 3) is readable from user mode.
    if (_g(i, "cp"), _g(i, "opc1", 0), _g(i, "CRn"), _g(i, "CRm", 0), _g(i, "opc2")) \
            != (15, 0, 13, 0, 3) or i.t == 15:
        raise NotImplementedError("MRC")
    c.set_r(i.t, c.b.emit("GetReg", attr=16))


# ---- the block loop ---------------------------------------------------------------------------------
def _fetch(mem: GuestMemory, pc: int, thumb: bool):
    """Decode the instruction at pc (None: not executable -> fetch fault)."""
    try:
        mem.check(pc, 2 if thumb else 4, PROT_EXEC)
        if thumb:
            hw1 = int.from_bytes(mem.read(pc, 2, force=True), "little")
            if dec.thumb_size(hw1) == 2:
                return dec.decode_t16(hw1, pc)
            mem.check(pc + 2, 2, PROT_EXEC)
            hw2 = int.from_bytes(mem.read(pc + 2, 2, force=True), "little")
            return dec.decode_t32(hw1, hw2, pc)
        return dec.decode_a32(int.from_bytes(mem.read(pc, 4, force=True), "little"), pc)
    except GuestFault:
        return None


def _code_window(mem: GuestMemory, pc: int) -> bytes:
    """The executable bytes from pc on, as far as a block can reach within pc's mapping:
    one read per block instead of a permission check and a read per instruction. Beyond the
    window, ``_fetch`` decides (another mapping, or a fetch fault)."""
    v = mem.vma_at(pc)
    if v is None or not v.prot & PROT_EXEC:
        return b""
    end = min(v.end, pc + 4 * MAX_INSNS + 8, mem.size)
    return ctypes.string_at(mem.base + pc, end - pc) if end > pc else b""


_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from


def lift_block(mem: GuestMemory, pc: int, thumb: bool, known=None) -> Block:
    """Translate guest code at (pc, thumb) into one IR block. ``known``: the keys
    ``(pc, thumb)`` of blocks that exist already; the block ends (with a link) where one of
    them begins, rather than translating its code a second time."""
    b = ForwardingBlock(pc, thumb)
    c = Ctx(b, thumb)
    addr = pc
    it_conds: list[int] = []            # ITSTATE at each instruction left in the IT block
    it_at = it_mark = it_count = 0      # where the current IT block began (for a roll-back)
    code = _code_window(mem, pc)
    n = len(code)
    lifters = LIFTERS
    # Decode from the code window (one read per block); beyond it, _fetch decides.
    dec_t16, dec_t32, dec_a32 = dec.decode_t16, dec.decode_t32, dec.decode_a32
    while True:
        off = addr - pc
        if known is not None and off and (addr, thumb) in known and not it_conds:
            b.terminal = Link(addr, thumb)
            break
        i = None
        if thumb:
            if off + 2 <= n:
                hw1 = _U16(code, off)[0]
                if hw1 < 0xE800:
                    i = dec_t16(hw1, addr)
                elif off + 4 <= n:
                    i = dec_t32(hw1, _U16(code, off + 2)[0], addr)
        elif off + 4 <= n:
            i = dec_a32(_U32(code, off)[0], addr)
        if i is None:
            i = _fetch(mem, addr, thumb)
            if i is None:                               # not executable: fault on arrival
                b.terminal = Halt(addr, "fetch") if addr == pc else Link(addr, thumb)
                break
        name = i.name
        if it_conds:
            itstate = it_conds.pop(0)
            cond = itstate >> 4
            if i.size == 2 and i.setflags and name.split("_")[0] not in _TESTS:
                i.setflags = False             # T16: setflags = !InITBlock()
            in_it = True
        elif name == "IT":
            it_conds = _it_states(i.firstcond, i.mask)
            it_at, it_mark, it_count = addr, len(b.ops), b.guest_insns
            b.guest_insns += 1
            addr += i.size
            continue
        else:
            cond = i.cond
            in_it = False
        c.insn = i
        c.seq = b.guest_insns
        if in_it:
            # (the interpreter reruns it alone with this ITSTATE: a fault stub sets it)
            if b.itstates is None:
                b.itstates = {}
            b.itstates[c.seq] = itstate
        c.cond = cond = AL if cond is None else cond
        mark = len(b.ops)
        fn = lifters.get(name)
        try:
            if fn is None or i.unpredictable:
                raise NotImplementedError(name)
            skip = None
            if cond != AL and (name not in _ENDS or name in _COND_PC):
                known = b.known_state()
                skip = c.skip = b.new_label()
                b.emit("SkipUnless", attr=(c.cond, skip))
            fn(c, i)
            if skip is not None and not if_convert(b, mark, cond, known):
                b.emit("Label", attr=skip)
                b.restore_state(_known_after(b.ops, mark, known))
        except _End:
            b.guest_insns += 1
            addr += i.size
            break
        except NotImplementedError:
            del b.ops[mark:]
            if in_it and it_at != pc:
                # The interpreter needs ITSTATE: the block ends before the IT, and the
                # block at the IT falls back.
                del b.ops[it_mark:]
                b.guest_insns = it_count
                b.terminal = Link(it_at, thumb)
                addr = it_at
            elif in_it:
                # The interpreter runs the whole IT block from the IT.
                b.ops.clear()
                b.guest_insns = 0
                b.terminal = Fallback(pc, thumb)
                addr = pc + 2
            elif addr == pc:
                b.terminal = Fallback(addr, thumb)
            else:
                b.terminal = Link(addr, thumb)
            break
        b.guest_insns += 1
        addr += i.size
        if not it_conds and b.guest_insns >= MAX_INSNS:
            b.terminal = Link(addr, thumb)
            break
    b.guest_size = max(addr - pc, 2)
    return b


# Operations a conditional instruction may consist of (besides SetReg of r0-r14) to be
# if-converted: pure values that cannot fault (no division: x86 traps where ARM gives 0).
_IFCVT_OPS = frozenset(k for k, (_, produces, effects) in OPCODES.items()
                       if produces and not effects and k not in ("UDiv", "SDiv"))
_IFCVT_MAX = 8          # longer regions are cheaper skipped than computed


def _known_after(ops: list, mark: int, known: dict) -> dict:
    """What is known of the guest state after the conditional region ``ops[mark:]``: what
    was known before it (values defined before the SkipUnless, so on both paths) for the
    registers and flags the region does not write."""
    written = set()
    for op in ops[mark + 1:]:
        opc = op.opcode
        if opc == "SetReg" or opc == "SetFlag":
            written.add(op.attr)
        elif opc in _FLAG_WRITERS:
            written.update(op.attr)
    return {k: v for k, v in known.items() if k not in written}


def if_convert(b: ForwardingBlock, mark: int, cond: int, known: dict) -> bool:
    """Turn the conditional region ``b.ops[mark:]`` (a SkipUnless and one instruction's
    operations) into straight-line code when it only computes values and writes r0-r14:
    each write becomes ``SetReg(r, Select(CondHolds(cond), new, old))``, which the emitter
    makes one ``cmov``. Compilers predicate exactly the short, data-dependent cases
    (``cmp; addgt; addle; movgt`` in a merge), where a branch around each instruction
    mispredicts half the time; straight-line code also keeps the forwarded guest state
    (``known``: what ``b`` knew before the SkipUnless), so no register is read back after
    the region. False (nothing changed) when the region does anything else."""
    ops = b.ops
    region = ops[mark + 1:]
    if not region or len(region) > _IFCVT_MAX:
        return False
    for op in region:
        if op.opcode == "SetReg":
            if op.attr > 14:
                return False
        elif op.opcode not in _IFCVT_OPS:
            return False
    del ops[mark:]
    b.restore_state(known)
    new: dict[int, object] = {}
    for k, op in enumerate(region, mark + 1):
        args = tuple(new[a.index] if a.__class__ is Ref and a.index > mark else a
                     for a in op.args)
        opc = op.opcode
        if opc == "SetReg":
            old = b.get_state("GetReg", op.attr)
            if args[0] != old:
                # The condition right before its use: the emitter makes the pair one cmov
                # (on the x86 flags when they are still the CMP's, else after testing the
                # flag bytes: cheaper than keeping the condition in a register across code
                # that changes the x86 flags).
                c = b.emit("CondHolds", attr=cond)
                b.set_state("SetReg", b.emit("Select", c, args[0], old), op.attr)
        elif opc == "GetReg" or opc == "GetFlag":
            new[k] = b.get_state(opc, op.attr)
        else:
            new[k] = b.emit(opc, *args, attr=op.attr)
    return True


_ENDS = {"B", "BL_imm", "BL", "BLX_imm", "BX", "BLX_reg", "SVC", "UDF", "UNDEFINED", "BKPT",
         "TBB", "TBH"}
_COND_PC = {"BX"}          # block-ending instructions lifted under a condition via write_pc


def _it_states(firstcond: int, mask: int) -> list[int]:
    """ITSTATE at each instruction of an IT block: firstcond:mask first, then ITAdvance
    shifts ITSTATE[4:0] left; an instruction's condition is its ITSTATE[7:4]."""
    state = (firstcond << 4) | mask
    states = []
    while state & 0xF:
        states.append(state)
        state = 0 if state & 0x7 == 0 else (state & 0xE0) | ((state << 1) & 0x1F)
    return states


from . import lift_vfp  # noqa: E402,F401  (registers the VFP lifters; imports this module)
from . import lift_neon  # noqa: E402,F401  (registers the NEON lifters)
