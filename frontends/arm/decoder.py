"""Table-driven ARM32 decoder (A32, T32, T16 and VFP) for the JIT frontend.

The encoding rows live in :mod:`frontends.arm.encodings`. At import every row is compiled into
a small Python function (generated source: field extraction with shifts and masks, then a call
to the row's *form*, which computes the manual's encoding-specific variables). Dispatch goes
through a lazily filled cache keyed on the bits that discriminate most rows (A32: bits 27:20,
11:4 and "cond is 1111"; T32: hw1[12:4] and hw2[15:4]; T16: the whole halfword); each cache
entry is the short, priority-ordered tuple of rows compatible with those bits.

Field conventions of :class:`Insn` (names and meanings as in the ARM ARM's encoding-specific
pseudocode; a field an instruction does not define reads as None, ``unpredictable`` as False):

* every insn: ``name`` (manual name, e.g. ``ADD_imm``; ``UNDEFINED``; ``NEON`` for all Advanced
  SIMD), ``enc`` (``A1``, ``T3``...), ``size`` (2/4), ``addr``, ``word`` (raw bits; T32 is
  hw1 << 16 | hw2), ``cond`` (0-14; 14 = AL; Thumb insns other than B T1/T3 say 14 and the
  caller applies the IT condition), ``unpredictable`` (the manual calls these field values
  UNPREDICTABLE: should-be-0/1 bits wrong, PC/SP where not allowed...).
* registers are numbers 0-15: ``d n m s t t2 a dLo dHi`` (Rd Rn Rm Rs Rt Rt2 Ra RdLo RdHi).
* data processing ``<OP>_imm``: ``d`` (None for TST/TEQ/CMP/CMN), ``n`` (None for MOV/MVN),
  ``setflags``, ``imm32`` (ARMExpandImm/ThumbExpandImm applied), ``carry`` (logical ops:
  the shifter carry-out, or None = APSR.C unchanged). ``ADD/SUB_sp_imm``/``_sp_reg`` have
  n = 13. ``<OP>_reg``: ``d n m setflags shift_t shift_n`` (DecodeImmShift applied; shift_t is
  one of SRType_LSL/LSR/ASR/ROR/RRX). ``<OP>_rsr``: ``d n m s setflags shift_t`` (shift by Rs).
  ``MOV_reg`` / ``LSL_imm LSR_imm ASR_imm ROR_imm RRX``: ``d m setflags shift_t shift_n``.
  ``LSL_reg`` etc.: ``d n m setflags shift_t`` (value in n, amount in m, as the manual).
  ``ADR``: ``d imm32 add target`` (target = Align(PC,4) +/- imm32). ``MOVW``: ``d imm32``;
  ``MOVT``: ``d imm16``. T16 forms with setflags = !InITBlock(): pass ``in_it``.
* multiply: ``MUL MLA MLS`` d n m [a] setflags; ``UMULL UMLAL SMULL SMLAL UMAAL`` dLo dHi n m
  setflags; ``SMULxy SMLAxy`` d n m [a] n_high m_high; ``SMULWy SMLAWy`` d n m [a] m_high;
  ``SMLALxy`` dLo dHi n m n_high m_high; ``SMUAD SMUSD SMLAD SMLSD`` d n m [a] m_swap;
  ``SMLALD SMLSLD`` dLo dHi n m m_swap; ``SMMUL SMMLA SMMLS`` d n m [a] round;
  ``USAD8 USADA8 SDIV UDIV`` d n m [a].
* misc data: ``QADD QSUB QDADD QDSUB``, parallel ``SADD16 ... UHSUB8``, ``SEL``: d n m.
  ``SSAT USAT``: d n saturate_to shift_t shift_n; ``SSAT16 USAT16``: d n saturate_to.
  ``SXTB SXTH UXTB UXTH SXTB16 UXTB16``: d m rotation; ``SXTAB ...``: d n m rotation.
  ``PKHBT PKHTB``: d n m tbform shift_t shift_n. ``CLZ REV REV16 REVSH RBIT``: d m.
  ``BFC``: d lsbit msbit; ``BFI``: d n lsbit msbit; ``UBFX SBFX``: d n lsbit widthminus1.
  ``CRC32B/H/W``, ``CRC32CB/CH/CW``: d n m esize crc32c.
* loads/stores ``LDR STR LDRB STRB LDRH STRH LDRSB LDRSH LDRD STRD`` with suffix ``_imm``
  (t [t2] n imm32 index add wback), ``_reg`` (t [t2] n m index add wback shift_t shift_n),
  ``_lit`` (t [t2] n=15 imm32 add index wback, plus target = Align(PC,4) +/- imm32).
  Unprivileged ``LDRT STRT LDRBT STRBT LDRHT STRHT LDRSBT LDRSHT``: t n add postindex
  register_form imm32 | m shift_t shift_n (A32 is post-indexed, T32 offset).
  ``LDREX* LDA* STL*``: t [t2] n imm32; ``STREX* STLEX*``: d t [t2] n imm32. ``SWP SWPB``:
  t t2 n. ``PLD_* PLI_*``: n [m shift_t shift_n] imm32 add is_pldw [target].
* block transfers ``LDM LDMDA LDMDB LDMIB STM STMDA STMDB STMIB``: n registers (bitmask)
  wback. ``PUSH POP``: n = 13, registers, wback = True (A2/T3 single-register forms also
  have t). ``LDM_usr STM_usr LDM_eret``, ``SRS RFE``: n registers increment wordhigher wback.
* branches: ``B`` (cond, imm32, target), ``BL_imm`` / ``BLX_imm`` (target, target_thumb =
  instruction set at the target), ``BX BXJ BLX_reg`` (m), ``CBZ CBNZ`` (n target nonzero),
  ``TBB TBH`` (n m is_tbh). target is absolute (PC = addr+8 in A32, addr+4 in Thumb).
* control: ``IT`` firstcond mask; ``SVC BKPT UDF HVC SMC HLT DBG HINT`` imm32; ``NOP YIELD
  WFE WFI SEV SEVL ESB CSDB CLREX ERET``: no fields; ``DMB DSB ISB`` option; ``MRS`` d spsr;
  ``MSR_reg`` n mask spsr write_nzcvq write_g; ``MSR_imm`` imm32 mask ...; ``MRS_banked
  MSR_banked`` sysm; ``CPS`` imod affectA affectI affectF changemode mode; ``SETEND``
  set_bigend; ``SUBS_PC_LR`` imm32.
* coprocessor: ``MRC MCR`` cp opc1 t CRn CRm opc2 (MRC with t = 15 writes APSR.NZCV);
  ``MRRC MCRR`` cp opc1 t t2 CRm; ``CDP`` cp opc1 CRd CRn CRm opc2; ``LDC_imm LDC_lit STC``
  cp CRd n imm32 index add wback long unindexed option. Encoding A2/T2 is the *2 form.
* VFP (names carry the precision: ``VADD_f64``): ``d n m`` are register numbers in the
  S or D bank (single: Vx:X, double: X:Vx), ``dp_operation``. Three-operand ``VADD VSUB VMUL
  VDIV VNMUL VMLA VMLS VNMLA VNMLS VFMA VFMS VFNMA VFNMS VMAXNM VMINNM`` d n m;
  ``VMOV_reg VABS VNEG VSQRT VRINT{R,Z,X,A,N,P,M}`` d m; ``VMOV_imm_f32/_f64`` d imm32 /
  imm64 (VFPExpandImm bits); ``VCMP VCMPE`` d m with_zero quiet_nan_exc; ``VSEL_f*`` d n m
  sel_cond. Conversions: ``VCVT_<to>_<from>`` / ``VCVTR_<int>_<fp>`` / ``VCVT{A,N,P,M}_...``:
  d m to_integer unsigned round_zero [rmode] dp_operation (the int side is always an S
  register); ``VCVT_f64_f32 VCVT_f32_f64`` d m; ``VCVT_fixed`` d to_fixed unsigned esize
  frac_bits; ``VCVTB VCVTT`` d m to_half lowbit. Transfers: ``VMOV_rs`` t n to_arm_register;
  ``VMOV_rrss`` t t2 m (S m, m+1); ``VMOV_rrd`` t t2 m (D m); ``VMOV_r2sc`` d t esize index;
  ``VMOV_sc2r`` t n esize index unsigned; ``VMRS`` t (15 = APSR_nzcv) reg; ``VMSR`` t reg
  (reg 1 = FPSCR). Memory: ``VLDR VSTR`` d n imm32 add single_reg [target]; ``VLDM VSTM VPUSH
  VPOP FLDMX FSTMX`` d n regs imm32 add wback single_regs.
"""
from __future__ import annotations

import atexit
import marshal
import re
import struct

from translator import diskcache

from . import encodings as E

__all__ = ["Insn", "decode_a32", "decode_t32", "decode_t16", "decode", "thumb_size", "disasm",
           "SRType_LSL", "SRType_LSR", "SRType_ASR", "SRType_ROR", "SRType_RRX"]

SRType_LSL, SRType_LSR, SRType_ASR, SRType_ROR, SRType_RRX = 0, 1, 2, 3, 4
COND_AL = 14
MASK32 = 0xFFFFFFFF

# Every field an Insn may carry (manual names). See FIELDS below for meanings.
_SLOTS = (
    "name", "enc", "size", "addr", "cond", "word", "unpredictable",
    # registers
    "d", "n", "m", "s", "t", "t2", "a", "dLo", "dHi",
    # data processing
    "imm32", "imm16", "imm64", "setflags", "carry", "shift_t", "shift_n", "rotation",
    "saturate_to", "lsbit", "msbit", "widthminus1", "tbform", "n_high", "m_high", "m_swap",
    "round", "crc32c",
    # memory
    "add", "index", "wback", "registers", "postindex", "register_form", "is_pldw", "is_tbh",
    "increment", "wordhigher", "mode",
    # branches / control
    "target", "target_thumb", "nonzero", "firstcond", "mask", "option", "spsr", "sysm",
    "write_nzcvq", "write_g", "imod", "affectA", "affectI", "affectF", "changemode",
    "set_bigend",
    # coprocessor
    "cp", "opc1", "opc2", "CRd", "CRn", "CRm", "long", "unindexed",
    # VFP
    "dp_operation", "single_reg", "single_regs", "regs", "with_zero", "quiet_nan_exc",
    "to_integer", "unsigned", "round_zero", "rmode", "to_fixed", "frac_bits", "esize",
    "lowbit", "to_half", "to_arm_register", "reg", "sel_cond", "advsimd",
)


class Insn:
    """One decoded instruction; unset fields read as None (``unpredictable`` as False)."""

    __slots__ = _SLOTS

    def __init__(self, name: str, enc: str, size: int, addr: int, cond: int, word: int) -> None:
        self.name = name
        self.enc = enc
        self.size = size
        self.addr = addr
        self.cond = cond
        self.word = word
        self.unpredictable = False      # read for every instruction: not via __getattr__

    def __getattr__(self, attr: str):
        if attr in _SLOT_SET:
            return False if attr == "unpredictable" else None
        raise AttributeError(attr)

    def fields(self) -> dict:
        """The fields that are set, as a dict (for debugging and tests)."""
        out = {}
        for k in _SLOTS:
            try:
                out[k] = object.__getattribute__(self, k)
            except AttributeError:
                pass
        if not out.get("unpredictable", True):
            del out["unpredictable"]        # the default, like any unset field
        return out

    def __repr__(self) -> str:
        f = self.fields()
        head = f"{f.pop('name')} {f.pop('enc')} @{f.pop('addr'):#x}"
        return f"<Insn {head} " + " ".join(f"{k}={v}" for k, v in f.items()) + ">"

    def render(self) -> str:
        """Capstone-style assembly text (see :func:`disasm`)."""
        return disasm(self)


_SLOT_SET = frozenset(_SLOTS)

# ------------------------------------------------------------------------------------------
# Shared pseudocode helpers (as precomputed tables)


def _ror32(v: int, r: int) -> int:
    r &= 31
    return ((v >> r) | (v << (32 - r))) & MASK32 if r else v


def _arm_expand(imm12: int) -> tuple[int, int | None]:
    rot = (imm12 >> 8) * 2
    v = _ror32(imm12 & 0xFF, rot)
    return v, (None if rot == 0 else v >> 31)


def _thumb_expand(imm12: int) -> tuple[int, int | None, bool]:
    """ThumbExpandImm_C: (imm32, carry or None, unpredictable)."""
    if imm12 >> 10 == 0:
        b = imm12 & 0xFF
        k = (imm12 >> 8) & 3
        if k == 0:
            return b, None, False
        v = (b << 16 | b) if k == 1 else (b << 24 | b << 8) if k == 2 else b * 0x01010101
        return v, None, b == 0
    v = _ror32(0x80 | (imm12 & 0x7F), imm12 >> 7)
    return v, v >> 31, False


_AEI = [_arm_expand(i) for i in range(4096)]
_TEI = [_thumb_expand(i) for i in range(4096)]


