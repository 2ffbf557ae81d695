"""The emitter's per-block register allocator (x86emit.Emitter._allocate): IR values live in
host registers, spill slots when more are live than there are registers."""
from __future__ import annotations

import io

from frontends.arm import abi
from translator.backends.jit_backend import JitBackend
from translator.jit.ir import Block, Const, Link, Syscall
from translator.jit.x86emit import ALLOC_REGS, IN_SLOT, NOWHERE, Emitter
from translator.linux.fdtable import FdTable
from translator.linux.kernel import Kernel
from translator.memory import PROT_READ, PROT_WRITE, GuestMemory


def _wide_block() -> Block:
    """20 values all live until the end (more than there are registers), summed in reverse
    order so the spilled ones are read back last; plus one value nobody reads."""
    b = Block(0, False)
    vals = [b.emit("Add", b.emit("GetReg", attr=k % 8), Const(k)) for k in range(20)]
    b.emit("Load32", Const(0x10000), attr=0)           # result unused: kept for its fault
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


def test_spilled_and_register_values_mixed_give_the_right_result():
    regs = [0x11111111 * (k + 1) & 0xFFFFFFFF for k in range(8)]
    vals = [(regs[k % 8] + k) & 0xFFFFFFFF for k in range(20)]
    acc = vals[-1]
    for v in reversed(vals[:-1]):
        acc = ((acc * 3) & 0xFFFFFFFF) ^ v

    def exit_block():
        e = Block(0, False)
        e.emit("SetReg", Const(abi.SYSCALLS["exit_group"]), attr=7)
        e.terminal = Syscall(0, False)
        e.guest_insns = 1
        return e
    blocks = {0x1000: _wide_block, 0x2000: exit_block}
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        mem.map(0x10000, 0x10000, PROT_READ | PROT_WRITE)

        def translator(m, pc, thumb):
            blk = blocks[pc]()
            blk.pc, blk.thumb = pc, thumb
            return blk
        jit = JitBackend(abi, mem, translator)
        k = Kernel(abi, mem, FdTable(), log=io.StringIO())
        k.cpu = jit
        jit.start(0x1000, 0x18000, {f"r{i}": v for i, v in enumerate(regs)})
        jit.run(k)
        assert jit.state.r[0] == acc
    finally:
        mem.close()
