"""The JIT's CPU state: CPSR packing and the hand-over to and from Unicorn."""
from __future__ import annotations

import random

from unicorn import UC_ARCH_ARM, UC_MODE_ARM, Uc
from unicorn import arm_const as a32

from translator.jit.state import OFFSETS, ArmState, from_unicorn, pack_cpsr, to_unicorn, unpack_cpsr


def test_offsets_are_stable():
    # Native code addresses these fields directly: moving one is an ABI change.
    assert OFFSETS["r"] == 0 and OFFSETS["n"] == 64 and OFFSETS["pending"] == 71
    assert OFFSETS["guest_base"] % 8 == 0 and OFFSETS["d"] % 8 == 0


def test_cpsr_roundtrip():
    rnd = random.Random(1)
    for _ in range(500):
        s = ArmState()
        cpsr = rnd.getrandbits(32) & 0xFE0FFC20 | 0x10     # defined user-visible bits
        unpack_cpsr(s, cpsr)
        assert pack_cpsr(s) == cpsr


def test_unicorn_handover_roundtrip():
    uc = Uc(UC_ARCH_ARM, UC_MODE_ARM)
    uc.reg_write(a32.UC_ARM_REG_C1_C0_2, 0xF << 20)
    uc.reg_write(a32.UC_ARM_REG_FPEXC, 1 << 30)
    rnd = random.Random(2)
    s = ArmState()
    for i in range(15):
        s.r[i] = rnd.getrandbits(32)
    s.r[15] = 0x10000
    for i in range(32):
        s.d[i] = rnd.getrandbits(64)
    s.n, s.z, s.c, s.v, s.q, s.ge = 1, 0, 1, 1, 1, 0b1010
    s.fpscr = 0x03000000
    s.tpidruro = 0xdeadbeef
    to_unicorn(s, uc)
    assert uc.reg_read(a32.UC_ARM_REG_CPSR) & 0xF80F0000 == 0xB80A0000
    t = ArmState()
    from_unicorn(t, uc)
    assert list(t.r) == list(s.r) and list(t.d) == list(s.d)
    assert (t.n, t.z, t.c, t.v, t.q, t.ge) == (1, 0, 1, 1, 1, 0b1010)
    assert t.fpscr == s.fpscr and t.tpidruro == s.tpidruro


def test_fast_bridge_equals_slow_handover():
    from translator.jit.state import UnicornBridge
    uc = Uc(UC_ARCH_ARM, UC_MODE_ARM)
    uc.reg_write(a32.UC_ARM_REG_C1_C0_2, 0xF << 20)
    uc.reg_write(a32.UC_ARM_REG_FPEXC, 1 << 30)
    rnd = random.Random(3)
    s = ArmState()
    for i in range(16):
        s.r[i] = rnd.getrandbits(32) & ~1
    for i in range(32):
        s.d[i] = rnd.getrandbits(64)
    s.n, s.c, s.ge, s.fpscr, s.tpidruro = 1, 1, 5, 0x03C00000, 0x1234   # (T: set by emu_start)
    br = UnicornBridge(uc)
    br.load(s)
    slow = ArmState()
    from_unicorn(slow, uc)
    fast = ArmState()
    br.store(fast)
    assert bytes(fast) == bytes(slow)
    assert list(fast.r) == list(s.r) and list(fast.d) == list(s.d)
    assert (fast.n, fast.c, fast.ge, fast.fpscr, fast.tpidruro) == (1, 1, 5, 0x03C00000, 0x1234)
