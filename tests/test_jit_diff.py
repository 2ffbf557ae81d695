"""The JIT against Unicorn on seeded random ARM and Thumb-2 sequences (see tests/jit_diff.py).

CI runs 250 sequences of 40 instructions per instruction set (20,000+ instructions); the
script runs any number: ``python tests/jit_diff.py --seeds 0:100000 [--thumb]``.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytest.importorskip("keystone", reason="keystone-engine not installed (pip install keystone-engine)")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import jit_diff  # noqa: E402

SEEDS = range(250)
LENGTH = 40


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_random_sequences_match_unicorn(thumb):
    failures, native, fallback, total = [], 0, 0, 0
    for seed in SEEDS:
        case = jit_diff.make_case(seed, thumb, LENGTH)
        err, stats = jit_diff.compare(case)
        total += sum(line.count(";") + 1 for line in case.asm)
        native += stats.get("native_instructions") or 0
        fallback += stats.get("fallback_instructions") or 0
        if err:
            failures.append(f"seed {seed}: {err}\n  " + "\n  ".join(case.asm))
    assert not failures, "\n".join(failures[:5])
    assert total >= 10000
    # every instruction class the generator draws from is lifted: nothing fell back
    # (instructions a taken branch skips are not run at all)
    assert fallback == 0 and native >= total * 0.8, (native, fallback, total)


def test_harness_catches_a_wrong_result(monkeypatch):
    """The comparison is not vacuous: break ADD in the emitter and it must notice."""
    from translator.jit import x86emit
    monkeypatch.setattr(x86emit.Emitter, "op_Add",
                        lambda self, i, op, labels: self._binop(i, op, self.asm.sub))
    bad = 0
    for seed in range(10):
        err, _ = jit_diff.compare(jit_diff.make_case(seed, False, LENGTH))
        bad += err is not None
    assert bad >= 5


def test_regression_t16_in_it_block_sets_no_flags():
    """`ite eq; moveq r4, #1; movne r4, #0` (16-bit MOVs) must leave NZCV alone: the
    decoder's T16 setflags=True only holds outside IT blocks."""
    case = jit_diff.Case(0, True, [], b"")
    from keystone import KS_ARCH_ARM, KS_MODE_THUMB, Ks
    ks = Ks(KS_ARCH_ARM, KS_MODE_THUMB)
    src = "cmp r0, r0; ite eq; moveq r4, #1; movne r4, #0; svc #0"
    case.code = bytes(ks.asm(src, jit_diff.CODE)[0])
    case.asm = src.split("; ")
    assert len(case.code) == 10            # the MOVs really are 16-bit encodings
    err, stats = jit_diff.compare(case)
    assert err is None, err


@pytest.mark.parametrize("z", [True, False], ids=["taken", "not-taken"])
def test_it_block_inside_a_block_rolls_back_to_the_interpreter(z):
    """IT blocks no longer start and end blocks. One whose instruction the JIT does not lift
    (a conditional BL) ends the block before its IT; the interpreter then runs it from the IT
    (it needs ITSTATE), and the JIT goes on after it."""
    from keystone import KS_ARCH_ARM, KS_MODE_THUMB, Ks

    from frontends.arm.lift import lift_block
    ks = Ks(KS_ARCH_ARM, KS_MODE_THUMB)
    cmp = "cmp r0, r0" if z else "cmp r0, r1"
    src = f"movs r2, #5; {cmp}; it eq; bleq skip; movs r1, #1; skip: adds r3, r3, #1; svc #0"
    case = jit_diff.Case(0, True, src.split("; "), bytes(ks.asm(src, jit_diff.CODE)[0]),
                         {"r": {0: 7, 1: 9}})
    err, stats = jit_diff.compare(case)
    assert err is None, err
    assert stats["fallback_instructions"] >= 1 and stats["native_instructions"] >= 3
    mem = jit_diff.GuestMemory(jit_diff.abi.ADDRESS_SPACE)
    try:
        mem.map(jit_diff.CODE, 0x1000, jit_diff.PROT_READ | jit_diff.PROT_EXEC)
        mem.write(jit_diff.CODE, case.code, force=True)
        b = lift_block(mem, jit_diff.CODE, True)
        assert b.guest_insns == 2 and b.terminal.pc == jit_diff.CODE + 4   # ends at the IT
    finally:
        mem.close()


