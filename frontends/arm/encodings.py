"""Declarative ARMv7-A/R (plus common ARMv8-A AArch32) encoding tables.

Pure data, written from the encoding diagrams of the ARM Architecture Reference Manual
(DDI 0406): one row per encoding, ``(name, label, pattern, form[, consts])``.

* ``name``: the instruction, named as in the manual (``ADD_imm``, ``LDR_lit``, ``VADD_f64``...).
  ``UNDEFINED`` rows reserve encoding space so that later, broader rows do not claim it.
* ``label``: the manual's encoding label (``A1``, ``T3``...).
* ``pattern``: 32 (A32/T32) or 16 (T16) bits, most significant first. ``0``/``1`` are fixed bits,
  ``(0)``/``(1)`` are should-be bits (the encoding still matches; a mismatch marks the decoded
  instruction UNPREDICTABLE), ``x`` is don't-care, and a letter names a field; bits of one
  letter are concatenated in pattern order (so ``i`` in ``1111 0i.. | 0iii .... iiii iiii`` is the
  manual's ``i:imm3:imm8``). Spaces and ``|`` (the T32 halfword split) are ignored.
  Letter conventions: ``c`` cond, ``n d m s t a`` registers Rn Rd Rm Rs Rt Ra, ``T`` Rt2,
  ``h``/``l`` RdHi/RdLo, ``i``/``j`` immediates, ``y`` shift type, ``r`` register list,
  ``S P U W B L E`` single-bit flags, ``D N M`` VFP register top/bottom bits, ``z`` sz.
* ``form``: which decode routine (in ``decoder.py``) turns fields into the manual's
  encoding-specific variables; ``consts`` optionally supplies field values the pattern fixes.

Rows are in priority order: the first matching row wins. Exceptions the manual writes as
"SEE other encoding" (ADR before ADD, MOV before ORR in T32, the cond=1111 space before
conditional rows...) are therefore listed before the general row. A decode routine may also
decline (non-bit conditions such as ``BitCount(registers) < 2`` for PUSH/POP), which lets the
next matching row take the word.
"""
from __future__ import annotations

Row = tuple

# ---------------------------------------------------------------------------------------
# A32 data-processing opcodes: (name stem, opcode bits 24:21, kind)
#   kind 'arith' / 'logic' (has Rd, Rn, S), 'test' (no Rd, S=1), 'move' (no Rn)
DP_OPS = [
    ("AND", "0000", "logic"), ("EOR", "0001", "logic"), ("SUB", "0010", "arith"),
    ("RSB", "0011", "arith"), ("ADD", "0100", "arith"), ("ADC", "0101", "arith"),
    ("SBC", "0110", "arith"), ("RSC", "0111", "arith"), ("TST", "1000", "testl"),
    ("TEQ", "1001", "testl"), ("CMP", "1010", "test"), ("CMN", "1011", "test"),
    ("ORR", "1100", "logic"), ("MOV", "1101", "move"), ("BIC", "1110", "logic"),
    ("MVN", "1111", "move"),
]

# Parallel add/subtract: prefixes by A32 op1 (bits 22:20) and operations by op2 (bits 7:5).
PAR_PREFIX_A32 = {"001": "S", "010": "Q", "011": "SH", "101": "U", "110": "UQ", "111": "UH"}
PAR_OP_A32 = {"000": "ADD16", "001": "ASX", "010": "SAX", "011": "SUB16", "100": "ADD8",
              "111": "SUB8"}
# T32: operation in hw1 bits 6:4, prefix in hw2 bits 6:4.
PAR_OP_T32 = {"001": "ADD16", "010": "ASX", "110": "SAX", "101": "SUB16", "000": "ADD8",
              "100": "SUB8"}
PAR_PREFIX_T32 = {"000": "S", "001": "Q", "010": "SH", "100": "U", "101": "UQ", "110": "UH"}

HINTS = [("NOP", "0000 0000"), ("YIELD", "0000 0001"), ("WFE", "0000 0010"),
         ("WFI", "0000 0011"), ("SEV", "0000 0100"), ("SEVL", "0000 0101"),
         ("ESB", "0001 0000"), ("CSDB", "0001 0100")]


def _a32_dp() -> list[Row]:
    rows: list[Row] = []
    for stem, op, kind in DP_OPS:
        o4 = op
        if kind in ("test", "testl"):
            rows.append((f"{stem}_imm", "A1", f"cccc 001{o4} 1 nnnn (0)(0)(0)(0) iiii iiii iiii",
                         "dp_imm_a" if kind == "test" else "dp_imml_a"))
            rows.append((f"{stem}_reg", "A1",
                         f"cccc 000{o4} 1 nnnn (0)(0)(0)(0) iiii iyy0 mmmm", "dp_reg"))
            rows.append((f"{stem}_rsr", "A1",
                         f"cccc 000{o4} 1 nnnn (0)(0)(0)(0) ssss 0yy1 mmmm", "dp_rsr"))
            continue
        if kind == "move":
            form = "dp_imml_a"
            rows.append((f"{stem}_imm", "A1", f"cccc 001{o4} S (0)(0)(0)(0) dddd iiii iiii iiii",
                         form))
            if stem == "MOV":
                sh = "cccc 0001 101S (0)(0)(0)(0) dddd"
                rows += [
                    ("MOV_reg", "A1", f"{sh} 0000 0000 mmmm", "dp_reg", {"y": 0, "i": 0}),
                    ("RRX", "A1", f"{sh} 0000 0110 mmmm", "dp_reg", {"y": 3, "i": 0}),
                    ("LSL_imm", "A1", f"{sh} iiii i000 mmmm", "dp_reg", {"y": 0}),
                    ("LSR_imm", "A1", f"{sh} iiii i010 mmmm", "dp_reg", {"y": 1}),
                    ("ASR_imm", "A1", f"{sh} iiii i100 mmmm", "dp_reg", {"y": 2}),
                    ("ROR_imm", "A1", f"{sh} iiii i110 mmmm", "dp_reg", {"y": 3}),
                    # MOV (register-shifted register) is written as the shift instructions;
                    # the manual names the value register n (bits 3:0), the amount m (11:8).
                    ("LSL_reg", "A1", f"{sh} mmmm 0001 nnnn", "shift_reg", {"y": 0}),
                    ("LSR_reg", "A1", f"{sh} mmmm 0011 nnnn", "shift_reg", {"y": 1}),
                    ("ASR_reg", "A1", f"{sh} mmmm 0101 nnnn", "shift_reg", {"y": 2}),
                    ("ROR_reg", "A1", f"{sh} mmmm 0111 nnnn", "shift_reg", {"y": 3}),
                ]
            else:
                rows.append(("MVN_reg", "A1",
                             "cccc 0001 111S (0)(0)(0)(0) dddd iiii iyy0 mmmm", "dp_reg"))
                rows.append(("MVN_rsr", "A1",
                             "cccc 0001 111S (0)(0)(0)(0) dddd ssss 0yy1 mmmm", "dp_rsr"))
            continue
        if stem in ("ADD", "SUB"):
            # ADR (Rn = PC, S = 0) and the SP-relative forms are separate instructions.
            rows.append(("ADR", "A1" if stem == "ADD" else "A2",
                         f"cccc 001{o4} 0 1111 dddd iiii iiii iiii", "adr_a",
                         {"U": 1 if stem == "ADD" else 0}))
            rows.append((f"{stem}_sp_imm", "A1",
                         f"cccc 001{o4} S 1101 dddd iiii iiii iiii", "dp_imm_a", {"n": 13}))
            rows.append((f"{stem}_sp_reg", "A1",
                         f"cccc 000{o4} S 1101 dddd iiii iyy0 mmmm", "dp_reg", {"n": 13}))
        form = "dp_imml_a" if kind == "logic" else "dp_imm_a"
        rows.append((f"{stem}_imm", "A1", f"cccc 001{o4} S nnnn dddd iiii iiii iiii", form))
        rows.append((f"{stem}_reg", "A1", f"cccc 000{o4} S nnnn dddd iiii iyy0 mmmm", "dp_reg"))
        rows.append((f"{stem}_rsr", "A1", f"cccc 000{o4} S nnnn dddd ssss 0yy1 mmmm", "dp_rsr"))
    return rows


def _a32_parallel() -> list[Row]:
    rows = []
    for p1, pre in PAR_PREFIX_A32.items():
        for p2, op in PAR_OP_A32.items():
            rows.append((pre + op, "A1", f"cccc 0110 0{p1} nnnn dddd (1)(1)(1)(1) {p2}1 mmmm",
                         "rrr"))
    return rows


def _hints(prefix: str, label: str) -> list[Row]:
    rows = [(name, label, f"{prefix} {bits}", "none") for name, bits in HINTS]
    rows.append(("DBG", label, f"{prefix} 1111 iiii", "imm"))
    rows.append(("HINT", label, f"{prefix} iiii iiii", "imm"))
    return rows


# ---------------------------------------------------------------------------------------
# VFP (and the generic coprocessor space). Written for A32 with a ``cccc`` condition; the
# T32 encodings are the same 32 bits with cond = 1110 (hw1 = 1110 11xx ...), see _t32_cp().

VFP_SZ = [("f32", "0"), ("f64", "1")]


def _vfp_dp3() -> list[Row]:
    """Three-register VFP data processing: (name, opc1 bits 23,21:20 context, op bit 6)."""
    ops = [("VMLA", "0D00", "0"), ("VMLS", "0D00", "1"), ("VNMLS", "0D01", "0"),
           ("VNMLA", "0D01", "1"), ("VMUL", "0D10", "0"), ("VNMUL", "0D10", "1"),
           ("VADD", "0D11", "0"), ("VSUB", "0D11", "1"), ("VDIV", "1D00", "0"),
           ("VFNMS", "1D01", "0"), ("VFNMA", "1D01", "1"), ("VFMA", "1D10", "0"),
           ("VFMS", "1D10", "1")]
    rows = []
    for name, o, op in ops:
        for suf, z in VFP_SZ:
            rows.append((f"{name}_{suf}", "A2" if name in ("VMLA", "VMLS", "VMUL", "VADD", "VSUB",
                                                          "VNMLA", "VNMLS") else "A1",
                         f"cccc 1110 {o} nnnn dddd 101{z} N{op}M0 mmmm", "vfp3",
                         {"z": int(z)}))
    return rows