def _imm_shift(t: int, imm5: int) -> tuple[int, int]:
    if t == 0:
        return SRType_LSL, imm5
    if t == 1 or t == 2:
        return t, imm5 or 32
    return (SRType_RRX, 1) if imm5 == 0 else (SRType_ROR, imm5)


_IMMSHIFT = [_imm_shift(k >> 5, k & 31) for k in range(128)]


def _vfp_expand(imm8: int, n: int) -> int:
    """VFPExpandImm for N = 32 or 64."""
    sign = imm8 >> 7
    b6 = (imm8 >> 6) & 1
    if n == 32:
        exp = ((b6 ^ 1) << 7) | ((0x1F if b6 else 0) << 2) | ((imm8 >> 4) & 3)
        return (sign << 31) | (exp << 23) | ((imm8 & 15) << 19)
    exp = ((b6 ^ 1) << 10) | ((0xFF if b6 else 0) << 2) | ((imm8 >> 4) & 3)
    return (sign << 63) | (exp << 52) | ((imm8 & 15) << 48)


def _sx(v: int, bits: int) -> int:
    return v - (1 << bits) if v >> (bits - 1) else v


def _bitcount(v: int) -> int:
    return bin(v).count("1")


def _undef(ins: Insn) -> Insn:
    ins.name = "UNDEFINED"
    return ins


# ------------------------------------------------------------------------------------------
# Forms: each computes the manual's variables from raw fields. Parameter names are pattern
# letters (or constants from the row); `_pc` is the PC value as read by the instruction
# (addr+8 / addr+4), `_it` is True inside an IT block (T16), `_th` is True for Thumb.

def _f_undef(ins):
    return _undef(ins)


def _f_neon(ins):
    ins.name = "NEON"
    return ins


def _f_none(ins):
    return ins


def _f_imm(ins, i):
    ins.imm32 = i
    return ins


def _f_bkpt(ins, i):
    ins.imm32 = i
    if ins.cond != COND_AL:
        ins.unpredictable = True
    return ins


def _f_udf_a(ins, i):
    ins.imm32 = i
    if ins.cond != COND_AL:
        return _undef(ins)
    return ins


def _f_barrier(ins, o):
    ins.option = o
    return ins


def _f_setend(ins, E):
    ins.set_bigend = E == 1
    return ins


def _f_cps(ins, i, M, A, I, F, m):
    ins.imod = i
    ins.changemode = M == 1
    ins.affectA, ins.affectI, ins.affectF = A == 1, I == 1, F == 1
    ins.mode = m
    if (m and not M) or (i >> 1 and not (A or I or F)) or (not i >> 1 and (A or I or F)) \
            or i == 1 or (i == 0 and not M):
        ins.unpredictable = True
    return ins


def _f_cps16(ins, m, A, I, F):
    ins.imod = 3 if m else 2
    ins.changemode = False
    ins.affectA, ins.affectI, ins.affectF = A == 1, I == 1, F == 1
    if not (A or I or F):
        ins.unpredictable = True
    return ins


# -- data processing ---------------------------------------------------------------------

def _f_dp_imm_a(ins, i, n=None, d=None, S=1):
    ins.d = d
    ins.n = n
    ins.setflags = S == 1
    ins.imm32 = _AEI[i][0]
    if d == 15 and S == 1:
        ins.unpredictable = True          # SUBS PC, LR and related (exception return)
    return ins


def _f_dp_imml_a(ins, i, n=None, d=None, S=1):
    ins.d = d
    ins.n = n
    ins.setflags = S == 1
    ins.imm32, ins.carry = _AEI[i]
    if d == 15 and S == 1:
        ins.unpredictable = True
    return ins


def _f_adr_a(ins, d, i, U, _pc):
    ins.d = d
    ins.imm32 = v = _AEI[i][0]
    ins.add = U == 1
    ins.target = ((_pc & ~3) + (v if U else -v)) & MASK32
    return ins


def _f_dp_reg(ins, m, i, y, _th, n=None, d=None, S=1):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.setflags = S == 1
    ins.shift_t, ins.shift_n = _IMMSHIFT[(y << 5) | i]
    if _th:
        if d is None:         # TST/TEQ/CMP/CMN
            if n == 15 or m in (13, 15) or (n == 13 and ins.name[0] == "T"):
                ins.unpredictable = True
        elif n is None:       # MOV/MVN and the shifts
            if d == 15 or m == 15 or (d == 13 or m == 13) and ins.name != "MOV_reg":
                ins.unpredictable = True
            elif ins.name == "MOV_reg" and S == 1 and (d == 13 or m == 13):
                ins.unpredictable = True
        elif n == 13:         # ADD/SUB (SP plus register)
            if d == 15 or m in (13, 15) or (d == 13 and (ins.shift_t != 0 or ins.shift_n > 3)):
                ins.unpredictable = True
        elif d in (13, 15) or n in (13, 15) or m in (13, 15):
            ins.unpredictable = True
    elif d == 15 and S == 1:
        ins.unpredictable = True
    return ins


def _f_dp_rsr(ins, m, s, y, n=None, d=None, S=1):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.s = s
    ins.setflags = S == 1
    ins.shift_t = y
    if d == 15 or n == 15 or m == 15 or s == 15:
        ins.unpredictable = True
    return ins


def _f_shift_reg(ins, d, n, m, y, _th, S=0):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.setflags = S == 1
    ins.shift_t = y
    if d == 15 or n == 15 or m == 15 or (_th and (d == 13 or n == 13 or m == 13)):
        ins.unpredictable = True
    return ins


def _f_dp_imm_t(ins, i, n=None, d=None, S=1):
    ins.d = d
    ins.n = n
    ins.setflags = S == 1
    v, c, u = _TEI[i]
    ins.imm32 = v
    if u:
        ins.unpredictable = True
    if d is None:
        if n == 15:
            ins.unpredictable = True
    elif n == 13:
        if d == 15:
            ins.unpredictable = True
    elif d in (13, 15) or n == 15 or n == 13:
        ins.unpredictable = True
    return ins


def _f_dp_imml_t(ins, i, n=None, d=None, S=1):
    ins.d = d
    ins.n = n
    ins.setflags = S == 1
    v, c, u = _TEI[i]
    ins.imm32 = v
    ins.carry = c
    if u or d in (13, 15) or n in (13, 15):
        ins.unpredictable = True
    return ins


def _f_adr_t(ins, d, i, U, _pc):
    ins.d = d
    ins.imm32 = i
    ins.add = U == 1
    ins.target = ((_pc & ~3) + (i if U else -i)) & MASK32
    if d in (13, 15):
        ins.unpredictable = True
    return ins


def _f_addw(ins, n, d, i):
    ins.d = d
    ins.n = n
    ins.imm32 = i
    ins.setflags = False
    if d == 15 or (d == 13 and n != 13):
        ins.unpredictable = True
    return ins


def _f_movw(ins, d, i):
    ins.d = d
    ins.imm32 = ins.imm16 = i
    ins.setflags = False
    if d == 15:
        ins.unpredictable = True
    return ins


def _f_movw_t(ins, d, j, i):
    ins.d = d
    ins.imm32 = ins.imm16 = (j << 12) | i
    ins.setflags = False
    if d in (13, 15):
        ins.unpredictable = True
    return ins


def _chk(ins, *regs, th=False):
    """Mark UNPREDICTABLE when any register is PC (or SP in Thumb)."""
    for r in regs:
        if r == 15 or (th and r == 13):
            ins.unpredictable = True
            return


def _f_mul(ins, d, n, m, _th, a=None, S=0):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.a = a
    ins.setflags = S == 1
    _chk(ins, d, n, m, a, th=_th)
    return ins


def _f_mull(ins, h, l, n, m, _th, S=0):
    ins.dLo = l
    ins.dHi = h
    ins.n = n
    ins.m = m
    ins.setflags = S == 1
    _chk(ins, h, l, n, m, th=_th)
    if h == l:
        ins.unpredictable = True
    return ins


def _f_smlaxy(ins, d, n, m, _th, a=None, N=0, M=0):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.a = a
    ins.n_high = N == 1
    ins.m_high = M == 1
    _chk(ins, d, n, m, a, th=_th)
    return ins


def _f_smlalxy(ins, h, l, n, m, N, M, _th):
    ins.dLo = l
    ins.dHi = h
    ins.n = n
    ins.m = m
    ins.n_high = N == 1
    ins.m_high = M == 1
    _chk(ins, h, l, n, m, th=_th)
    if h == l:
        ins.unpredictable = True
    return ins


def _f_smlad(ins, d, n, m, M, _th, a=None):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.a = a
    ins.m_swap = M == 1
    _chk(ins, d, n, m, a, th=_th)
    return ins


def _f_smlald(ins, h, l, n, m, M, _th):
    ins.dLo = l
    ins.dHi = h
    ins.n = n
    ins.m = m
    ins.m_swap = M == 1
    _chk(ins, h, l, n, m, th=_th)
    if h == l:
        ins.unpredictable = True
    return ins


def _f_smmla(ins, d, n, m, R, _th, a=None):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.a = a
    ins.round = R == 1
    _chk(ins, d, n, m, th=_th)
    if a is not None and (a == 15 or (_th and a == 13)):
        ins.unpredictable = True
    return ins


def _f_usad8(ins, d, n, m, _th, a=None):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.a = a
    _chk(ins, d, n, m, a, th=_th)
    return ins


def _f_div(ins, d, n, m, _th):
    ins.d = d
    ins.n = n
    ins.m = m
    _chk(ins, d, n, m, th=_th)
    return ins


def _f_rrr(ins, d, n, m, _th):
    ins.d = d
    ins.n = n
    ins.m = m
    _chk(ins, d, n, m, th=_th)
    return ins


def _f_rr(ins, d, m, _th):
    ins.d = d
    ins.m = m
    _chk(ins, d, m, th=_th)
    return ins


def _f_rr_t(ins, d, m, M):
    ins.d = d
    ins.m = m
    if M != m:
        ins.unpredictable = True
    _chk(ins, d, m, th=True)
    return ins


def _f_crc32(ins, d, n, m, z, C, _th):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.esize = 8 << z
    ins.crc32c = C == 1
    ins.name = ("CRC32C" if C else "CRC32") + "BHWX"[z]
    _chk(ins, d, n, m, th=_th)
    if z == 3 or ins.cond != COND_AL:
        ins.unpredictable = True
    return ins


def _f_pkh(ins, d, n, m, i, T, _th):
    ins.d = d
    ins.n = n
    ins.m = m
    ins.tbform = T == 1
    ins.shift_t, ins.shift_n = _IMMSHIFT[(T << 6) | i]
    _chk(ins, d, n, m, th=_th)
    return ins


def _f_xt(ins, d, m, R, _th, n=None):
    ins.d = d
    ins.m = m
    ins.n = n
    ins.rotation = R << 3
    _chk(ins, d, m, th=_th)
    if _th and n == 13:
        ins.unpredictable = True
    return ins


def _f_xt16(ins, d, m):
    ins.d = d
    ins.m = m
    ins.rotation = 0
    return ins


def _f_sat(ins, d, n, u, i, y, s):
    ins.d = d
    ins.n = n
    ins.saturate_to = u + 1 if s else u
    ins.shift_t, ins.shift_n = _IMMSHIFT[(y << 6) | i]
    _chk(ins, d, n)
    return ins


def _f_sat_t(ins, d, n, u, i, y, s):
    ins.d = d
    ins.n = n
    ins.saturate_to = u + 1 if s else u
    ins.shift_t, ins.shift_n = _IMMSHIFT[(y << 6) | i]
    _chk(ins, d, n, th=True)
    return ins


def _f_sat16(ins, d, n, u, s, _th):
    ins.d = d
    ins.n = n
    ins.saturate_to = u + 1 if s else u
    _chk(ins, d, n, th=_th)
    return ins


def _f_bfx(ins, d, n, i, w, _th):
    ins.d = d
    ins.n = n
    ins.lsbit = i
    ins.widthminus1 = w
    ins.msbit = i + w
    _chk(ins, d, n, th=_th)
    if i + w > 31:
        ins.unpredictable = True
    return ins


def _f_bfc(ins, d, i, m, _th, n=None):
    ins.d = d
    ins.n = n
    ins.lsbit = i
    ins.msbit = m
    _chk(ins, d, th=_th)
    if (_th and n == 13) or m < i:
        ins.unpredictable = True
    return ins


def _f_mrs(ins, d, R, _th):
    ins.d = d
    ins.spsr = R == 1
    _chk(ins, d, th=_th)
    return ins


def _f_mrs_banked(ins, d, R, m, M):
    ins.d = d
    ins.spsr = R == 1
    ins.sysm = (M << 4) | m
    return ins


def _f_msr_reg(ins, n, k, R, _th):
    ins.n = n
    ins.spsr = R == 1
    ins.mask = k
    ins.write_nzcvq = k >> 3 == 1
    ins.write_g = (k >> 2) & 1 == 1
    _chk(ins, n, th=_th)
    if k == 0:
        ins.unpredictable = True
    return ins


def _f_msr_banked(ins, n, R, m, M):
    ins.n = n
    ins.spsr = R == 1
    ins.sysm = (M << 4) | m
    return ins


