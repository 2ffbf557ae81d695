"""Scalar VFP (single and double precision) -> JIT IR, after the ARM ARM pseudocode.

Registered into :data:`frontends.arm.lift.LIFTERS` on import (``lift`` imports this module).
Guest VFP registers are read and written only as 32-bit S halves (``GetReg``/``SetReg`` 32+k),
so the state passes see the S/D aliasing exactly; a D register is ``Cat64`` of its halves.
The FPSCR is ``GetReg``/``SetReg`` 18. The FP value operations are defined in
:mod:`translator.jit.ir` and emitted by :mod:`translator.jit.x86emit_vfp`.

Left to the interpreter (NotImplementedError -> Fallback): the fused multiply-adds (VFMA,
VFMS, VFNMA, VFNMS: SSE2 has no fused multiply-add), fixed-point and half-precision VCVT, VMSR and VMRS of anything but the FPSCR,
8/16-bit scalar moves (NEON), and the ARMv8 VRINT/VSEL/VMAXNM family.
"""
from __future__ import annotations

from translator.jit.ir import Const, Ref

from .lift import Ctx, lifter

FPSCR = 18


def _dp(i) -> bool:
    return bool(i.dp_operation)


def get_s(c: Ctx, k: int):
    return c.b.emit("GetReg", attr=32 + k)


def set_s(c: Ctx, k: int, v) -> None:
    c.b.emit("SetReg", v, attr=32 + k)


def get_d(c: Ctx, k: int):
    b = c.b
    return b.emit("Cat64", b.emit("GetReg", attr=32 + 2 * k), b.emit("GetReg", attr=33 + 2 * k))


def set_d(c: Ctx, k: int, v) -> None:
    b = c.b
    if isinstance(v, Ref) and b.ops[v.index].opcode == "Cat64":
        lo, hi = b.ops[v.index].args          # a plain copy: no need to split again
    elif isinstance(v, Const):
        lo, hi = Const(v.value & 0xFFFFFFFF), Const(v.value >> 32)
    else:
        lo, hi = b.emit("Lo32", v), b.emit("Hi32", v)
    b.emit("SetReg", lo, attr=32 + 2 * k)
    b.emit("SetReg", hi, attr=33 + 2 * k)


def get_f(c: Ctx, k: int, dp: bool):
    return get_d(c, k) if dp else get_s(c, k)


def set_f(c: Ctx, k: int, v, dp: bool) -> None:
    (set_d if dp else set_s)(c, k, v)


def _check_regs(i, dp: bool, *regs: int) -> None:
    if dp and any(r >= 32 for r in regs):
        raise NotImplementedError("D register out of range")


# ---- arithmetic ---------------------------------------------------------------------------------
_ARITH = {"VADD": "FAdd", "VSUB": "FSub", "VMUL": "FMul", "VDIV": "FDiv"}


@lifter(*(f"{n}_{p}" for n in ("VADD", "VSUB", "VMUL", "VDIV", "VNMUL", "VMLA", "VMLS",
                                "VNMLA", "VNMLS") for p in ("f32", "f64")))
def _vfp3(c: Ctx, i) -> None:
    """VMLA and friends are not fused: FPMul, then FPAdd with the (negated) accumulator, each
    rounded and NaN-processed on its own, as the pseudocode (and QEMU) do."""
    b, dp = c.b, _dp(i)
    prec = "d" if dp else "s"
    name = i.name.split("_")[0]
    n, m = get_f(c, i.n, dp), get_f(c, i.m, dp)
    if name in _ARITH:
        res = b.emit(_ARITH[name], n, m, attr=prec)
    else:
        prod = b.emit("FMul", n, m, attr=prec)
        if name == "VNMUL":
            res = b.emit("FNeg", prod, attr=prec)
        else:
            acc = get_f(c, i.d, dp)
            if name in ("VNMLA", "VNMLS"):
                acc = b.emit("FNeg", acc, attr=prec)
            if name in ("VMLS", "VNMLA"):
                prod = b.emit("FNeg", prod, attr=prec)
            res = b.emit("FAdd", acc, prod, attr=prec)
    set_f(c, i.d, res, dp)


@lifter("VABS_f32", "VABS_f64", "VNEG_f32", "VNEG_f64", "VSQRT_f32", "VSQRT_f64",
        "VMOV_reg_f32", "VMOV_reg_f64")
def _vfp2(c: Ctx, i) -> None:
    dp = _dp(i)
    v = get_f(c, i.m, dp)
    op = {"VABS": "FAbs", "VNEG": "FNeg", "VSQRT": "FSqrt"}.get(i.name.split("_")[0])
    if op is not None:
        v = c.b.emit(op, v, attr="d" if dp else "s")
    set_f(c, i.d, v, dp)


@lifter("VMOV_imm_f32", "VMOV_imm_f64")
def _vmov_imm(c: Ctx, i) -> None:
    if _dp(i):
        set_d(c, i.d, Const(i.imm64))
    else:
        set_s(c, i.d, Const(i.imm32))


# ---- compares ---------------------------------------------------------------------------------
@lifter("VCMP_f32", "VCMP_f64", "VCMPE_f32", "VCMPE_f64")
def _vcmp(c: Ctx, i) -> None:
    """FPSCR.NZCV = the comparison (VCMPE also signals Invalid on quiet NaNs)."""
    b, dp = c.b, _dp(i)
    x = get_f(c, i.d, dp)
    y = Const(0) if i.with_zero else get_f(c, i.m, dp)
    nzcv = b.emit("FCmp", x, y, attr=("d" if dp else "s", bool(i.quiet_nan_exc)))
    fpscr = b.emit("And", b.emit("GetReg", attr=FPSCR), Const(0x0FFFFFFF))
    b.emit("SetReg", b.emit("Or", fpscr, b.emit("Lsl", nzcv, Const(28))), attr=FPSCR)