def _vfp_other() -> list[Row]:
    rows: list[Row] = []
    for suf, z in VFP_SZ:
        zc = {"z": int(z)}
        rows += [
            (f"VMOV_imm_{suf}", "A2", f"cccc 1110 1D11 iiii dddd 101{z} (0)0(0)0 iiii", "vmov_imm",
             zc),
            (f"VMOV_reg_{suf}", "A2", f"cccc 1110 1D11 0000 dddd 101{z} 01M0 mmmm", "vfp2", zc),
            (f"VABS_{suf}", "A2", f"cccc 1110 1D11 0000 dddd 101{z} 11M0 mmmm", "vfp2", zc),
            (f"VNEG_{suf}", "A2", f"cccc 1110 1D11 0001 dddd 101{z} 01M0 mmmm", "vfp2", zc),
            (f"VSQRT_{suf}", "A1", f"cccc 1110 1D11 0001 dddd 101{z} 11M0 mmmm", "vfp2", zc),
            (f"VCMP_{suf}", "A1", f"cccc 1110 1D11 0100 dddd 101{z} 01M0 mmmm", "vcmp", zc),
            (f"VCMPE_{suf}", "A1", f"cccc 1110 1D11 0100 dddd 101{z} 11M0 mmmm", "vcmp", zc),
            (f"VCMP_{suf}", "A2", f"cccc 1110 1D11 0101 dddd 101{z} 01(0)0 (0)(0)(0)(0)",
             "vcmp0", zc),
            (f"VCMPE_{suf}", "A2", f"cccc 1110 1D11 0101 dddd 101{z} 11(0)0 (0)(0)(0)(0)",
             "vcmp0", zc),
            (f"VRINTR_{suf}", "A1", f"cccc 1110 1D11 0110 dddd 101{z} 01M0 mmmm", "vfp2", zc),
            (f"VRINTZ_{suf}", "A1", f"cccc 1110 1D11 0110 dddd 101{z} 11M0 mmmm", "vfp2", zc),
            (f"VRINTX_{suf}", "A1", f"cccc 1110 1D11 0111 dddd 101{z} 01M0 mmmm", "vfp2", zc),
            # integer -> floating point (op = bit 7: 1 signed)
            (f"VCVT_{suf}_u32", "A1", f"cccc 1110 1D11 1000 dddd 101{z} 01M0 mmmm", "vcvt_fi",
             zc),
            (f"VCVT_{suf}_s32", "A1", f"cccc 1110 1D11 1000 dddd 101{z} 11M0 mmmm", "vcvt_fi",
             zc),
            # floating point -> integer: VCVT rounds towards zero, VCVTR uses FPSCR.RMode
            (f"VCVTR_u32_{suf}", "A1", f"cccc 1110 1D11 1100 dddd 101{z} 01M0 mmmm", "vcvt_fi",
             zc),
            (f"VCVT_u32_{suf}", "A1", f"cccc 1110 1D11 1100 dddd 101{z} 11M0 mmmm", "vcvt_fi",
             zc),
            (f"VCVTR_s32_{suf}", "A1", f"cccc 1110 1D11 1101 dddd 101{z} 01M0 mmmm", "vcvt_fi",
             zc),
            (f"VCVT_s32_{suf}", "A1", f"cccc 1110 1D11 1101 dddd 101{z} 11M0 mmmm", "vcvt_fi",
             zc),
            # floating point <-> fixed point (op bit 18: to fixed; U bit 16; sx bit 7)
            ("VCVT_fixed", "A1", f"cccc 1110 1D11 1o1U dddd 101{z} Q1j0 iiii", "vcvt_fx", zc),
        ]
    rows += [
        ("VCVT_f64_f32", "A1", "cccc 1110 1D11 0111 dddd 1010 11M0 mmmm", "vcvt_ds", {"z": 0}),
        ("VCVT_f32_f64", "A1", "cccc 1110 1D11 0111 dddd 1011 11M0 mmmm", "vcvt_ds", {"z": 1}),
        ("VCVTB", "A1", "cccc 1110 1D11 001o dddd 101z 01M0 mmmm", "vcvt_h"),
        ("VCVTT", "A1", "cccc 1110 1D11 001o dddd 101z 11M0 mmmm", "vcvt_h"),
    ]
    return rows


def _vfp_v8_uncond() -> list[Row]:
    """ARMv8 VFP instructions in the cond = 1111 space (same in T32)."""
    rows: list[Row] = []
    for suf, z in VFP_SZ:
        zc = {"z": int(z)}
        rows += [
            (f"VSEL_{suf}", "A1", f"1111 1110 0DCC nnnn dddd 101{z} N0M0 mmmm", "vsel", zc),
            (f"VMAXNM_{suf}", "A2", f"1111 1110 1D00 nnnn dddd 101{z} N0M0 mmmm", "vfp3", zc),
            (f"VMINNM_{suf}", "A2", f"1111 1110 1D00 nnnn dddd 101{z} N1M0 mmmm", "vfp3", zc),
        ]
        for rm, mode in (("00", "A"), ("01", "N"), ("10", "P"), ("11", "M")):
            rows.append((f"VRINT{mode}_{suf}", "A1",
                         f"1111 1110 1D11 10{rm} dddd 101{z} 01M0 mmmm", "vfp2", zc))
            rows.append((f"VCVT{mode}_u32_{suf}", "A1",
                         f"1111 1110 1D11 11{rm} dddd 101{z} 01M0 mmmm", "vcvt_fi", zc))
            rows.append((f"VCVT{mode}_s32_{suf}", "A1",
                         f"1111 1110 1D11 11{rm} dddd 101{z} 11M0 mmmm", "vcvt_fi", zc))
    return rows


def _vfp_transfers() -> list[Row]:
    return [
        # 8/16/32-bit transfers between core and extension registers
        ("VMOV_rs", "A1", "cccc 1110 000o nnnn tttt 1010 N(0)(0)1 (0)(0)(0)(0)", "vmov_rs"),
        ("VMSR", "A1", "cccc 1110 1110 rrrr tttt 1010 (0)(0)(0)1 (0)(0)(0)(0)", "vmrs"),
        ("VMRS", "A1", "cccc 1110 1111 rrrr tttt 1010 (0)(0)(0)1 (0)(0)(0)(0)", "vmrs"),
        ("VMOV_r2sc", "A1", "cccc 1110 0oo0 dddd tttt 1011 Doo1 (0)(0)(0)(0)", "vmov_r2sc"),
        ("NEON", "VDUP", "cccc 1110 1xx0 xxxx xxxx 1011 x0x1 xxxx", "neon"),
        ("VMOV_sc2r", "A1", "cccc 1110 Uoo1 nnnn tttt 1011 Noo1 (0)(0)(0)(0)", "vmov_sc2r"),
    ]


def _vfp_ldst() -> list[Row]:
    rows: list[Row] = [
        # 64-bit transfers between two core registers and extension registers (P=U=W=0, D=1)
        ("VMOV_rrss", "A1", "cccc 1100 010o TTTT tttt 1010 00M1 mmmm", "vmov_rr"),
        ("VMOV_rrd", "A1", "cccc 1100 010o TTTT tttt 1011 00M1 mmmm", "vmov_rr"),
        ("UNDEFINED", "", "cccc 1100 0x0x xxxx xxxx 101x xxxx xxxx", "undef"),
        ("UNDEFINED", "", "cccc 1100 0x1x xxxx xxxx 101x xxxx xxxx", "undef"),
        ("UNDEFINED", "", "cccc 1101 1x1x xxxx xxxx 101x xxxx xxxx", "undef"),
        ("VSTR", "A1", "cccc 1101 UD00 nnnn dddd 1011 iiii iiii", "vldr", {"z": 1}),
        ("VSTR", "A2", "cccc 1101 UD00 nnnn dddd 1010 iiii iiii", "vldr", {"z": 0}),
        ("VLDR", "A1", "cccc 1101 UD01 nnnn dddd 1011 iiii iiii", "vldr", {"z": 1}),
        ("VLDR", "A2", "cccc 1101 UD01 nnnn dddd 1010 iiii iiii", "vldr", {"z": 0}),
        # FSTMX/FLDMX: the double-precision form with an odd imm8 (deprecated); first, as
        # VPUSH/VPOP/VLDM/VSTM with an odd imm8 are these
        ("FSTMX", "A1", "cccc 110P UDW0 nnnn dddd 1011 iiii iiii", "fldmx", {"z": 1}),
        ("FLDMX", "A1", "cccc 110P UDW1 nnnn dddd 1011 iiii iiii", "fldmx", {"z": 1}),
        ("VPUSH", "A1", "cccc 1101 0D10 1101 dddd 1011 iiii iiii", "vldm",
         {"z": 1, "P": 1, "U": 0, "W": 1, "n": 13}),
        ("VPUSH", "A2", "cccc 1101 0D10 1101 dddd 1010 iiii iiii", "vldm",
         {"z": 0, "P": 1, "U": 0, "W": 1, "n": 13}),
        ("VPOP", "A1", "cccc 1100 1D11 1101 dddd 1011 iiii iiii", "vldm",
         {"z": 1, "P": 0, "U": 1, "W": 1, "n": 13}),
        ("VPOP", "A2", "cccc 1100 1D11 1101 dddd 1010 iiii iiii", "vldm",
         {"z": 0, "P": 0, "U": 1, "W": 1, "n": 13}),
    ]
    for name, L in (("VSTM", "0"), ("VLDM", "1")):
        rows += [
            (name, "A1", f"cccc 110P UDW{L} nnnn dddd 1011 iiii iiii", "vldm", {"z": 1}),
            (name, "A2", f"cccc 110P UDW{L} nnnn dddd 1010 iiii iiii", "vldm", {"z": 0}),
        ]
    return rows


def _coproc(prefix: str, label: str) -> list[Row]:
    """Generic coprocessor instructions (prefix 'cccc' for A1/T1, '1111' for A2/T2)."""
    reserved = [] if prefix != "1111" else [
        # cp10/cp11 are the VFP/SIMD space: no MCRR2/MRRC2/CDP2/MCR2/MRC2 there
        ("UNDEFINED", "", "1111 1100 010x xxxx xxxx 101x xxxx xxxx", "undef"),
        ("UNDEFINED", "", "1111 1110 xxxx xxxx xxxx 101x xxxx xxxx", "undef"),
    ]
    return reserved + [
        ("MCRR", label, f"{prefix} 1100 0100 TTTT tttt pppp oooo mmmm", "mcrr"),
        ("MRRC", label, f"{prefix} 1100 0101 TTTT tttt pppp oooo mmmm", "mcrr"),
        ("UNDEFINED", "", f"{prefix} 1100 000x xxxx xxxx xxxx xxxx xxxx", "undef"),
        ("STC", label, f"{prefix} 110P UDW0 nnnn dddd pppp iiii iiii", "ldc"),
        ("LDC_lit", label, f"{prefix} 110P UDW1 1111 dddd pppp iiii iiii", "ldc"),
        ("LDC_imm", label, f"{prefix} 110P UDW1 nnnn dddd pppp iiii iiii", "ldc"),
        ("CDP", label, f"{prefix} 1110 oooo nnnn dddd pppp eee0 mmmm", "cdp"),
        ("MCR", label, f"{prefix} 1110 ooo0 nnnn tttt pppp eee1 mmmm", "mcr"),
        ("MRC", label, f"{prefix} 1110 ooo1 nnnn tttt pppp eee1 mmmm", "mcr"),
    ]