def _f_msr_imm(ins, i, k, R):
    ins.imm32 = _AEI[i][0]
    ins.spsr = R == 1
    ins.mask = k
    ins.write_nzcvq = k >> 3 == 1
    ins.write_g = (k >> 2) & 1 == 1
    return ins


def _f_bx(ins, m):
    ins.m = m
    if ins.name == "BLX_reg" and m == 15:
        ins.unpredictable = True
    return ins


# -- branches ---------------------------------------------------------------------------

def _f_b_a(ins, i, _pc):
    ins.imm32 = v = _sx(i, 24) << 2
    ins.target = (_pc + v) & MASK32
    ins.target_thumb = False
    return ins


def _f_blx_imm_a(ins, i, H, _pc):
    ins.imm32 = v = (_sx(i, 24) << 2) | (H << 1)
    ins.target = (_pc + v) & MASK32
    ins.target_thumb = True
    return ins


def _f_b_t3(ins, S, J, i, _pc, _it):
    ins.imm32 = v = _sx((S << 19) | ((J & 1) << 18) | ((J >> 1) << 17) | i, 20) << 1
    ins.target = (_pc + v) & MASK32
    ins.target_thumb = True
    if _it:
        ins.unpredictable = True
    return ins


def _f_b_t4(ins, S, J, i, _pc, H=None):
    i1 = 1 ^ (J >> 1) ^ S
    i2 = 1 ^ (J & 1) ^ S
    if H is None:
        ins.imm32 = v = _sx((S << 23) | (i1 << 22) | (i2 << 21) | i, 24) << 1
        ins.target = (_pc + v) & MASK32
        ins.target_thumb = True
    else:
        ins.imm32 = v = _sx((S << 22) | (i1 << 21) | (i2 << 20) | i, 23) << 2
        ins.target = ((_pc & ~3) + v) & MASK32
        ins.target_thumb = False
        if H:
            return _undef(ins)
    return ins


def _f_b16_t1(ins, i, _pc, _it):
    ins.imm32 = v = _sx(i, 8) << 1
    ins.target = (_pc + v) & MASK32
    ins.target_thumb = True
    if _it:
        ins.unpredictable = True
    return ins


def _f_b16_t2(ins, i, _pc):
    ins.imm32 = v = _sx(i, 11) << 1
    ins.target = (_pc + v) & MASK32
    ins.target_thumb = True
    return ins


def _f_cbz(ins, n, i, _pc, _it):
    ins.n = n
    ins.imm32 = i << 1
    ins.nonzero = ins.name == "CBNZ"
    ins.target = (_pc + (i << 1)) & MASK32
    if _it:
        ins.unpredictable = True
    return ins


def _f_tbb(ins, n, m):
    ins.n = n
    ins.m = m
    ins.is_tbh = ins.name == "TBH"
    if n == 13 or m in (13, 15):
        ins.unpredictable = True
    return ins


def _f_it(ins, f, k, _it):
    if k == 0:
        return None                       # hints
    ins.firstcond = f
    ins.mask = k
    if f == 15 or (f == 14 and _bitcount(k) != 1) or _it:
        ins.unpredictable = True
    return ins


# -- loads and stores -------------------------------------------------------------------

def _ldst_chk(ins, n, t, wback):
    if wback and (n == 15 or n == t):
        ins.unpredictable = True


def _f_ldst_imm12(ins, P, U, W, n, t, i):
    ins.t = t
    ins.n = n
    ins.imm32 = i
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = P == 0 or W == 1
    _ldst_chk(ins, n, t, ins.wback)
    if t == 15 and ins.name[-5] == "B":    # LDRB/STRB to PC
        ins.unpredictable = True
    return ins


def _lit(ins, P, U, W, t, i, _pc):
    ins.t = t
    ins.n = 15
    ins.imm32 = i
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = P == 0 or W == 1
    ins.target = ((_pc & ~3) + (i if U else -i)) & MASK32
    if ins.wback or not ins.index:
        ins.unpredictable = True
    return ins


def _f_ldst_lit12(ins, P, U, W, t, i, _pc):
    _lit(ins, P, U, W, t, i, _pc)
    if t == 15 and ins.name == "LDRB_lit":
        ins.unpredictable = True
    return ins


def _f_ldst_reg_a(ins, P, U, W, n, t, m, i, y):
    ins.t = t
    ins.n = n
    ins.m = m
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = P == 0 or W == 1
    ins.shift_t, ins.shift_n = _IMMSHIFT[(y << 5) | i]
    if m == 15 or (t == 15 and ins.name[-5] == "B"):
        ins.unpredictable = True
    _ldst_chk(ins, n, t, ins.wback)
    return ins


def _f_ldst_t_a(ins, U, n, t, i):
    ins.t = t
    ins.n = n
    ins.imm32 = i
    ins.add = U == 1
    ins.postindex = True
    ins.register_form = False
    if n == 15 or n == t or t == 15:
        ins.unpredictable = True
    return ins


def _f_ldst_t_ar(ins, U, n, t, m, i, y):
    ins.t = t
    ins.n = n
    ins.m = m
    ins.add = U == 1
    ins.postindex = True
    ins.register_form = True
    ins.shift_t, ins.shift_n = _IMMSHIFT[(y << 5) | i]
    if n == 15 or n == t or m == 15 or t == 15:
        ins.unpredictable = True
    return ins


def _f_ldst_t_a3(ins, U, n, t, i):
    ins.t = t
    ins.n = n
    ins.imm32 = i
    ins.add = U == 1
    ins.postindex = True
    ins.register_form = False
    if n == 15 or n == t or t == 15:
        ins.unpredictable = True
    return ins


def _f_ldst_t_a3r(ins, U, n, t, m):
    ins.t = t
    ins.n = n
    ins.m = m
    ins.add = U == 1
    ins.postindex = True
    ins.register_form = True
    ins.shift_t, ins.shift_n = SRType_LSL, 0
    if n == 15 or n == t or m == 15 or t == 15:
        ins.unpredictable = True
    return ins


def _f_ldst_reg3(ins, P, U, W, n, t, m):
    ins.t = t
    ins.n = n
    ins.m = m
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = P == 0 or W == 1
    ins.shift_t, ins.shift_n = SRType_LSL, 0
    if t == 15 or m == 15:
        ins.unpredictable = True
    _ldst_chk(ins, n, t, ins.wback)
    return ins


def _f_ldst_imm3(ins, P, U, W, n, t, i):
    ins.t = t
    ins.n = n
    ins.imm32 = i
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = P == 0 or W == 1
    if t == 15:
        ins.unpredictable = True
    _ldst_chk(ins, n, t, ins.wback)
    return ins


def _f_ldst_lit3(ins, P, U, W, t, i, _pc):
    _lit(ins, P, U, W, t, i, _pc)
    if t == 15:
        ins.unpredictable = True
    return ins


def _f_ldrd_reg(ins, P, U, W, n, t, m):
    ins.t = t
    ins.t2 = t + 1
    ins.n = n
    ins.m = m
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = P == 0 or W == 1
    ins.shift_t, ins.shift_n = SRType_LSL, 0
    if t & 1 or t == 14 or m == 15 or m == t or m == t + 1 or (P == 0 and W == 1):
        ins.unpredictable = True
    if ins.wback and (n == 15 or n == t or n == t + 1):
        ins.unpredictable = True
    return ins


def _f_ldrd_imm_a(ins, P, U, W, n, t, i):
    ins.t = t
    ins.t2 = t + 1
    ins.n = n
    ins.imm32 = i
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = P == 0 or W == 1
    if t & 1 or t == 14 or (P == 0 and W == 1):
        ins.unpredictable = True
    if ins.wback and (n == 15 or n == t or n == t + 1):
        ins.unpredictable = True
    return ins


def _f_ldrd_lit_a(ins, P, U, W, t, i, _pc):
    _lit(ins, P, U, W, t, i, _pc)
    ins.t2 = t + 1
    if t & 1 or t == 14:
        ins.unpredictable = True
    return ins


def _f_ldrd_imm_t(ins, P, U, W, n, t, T, i):
    ins.t = t
    ins.t2 = T
    ins.n = n
    ins.imm32 = i << 2
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = W == 1
    if ins.wback and (n == t or n == T):
        ins.unpredictable = True
    if n == 15 or t in (13, 15) or T in (13, 15) or (ins.name[0] == "L" and t == T):
        ins.unpredictable = True
    return ins


def _f_ldrd_lit_t(ins, P, U, W, t, T, i, _pc):
    _lit(ins, P, U, W, t, i << 2, _pc)
    ins.t2 = T
    if t in (13, 15) or T in (13, 15) or t == T:
        ins.unpredictable = True
    return ins


def _f_ldst_imm12_t(ins, n, t, i):
    ins.t = t
    ins.n = n
    ins.imm32 = i
    ins.index = True
    ins.add = True
    ins.wback = False
    nm = ins.name
    if nm[0] == "S":
        if n == 15:
            return _undef(ins)
        if t == 15 or (t == 13 and nm != "STR_imm"):
            ins.unpredictable = True
    elif t == 13 and nm != "LDR_imm":
        ins.unpredictable = True
    return ins


def _f_ldst_imm8_t(ins, n, t, P, U, W, i, _it):
    ins.t = t
    ins.n = n
    ins.imm32 = i
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = W == 1
    if n == 15 or (P == 0 and W == 0):
        return _undef(ins)
    nm = ins.name
    if nm[0] == "S":
        if t == 15 or (t == 13 and nm != "STR_imm"):
            ins.unpredictable = True
    elif nm == "LDR_imm":
        if t == 15 and ins.wback and _it:
            ins.unpredictable = True
    elif t == 13 or (t == 15 and W == 1):
        ins.unpredictable = True
    if ins.wback and n == t:
        ins.unpredictable = True
    return ins


def _f_ldst_t_t(ins, n, t, i):
    ins.t = t
    ins.n = n
    ins.imm32 = i
    ins.add = True
    ins.postindex = False
    ins.register_form = False
    if n == 15:
        return _undef(ins)
    if t in (13, 15):
        ins.unpredictable = True
    return ins


def _f_ldst_reg_t(ins, n, t, m, i):
    ins.t = t
    ins.n = n
    ins.m = m
    ins.index = True
    ins.add = True
    ins.wback = False
    ins.shift_t, ins.shift_n = SRType_LSL, i
    if n == 15:
        return _undef(ins)
    if m in (13, 15) or (t == 13 and ins.name != "LDR_reg" and ins.name != "STR_reg") or \
            (t == 15 and ins.name[0] == "S"):
        ins.unpredictable = True
    return ins


def _f_ldst_lit12_t(ins, U, t, i, _pc):
    ins.t = t
    ins.n = 15
    ins.imm32 = i
    ins.index = True
    ins.add = U == 1
    ins.wback = False
    ins.target = ((_pc & ~3) + (i if U else -i)) & MASK32
    if t == 13 and ins.name != "LDR_lit":
        ins.unpredictable = True
    return ins


def _f_pl_imm(ins, U, i, _pc, R=1, n=15):
    ins.n = n
    ins.imm32 = i
    ins.add = U == 1
    ins.is_pldw = R == 0
    if n == 15:
        ins.target = ((_pc & ~3) + (i if U else -i)) & MASK32
        if R == 0:
            ins.unpredictable = True          # PLD (literal) has bit 22 = (1)
    return ins


def _f_pl_imm_t(ins, n, W, i, U=1):
    ins.n = n
    ins.imm32 = i
    ins.add = U == 1
    ins.is_pldw = W == 1
    return ins


def _f_pl_reg(ins, U, n, m, i, y, R=1):
    ins.n = n
    ins.m = m
    ins.add = U == 1
    ins.is_pldw = R == 0
    ins.shift_t, ins.shift_n = _IMMSHIFT[(y << 5) | i]
    if m == 15 or (n == 15 and R == 0):
        ins.unpredictable = True
    return ins


def _f_pl_reg_t(ins, n, m, i, W=0):
    ins.n = n
    ins.m = m
    ins.add = True
    ins.is_pldw = W == 1
    ins.shift_t, ins.shift_n = SRType_LSL, i
    if m in (13, 15):
        ins.unpredictable = True
    return ins


def _f_ldrex(ins, n, t, _th, T=None, i=0):
    ins.n = n
    ins.t = t
    ins.imm32 = i << 2
    nm = ins.name
    if nm.endswith("D"):
        ins.t2 = T if _th else t + 1
        if not _th and (t & 1 or t == 14):
            ins.unpredictable = True
        if _th and t == T:
            ins.unpredictable = True
    _chk(ins, n, t, ins.t2, th=_th)
    return ins


def _f_strex(ins, d, n, t, _th, T=None, i=0):
    ins.d = d
    ins.n = n
    ins.t = t
    ins.imm32 = i << 2
    if ins.name.endswith("D"):
        ins.t2 = T if _th else t + 1
        if not _th and (t & 1 or t == 14):
            ins.unpredictable = True
    _chk(ins, d, n, t, ins.t2, th=_th)
    if d == n or d == t or d == ins.t2:
        ins.unpredictable = True
    return ins


