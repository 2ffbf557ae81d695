"""Code generation details of the emitter (translator/jit/x86emit.py): the per-block register
allocator (IR values in host registers, spill slots when more are live than there are
registers) and the one-probe page-permission check (a "this page and the next" bit)."""
from __future__ import annotations

from translator.jit.ir import Block, Const, Link, LinkCond
from translator.jit.x86emit import ALLOC_REGS, IN_SLOT, NOWHERE, REMAT, Emitter
from translator.memory import PROT_NONE, PROT_READ, PROT_WRITE

import pytest

from test_jit_backend import _s, exit_block, make   # the same JIT-on-hand-built-blocks harness


def _wide_block() -> Block:
    """20 values all live until the end (more than there are registers), summed in reverse
    order so the spilled ones are read back last; plus one value nobody reads."""
    b = Block(0, False)
    vals = [b.emit("Add", b.emit("GetReg", attr=k % 8), Const(k)) for k in range(20)]
    b.emit("Load32", Const(0x10000), attr=(0, 0, None))     # result unused: kept for its fault
    acc = vals[-1]
    for v in reversed(vals[:-1]):
        acc = b.emit("Xor", b.emit("Mul", acc, Const(3)), v)
    b.emit("SetReg", acc, attr=0)
    b.terminal = Link(0x2000, False)
    b.guest_insns = 1
    return b


def test_allocator_spills_when_registers_run_out_and_skips_unread_values():
    b = _wide_block()
    loc = Emitter._allocate(b)
    regs = [h for h in loc if h >= 0]
    assert set(regs) <= set(ALLOC_REGS) and len(set(regs)) == len(ALLOC_REGS)
    assert IN_SLOT in loc
    load = next(i for i, op in enumerate(b.ops) if op.opcode == "Load32")
    assert loc[load] == NOWHERE


def test_allocator_spills_the_value_needed_furthest_away():
    """Eight values read only at the end of the block hold every register; a chain of short
    temporaries after them must not all go to spill slots (sha256's round blocks did: every
    rotate and xor went through memory): one long-lived value is spilled instead."""
    b = Block(0, False)
    longs = [b.emit("GetReg", attr=k) for k in range(8)]
    x = b.emit("GetReg", attr=8)
    temps = []
    for k in range(10):
        x = b.emit("Add", x, Const(k + 1))
        temps.append(x.index)
    for k, v in enumerate(longs):
        b.emit("SetReg", b.emit("Xor", v, x), attr=k)
    b.terminal = Link(0x2000, False)
    loc = Emitter._allocate(b)
    assert all(loc[t] >= 0 for t in temps)
    # (spilled as REMAT: a guest register nothing writes before its use stays where it is)
    assert sum(loc[v.index] in (IN_SLOT, REMAT) for v in longs) == 1


def _remat_block(clobber: bool, copied: bool = False):
    """r0-r7 read first, a chain of temporaries on r8 that needs every register, then
    r_k = (old r_k) ^ chain; with ``clobber``, every r_k is first overwritten with k (so a
    spilled old value cannot be read back from where it was read); with ``copied`` too, the
    old r0-r6 are first copied to r8-r14 (where they can be read back from)."""
    b = Block(0, False)
    longs = [b.emit("GetReg", attr=k) for k in range(8)]
    x = b.emit("GetReg", attr=8)
    for k in range(10):
        x = b.emit("Add", b.emit("Mul", x, Const(3)), Const(k + 1))
    if copied:
        for k in range(7):
            b.emit("SetReg", longs[k], attr=8 + k)
    if clobber:
        for k in range(8):
            b.emit("SetReg", Const(k), attr=k)
        b.emit("Load32", Const(0x10000), attr=(0, 0, None))   # a barrier: the sets stay
    order = list(enumerate(longs))
    for k, v in (order[::-1] if copied else order):  # (copied: r0's value is read last)
        b.emit("SetReg", b.emit("Xor", v, x), attr=k)
    b.terminal = Link(0x2000, False)
    b.guest_insns = 1
    return b


@pytest.mark.parametrize("clobber, copied", [(False, False), (True, False), (True, True)])
def test_regression_spilled_guest_register_read_back_only_while_unwritten(clobber, copied):
    """A spilled GetReg value is left in the guest state (REMAT, no spill code) only while
    a guest register holds it at each use (the one it was read from, or one it was copied
    to); otherwise it gets a spill slot. Either way the block computes the old values."""
    from translator.jit.passes import optimize
    b = optimize(_remat_block(clobber, copied), compact=False)
    loc = Emitter._allocate(b)
    spilled = [k for k in range(8) if loc[k] < 0]
    assert len(spilled) == 1
    remat = not clobber or (copied and spilled[0] < 7)
    assert loc[spilled[0]] == (REMAT if remat else IN_SLOT)
    regs = [0x01010101 * (k + 3) for k in range(9)]
    x = regs[8]
    for k in range(10):
        x = (x * 3 + k + 1) & 0xFFFFFFFF
    jit, k, mem = make({0x1000: lambda: _remat_block(clobber, copied), 0x2000: exit_block})
    try:
        jit.start(0x1000, 0x18000, {f"r{i}": v for i, v in enumerate(regs)})
        jit.run(k)
        assert list(jit.state.r[:7]) == [regs[i] ^ x for i in range(7)]
        if copied:
            assert list(jit.state.r[8:15]) == regs[:7]
    finally:
        mem.close()