def vfp_rows() -> list[Row]:
    """All cond-space VFP rows (A32 form, 'cccc' prefix), in priority order."""
    return _vfp_ldst() + _vfp_transfers() + _vfp_dp3() + _vfp_other() + [
        ("UNDEFINED", "", "cccc 1110 xxxx xxxx xxxx 101x xxx0 xxxx", "undef")]


# ---------------------------------------------------------------------------------------
A32: list[Row] = [
    # ---- unconditional space (cond = 1111) ----
    ("CPS", "A1", "1111 0001 0000 iiM0 (0)(0)(0)(0) (0)(0)(0)A IF0m mmmm", "cps"),
    ("SETEND", "A1", "1111 0001 0000 0001 (0)(0)(0)(0) (0)(0)E(0) 0000 (0)(0)(0)(0)", "setend"),
    ("NEON", "ASIMD", "1111 001x xxxx xxxx xxxx xxxx xxxx xxxx", "neon"),
    ("NEON", "ASIMD", "1111 0100 xxx0 xxxx xxxx xxxx xxxx xxxx", "neon"),
    ("PLI_lit", "A1", "1111 0100 U101 1111 (1)(1)(1)(1) iiii iiii iiii", "pl_imm"),
    ("PLI_imm", "A1", "1111 0100 U101 nnnn (1)(1)(1)(1) iiii iiii iiii", "pl_imm"),
    ("PLD_lit", "A1", "1111 0101 UR01 1111 (1)(1)(1)(1) iiii iiii iiii", "pl_imm"),
    ("PLD_imm", "A1", "1111 0101 UR01 nnnn (1)(1)(1)(1) iiii iiii iiii", "pl_imm"),
    ("CLREX", "A1", "1111 0101 0111 (1)(1)(1)(1) (1)(1)(1)(1) (0)(0)(0)(0) 0001 (1)(1)(1)(1)",
     "none"),
    ("DSB", "A1", "1111 0101 0111 (1)(1)(1)(1) (1)(1)(1)(1) (0)(0)(0)(0) 0100 oooo", "barrier"),
    ("DMB", "A1", "1111 0101 0111 (1)(1)(1)(1) (1)(1)(1)(1) (0)(0)(0)(0) 0101 oooo", "barrier"),
    ("ISB", "A1", "1111 0101 0111 (1)(1)(1)(1) (1)(1)(1)(1) (0)(0)(0)(0) 0110 oooo", "barrier"),
    ("SB", "A1", "1111 0101 0111 (1)(1)(1)(1) (1)(1)(1)(1) (0)(0)(0)(0) 0111 (0)(0)(0)(0)",
     "none"),
    ("PLI_reg", "A1", "1111 0110 U101 nnnn (1)(1)(1)(1) iiii iyy0 mmmm", "pl_reg"),
    ("PLD_reg", "A1", "1111 0111 UR01 nnnn (1)(1)(1)(1) iiii iyy0 mmmm", "pl_reg"),
    ("SRS", "A1", "1111 100P U1W0 (1)(1)(0)(1) (0)(0)(0)(0) (0)(1)(0)(1) (0)(0)(0)m mmmm", "srs"),
    ("RFE", "A1", "1111 100P U0W1 nnnn (0)(0)(0)(0) (1)(0)(1)(0) (0)(0)(0)(0) (0)(0)(0)(0)",
     "rfe"),
    ("BLX_imm", "A2", "1111 101H iiii iiii iiii iiii iiii iiii", "blx_imm_a"),
    *_vfp_v8_uncond(),
    *_coproc("1111", "A2"),
    ("UNDEFINED", "", "1111 xxxx xxxx xxxx xxxx xxxx xxxx xxxx", "undef"),

    # ---- data-processing and miscellaneous (op = 00) ----
    # multiply and multiply accumulate
    ("MUL", "A1", "cccc 0000 000S dddd (0)(0)(0)(0) mmmm 1001 nnnn", "mul"),
    ("MLA", "A1", "cccc 0000 001S dddd aaaa mmmm 1001 nnnn", "mul"),
    ("UMAAL", "A1", "cccc 0000 0100 hhhh llll mmmm 1001 nnnn", "mull"),
    ("MLS", "A1", "cccc 0000 0110 dddd aaaa mmmm 1001 nnnn", "mul"),
    ("UMULL", "A1", "cccc 0000 100S hhhh llll mmmm 1001 nnnn", "mull"),
    ("UMLAL", "A1", "cccc 0000 101S hhhh llll mmmm 1001 nnnn", "mull"),
    ("SMULL", "A1", "cccc 0000 110S hhhh llll mmmm 1001 nnnn", "mull"),
    ("SMLAL", "A1", "cccc 0000 111S hhhh llll mmmm 1001 nnnn", "mull"),
    ("UNDEFINED", "", "cccc 0000 01x1 xxxx xxxx xxxx 1001 xxxx", "undef"),
    # synchronization primitives
    ("SWP", "A1", "cccc 0001 0000 nnnn tttt (0)(0)(0)(0) 1001 TTTT", "swp"),
    ("SWPB", "A1", "cccc 0001 0100 nnnn tttt (0)(0)(0)(0) 1001 TTTT", "swp"),
    ("STL", "A1", "cccc 0001 1000 nnnn (1)(1)(1)(1) (1)(1)00 1001 tttt", "ldrex"),
    ("STLEX", "A1", "cccc 0001 1000 nnnn dddd (1)(1)10 1001 tttt", "strex"),
    ("STREX", "A1", "cccc 0001 1000 nnnn dddd (1)(1)11 1001 tttt", "strex"),
    ("LDA", "A1", "cccc 0001 1001 nnnn tttt (1)(1)00 1001 (1)(1)(1)(1)", "ldrex"),
    ("LDAEX", "A1", "cccc 0001 1001 nnnn tttt (1)(1)10 1001 (1)(1)(1)(1)", "ldrex"),
    ("LDREX", "A1", "cccc 0001 1001 nnnn tttt (1)(1)11 1001 (1)(1)(1)(1)", "ldrex"),
    ("STLEXD", "A1", "cccc 0001 1010 nnnn dddd (1)(1)10 1001 tttt", "strex"),
    ("STREXD", "A1", "cccc 0001 1010 nnnn dddd (1)(1)11 1001 tttt", "strex"),
    ("LDAEXD", "A1", "cccc 0001 1011 nnnn tttt (1)(1)10 1001 (1)(1)(1)(1)", "ldrex"),
    ("LDREXD", "A1", "cccc 0001 1011 nnnn tttt (1)(1)11 1001 (1)(1)(1)(1)", "ldrex"),
    ("STLB", "A1", "cccc 0001 1100 nnnn (1)(1)(1)(1) (1)(1)00 1001 tttt", "ldrex"),
    ("STLEXB", "A1", "cccc 0001 1100 nnnn dddd (1)(1)10 1001 tttt", "strex"),
    ("STREXB", "A1", "cccc 0001 1100 nnnn dddd (1)(1)11 1001 tttt", "strex"),
    ("LDAB", "A1", "cccc 0001 1101 nnnn tttt (1)(1)00 1001 (1)(1)(1)(1)", "ldrex"),
    ("LDAEXB", "A1", "cccc 0001 1101 nnnn tttt (1)(1)10 1001 (1)(1)(1)(1)", "ldrex"),
    ("LDREXB", "A1", "cccc 0001 1101 nnnn tttt (1)(1)11 1001 (1)(1)(1)(1)", "ldrex"),
    ("STLH", "A1", "cccc 0001 1110 nnnn (1)(1)(1)(1) (1)(1)00 1001 tttt", "ldrex"),
    ("STLEXH", "A1", "cccc 0001 1110 nnnn dddd (1)(1)10 1001 tttt", "strex"),
    ("STREXH", "A1", "cccc 0001 1110 nnnn dddd (1)(1)11 1001 tttt", "strex"),
    ("LDAH", "A1", "cccc 0001 1111 nnnn tttt (1)(1)00 1001 (1)(1)(1)(1)", "ldrex"),
    ("LDAEXH", "A1", "cccc 0001 1111 nnnn tttt (1)(1)10 1001 (1)(1)(1)(1)", "ldrex"),
    ("LDREXH", "A1", "cccc 0001 1111 nnnn tttt (1)(1)11 1001 (1)(1)(1)(1)", "ldrex"),
    ("UNDEFINED", "", "cccc 0001 xxxx xxxx xxxx xxxx 1001 xxxx", "undef"),
    # extra load/store (halfword, signed byte, doubleword); the unprivileged T forms first
    ("STRHT", "A1", "cccc 0000 U110 nnnn tttt iiii 1011 iiii", "ldst_t_a3"),
    ("STRHT", "A2", "cccc 0000 U010 nnnn tttt (0)(0)(0)(0) 1011 mmmm", "ldst_t_a3r"),
    ("LDRHT", "A1", "cccc 0000 U111 nnnn tttt iiii 1011 iiii", "ldst_t_a3"),
    ("LDRHT", "A2", "cccc 0000 U011 nnnn tttt (0)(0)(0)(0) 1011 mmmm", "ldst_t_a3r"),
    ("LDRSBT", "A1", "cccc 0000 U111 nnnn tttt iiii 1101 iiii", "ldst_t_a3"),
    ("LDRSBT", "A2", "cccc 0000 U011 nnnn tttt (0)(0)(0)(0) 1101 mmmm", "ldst_t_a3r"),
    ("LDRSHT", "A1", "cccc 0000 U111 nnnn tttt iiii 1111 iiii", "ldst_t_a3"),
    ("LDRSHT", "A2", "cccc 0000 U011 nnnn tttt (0)(0)(0)(0) 1111 mmmm", "ldst_t_a3r"),
    ("STRH_reg", "A1", "cccc 000P U0W0 nnnn tttt (0)(0)(0)(0) 1011 mmmm", "ldst_reg3"),
    ("STRH_imm", "A1", "cccc 000P U1W0 nnnn tttt iiii 1011 iiii", "ldst_imm3"),
    ("LDRH_reg", "A1", "cccc 000P U0W1 nnnn tttt (0)(0)(0)(0) 1011 mmmm", "ldst_reg3"),
    ("LDRH_lit", "A1", "cccc 000P U1W1 1111 tttt iiii 1011 iiii", "ldst_lit3"),
    ("LDRH_imm", "A1", "cccc 000P U1W1 nnnn tttt iiii 1011 iiii", "ldst_imm3"),
    ("LDRD_reg", "A1", "cccc 000P U0W0 nnnn tttt (0)(0)(0)(0) 1101 mmmm", "ldrd_reg"),
    ("LDRD_lit", "A1", "cccc 000P U1W0 1111 tttt iiii 1101 iiii", "ldrd_lit_a"),
    ("LDRD_imm", "A1", "cccc 000P U1W0 nnnn tttt iiii 1101 iiii", "ldrd_imm_a"),
    ("LDRSB_reg", "A1", "cccc 000P U0W1 nnnn tttt (0)(0)(0)(0) 1101 mmmm", "ldst_reg3"),
    ("LDRSB_lit", "A1", "cccc 000P U1W1 1111 tttt iiii 1101 iiii", "ldst_lit3"),
    ("LDRSB_imm", "A1", "cccc 000P U1W1 nnnn tttt iiii 1101 iiii", "ldst_imm3"),
    ("STRD_reg", "A1", "cccc 000P U0W0 nnnn tttt (0)(0)(0)(0) 1111 mmmm", "ldrd_reg"),
    ("STRD_imm", "A1", "cccc 000P U1W0 nnnn tttt iiii 1111 iiii", "ldrd_imm_a"),
    ("LDRSH_reg", "A1", "cccc 000P U0W1 nnnn tttt (0)(0)(0)(0) 1111 mmmm", "ldst_reg3"),
    ("LDRSH_lit", "A1", "cccc 000P U1W1 1111 tttt iiii 1111 iiii", "ldst_lit3"),
    ("LDRSH_imm", "A1", "cccc 000P U1W1 nnnn tttt iiii 1111 iiii", "ldst_imm3"),
    # miscellaneous (op = 0001 0xx0, bit 7 = 0)
    ("MRS_banked", "A1", "cccc 0001 0R00 mmmm dddd (0)(0)1M 0000 (0)(0)(0)(0)", "mrs_banked"),
    ("MRS", "A1", "cccc 0001 0R00 (1)(1)(1)(1) dddd (0)(0)0(0) 0000 (0)(0)(0)(0)", "mrs"),
    ("MSR_banked", "A1", "cccc 0001 0R10 mmmm (1)(1)(1)(1) (0)(0)1M 0000 nnnn", "msr_banked"),
    ("MSR_reg", "A1", "cccc 0001 0R10 kkkk (1)(1)(1)(1) (0)(0)0(0) 0000 nnnn", "msr_reg"),
    ("BX", "A1", "cccc 0001 0010 (1)(1)(1)(1) (1)(1)(1)(1) (1)(1)(1)(1) 0001 mmmm", "bx"),
    ("BXJ", "A1", "cccc 0001 0010 (1)(1)(1)(1) (1)(1)(1)(1) (1)(1)(1)(1) 0010 mmmm", "bx"),
    ("BLX_reg", "A1", "cccc 0001 0010 (1)(1)(1)(1) (1)(1)(1)(1) (1)(1)(1)(1) 0011 mmmm", "bx"),
    ("CLZ", "A1", "cccc 0001 0110 (1)(1)(1)(1) dddd (1)(1)(1)(1) 0001 mmmm", "rr"),
    ("CRC32", "A1", "cccc 0001 0zz0 nnnn dddd (0)(0)C(0) 0100 mmmm", "crc32"),
    ("QADD", "A1", "cccc 0001 0000 nnnn dddd (0)(0)(0)(0) 0101 mmmm", "rrr"),
    ("QSUB", "A1", "cccc 0001 0010 nnnn dddd (0)(0)(0)(0) 0101 mmmm", "rrr"),
    ("QDADD", "A1", "cccc 0001 0100 nnnn dddd (0)(0)(0)(0) 0101 mmmm", "rrr"),
    ("QDSUB", "A1", "cccc 0001 0110 nnnn dddd (0)(0)(0)(0) 0101 mmmm", "rrr"),
    ("ERET", "A1", "cccc 0001 0110 (0)(0)(0)(0) (0)(0)(0)(0) (0)(0)(0)(0) 0110 1110", "none"),
    ("HLT", "A1", "cccc 0001 0000 iiii iiii iiii 0111 iiii", "imm"),
    ("BKPT", "A1", "cccc 0001 0010 iiii iiii iiii 0111 iiii", "bkpt"),
    ("HVC", "A1", "cccc 0001 0100 iiii iiii iiii 0111 iiii", "imm"),
    ("SMC", "A1", "cccc 0001 0110 (0)(0)(0)(0) (0)(0)(0)(0) (0)(0)(0)(0) 0111 iiii", "imm"),
    # halfword multiply and multiply accumulate
    ("SMLAxy", "A1", "cccc 0001 0000 dddd aaaa mmmm 1MN0 nnnn", "smlaxy"),
    ("SMLAWy", "A1", "cccc 0001 0010 dddd aaaa mmmm 1M00 nnnn", "smlaxy"),
    ("SMULWy", "A1", "cccc 0001 0010 dddd (0)(0)(0)(0) mmmm 1M10 nnnn", "smlaxy"),
    ("SMLALxy", "A1", "cccc 0001 0100 hhhh llll mmmm 1MN0 nnnn", "smlalxy"),
    ("SMULxy", "A1", "cccc 0001 0110 dddd (0)(0)(0)(0) mmmm 1MN0 nnnn", "smlaxy"),
    ("UNDEFINED", "", "cccc 0001 0xx0 xxxx xxxx xxxx xxx0 xxxx", "undef"),
    ("UNDEFINED", "", "cccc 0001 0xx0 xxxx xxxx xxxx 0xx1 xxxx", "undef"),
    # MOVW/MOVT, MSR (immediate) and hints
    ("MOVW", "A2", "cccc 0011 0000 iiii dddd iiii iiii iiii", "movw"),
    ("MOVT", "A1", "cccc 0011 0100 iiii dddd iiii iiii iiii", "movw"),
    *_hints("cccc 0011 0010 0000 (1)(1)(1)(1) (0)(0)(0)(0)", "A1"),
    ("MSR_imm", "A1", "cccc 0011 0R10 kkkk (1)(1)(1)(1) iiii iiii iiii", "msr_imm"),
    ("UNDEFINED", "", "cccc 0011 0x00 xxxx xxxx xxxx xxxx xxxx", "undef"),
    # data processing (register, register-shifted register, immediate)
    *_a32_dp(),

    # ---- load/store word and unsigned byte (op = 01, not media) ----
    ("PUSH", "A2", "cccc 0101 0010 1101 tttt 0000 0000 0100", "push_pop_1"),
    ("POP", "A2", "cccc 0100 1001 1101 tttt 0000 0000 0100", "push_pop_1"),
    ("STRT", "A1", "cccc 0100 U010 nnnn tttt iiii iiii iiii", "ldst_t_a"),
    ("LDRT", "A1", "cccc 0100 U011 nnnn tttt iiii iiii iiii", "ldst_t_a"),
    ("STRBT", "A1", "cccc 0100 U110 nnnn tttt iiii iiii iiii", "ldst_t_a"),
    ("LDRBT", "A1", "cccc 0100 U111 nnnn tttt iiii iiii iiii", "ldst_t_a"),
    ("STRT", "A2", "cccc 0110 U010 nnnn tttt iiii iyy0 mmmm", "ldst_t_ar"),
    ("LDRT", "A2", "cccc 0110 U011 nnnn tttt iiii iyy0 mmmm", "ldst_t_ar"),
    ("STRBT", "A2", "cccc 0110 U110 nnnn tttt iiii iyy0 mmmm", "ldst_t_ar"),
    ("LDRBT", "A2", "cccc 0110 U111 nnnn tttt iiii iyy0 mmmm", "ldst_t_ar"),
    ("STR_imm", "A1", "cccc 010P U0W0 nnnn tttt iiii iiii iiii", "ldst_imm12"),
    ("LDR_lit", "A1", "cccc 010P U0W1 1111 tttt iiii iiii iiii", "ldst_lit12"),
    ("LDR_imm", "A1", "cccc 010P U0W1 nnnn tttt iiii iiii iiii", "ldst_imm12"),
    ("STRB_imm", "A1", "cccc 010P U1W0 nnnn tttt iiii iiii iiii", "ldst_imm12"),
    ("LDRB_lit", "A1", "cccc 010P U1W1 1111 tttt iiii iiii iiii", "ldst_lit12"),
    ("LDRB_imm", "A1", "cccc 010P U1W1 nnnn tttt iiii iiii iiii", "ldst_imm12"),
    ("STR_reg", "A1", "cccc 011P U0W0 nnnn tttt iiii iyy0 mmmm", "ldst_reg_a"),
    ("LDR_reg", "A1", "cccc 011P U0W1 nnnn tttt iiii iyy0 mmmm", "ldst_reg_a"),
    ("STRB_reg", "A1", "cccc 011P U1W0 nnnn tttt iiii iyy0 mmmm", "ldst_reg_a"),
    ("LDRB_reg", "A1", "cccc 011P U1W1 nnnn tttt iiii iyy0 mmmm", "ldst_reg_a"),

    # ---- media instructions (op = 011, bit 4 = 1) ----
    *_a32_parallel(),
    ("PKHBT", "A1", "cccc 0110 1000 nnnn dddd iiii i001 mmmm", "pkh", {"T": 0}),
    ("PKHTB", "A1", "cccc 0110 1000 nnnn dddd iiii i101 mmmm", "pkh", {"T": 1}),
    ("SXTB16", "A1", "cccc 0110 1000 1111 dddd RR(0)(0) 0111 mmmm", "xt"),
    ("SXTAB16", "A1", "cccc 0110 1000 nnnn dddd RR(0)(0) 0111 mmmm", "xt"),
    ("SEL", "A1", "cccc 0110 1000 nnnn dddd (1)(1)(1)(1) 1011 mmmm", "rrr"),
    ("SSAT16", "A1", "cccc 0110 1010 uuuu dddd (1)(1)(1)(1) 0011 nnnn", "sat16", {"s": 1}),
    ("SSAT", "A1", "cccc 0110 101u uuuu dddd iiii iy01 nnnn", "sat", {"s": 1}),
    ("SXTB", "A1", "cccc 0110 1010 1111 dddd RR(0)(0) 0111 mmmm", "xt"),
    ("SXTAB", "A1", "cccc 0110 1010 nnnn dddd RR(0)(0) 0111 mmmm", "xt"),
    ("REV", "A1", "cccc 0110 1011 (1)(1)(1)(1) dddd (1)(1)(1)(1) 0011 mmmm", "rr"),
    ("REV16", "A1", "cccc 0110 1011 (1)(1)(1)(1) dddd (1)(1)(1)(1) 1011 mmmm", "rr"),
    ("SXTH", "A1", "cccc 0110 1011 1111 dddd RR(0)(0) 0111 mmmm", "xt"),
    ("SXTAH", "A1", "cccc 0110 1011 nnnn dddd RR(0)(0) 0111 mmmm", "xt"),
    ("UXTB16", "A1", "cccc 0110 1100 1111 dddd RR(0)(0) 0111 mmmm", "xt"),
    ("UXTAB16", "A1", "cccc 0110 1100 nnnn dddd RR(0)(0) 0111 mmmm", "xt"),
    ("USAT16", "A1", "cccc 0110 1110 uuuu dddd (1)(1)(1)(1) 0011 nnnn", "sat16", {"s": 0}),
    ("USAT", "A1", "cccc 0110 111u uuuu dddd iiii iy01 nnnn", "sat", {"s": 0}),
    ("UXTB", "A1", "cccc 0110 1110 1111 dddd RR(0)(0) 0111 mmmm", "xt"),
    ("UXTAB", "A1", "cccc 0110 1110 nnnn dddd RR(0)(0) 0111 mmmm", "xt"),
    ("RBIT", "A1", "cccc 0110 1111 (1)(1)(1)(1) dddd (1)(1)(1)(1) 0011 mmmm", "rr"),
    ("REVSH", "A1", "cccc 0110 1111 (1)(1)(1)(1) dddd (1)(1)(1)(1) 1011 mmmm", "rr"),
    ("UXTH", "A1", "cccc 0110 1111 1111 dddd RR(0)(0) 0111 mmmm", "xt"),
    ("UXTAH", "A1", "cccc 0110 1111 nnnn dddd RR(0)(0) 0111 mmmm", "xt"),
    ("SMUAD", "A1", "cccc 0111 0000 dddd 1111 mmmm 00M1 nnnn", "smlad"),
    ("SMLAD", "A1", "cccc 0111 0000 dddd aaaa mmmm 00M1 nnnn", "smlad"),
    ("SMUSD", "A1", "cccc 0111 0000 dddd 1111 mmmm 01M1 nnnn", "smlad"),
    ("SMLSD", "A1", "cccc 0111 0000 dddd aaaa mmmm 01M1 nnnn", "smlad"),
    ("SDIV", "A1", "cccc 0111 0001 dddd (1)(1)(1)(1) mmmm 0001 nnnn", "div"),
    ("UDIV", "A1", "cccc 0111 0011 dddd (1)(1)(1)(1) mmmm 0001 nnnn", "div"),
    ("SMLALD", "A1", "cccc 0111 0100 hhhh llll mmmm 00M1 nnnn", "smlald"),
    ("SMLSLD", "A1", "cccc 0111 0100 hhhh llll mmmm 01M1 nnnn", "smlald"),
    ("SMMUL", "A1", "cccc 0111 0101 dddd 1111 mmmm 00R1 nnnn", "smmla"),
    ("SMMLA", "A1", "cccc 0111 0101 dddd aaaa mmmm 00R1 nnnn", "smmla"),
    ("SMMLS", "A1", "cccc 0111 0101 dddd aaaa mmmm 11R1 nnnn", "smmla"),
    ("USAD8", "A1", "cccc 0111 1000 dddd 1111 mmmm 0001 nnnn", "usad8"),
    ("USADA8", "A1", "cccc 0111 1000 dddd aaaa mmmm 0001 nnnn", "usad8"),
    ("SBFX", "A1", "cccc 0111 101w wwww dddd iiii i101 nnnn", "bfx"),
    ("BFC", "A1", "cccc 0111 110m mmmm dddd iiii i001 1111", "bfc"),
    ("BFI", "A1", "cccc 0111 110m mmmm dddd iiii i001 nnnn", "bfc"),
    ("UBFX", "A1", "cccc 0111 111w wwww dddd iiii i101 nnnn", "bfx"),
    ("UDF", "A1", "cccc 0111 1111 iiii iiii iiii 1111 iiii", "udf_a"),
    ("UNDEFINED", "", "cccc 011x xxxx xxxx xxxx xxxx xxx1 xxxx", "undef"),

    # ---- branch, branch with link, block data transfer (op = 10) ----
    ("STMDA", "A1", "cccc 1000 00W0 nnnn rrrr rrrr rrrr rrrr", "ldm"),
    ("LDMDA", "A1", "cccc 1000 00W1 nnnn rrrr rrrr rrrr rrrr", "ldm"),
    ("STM", "A1", "cccc 1000 10W0 nnnn rrrr rrrr rrrr rrrr", "ldm"),
    ("POP", "A1", "cccc 1000 1011 1101 rrrr rrrr rrrr rrrr", "push_pop"),
    ("LDM", "A1", "cccc 1000 10W1 nnnn rrrr rrrr rrrr rrrr", "ldm"),
    ("PUSH", "A1", "cccc 1001 0010 1101 rrrr rrrr rrrr rrrr", "push_pop"),
    ("STMDB", "A1", "cccc 1001 00W0 nnnn rrrr rrrr rrrr rrrr", "ldm"),
    ("LDMDB", "A1", "cccc 1001 00W1 nnnn rrrr rrrr rrrr rrrr", "ldm"),
    ("STMIB", "A1", "cccc 1001 10W0 nnnn rrrr rrrr rrrr rrrr", "ldm"),
    ("LDMIB", "A1", "cccc 1001 10W1 nnnn rrrr rrrr rrrr rrrr", "ldm"),
    ("STM_usr", "A1", "cccc 100P U1W0 nnnn rrrr rrrr rrrr rrrr", "ldm_sys"),
    ("LDM_usr", "A1", "cccc 100P U1W1 nnnn 0rrr rrrr rrrr rrrr", "ldm_sys"),
    ("LDM_eret", "A1", "cccc 100P U1W1 nnnn 1rrr rrrr rrrr rrrr", "ldm_sys"),
    ("B", "A1", "cccc 1010 iiii iiii iiii iiii iiii iiii", "b_a"),
    ("BL_imm", "A1", "cccc 1011 iiii iiii iiii iiii iiii iiii", "b_a"),

    # ---- coprocessor, VFP and supervisor call (op = 11) ----
    ("SVC", "A1", "cccc 1111 iiii iiii iiii iiii iiii iiii", "imm"),
    *vfp_rows(),
    ("UNDEFINED", "", "cccc 11xx xxxx xxxx xxxx 101x xxxx xxxx", "undef"),
    *_coproc("cccc", "A1"),
]