def _f_swp(ins, n, t, T):
    ins.n = n
    ins.t = t
    ins.t2 = T
    if t == 15 or T == 15 or n == 15 or n == t or n == T:
        ins.unpredictable = True
    return ins


def _f_ldm(ins, n, r, W):
    ins.n = n
    ins.registers = r
    ins.wback = W == 1
    if n == 15 or r == 0:
        ins.unpredictable = True
    elif W and (r >> n) & 1 and ins.name[0] == "L":
        ins.unpredictable = True          # (a store of a non-lowest Rn writes an UNKNOWN value)
    return ins


def _f_ldm_sys(ins, P, U, n, r, W):
    ins.n = n
    ins.registers = r if ins.name != "LDM_eret" else r | 0x8000
    ins.increment = U == 1
    ins.wordhigher = P == U
    ins.wback = W == 1
    if n == 15 or (ins.name != "LDM_eret" and (r == 0 or W)):
        ins.unpredictable = True
    return ins


def _f_push_pop(ins, r):
    if _bitcount(r) < 2:
        return None                       # SEE LDM / STMDB
    ins.n = 13
    ins.registers = r
    ins.wback = True
    if ins.name == "PUSH" and r & 0x2000:
        ins.unpredictable = True
    if ins.name == "POP" and r & 0x2000:
        ins.unpredictable = True
    return ins


def _f_push_pop_1(ins, t):
    ins.n = 13
    ins.t = t
    ins.registers = 1 << t
    ins.wback = True
    ins.imm32 = 4
    if t == 13 or (t == 15 and ins.enc == "T3"):
        ins.unpredictable = True
    return ins


def _f_ldm_t(ins, n, W, r):
    ins.n = n
    ins.registers = r
    ins.wback = W == 1
    bad = 0xA000 if ins.name[0] == "S" else 0x2000     # PC (stores) and SP are not allowed
    if n == 15 or _bitcount(r) < 2 or r & bad or r & 0xC000 == 0xC000:
        ins.unpredictable = True
    elif W and (r >> n) & 1:
        ins.unpredictable = True
    return ins


def _f_push_pop_t(ins, r):
    if _bitcount(r) < 2:
        return None
    ins.n = 13
    ins.registers = r
    ins.wback = True
    bad = 0xA000 if ins.name == "PUSH" else 0x2000
    if r & bad or r & 0xC000 == 0xC000:
        ins.unpredictable = True
    return ins


def _f_srs(ins, P, U, W, m):
    ins.mode = m
    ins.increment = U == 1
    ins.wordhigher = P == U
    ins.wback = W == 1
    return ins


def _f_rfe(ins, P, U, W, n):
    ins.n = n
    ins.increment = U == 1
    ins.wordhigher = P == U
    ins.wback = W == 1
    if n == 15:
        ins.unpredictable = True
    return ins


# -- T16 ---------------------------------------------------------------------------------

def _f_mov16_t2(ins, m, d, _it):
    ins.d = d
    ins.m = m
    ins.setflags = True
    ins.shift_t, ins.shift_n = SRType_LSL, 0
    if _it:
        ins.unpredictable = True
    return ins


def _f_shimm16(ins, i, m, d, y, _it):
    ins.d = d
    ins.m = m
    ins.setflags = not _it
    ins.shift_t, ins.shift_n = _IMMSHIFT[(y << 5) | i]
    return ins


def _f_addsub16(ins, n, d, _it, m=None, i=None):
    ins.d = d
    ins.n = n
    ins.setflags = not _it
    if m is None:
        ins.imm32 = i
    else:
        ins.m = m
        ins.shift_t, ins.shift_n = SRType_LSL, 0
    return ins


def _f_addsub16_t2(ins, d, i, _it):
    ins.d = ins.n = d
    ins.imm32 = i
    ins.setflags = not _it
    return ins


def _f_movimm16(ins, d, i, _it):
    ins.d = d
    ins.imm32 = i
    ins.setflags = not _it
    ins.carry = None
    return ins


def _f_cmpimm16(ins, n, i):
    ins.n = n
    ins.imm32 = i
    ins.setflags = True
    return ins


def _f_dp16(ins, m, d, _it):
    nm = ins.name
    ins.d = d
    ins.m = m
    if nm != "MVN_reg":
        ins.n = d
    ins.setflags = not _it
    ins.shift_t, ins.shift_n = SRType_LSL, 0
    return ins


def _f_shift16(ins, m, d, _it):
    ins.d = ins.n = d
    ins.m = m
    ins.setflags = not _it
    ins.shift_t = ("LSL_reg", "LSR_reg", "ASR_reg", "ROR_reg").index(ins.name)
    return ins


def _f_cmp16(ins, m, d):
    ins.n = d
    ins.m = m
    ins.setflags = True
    ins.shift_t, ins.shift_n = SRType_LSL, 0
    return ins


def _f_rsb16(ins, m, d, _it):
    ins.d = d
    ins.n = m
    ins.imm32 = 0
    ins.setflags = not _it
    return ins


def _f_mul16(ins, m, d, _it):
    ins.d = ins.m = d
    ins.n = m
    ins.setflags = not _it
    return ins


def _f_addsp16(ins, d, _it, m=None, D=None):
    if D is not None:
        ins.d = ins.m = (D << 3) | d
    else:
        ins.d = d
        ins.m = m
    ins.n = 13
    ins.setflags = False
    ins.shift_t, ins.shift_n = SRType_LSL, 0
    return ins


def _f_hireg16(ins, m, _it, D=None, d=None, N=None, n=None):
    ins.m = m
    ins.shift_t, ins.shift_n = SRType_LSL, 0
    nm = ins.name
    if nm == "CMP_reg":
        ins.n = n = (N << 3) | n
        ins.setflags = True
        if (n < 8 and m < 8) or n == 15 or m == 15:
            ins.unpredictable = True
    elif nm == "ADD_reg":
        ins.d = ins.n = d = (D << 3) | d
        ins.setflags = False
        if d == 15 and m == 15:
            ins.unpredictable = True
    else:
        ins.d = d = (D << 3) | d
        ins.setflags = False
    return ins


def _f_ldr_lit16(ins, t, i, _pc):
    ins.t = t
    ins.n = 15
    ins.imm32 = v = i << 2
    ins.index = ins.add = True
    ins.wback = False
    ins.target = ((_pc & ~3) + v) & MASK32
    return ins


def _f_ldst_reg16(ins, m, n, t):
    ins.t = t
    ins.n = n
    ins.m = m
    ins.index = ins.add = True
    ins.wback = False
    ins.shift_t, ins.shift_n = SRType_LSL, 0
    return ins


def _f_ldst_imm16(ins, i, t, z, n):
    ins.t = t
    ins.n = n
    ins.imm32 = i << z
    ins.index = ins.add = True
    ins.wback = False
    return ins


def _f_adr16(ins, d, i, _pc):
    ins.d = d
    ins.imm32 = v = i << 2
    ins.add = True
    ins.target = ((_pc & ~3) + v) & MASK32
    return ins


def _f_addspimm16(ins, d, i):
    ins.d = d
    ins.n = 13
    ins.imm32 = i << 2
    ins.setflags = False
    return ins


def _f_push16(ins, r, M=0, P=0):
    ins.n = 13
    ins.registers = r | (M << 14) | (P << 15)
    ins.wback = True
    if ins.registers == 0:
        ins.unpredictable = True
    return ins


def _f_ldm16(ins, n, r):
    ins.n = n
    ins.registers = r
    if ins.name == "STM":
        ins.wback = True
        if r == 0:
            ins.unpredictable = True      # Rn in the list but not lowest: UNKNOWN value stored
    else:
        ins.wback = not (r >> n) & 1
        if r == 0:
            ins.unpredictable = True
    return ins


# -- coprocessor -------------------------------------------------------------------------

def _f_mcrr(ins, t, T, p, o, m, _th):
    ins.cp = p
    ins.t = t
    ins.t2 = T
    ins.opc1 = o
    ins.CRm = m
    _chk(ins, t, T, th=_th)
    if ins.name == "MRRC" and t == T:
        ins.unpredictable = True
    return ins


def _f_ldc(ins, P, U, D, W, d, p, i, _th, n=15, _pc=0):
    ins.cp = p
    ins.n = n
    ins.CRd = d
    ins.long = D == 1
    ins.index = P == 1
    ins.add = U == 1
    ins.wback = W == 1
    ins.imm32 = i << 2
    ins.unindexed = P == 0 and W == 0
    if ins.unindexed:
        ins.option = i
    if n == 15:
        ins.target = ((_pc & ~3) + (ins.imm32 if U else -ins.imm32)) & MASK32
        if W or (ins.name == "STC" and _th):
            ins.unpredictable = True
    return ins


def _f_cdp(ins, o, n, d, p, e, m):
    ins.cp = p
    ins.opc1 = o
    ins.CRn = n
    ins.CRd = d
    ins.CRm = m
    ins.opc2 = e
    return ins


def _f_mcr(ins, o, n, t, p, e, m, _th):
    ins.cp = p
    ins.opc1 = o
    ins.CRn = n
    ins.t = t
    ins.CRm = m
    ins.opc2 = e
    if ins.name == "MCR" and (t == 15 or (_th and t == 13)):
        ins.unpredictable = True
    return ins


# -- VFP ---------------------------------------------------------------------------------

def _f_vfp3(ins, D, d, N, n, M, m, z):
    ins.dp_operation = z == 1
    if z:
        ins.d, ins.n, ins.m = (D << 4) | d, (N << 4) | n, (M << 4) | m
    else:
        ins.d, ins.n, ins.m = (d << 1) | D, (n << 1) | N, (m << 1) | M
    return ins


def _f_vfp2(ins, D, d, M, m, z):
    ins.dp_operation = z == 1
    if z:
        ins.d, ins.m = (D << 4) | d, (M << 4) | m
    else:
        ins.d, ins.m = (d << 1) | D, (m << 1) | M
    return ins


def _f_vsel(ins, D, d, N, n, M, m, C, z):
    _f_vfp3(ins, D, d, N, n, M, m, z)
    ins.sel_cond = (0, 6, 10, 12)[C]
    return ins


def _f_vmov_imm(ins, D, d, i, z):
    ins.dp_operation = z == 1
    if z:
        ins.d = (D << 4) | d
        ins.imm64 = _vfp_expand(i, 64)
    else:
        ins.d = (d << 1) | D
        ins.imm32 = _vfp_expand(i, 32)
    return ins


def _f_vcmp(ins, D, d, M, m, z):
    _f_vfp2(ins, D, d, M, m, z)
    ins.with_zero = False
    ins.quiet_nan_exc = ins.name[4] == "E"
    return ins


def _f_vcmp0(ins, D, d, z):
    ins.dp_operation = z == 1
    ins.d = (D << 4) | d if z else (d << 1) | D
    ins.with_zero = True
    ins.quiet_nan_exc = ins.name[4] == "E"
    return ins


# FPRounding: TIEEVEN, POSINF, NEGINF, ZERO, TIEAWAY
_FPRMODE = {"N": 0, "P": 1, "M": 2, "Z": 3, "A": 4}


def _f_vcvt_fi(ins, D, d, M, m, z):
    nm = ins.name
    ins.dp_operation = z == 1
    to_int = nm[-3] == "f"
    ins.to_integer = to_int
    ins.unsigned = "_u32" in nm
    ins.round_zero = to_int and nm[4] == "_"
    if nm[4] not in "_R":
        ins.rmode = _FPRMODE[nm[4]]
    if to_int:
        ins.d = (d << 1) | D
        ins.m = (M << 4) | m if z else (m << 1) | M
    else:
        ins.d = (D << 4) | d if z else (d << 1) | D
        ins.m = (m << 1) | M
    return ins


def _f_vcvt_fx(ins, D, d, o, U, Q, j, i, z):
    ins.dp_operation = z == 1
    ins.to_fixed = o == 1
    ins.unsigned = U == 1
    ins.esize = size = 32 if Q else 16
    ins.frac_bits = size - ((i << 1) | j)
    ins.d = (D << 4) | d if z else (d << 1) | D
    if ins.frac_bits < 0:
        ins.unpredictable = True
    return ins


def _f_vcvt_ds(ins, D, d, M, m, z):
    # z = 1: double -> single (VCVT.F32.F64, VJCVT); z = 0: single -> double
    ins.dp_operation = z == 1
    if z:
        ins.d, ins.m = (d << 1) | D, (M << 4) | m
    else:
        ins.d, ins.m = (D << 4) | d, (m << 1) | M
    return ins


def _f_vcvt_h(ins, D, d, M, m, o, z):
    ins.to_half = o == 1
    ins.dp_operation = z == 1
    ins.lowbit = 16 if ins.name == "VCVTT" else 0
    if o:
        ins.d = (d << 1) | D
        ins.m = (M << 4) | m if z else (m << 1) | M
    else:
        ins.d = (D << 4) | d if z else (d << 1) | D
        ins.m = (m << 1) | M
    return ins


def _f_vmov_rs(ins, o, n, N, t, _th):
    ins.to_arm_register = o == 1
    ins.t = t
    ins.n = (n << 1) | N
    _chk(ins, t, th=_th)
    return ins


