"""The JIT runtime on hand-built IR: native code, chaining, lookups, faults, exits.

IR blocks are fed through a custom translator, so these tests exercise the emitter, the code
cache and the dispatcher independently of the ARM front end. A reference interpreter of the
IR checks random straight-line blocks value for value.
"""
from __future__ import annotations

import io
import random

import pytest

from frontends.arm import abi
from translator.backends.jit_backend import JitBackend
from translator.jit.ir import Block, Const, Indirect, Link, LinkCond, Syscall
from translator.jit.passes import FOLD, MASK, optimize
from translator.linux.fdtable import FdTable
from translator.linux.kernel import Kernel
from translator.memory import PROT_READ, PROT_WRITE, GuestMemory

EXIT_GROUP = abi.SYSCALLS["exit_group"]


def make(blocks: dict):
    mem = GuestMemory(abi.ADDRESS_SPACE)
    mem.map(0x10000, 0x10000, PROT_READ | PROT_WRITE)

    def translator(m, pc, thumb):
        b = blocks[pc]()
        b.pc, b.thumb = pc, thumb
        return b
    jit = JitBackend(abi, mem, translator)
    k = Kernel(abi, mem, FdTable(), log=io.StringIO())
    k.cpu = jit
    return jit, k, mem


def exit_block():
    b = Block(0, False)
    b.emit("SetReg", Const(EXIT_GROUP), attr=7)
    b.terminal = Syscall(0, False)
    b.guest_insns = 2
    return b


def test_loop_chains_and_exits():
    def loop():
        b = Block(0, False)
        r0 = b.emit("GetReg", attr=0)
        b.emit("SetReg", b.emit("Add", r0, Const(3)), attr=0)
        r1 = b.emit("Sub", b.emit("GetReg", attr=1), Const(1))
        b.emit("SetReg", r1, attr=1)
        b.emit("SetFlag", b.emit("IsZero", r1), attr="Z")
        b.terminal = LinkCond(1, Link(0x1000, False), Link(0x2000, False))   # NE
        b.guest_insns = 3
        return b
    jit, k, mem = make({0x1000: loop, 0x2000: exit_block})
    jit.start(0x1000, 0x18000, {"r0": 0, "r1": 100000})
    end = jit.run(k)
    assert end.status == (300000 & 0xFF) and end.signal == 0
    assert jit.state.r[0] == 300000
    st = jit.stats()
    assert st["blocks_translated"] == 2
    # 100000 iterations ran natively: the loop's back edge was chained, not dispatched
    assert st["exits_to_python"] <= 4 and st["native_instructions"] == 3 * 100000 + 2


def test_side_exit_loop_counts_exactly():
    """A loop whose back edge is a side exit (ExitIf) in the middle of its block: the taken
    arm chains back natively, the not-taken arm runs on inside the block, and the instruction
    count takes back what the side exit skipped."""
    def loop():
        b = Block(0, False)
        b.emit("SetReg", b.emit("Add", b.emit("GetReg", attr=0), Const(3)), attr=0)
        r1 = b.emit("Sub", b.emit("GetReg", attr=1), Const(1))
        b.emit("SetReg", r1, attr=1)
        b.emit("SetFlag", b.emit("IsZero", r1), attr="Z")
        b.emit("ExitIf", attr=(1, Link(0x1000, False), 3))            # bne 0x1000
        b.emit("SetReg", b.emit("Add", b.emit("GetReg", attr=0), Const(1)), attr=0)
        b.terminal = Link(0x2000, False)
        b.guest_insns = 5
        return b
    jit, k, mem = make({0x1000: loop, 0x2000: exit_block})
    jit.start(0x1000, 0x18000, {"r0": 0, "r1": 1000})
    end = jit.run(k)
    assert end.signal == 0 and jit.state.r[0] == 3001
    st = jit.stats()
    assert st["blocks_translated"] == 2 and st["exits_to_python"] <= 4
    # 999 taken side exits after 3 instructions, one full pass of 5, the exit block's 2
    assert st["native_instructions"] == 999 * 3 + 5 + 2


