"""IR -> SSE2 for the VFP operations (mixed into :class:`translator.jit.x86emit.Emitter`).

Floating-point values are IEEE bit patterns in the spill slots: 4 bytes for single precision,
8 for double (``ir.is_wide``). SSE2 computes the same IEEE results as VFP in the default
configuration Linux runs with (round to nearest, no flush-to-zero, NaN propagation on); the
places where x86 and ARM differ are fixed up on cold paths here:

* NaN results: x86 returns the *first* NaN operand (quietened) and a negative "indefinite"
  NaN (0xFFF8...) for invalid operations; ARM (FPProcessNaNs) prefers a signalling NaN in
  either operand over a quiet one, and its default NaN is positive (0x7FF8...), which it also
  returns for every NaN when FPSCR.DN is set. Any NaN result goes through ``_nan_fixup``,
  which picks ARM's answer in integer code
  (one shared subroutine per precision and arity, laid out after the epilogue).
* Float -> integer: x86 gives 0x80000000 for NaN and out-of-range values; ARM saturates and
  gives 0 for NaN, raising Invalid Operation (and not Inexact). Values are range-checked
  before converting, so the x86 flags are only ever those ARM would raise.
* Compares: ucomis/comis flags become FPSCR NZCV (unordered 0011, equal 0110, less 1000,
  greater 0010); comis signals on quiet NaNs as VCMPE does.

Rounding mode and flush-to-zero come from MXCSR, which the entry trampoline sets from the
FPSCR; the x86 exception flags accumulate in MXCSR and are folded into FPSCR at every exit
(``codecache._leave_guest_fp``) and by ``FpscrRead`` (VMRS). Known divergence: x86 detects
underflow tininess after rounding, ARM before, so UFC can differ for results that round up to
the smallest normal number.

Scratch registers: rax, rcx, rdx, xmm0, xmm1 only. Operands and results live where
``Emitter._allocate`` put them (``self.loc``: a host register, holding a 64-bit value whole,
or a spill slot); ``_fld/_fst/_gld/_gst`` are the only accessors.
"""
from __future__ import annotations

import struct

from ..backends.x86.asm import CC, GPR, RAX, RBP, RCX, RDX, RSP, XMM0, XMM1, mem
from .codecache import SPILL_SLOTS, mxcsr_flags_to_rcx
from .ir import Const, Ref
from .state import OFFSETS

DEFAULT_NAN = {True: 0x7FF8000000000000, False: 0x7FC00000}
QUIET_BIT = {True: 51, False: 22}
SIGN_BIT = {True: 63, False: 31}
_DN_BYTE, _DN_MASK = OFFSETS["fpscr"] + 3, 0x02       # FPSCR.DN is bit 25
# (lower, upper) exclusive bounds of the doubles that truncate into range
_INT_RANGE = {True: (-2147483649.0, 2147483648.0), False: (-1.0, 4294967296.0)}
_CMP_TABLE = 0x30000682      # NZCV nibble by CF | ZF << 1 | PF << 2


def _bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


# Offsets from the code cache's epilogue of the shared NaN helpers, by (wide, operand count);
# filled in by codecache when it lays out its trampolines.
NAN_HELPERS: dict[tuple[bool, int], int] = {}


def emit_nan_select(a, wide: bool, nargs: int) -> None:
    """A subroutine: operands in rax (and rcx), ARM's NaN result in rax: quiet(first
    signalling NaN operand), else the first quiet NaN operand, else the default NaN (an invalid
    operation on non-NaN operands); the default NaN whenever FPSCR.DN is set (rbp = state).
    Clobbers rdx and xmm1. Testing the operands raises no new x86 flag: the operation already
    raised Invalid for any signalling NaN among them."""
    w, q = (64 if wide else 32), QUIET_BIT[wide]
    mov_x = a.movq if wide else a.movd
    ucomis = a.ucomisd if wide else a.ucomiss
    out_a, out_b, quiet_a, quiet_b = (a.label() for _ in range(4))
    a.xor(RDX, RDX)                       # bit k: operand k is a NaN
    regs = (RAX, RCX)[:nargs]
    for k, reg in enumerate(regs):
        not_nan = a.label()
        mov_x(XMM1, reg)
        ucomis(XMM1, XMM1)
        a.jcc(CC.NP, not_nan)
        a.or_(RDX, 1 << k)
        a.bind(not_nan)
    for k, (reg, quiet) in enumerate(zip(regs, (quiet_a, quiet_b))):
        nxt = a.label()
        a.test(RDX, 1 << k)
        a.jcc(CC.E, nxt)
        a.bt(reg, q, w)
        a.jcc(CC.AE, quiet)               # quiet bit clear: a signalling NaN
        a.bind(nxt)
    a.test(RDX, 1)
    a.jcc(CC.NE, out_a)
    if nargs > 1:
        a.test(RDX, 2)
        a.jcc(CC.NE, out_b)
    a.mov(RAX, DEFAULT_NAN[wide], w)
    a.jmp(out_a)
    if nargs > 1:
        a.bind(quiet_b)
        a.bts(RCX, q, w)
        a.bind(out_b)
        a.mov(RAX, RCX, w)
        a.jmp(out_a)
    a.bind(quiet_a)
    a.bts(RAX, q, w)
    a.bind(out_a)
    keep = a.label()
    a.test(mem(RBP, _DN_BYTE), _DN_MASK, 8)
    a.jcc(CC.E, keep)
    a.mov(RAX, DEFAULT_NAN[wide], w)
    a.bind(keep)
    a.ret()