def _f_vmrs(ins, r, t, _th):
    ins.reg = r
    ins.t = t
    if r not in ((0, 1, 8, 9, 10) if ins.name == "VMSR" else (0, 1, 5, 6, 7, 8, 9, 10)):
        ins.unpredictable = True
    if t == 15 and r != 1:
        ins.unpredictable = True              # only VMRS APSR_nzcv, FPSCR may use Rt = 15
    if ins.name == "VMSR" and (t == 15 or (_th and t == 13)):
        ins.unpredictable = True
    if ins.name == "VMRS" and _th and t == 13:
        ins.unpredictable = True
    return ins


def _scalar(oo: int):
    """(esize, index) for opc1:opc2, or None (UNDEFINED)."""
    if oo & 8:
        return 8, oo & 7
    if oo & 1:
        return 16, (oo >> 1) & 3
    if not oo & 2:
        return 32, (oo >> 2) & 1
    return None


def _f_vmov_r2sc(ins, o, d, D, t, _th):
    sc = _scalar(o)
    if sc is None:
        return _undef(ins)
    ins.esize, ins.index = sc
    ins.advsimd = sc[0] != 32
    ins.d = (D << 4) | d
    ins.t = t
    _chk(ins, t, th=_th)
    return ins


def _f_vmov_sc2r(ins, U, o, n, N, t, _th):
    sc = _scalar(o)
    if sc is None or (U and sc[0] == 32):
        return _undef(ins)
    ins.esize, ins.index = sc
    ins.advsimd = sc[0] != 32
    ins.unsigned = U == 1
    ins.n = (N << 4) | n
    ins.t = t
    _chk(ins, t, th=_th)
    return ins


def _f_vmov_rr(ins, o, T, t, M, m, _th):
    ins.to_arm_register = o == 1
    ins.t = t
    ins.t2 = T
    if ins.name == "VMOV_rrss":
        ins.m = (m << 1) | M
        if ins.m == 31:
            ins.unpredictable = True
    else:
        ins.m = (M << 4) | m
    _chk(ins, t, T, th=_th)
    if o and t == T:
        ins.unpredictable = True
    return ins


def _f_vldm(ins, P, U, D, W, n, d, i, z):
    ins.single_regs = z == 0
    ins.add = U == 1
    ins.wback = W == 1
    ins.n = n
    ins.imm32 = i << 2
    if z:
        ins.d = (D << 4) | d
        ins.regs = i >> 1
        if ins.regs == 0 or ins.regs > 16 or ins.d + ins.regs > 32:
            ins.unpredictable = True
    else:
        ins.d = (d << 1) | D
        ins.regs = i
        if i == 0 or ins.d + i > 32:
            ins.unpredictable = True
    if n == 15 and (W or ins.name in ("VSTM", "FSTMX")):
        ins.unpredictable = True
    return ins


def _f_fldmx(ins, P, U, D, W, n, d, i, z):
    if not i & 1:
        return None
    return _f_vldm(ins, P, U, D, W, n, d, i, z)


def _f_vldr(ins, U, D, n, d, i, z, _pc):
    ins.single_reg = z == 0
    ins.add = U == 1
    ins.imm32 = v = i << 2
    ins.n = n
    ins.d = (d << 1) | D if z == 0 else (D << 4) | d
    if n == 15:
        ins.target = ((_pc & ~3) + (v if U else -v)) & MASK32
    return ins


_FORMS = {k[3:]: v for k, v in list(globals().items()) if k.startswith("_f_")}

# ------------------------------------------------------------------------------------------
# Pattern compilation


def _tr(one: str) -> dict:
    """A translation table: characters in ``one`` -> '1', every other pattern char -> '0'."""
    chars = "01#$" + "".join(map(chr, range(65, 91))) + "".join(map(chr, range(97, 123)))
    return str.maketrans({c: ("1" if c in one else "0") for c in chars})


# Patterns become bit strings with "(0)" -> "#" and "(1)" -> "$" (single characters), then
# mask/value/should-be bits come from str.translate + int(..., 2): parsing every row at import
# with a per-token loop cost ~25 ms of start-up.
_TR_MASK, _TR_VALUE, _TR_SBM, _TR_SBV = _tr("01"), _tr("1"), _tr("#$"), _tr("$")


class Row:
    """One compiled encoding row."""

    __slots__ = ("name", "enc", "pattern", "form", "consts", "mask", "value", "_fields",
                 "sb_mask", "sb_value", "fn", "width", "triple", "_bits", "code", "idx")

    def __init__(self, row: tuple, width: int, idx: int = 0) -> None:
        self.name, self.enc, self.pattern, self.form = row[:4]
        self.consts = row[4] if len(row) > 4 else {}
        self.width = width
        self.idx = idx
        self.fn = self.triple = self._fields = self.code = None
        self._parse()

    def _parse(self) -> None:
        bits = (self.pattern.replace("|", "").replace(" ", "")
                .replace("(0)", "#").replace("(1)", "$"))
        if len(bits) != self.width or not bits.isalnum() and \
                not bits.replace("#", "").replace("$", "").isalnum():
            toks = re.findall(r"\([01]\)|[01A-Za-z]", self.pattern.replace("|", ""))
            raise ValueError(f"{self.name} {self.enc}: pattern has {len(toks)} bits: "
                             f"{self.pattern!r}")
        self._bits = bits
        self.mask = int(bits.translate(_TR_MASK), 2)
        self.value = int(bits.translate(_TR_VALUE), 2)
        self.sb_mask = int(bits.translate(_TR_SBM), 2)
        self.sb_value = int(bits.translate(_TR_SBV), 2)

    @property
    def fields(self) -> dict[str, list[int]]:
        """Field letter -> its bit numbers, most significant first (computed on demand)."""
        if self._fields is None:
            fields: dict[str, list[int]] = {}
            top = self.width - 1
            for k, tok in enumerate(self._bits):
                if tok not in "01#$x":
                    fields.setdefault(tok, []).append(top - k)
            self._fields = fields
        return self._fields


def _extract_expr(bits: list[int]) -> str:
    """Python expression extracting the concatenation of the given bits of `w`."""
    runs: list[tuple[int, int]] = []           # (hi, lo), in concatenation order
    for b in bits:
        if runs and runs[-1][1] == b + 1:
            runs[-1] = (runs[-1][0], b)
        else:
            runs.append((b, b))
    parts = []
    shift_acc = 0
    for hi, lo in reversed(runs):
        width = hi - lo + 1
        e = f"(w >> {lo})" if lo else "w"
        e = f"({e} & {(1 << width) - 1})"
        if shift_acc:
            e = f"({e} << {shift_acc})"
        parts.append(e)
        shift_acc += width
    return " | ".join(reversed(parts))


def _compile_row(row: Row, isa: str) -> None:
    form = _FORMS[row.form]
    code = form.__code__
    params = code.co_varnames[1:code.co_argcount]
    defaults = form.__defaults__ or ()
    dflt = dict(zip(params[len(params) - len(defaults):], defaults))
    size = 2 if isa == "t16" else 4
    pc_off = 8 if isa == "a32" else 4
    args = []
    for p in params:
        if p in row.fields:
            args.append(_extract_expr(row.fields[p]))
        elif p in row.consts:
            args.append(repr(row.consts[p]))
        elif p == "_pc":
            args.append(f"(a + {pc_off})")
        elif p == "_it":
            args.append("it")
        elif p == "_th":
            args.append(repr(isa != "a32"))
        elif p in dflt:
            args.append(repr(dflt[p]))
        else:
            raise ValueError(f"{row.name} {row.enc}: form {row.form} needs field {p!r}")
    extra = set(row.fields) - set(params) - {"c"}
    if extra:
        raise ValueError(f"{row.name} {row.enc}: fields {sorted(extra)} unused by {row.form}")
    cond = _extract_expr(row.fields["c"]) if "c" in row.fields else str(COND_AL)
    lines = ["def _dec(w, a, it):",
             f"    ins = _Insn({row.name!r}, {row.enc!r}, {size}, a, {cond}, w)"]
    if row.sb_mask:
        lines.append(f"    if w & {row.sb_mask:#x} != {row.sb_value:#x}: "
                     "ins.unpredictable = True")
    lines.append(f"    return _form(ins, {', '.join(args)})")
    _row_from_code(row, compile("\n".join(lines), f"<{isa} {row.name} {row.enc}>", "exec"))


def _row_from_code(row: Row, code) -> None:
    """Define the row's decode function from its compiled module code."""
    ns = {"_Insn": Insn, "_form": _FORMS[row.form]}
    exec(code, ns)
    row.code = code
    row.fn = ns["_dec"]


_CACHE_LIMIT = 1 << 18


class _Table:
    """Rows of one instruction set plus the lazily filled, two-level dispatch cache.

    Level 1 (`key1(w)`) keeps the rows compatible with `w` on `key1_mask` (and `row_ok`);
    the cache entry for a full key keeps those also compatible on `key2_mask`.
    """

    def __init__(self, rows: list[tuple], isa: str, width: int, key1, key1_mask: int,
                 key2_mask: int, row_ok=None) -> None:
        # Rows are compiled lazily (``lookup`` compiles the ones a word can reach): compiling
        # all ~950 at import cost ~0.1 s of every run's start-up, and a run needs a few dozen.
        self.rows = [Row(r, width, k) for k, r in enumerate(rows)]
        self.isa = isa
        self.key1 = key1
        self.key1_mask = key1_mask
        self.key2_mask = key2_mask
        self.row_ok = row_ok
        self.level1: dict[int, list[Row]] = {}
        self.cache: dict[int, tuple] = {}
        self.interned: dict[tuple, tuple] = {}
        self.by_rows: dict[tuple, tuple] = {}     # saved row numbers -> their candidates
        # From the on-disk cache (see _load_cache): cache key -> row indices, row index ->
        # compiled code; used by lookup before computing anything.
        self.saved: dict[int, tuple[int, ...]] = {}
        self.saved_code: dict[int, bytes] = {}       # marshalled, loaded on first use
        self.new = 0                                   # entries not in the disk cache yet

    def _compile(self, r: Row) -> tuple:
        data = self.saved_code.get(r.idx)
        try:
            _row_from_code(r, marshal.loads(data))
        except Exception:       # noqa: BLE001 - not cached, or a damaged entry: compile it
            _compile_row(r, self.isa)
            self.new += 1
        r.triple = (r.mask, r.value, r.fn)
        return r.triple

    def lookup(self, w: int, key: int) -> tuple:
        """Fill and return the candidate tuple for `w` (cache key `key`)."""
        idxs = self.saved.get(key)
        if idxs is not None:
            try:
                # Many keys share a candidate list: build each one once (by its row numbers,
                # cheaper to hash than the candidates).
                cands = self.by_rows.get(idxs)
                if cands is None:
                    rows = self.rows
                    cands = tuple([rows[k].triple or self._compile(rows[k]) for k in idxs])
                    cands = self.by_rows[idxs] = self.interned.setdefault(cands, cands)
            except (IndexError, TypeError):    # a damaged cache entry: compute it instead
                pass
            else:
                self.cache[key] = cands
                return cands
        self.new += 1
        k1 = self.key1(w)
        l1 = self.level1.get(k1)
        if l1 is None:
            m1, ok = self.key1_mask, self.row_ok
            l1 = [r for r in self.rows
                  if (w ^ r.value) & r.mask & m1 == 0 and (ok is None or ok(r, w))]
            self.level1[k1] = l1
        m2 = self.key2_mask
        cands = tuple(r.triple or self._compile(r) for r in l1
                      if (w ^ r.value) & r.mask & m2 == 0)
        cands = self.interned.setdefault(cands, cands)     # share identical tuples
        if len(self.cache) >= _CACHE_LIMIT:                # only random sweeps get here
            self.cache.clear()
        self.cache[key] = cands
        return cands


# ------------------------------------------------------------------------------------------
# The on-disk cache (translator/diskcache.py): what the dispatch caches learnt and the rows'
# compiled code, so a new run does not pay again for compiling rows and filtering the tables
# (~50 ms for a small program); keyed by the source of this module and the tables.
_SAVE_LIMIT = 10_000              # keys; random decoder sweeps learn far more: not kept


def _cache_path() -> str | None:
    return diskcache.cache_path("armdecode", (__file__, E.__file__))


def _tables() -> dict[str, "_Table"]:
    return {"a32": _A32, "t32": _T32, "t16": _T16}


def _load_cache() -> None:
    data = diskcache.load(_CACHE_PATH)
    try:
        if data is None:
            raise ValueError("no cache")
        for isa, t in _tables().items():
            saved, codes = data[isa]         # entries are checked when used (lookup)
            if type(saved) is not dict or type(codes) is not dict:
                raise ValueError("bad cache")
            t.saved, t.saved_code = saved, codes
    except (ValueError, TypeError, KeyError):
        for t in _tables().values():
            t.saved, t.saved_code = {}, {}