# ---------------------------------------------------------------------------------------
def _t32_dp_shifted() -> list[Row]:
    r = "(0)iii dddd iiyy mmmm"
    rt = "(0)iii 1111 iiyy mmmm"
    return [
        ("TST_reg", "T2", f"1110 1010 0001 nnnn | {rt}", "dp_reg"),
        ("AND_reg", "T2", f"1110 1010 000S nnnn | {r}", "dp_reg"),
        ("BIC_reg", "T2", f"1110 1010 001S nnnn | {r}", "dp_reg"),
        ("MOV_reg", "T3", "1110 1010 010S 1111 | (0)000 dddd 0000 mmmm", "dp_reg",
         {"y": 0, "i": 0}),
        ("RRX", "T1", "1110 1010 010S 1111 | (0)000 dddd 0011 mmmm", "dp_reg", {"y": 3, "i": 0}),
        ("LSL_imm", "T2", "1110 1010 010S 1111 | (0)iii dddd ii00 mmmm", "dp_reg", {"y": 0}),
        ("LSR_imm", "T2", "1110 1010 010S 1111 | (0)iii dddd ii01 mmmm", "dp_reg", {"y": 1}),
        ("ASR_imm", "T2", "1110 1010 010S 1111 | (0)iii dddd ii10 mmmm", "dp_reg", {"y": 2}),
        ("ROR_imm", "T1", "1110 1010 010S 1111 | (0)iii dddd ii11 mmmm", "dp_reg", {"y": 3}),
        ("ORR_reg", "T2", f"1110 1010 010S nnnn | {r}", "dp_reg"),
        ("MVN_reg", "T2", f"1110 1010 011S 1111 | {r}", "dp_reg"),
        ("ORN_reg", "T1", f"1110 1010 011S nnnn | {r}", "dp_reg"),
        ("TEQ_reg", "T1", f"1110 1010 1001 nnnn | {rt}", "dp_reg"),
        ("EOR_reg", "T2", f"1110 1010 100S nnnn | {r}", "dp_reg"),
        ("PKHBT", "T1", "1110 1010 1100 nnnn | (0)iii dddd ii00 mmmm", "pkh", {"T": 0}),
        ("PKHTB", "T1", "1110 1010 1100 nnnn | (0)iii dddd ii10 mmmm", "pkh", {"T": 1}),
        ("CMN_reg", "T2", f"1110 1011 0001 nnnn | {rt}", "dp_reg"),
        ("ADD_sp_reg", "T3", f"1110 1011 000S 1101 | {r}", "dp_reg", {"n": 13}),
        ("ADD_reg", "T3", f"1110 1011 000S nnnn | {r}", "dp_reg"),
        ("ADC_reg", "T2", f"1110 1011 010S nnnn | {r}", "dp_reg"),
        ("SBC_reg", "T2", f"1110 1011 011S nnnn | {r}", "dp_reg"),
        ("CMP_reg", "T3", f"1110 1011 1011 nnnn | {rt}", "dp_reg"),
        ("SUB_sp_reg", "T1", f"1110 1011 101S 1101 | {r}", "dp_reg", {"n": 13}),
        ("SUB_reg", "T2", f"1110 1011 101S nnnn | {r}", "dp_reg"),
        ("RSB_reg", "T1", f"1110 1011 110S nnnn | {r}", "dp_reg"),
        ("UNDEFINED", "", "1110 101x xxxx xxxx | xxxx xxxx xxxx xxxx", "undef"),
    ]