def _fslot(i: int):
    if i >= SPILL_SLOTS:
        from .x86emit import TooManyValues
        raise TooManyValues(i)
    return mem(RSP, 8 * i)


class VfpEmitter:
    """``op_*`` methods for the VFP opcodes; expects ``self.asm`` and ``self.epilogue`` like
    the main Emitter."""

    asm = None
    epilogue = 0

    # ---- operands -----------------------------------------------------------------------
    def _fld(self, arg, x, wide: bool) -> None:
        """Load an FP bit pattern into an xmm register."""
        a = self.asm
        if isinstance(arg, Const):
            a.mov(RAX, arg.value & (0xFFFFFFFFFFFFFFFF if wide else 0xFFFFFFFF),
                  64 if wide else 32)
            (a.movq if wide else a.movd)(x, RAX)
        elif isinstance(arg, Ref):
            h = self.loc[arg.index]
            if h >= 0:                       # in a host register (Emitter._allocate)
                (a.movq if wide else a.movd)(x, GPR[h])
            elif h == -3:                    # REMAT: a 32-bit guest register
                self.buf += self._remat_code(arg.index, RAX)
                a.movd(x, RAX)
            else:
                (a.movsd if wide else a.movss)(x, _fslot(arg.index))
        else:
            raise TypeError(f"bad operand {arg!r}")

    def _fst(self, i: int, x, wide: bool) -> None:
        h = self.loc[i]
        if h >= 0:
            (self.asm.movq if wide else self.asm.movd)(GPR[h], x)
        elif h == -1:                        # IN_SLOT (-2: the value is never read)
            (self.asm.movsd if wide else self.asm.movss)(_fslot(i), x)

    def _gld(self, arg, reg, wide: bool, high: bool = False) -> None:
        """Load a value (or its high half) into a general register."""
        a = self.asm
        if isinstance(arg, Const):
            v = arg.value >> 32 if high else arg.value
            a.mov(reg, v & (0xFFFFFFFFFFFFFFFF if wide else 0xFFFFFFFF), 64 if wide else 32)
        elif isinstance(arg, Ref):
            h = self.loc[arg.index]
            if h >= 0:
                if high:
                    a.mov(reg, GPR[h], 64)
                    a.shr(reg, 32, 64)
                else:
                    a.mov(reg, GPR[h], 64 if wide else 32)
            elif h == -3:                    # REMAT: a 32-bit guest register
                if high:
                    a.mov(reg, 0)
                else:
                    self.buf += self._remat_code(arg.index, reg)
            else:
                a.mov(reg, mem(RSP, 8 * arg.index + (4 if high else 0)), 64 if wide else 32)
        else:
            raise TypeError(f"bad operand {arg!r}")

    def _gst(self, i: int, reg, wide: bool) -> None:
        h = self.loc[i]
        if h >= 0:
            self.asm.mov(GPR[h], reg, 64 if wide else 32)
        elif h == -1:
            self.asm.mov(_fslot(i), reg, 64 if wide else 32)

    # ---- 64-bit plumbing -------------------------------------------------------------------
    def op_Cat64(self, i, op, labels):
        a = self.asm
        self._gld(op.args[0], RAX, False)
        self._gld(op.args[1], RCX, False)
        a.shl(RCX, 32, 64)
        a.or_(RAX, RCX, 64)
        self._gst(i, RAX, True)

    def op_Lo32(self, i, op, labels):
        self._gld(op.args[0], RAX, False)
        self._gst(i, RAX, False)

    def op_Hi32(self, i, op, labels):
        self._gld(op.args[0], RAX, False, high=True)
        self._gst(i, RAX, False)

    # ---- NaN results -----------------------------------------------------------------------
    def _ucomis(self, wide: bool):
        return self.asm.ucomisd if wide else self.asm.ucomiss

    def _nan_fixup(self, args, wide: bool) -> None:
        """xmm0 holds an arithmetic result; when it is a NaN, replace it by ARM's choice (see
        ``emit_nan_select``: a shared helper next to the epilogue keeps the cold path out of
        every block)."""
        a = self.asm
        done = a.label()
        self._ucomis(wide)(XMM0, XMM0)
        a.jcc(CC.NP, done)
        for arg, reg in zip(args, (RAX, RCX)):
            self._gld(arg, reg, wide)
        if not NAN_HELPERS:                   # no code cache built yet in this process
            from .codecache import build_trampolines
            build_trampolines()
        a.call_abs(self.epilogue + NAN_HELPERS[wide, len(args)])
        (a.movq if wide else a.movd)(XMM0, RAX)
        a.bind(done)

    # ---- arithmetic ------------------------------------------------------------------------
    def _farith(self, i, op, name: str) -> None:
        wide = op.attr == "d"
        self._fld(op.args[0], XMM0, wide)
        self._fld(op.args[1], XMM1, wide)
        getattr(self.asm, name + ("sd" if wide else "ss"))(XMM0, XMM1)
        self._nan_fixup(op.args, wide)
        self._fst(i, XMM0, wide)

    def op_FAdd(self, i, op, labels):
        self._farith(i, op, "add")

    def op_FSub(self, i, op, labels):
        self._farith(i, op, "sub")

    def op_FMul(self, i, op, labels):
        self._farith(i, op, "mul")

    def op_FDiv(self, i, op, labels):
        self._farith(i, op, "div")

    def op_FSqrt(self, i, op, labels):
        wide = op.attr == "d"
        self._fld(op.args[0], XMM1, wide)
        (self.asm.sqrtsd if wide else self.asm.sqrtss)(XMM0, XMM1)
        self._nan_fixup(op.args, wide)
        self._fst(i, XMM0, wide)

    def _sign(self, i, op, how: str) -> None:
        wide = op.attr == "d"
        self._gld(op.args[0], RAX, wide)
        getattr(self.asm, how)(RAX, SIGN_BIT[wide], 64 if wide else 32)
        self._gst(i, RAX, wide)

    def op_FNeg(self, i, op, labels):
        self._sign(i, op, "btc")

    def op_FAbs(self, i, op, labels):
        self._sign(i, op, "btr")

    # ---- conversions -----------------------------------------------------------------------
    def op_FCvt(self, i, op, labels):
        """f32 <-> f64. x86 keeps the sign and the top payload bits of a NaN and sets the
        quiet bit, as ARM's FPConvert does; only FPSCR.DN needs a fix-up."""
        a = self.asm
        to_wide = op.attr == "d"
        self._fld(op.args[0], XMM1, not to_wide)
        (a.cvtss2sd if to_wide else a.cvtsd2ss)(XMM0, XMM1)
        done = a.label()
        self._ucomis(to_wide)(XMM0, XMM0)
        a.jcc(CC.NP, done)
        a.test(mem(RBP, _DN_BYTE), _DN_MASK, 8)
        a.jcc(CC.E, done)
        a.mov(RAX, DEFAULT_NAN[to_wide], 64 if to_wide else 32)
        (a.movq if to_wide else a.movd)(XMM0, RAX)
        a.bind(done)
        self._fst(i, XMM0, to_wide)

    def op_FFromInt(self, i, op, labels):
        prec, signed = op.attr
        wide = prec == "d"
        self._gld(op.args[0], RAX, False)            # zero-extended into rax
        cvt = self.asm.cvtsi2sd if wide else self.asm.cvtsi2ss
        cvt(XMM0, RAX, 32 if signed else 64)          # unsigned: the exact 64-bit value
        self._fst(i, XMM0, wide)

    def op_FToInt(self, i, op, labels):
        """ARM's FPToFixed: round towards zero (VCVT) or by FPSCR.RMode (VCVTR, attr
        (prec, signed, False)), saturate, NaN -> 0, Invalid (and not Inexact) when out of
        range."""
        a = self.asm
        prec, signed, *rest = op.attr
        round_zero = rest[0] if rest else True
        mx = mem(RBP, OFFSETS["mxcsr"])
        self._fld(op.args[0], XMM0, prec == "d")
        if prec != "d":
            a.cvtss2sd(XMM0, XMM0)                   # exact; a signalling NaN raises Invalid
        slow, done, neg, nan, invalid = (a.label() for _ in range(5))
        if round_zero:
            lo, hi = _INT_RANGE[signed]              # exclusive: truncates into range
            below, above = CC.BE, CC.AE
        else:                                        # inclusive integer bounds: any rounding
            lo, hi = (-2147483648.0, 2147483647.0) if signed else (0.0, 4294967295.0)
            below, above = CC.B, CC.A
        a.mov(RAX, _bits(lo), 64)
        a.movq(XMM1, RAX)
        a.ucomisd(XMM0, XMM1)
        a.jcc(below, slow)                           # also taken when unordered
        a.mov(RAX, _bits(hi), 64)
        a.movq(XMM1, RAX)
        a.ucomisd(XMM0, XMM1)
        a.jcc(above, slow)
        cvt = a.cvttsd2si if round_zero else a.cvtsd2si
        cvt(RAX, XMM0, 64)                           # in range: exact flags (Inexact)
        a.jmp(done)
        a.bind(slow)
        a.ucomisd(XMM0, XMM0)
        a.jcc(CC.P, nan)
        if not round_zero:
            # Near the bounds the rounded value decides: convert to 64 bits, and when that
            # is out of range undo the conversion's flags (ARM raises only Invalid).
            a.stmxcsr(mx)
            a.cvtsd2si(RAX, XMM0, 64)
            if signed:
                a.movsxd(RCX, RAX)
                a.cmp(RAX, RCX, 64)
                a.jcc(CC.E, done)
            else:
                a.mov(RCX, RAX, 64)
                a.shr(RCX, 32, 64)
                a.jcc(CC.E, done)
            a.ldmxcsr(mx)
        a.movq(RAX, XMM0)
        a.test(RAX, RAX, 64)
        a.jcc(CC.S, neg)
        a.mov(RAX, 0x7FFFFFFF if signed else 0xFFFFFFFF)
        a.jmp(invalid)
        a.bind(neg)
        a.mov(RAX, 0x80000000 if signed else 0)
        a.jmp(invalid)
        a.bind(nan)
        a.xor(RAX, RAX)
        a.bind(invalid)
        self._raise_invalid()
        a.bind(done)
        self._gst(i, RAX, False)

    def _raise_invalid(self) -> None:
        a = self.asm
        mx = mem(RBP, OFFSETS["mxcsr"])
        a.stmxcsr(mx)
        a.or_(mx, 1)                                 # MXCSR.IE -> FPSCR.IOC at exit
        a.ldmxcsr(mx)

    # ---- compares and the FPSCR ------------------------------------------------------------
    def op_FCmp(self, i, op, labels):
        """FPSCR NZCV of comparing a with b (VCMP: ucomis, VCMPE: comis)."""
        a = self.asm
        prec, signalling = op.attr
        wide = prec == "d"
        self._fld(op.args[0], XMM0, wide)
        self._fld(op.args[1], XMM1, wide)
        a.xor(RAX, RAX)
        a.xor(RCX, RCX)
        a.xor(RDX, RDX)
        if signalling:
            (a.comisd if wide else a.comiss)(XMM0, XMM1)
        else:
            self._ucomis(wide)(XMM0, XMM1)
        a.setcc(CC.B, RAX)
        a.setcc(CC.E, RCX)
        a.setcc(CC.P, RDX)
        a.lea(RAX, mem(RAX, 0, RCX, 2))
        a.lea(RCX, mem(RAX, 0, RDX, 4))
        a.shl(RCX, 2)
        a.mov(RAX, _CMP_TABLE)
        a.shr(RAX, RCX)
        a.and_(RAX, 0xF)
        self._gst(i, RAX, False)

    def op_FpscrRead(self, i, op, labels):
        """The FPSCR word (operand) with the exception flags native code raised so far."""
        a = self.asm
        mxcsr_flags_to_rcx(a)
        self._gld(op.args[0], RAX, False)
        a.or_(RAX, RCX)
        self._gst(i, RAX, False)