def test_it_block_in_the_middle_of_a_block():
    """An IT block after other instructions, and code after it, in one block."""
    from keystone import KS_ARCH_ARM, KS_MODE_THUMB, Ks

    from frontends.arm.lift import lift_block
    ks = Ks(KS_ARCH_ARM, KS_MODE_THUMB)
    src = "adds r2, r0, r1; ite cs; movcs r4, #1; movcc r4, #2; adds r4, r4, r2; svc #0"
    for r0, r1 in [(1, 2), (0xFFFFFFFF, 2)]:
        case = jit_diff.Case(0, True, src.split("; "), bytes(ks.asm(src, jit_diff.CODE)[0]),
                             {"r": {0: r0, 1: r1}})
        err, stats = jit_diff.compare(case)
        assert err is None, err
        got, _, _ = jit_diff.run_jit(case)
        assert got["r"][4] == (r0 + r1 + (1 if r0 + r1 > 0xFFFFFFFF else 2)) & 0xFFFFFFFF
    mem = jit_diff.GuestMemory(jit_diff.abi.ADDRESS_SPACE)
    try:
        mem.map(jit_diff.CODE, 0x1000, jit_diff.PROT_READ | jit_diff.PROT_EXEC)
        mem.write(jit_diff.CODE, case.code, force=True)
        b = lift_block(mem, jit_diff.CODE, True)
        assert b.guest_insns == 6          # adds, ite, 2 movs, adds, svc: one block
    finally:
        mem.close()


def test_cbz_cbnz_are_side_exits():
    """CBZ/CBNZ are side exits on a register's value (ExitIfZero): a loop whose exit test is
    a CBZ runs with its back edge chained, counted exactly, and agrees with Unicorn; a CBZ
    on a value the lifter knows is decided at translation time."""
    from keystone import KS_ARCH_ARM, KS_MODE_THUMB, Ks

    from frontends.arm.lift import lift_block
    from translator.jit.ir import Link
    ks = Ks(KS_ARCH_ARM, KS_MODE_THUMB)
    src = ("movs r0, #0; loop: cbz r1, done; adds r0, r0, #3; subs r1, r1, #1; b loop;"
           " done: cbnz r0, over; adds r0, r0, #100; over: svc #0")
    case = jit_diff.Case(0, True, src.split("; "), bytes(ks.asm(src, jit_diff.CODE)[0]),
                         {"r": {1: 500}})
    err, stats = jit_diff.compare(case)              # includes the instruction count
    assert err is None, err
    got, _, _ = jit_diff.run_jit(case)
    assert got["r"][0] == 1500 and stats["fallback_instructions"] == 0
    mem = jit_diff.GuestMemory(jit_diff.abi.ADDRESS_SPACE)
    try:
        mem.map(jit_diff.CODE, 0x1000, jit_diff.PROT_READ | jit_diff.PROT_EXEC)
        mem.write(jit_diff.CODE, case.code, force=True)
        b = lift_block(mem, jit_diff.CODE + 2, True)
        exits = [op.attr for op in b.ops if op.opcode == "ExitIfZero"]
        assert exits == [(True, Link(jit_diff.CODE + 10, True), 1)]
        assert b.guest_insns == 4 and b.terminal == Link(jit_diff.CODE + 2, True)
        b = lift_block(mem, jit_diff.CODE + 10, True)      # done: cbnz, adds, svc
        exits = [op.attr for op in b.ops if op.opcode == "ExitIfZero"]
        assert exits == [(False, Link(jit_diff.CODE + 14, True), 1)] and b.guest_insns == 3
        for src, want in [("movs r1, #0; cbz r1, skip; adds r0, #1; skip: svc #0", 2),
                          ("movs r1, #0; cbnz r1, skip; adds r0, #1; skip: svc #0", 4)]:
            mem.write(jit_diff.CODE, bytes(ks.asm(src, jit_diff.CODE)[0]), force=True)
            b = lift_block(mem, jit_diff.CODE, True)
            assert b.guest_insns == want and not any(op.opcode == "ExitIfZero"
                                                     for op in b.ops)
    finally:
        mem.close()


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_subtraction_flags_on_edge_values(thumb):
    """SubFlags (CMP/SUBS/RSBS as one x86 sub or cmp, C = NOT borrow) and the conditions read
    from its flags agree with Unicorn where carry, overflow and zero flip: equal operands,
    0 - x, INT_MIN - 1, x - 0 (an immediate 0 must still set the flags)."""
    from keystone import KS_ARCH_ARM, KS_MODE_ARM, KS_MODE_THUMB, Ks
    ks = Ks(KS_ARCH_ARM, KS_MODE_THUMB if thumb else KS_MODE_ARM)
    edges = [0, 1, 5, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]
    src = ("subs r2, r0, r1; mrs r3, apsr; cmp r0, #0; mrs r4, apsr; rsbs r5, r0, #0; "
           "mrs r6, apsr; cmp r0, r1; mov r8, #0; it hi; movhi r8, #1; it ge; addge r8, #2; "
           "it gt; addgt r8, #4; it ls; addls r8, #8; svc #0")
    code = bytes(ks.asm(src, jit_diff.CODE)[0])
    for x in edges:
        for y in edges:
            case = jit_diff.Case(0, thumb, src.split("; "), code, {"r": {0: x, 1: y}})
            err, stats = jit_diff.compare(case)
            assert err is None, (hex(x), hex(y), err)