def test_spilled_and_register_values_mixed_give_the_right_result():
    regs = [0x11111111 * (k + 1) & 0xFFFFFFFF for k in range(8)]
    vals = [(regs[k % 8] + k) & 0xFFFFFFFF for k in range(20)]
    acc = vals[-1]
    for v in reversed(vals[:-1]):
        acc = ((acc * 3) & 0xFFFFFFFF) ^ v

    jit, k, mem = make({0x1000: _wide_block, 0x2000: exit_block})
    try:
        jit.start(0x1000, 0x18000, {f"r{i}": v for i, v in enumerate(regs)})
        jit.run(k)
        assert jit.state.r[0] == acc
    finally:
        mem.close()


# ---- page checks: one probe of "this page and the next", exact check out of line -----------
def _run_access(op: str, addr: int, setup) -> tuple:
    """Run one access (``op`` Load32/Store32/Load16) at ``addr`` in a 0x10000-0x20000 mapping
    changed by ``setup(mem)``; (signal, fault address, r0)."""
    def block():
        b = Block(0, False)
        a = b.emit("GetReg", attr=1)
        if op.startswith("Load"):
            b.emit("SetReg", b.emit(op, a, attr=(0x1000, 0, None)), attr=0)
        else:
            b.emit(op, a, Const(0x55667788), attr=(0x1000, 0, None))
        b.terminal = Link(0x2000, False)
        b.guest_insns = 1
        return b

    jit, k, mem = make({0x1000: block, 0x2000: exit_block})
    try:
        mem.write(0x10000, bytes(range(256)) * 256)
        setup(mem)
        jit.start(0x1000, 0x18000, {"r1": addr, "r0": 0})
        end = jit.run(k)
        return end.signal, end.addr if end.signal else None, jit.state.r[0]
    finally:
        mem.close()


def _nothing(mem):
    pass


@pytest.mark.parametrize("op", ["Load32", "Store32", "Load16"])
def test_access_inside_the_last_page_of_a_mapping_does_not_fault(op):
    """The last page's "and the next" bit is clear (nothing is mapped after it): the cold
    path checks exactly and the access goes through."""
    sig, _, r0 = _run_access(op, 0x1fffc, _nothing)
    assert sig == 0
    if op == "Load32":
        assert r0 == 0xFFFEFDFC


@pytest.mark.parametrize("op", ["Load32", "Store32"])
def test_access_straddling_into_an_unmapped_page_faults(op):
    sig, addr, _ = _run_access(op, 0x1fffe, _nothing)
    assert sig == 11 and addr == 0x1fffe


@pytest.mark.parametrize("k", range(len(ALLOC_REGS)))
@pytest.mark.parametrize("addr,want", [(0x1fffc, 0x0D0C), (0x1fffe, 0x0F0E), (0x1ffff, None)])
def test_fault_stub_for_every_address_register(k, addr, want):
    """Each access has an out-of-line stub (exact two-page check, then the fault exit) from a
    template per address register: with the address in each allocatable register, an access
    in the last page goes through and one straddling out of the mapping faults with its
    address and its instruction's pc."""
    def block():
        b = Block(0, False)
        live = [b.emit("GetReg", attr=2 + j) for j in range(k)]     # hold ALLOC_REGS[:k]
        a = b.emit("GetReg", attr=1)
        b.emit("SetReg", b.emit("Load16", a, attr=(0x1234, 0, None)), attr=0)
        for j, v in enumerate(live):
            b.emit("SetReg", b.emit("Add", v, Const(1)), attr=2 + j)
        b.terminal = Link(0x2000, False)
        b.guest_insns = 1
        return b
    assert Emitter._allocate(block())[k] == ALLOC_REGS[k]
    jit, kern, mem = make({0x1000: block, 0x2000: exit_block})
    try:
        mem.write(0x1fff0, bytes(range(16)))
        jit.start(0x1000, 0x18000, {"r1": addr, "r0": 0})
        end = jit.run(kern)
        if want is None:
            assert end.signal == 11 and end.addr == addr and jit.state.r[15] == 0x1234
        else:
            assert end.signal == 0 and jit.state.r[0] == want
    finally:
        mem.close()


def test_pair_bit_follows_protection_changes_of_the_next_page():
    """mprotect of page P+1 must clear P's "and the next" bit: a write straddling into a page
    made read-only faults; made writable again, it goes through."""
    def ro(mem):
        mem.protect(0x11000, 0x1000, PROT_READ)
    sig, addr, _ = _run_access("Store32", 0x10ffe, ro)
    assert sig == 11 and addr == 0x10ffe

    def ro_then_rw(mem):
        mem.protect(0x11000, 0x1000, PROT_NONE)
        mem.protect(0x11000, 0x1000, PROT_READ | PROT_WRITE)
    sig, _, _ = _run_access("Store32", 0x10ffe, ro_then_rw)
    assert sig == 0

    def unmap_first(mem):
        mem.unmap(0x10000, 0x1000)
    sig, addr, _ = _run_access("Load32", 0x10ffe, unmap_first)
    assert sig == 11 and addr == 0x10ffe


# ---- conditions: every ARM condition on every NZCV, in each of its uses ----------------------
def _arm_cond_holds(cond: int, n: int, z: int, c: int, v: int) -> bool:
    base = [z, c, n, v, c and not z, n == v, not z and n == v][cond >> 1]
    return bool(base) != bool(cond & 1)


def _taken() -> Block:
    """Where a taken ExitIf / LinkCond of the condition tests goes: r2 = 1, then exit."""
    b = Block(0, False)
    b.emit("SetReg", Const(1), attr=2)
    b.terminal = Link(0x2000, False)
    b.guest_insns = 1
    return b