def _t32_dp_modimm() -> list[Row]:
    r = "0iii dddd iiii iiii"
    rt = "0iii 1111 iiii iiii"
    return [
        ("TST_imm", "T1", f"1111 0i00 0001 nnnn | {rt}", "dp_imml_t"),
        ("AND_imm", "T1", f"1111 0i00 000S nnnn | {r}", "dp_imml_t"),
        ("BIC_imm", "T1", f"1111 0i00 001S nnnn | {r}", "dp_imml_t"),
        ("MOV_imm", "T2", f"1111 0i00 010S 1111 | {r}", "dp_imml_t"),
        ("ORR_imm", "T1", f"1111 0i00 010S nnnn | {r}", "dp_imml_t"),
        ("MVN_imm", "T1", f"1111 0i00 011S 1111 | {r}", "dp_imml_t"),
        ("ORN_imm", "T1", f"1111 0i00 011S nnnn | {r}", "dp_imml_t"),
        ("TEQ_imm", "T1", f"1111 0i00 1001 nnnn | {rt}", "dp_imml_t"),
        ("EOR_imm", "T1", f"1111 0i00 100S nnnn | {r}", "dp_imml_t"),
        ("CMN_imm", "T1", f"1111 0i01 0001 nnnn | {rt}", "dp_imm_t"),
        ("ADD_sp_imm", "T3", f"1111 0i01 000S 1101 | {r}", "dp_imm_t", {"n": 13}),
        ("ADD_imm", "T3", f"1111 0i01 000S nnnn | {r}", "dp_imm_t"),
        ("ADC_imm", "T1", f"1111 0i01 010S nnnn | {r}", "dp_imm_t"),
        ("SBC_imm", "T1", f"1111 0i01 011S nnnn | {r}", "dp_imm_t"),
        ("CMP_imm", "T2", f"1111 0i01 1011 nnnn | {rt}", "dp_imm_t"),
        ("SUB_sp_imm", "T2", f"1111 0i01 101S 1101 | {r}", "dp_imm_t", {"n": 13}),
        ("SUB_imm", "T3", f"1111 0i01 101S nnnn | {r}", "dp_imm_t"),
        ("RSB_imm", "T2", f"1111 0i01 110S nnnn | {r}", "dp_imm_t"),
        ("UNDEFINED", "", "1111 0x0x xxxx xxxx | 0xxx xxxx xxxx xxxx", "undef"),
    ]