# ---- VFP: the places where x86 SSE and ARM VFP differ, each pinned down --------------------------
QNAN_D, SNAN_D = 0x7FF8000000000ABC, 0x7FF0000000000DEF
QNAN_S, SNAN_S = 0x7FC00ABC, 0x7F800DEF
ONE_D, M_ONE_D, INF_D = 0x3FF0000000000000, 0xBFF0000000000000, 0x7FF0000000000000
DEFAULT_NAN_D = 0x7FF8000000000000


def _vfp_case(src: str, init: dict, thumb: bool = False):
    """Run ``src`` on both engines from ``init``; assert they agree; the JIT's final state."""
    from keystone import KS_ARCH_ARM, KS_MODE_ARM, KS_MODE_THUMB, Ks
    ks = Ks(KS_ARCH_ARM, KS_MODE_THUMB if thumb else KS_MODE_ARM)
    src += "; svc #0"
    case = jit_diff.Case(0, thumb, src.split("; "), bytes(ks.asm(src, jit_diff.CODE)[0]), init)
    err, stats = jit_diff.compare(case)
    assert err is None, err
    assert stats["fallback_instructions"] == 0, stats
    got, _, _ = jit_diff.run_jit(case)
    return got


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_regression_vfp_nan_operand_order_is_arms(thumb):
    """x86 returns the first NaN operand; ARM prefers a signalling NaN in either operand, and
    its default NaN (inf - inf, sqrt(-1)) is positive where x86's is negative."""
    init = {"d": {1: QNAN_D, 2: SNAN_D, 3: INF_D, 4: M_ONE_D, 5: QNAN_S | SNAN_S << 32},
            "fpscr": 0}
    got = _vfp_case("vadd.f64 d10, d1, d2; vadd.f64 d11, d2, d1; vsub.f64 d12, d3, d3; "
                    "vsqrt.f64 d13, d4; vmul.f32 s28, s10, s11; vadd.f64 d15, d1, d4",
                    init, thumb)
    quiet_snan = SNAN_D | 1 << 51
    assert got["d"][10] == quiet_snan and got["d"][11] == quiet_snan
    assert got["d"][12] == DEFAULT_NAN_D and got["d"][13] == DEFAULT_NAN_D
    assert got["d"][14] & 0xFFFFFFFF == SNAN_S | 1 << 22
    assert got["d"][15] == QNAN_D
    assert got["fpscr"] & 1                      # IOC