@pytest.mark.parametrize("cond", range(14))
def test_conditions_from_flag_bytes_match_the_architecture(cond):
    """Conditions are evaluated with one x86 compare of the flag bytes (HI as C > Z, GE as
    N == V, GT as (N ^ V) | Z == 0): CondHolds, SkipUnless and ExitIf agree with the ARM ARM's
    ConditionPassed for all 16 flag combinations."""
    for nzcv in range(16):
        n, z, c, v = (nzcv >> 3) & 1, (nzcv >> 2) & 1, (nzcv >> 1) & 1, nzcv & 1

        def block():
            b = Block(0, False)
            for f, x in zip("NZCV", (n, z, c, v)):
                b.emit("SetFlag", Const(x), attr=f)
            b.emit("SetReg", b.emit("CondHolds", attr=cond), attr=0)
            skip = b.new_label()
            b.emit("SkipUnless", attr=(cond, skip))
            b.emit("SetReg", Const(1), attr=1)
            b.emit("Label", attr=skip)
            b.emit("ExitIf", attr=(cond, Link(0x3000, False), 1))
            b.terminal = Link(0x2000, False)
            b.guest_insns = 1
            return b

        jit, k, mem = make({0x1000: block, 0x2000: exit_block, 0x3000: _taken})
        try:
            jit.start(0x1000, 0x18000, {"r0": 7, "r1": 0, "r2": 0})
            jit.run(k)
            want = int(_arm_cond_holds(cond, n, z, c, v))
            assert (jit.state.r[0], jit.state.r[1], jit.state.r[2]) == (want,) * 3, nzcv
        finally:
            mem.close()


