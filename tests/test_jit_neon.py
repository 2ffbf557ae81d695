"""NEON instructions the JIT runs natively (frontends/arm/lift_neon.py), against Unicorn.

glibc's memcpy/memmove copy with VLD1/VST1; before they were lifted, every one went through the
interpreter (the `sort` benchmark spent 92% of its time there).
"""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

pytest.importorskip("keystone", reason="keystone-engine not installed (pip install keystone-engine)")

sys.path.insert(0, str(Path(__file__).resolve().parent))
import jit_diff  # noqa: E402

D = jit_diff.DATA

# every register count, writeback forms (none, "!", post-index by a register), alignment hints
VX1 = [
    "vld1.8 {d0}, [r0]", "vst1.8 {d1}, [r1]!", "vld1.16 {d2-d3}, [r0]!",
    "vst1.32 {d4-d6}, [r1], r4", "vld1.64 {d28-d31}, [r0], r5", "vld1.8 {d7}, [r6 :64]!",
    "vst1.8 {d8-d9}, [r3 :128]", "vst1.8 {d0-d3}, [r3 :256]!", "vld1.32 {d10-d13}, [r2 :128]",
    "vld1.8 {d14-d16}, [r6 :64]!", "vst1.16 {d17}, [r1]",
]


def _case(src: str, init: dict, thumb: bool) -> jit_diff.Case:
    from keystone import KS_ARCH_ARM, KS_MODE_ARM, KS_MODE_THUMB, Ks
    ks = Ks(KS_ARCH_ARM, KS_MODE_THUMB if thumb else KS_MODE_ARM)
    src += "; svc #0"
    return jit_diff.Case(0, thumb, src.split("; "), bytes(ks.asm(src, jit_diff.CODE)[0]), init)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_vld1_vst1_match_unicorn_natively(thumb):
    # r0/r1 unaligned; r2, r3 (steps of 32) and r6 (steps of 8) keep the alignment their
    # hints ask for (Unicorn does not check hints: the SIGBUS test below covers them);
    # r4/r5 post-index steps
    init = {"r": {0: D + 0x101, 1: D + 0x803, 2: D + 0x1000, 3: D + 0x2000, 4: 24,
                  5: -40 & 0xFFFFFFFF, 6: D + 0x3008}}
    for k in range(len(VX1)):
        src = "; ".join(VX1[k:] + VX1[:k])
        case = _case(src, init, thumb)
        err, stats = jit_diff.compare(case)
        assert err is None, f"{src}: {err}"
        assert stats["fallback_instructions"] == 0, (src, stats)
        assert stats["native_instructions"] == len(VX1) + 1


def _run_jit_end(case: jit_diff.Case):
    """Run a case on the JIT; the GuestExit (with signal, pc) and the JIT."""
    from frontends.arm import abi
    from translator.backends.jit_backend import JitBackend
    from translator.linux.fdtable import FdTable
    from translator.linux.kernel import Kernel
    from translator.memory import PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory
    mem = GuestMemory(abi.ADDRESS_SPACE)
    mem.map(jit_diff.CODE, 0x1000, PROT_READ | PROT_EXEC)
    mem.map(D, jit_diff.DATA_SIZE, PROT_READ | PROT_WRITE)
    mem.write(jit_diff.CODE, case.code, force=True)
    s, data = jit_diff._init(case.seed, case.thumb, case.init)
    mem.write(D, data)
    jit = JitBackend(abi, mem)
    jit_diff.ctypes_copy(jit.state, s)
    jit.state.guest_base = mem.base
    k = Kernel(abi, mem, FdTable(std=(-1, -1, -1)), log=io.StringIO())
    k.cpu = jit
    return jit.run(k), jit, mem


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_regression_vld1_alignment_hint_on_misaligned_address_is_sigbus(thumb):
    """`vld1.8 {d0}, [r0 :64]` with r0 not 8-byte aligned is an alignment fault: SIGBUS at
    that instruction with r0 (no writeback) and d0 unchanged, as on Linux/qemu."""
    init = {"r": {0: D + 0x104}, "d": {0: 0x1122334455667788}}
    case = _case("mov r1, #7; vld1.8 {d0}, [r0 :64]!; mov r1, #9", init, thumb)
    end, jit, mem = _run_jit_end(case)
    try:
        assert end.signal == 7                                       # SIGBUS
        insn1 = 4                                                    # mov is 4 bytes either way
        assert jit.state.r[15] == jit_diff.CODE + insn1
        assert jit.state.r[0] == D + 0x104 and jit.state.r[1] == 7
        assert jit.state.d[0] == 0x1122334455667788
        assert jit.stats()["fallback_instructions"] == 0
    finally:
        mem.close()


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_regression_vst1_to_readonly_page_faults_at_its_pc(thumb):
    """A VST1 whose second word is on a read-only page: SIGSEGV at the VST1, the base register
    not written back."""
    init = {"r": {0: jit_diff.CODE + 0x10}}
    case = _case("mov r1, #7; vst1.8 {d0-d1}, [r0]!; mov r1, #9", init, thumb)
    end, jit, mem = _run_jit_end(case)
    try:
        assert end.signal == 11
        assert jit.state.r[15] == jit_diff.CODE + 4
        assert jit.state.r[0] == jit_diff.CODE + 0x10 and jit.state.r[1] == 7
    finally:
        mem.close()