def test_regression_vfp_default_nan_mode():
    """FPSCR.DN: every NaN result is the default NaN."""
    got = _vfp_case("vadd.f64 d10, d1, d2; vcvt.f32.f64 s22, d1",
                    {"d": {1: QNAN_D, 2: ONE_D}, "fpscr": 1 << 25})
    assert got["d"][10] == DEFAULT_NAN_D
    assert got["d"][11] & 0xFFFFFFFF == 0x7FC00000


def test_regression_vcvt_to_integer_saturates_like_arm():
    """x86 gives 0x80000000 for NaN and out-of-range values; ARM saturates, NaN -> 0."""
    d = {1: QNAN_D, 2: 0x41F0000000000000, 3: 0xC1F0000000000000, 4: 0xBFE0000000000000,
         5: 0x41EFFFFFFFF00000}                  # NaN, 2**32, -2**32, -0.5, 4294967295.5
    src = "; ".join(f"vcvt.s32.f64 s{18 + 2 * k}, d{k}; vcvt.u32.f64 s{19 + 2 * k}, d{k}"
                    for k in d)
    got = _vfp_case(src, {"d": d, "fpscr": 0})
    pairs = [(got["d"][k] & 0xFFFFFFFF, got["d"][k] >> 32) for k in range(10, 15)]
    assert pairs == [(0, 0), (0x7FFFFFFF, 0xFFFFFFFF), (0x80000000, 0), (0, 0),
                     (0x7FFFFFFF, 0xFFFFFFFF)]
    assert got["fpscr"] & 0x1F == 0x11                           # IOC and IXC


def test_regression_vcmp_sets_fpscr_nzcv():
    """unordered 0011, equal 0110, less 1000, greater 0010, and VMRS APSR_nzcv copies them."""
    init = {"d": {1: ONE_D, 2: M_ONE_D, 3: QNAN_D}, "fpscr": 0}
    for a, b, nzcv in ((1, 2, 0b0010), (2, 1, 0b1000), (1, 1, 0b0110), (1, 3, 0b0011)):
        got = _vfp_case(f"vcmp.f64 d{a}, d{b}; vmrs APSR_nzcv, fpscr", init)
        assert got["fpscr"] >> 28 == nzcv
        assert got["cpsr"] >> 28 == nzcv


def test_regression_vmrs_sees_flags_raised_by_native_code():
    """Cumulative exception flags live in MXCSR while native code runs; VMRS folds them in."""
    got = _vfp_case("vdiv.f64 d10, d1, d2; vmrs r0, fpscr",
                    {"d": {1: ONE_D, 2: 0}, "fpscr": 0})
    assert got["r"][0] & 0x1F == 0x02            # DZC
    assert got["d"][10] == INF_D


def test_regression_vfp_rounding_mode_from_fpscr():
    """FPSCR.RMode: towards +inf (01) rounds 1/3 up, towards -inf (10) rounds -1/3 down (x86
    numbers those two modes the other way round); towards zero (11) is what nearest gives."""
    def third(num: int, rmode: int) -> int:
        init = {"d": {1: num, 2: 0x4008000000000000}, "fpscr": rmode << 22}
        return _vfp_case("vdiv.f64 d10, d1, d2", init)["d"][10]
    rn = third(ONE_D, 0)
    assert third(ONE_D, 1) == rn + 1
    assert third(ONE_D, 3) == rn
    assert third(M_ONE_D, 2) == (rn | 1 << 63) + 1
    assert third(M_ONE_D, 1) == rn | 1 << 63


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_regression_strex_fails_when_memory_changed_since_ldrex(thumb):
    """STREX always succeeded (one guest thread was assumed); with guest threads a store by
    another thread between LDREX and STREX must make STREX fail, as on Unicorn/qemu."""
    D = jit_diff.DATA
    init = {"r": {0: D, 3: 0x1234, 4: 0x5555, 6: D + 8}}
    # success, then a changed word (fails, memory keeps the intruder's value), then LDREXD/STREXD
    got = _vfp_case("ldrex r1, [r0]; strex r2, r4, [r0]; ldrex r1, [r0]; str r3, [r0]; "
                    "strex r5, r4, [r0]; ldrexd r10, r11, [r6]; strexd r9, r10, r11, [r6]", init,
                    thumb)
    assert got["r"][2] == 0 and got["r"][5] == 1 and got["r"][9] == 0