_EDGES = (0, 1, 5, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


def _flags_after(producer: str, a: int, b: int, c_in: int, v_in: int) -> tuple[int, ...]:
    """ARM's NZCV after CMP a, b / ADDS a, b (carry in c_in: ADCS) / MOVS a."""
    if producer == "sub":
        r = (a - b) & 0xFFFFFFFF
        return r >> 31, int(r == 0), int(a >= b), ((a ^ b) & (a ^ r)) >> 31
    if producer == "add":
        total = a + b + c_in
        r = total & 0xFFFFFFFF
        return r >> 31, int(r == 0), total >> 32, (~(a ^ b) & (a ^ r)) >> 31 & 1
    return a >> 31, int(a == 0), c_in, v_in


@pytest.mark.parametrize("terminal", ["exit_if", "link_cond"])
@pytest.mark.parametrize("producer", ["sub", "add", "nz"])
@pytest.mark.parametrize("cond", range(14))
def test_conditions_fused_with_flag_setting_match_the_architecture(cond, producer, terminal):
    """Host-flag fusion: right after SubFlags (CMP), AddCFlags (ADDS/ADCS) or SetNZ (MOVS),
    with only moves and lea (Add, Sub of a constant) between, a condition the x86 flags
    express is one jcc / setcc on them (the others test the flag bytes). CondHolds,
    SkipUnless (twice, the second across the first one's label, then once more after a
    region whose sub changes the x86 flags), ExitIf and LinkCond agree with the ARM ARM's
    ConditionPassed, for edge values, and the guest flags are stored."""
    for a in _EDGES:
        for bv in _EDGES:
            c_in, v_in = (a ^ bv) & 1, (a >> 1 ^ bv) & 1
            n, z, c, v = _flags_after(producer, a, bv, c_in, v_in)

            def block():
                b = Block(0, False)
                x, y = b.emit("GetReg", attr=3), b.emit("GetReg", attr=4)
                b.emit("SetFlag", Const(c_in), attr="C")
                b.emit("SetFlag", Const(v_in), attr="V")
                if producer == "sub":
                    b.emit("SubFlags", x, y, attr="NZCV")
                elif producer == "add":
                    b.emit("SetReg", b.emit("AddCFlags", x, y, b.emit("GetFlag", attr="C"),
                                            attr="NZCV"), attr=6)
                else:
                    b.emit("SetNZ", x, attr="NZ")
                b.emit("SetReg", b.emit("Add", x, Const(0x80000000)), attr=8)
                b.emit("SetReg", b.emit("Sub", x, Const(3)), attr=9)
                b.emit("SetReg", b.emit("CondHolds", attr=cond), attr=0)
                b.emit("SetReg", b.emit("Add", x, y), attr=10)
                for reg in (1, 5, 11):
                    skip = b.new_label()
                    b.emit("SkipUnless", attr=(cond, skip))
                    b.emit("SetReg", Const(1), attr=reg)
                    if reg == 5:                # a sub: the x86 flags change on one path
                        b.emit("SetReg", b.emit("Sub", y, x), attr=12)
                    b.emit("Label", attr=skip)
                if terminal == "exit_if":
                    b.emit("ExitIf", attr=(cond, Link(0x3000, False), 1))
                    b.terminal = Link(0x2000, False)
                else:
                    b.terminal = LinkCond(cond, Link(0x3000, False), Link(0x2000, False))
                b.guest_insns = 1
                return b

            jit, k, mem = make({0x1000: block, 0x2000: exit_block, 0x3000: _taken})
            try:
                jit.start(0x1000, 0x18000, {"r0": 7, "r1": 0, "r2": 0, "r3": a, "r4": bv,
                                            "r5": 0, "r11": 0, "r12": 0})
                jit.run(k)
                s = jit.state
                want = int(_arm_cond_holds(cond, n, z, c, v))
                assert [s.r[0], s.r[1], s.r[5], s.r[11], s.r[2]] == [want] * 5, \
                    (hex(a), hex(bv))
                assert [s.r[8], s.r[9], s.r[10], s.r[12]] == [
                    (a + 0x80000000) & 0xFFFFFFFF, (a - 3) & 0xFFFFFFFF, (a + bv) & 0xFFFFFFFF,
                    (bv - a) & 0xFFFFFFFF if want else 0]
                assert (s.n, s.z, s.c, s.v) == (n, z, c, v)
            finally:
                mem.close()


# ---- one probe per instruction: LDM/STM/PUSH/POP words share their first word's check ------
def _run_code(src: str, regs: dict, thumb: bool = False, data_prot: int = PROT_READ | PROT_WRITE):
    """Assemble ``src`` (ending in exit_group), run it on the JIT with the ARM front end, code
    at 0x10000 and one data page at 0x20000 (0x1f000 and 0x21000 unmapped, the page filled
    with its offsets as words, then given ``data_prot``); (exit, registers, data page,
    stats + the final "nzcv" and "itstate")."""
    from keystone import KS_ARCH_ARM, KS_MODE_ARM, KS_MODE_THUMB, Ks

    from frontends.arm import abi
    from translator.backends.jit_backend import JitBackend
    from translator.linux.fdtable import FdTable
    from translator.linux.kernel import Kernel
    from translator.memory import PROT_EXEC, GuestMemory
    import io
    ks = Ks(KS_ARCH_ARM, KS_MODE_THUMB if thumb else KS_MODE_ARM)
    code = bytes(ks.asm(src + f"; mov r7, #{abi.SYSCALLS['exit_group']}; svc #0", 0x10000)[0])
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        mem.map(0x10000, 0x1000, PROT_READ | PROT_EXEC)
        mem.write(0x10000, code, force=True)
        mem.map(0x20000, 0x1000, PROT_READ | PROT_WRITE)
        mem.write(0x20000, b"".join((0x20000 + 4 * k).to_bytes(4, "little")
                                    for k in range(1024)))
        mem.protect(0x20000, 0x1000, data_prot)
        jit = JitBackend(abi, mem)
        k = Kernel(abi, mem, FdTable(), log=io.StringIO())
        k.cpu = jit
        jit.start(0x10000 | int(thumb), 0x20800, regs)
        end = jit.run(k)
        s = jit.state
        stats = dict(jit.stats(), nzcv=(s.n, s.z, s.c, s.v), itstate=s.itstate,
                     mmu_checks=jit.cache.mmu_checks)
        return end, list(s.r), mem.read(0x20000, 0x1000, force=True), stats
    finally:
        mem.close()


def test_ldm_at_the_end_of_a_mapping_runs_natively():
    """Four words ending exactly at the mapping's end: the shared probe fails (nothing is
    mapped after the page), the stub checks the span's pages and the LDM goes on natively."""
    end, r, _, st = _run_code("ldm r9, {r0, r1, r2, r3}", {"r9": 0x20FF0})
    assert end.signal == 0 and r[:4] == [0x20FF0, 0x20FF4, 0x20FF8, 0x20FFC]
    assert st["fallback_instructions"] == 0 and st["guest_instructions"] == 3


@pytest.mark.parametrize("src, regs, addr, pc, done", [
    ("ldm r9, {r0, r1, r2, r3}", {"r9": 0x20FF8}, 0x21000, 0x10000, 0),
    ("add r5, r5, #1; stmdb r9!, {r0, r1, r2, r3}", {"r9": 0x20008}, 0x1FFF8, 0x10004, 1),
    ("add r5, r5, #1; ldrd r0, r1, [r9, #4]", {"r9": 0x20FF8}, 0x21000, 0x10004, 1),
])
def test_ldm_stm_crossing_the_end_of_a_mapping_fault_at_the_first_bad_word(src, regs, addr,
                                                                            pc, done):
    """A span that reaches an unmapped page: the instruction is left to the interpreter,
    which faults at the first word that is not mapped, with the state before the instruction
    (the base not written back) and the instructions before it counted."""
    end, r, _, st = _run_code(src, dict(regs, r0=1, r1=2, r2=3, r3=4, r5=0))
    assert (end.signal, end.addr, end.pc) == (11, addr, pc)
    assert r[:4] == [1, 2, 3, 4] and r[9] == regs["r9"] and r[5] == done
    assert st["guest_instructions"] == done


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_stm_crossing_the_end_of_a_mapping_stores_the_words_before_the_fault(thumb):
    end, r, data, _ = _run_code("stm r9!, {r0, r1, r2, r3}",
                                {"r9": 0x20FF8, "r0": 11, "r1": 22, "r2": 33, "r3": 44},
                                thumb)
    assert (end.signal, end.addr) == (11, 0x21000) and r[9] == 0x20FF8
    assert data[0xFF8:] == (11).to_bytes(4, "little") + (22).to_bytes(4, "little")


# ---- if-conversion, owed flag bytes, state known across conditional regions -------------
def _lift(src: str, thumb: bool = False):
    """Assemble ``src`` at 0x10000 and lift the block there (ops after optimize)."""
    from keystone import KS_ARCH_ARM, KS_MODE_ARM, KS_MODE_THUMB, Ks

    from frontends.arm import abi
    from frontends.arm.lift import lift_block
    from translator.jit.passes import optimize
    from translator.memory import PROT_EXEC, GuestMemory
    ks = Ks(KS_ARCH_ARM, KS_MODE_THUMB if thumb else KS_MODE_ARM)
    code = bytes(ks.asm(src + "; svc #0", 0x10000)[0])
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        mem.map(0x10000, 0x1000, PROT_READ | PROT_EXEC)
        mem.write(0x10000, code, force=True)
        return optimize(lift_block(mem, 0x10000, thumb))
    finally:
        mem.close()


def _x86(block: Block, mmu: bool = False) -> list[str]:
    """The block's x86 code (accesses the host MMU checks with ``mmu``: see
    test_jit_hostfault.py; without it, probes in software)."""
    import capstone
    out = Emitter(0x1000, lambda key: 0, mmu_checks=mmu).emit(block)
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    return [f"{i.mnemonic} {i.op_str}" for i in md.disasm(bytes(out.asm.link(0x10000)), 0x10000)]


_MERGE = {False: "cmp r2, r0; addgt r3, r3, #1; addle r1, r1, #1; movgt r2, r0; "
                 "add r4, r3, r1; add r5, r2, #0",
          True: "cmp r2, r0; itet gt; addgt r3, r3, #1; addle r1, r1, #1; movgt r2, r0; "
                "add r4, r3, r1; add r5, r2, #0"}


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_conditional_alu_instructions_become_cmov(thumb):
    """A conditional instruction that only computes and writes r0-r14 is if-converted: no
    branch around it, one cmov per register on the fused flags of the CMP, and its results
    forwarded to the instructions after it (r3, r1, r2 are not read back)."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    b = _lift(_MERGE[thumb], thumb)
    opcodes = [op.opcode for op in b.ops]
    assert "SkipUnless" not in opcodes and "Label" not in opcodes
    assert opcodes.count("Select") == 3
    assert sorted(op.attr for op in b.ops if op.opcode == "GetReg") == [0, 1, 2, 3]
    code = _x86(b)
    assert sum(line.startswith("cmov") for line in code) == 3
    assert not any(line.startswith("j") and not line.startswith("jmp") for line in code)
    for a in _EDGES:
        for v in _EDGES:
            end, r, _, _ = _run_code(_MERGE[thumb], {"r0": v, "r1": 10, "r2": a, "r3": 20},
                                     thumb)
            gt = _s(a) > _s(v)
            want = (21, 10, v) if gt else (20, 11, a)
            assert (r[3], r[1], r[2], r[4], r[5]) == (*want, (want[0] + want[1]), want[2])


def test_conditional_instruction_with_a_memory_access_keeps_its_branch():
    """A conditional load/store (it may fault) is not if-converted; what was known before
    its region is still known after it, except the registers it writes."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    b = _lift("add r1, r0, #4; cmp r0, #5; ldrgt r2, [r1]; add r3, r1, r2")
    opcodes = [op.opcode for op in b.ops]
    assert "SkipUnless" in opcodes and "Select" not in opcodes
    label = opcodes.index("Label")
    reads = [op.attr for op in b.ops[label:] if op.opcode == "GetReg"]
    assert reads == [2]                     # r1 (known from before) is not read back


def _flag_stores(code: list[str]) -> int:
    return sum(line.startswith("set") and "rbp" in line for line in code)


def test_flags_overwritten_before_any_read_are_never_stored():
    """The flag bytes of a CMP whose flags are only read fused (the cmov) and then
    overwritten by the next CMP are never stored: 4 stores, not 8; the state ends with the
    second CMP's flags."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "cmp r0, r1; movgt r2, #7; cmp r1, r0"
    assert _flag_stores(_x86(_lift(src))) == 4
    for a, v in ((1, 2), (2, 1), (5, 5), (0x80000000, 1)):
        _, r, _, _ = _run_code(src + "; movgt r3, #1; moveq r4, #1; movcs r5, #1; movvs r6, #1",
                               {"r0": a, "r1": v, "r2": 0, "r3": 0, "r4": 0, "r5": 0,
                                "r6": 0})
        n, z, c, vv = _flags_after("sub", v, a, 0, 0)
        assert r[2] == (7 if _s(a) > _s(v) else 0)
        assert (r[3], r[4], r[5], r[6]) == (int(not z and n == vv), z, c, vv)


def test_regression_owed_flags_are_stored_before_a_fault():
    """The flags a CMP owes are stored before a memory access between it and the next CMP
    (which might fault): the signal sees the first CMP's flags."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "cmp r0, r1; movgt r2, #7; ldr r3, [r9]; cmp r1, r0"
    assert _flag_stores(_x86(_lift(src))) == 8
    end, r, _, _ = _run_code(src, {"r0": 1, "r1": 2, "r9": 0x1F000})
    assert end.signal == 11 and end.addr == 0x1F000
    assert r[2] == 0


def test_regression_indirect_hit_into_the_other_mode_sets_the_mode():
    """An indirect branch that finds its target in the native table jumps there without
    returning to Python; it must still switch the state's mode bit (BLX from ARM into a
    Thumb function the second time round), or the Thumb block's syscall resumes in ARM
    state (SIGILL)."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    import io

    from keystone import KS_ARCH_ARM, KS_MODE_ARM, KS_MODE_THUMB, Ks

    from frontends.arm import abi
    from translator.backends.jit_backend import JitBackend
    from translator.linux.fdtable import FdTable
    from translator.linux.kernel import Kernel
    from translator.memory import PROT_EXEC, GuestMemory
    arm = bytes(Ks(KS_ARCH_ARM, KS_MODE_ARM).asm(
        "mov r5, #3; loop: blx r4; add r6, r6, r0; subs r5, r5, #1; bne loop; "
        f"mov r0, r6; mov r7, #{abi.SYSCALLS['exit_group']}; svc #0", 0x10000)[0])
    thumb = bytes(Ks(KS_ARCH_ARM, KS_MODE_THUMB).asm(
        f"movs r7, #{abi.SYSCALLS['getpid']}; svc #0; movs r0, #5; bx lr", 0x10100)[0])
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        mem.map(0x10000, 0x1000, PROT_READ | PROT_EXEC)
        mem.write(0x10000, arm, force=True)
        mem.write(0x10100, thumb, force=True)
        mem.map(0x20000, 0x1000, PROT_READ | PROT_WRITE)
        jit = JitBackend(abi, mem)
        k = Kernel(abi, mem, FdTable(), log=io.StringIO())
        k.cpu = jit
        jit.start(0x10000, 0x20800, {"r4": 0x10101, "r6": 0})
        end = jit.run(k)
        assert (end.signal, end.status) == (0, 15)
    finally:
        mem.close()


def _probes(code: list[str]) -> int:
    """Page probes in line (mov edx, address; shr edx, 12; add the table's address from the
    state; test its byte): the stubs out of line test again after a lea."""
    return sum(line.startswith("test byte ptr [rdx]") and code[k - 3].startswith("mov edx")
               for k, line in enumerate(code))


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_accesses_of_several_instructions_to_one_base_share_a_probe(thumb):
    """Loads from one base value in different instructions share the first one's probe
    (one probe for three loads); when the span crosses into an unmapped page the first
    instruction runs on the interpreter and the next one faults at its exact address."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "ldr r0, [r9]; add r3, r3, #1; ldr r1, [r9, #8]; ldr r2, [r9, #4]"
    assert _probes(_x86(_lift(src, thumb))) == 1
    end, r, _, stats = _run_code(src, {"r9": 0x20100, "r3": 0}, thumb)
    assert end.status == 0 and (r[0], r[1], r[2], r[3]) == (0x20100, 0x20108, 0x20104, 1)
    assert stats["fallback_instructions"] == 0
    end, r, _, _ = _run_code(src, {"r9": 0x20FF8, "r3": 0}, thumb)
    assert (end.signal, end.addr) == (11, 0x21000)
    assert (r[0], r[3]) == (0x20FF8, 1)


def test_regression_probe_in_a_skipped_region_covers_nothing_after_it():
    """A load inside a conditional region does not cover a later load from the same base:
    when the region is skipped the later one is checked on its own (faults, not a host
    crash)."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "mov r4, r9; cmp r0, #0; ldrne r1, [r9]; ldr r2, [r9, #4]"    # (r9: one value)
    assert _probes(_x86(_lift(src))) == 2
    end, r, _, _ = _run_code(src, {"r0": 0, "r9": 0x1F000})
    assert (end.signal, end.addr) == (11, 0x1F004)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_owed_flags_are_stored_on_a_side_exit(thumb):
    """A CMP's flag bytes, still owed at a conditional branch (side exit), are stored on the
    exit path (the block it goes to reads them from the state) while the path that stays
    drops them at the next CMP."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = ("cmp r0, r1; bne out; mov r2, #1; cmp r2, #5; b done; "
           "out: movgt r3, #1; movlt r4, #1; done: nop")
    if thumb:
        src = src.replace("movgt", "it gt; movgt").replace("movlt", "it lt; movlt")
    assert _flag_stores(_x86(_lift(src, thumb))) == 8       # (4 on the exit, 4 for the CMP)
    for a, v, want in ((3, 5, (0, 1)), (5, 3, (1, 0))):
        _, r, _, _ = _run_code(src, {"r0": a, "r1": v, "r2": 0, "r3": 0, "r4": 0}, thumb)
        assert (r[3], r[4]) == want and r[2] == 0
    _, r, _, _ = _run_code(src, {"r0": 4, "r1": 4, "r2": 0, "r3": 0, "r4": 0}, thumb)
    assert (r[2], r[3], r[4]) == (1, 0, 0)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_scaled_index_is_a_lea_and_keeps_the_cmp_fused(thumb):
    """ldr r3, [r4, r1, lsl #2] between a CMP and its conditional instruction: the shift is
    a lea (no shl), so the x86 flags stay the CMP's and the addeq is a cmov on them, with
    no test of the flag bytes."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "cmp r0, #1; ldr r3, [r4, r1, lsl #2]; addeq r5, r5, #1"
    if thumb:
        src = src.replace("addeq", "it eq; addeq")
    code = _x86(_lift(src, thumb), mmu=True)
    assert not any(line.startswith("shl") for line in code)
    assert any(line.startswith("lea") and "*4" in line for line in code)
    assert not any(line.startswith("cmp byte ptr [rbp") for line in code)
    for r0 in (1, 2):
        _, r, _, _ = _run_code(src, {"r0": r0, "r1": 3, "r4": 0x20000, "r5": 10}, thumb)
        assert (r[3], r[5]) == (0x2000C, 11 if r0 == 1 else 10)


def test_conditional_return_selects_on_the_cmp_flags():
    """popeq {r4, pc}: the return target is one cmov on the CMP's flags (the condition is
    not computed into a register first), and both ways go where they should."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    code = _x86(_lift("cmp r3, r1; popeq {r4, pc}"), mmu=True)
    assert not any(line.startswith("set") and "rbp" not in line for line in code)
    assert any(line.startswith("cmove") for line in code)
    src = "add lr, pc, #12; push {r4, lr}; cmp r0, r1; popeq {r4, pc}; mov r2, #1"
    for r0, want in ((5, (0, 0x20800)), (6, (1, 0x207F8))):
        end, r, _, _ = _run_code(src, {"r0": r0, "r1": 5, "r2": 0}, False)
        assert end.signal == 0 and (r[2], r[13]) == want


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_conditional_compare_keeps_fusion_where_the_paths_meet(thumb):
    """cmp r0, #0; cmpne r1, #0; moveq r2, #1 (a && b): both paths reach the cmpne's label
    with the x86 flags of their own last CMP, mapped alike, so the moveq is a cmov on them
    (no test of the flag bytes) and Z is right either way."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "cmp r0, #0; cmpne r1, #0; moveq r2, #1"
    if thumb:
        src = "cmp r0, #0; it ne; cmpne r1, #0; it eq; moveq r2, #1"
    code = _x86(_lift(src, thumb), mmu=True)
    assert not any(line.startswith("cmp byte ptr [rbp") for line in code)
    for r0 in (0, 1):
        for r1 in (0, 1):
            _, r, _, _ = _run_code(src, {"r0": r0, "r1": r1, "r2": 0}, thumb)
            assert r[2] == int(r0 == 0 or r1 == 0)


_PAIRS = [(0, 0), (1, 2), (2, 1), (0x7FFFFFFF, 0xFFFFFFFF), (0x80000000, 1), (5, 5)]


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_conditional_compare_flags_stay_owed_past_the_label(thumb):
    """cmp r0, r1; cmpne r2, r3: both paths owe NZCV from x86 flags they map alike, so the
    bytes are stored once, after the label (the first CMP's are never stored when the second
    overwrites them), and are those of whichever CMP ran last."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "cmp r0, r1; cmpne r2, r3"
    if thumb:
        src = "cmp r0, r1; it ne; cmpne r2, r3"
    code = _x86(_lift(src, thumb), mmu=True)
    assert sum(line.startswith("set") for line in code) == 4
    for a, b in _PAIRS:
        for c, d in _PAIRS[:3]:
            _, _, _, st = _run_code(src, {"r0": a, "r1": b, "r2": c, "r3": d}, thumb)
            want = _flags_after("sub", a, b, 0, 0) if a == b else _flags_after("sub", c, d, 0, 0)
            assert st["nzcv"] == want, (a, b, c, d)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_regression_paths_owing_different_flags_store_their_own_at_the_label(thumb):
    """cmp r0, r1; addsne r2, r2, r3: the jump owes a CMP's flags, the path that stays an
    ADDS's (mapped differently): the jump stores its own in an out-of-line pad, the other
    path before the label, and the flags are right on both."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "cmp r0, r1; addsne r2, r2, r3"
    if thumb:
        src = "cmp r0, r1; it ne; addsne r2, r2, r3"
    code = _x86(_lift(src, thumb), mmu=True)
    assert sum(line.startswith("sete") for line in code) >= 2     # (two paths store)
    for a, b in _PAIRS:
        for c, d in _PAIRS:
            _, r, _, st = _run_code(src, {"r0": a, "r1": b, "r2": c, "r3": d}, thumb)
            want = _flags_after("sub", a, b, 0, 0) if a == b else _flags_after("add", c, d, 0, 0)
            assert st["nzcv"] == want, (a, b, c, d)
            assert r[2] == (c if a == b else (c + d) & 0xFFFFFFFF)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_reverse_subtract_from_a_constant_keeps_fusion(thumb):
    """cmp r0, r1; rsble r2, r2, #0; rsbgt r2, r2, #1 (a comparison function's
    (a > b) - (a < b)): c - x is a not and a lea, which leave the x86 flags alone, so both
    conditions are cmovs on the CMP's flags (no test of the flag bytes), and right."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "cmp r0, r1; rsble r2, r2, #0; rsbgt r2, r2, #1; rsbge r3, r3, #0xff000000"
    if thumb:
        src = ("cmp r0, r1; ite le; rsble r2, r2, #0; rsbgt r2, r2, #1; it ge; "
               "rsbge r3, r3, #0xff000000")
    code = _x86(_lift(src, thumb), mmu=True)
    assert any(line.startswith("not ") for line in code)
    assert not any(line.startswith("movzx eax, byte ptr [rbp") for line in code)
    for a, b in _PAIRS:
        for c, d in ((0, 5), (7, 0x80000000), (0xFFFFFFFF, 0xFF000001)):
            _, r, _, st = _run_code(src, {"r0": a, "r1": b, "r2": c, "r3": d}, thumb)
            nzcv = _flags_after("sub", a, b, 0, 0)
            signed_le = nzcv[1] or nzcv[0] != nzcv[3]
            want2 = (-c if signed_le else 1 - c) & 0xFFFFFFFF
            want3 = (0xFF000000 - d) & 0xFFFFFFFF if not signed_le or a == b else d
            assert (r[2], r[3]) == (want2, want3), (a, b, c, d)
            assert st["nzcv"] == nzcv