@lifter("VMRS")
def _vmrs(c: Ctx, i) -> None:
    """VMRS APSR_nzcv, FPSCR (the flags after a VCMP) and VMRS Rt, FPSCR."""
    b = c.b
    if i.reg != 1:
        raise NotImplementedError("VMRS of a register other than the FPSCR")
    fpscr = b.emit("GetReg", attr=FPSCR)
    if i.t == 15:
        for k, f in enumerate("NZCV"):
            b.emit("SetFlag", b.emit("Bit", fpscr, attr=31 - k), attr=f)
    else:
        c.set_r(i.t, b.emit("FpscrRead", fpscr))


# ---- conversions ------------------------------------------------------------------------------
@lifter("VCVT_f64_f32", "VCVT_f32_f64")
def _vcvt_ds(c: Ctx, i) -> None:
    """dp_operation names the source: VCVT.F32.F64 Sd, Dm has it set."""
    to_double = not _dp(i)
    _check_regs(i, to_double, i.d)
    v = c.b.emit("FCvt", get_f(c, i.m, not to_double), attr="d" if to_double else "s")
    set_f(c, i.d, v, to_double)


@lifter(*(f"VCVT_{a}_{b}" for a, b in (("f32", "u32"), ("f32", "s32"), ("f64", "u32"),
                                         ("f64", "s32"), ("u32", "f32"), ("s32", "f32"),
                                         ("u32", "f64"), ("s32", "f64"))),
        "VCVTR_u32_f32", "VCVTR_s32_f32", "VCVTR_u32_f64", "VCVTR_s32_f64")
def _vcvt_fi(c: Ctx, i) -> None:
    dp = _dp(i)
    prec = "d" if dp else "s"
    if i.to_integer:
        attr = (prec, not i.unsigned, bool(i.round_zero))
        set_s(c, i.d, c.b.emit("FToInt", get_f(c, i.m, dp), attr=attr))
    else:
        set_f(c, i.d, c.b.emit("FFromInt", get_s(c, i.m), attr=(prec, not i.unsigned)), dp)


# ---- moves between core and VFP registers -------------------------------------------------------
@lifter("VMOV_rs")
def _vmov_rs(c: Ctx, i) -> None:
    if i.t in (13, 15):
        raise NotImplementedError("VMOV with SP/PC")
    if i.to_arm_register:
        c.set_r(i.t, get_s(c, i.n))
    else:
        set_s(c, i.n, c.r(i.t))


@lifter("VMOV_rrd", "VMOV_rrss")
def _vmov_rr(c: Ctx, i) -> None:
    """Two core registers <-> one D register or two consecutive S registers."""
    if i.t in (13, 15) or i.t2 in (13, 15) or (i.to_arm_register and i.t == i.t2):
        raise NotImplementedError("UNPREDICTABLE VMOV")
    first = 2 * i.m if i.name == "VMOV_rrd" else i.m
    if first + 1 >= 64 or (i.name == "VMOV_rrss" and i.m == 31):
        raise NotImplementedError("register out of range")
    if i.to_arm_register:
        lo, hi = get_s(c, first), get_s(c, first + 1)
        c.set_r(i.t, lo)
        c.set_r(i.t2, hi)
    else:
        lo, hi = c.r(i.t), c.r(i.t2)
        set_s(c, first, lo)
        set_s(c, first + 1, hi)


@lifter("VMOV_r2sc", "VMOV_sc2r")
def _vmov_scalar(c: Ctx, i) -> None:
    """32-bit scalars only (the 8/16-bit lanes are Advanced SIMD)."""
    if i.esize != 32 or i.t in (13, 15):
        raise NotImplementedError("VMOV scalar")
    if i.name == "VMOV_r2sc":
        set_s(c, 2 * i.d + i.index, c.r(i.t))
    else:
        c.set_r(i.t, get_s(c, 2 * i.n + i.index))


# ---- multiple loads and stores ----------------------------------------------------------------
@lifter("VLDM", "VSTM", "VPUSH", "VPOP")
def _vldm(c: Ctx, i) -> None:
    """Consecutive S (or D = two S) registers from/to consecutive words; the base register is
    written back after the transfers (a faulting access leaves it unchanged)."""
    b = c.b
    words = i.regs if i.single_regs else 2 * i.regs
    first = i.d if i.single_regs else 2 * i.d
    if i.regs == 0 or first + words > 64 or (i.single_regs and first + words > 32) \
            or (i.n == 15 and (i.wback or c.thumb)):
        raise NotImplementedError("UNPREDICTABLE VLDM/VSTM")
    base = c.r(i.n)
    addr = base if i.add else b.emit("Sub", base, Const(i.imm32))
    load = i.name in ("VLDM", "VPOP")
    for k in range(words):
        if load:
            set_s(c, first + k, c.load(4, addr, disp=4 * k))
        else:
            c.store(4, addr, get_s(c, first + k), 4 * k)
    if i.wback:
        c.set_r(i.n, b.emit("Add" if i.add else "Sub", base, Const(i.imm32)))