def _t32_dp_plainimm() -> list[Row]:
    r = "0iii dddd iiii iiii"
    return [
        ("ADR", "T3", f"1111 0i10 0000 1111 | {r}", "adr_t", {"U": 1}),
        ("ADD_sp_imm", "T4", f"1111 0i10 0000 1101 | {r}", "addw", {"n": 13}),
        ("ADD_imm", "T4", f"1111 0i10 0000 nnnn | {r}", "addw"),
        ("MOVW", "T3", f"1111 0i10 0100 jjjj | {r}", "movw_t"),
        ("ADR", "T2", f"1111 0i10 1010 1111 | {r}", "adr_t", {"U": 0}),
        ("SUB_sp_imm", "T3", f"1111 0i10 1010 1101 | {r}", "addw", {"n": 13}),
        ("SUB_imm", "T4", f"1111 0i10 1010 nnnn | {r}", "addw"),
        ("MOVT", "T1", f"1111 0i10 1100 jjjj | {r}", "movw_t"),
        ("SSAT16", "T1", "1111 0(0)11 0010 nnnn | 0000 dddd 00(0)(0) uuuu", "sat16", {"s": 1}),
        ("SSAT", "T1", "1111 0(0)11 00y0 nnnn | 0iii dddd ii(0)u uuuu", "sat_t", {"s": 1}),
        ("SBFX", "T1", "1111 0(0)11 0100 nnnn | 0iii dddd ii(0)w wwww", "bfx"),
        ("BFC", "T1", "1111 0(0)11 0110 1111 | 0iii dddd ii(0)m mmmm", "bfc"),
        ("BFI", "T1", "1111 0(0)11 0110 nnnn | 0iii dddd ii(0)m mmmm", "bfc"),
        ("USAT16", "T1", "1111 0(0)11 1010 nnnn | 0000 dddd 00(0)(0) uuuu", "sat16", {"s": 0}),
        ("USAT", "T1", "1111 0(0)11 10y0 nnnn | 0iii dddd ii(0)u uuuu", "sat_t", {"s": 0}),
        ("UBFX", "T1", "1111 0(0)11 1100 nnnn | 0iii dddd ii(0)w wwww", "bfx"),
        ("UNDEFINED", "", "1111 0x1x xxxx xxxx | 0xxx xxxx xxxx xxxx", "undef"),
    ]


def _t32_branch_misc() -> list[Row]:
    z8 = "(0)(0)(0)(0) (0)(0)(0)(0)"
    return [
        ("MSR_banked", "T1", "1111 0011 100R nnnn | 10(0)0 mmmm (0)(0)1M (0)(0)(0)(0)",
         "msr_banked"),
        ("MSR_reg", "T1", f"1111 0011 100R nnnn | 10(0)0 kkkk {z8}", "msr_reg"),
        *_hints("1111 0011 1010 (1)(1)(1)(1) | 10(0)0 (0)000", "T2"),
        ("CPS", "T2", "1111 0011 1010 (1)(1)(1)(1) | 10(0)0 0iiM AIFm mmmm", "cps"),
        ("CLREX", "T1", "1111 0011 1011 (1)(1)(1)(1) | 10(0)0 (1)(1)(1)(1) 0010 (1)(1)(1)(1)",
         "none"),
        ("DSB", "T1", "1111 0011 1011 (1)(1)(1)(1) | 10(0)0 (1)(1)(1)(1) 0100 oooo", "barrier"),
        ("DMB", "T1", "1111 0011 1011 (1)(1)(1)(1) | 10(0)0 (1)(1)(1)(1) 0101 oooo", "barrier"),
        ("ISB", "T1", "1111 0011 1011 (1)(1)(1)(1) | 10(0)0 (1)(1)(1)(1) 0110 oooo", "barrier"),
        ("SB", "T1", "1111 0011 1011 (1)(1)(1)(1) | 10(0)0 (1)(1)(1)(1) 0111 (0)(0)(0)(0)", "none"),
        ("BXJ", "T1", f"1111 0011 1100 mmmm | 10(0)0 (1)(1)(1)(1) {z8}", "bx"),
        ("ERET", "T1", "1111 0011 1101 (1)(1)(1)(0) | 10(0)0 (1)(1)(1)(1) 0000 0000", "none"),
        ("SUBS_PC_LR", "T1", "1111 0011 1101 (1)(1)(1)(0) | 10(0)0 (1)(1)(1)(1) iiii iiii", "imm"),
        ("MRS_banked", "T1", "1111 0011 111R mmmm | 10(0)0 dddd (0)(0)1M (0)(0)(0)(0)",
         "mrs_banked"),
        ("MRS", "T1", "1111 0011 111R (1)(1)(1)(1) | 10(0)0 dddd (0)(0)0(0) (0)(0)(0)(0)",
         "mrs"),
        ("HVC", "T1", "1111 0111 1110 iiii | 1000 iiii iiii iiii", "imm"),
        ("SMC", "T1", f"1111 0111 1111 iiii | 1000 (0)(0)(0)(0) {z8}", "imm"),
        ("UDF", "T2", "1111 0111 1111 iiii | 1010 iiii iiii iiii", "imm"),
        ("UNDEFINED", "", "1111 0x11 1xxx xxxx | 10x0 xxxx xxxx xxxx", "undef"),
        ("B", "T3", "1111 0Scc ccii iiii | 10J0 Jiii iiii iiii", "b_t3"),
        ("B", "T4", "1111 0Sii iiii iiii | 10J1 Jiii iiii iiii", "b_t4"),
        ("BLX_imm", "T2", "1111 0Sii iiii iiii | 11J0 Jiii iiii iiiH", "b_t4"),
        ("BL_imm", "T1", "1111 0Sii iiii iiii | 11J1 Jiii iiii iiii", "b_t4"),
    ]


def _t32_ldst_single() -> list[Row]:
    rows: list[Row] = []
    # stores: (name, size bits hw1[6:5])
    for name, sz in (("STRB", "00"), ("STRH", "01"), ("STR", "10")):
        if name == "STR":
            rows.append(("PUSH", "T3", "1111 1000 0100 1101 | tttt 1101 0000 0100", "push_pop_1"))
        rows += [
            (f"{name}_imm", "T2" if name != "STR" else "T3",
             f"1111 1000 1{sz}0 nnnn | tttt iiii iiii iiii", "ldst_imm12_t"),
            (f"{name}T", "T1", f"1111 1000 0{sz}0 nnnn | tttt 1110 iiii iiii", "ldst_t_t"),
            (f"{name}_imm", "T3" if name != "STR" else "T4",
             f"1111 1000 0{sz}0 nnnn | tttt 1PUW iiii iiii", "ldst_imm8_t"),
            (f"{name}_reg", "T2", f"1111 1000 0{sz}0 nnnn | tttt 0000 00ii mmmm", "ldst_reg_t"),
        ]
    rows.append(("UNDEFINED", "", "1111 1000 x110 xxxx | xxxx xxxx xxxx xxxx", "undef"))
    rows.append(("UNDEFINED", "", "1111 1000 0xx0 xxxx | xxxx 0xxx xxxx xxxx", "undef"))
    # memory hints (Rt = 1111 in the byte / halfword load spaces)
    rows += [
        ("PLD_lit", "T1", "1111 1000 U0(0)1 1111 | 1111 iiii iiii iiii", "pl_imm", {"R": 1}),
        ("PLD_imm", "T1", "1111 1000 10W1 nnnn | 1111 iiii iiii iiii", "pl_imm_t"),
        ("PLD_imm", "T2", "1111 1000 00W1 nnnn | 1111 1100 iiii iiii", "pl_imm_t", {"U": 0}),
        ("PLD_reg", "T1", "1111 1000 00W1 nnnn | 1111 0000 00ii mmmm", "pl_reg_t"),
        ("PLI_lit", "T3", "1111 1001 U001 1111 | 1111 iiii iiii iiii", "pl_imm"),
        ("PLI_imm", "T1", "1111 1001 1001 nnnn | 1111 iiii iiii iiii", "pl_imm", {"U": 1}),
        ("PLI_imm", "T2", "1111 1001 0001 nnnn | 1111 1100 iiii iiii", "pl_imm", {"U": 0}),
        ("PLI_reg", "T1", "1111 1001 0001 nnnn | 1111 0000 00ii mmmm", "pl_reg_t"),
        ("NOP", "hint", "1111 1001 x011 1111 | 1111 xxxx xxxx xxxx", "none"),
        ("NOP", "hint", "1111 1001 1011 xxxx | 1111 xxxx xxxx xxxx", "none"),
        ("NOP", "hint", "1111 1001 0011 xxxx | 1111 1100 xxxx xxxx", "none"),
        ("NOP", "hint", "1111 1001 0011 xxxx | 1111 0000 00xx xxxx", "none"),
    ]
    # loads: (name, S bit hw1[8], size hw1[6:5])
    for name, s, sz in (("LDRB", "0", "00"), ("LDRSB", "1", "00"), ("LDRH", "0", "01"),
                        ("LDRSH", "1", "01"), ("LDR", "0", "10")):
        if name == "LDR":
            rows.append(("POP", "T3", "1111 1000 0101 1101 | tttt 1011 0000 0100", "push_pop_1"))
        one = "T2" if name in ("LDR",) else "T1"
        rows += [
            (f"{name}_lit", one, f"1111 100{s} U{sz}1 1111 | tttt iiii iiii iiii", "ldst_lit12_t"),
            (f"{name}_imm", "T3" if name == "LDR" else one,
             f"1111 100{s} 1{sz}1 nnnn | tttt iiii iiii iiii", "ldst_imm12_t"),
            (f"{name}T", "T1", f"1111 100{s} 0{sz}1 nnnn | tttt 1110 iiii iiii", "ldst_t_t"),
            (f"{name}_imm", "T4" if name == "LDR" else "T2",
             f"1111 100{s} 0{sz}1 nnnn | tttt 1PUW iiii iiii", "ldst_imm8_t"),
            (f"{name}_reg", "T2" if name in ("LDR", "LDRB", "LDRH") else "T2",
             f"1111 100{s} 0{sz}1 nnnn | tttt 0000 00ii mmmm", "ldst_reg_t"),
        ]
    rows.append(("UNDEFINED", "", "1111 100x xxxx xxxx | xxxx xxxx xxxx xxxx", "undef"))
    return rows