@pytest.mark.parametrize("mmu", [False, True], ids=["probes", "mmu"])
def test_instruction_count_is_kept_in_a_register(mmu):
    """A block counts its instructions with one add to r14 (a side exit takes back with one
    sub), never a read-modify-write of the state: in memory the count made every loop carry
    a store-to-load dependency. The trampolines load and store state.insns around native code,
    so counts stay exact across exits (test_jit_backend's loop tests)."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    from translator.jit.state import OFFSETS
    code = _x86(_lift("add r0, r0, #1; cmp r0, r1; bne #0x10000; ldr r2, [r9]", False), mmu)
    assert code[0] == "add r14, 5"                  # (with _lift's closing svc)
    assert "sub r14, 2" in code                     # the bne's side exit: 3 of 5 ran
    insns = f"rbp + {OFFSETS['insns']:#x}]"
    assert not [line for line in code if insns in line]


def _ladder(steps: range, thumb: bool) -> str:
    """Steps of libgcc's unsigned-division ladder (__aeabi_uidiv: r2 = quotient bits)."""
    it = "it cs; " if thumb else ""
    return "; ".join(f"cmp r0, r1, lsl #{k}; adc r2, r2, r2; {it}subcs r0, r0, r1, lsl #{k}"
                     for k in steps)