def _save_cache() -> None:
    tables = _tables()
    if not any(t.new for t in tables.values()):
        return
    path = _CACHE_PATH
    if path is None:
        return
    data = {}
    total = 0
    for isa, t in tables.items():
        saved = dict(t.saved)
        for key, cands in t.cache.items():
            if key not in saved:
                saved[key] = tuple(_ROW_INDEX[fn] for _, _, fn in cands)
        codes = dict(t.saved_code)
        codes.update({r.idx: marshal.dumps(r.code) for r in t.rows
                      if r.code is not None and r.idx not in codes})
        data[isa] = (saved, codes)
        total += len(saved)
    if total > _SAVE_LIMIT:
        return
    diskcache.save(path, data)


class _RowIndex(dict):
    """decode function -> its row's index (for saving the dispatch caches)."""

    def __missing__(self, fn):
        for t in _tables().values():
            for r in t.rows:
                if r.fn is not None:
                    self[r.fn] = r.idx
        return self[fn]


_ROW_INDEX = _RowIndex()


def _cond_ok(r: Row, w: int) -> bool:
    """A row with fixed cond bits 1111 needs cond==1111; a 'cccc' row needs cond!=1111."""
    if r.mask >> 28 == 0xF:
        return (w ^ r.value) >> 28 == 0
    if "c" in r.fields and r.fields["c"][0] == 31:
        return w < 0xF0000000
    return True


# A32: level 1 = bits 27:20 and "cond is 1111"; level 2 = bits 11:4.
_A32 = _Table(E.A32, "a32", 32, lambda w: ((w >> 20) & 0xFF) | (0x100 if w >= 0xF0000000 else 0),
              0x0FF00000, 0x00000FF0, _cond_ok)
_A32_CACHE = _A32.cache
_a32_lookup = _A32.lookup


def decode_a32(word: int, addr: int) -> Insn:
    """Decode one A32 instruction word at `addr`."""
    key = ((word >> 16) & 0xFF0) | ((word >> 4) & 0xF) | ((word & 0xF00) << 4)
    if word >= 0xF0000000:
        key |= 0x10000
    cands = _A32_CACHE.get(key)
    if cands is None:
        cands = _a32_lookup(word, key)
    for m, v, fn in cands:
        if word & m == v:
            r = fn(word, addr, False)
            if r is not None:
                return r
    return Insn("UNDEFINED", "", 4, addr, COND_AL, word)


# T32: w = hw1 << 16 | hw2; level 1 = hw1 bits 12:4, level 2 = hw2 bits 15:4.
_T32 = _Table(E.T32, "t32", 32, lambda w: (w >> 20) & 0x1FF, 0x1FF00000, 0x0000FFF0)
_T32_CACHE = _T32.cache


def decode_t32(hw1: int, hw2: int, addr: int, in_it: bool = False) -> Insn:
    """Decode a 32-bit Thumb instruction given both halfwords (first one at `addr`)."""
    w = (hw1 << 16) | hw2
    key = ((hw1 & 0x1FF0) << 8) | (hw2 >> 4)
    cands = _T32_CACHE.get(key)
    if cands is None:
        cands = _T32.lookup(w, key)
    for m, v, fn in cands:
        if w & m == v:
            r = fn(w, addr, in_it)
            if r is not None:
                return r
    return Insn("UNDEFINED", "", 4, addr, COND_AL, w)


_T16 = _Table(E.T16, "t16", 16, lambda w: w >> 8, 0xFF00, 0x00FF)
_T16_CACHE = _T16.cache


_CACHE_PATH = _cache_path()       # of the source this process runs, computed once
_load_cache()
atexit.register(_save_cache)


def decode_t16(hw: int, addr: int, in_it: bool = False) -> Insn:
    """Decode a 16-bit Thumb instruction. `in_it`: inside an IT block (affects setflags)."""
    cands = _T16_CACHE.get(hw)
    if cands is None:
        cands = _T16.lookup(hw, hw)
    for m, v, fn in cands:
        if hw & m == v:
            r = fn(hw, addr, in_it)
            if r is not None:
                return r
    return Insn("UNDEFINED", "", 2, addr, COND_AL, hw)


def thumb_size(hw1: int) -> int:
    """Size in bytes of the Thumb instruction whose first halfword is `hw1`."""
    return 4 if hw1 >= 0xE800 else 2


_U16 = struct.Struct("<H").unpack_from
_U32 = struct.Struct("<I").unpack_from


def decode(mem_bytes: bytes, offset: int, addr: int, thumb: bool, in_it: bool = False) -> Insn:
    """Decode the instruction at `mem_bytes[offset:]`, which lives at guest address `addr`."""
    if not thumb:
        return decode_a32(_U32(mem_bytes, offset)[0], addr)
    hw1 = _U16(mem_bytes, offset)[0]
    if hw1 >= 0xE800:
        return decode_t32(hw1, _U16(mem_bytes, offset + 2)[0], addr, in_it)
    return decode_t16(hw1, addr, in_it)

# ------------------------------------------------------------------------------------------
# Rendering: capstone/LLVM-style assembly text, used by the differential tests and traces.

REG_NAMES = ("r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "sb", "sl", "fp", "ip",
             "sp", "lr", "pc")
COND_NAMES = ("eq", "ne", "hs", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt",
              "le", "", "")
_SHIFT_NAMES = ("lsl", "lsr", "asr", "ror", "rrx")
_BARRIER = {15: "sy", 14: "st", 11: "ish", 10: "ishst", 7: "nsh", 6: "nshst", 3: "osh",
            2: "oshst"}                        # ARMv7 names (capstone 5 has no ARMv8 '*ld')
_VFP_SYSREG = {0: "fpsid", 1: "fpscr", 5: "mvfr2", 6: "mvfr1", 7: "mvfr0", 8: "fpexc",
               9: "fpinst", 10: "fpinst2"}


def _imm(v: int) -> str:
    if v < 0:
        return "#-" + (str(-v) if -v < 10 else hex(-v))
    return "#" + (str(v) if v < 10 else hex(v))


def _r(n: int) -> str:
    return REG_NAMES[n]


def _shift(t, n) -> str:
    if t == SRType_RRX:
        return ", rrx"
    if t == SRType_LSL and n == 0:
        return ""
    return f", {_SHIFT_NAMES[t]} {_imm(n)}"


def _reglist(mask: int) -> str:
    return "{" + ", ".join(REG_NAMES[i] for i in range(16) if mask >> i & 1) + "}"


def _sreg(i: int, dp) -> str:
    return f"d{i}" if dp else f"s{i}"


def _mem_imm(ins, imm=None) -> str:
    """[Rn, #+/-imm]{!} or [Rn], #+/-imm from index/add/wback/imm32."""
    n = _r(ins.n)
    v = ins.imm32 if imm is None else imm
    sv = _imm(v) if ins.add else ("#-" + (str(v) if v < 10 else hex(v)))
    if ins.index is False:
        return f"[{n}], {sv}"
    if ins.wback:
        return f"[{n}, {sv}]!"
    if v == 0 and ins.add:
        return f"[{n}]"
    return f"[{n}, {sv}]"


def _mem_reg(ins) -> str:
    n = _r(ins.n)
    m = ("" if ins.add else "-") + _r(ins.m) + _shift(ins.shift_t, ins.shift_n)
    if ins.index is False:
        return f"[{n}], {m}"
    return f"[{n}, {m}]" + ("!" if ins.wback else "")


def _so_imm_val(imm: int) -> int:
    """LLVM's canonical A32 modified-immediate encoding of `imm` (or -1)."""
    if imm & ~255 == 0:
        rot = 0
    else:
        rot = (((imm & -imm).bit_length() - 1) & ~1)
        if _ror32(imm, rot) & ~255 == 0:
            rot = (32 - rot) & 31
        else:
            lo = imm & ~63
            rot2 = (((lo & -lo).bit_length() - 1) & ~1) if imm & 63 and lo else None
            if rot2 is not None and _ror32(imm, rot2) & ~255 == 0:
                rot = (32 - rot2) & 31
            else:
                rot = (32 - rot) & 31
    if _ror32(0xFFFFFF00, rot) & imm:
        return -1
    return _ror32(imm, (32 - rot) & 31) | ((rot >> 1) << 8)


def _mod_imm(ins) -> str:
    """An A32 modified immediate as LLVM prints it: non-canonical ones as '#bits, #rot'."""
    imm12 = ins.word & 0xFFF
    if ins.enc[0] == "A" and _so_imm_val(ins.imm32) != imm12:
        return f"#{imm12 & 0xFF}, #{(imm12 >> 7) & 0x1E}"
    return _imm(ins.imm32)


def _setflags(ins) -> str:
    return "s" if ins.setflags else ""


def _dp(ins, mn):
    nm = ins.name
    kind = nm[nm.index("_") + 1:] if "_" in nm else ""
    if mn in ("lsl", "lsr", "asr", "ror", "rrx"):
        if kind == "reg":
            if ins.size == 2:
                return mn + _setflags(ins), [_r(ins.d), _r(ins.m)]
            return mn + _setflags(ins), [_r(ins.d), _r(ins.n), _r(ins.m)]
        if mn == "rrx":
            return mn + _setflags(ins), [_r(ins.d), _r(ins.m)]
        return mn + _setflags(ins), [_r(ins.d), _r(ins.m), _imm(ins.shift_n)]
    s = "" if mn in ("tst", "teq", "cmp", "cmn") else _setflags(ins)
    ops = []
    if ins.d is not None:
        ops.append(_r(ins.d))
    if ins.n is not None and not (ins.size == 2 and ins.d == ins.n and (ins.enc == "T2" or (
            ins.enc == "T1" and nm not in ("ADD_reg", "SUB_reg", "ADD_imm", "SUB_imm",
                                           "ADD_sp_reg", "ADD_sp_imm", "RSB_imm")))):
        ops.append(_r(ins.n))
    if kind in ("imm", "sp_imm"):
        if ins.size == 2:
            ops.append(_imm(ins.imm32))
        elif ins.enc[0] == "A":
            ops.append(_mod_imm(ins))
        elif ins.enc in ("T4", "T3") and ins.word & 0x02000000:   # ADDW/SUBW (plain imm12)
            mn += "w"
            ops.append(_imm(ins.imm32))
        else:          # ThumbExpandImm: LLVM prints it signed, except for these logical ops
            v = ins.imm32
            signed = v >> 31 and mn not in ("and", "eor", "orr", "bic", "mvn")
            ops.append(_imm(v - (1 << 32) if signed else v))
        return mn + s, ops
    if kind == "rsr":
        ops.append(f"{_r(ins.m)}, {_SHIFT_NAMES[ins.shift_t]} {_r(ins.s)}")
        return mn + s, ops
    ops.append(_r(ins.m) + _shift(ins.shift_t, ins.shift_n))
    return mn + s, ops


def _ld(ins, mn):
    nm = ins.name
    if ins.t2 is not None and mn in ("ldrd", "strd"):
        regs = f"{_r(ins.t)}, {_r(ins.t2)}"
    else:
        regs = _r(ins.t)
    if nm.endswith("_reg"):
        return mn, [regs, _mem_reg(ins)]
    if ins.imm32 == 0 and ins.add and ins.enc[0] == "T" and nm.endswith("_lit") and \
            mn != "ldrd":
        return mn, [regs, "[pc, #0]"]              # LLVM keeps '#0' on Thumb literal loads
    return mn, [regs, _mem_imm(ins)]


def _ldt(ins, mn):
    n = _r(ins.n)
    if ins.register_form:
        m = ("" if ins.add else "-") + _r(ins.m) + _shift(ins.shift_t, ins.shift_n)
        return mn, [_r(ins.t), f"[{n}], {m}"]
    v = ins.imm32
    sv = _imm(v) if ins.add else "#-" + (str(v) if v < 10 else hex(v))
    if ins.postindex:
        return mn, [_r(ins.t), f"[{n}], {sv}"]
    return mn, [_r(ins.t), f"[{n}, {sv}]" if v else f"[{n}]"]


def _ldm(ins, mn):
    return mn, [_r(ins.n) + ("!" if ins.wback else ""), _reglist(ins.registers)]


def _vreglist(first: int, count: int, dp: bool) -> str:
    count = max(1, min(count, 16 if dp else 32, 32 - first))   # as capstone clamps bad lists
    return "{" + ", ".join(_sreg(first + i, dp) for i in range(count)) + "}"


def _vfp(ins, base):
    dp = ins.dp_operation
    ops = [_sreg(ins.d, dp)]
    if ins.n is not None:
        ops.append(_sreg(ins.n, dp))
    if ins.m is not None:
        ops.append(_sreg(ins.m, dp))
    return base + (".f64" if dp else ".f32"), ops


def _render(ins):
    """(mnemonic without condition, operand list, condition-suffix position) for `ins`."""
    nm = ins.name
    f = _RENDERERS.get(nm)
    if f is not None:
        return f(ins)
    stem = nm.split("_")[0]
    f = _RENDERERS.get(stem + "_*")
    if f is not None:
        return f(ins, stem.lower())
    return nm.lower(), []


def _fmt_vcvt(ins):
    nm = ins.name
    parts = nm.split("_")
    mn = parts[0].lower() + "." + parts[1] + "." + parts[2]
    dp = ins.dp_operation
    if ins.to_integer:
        return mn, [_sreg(ins.d, False), _sreg(ins.m, dp)]
    return mn, [_sreg(ins.d, dp), _sreg(ins.m, False)]