def test_side_exit_on_conditions_of_several_flags():
    """ExitIf on a condition of one flag byte (MI) and on one computed from several (GT),
    taken and not taken."""
    for cond, flags, taken in [(4, {"N": 1}, True), (4, {"N": 0}, False),
                               (12, {"Z": 0, "N": 1, "V": 1}, True),
                               (12, {"Z": 1, "N": 0, "V": 0}, False)]:
        def block(cond=cond, flags=flags):
            b = Block(0, False)
            for f, v in flags.items():
                b.emit("SetFlag", Const(v), attr=f)
            b.emit("ExitIf", attr=(cond, Link(0x3000, False), 1))
            b.emit("SetReg", Const(7), attr=0)
            b.terminal = Link(0x2000, False)
            b.guest_insns = 2
            return b

        def taken_block():
            b = Block(0, False)
            b.emit("SetReg", Const(9), attr=0)
            b.terminal = Link(0x2000, False)
            b.guest_insns = 1
            return b
        jit, k, mem = make({0x1000: block, 0x2000: exit_block, 0x3000: taken_block})
        jit.start(0x1000, 0x18000)
        end = jit.run(k)
        assert end.signal == 0
        assert jit.state.r[0] == (9 if taken else 7), (cond, flags)
        assert jit.stats()["native_instructions"] == (1 + 1 + 2 if taken else 2 + 2)


def test_lifted_conditional_branch_is_a_side_exit():
    """The lifter turns a conditional branch into an ExitIf and goes on with the next
    instruction; it stops before code that already has a block (``known``)."""
    import keystone

    from frontends.arm.lift import lift_block
    from translator.memory import PROT_EXEC
    ks = keystone.Ks(keystone.KS_ARCH_ARM, keystone.KS_MODE_ARM)
    code = bytes(ks.asm("cmp r0, #1; bne 0x10010; add r1, r1, #1; add r2, r2, #1; bx lr",
                        0x10000)[0])
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        mem.map(0x10000, 0x1000, PROT_READ | PROT_EXEC)
        mem.write(0x10000, code, force=True)
        b = lift_block(mem, 0x10000, False)
        exits = [op for op in b.ops if op.opcode == "ExitIf"]
        assert len(exits) == 1 and exits[0].attr == (1, Link(0x10010, False), 2)
        assert b.guest_insns == 5 and isinstance(b.terminal, Indirect)
        b = lift_block(mem, 0x10000, False, known={(0x1000c, False): None})
        assert b.guest_insns == 3 and b.terminal == Link(0x1000c, False)
    finally:
        mem.close()


def test_memory_and_fault():
    def block():
        b = Block(0, False)
        addr = b.emit("GetReg", attr=2)
        b.emit("Store32", addr, Const(0x11223344), attr=(0x1000, 0, None))
        b.emit("SetReg", b.emit("Load16S", b.emit("Add", addr, Const(2)), attr=(0x1004, 0, None)), attr=0)
        b.emit("SetReg", b.emit("Load8", addr, attr=(0x1008, 2, None)), attr=1)
        b.emit("SetReg", b.emit("Load32", Const(0x30000), attr=(0x100c, 0, None)), attr=3)   # unmapped
        b.terminal = Link(0x2000, False)
        b.guest_insns = 4
        return b
    jit, k, mem = make({0x1000: block, 0x2000: exit_block})
    jit.start(0x1000, 0x18000, {"r2": 0x10ffe})      # crosses into the next page: still mapped
    end = jit.run(k)
    assert mem.read(0x10ffe, 4) == bytes.fromhex("44332211")
    assert jit.state.r[0] == 0x1122 and jit.state.r[1] == 0x22     # (displacement 2)
    assert end.signal == 11 and end.addr == 0x30000 and end.pc == 0x100c


