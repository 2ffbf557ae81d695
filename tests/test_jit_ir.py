"""JIT IR and passes: folding, forwarding, dead-flag and dead-code elimination."""
from __future__ import annotations

import random

import pytest

from translator.jit.ir import Block, Const, Link, Ref
from translator.jit.passes import FOLD, MASK, optimize


def _adds_block(setflags_twice: bool) -> Block:
    """ADDS r0, r1, r2 ; ADDS r0, r0, #1 — the first ADDS's flags are dead."""
    b = Block(0x1000, False)
    for imm in ((None, 1) if setflags_twice else (None,)):
        a = b.emit("GetReg", attr=1 if imm is None else 0)
        c = b.emit("GetReg", attr=2) if imm is None else Const(imm)
        s = b.emit("Add", a, c)
        b.emit("SetReg", s, attr=0)
        b.emit("SetFlag", b.emit("Msb", s), attr="N")
        b.emit("SetFlag", b.emit("IsZero", s), attr="Z")
        b.emit("SetFlag", b.emit("CarryAdd", a, c, Const(0)), attr="C")
        b.emit("SetFlag", b.emit("OverflowAdd", a, c, Const(0)), attr="V")
    b.terminal = Link(0x1008, False)
    b.validate()
    return b


def test_dead_flags_are_not_computed():
    b = optimize(_adds_block(True))
    b.validate()
    names = [op.opcode for op in b.ops]
    # one set of flag computations survives (the second ADDS); the first is gone entirely
    assert names.count("CarryAdd") == 1 and names.count("OverflowAdd") == 1
    assert names.count("SetFlag") == 4 and names.count("SetReg") == 1
    # and the second add reads the first's result directly, not r0 from the state
    assert names.count("GetReg") == 2


def test_forwarding_and_folding():
    b = Block(0, False)
    b.emit("SetReg", Const(5), attr=3)
    r = b.emit("GetReg", attr=3)
    s = b.emit("Lsl", r, Const(4))
    b.emit("SetReg", b.emit("Add", s, Const(2)), attr=4)
    b.terminal = Link(4, False)
    optimize(b)
    assert [(op.opcode, op.args, op.attr) for op in b.ops] == [
        ("SetReg", (Const(5),), 3), ("SetReg", (Const(82),), 4)]


def test_conditional_region_is_a_barrier():
    b = Block(0, False)
    b.emit("SetReg", Const(1), attr=0)
    lab = b.new_label()
    b.emit("SkipUnless", attr=(0, lab))
    b.emit("SetReg", Const(2), attr=0)
    b.emit("Label", attr=lab)
    b.emit("SetReg", b.emit("GetReg", attr=0), attr=1)
    b.terminal = Link(4, False)
    optimize(b)
    ops = [(op.opcode, op.attr) for op in b.ops]
    assert ops.count(("SetReg", 0)) == 2       # neither store may go
    assert ("GetReg", 0) in ops                 # r0 is unknown after the region


def test_memory_access_keeps_flags_precise():
    b = Block(0, False)
    b.emit("SetFlag", Const(1), attr="Z")
    b.emit("Load32", Const(0x100))
    b.emit("SetFlag", Const(0), attr="Z")
    b.terminal = Link(4, False)
    optimize(b)
    assert sum(op.opcode == "SetFlag" for op in b.ops) == 2


def test_validate_rejects_bad_blocks():
    b = Block(0, False)
    b.ops.append(__import__("translator.jit.ir", fromlist=["Op"]).Op("Add", (Ref(3), Const(1))))
    b.terminal = Link(0, False)
    with pytest.raises(ValueError):
        b.validate()
    with pytest.raises(ValueError):
        Block(0, False).emit("Add", Const(1))


def _ref_semantics():
    s32 = lambda x: x - (1 << 32) if x & 0x80000000 else x  # noqa: E731
    return {
        "Asr": lambda a, n: (s32(a) >> min(n & 0xFF, 31)) & MASK,
        "MulHiS": lambda a, b: ((s32(a) * s32(b)) >> 32) & MASK,
        "OverflowAdd": lambda a, b, c: int(not -2**31 <= s32(a) + s32(b) + c < 2**31),
        "CarryAdd": lambda a, b, c: int(a + b + c >= 2**32),
        "Ror": lambda a, n: ((a >> (n % 32)) | (a << (32 - n % 32))) & MASK if n % 32 else a,
        "SignExt8": lambda a: ((a & 0xFF) ^ 0x80) - 0x80 & MASK,
    }


@pytest.mark.parametrize("name", sorted(_ref_semantics()))
def test_fold_semantics_random(name):
    ref = _ref_semantics()[name]
    rnd = random.Random(name)
    edge = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 31, 32, 33]
    for _ in range(2000):
        args = [rnd.choice(edge + [rnd.getrandbits(32)]) for _ in range(FOLD[name].__code__.co_argcount)]
        if name in ("CarryAdd", "OverflowAdd"):
            args[2] &= 1
        assert FOLD[name](*args) & MASK == ref(*args), (name, [hex(a) for a in args])


def test_fp_ops_are_kept_for_their_flags_and_d_halves_forward():
    """An unused FDiv survives (it raises FPSCR flags); a D register written as two S halves
    and read back forwards the halves; is_wide tells 64-bit values from 32-bit ones."""
    from translator.jit.ir import is_wide
    b = Block(0x1000, False)
    x = b.emit("Cat64", b.emit("GetReg", attr=34), b.emit("GetReg", attr=35))
    q = b.emit("FDiv", x, x, attr="d")
    b.emit("SetReg", b.emit("Lo32", q), attr=32)
    b.emit("SetReg", b.emit("Hi32", q), attr=33)
    b.emit("SetReg", Const(0), attr=32)                    # the low half is overwritten
    lo = b.emit("GetReg", attr=33)                         # reads the high half just written
    b.emit("FNeg", lo, attr="s")                           # pure: dropped when unused
    b.terminal = Link(0x1008, False)
    b.validate()
    ops = optimize(b).ops
    names = [op.opcode for op in ops]
    assert names.count("FDiv") == 1 and "FNeg" not in names and "Lo32" not in names
    assert sum(1 for op in ops if op.opcode == "GetReg" and op.attr == 33) == 0
    assert is_wide(next(op for op in ops if op.opcode == "FDiv"))
    assert not is_wide(next(op for op in ops if op.opcode == "Hi32"))