def _fmt_vcvt_fixed(ins):
    dp = ins.dp_operation
    ft = "f64" if dp else "f32"
    it = ("u" if ins.unsigned else "s") + str(ins.esize)
    mn = "vcvt." + (f"{it}.{ft}" if ins.to_fixed else f"{ft}.{it}")
    return mn, [_sreg(ins.d, dp), _sreg(ins.d, dp), _imm(ins.frac_bits & MASK32)]


def _fmt_vcvt_h(ins):
    other = "f64" if ins.dp_operation else "f32"
    mn = ins.name.lower() + (f".f16.{other}" if ins.to_half else f".{other}.f16")
    if ins.to_half:
        return mn, [_sreg(ins.d, False), _sreg(ins.m, ins.dp_operation)]
    return mn, [_sreg(ins.d, ins.dp_operation), _sreg(ins.m, False)]


def _fmt_vcvt_ds(ins):
    if ins.name == "VJCVT":
        return "vjcvt.s32.f64", [_sreg(ins.d, False), _sreg(ins.m, True)]
    if ins.dp_operation:
        return "vcvt.f32.f64", [_sreg(ins.d, False), _sreg(ins.m, True)]
    return "vcvt.f64.f32", [_sreg(ins.d, True), _sreg(ins.m, False)]


def _fmt_vmov_imm(ins):
    if ins.dp_operation:
        v = struct.unpack("<d", struct.pack("<Q", ins.imm64))[0]
        return "vmov.f64", [_sreg(ins.d, True), f"#{v:e}"]
    v = struct.unpack("<f", struct.pack("<I", ins.imm32))[0]
    return "vmov.f32", [_sreg(ins.d, False), f"#{v:e}"]


def _fmt_vcmp(ins):
    base = "vcmpe" if ins.quiet_nan_exc else "vcmp"
    dp = ins.dp_operation
    return base + (".f64" if dp else ".f32"), [_sreg(ins.d, dp),
                                              "#0" if ins.with_zero else _sreg(ins.m, dp)]


def _fmt_vldm(ins):
    nm = ins.name
    dp = not ins.single_regs
    regs = _vreglist(ins.d, ins.regs, dp)
    if nm in ("VPUSH", "VPOP"):
        return nm.lower(), [regs]
    mode = "ia" if ins.add else "db"
    if nm[0] == "F":
        mn = nm[:4].lower() + mode + "x"
    else:
        mn = nm.lower() + mode
    return mn, [_r(ins.n) + ("!" if ins.wback else ""), regs]


def _fmt_vldr(ins):
    dp = not ins.single_reg
    return ins.name.lower(), [_sreg(ins.d, dp), _mem_imm(ins)]


def _fmt_vmov_rs(ins):
    if ins.to_arm_register:
        return "vmov", [_r(ins.t), f"s{ins.n}"]
    return "vmov", [f"s{ins.n}", _r(ins.t)]


def _fmt_vmov_rr(ins):
    if ins.name == "VMOV_rrss":
        vr = [f"s{ins.m}", f"s{ins.m + 1}"]
    else:
        vr = [f"d{ins.m}"]
    cr = [_r(ins.t), _r(ins.t2)]
    return "vmov", (cr + vr) if ins.to_arm_register else (vr + cr)


def _fmt_vmrs(ins):
    sysreg = _VFP_SYSREG.get(ins.reg, f"fpreg{ins.reg}")
    if ins.name == "VMRS":
        return "vmrs", ["apsr_nzcv" if ins.t == 15 and ins.reg == 1 else _r(ins.t), sysreg]
    return "vmsr", [sysreg, _r(ins.t)]


def _fmt_vmov_sc(ins):
    if ins.name == "VMOV_r2sc":
        return f"vmov.{ins.esize}", [f"d{ins.d}[{ins.index}]", _r(ins.t)]
    dt = ("u" if ins.unsigned else "s") + str(ins.esize) if ins.esize != 32 else "32"
    return f"vmov.{dt}", [_r(ins.t), f"d{ins.n}[{ins.index}]"]


def _fmt_vsel(ins):
    cc = COND_NAMES[ins.sel_cond]
    mn, ops = _vfp(ins, "vsel" + cc)
    return mn, ops


def _fmt_mul(ins, mn):
    ops = [_r(ins.d), _r(ins.n), _r(ins.m)]
    if ins.a is not None:
        ops.append(_r(ins.a))
    return mn + _setflags(ins), ops


def _fmt_mull(ins, mn):
    return mn + _setflags(ins), [_r(ins.dLo), _r(ins.dHi), _r(ins.n), _r(ins.m)]


def _xy(b) -> str:
    return "t" if b else "b"


def _fmt_smlaxy(ins):
    nm = ins.name
    if nm in ("SMLAWy", "SMULWy"):
        mn = nm[:5].lower() + _xy(ins.m_high)
    else:
        mn = nm[:-2].lower() + _xy(ins.n_high) + _xy(ins.m_high)
    if nm == "SMLALxy":
        return mn, [_r(ins.dLo), _r(ins.dHi), _r(ins.n), _r(ins.m)]
    ops = [_r(ins.d), _r(ins.n), _r(ins.m)]
    if ins.a is not None:
        ops.append(_r(ins.a))
    return mn, ops


def _fmt_smlad(ins):
    mn = ins.name.lower() + ("x" if ins.m_swap else "")
    if ins.dLo is not None:
        return mn, [_r(ins.dLo), _r(ins.dHi), _r(ins.n), _r(ins.m)]
    ops = [_r(ins.d), _r(ins.n), _r(ins.m)]
    if ins.a is not None:
        ops.append(_r(ins.a))
    return mn, ops


def _fmt_smmla(ins):
    mn = ins.name.lower() + ("r" if ins.round else "")
    ops = [_r(ins.d), _r(ins.n), _r(ins.m)]
    if ins.a is not None:
        ops.append(_r(ins.a))
    return mn, ops


def _fmt_rrr(ins):
    return ins.name.lower(), [_r(ins.d), _r(ins.n), _r(ins.m)]


def _fmt_qadd(ins):
    return ins.name.lower(), [_r(ins.d), _r(ins.m), _r(ins.n)]


def _fmt_rr(ins):
    return ins.name.lower(), [_r(ins.d), _r(ins.m)]


def _fmt_xt(ins):
    ops = [_r(ins.d)]
    if ins.n is not None:
        ops.append(_r(ins.n))
    ops.append(_r(ins.m) + (f", ror #{ins.rotation}" if ins.rotation else ""))
    return ins.name.lower(), ops


def _fmt_sat(ins):
    return ins.name.lower(), [_r(ins.d), _imm(ins.saturate_to),
                              _r(ins.n) + _shift(ins.shift_t, ins.shift_n)]


def _fmt_sat16(ins):
    return ins.name.lower(), [_r(ins.d), _imm(ins.saturate_to), _r(ins.n)]


def _fmt_pkh(ins):
    return ins.name.lower(), [_r(ins.d), _r(ins.n), _r(ins.m) + _shift(ins.shift_t, ins.shift_n)]


def _fmt_bfx(ins):
    return ins.name.lower(), [_r(ins.d), _r(ins.n), _imm(ins.lsbit), _imm(ins.widthminus1 + 1)]


def _fmt_bfc(ins):
    ops = [_r(ins.d)]
    if ins.n is not None:
        ops.append(_r(ins.n))
    return ins.name.lower(), ops + [_imm(ins.lsbit), _imm(ins.msbit - ins.lsbit + 1)]


def _fmt_movw(ins):
    return ins.name.lower(), [_r(ins.d), _imm(ins.imm16)]


def _fmt_branch(ins):
    base = {"B": "b", "BL_imm": "bl", "BLX_imm": "blx"}[ins.name]
    return base, [_imm(ins.target)]


def _fmt_cbz(ins):
    return ins.name.lower(), [_r(ins.n), _imm(ins.target)]


def _fmt_bx(ins):
    return ins.name.split("_")[0].lower(), [_r(ins.m)]


def _fmt_imm(ins):
    if ins.name == "UDF" and (ins.imm32 == 0xFE if ins.size == 2 else ins.word == 0xE7FFDEFE):
        return "trap", []                          # LLVM's alias for this UDF
    return ins.name.lower(), [_imm(ins.imm32)]


def _fmt_none(ins):
    return ins.name.lower(), []


def _fmt_barrier(ins):
    o = ins.option
    if ins.name == "ISB":
        return "isb", ["sy" if o == 15 else _imm(o)]
    return ins.name.lower(), [_BARRIER.get(o, _imm(o))]


def _fmt_adr(ins):
    if ins.enc[0] == "A":
        return ("add" if ins.add else "sub"), [_r(ins.d), "pc", _mod_imm(ins)]
    if ins.size == 4:
        return ("addw" if ins.add else "subw"), [_r(ins.d), "pc", _imm(ins.imm32)]
    return "adr", [_r(ins.d), _imm(ins.imm32 if ins.add else -ins.imm32)]


def _fmt_mrs(ins):
    return "mrs", [_r(ins.d), "spsr" if ins.spsr else "apsr"]


def _psr_fields(ins) -> str:
    k = ins.mask
    if k == 0:
        return "spsr" if ins.spsr else "cpsr"
    if not ins.spsr and k & 3 == 0:
        return "apsr_" + {8: "nzcvq", 4: "g", 12: "nzcvqg"}[k]
    return ("spsr_" if ins.spsr else "cpsr_") + "".join(
        c for c, b in zip("fsxc", (8, 4, 2, 1)) if k & b)


def _fmt_msr(ins):
    src = _r(ins.n) if ins.name == "MSR_reg" else _mod_imm(ins)
    return "msr", [_psr_fields(ins), src]


_BANKED = {}
for _i, _n in enumerate(("r8_usr", "r9_usr", "r10_usr", "r11_usr", "r12_usr", "sp_usr",
                         "lr_usr", None, "r8_fiq", "r9_fiq", "r10_fiq", "r11_fiq", "r12_fiq",
                         "sp_fiq", "lr_fiq", None, "lr_irq", "sp_irq", "lr_svc", "sp_svc",
                         "lr_abt", "sp_abt", "lr_und", "sp_und", None, None, None, None,
                         "lr_mon", "sp_mon", "elr_hyp", "sp_hyp")):
    if _n:
        _BANKED[_i] = _n
_BANKED_SPSR = {14: "spsr_fiq", 16: "spsr_irq", 18: "spsr_svc", 20: "spsr_abt",
                22: "spsr_und", 28: "spsr_mon", 30: "spsr_hyp"}


def _banked(ins) -> str:
    if ins.spsr:
        return _BANKED_SPSR.get(ins.sysm, f"banked{ins.sysm}")
    return _BANKED.get(ins.sysm, f"banked{ins.sysm}")


def _fmt_mrs_banked(ins):
    return "mrs", [_r(ins.d), _banked(ins)]


def _fmt_msr_banked(ins):
    return "msr", [_banked(ins), _r(ins.n)]


def _fmt_cps(ins):
    ops = []
    mn = "cps"
    if ins.imod in (2, 3):
        mn = "cpsie" if ins.imod == 2 else "cpsid"
        ops.append("".join(c for c, b in zip("aif", (ins.affectA, ins.affectI, ins.affectF))
                           if b) or "none")
    if ins.changemode or ins.imod < 2:
        ops.append(_imm(ins.mode))
    return mn, ops


def _fmt_setend(ins):
    return "setend", ["be" if ins.set_bigend else "le"]


def _fmt_it(ins):
    fc = ins.firstcond
    k = ins.mask
    tail = ""
    nbits = 4 - ((k & -k).bit_length() - 1)      # number of instructions in the block
    low = 0 if fc >= 14 else fc & 1            # LLVM treats firstcond 1111 as AL
    for i in range(1, nbits):
        bit = (k >> (4 - i)) & 1
        tail += "t" if bit == low else "e"
    return "it" + tail, [COND_NAMES[fc] or "al"]


def _fmt_pl(ins):
    nm = ins.name
    mn = "pldw" if ins.is_pldw else nm[:3].lower()
    if nm.endswith("_reg"):
        m = ("" if ins.add else "-") + _r(ins.m) + _shift(ins.shift_t, ins.shift_n)
        return mn, [f"[{_r(ins.n)}, {m}]"]
    v = ins.imm32
    sv = _imm(v) if ins.add else "#-" + (str(v) if v < 10 else hex(v))
    if v == 0 and ins.add and not (nm.endswith("_lit") and ins.enc[0] == "T"):
        return mn, [f"[{_r(ins.n)}]"]
    return mn, [f"[{_r(ins.n)}, {sv}]"]


def _fmt_ldrex(ins):
    nm = ins.name
    regs = [_r(ins.t)]
    if ins.t2 is not None:
        regs.append(_r(ins.t2))
    if ins.d is not None:
        regs.insert(0, _r(ins.d))
    mem = f"[{_r(ins.n)}, {_imm(ins.imm32)}]" if ins.imm32 else f"[{_r(ins.n)}]"
    return nm.lower(), regs + [mem]