def _ladder_model(r0: int, r1: int, r2: int, steps: range) -> tuple[int, int, tuple]:
    nzcv = None
    for k in steps:
        b = r1 << k & 0xFFFFFFFF
        nzcv = _flags_after("sub", r0, b, 0, 0)
        r2 = (2 * r2 + nzcv[2]) & 0xFFFFFFFF
        if nzcv[2]:
            r0 = (r0 - b) & 0xFFFFFFFF
    return r0, r2, nzcv


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_division_ladder_keeps_the_carry_on_the_x86_flags(thumb):
    """cmp r0, r1, lsl #k; adc r2, r2, r2; subcs r0, r0, r1, lsl #k (the division ladder
    every ARM32 program without a hardware divide runs): the shifted operand is computed
    once and the SUB is the CMP's own subtraction (common subexpressions), the ADC reads C
    with a setcc and adds with leas, so the SUBCS is a cmov on the same x86 flags; only C is
    computed for all but the last CMP, and no flag byte is stored before the block's end."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    steps = range(6, -1, -1)
    src = _ladder(steps, thumb)
    b = _lift(src, thumb)
    flag_ops = [op for op in b.ops if op.opcode == "SubFlags"]
    assert [op.attr for op in flag_ops] == ["C"] * 6 + ["NZCV"]
    assert sum(op.opcode == "Lsl" for op in b.ops) == 6     # (lsl #0 is no shift)
    assert not any(op.opcode == "Sub" for op in b.ops)
    code = _x86(b)
    assert sum(line.startswith("cmov") for line in code) == 7
    assert not any("byte ptr [rbp" in line and line.startswith(("movzx", "cmp"))
                   for line in code)                   # (no flag byte read)
    assert _flag_stores(code) == 4
    for r0, r1, r2 in ((1000, 7, 0), (0xFFFFFFFF, 3, 5), (12345, 12346, 1), (0, 1, 0),
                       (0x80000000, 0x01000000, 0xFFFFFFFF)):
        _, r, _, st = _run_code(src, {"r0": r0, "r1": r1, "r2": r2}, thumb)
        want0, want2, nzcv = _ladder_model(r0, r1, r2, steps)
        assert (r[0], r[2]) == (want0, want2), (r0, r1, r2)
        assert st["nzcv"] == nzcv


def test_common_subexpressions_are_not_reused_past_a_conditional_region():
    """A value computed inside a conditional region (a SkipUnless around a load) is not
    reused after its label, where the path that skipped the region never computed it."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "add r5, r1, r3; cmp r0, #5; ldrgt r2, [r1, r3, lsl #2]; add r4, r1, r3, lsl #2"
    b = _lift(src)
    label = [op.opcode for op in b.ops].index("Label")
    assert any(op.opcode == "Lsl" for op in b.ops[label:])
    for r0 in (4, 6):
        _, r, _, _ = _run_code(src, {"r0": r0, "r1": 0x20000, "r2": 0, "r3": 3})
        assert r[4] == 0x2000C and r[2] == (0x2000C if r0 > 5 else 0)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_64_bit_increment_is_an_add_and_a_lea(thumb):
    """adds r4, r4, #1; adc r6, r6, #0 (a 64-bit counter): the ADDS is one add on the
    register (no operand moved through eax and ecx), the ADC a setcc of its carry and one
    lea with the constant as displacement; sums and NZCV right across the carry edges."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "adds r4, r4, #1; adc r6, r6, #0; adds r0, r0, r2; adc r1, r1, #0x10"
    code = _x86(_lift(src, thumb))
    assert any(line.startswith("add ") and line.endswith(", 1") for line in code)
    assert not any(line.startswith("mov ecx, ") for line in code)
    assert sum(line.startswith("lea ") for line in code) >= 2
    for lo, hi in ((0, 0), (0xFFFFFFFF, 7), (0x7FFFFFFF, 0xFFFFFFFF), (0xFFFFFFFE, 1)):
        for r0, r2 in ((1, 0xFFFFFFFF), (5, 6), (0x80000000, 0x80000000)):
            _, r, _, st = _run_code(src, {"r4": lo, "r6": hi, "r0": r0, "r1": hi, "r2": r2},
                                    thumb)
            assert (r[4], r[6]) == ((lo + 1) & 0xFFFFFFFF, (hi + (lo == 0xFFFFFFFF)) & 0xFFFFFFFF)
            assert (r[0], r[1]) == ((r0 + r2) & 0xFFFFFFFF,
                                    (hi + 0x10 + (r0 + r2 > 0xFFFFFFFF)) & 0xFFFFFFFF)
            assert st["nzcv"] == _flags_after("add", r0, r2, 0, 0)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_regression_adds_of_a_forwarded_zero_sets_the_flags(thumb):
    """movs r0, #0; ...; adds r0, r0, r2 (glibc's __mpn_mul_1): with the zero forwarded as
    a constant and the result in r2's register, the add of 0 was dropped as a no-op, and
    with it the flags the ADC after it reads (printf's digits of a float came out wrong)."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    src = "mov r0, #0; adds r0, r0, r2; adc r1, r1, #0"
    for r2 in (0, 1, 0x80000000, 0xFFFFFFFF):
        for c_in in (0, 1):
            pre = "cmp r3, #1; " if c_in else "cmn r3, #1; "     # (C set / clear first)
            _, r, _, st = _run_code(pre + src, {"r1": 7, "r2": r2, "r3": 1}, thumb)
            assert (r[0], r[1]) == (r2, 7)
            assert st["nzcv"] == _flags_after("add", 0, r2, 0, 0)