def _t32_dp_reg() -> list[Row]:
    rows: list[Row] = [
        ("LSL_reg", "T2", "1111 1010 000S nnnn | 1111 dddd 0000 mmmm", "shift_reg", {"y": 0}),
        ("LSR_reg", "T2", "1111 1010 001S nnnn | 1111 dddd 0000 mmmm", "shift_reg", {"y": 1}),
        ("ASR_reg", "T2", "1111 1010 010S nnnn | 1111 dddd 0000 mmmm", "shift_reg", {"y": 2}),
        ("ROR_reg", "T2", "1111 1010 011S nnnn | 1111 dddd 0000 mmmm", "shift_reg", {"y": 3}),
    ]
    for op, short, acc in (("0000", "SXTH", "SXTAH"), ("0001", "UXTH", "UXTAH"),
                           ("0010", "SXTB16", "SXTAB16"), ("0011", "UXTB16", "UXTAB16"),
                           ("0100", "SXTB", "SXTAB"), ("0101", "UXTB", "UXTAB")):
        rows.append((short, "T2", f"1111 1010 {op} 1111 | 1111 dddd 1(0)RR mmmm", "xt"))
        rows.append((acc, "T1", f"1111 1010 {op} nnnn | 1111 dddd 1(0)RR mmmm", "xt"))
    for o1, op in PAR_OP_T32.items():
        for o2, pre in PAR_PREFIX_T32.items():
            rows.append((pre + op, "T1", f"1111 1010 1{o1} nnnn | 1111 dddd 0{o2} mmmm", "rrr"))
    rows += [
        ("QADD", "T1", "1111 1010 1000 nnnn | 1111 dddd 1000 mmmm", "rrr"),
        ("QDADD", "T1", "1111 1010 1000 nnnn | 1111 dddd 1001 mmmm", "rrr"),
        ("QSUB", "T1", "1111 1010 1000 nnnn | 1111 dddd 1010 mmmm", "rrr"),
        ("QDSUB", "T1", "1111 1010 1000 nnnn | 1111 dddd 1011 mmmm", "rrr"),
        ("REV", "T2", "1111 1010 1001 MMMM | 1111 dddd 1000 mmmm", "rr_t"),
        ("REV16", "T2", "1111 1010 1001 MMMM | 1111 dddd 1001 mmmm", "rr_t"),
        ("RBIT", "T1", "1111 1010 1001 MMMM | 1111 dddd 1010 mmmm", "rr_t"),
        ("REVSH", "T2", "1111 1010 1001 MMMM | 1111 dddd 1011 mmmm", "rr_t"),
        ("SEL", "T1", "1111 1010 1010 nnnn | 1111 dddd 1000 mmmm", "rrr"),
        ("CLZ", "T1", "1111 1010 1011 MMMM | 1111 dddd 1000 mmmm", "rr_t"),
        ("CRC32", "T1", "1111 1010 110C nnnn | 1111 dddd 10zz mmmm", "crc32"),
        ("UNDEFINED", "", "1111 1010 xxxx xxxx | xxxx xxxx xxxx xxxx", "undef"),
    ]
    return rows


def _t32_mul() -> list[Row]:
    return [
        ("MUL", "T2", "1111 1011 0000 nnnn | 1111 dddd 0000 mmmm", "mul"),
        ("MLA", "T1", "1111 1011 0000 nnnn | aaaa dddd 0000 mmmm", "mul"),
        ("MLS", "T1", "1111 1011 0000 nnnn | aaaa dddd 0001 mmmm", "mul"),
        ("SMULxy", "T1", "1111 1011 0001 nnnn | 1111 dddd 00NM mmmm", "smlaxy"),
        ("SMLAxy", "T1", "1111 1011 0001 nnnn | aaaa dddd 00NM mmmm", "smlaxy"),
        ("SMUAD", "T1", "1111 1011 0010 nnnn | 1111 dddd 000M mmmm", "smlad"),
        ("SMLAD", "T1", "1111 1011 0010 nnnn | aaaa dddd 000M mmmm", "smlad"),
        ("SMULWy", "T1", "1111 1011 0011 nnnn | 1111 dddd 000M mmmm", "smlaxy"),
        ("SMLAWy", "T1", "1111 1011 0011 nnnn | aaaa dddd 000M mmmm", "smlaxy"),
        ("SMUSD", "T1", "1111 1011 0100 nnnn | 1111 dddd 000M mmmm", "smlad"),
        ("SMLSD", "T1", "1111 1011 0100 nnnn | aaaa dddd 000M mmmm", "smlad"),
        ("SMMUL", "T1", "1111 1011 0101 nnnn | 1111 dddd 000R mmmm", "smmla"),
        ("SMMLA", "T1", "1111 1011 0101 nnnn | aaaa dddd 000R mmmm", "smmla"),
        ("SMMLS", "T1", "1111 1011 0110 nnnn | aaaa dddd 000R mmmm", "smmla"),
        ("USAD8", "T1", "1111 1011 0111 nnnn | 1111 dddd 0000 mmmm", "usad8"),
        ("USADA8", "T1", "1111 1011 0111 nnnn | aaaa dddd 0000 mmmm", "usad8"),
        ("SMULL", "T1", "1111 1011 1000 nnnn | llll hhhh 0000 mmmm", "mull"),
        ("SDIV", "T1", "1111 1011 1001 nnnn | (1)(1)(1)(1) dddd 1111 mmmm", "div"),
        ("UMULL", "T1", "1111 1011 1010 nnnn | llll hhhh 0000 mmmm", "mull"),
        ("UDIV", "T1", "1111 1011 1011 nnnn | (1)(1)(1)(1) dddd 1111 mmmm", "div"),
        ("SMLAL", "T1", "1111 1011 1100 nnnn | llll hhhh 0000 mmmm", "mull"),
        ("SMLALxy", "T1", "1111 1011 1100 nnnn | llll hhhh 10NM mmmm", "smlalxy"),
        ("SMLALD", "T1", "1111 1011 1100 nnnn | llll hhhh 110M mmmm", "smlald"),
        ("SMLSLD", "T1", "1111 1011 1101 nnnn | llll hhhh 110M mmmm", "smlald"),
        ("UMLAL", "T1", "1111 1011 1110 nnnn | llll hhhh 0000 mmmm", "mull"),
        ("UMAAL", "T1", "1111 1011 1110 nnnn | llll hhhh 0110 mmmm", "mull"),
        ("UNDEFINED", "", "1111 1011 xxxx xxxx | xxxx xxxx xxxx xxxx", "undef"),
    ]


def _t32_ldm_dual() -> list[Row]:
    ex = "(1)(1)(1)(1)"
    return [
        # register lists: the manual has P M (0) (loads) and (0) M (0) (stores) in bits 15:13;
        # all 16 bits are kept so that the UNPREDICTABLE combinations stay visible
        ("POP", "T2", "1110 1000 1011 1101 | rrrr rrrr rrrr rrrr", "push_pop_t"),
        ("STM", "T2", "1110 1000 10W0 nnnn | rrrr rrrr rrrr rrrr", "ldm_t"),
        ("LDM", "T2", "1110 1000 10W1 nnnn | rrrr rrrr rrrr rrrr", "ldm_t"),
        ("PUSH", "T2", "1110 1001 0010 1101 | rrrr rrrr rrrr rrrr", "push_pop_t"),
        ("STMDB", "T1", "1110 1001 00W0 nnnn | rrrr rrrr rrrr rrrr", "ldm_t"),
        ("LDMDB", "T1", "1110 1001 00W1 nnnn | rrrr rrrr rrrr rrrr", "ldm_t"),
        ("SRS", "T1", "1110 1000 00W0 (1)(1)(0)(1) | (1)(1)(0)(0) (0)(0)(0)(0) (0)(0)(0)m mmmm",
         "srs", {"P": 1, "U": 0}),
        ("SRS", "T2", "1110 1001 10W0 (1)(1)(0)(1) | (1)(1)(0)(0) (0)(0)(0)(0) (0)(0)(0)m mmmm",
         "srs", {"P": 0, "U": 1}),
        ("RFE", "T1", "1110 1000 00W1 nnnn | (1)(1)(0)(0) (0)(0)(0)(0) (0)(0)(0)(0) (0)(0)(0)(0)",
         "rfe", {"P": 1, "U": 0}),
        ("RFE", "T2", "1110 1001 10W1 nnnn | (1)(1)(0)(0) (0)(0)(0)(0) (0)(0)(0)(0) (0)(0)(0)(0)",
         "rfe", {"P": 0, "U": 1}),
        ("UNDEFINED", "", "1110 100x x0xx xxxx | xxxx xxxx xxxx xxxx", "undef"),
        # exclusives, acquire/release, table branch (P = 0, W = 0)
        ("STREX", "T1", "1110 1000 0100 nnnn | tttt dddd iiii iiii", "strex"),
        ("LDREX", "T1", "1110 1000 0101 nnnn | tttt (1)(1)(1)(1) iiii iiii", "ldrex"),
        ("STREXB", "T1", f"1110 1000 1100 nnnn | tttt {ex} 0100 dddd", "strex"),
        ("STREXH", "T1", f"1110 1000 1100 nnnn | tttt {ex} 0101 dddd", "strex"),
        ("STREXD", "T1", "1110 1000 1100 nnnn | tttt TTTT 0111 dddd", "strex"),
        ("STLB", "T1", f"1110 1000 1100 nnnn | tttt {ex} 1000 {ex}", "ldrex"),
        ("STLH", "T1", f"1110 1000 1100 nnnn | tttt {ex} 1001 {ex}", "ldrex"),
        ("STL", "T1", f"1110 1000 1100 nnnn | tttt {ex} 1010 {ex}", "ldrex"),
        ("STLEXB", "T1", f"1110 1000 1100 nnnn | tttt {ex} 1100 dddd", "strex"),
        ("STLEXH", "T1", f"1110 1000 1100 nnnn | tttt {ex} 1101 dddd", "strex"),
        ("STLEX", "T1", f"1110 1000 1100 nnnn | tttt {ex} 1110 dddd", "strex"),
        ("STLEXD", "T1", "1110 1000 1100 nnnn | tttt TTTT 1111 dddd", "strex"),
        ("TBB", "T1", f"1110 1000 1101 nnnn | {ex} (0)(0)(0)(0) 0000 mmmm", "tbb"),
        ("TBH", "T1", f"1110 1000 1101 nnnn | {ex} (0)(0)(0)(0) 0001 mmmm", "tbb"),
        ("LDREXB", "T1", f"1110 1000 1101 nnnn | tttt {ex} 0100 {ex}", "ldrex"),
        ("LDREXH", "T1", f"1110 1000 1101 nnnn | tttt {ex} 0101 {ex}", "ldrex"),
        ("LDREXD", "T1", f"1110 1000 1101 nnnn | tttt TTTT 0111 {ex}", "ldrex"),
        ("LDAB", "T1", f"1110 1000 1101 nnnn | tttt {ex} 1000 {ex}", "ldrex"),
        ("LDAH", "T1", f"1110 1000 1101 nnnn | tttt {ex} 1001 {ex}", "ldrex"),
        ("LDA", "T1", f"1110 1000 1101 nnnn | tttt {ex} 1010 {ex}", "ldrex"),
        ("LDAEXB", "T1", f"1110 1000 1101 nnnn | tttt {ex} 1100 {ex}", "ldrex"),
        ("LDAEXH", "T1", f"1110 1000 1101 nnnn | tttt {ex} 1101 {ex}", "ldrex"),
        ("LDAEX", "T1", f"1110 1000 1101 nnnn | tttt {ex} 1110 {ex}", "ldrex"),
        ("LDAEXD", "T1", f"1110 1000 1101 nnnn | tttt TTTT 1111 {ex}", "ldrex"),
        ("UNDEFINED", "", "1110 1000 x10x xxxx | xxxx xxxx xxxx xxxx", "undef"),
        ("STRD_imm", "T1", "1110 100P U1W0 nnnn | tttt TTTT iiii iiii", "ldrd_imm_t"),
        ("LDRD_lit", "T1", "1110 100P U1W1 1111 | tttt TTTT iiii iiii", "ldrd_lit_t"),
        ("LDRD_imm", "T1", "1110 100P U1W1 nnnn | tttt TTTT iiii iiii", "ldrd_imm_t"),
    ]