@pytest.mark.parametrize("base, disp, addr", [
    (0xFFFFFFF8, 0x10, 0x8),                 # wraps past 4 GiB to the bottom
    (0x4, -8, 0xFFFFFFFC),                   # wraps below 0 to the top
    (0x10ff0, 0x7FFFFFFF, 0x80010FEF),       # the largest positive displacement
])
def test_displacement_wraps_like_guest_address(base, disp, addr):
    """A memory op's displacement is added modulo 2**32, as the guest adds it: the access
    faults at the wrapped guest address (never reaching host memory past the window)."""
    def block():
        b = Block(0, False)
        b.emit("SetReg", b.emit("Load32", b.emit("GetReg", attr=2), attr=(0x1000, disp, None)),
               attr=0)
        b.terminal = Link(0x2000, False)
        return b
    jit, k, mem = make({0x1000: block, 0x2000: exit_block})
    jit.start(0x1000, 0x18000, {"r2": base})
    end = jit.run(k)
    assert end.signal == 11 and end.addr == addr and end.pc == 0x1000


def test_displacement_reads_the_displaced_word():
    def block():
        b = Block(0, False)
        base = b.emit("GetReg", attr=2)
        for r, disp in ((0, -4), (1, 0x7c), (3, 0x1000)):
            b.emit("SetReg", b.emit("Load32", base, attr=(0x1000, disp, None)), attr=r)
        b.emit("Store16", base, Const(0xBEEF), attr=(0x1004, -0x100, None))
        b.terminal = Link(0x2000, False)
        return b
    jit, k, mem = make({0x1000: block, 0x2000: exit_block})
    for off in (-4, 0x7c, 0x1000):
        mem.write(0x14000 + off, (0x1000 + off & 0xFFFFFFFF).to_bytes(4, "little"))
    jit.start(0x1000, 0x18000, {"r2": 0x14000})
    jit.run(k)
    assert [jit.state.r[r] for r in (0, 1, 3)] == [0xFFC, 0x107C, 0x2000]
    assert mem.read(0x13f00, 2) == bytes.fromhex("efbe")


def test_store_to_readonly_page_faults():
    def block():
        b = Block(0, False)
        b.emit("Store8", Const(0x20000), Const(1), attr=(0x1000, 0, None))
        b.terminal = Link(0x2000, False)
        return b
    jit, k, mem = make({0x1000: block, 0x2000: exit_block})
    mem.map(0x20000, 0x1000, PROT_READ)
    jit.start(0x1000, 0x18000)
    end = jit.run(k)
    assert end.signal == 11 and end.addr == 0x20000
    assert mem.read(0x20000, 1) == b"\0"


@pytest.mark.parametrize("count", [True, False])
def test_indirect_branch_uses_native_lookup(monkeypatch, count):
    monkeypatch.setenv("PYTRANS_JIT_COUNT", "1" if count else "0")
    calls = {"n": 0}

    def caller():
        b = Block(0, False)
        r1 = b.emit("Sub", b.emit("GetReg", attr=1), Const(1))
        b.emit("SetReg", r1, attr=1)
        b.emit("SetFlag", b.emit("IsZero", r1), attr="Z")
        b.emit("SetReg", Const(0x1001), attr=14)           # return to a Thumb block
        b.terminal = LinkCond(1, Link(0x3000, False), Link(0x2000, False))
        return b

    def callee():
        b = Block(0, False)
        b.terminal = Indirect(b.emit("GetReg", attr=14), True)   # bx lr
        return b

    def thumb_back():
        calls["n"] += 1
        b = Block(0, True)
        b.terminal = Link(0x1000, False)
        return b
    blocks = {0x1000: caller, 0x3000: callee, 0x2000: exit_block}
    jit, k, mem = make(blocks)
    orig = jit.translator
    jit.translator = lambda m, pc, thumb: (thumb_back() if thumb else orig(m, pc, thumb))
    jit.start(0x1000, 0x18000, {"r1": 5000})
    end = jit.run(k)
    assert end.status == 0 and end.signal == 0
    st = jit.stats()
    assert calls["n"] == 1 and st["lookup_misses"] == 1     # one miss, then native hits
    assert st["exits_to_python"] < 10
    if not count:                   # (hit rates only on request: counting costs)
        assert st["links_taken"] is st["chain_hit_rate"] is st["lookup_hit_rate"] is None
        return
    # 4,999 calls (bx lr looked up natively), 5,000 conditional links from the caller and
    # 4,999 from the Thumb block; the first use of each link site leaves to Python.
    assert st["indirect_lookups"] == 4999
    assert st["lookup_hit_rate"] == pytest.approx(1 - 1 / 4999)
    assert st["links_taken"] == 9999
    assert 0.999 < st["chain_hit_rate"] < 1