def _fmt_swp(ins):
    return ins.name.lower(), [_r(ins.t), _r(ins.t2), f"[{_r(ins.n)}]"]


def _fmt_tbb(ins):
    mem = f"[{_r(ins.n)}, {_r(ins.m)}" + (", lsl #1]" if ins.is_tbh else "]")
    return ins.name.lower(), [mem]


def _ldm_mode(ins) -> str:
    if ins.increment:
        return "ib" if ins.wordhigher else "ia"
    return "da" if ins.wordhigher else "db"


def _fmt_ldm_sys(ins):
    nm = ins.name
    mode = _ldm_mode(ins)
    mn = nm[:3].lower() + ("" if mode == "ia" else mode)
    regs = ins.registers
    return mn, [_r(ins.n) + ("!" if ins.wback else ""), _reglist(regs) + " ^"]


def _fmt_srs(ins):
    return "srs" + _ldm_mode(ins), ["sp" + ("!" if ins.wback else ""), _imm(ins.mode)]


def _fmt_rfe(ins):
    return "rfe" + _ldm_mode(ins), [_r(ins.n) + ("!" if ins.wback else "")]


def _fmt_push(ins):
    if ins.t is not None and ins.name == "PUSH":          # A2/T3: STR Rt, [SP, #-4]!
        return "str", [_r(ins.t), "[sp, #-4]!"]
    if ins.t is not None and ins.enc == "T3":             # POP T3: LDR Rt, [SP], #4
        return "ldr", [_r(ins.t), "[sp], #4"]
    return ins.name.lower(), [_reglist(ins.registers)]


def _cp(ins) -> str:
    return f"p{ins.cp}"


def _fmt_mcr(ins):
    rt = "apsr_nzcv" if ins.t == 15 and ins.name == "MRC" else _r(ins.t)
    return ins.name.lower(), [_cp(ins), _imm(ins.opc1), rt, f"c{ins.CRn}",
                              f"c{ins.CRm}", _imm(ins.opc2)]


def _fmt_mcrr(ins):
    return ins.name.lower(), [_cp(ins), _imm(ins.opc1), _r(ins.t), _r(ins.t2), f"c{ins.CRm}"]


def _fmt_cdp(ins):
    return "cdp", [_cp(ins), _imm(ins.opc1), f"c{ins.CRd}", f"c{ins.CRn}", f"c{ins.CRm}",
                   _imm(ins.opc2)]


def _fmt_ldc(ins):
    mn = ins.name[:3].lower()
    ops = [_cp(ins), f"c{ins.CRd}"]
    if ins.unindexed:
        ops.append(f"[{_r(ins.n)}], {{{_imm(ins.option)[1:]}}}")
    else:
        ops.append(_mem_imm(ins))
    return mn, ops


def _fmt_crc(ins):
    return ins.name.lower(), [_r(ins.d), _r(ins.n), _r(ins.m)]


_RENDERERS = {
    "MOVW": _fmt_movw, "MOVT": _fmt_movw,
    "B": _fmt_branch, "BL_imm": _fmt_branch, "BLX_imm": _fmt_branch,
    "CBZ": _fmt_cbz, "CBNZ": _fmt_cbz, "BX": _fmt_bx, "BXJ": _fmt_bx, "BLX_reg": _fmt_bx,
    "SVC": _fmt_imm, "BKPT": _fmt_imm, "UDF": _fmt_imm, "HVC": _fmt_imm, "SMC": _fmt_imm,
    "HLT": _fmt_imm, "DBG": _fmt_imm, "HINT": _fmt_imm,
    "SUBS_PC_LR": lambda i: ("subs", ["pc", "lr", _imm(i.imm32)]),
    "DMB": _fmt_barrier, "DSB": _fmt_barrier, "ISB": _fmt_barrier,
    "ADR": _fmt_adr, "MRS": _fmt_mrs, "MSR_reg": _fmt_msr, "MSR_imm": _fmt_msr,
    "MRS_banked": _fmt_mrs_banked, "MSR_banked": _fmt_msr_banked,
    "CPS": _fmt_cps, "SETEND": _fmt_setend, "IT": _fmt_it,
    "SWP": _fmt_swp, "SWPB": _fmt_swp, "TBB": _fmt_tbb, "TBH": _fmt_tbb,
    "STM_usr": _fmt_ldm_sys, "LDM_usr": _fmt_ldm_sys, "LDM_eret": _fmt_ldm_sys,
    "SRS": _fmt_srs, "RFE": _fmt_rfe, "PUSH": _fmt_push, "POP": _fmt_push,
    "MCR": _fmt_mcr, "MRC": _fmt_mcr, "MCRR": _fmt_mcrr, "MRRC": _fmt_mcrr, "CDP": _fmt_cdp,
    "LDC_imm": _fmt_ldc, "LDC_lit": _fmt_ldc, "STC": _fmt_ldc,
    "SXTB": _fmt_xt, "SXTH": _fmt_xt, "UXTB": _fmt_xt, "UXTH": _fmt_xt, "SXTB16": _fmt_xt,
    "UXTB16": _fmt_xt, "SXTAB": _fmt_xt, "SXTAH": _fmt_xt, "UXTAB": _fmt_xt,
    "UXTAH": _fmt_xt, "SXTAB16": _fmt_xt, "UXTAB16": _fmt_xt,
    "SSAT": _fmt_sat, "USAT": _fmt_sat, "SSAT16": _fmt_sat16, "USAT16": _fmt_sat16,
    "PKHBT": _fmt_pkh, "PKHTB": _fmt_pkh, "SBFX": _fmt_bfx, "UBFX": _fmt_bfx,
    "BFC": _fmt_bfc, "BFI": _fmt_bfc,
    "CLZ": _fmt_rr, "REV": _fmt_rr, "REV16": _fmt_rr, "REVSH": _fmt_rr, "RBIT": _fmt_rr,
    "QADD": _fmt_qadd, "QSUB": _fmt_qadd, "QDADD": _fmt_qadd, "QDSUB": _fmt_qadd,
    "SEL": _fmt_rrr, "USAD8": _fmt_rrr, "SDIV": _fmt_rrr, "UDIV": _fmt_rrr,
    "USADA8": lambda i: ("usada8", [_r(i.d), _r(i.n), _r(i.m), _r(i.a)]),
    "SMLAxy": _fmt_smlaxy, "SMULxy": _fmt_smlaxy, "SMLAWy": _fmt_smlaxy,
    "SMULWy": _fmt_smlaxy, "SMLALxy": _fmt_smlaxy,
    "SMUAD": _fmt_smlad, "SMLAD": _fmt_smlad, "SMUSD": _fmt_smlad, "SMLSD": _fmt_smlad,
    "SMLALD": _fmt_smlad, "SMLSLD": _fmt_smlad,
    "SMMUL": _fmt_smmla, "SMMLA": _fmt_smmla, "SMMLS": _fmt_smmla,
    "MUL": lambda i: _fmt_mul(i, "mul"), "MLA": lambda i: _fmt_mul(i, "mla"),
    "MLS": lambda i: _fmt_mul(i, "mls"),
    "UMULL": lambda i: _fmt_mull(i, "umull"), "UMLAL": lambda i: _fmt_mull(i, "umlal"),
    "SMULL": lambda i: _fmt_mull(i, "smull"), "SMLAL": lambda i: _fmt_mull(i, "smlal"),
    "UMAAL": lambda i: _fmt_mull(i, "umaal"),
    "LDREX": _fmt_ldrex, "LDREXB": _fmt_ldrex, "LDREXH": _fmt_ldrex, "LDREXD": _fmt_ldrex,
    "STREX": _fmt_ldrex, "STREXB": _fmt_ldrex, "STREXH": _fmt_ldrex, "STREXD": _fmt_ldrex,
    "LDA": _fmt_ldrex, "LDAB": _fmt_ldrex, "LDAH": _fmt_ldrex, "LDAEX": _fmt_ldrex,
    "LDAEXB": _fmt_ldrex, "LDAEXH": _fmt_ldrex, "LDAEXD": _fmt_ldrex,
    "STL": _fmt_ldrex, "STLB": _fmt_ldrex, "STLH": _fmt_ldrex, "STLEX": _fmt_ldrex,
    "STLEXB": _fmt_ldrex, "STLEXH": _fmt_ldrex, "STLEXD": _fmt_ldrex,
    "VLDM": _fmt_vldm, "VSTM": _fmt_vldm, "VPUSH": _fmt_vldm, "VPOP": _fmt_vldm,
    "FLDMX": _fmt_vldm, "FSTMX": _fmt_vldm, "VLDR": _fmt_vldr, "VSTR": _fmt_vldr,
    "VMOV_rs": _fmt_vmov_rs, "VMOV_rrss": _fmt_vmov_rr, "VMOV_rrd": _fmt_vmov_rr,
    "VMRS": _fmt_vmrs, "VMSR": _fmt_vmrs, "VMOV_r2sc": _fmt_vmov_sc, "VMOV_sc2r": _fmt_vmov_sc,
    "VCVT_fixed": _fmt_vcvt_fixed, "VCVTB": _fmt_vcvt_h, "VCVTT": _fmt_vcvt_h,
    "VCVT_f64_f32": _fmt_vcvt_ds, "VCVT_f32_f64": _fmt_vcvt_ds, "VJCVT": _fmt_vcvt_ds,
}
for _stem in ("AND", "EOR", "SUB", "RSB", "ADD", "ADC", "SBC", "RSC", "TST", "TEQ", "CMP",
              "CMN", "ORR", "ORN", "MOV", "BIC", "MVN", "LSL", "LSR", "ASR", "ROR", "RRX"):
    _RENDERERS[_stem + "_*"] = _dp
for _stem in ("LDR", "STR", "LDRB", "STRB", "LDRH", "STRH", "LDRSB", "LDRSH", "LDRD", "STRD"):
    _RENDERERS[_stem + "_*"] = _ld
for _stem in ("LDRT", "STRT", "LDRBT", "STRBT", "LDRHT", "STRHT", "LDRSBT", "LDRSHT"):
    _RENDERERS[_stem] = lambda i, _s=_stem.lower(): _ldt(i, _s)
for _stem in ("LDM", "LDMDA", "LDMDB", "LDMIB", "STM", "STMDA", "STMDB", "STMIB"):
    _RENDERERS[_stem] = lambda i, _s=_stem.lower(): _ldm(i, _s)
for _stem in ("PLD", "PLI"):
    _RENDERERS[_stem + "_*"] = lambda i, _s: _fmt_pl(i)
_RENDERERS["RRX"] = lambda i: _dp(i, "rrx")
for _pre in ("S", "Q", "SH", "U", "UQ", "UH"):
    for _op in ("ADD16", "ASX", "SAX", "SUB16", "ADD8", "SUB8"):
        _RENDERERS[_pre + _op] = _fmt_rrr
_RENDERERS["CRC32B"] = _RENDERERS["CRC32H"] = _RENDERERS["CRC32W"] = _fmt_crc
_RENDERERS["CRC32CB"] = _RENDERERS["CRC32CH"] = _RENDERERS["CRC32CW"] = _fmt_crc


def _vfp_name(nm: str):
    """Renderer for the V* names not listed above."""
    if nm.startswith("VMOV_imm"):
        return _fmt_vmov_imm
    if nm.startswith("VCMP"):
        return _fmt_vcmp
    if nm.startswith("VSEL"):
        return _fmt_vsel
    if nm.startswith("VCVT"):
        return _fmt_vcvt
    if nm.startswith("VMOV_reg"):
        return lambda i: _vfp(i, "vmov")
    stem = nm.rsplit("_", 1)[0].lower()
    return lambda i: _vfp(i, stem)


def disasm(ins: Insn) -> str:
    """Render `ins` as capstone (LLVM) prints it: 'mnemonic operands'."""
    nm = ins.name
    if nm == "UNDEFINED":
        return "<undefined>"
    if nm == "NEON":
        return "<neon>"
    f = _RENDERERS.get(nm)
    if f is not None:
        mn, ops = f(ins)
    else:
        stem = nm.split("_")[0]
        f = _RENDERERS.get(stem + "_*")
        if f is not None:
            mn, ops = f(ins, stem.lower())
        elif nm[0] == "V":
            f = _vfp_name(nm)
            _RENDERERS[nm] = f
            mn, ops = f(ins)
        else:
            mn, ops = nm.lower(), []
    cc = COND_NAMES[ins.cond] if nm != "HVC" else ""
    if ins.enc in ("A2", "T2") and nm in ("MCR", "MRC", "MCRR", "MRRC", "CDP", "LDC_imm",
                                          "LDC_lit", "STC"):
        mn = mn + "2"                              # the cond = 1111 forms (MRC2 ...)
    if nm in ("LDC_imm", "LDC_lit", "STC") and ins.long:
        mn += "l"
    if cc:
        if "." in mn:
            a, b = mn.split(".", 1)
            mn = f"{a}{cc}.{b}"
        else:
            mn += cc
    return (mn + " " + ", ".join(ops)).rstrip() if ops else mn