def _t32_cp() -> list[Row]:
    """T32 coprocessor, VFP and Advanced SIMD space: the A32 rows with cond = 1110."""
    rows: list[Row] = [
        ("NEON", "ASIMD", "111x 1111 xxxx xxxx | xxxx xxxx xxxx xxxx", "neon"),
        ("NEON", "ASIMD", "1111 1001 xxx0 xxxx | xxxx xxxx xxxx xxxx", "neon"),
    ]
    for row in _vfp_v8_uncond():
        rows.append((row[0], "T" + row[1][1:]) + row[2:])
    for row in vfp_rows() + [("UNDEFINED", "", "cccc 11xx xxxx xxxx xxxx 101x xxxx xxxx",
                               "undef")]:
        rows.append((row[0], "T" + row[1][1:] if row[1][:1] == "A" else row[1],
                     "1110" + row[2][4:]) + row[3:])
    for row in _coproc("1110", "T1") + _coproc("1111", "T2"):
        rows.append(row)
    return rows


T32: list[Row] = [
    *_t32_ldm_dual(),
    *_t32_dp_shifted(),
    *_t32_cp(),
    *_t32_dp_modimm(),
    *_t32_dp_plainimm(),
    *_t32_branch_misc(),
    *_t32_ldst_single(),
    *_t32_dp_reg(),
    *_t32_mul(),
    ("UNDEFINED", "", "xxxx xxxx xxxx xxxx | xxxx xxxx xxxx xxxx", "undef"),
]


# ---------------------------------------------------------------------------------------
def _t16_dp() -> list[Row]:
    ops = [("AND_reg", "0000", "dp16"), ("EOR_reg", "0001", "dp16"),
           ("LSL_reg", "0010", "shift16"), ("LSR_reg", "0011", "shift16"),
           ("ASR_reg", "0100", "shift16"), ("ADC_reg", "0101", "dp16"),
           ("SBC_reg", "0110", "dp16"), ("ROR_reg", "0111", "shift16"),
           ("TST_reg", "1000", "cmp16"), ("RSB_imm", "1001", "rsb16"),
           ("CMP_reg", "1010", "cmp16"), ("CMN_reg", "1011", "cmp16"),
           ("ORR_reg", "1100", "dp16"), ("MUL", "1101", "mul16"),
           ("BIC_reg", "1110", "dp16"), ("MVN_reg", "1111", "dp16")]
    return [(name, "T1" if name not in ("ROR_reg",) else "T1",
             f"0100 00{op} mmm ddd", form) for name, op, form in ops]


T16: list[Row] = [
    ("MOV_reg", "T2", "0000 0000 00mm mddd", "mov16_t2"),
    ("LSL_imm", "T1", "0000 0iii iimm mddd", "shimm16", {"y": 0}),
    ("LSR_imm", "T1", "0000 1iii iimm mddd", "shimm16", {"y": 1}),
    ("ASR_imm", "T1", "0001 0iii iimm mddd", "shimm16", {"y": 2}),
    ("ADD_reg", "T1", "0001 100m mmnn nddd", "addsub16"),
    ("SUB_reg", "T1", "0001 101m mmnn nddd", "addsub16"),
    ("ADD_imm", "T1", "0001 110i iinn nddd", "addsub16"),
    ("SUB_imm", "T1", "0001 111i iinn nddd", "addsub16"),
    ("MOV_imm", "T1", "0010 0ddd iiii iiii", "movimm16"),
    ("CMP_imm", "T1", "0010 1nnn iiii iiii", "cmpimm16"),
    ("ADD_imm", "T2", "0011 0ddd iiii iiii", "addsub16_t2"),
    ("SUB_imm", "T2", "0011 1ddd iiii iiii", "addsub16_t2"),
    *_t16_dp(),
    ("ADD_sp_reg", "T1", "0100 0100 D110 1ddd", "addsp16"),
    ("ADD_sp_reg", "T2", "0100 0100 1mmm m101", "addsp16", {"d": 13}),
    ("ADD_reg", "T2", "0100 0100 Dmmm mddd", "hireg16"),
    ("CMP_reg", "T2", "0100 0101 Nmmm mnnn", "hireg16"),
    ("MOV_reg", "T1", "0100 0110 Dmmm mddd", "hireg16"),
    ("BX", "T1", "0100 0111 0mmm m(0)(0)(0)", "bx"),
    ("BLX_reg", "T1", "0100 0111 1mmm m(0)(0)(0)", "bx"),
    ("LDR_lit", "T1", "0100 1ttt iiii iiii", "ldr_lit16"),
    ("STR_reg", "T1", "0101 000m mmnn nttt", "ldst_reg16"),
    ("STRH_reg", "T1", "0101 001m mmnn nttt", "ldst_reg16"),
    ("STRB_reg", "T1", "0101 010m mmnn nttt", "ldst_reg16"),
    ("LDRSB_reg", "T1", "0101 011m mmnn nttt", "ldst_reg16"),
    ("LDR_reg", "T1", "0101 100m mmnn nttt", "ldst_reg16"),
    ("LDRH_reg", "T1", "0101 101m mmnn nttt", "ldst_reg16"),
    ("LDRB_reg", "T1", "0101 110m mmnn nttt", "ldst_reg16"),
    ("LDRSH_reg", "T1", "0101 111m mmnn nttt", "ldst_reg16"),
    ("STR_imm", "T1", "0110 0iii iinn nttt", "ldst_imm16", {"z": 2}),
    ("LDR_imm", "T1", "0110 1iii iinn nttt", "ldst_imm16", {"z": 2}),
    ("STRB_imm", "T1", "0111 0iii iinn nttt", "ldst_imm16", {"z": 0}),
    ("LDRB_imm", "T1", "0111 1iii iinn nttt", "ldst_imm16", {"z": 0}),
    ("STRH_imm", "T1", "1000 0iii iinn nttt", "ldst_imm16", {"z": 1}),
    ("LDRH_imm", "T1", "1000 1iii iinn nttt", "ldst_imm16", {"z": 1}),
    ("STR_imm", "T2", "1001 0ttt iiii iiii", "ldst_imm16", {"z": 2, "n": 13}),
    ("LDR_imm", "T2", "1001 1ttt iiii iiii", "ldst_imm16", {"z": 2, "n": 13}),
    ("ADR", "T1", "1010 0ddd iiii iiii", "adr16"),
    ("ADD_sp_imm", "T1", "1010 1ddd iiii iiii", "addspimm16"),
    ("ADD_sp_imm", "T2", "1011 0000 0iii iiii", "addspimm16", {"d": 13}),
    ("SUB_sp_imm", "T1", "1011 0000 1iii iiii", "addspimm16", {"d": 13}),
    ("CBZ", "T1", "1011 00i1 iiii innn", "cbz"),
    ("CBNZ", "T1", "1011 10i1 iiii innn", "cbz"),
    ("SXTH", "T1", "1011 0010 00mm mddd", "xt16"),
    ("SXTB", "T1", "1011 0010 01mm mddd", "xt16"),
    ("UXTH", "T1", "1011 0010 10mm mddd", "xt16"),
    ("UXTB", "T1", "1011 0010 11mm mddd", "xt16"),
    ("PUSH", "T1", "1011 010M rrrr rrrr", "push16"),
    ("SETEND", "T1", "1011 0110 0101 E(0)(0)(0)", "setend"),
    ("CPS", "T1", "1011 0110 011m (0)AIF", "cps16"),
    ("REV", "T1", "1011 1010 00mm mddd", "rr"),
    ("REV16", "T1", "1011 1010 01mm mddd", "rr"),
    ("HLT", "T1", "1011 1010 10ii iiii", "imm"),
    ("REVSH", "T1", "1011 1010 11mm mddd", "rr"),
    ("POP", "T1", "1011 110P rrrr rrrr", "push16"),
    ("BKPT", "T1", "1011 1110 iiii iiii", "imm"),
    *[(name, "T1", f"1011 1111 {bits[5:]} 0000", "none")
      for name, bits in HINTS if bits.startswith("0000")],
    ("HINT", "T1", "1011 1111 iiii 0000", "imm"),
    ("IT", "T1", "1011 1111 ffff kkkk", "it"),
    ("STM", "T1", "1100 0nnn rrrr rrrr", "ldm16"),
    ("LDM", "T1", "1100 1nnn rrrr rrrr", "ldm16"),
    ("UDF", "T1", "1101 1110 iiii iiii", "imm"),
    ("SVC", "T1", "1101 1111 iiii iiii", "imm"),
    ("B", "T1", "1101 cccc iiii iiii", "b16_t1"),
    ("B", "T2", "1110 0iii iiii iiii", "b16_t2"),
    ("UNDEFINED", "", "xxxx xxxx xxxx xxxx", "undef"),
]
