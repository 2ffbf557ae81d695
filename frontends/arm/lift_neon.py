"""Lifters for the Advanced SIMD (NEON) instructions the JIT runs natively.

The decoder names every Advanced SIMD encoding ``NEON`` (its raw bits in ``word``); this
module lifts the ones hot in real programs and leaves the rest to the interpreter
(NotImplementedError). Today: VLD1/VST1 (multiple single elements) with one to four D
registers and alignment hints (checked: SIGBUS), which glibc's memcpy/memmove use for
every copy. On a little-endian guest the
element size does not change which bytes go where, so each D register is two 32-bit S-half
transfers (the IR sees the S/D aliasing as for VFP).
"""
from __future__ import annotations

from translator.jit.ir import Const

from .lift import Ctx, lifter
from .lift_vfp import get_s, set_s

# type field (bits 11:8) of VLD1/VST1 (multiple single elements) -> number of D registers
_VX1_REGS = {0b0111: 1, 0b1010: 2, 0b0110: 3, 0b0010: 4}


@lifter("NEON")
def _neon(c: Ctx, i) -> None:
    w = i.word
    # A32 1111 0100 0D L0 nnnn dddd type size align mmmm; T32 the same with 1111 1001 on top
    if w & 0xFF900000 not in (0xF4000000, 0xF9000000):
        raise NotImplementedError("NEON")
    regs = _VX1_REGS.get((w >> 8) & 0xF)
    if regs is None:
        raise NotImplementedError("NEON element/structure load/store")
    align = (w >> 4) & 3
    if align and (regs == 1 and align & 2 or regs == 2 and align == 3
                  or regs == 3 and align & 2):
        raise NotImplementedError("UNDEFINED VLD1/VST1 alignment")
    d = ((w >> 22) & 1) << 4 | (w >> 12) & 0xF
    n, m = (w >> 16) & 0xF, w & 0xF
    if n == 15 or d + regs > 32:
        raise NotImplementedError("UNPREDICTABLE VLD1/VST1")
    load = bool(w & (1 << 21))
    b = c.b
    base = c.r(n)
    if align:
        # :64/:128/:256 hint: a misaligned address is an alignment fault (SIGBUS)
        b.emit("AlignCheck", base, attr=(i.addr, (4 << align) - 1))
    for k in range(2 * regs):
        if load:
            set_s(c, 2 * d + k, c.load(4, base, disp=4 * k))
        else:
            c.store(4, base, get_s(c, 2 * d + k), 4 * k)
    if m == 13:
        c.set_r(n, b.emit("Add", base, Const(8 * regs)))
    elif m != 15:
        c.set_r(n, b.emit("Add", base, c.r(m)))