# ---- random straight-line blocks against a reference interpreter of the IR ---------------------
PURE = ["Add", "Sub", "AddC", "And", "Or", "Xor", "AndNot", "Not", "Neg", "Mul", "MulHiU",
        "MulHiS", "Lsl", "Lsr", "Asr", "Ror", "Clz", "Rev", "Rev16", "ZeroExt8", "ZeroExt16",
        "SignExt8", "SignExt16", "CarryAdd", "OverflowAdd", "IsZero", "Msb", "Select",
        "UDiv", "SDiv"]
REF = dict(FOLD)
REF["UDiv"] = lambda a, b: a // b if b else 0
REF["SDiv"] = lambda a, b: (0 if b == 0 else int(
    abs(_s(a)) // abs(_s(b)) * (1 if (_s(a) < 0) == (_s(b) < 0) else -1))) & MASK


def _s(x):
    return x - (1 << 32) if x & 0x80000000 else x


def _random_block(rnd: random.Random):
    from translator.jit.ir import OPCODES
    b = Block(0, False)
    vals = [b.emit("GetReg", attr=i) for i in range(8)]
    for _ in range(rnd.randint(5, 40)):
        name = rnd.choice(PURE)
        n = OPCODES[name][0]
        args = []
        for j in range(n):
            if rnd.random() < 0.25:
                args.append(Const(rnd.choice([0, 1, 31, 32, 33, 0xFF, 0x80000000, 0xFFFFFFFF,
                                              rnd.getrandbits(32)])))
            else:
                args.append(rnd.choice(vals))
        if name in ("AddC", "CarryAdd", "OverflowAdd"):
            args[2] = Const(rnd.getrandbits(1))
        vals.append(b.emit(name, *args))
    for r in range(8):
        b.emit("SetReg", rnd.choice(vals), attr=r)
    b.terminal = Link(0x2000, False)
    return b


def _interpret(b: Block, regs: list[int]) -> list[int]:
    vals = {}
    out = list(regs)
    get = lambda a: a.value if isinstance(a, Const) else vals[a.index]  # noqa: E731
    for i, op in enumerate(b.ops):
        if op.opcode == "GetReg":
            vals[i] = regs[op.attr]
        elif op.opcode == "SetReg":
            out[op.attr] = get(op.args[0])
        else:
            vals[i] = REF[op.opcode](*[get(a) for a in op.args]) & MASK
    return out


@pytest.mark.parametrize("seed", range(40))
def test_random_blocks_match_reference(seed):
    rnd = random.Random(seed)
    proto = _random_block(rnd)
    regs = [rnd.choice([0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, rnd.getrandbits(32)])
            for _ in range(8)]
    want = _interpret(proto, regs)
    blocks = {0x1000: lambda: _random_block(random.Random(seed)), 0x2000: exit_block}
    jit, k, mem = make(blocks)
    jit.start(0x1000, 0x18000, {f"r{i}": v for i, v in enumerate(regs)})
    jit.run(k)
    got = list(jit.state.r)[:8]
    # r7 is overwritten by the exit block's syscall number
    assert [hex(x) for x in got[:7]] == [hex(x) for x in want[:7]]
    # and the optimizer agrees with the unoptimized reference too
    opt = optimize(_random_block(random.Random(seed)))
    assert _interpret(opt, regs)[:7] == want[:7]