def test_regression_dead_fp_result_still_raises_its_flags():
    """A division whose result is overwritten before use is dead code for the value, but its
    Divide-by-Zero flag is guest-visible: the FP ops count as side effects."""
    got = _vfp_case("vdiv.f64 d10, d1, d2; vmov.f64 d10, d3",
                    {"d": {1: ONE_D, 2: 0, 3: M_ONE_D}, "fpscr": 0})
    assert got["d"][10] == M_ONE_D
    assert got["fpscr"] & 0x1F == 0x02


def test_regression_host_mxcsr_restored_after_native_fp():
    """Native code runs with the guest's rounding mode in MXCSR; Python must get its own back
    (round to nearest) when the guest leaves, or the host's float arithmetic goes wrong."""
    init = {"d": {1: ONE_D, 2: 0x4008000000000000}, "fpscr": 1 << 22}     # towards +inf
    got = _vfp_case("vdiv.f64 d10, d1, d2", init)
    assert got["d"][10] == 0x3FD5555555555556
    one, three = float(len("x")), float(len("xyz"))       # 1.0, 3.0 (not constant-folded)
    assert one / three == float.fromhex("0x1.5555555555555p-2")


@pytest.mark.parametrize("rmode", [0, 1, 2, 3], ids=["rn", "rp", "rm", "rz"])
def test_regression_vcvtr_rounds_by_fpscr_and_flags_only_invalid_out_of_range(rmode):
    """VCVTR near the integer bounds: whether the *rounded* value fits decides; out of range
    raises IOC alone (x86's conversion would add Inexact)."""
    import struct
    vals = [2147483647.3, -2147483648.6, -0.7, -0.3, 4294967295.4, 2.5]
    d = {k + 1: struct.unpack("<Q", struct.pack("<d", v))[0] for k, v in enumerate(vals)}
    for k, v in enumerate(vals):
        src = f"vcvtr.s32.f64 s20, d{k + 1}; vcvtr.u32.f64 s21, d{k + 1}"
        got = _vfp_case(src, {"d": d, "fpscr": rmode << 22})
        flags = got["fpscr"] & 0x1F                 # (values checked against Unicorn)
        assert flags in (0x01, 0x10, 0x11), (v, hex(flags))
    got = _vfp_case("vcvtr.s32.f64 s20, d1", {"d": d, "fpscr": 1 << 22})      # +inf: 2**31
    assert got["d"][10] & 0xFFFFFFFF == 0x7FFFFFFF and got["fpscr"] & 0x1F == 0x01
    got = _vfp_case("vcvtr.s32.f64 s20, d1", {"d": d, "fpscr": 0})            # nearest
    assert got["d"][10] & 0xFFFFFFFF == 0x7FFFFFFF and got["fpscr"] & 0x1F == 0x10
    got = _vfp_case("vcvtr.u32.f64 s20, d3", {"d": d, "fpscr": 0})            # -0.7 -> -1
    assert got["d"][10] & 0xFFFFFFFF == 0 and got["fpscr"] & 0x1F == 0x01
    got = _vfp_case("vcvtr.u32.f64 s20, d4", {"d": d, "fpscr": 0})            # -0.3 -> 0
    assert got["d"][10] & 0xFFFFFFFF == 0 and got["fpscr"] & 0x1F == 0x10
