"""A small, fast x86-64 machine-code assembler for the JIT (pure Python, no keystone).

Operands
    * General registers ``RAX`` .. ``R15`` are :class:`Reg`, an ``int`` subclass numbered
      0..15; every method takes the operation width as ``w`` (8, 16, 32 or 64; default 32),
      so ``mov(RCX, RDX, 8)`` is ``mov cl, dl``.  Byte registers 4..7 are SPL/BPL/SIL/DIL
      (a REX prefix is added), never AH..BH.
    * SSE registers ``XMM0`` .. ``XMM15`` are :class:`Xmm`.
    * Memory operands come from :func:`mem` (``[base + index*scale + disp]``) and :func:`rip`.
    * Immediates are plain ``int``.  Registers being a distinct type is what tells
      ``mov(RAX, RCX)`` (a register) from ``mov(RAX, 1)`` (the constant 1); a plain int where
      only a register or memory operand fits raises TypeError.  Immediates may be given
      signed or unsigned for the width (``0xFFFFFFFF`` and ``-1`` are the same 32-bit value).

Jumps
    ``label()`` / ``bind(label)`` give rel32 jumps within one buffer, forward or backward.
    ``jmp_abs``/``jcc_abs``/``call_abs`` jump to absolute host addresses; they are resolved by
    ``link(base)`` once the buffer's final address is known.  Every rel32-emitting method
    returns the buffer offset of its rel32 field, so installed code can be re-targeted later
    with :func:`patch_rel32`.

Every method appends to ``Asm.buf`` (a bytearray).  On a TypeError or ValueError the
buffer may hold a partial instruction.
"""
from __future__ import annotations

import ctypes
import struct
from enum import IntEnum
from functools import lru_cache

__all__ = [
    "Reg", "Xmm", "Mem", "CC", "Label", "Asm", "mem", "rip", "rel32", "patch_rel32",
    "GPR", "XMM",
    "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
    "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15",
    "XMM0", "XMM1", "XMM2", "XMM3", "XMM4", "XMM5", "XMM6", "XMM7",
    "XMM8", "XMM9", "XMM10", "XMM11", "XMM12", "XMM13", "XMM14", "XMM15",
]

_GPR_NAMES = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
              "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")


class Reg(int):
    """A general-purpose register, 0..15 in hardware order; the width comes from ``w``."""
    __slots__ = ()

    def __repr__(self) -> str:
        return _GPR_NAMES[self]


class Xmm(int):
    """An SSE register XMM0..XMM15."""
    __slots__ = ()

    def __repr__(self) -> str:
        return f"xmm{int(self)}"


GPR: tuple[Reg, ...] = tuple(Reg(i) for i in range(16))
XMM: tuple[Xmm, ...] = tuple(Xmm(i) for i in range(16))
RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 = GPR
(XMM0, XMM1, XMM2, XMM3, XMM4, XMM5, XMM6, XMM7,
 XMM8, XMM9, XMM10, XMM11, XMM12, XMM13, XMM14, XMM15) = XMM


class CC(IntEnum):
    """Condition codes for jcc / setcc / cmovcc (the low nibble of their opcodes)."""
    O = 0
    NO = 1
    B = C = NAE = 2
    AE = NB = NC = 3
    E = Z = 4
    NE = NZ = 5
    BE = NA = 6
    A = NBE = 7
    S = 8
    NS = 9
    P = PE = 10
    NP = PO = 11
    L = NGE = 12
    GE = NL = 13
    LE = NG = 14
    G = NLE = 15

    def invert(self) -> CC:
        """The opposite condition (E <-> NE, L <-> GE, ...)."""
        return CC(self ^ 1)


class Mem:
    """A memory operand, pre-encoded: REX.X/REX.B bits, ModRM without its reg field, and
    the SIB + displacement bytes that follow ModRM.  Build with :func:`mem` or :func:`rip`;
    mem() caches them, so treat them as immutable."""
    __slots__ = ("base", "index", "scale", "disp", "rex", "modrm", "tail")

    def __init__(self, base: int | None, index: int | None, scale: int, disp: int,
                 rex: int, modrm: int, tail: bytes) -> None:
        self.base, self.index, self.scale, self.disp = base, index, scale, disp
        self.rex, self.modrm, self.tail = rex, modrm, tail

    def __repr__(self) -> str:
        parts = ["rip"] if self.modrm == 0x05 else []
        if self.base is not None:
            parts.append(_GPR_NAMES[self.base])
        if self.index is not None:
            parts.append(f"{_GPR_NAMES[self.index]}*{self.scale}")
        if self.disp or not parts:
            parts.append(f"{self.disp:#x}")
        return "[" + " + ".join(parts) + "]"


_I8 = tuple(bytes((i,)) for i in range(256))     # one byte, indexed by value & 0xFF
_I16 = struct.Struct("<h").pack
_S32 = struct.Struct("<i")
_I32 = _S32.pack
_I64 = struct.Struct("<q").pack
# opcode bytes by number: 0x00..0xFF one byte, 0x0F00..0x0FFF the two-byte 0F map
_OPC = tuple(bytes((i >> 8, i & 0xFF)) if i >> 8 else bytes((i,)) for i in range(0x1000))
_SCALE = {1: 0, 2: 1, 4: 2, 8: 3}
_NOPS = (b"", b"\x90", b"\x66\x90", b"\x0f\x1f\x00", b"\x0f\x1f\x40\x00",
         b"\x0f\x1f\x44\x00\x00", b"\x66\x0f\x1f\x44\x00\x00",
         b"\x0f\x1f\x80\x00\x00\x00\x00", b"\x0f\x1f\x84\x00\x00\x00\x00\x00",
         b"\x66\x0f\x1f\x84\x00\x00\x00\x00\x00")


@lru_cache(maxsize=8192)
def mem(base: int | None, disp: int = 0, index: int | None = None, scale: int = 1) -> Mem:
    """``[base + index*scale + disp]``.  base may be None (absolute disp32, or index*scale +
    disp32); index may be any register but RSP.  The disp size (none/8/32) is chosen here."""
    if not -0x8000_0000 <= disp < 0x8000_0000:
        raise ValueError(f"displacement {disp:#x} does not fit in 32 bits")
    ss = _SCALE.get(scale)
    if ss is None or (index is None and scale != 1):
        raise ValueError(f"bad scale {scale}")
    rex = 0
    if index is not None:
        if not 0 <= index < 16 or index == 4:
            raise ValueError(f"bad index register {index!r}")
        rex = index >> 2 & 2
    if base is None:
        sib = ss << 6 | (4 if index is None else index & 7) << 3 | 5
        return Mem(None, index, scale, disp, rex, 0x04, _I8[sib] + _I32(disp))
    if not 0 <= base < 16:
        raise ValueError(f"bad base register {base!r}")
    rex |= base >> 3
    if disp == 0 and base & 7 != 5:
        mod, d = 0x00, b""
    elif -128 <= disp <= 127:
        mod, d = 0x40, _I8[disp & 0xFF]
    else:
        mod, d = 0x80, _I32(disp)
    if index is None and base & 7 != 4:
        return Mem(base, None, 1, disp, rex, mod | base & 7, d)
    sib = ss << 6 | (4 if index is None else index & 7) << 3 | base & 7
    return Mem(base, index, scale, disp, rex, mod | 4, _I8[sib] + d)


def rip(disp: int) -> Mem:
    """``[rip + disp]``: disp is relative to the end of the instruction that uses it."""
    return Mem(None, None, 1, disp, 0, 0x05, _I32(disp))


def _displacement(field_addr: int, target: int) -> int:
    rel = target - field_addr - 4
    if not -0x8000_0000 <= rel < 0x8000_0000:
        raise ValueError(f"target {target:#x} is out of rel32 range of {field_addr:#x}")
    return rel


def rel32(field_addr: int, target: int) -> bytes:
    """The 4 bytes of a rel32 field living at field_addr that make it reach target."""
    return _I32(_displacement(field_addr, target))


def patch_rel32(field_addr: int, target: int) -> None:
    """Re-target the jump/call whose rel32 field is at host address field_addr (one 4-byte
    store; the memory must be writable)."""
    ctypes.c_int32.from_address(field_addr).value = _displacement(field_addr, target)


def _signed(imm: int, w: int) -> int:
    """imm, given anywhere in -2**(w-1) .. 2**w - 1, as a signed w-bit value."""
    half = 1 << (w - 1)
    if imm >= half:
        if imm >= half << 1:
            raise ValueError(f"immediate {imm:#x} does not fit in {w} bits")
        return imm - (half << 1)
    if imm < -half:
        raise ValueError(f"immediate {imm:#x} does not fit in {w} bits")
    return imm


def _immw(imm: int, w: int) -> bytes:
    """The full-size immediate of a w-bit operation (imm32 sign-extended when w is 64)."""
    if w == 8:
        return _I8[imm & 0xFF]
    if w == 16:
        return _I16(imm)
    if w == 64 and not -0x8000_0000 <= imm < 0x8000_0000:
        raise ValueError(f"immediate {imm:#x} does not fit in a sign-extended imm32")
    return _I32(imm)


def _cc(cc: int) -> int:
    if not 0 <= cc <= 15:
        raise ValueError(f"bad condition code {cc!r}")
    return cc


def _round_mode(mode: int) -> int:
    if not 0 <= mode <= 15:
        raise ValueError(f"bad rounding mode {mode!r}")
    return mode


class Label:
    """A position in one Asm's buffer; ``pos`` is -1 until bound.  ``fixups`` holds the
    offsets of rel32 fields waiting for it."""
    __slots__ = ("pos", "fixups")

    def __init__(self) -> None:
        self.pos = -1
        self.fixups: list[int] = []


RM = Reg | Mem
XM = Xmm | Mem


class Asm:
    """Appends x86-64 instructions to ``buf``; see the module docstring for operands."""
    __slots__ = ("buf", "relocs", "_pending")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.relocs: list[tuple[int, int]] = []    # (rel32 field offset, absolute target)
        self._pending = 0                          # label fixups not yet resolved

    # ---- encoding core ----------------------------------------------------------------

    def _rm(self, opc: bytes, reg: int, rm: RM | Xmm, rex: int, imm: bytes = b"",
            kind: type = Reg) -> None:
        """[REX] opc ModRM [SIB] [disp] imm.  reg is a register or a /digit; rm must be a
        `kind` register or a Mem; rex holds W (8) and/or the force-REX bit (0x40)."""
        buf = self.buf
        t = type(rm)
        if t is kind:
            rex |= (reg >> 1 & 4) | rm >> 3
            if rex:
                buf.append(rex | 0x40)
            buf += opc
            buf.append(0xC0 | (reg & 7) << 3 | rm & 7)
        elif t is Mem:
            rex |= (reg >> 1 & 4) | rm.rex
            if rex:
                buf.append(rex | 0x40)
            buf += opc
            buf.append(rm.modrm | (reg & 7) << 3)
            buf += rm.tail
        else:
            raise TypeError(f"expected a {kind.__name__} or Mem operand, got {rm!r}")
        if imm:
            buf += imm

    def _rmw(self, op: int, reg: int, rm: RM, w: int, imm: bytes = b"") -> None:
        """An op whose 8-bit form is op - 1 (add, mov, test, F7 /n, ...)."""
        if w == 32:
            rex = 0
        elif w == 64:
            rex = 8
        elif w == 8:
            op -= 1
            rex = 0x40 if ((type(reg) is Reg and 4 <= reg <= 7)
                           or (type(rm) is Reg and 4 <= rm <= 7)) else 0
        elif w == 16:
            self.buf.append(0x66)
            rex = 0
        else:
            raise ValueError(f"bad width {w}")
        self._rm(_OPC[op], reg, rm, rex, imm)

    def _rmv(self, op: int, reg: int, rm: RM, w: int, imm: bytes = b"",
             pfx: bytes = b"") -> None:
        """A 16/32/64-bit-only op, with an optional mandatory prefix (F3 for lzcnt, ...)."""
        if w == 32:
            rex = 0
        elif w == 64:
            rex = 8
        elif w == 16:
            self.buf.append(0x66)
            rex = 0
        else:
            raise ValueError(f"bad width {w} (16, 32 or 64)")
        if pfx:
            self.buf += pfx
        self._rm(_OPC[op], reg, rm, rex, imm)

    def _acc(self, op: int, w: int, imm: bytes) -> None:
        """The short accumulator form `op imm` (add eax, imm32 ...); op - 1 for 8 bits."""
        buf = self.buf
        if w == 32:
            buf.append(op)
        elif w == 64:
            buf.append(0x48)
            buf.append(op)
        elif w == 8:
            buf.append(op - 1)
        elif w == 16:
            buf.append(0x66)
            buf.append(op)
        else:
            raise ValueError(f"bad width {w}")
        buf += imm

    def _rel(self, target: Label) -> int:
        """Append a rel32 field reaching target; returns the field's offset."""
        buf = self.buf
        f = len(buf)
        pos = target.pos
        if pos >= 0:
            buf += _I32(pos - f - 4)
        else:
            target.fixups.append(f)
            self._pending += 1
            buf += b"\0\0\0\0"
        return f

    def _abs(self, target: int) -> int:
        f = len(self.buf)
        self.relocs.append((f, target))
        self.buf += b"\0\0\0\0"
        return f

    # ---- labels and linking -----------------------------------------------------------

    def label(self) -> Label:
        """A new, unbound label for this buffer."""
        return Label()

    def bind(self, label: Label) -> None:
        """Bind label to the current offset and resolve the jumps already aimed at it."""
        if label.pos >= 0:
            raise ValueError("label is already bound")
        pos = label.pos = len(self.buf)
        buf = self.buf
        for f in label.fixups:
            _S32.pack_into(buf, f, pos - f - 4)
        self._pending -= len(label.fixups)
        label.fixups.clear()

    def link(self, base: int) -> bytes:
        """The finished code for host address base: resolves jmp_abs/call_abs/jcc_abs
        (in buf too) and checks that every label used has been bound."""
        if self._pending:
            raise ValueError(f"{self._pending} jump(s) to unbound labels")
        buf = self.buf
        for f, target in self.relocs:
            buf[f:f + 4] = rel32(base + f, target)
        return bytes(buf)

    # ---- moves ------------------------------------------------------------------------

    def mov(self, dst: RM, src: RM | int, w: int = 32) -> None:
        """mov r/m, r | r, m | r, imm | m, imm.  A 64-bit register immediate uses the
        shortest form: mov r32, imm32 (zero-extends), mov r/m64, simm32 or movabs."""
        ts = type(src)
        td = type(dst)
        if ts is Reg:
            if td is not Reg and td is not Mem:
                raise TypeError(f"bad mov destination {dst!r}")
            self._rmw(0x89, src, dst, w)
        elif ts is Mem:
            if td is not Reg:
                raise TypeError(f"bad mov destination {dst!r}")
            self._rmw(0x8B, dst, src, w)
        elif ts is int:
            if td is Reg:
                self._mov_ri(dst, src, w)
            elif td is Mem:
                self._rmw(0xC7, 0, dst, w, _immw(_signed(src, w), w))
            else:
                raise TypeError(f"bad mov destination {dst!r}")
        else:
            raise TypeError(f"bad mov source {src!r}")

    def _mov_ri(self, dst: Reg, imm: int, w: int) -> None:
        buf = self.buf
        if w == 64:
            imm = _signed(imm, 64)
            if imm < 0 or imm > 0xFFFF_FFFF:
                if -0x8000_0000 <= imm < 0:
                    self._rm(b"\xc7", 0, dst, 8, _I32(imm))
                else:
                    buf.append(0x48 | dst >> 3)
                    buf.append(0xB8 | dst & 7)
                    buf += _I64(imm)
                return
            w = 32
        if w == 32:
            if dst > 7:
                buf.append(0x41)
            buf.append(0xB8 | dst & 7)
            buf += _I32(_signed(imm, 32))
        elif w == 8:
            imm = _signed(imm, 8)
            if dst > 3:
                buf.append(0x41 if dst > 7 else 0x40)
            buf.append(0xB0 | dst & 7)
            buf.append(imm & 0xFF)
        elif w == 16:
            imm = _signed(imm, 16)
            buf.append(0x66)
            if dst > 7:
                buf.append(0x41)
            buf.append(0xB8 | dst & 7)
            buf += _I16(imm)
        else:
            raise ValueError(f"bad width {w}")

    def _extend(self, op: int, dst: Reg, src: RM, w: int, sw: int) -> None:
        if type(dst) is not Reg:
            raise TypeError(f"destination must be a register, got {dst!r}")
        if sw >= w:
            raise ValueError(f"cannot extend {sw} bits to {w}")
        if sw == 8:
            rex = 0x40 if type(src) is Reg and 4 <= src <= 7 else 0
        elif sw == 16:
            op += 1
            rex = 0
        else:
            raise ValueError(f"bad source width {sw} (8 or 16)")
        if w == 64:
            rex |= 8
        elif w == 16:
            self.buf.append(0x66)
        elif w != 32:
            raise ValueError(f"bad width {w}")
        self._rm(_OPC[op], dst, src, rex)

    def movzx(self, dst: Reg, src: RM, w: int = 32, sw: int = 8) -> None:
        """Zero-extend the sw-bit (8/16) src into the w-bit dst."""
        self._extend(0x0FB6, dst, src, w, sw)

    def movsx(self, dst: Reg, src: RM, w: int = 32, sw: int = 8) -> None:
        """Sign-extend the sw-bit (8/16) src into the w-bit dst."""
        self._extend(0x0FBE, dst, src, w, sw)

    def movsxd(self, dst: Reg, src: RM) -> None:
        """movsxd r64, r/m32."""
        if type(dst) is not Reg:
            raise TypeError(f"destination must be a register, got {dst!r}")
        self._rm(b"\x63", dst, src, 8)

    def lea(self, dst: Reg, src: Mem, w: int = 32) -> None:
        """lea dst, [address] (w = 16, 32 or 64)."""
        if type(dst) is not Reg or type(src) is not Mem:
            raise TypeError("lea needs a register and a memory operand")
        self._rmv(0x8D, dst, src, w)

    def xchg(self, a: RM, b: RM, w: int = 32) -> None:
        """xchg a, b (the one-byte 90+r form when one side is the accumulator)."""
        if type(a) is Mem:
            a, b = b, a
        if type(a) is not Reg:
            raise TypeError(f"xchg needs a register operand, got {a!r}")
        if type(b) is Reg and w != 8 and (a == 0 or b == 0) and (w != 32 or a != b):
            r = a | b
            if w == 16:
                self.buf.append(0x66)
            rex = (8 if w == 64 else 0) | r >> 3
            if rex:
                self.buf.append(0x40 | rex)
            self.buf.append(0x90 | r & 7)
        elif type(b) is Mem:
            self._rmw(0x87, a, b, w)
        else:
            self._rmw(0x87, b, a, w)

    # ---- integer arithmetic -----------------------------------------------------------

    def _alu(self, ext: int, dst: RM, src: RM | int, w: int) -> None:
        ts = type(src)
        if ts is Reg:
            self._rmw(ext << 3 | 1, src, dst, w)
        elif ts is int:
            td = type(dst)
            imm = _signed(src, w)
            if w != 8 and -128 <= imm <= 127:
                self._rmw(0x83, ext, dst, w, _I8[imm & 0xFF])
            elif td is Reg and dst == 0:
                self._acc(ext << 3 | 5, w, _immw(imm, w))
            else:
                self._rmw(0x81, ext, dst, w, _immw(imm, w))
        elif ts is Mem:
            if type(dst) is not Reg:
                raise TypeError(f"destination must be a register, got {dst!r}")
            self._rmw(ext << 3 | 3, dst, src, w)
        else:
            raise TypeError(f"bad source operand {src!r}")

    def add(self, dst: RM, src: RM | int, w: int = 32) -> None:
        """add dst, src (r/m, r | r, m | r/m, imm; imm8 form when it fits)."""
        self._alu(0, dst, src, w)

    def or_(self, dst: RM, src: RM | int, w: int = 32) -> None:
        """or dst, src."""
        self._alu(1, dst, src, w)

    def adc(self, dst: RM, src: RM | int, w: int = 32) -> None:
        """adc dst, src."""
        self._alu(2, dst, src, w)

    def sbb(self, dst: RM, src: RM | int, w: int = 32) -> None:
        """sbb dst, src."""
        self._alu(3, dst, src, w)

    def and_(self, dst: RM, src: RM | int, w: int = 32) -> None:
        """and dst, src."""
        self._alu(4, dst, src, w)

    def sub(self, dst: RM, src: RM | int, w: int = 32) -> None:
        """sub dst, src."""
        self._alu(5, dst, src, w)

    def xor(self, dst: RM, src: RM | int, w: int = 32) -> None:
        """xor dst, src."""
        self._alu(6, dst, src, w)

    def cmp(self, dst: RM, src: RM | int, w: int = 32) -> None:
        """cmp dst, src."""
        self._alu(7, dst, src, w)

    def test(self, dst: RM, src: Reg | int, w: int = 32) -> None:
        """test r/m, r | r/m, imm."""
        ts = type(src)
        if ts is Reg:
            self._rmw(0x85, src, dst, w)
        elif ts is int:
            imm = _immw(_signed(src, w), w)
            if type(dst) is Reg and dst == 0:
                self._acc(0xA9, w, imm)
            else:
                self._rmw(0xF7, 0, dst, w, imm)
        else:
            raise TypeError(f"bad test source {src!r}")

    def inc(self, dst: RM, w: int = 32) -> None:
        """inc r/m."""
        self._rmw(0xFF, 0, dst, w)

    def dec(self, dst: RM, w: int = 32) -> None:
        """dec r/m."""
        self._rmw(0xFF, 1, dst, w)

    def not_(self, dst: RM, w: int = 32) -> None:
        """not r/m."""
        self._rmw(0xF7, 2, dst, w)

    def neg(self, dst: RM, w: int = 32) -> None:
        """neg r/m."""
        self._rmw(0xF7, 3, dst, w)

    def mul(self, src: RM, w: int = 32) -> None:
        """Unsigned rdx:rax = rax * src (edx:eax, ... for smaller w)."""
        self._rmw(0xF7, 4, src, w)

    def imul1(self, src: RM, w: int = 32) -> None:
        """One-operand signed imul: rdx:rax = rax * src."""
        self._rmw(0xF7, 5, src, w)

    def div(self, src: RM, w: int = 32) -> None:
        """Unsigned divide rdx:rax by src (quotient rax, remainder rdx)."""
        self._rmw(0xF7, 6, src, w)

    def idiv(self, src: RM, w: int = 32) -> None:
        """Signed divide rdx:rax by src."""
        self._rmw(0xF7, 7, src, w)

    def imul(self, dst: Reg, src: RM, w: int = 32) -> None:
        """imul dst, src (truncating)."""
        if type(dst) is not Reg:
            raise TypeError(f"destination must be a register, got {dst!r}")
        self._rmv(0x0FAF, dst, src, w)

    def imul3(self, dst: Reg, src: RM, imm: int, w: int = 32) -> None:
        """imul dst, src, imm (imm8 form when it fits)."""
        if type(dst) is not Reg:
            raise TypeError(f"destination must be a register, got {dst!r}")
        imm = _signed(imm, w)
        if -128 <= imm <= 127:
            self._rmv(0x6B, dst, src, w, _I8[imm & 0xFF])
        else:
            self._rmv(0x69, dst, src, w, _immw(imm, w))

    def cdq(self) -> None:
        """Sign-extend eax into edx."""
        self.buf.append(0x99)

    def cqo(self) -> None:
        """Sign-extend rax into rdx."""
        self.buf += b"\x48\x99"

    # ---- shifts and rotates -----------------------------------------------------------

    def _shift(self, ext: int, dst: RM, n: int, w: int) -> None:
        if type(n) is Reg:
            if n != 1:
                raise ValueError("a shift count register must be RCX (cl)")
            self._rmw(0xD3, ext, dst, w)
        elif n == 1:
            self._rmw(0xD1, ext, dst, w)
        elif 0 <= n <= 255:
            self._rmw(0xC1, ext, dst, w, _I8[n])
        else:
            raise ValueError(f"bad shift count {n!r}")

    def rol(self, dst: RM, n: int | Reg, w: int = 32) -> None:
        """rol dst, n (n an immediate, or RCX for cl)."""
        self._shift(0, dst, n, w)

    def ror(self, dst: RM, n: int | Reg, w: int = 32) -> None:
        """ror dst, n (n an immediate, or RCX for cl)."""
        self._shift(1, dst, n, w)

    def rcl(self, dst: RM, n: int | Reg, w: int = 32) -> None:
        """rcl dst, n (n an immediate, or RCX for cl)."""
        self._shift(2, dst, n, w)

    def rcr(self, dst: RM, n: int | Reg, w: int = 32) -> None:
        """rcr dst, n (n an immediate, or RCX for cl)."""
        self._shift(3, dst, n, w)

    def shl(self, dst: RM, n: int | Reg, w: int = 32) -> None:
        """shl dst, n (n an immediate, or RCX for cl)."""
        self._shift(4, dst, n, w)

    def shr(self, dst: RM, n: int | Reg, w: int = 32) -> None:
        """shr dst, n (n an immediate, or RCX for cl)."""
        self._shift(5, dst, n, w)

    def sar(self, dst: RM, n: int | Reg, w: int = 32) -> None:
        """sar dst, n (n an immediate, or RCX for cl)."""
        self._shift(7, dst, n, w)

    def _dshift(self, op: int, dst: RM, src: Reg, n: int | Reg, w: int) -> None:
        if type(src) is not Reg:
            raise TypeError(f"source must be a register, got {src!r}")
        if type(n) is Reg:
            if n != 1:
                raise ValueError("a shift count register must be RCX (cl)")
            self._rmv(op + 1, src, dst, w)
        elif 0 <= n <= 255:
            self._rmv(op, src, dst, w, _I8[n])
        else:
            raise ValueError(f"bad shift count {n!r}")

    def shld(self, dst: RM, src: Reg, n: int | Reg, w: int = 32) -> None:
        """shld dst, src, n (n an immediate, or RCX for cl)."""
        self._dshift(0x0FA4, dst, src, n, w)

    def shrd(self, dst: RM, src: Reg, n: int | Reg, w: int = 32) -> None:
        """shrd dst, src, n (n an immediate, or RCX for cl)."""
        self._dshift(0x0FAC, dst, src, n, w)

    # ---- bit operations ---------------------------------------------------------------

    def _bt(self, op: int, ext: int, dst: RM, bit: Reg | int, w: int) -> None:
        if type(bit) is Reg:
            self._rmv(op, bit, dst, w)
        elif 0 <= bit <= 255:
            self._rmv(0x0FBA, ext, dst, w, _I8[bit])
        else:
            raise ValueError(f"bad bit number {bit!r}")

    def bt(self, dst: RM, bit: Reg | int, w: int = 32) -> None:
        """CF = bit `bit` of dst."""
        self._bt(0x0FA3, 4, dst, bit, w)

    def bts(self, dst: RM, bit: Reg | int, w: int = 32) -> None:
        """bt, then set the bit."""
        self._bt(0x0FAB, 5, dst, bit, w)

    def btr(self, dst: RM, bit: Reg | int, w: int = 32) -> None:
        """bt, then clear the bit."""
        self._bt(0x0FB3, 6, dst, bit, w)

    def btc(self, dst: RM, bit: Reg | int, w: int = 32) -> None:
        """bt, then complement the bit."""
        self._bt(0x0FBB, 7, dst, bit, w)

    def _r_rm(self, op: int, dst: Reg, src: RM, w: int, pfx: bytes = b"") -> None:
        if type(dst) is not Reg:
            raise TypeError(f"destination must be a register, got {dst!r}")
        self._rmv(op, dst, src, w, b"", pfx)

    def bsf(self, dst: Reg, src: RM, w: int = 32) -> None:
        """bsf dst, src."""
        self._r_rm(0x0FBC, dst, src, w)

    def bsr(self, dst: Reg, src: RM, w: int = 32) -> None:
        """bsr dst, src."""
        self._r_rm(0x0FBD, dst, src, w)

    def lzcnt(self, dst: Reg, src: RM, w: int = 32) -> None:
        """lzcnt dst, src (ABM/LZCNT; decodes as bsr on CPUs without it)."""
        self._r_rm(0x0FBD, dst, src, w, b"\xf3")

    def tzcnt(self, dst: Reg, src: RM, w: int = 32) -> None:
        """tzcnt dst, src (BMI1; decodes as bsf on CPUs without it)."""
        self._r_rm(0x0FBC, dst, src, w, b"\xf3")

    def popcnt(self, dst: Reg, src: RM, w: int = 32) -> None:
        """popcnt dst, src."""
        self._r_rm(0x0FB8, dst, src, w, b"\xf3")

    def bswap(self, reg: Reg, w: int = 32) -> None:
        """bswap r32 / r64."""
        if type(reg) is not Reg:
            raise TypeError(f"bswap needs a register, got {reg!r}")
        if w != 32 and w != 64:
            raise ValueError(f"bad width {w} (32 or 64)")
        rex = (8 if w == 64 else 0) | reg >> 3
        if rex:
            self.buf.append(0x40 | rex)
        self.buf += _OPC[0x0FC8 | reg & 7]

    # ---- conditions -------------------------------------------------------------------

    def setcc(self, cc: int, dst: RM) -> None:
        """set<cc> r/m8."""
        rex = 0x40 if type(dst) is Reg and 4 <= dst <= 7 else 0
        self._rm(_OPC[0x0F90 | _cc(cc)], 0, dst, rex)

    def cmovcc(self, cc: int, dst: Reg, src: RM, w: int = 32) -> None:
        """cmov<cc> dst, src (w = 16, 32 or 64)."""
        self._r_rm(0x0F40 | _cc(cc), dst, src, w)

    # ---- control flow -----------------------------------------------------------------

    def jmp(self, target: Label | RM) -> int | None:
        """jmp rel32 to a label (returns the rel32 field offset), or jmp r/m64."""
        if type(target) is Label:
            self.buf.append(0xE9)
            return self._rel(target)
        self._rm(b"\xff", 4, target, 0)
        return None

    def call(self, target: Label | RM) -> int | None:
        """call rel32 to a label (returns the rel32 field offset), or call r/m64."""
        if type(target) is Label:
            self.buf.append(0xE8)
            return self._rel(target)
        self._rm(b"\xff", 2, target, 0)
        return None

    def jcc(self, cc: int, target: Label) -> int:
        """j<cc> rel32 to a label; returns the rel32 field offset."""
        self.buf += _OPC[0x0F80 | _cc(cc)]
        return self._rel(target)

    def jmp_abs(self, target: int) -> int:
        """jmp rel32 to host address target (resolved by link); returns the field offset."""
        self.buf.append(0xE9)
        return self._abs(target)

    def call_abs(self, target: int) -> int:
        """call rel32 to host address target (resolved by link); returns the field offset."""
        self.buf.append(0xE8)
        return self._abs(target)

    def jcc_abs(self, cc: int, target: int) -> int:
        """j<cc> rel32 to host address target (resolved by link); returns the field offset."""
        self.buf += _OPC[0x0F80 | _cc(cc)]
        return self._abs(target)

    def ret(self, pop: int = 0) -> None:
        """ret, or ret imm16 (pop extra bytes)."""
        if pop:
            self.buf.append(0xC2)
            self.buf += _I16(_signed(pop, 16))
        else:
            self.buf.append(0xC3)

    def push(self, src: RM | int) -> None:
        """push r64 | m64 | simm32."""
        t = type(src)
        if t is Reg:
            if src > 7:
                self.buf.append(0x41)
            self.buf.append(0x50 | src & 7)
        elif t is int:
            if -128 <= src <= 127:
                self.buf.append(0x6A)
                self.buf.append(src & 0xFF)
            else:
                self.buf.append(0x68)
                self.buf += _immw(_signed(src, 64), 64)
        else:
            self._rm(b"\xff", 6, src, 0)

    def pop(self, dst: RM) -> None:
        """pop r64 | m64."""
        if type(dst) is Reg:
            if dst > 7:
                self.buf.append(0x41)
            self.buf.append(0x58 | dst & 7)
        else:
            self._rm(b"\x8f", 0, dst, 0)

    # ---- miscellaneous ----------------------------------------------------------------

    def nop(self, n: int = 1) -> None:
        """n bytes of no-op, using the recommended multi-byte nops (at most 9 bytes each)."""
        while n > 0:
            k = 9 if n > 9 else n
            self.buf += _NOPS[k]
            n -= k

    def align(self, n: int) -> None:
        """Pad with nops to a multiple of n bytes."""
        self.nop(-len(self.buf) % n)

    def int3(self) -> None:
        """Breakpoint trap."""
        self.buf.append(0xCC)

    def ud2(self) -> None:
        """Guaranteed invalid opcode (SIGILL)."""
        self.buf += b"\x0f\x0b"

    def lahf(self) -> None:
        """ah = SF:ZF:0:AF:0:PF:1:CF."""
        self.buf.append(0x9F)

    def sahf(self) -> None:
        """SF, ZF, AF, PF, CF = ah."""
        self.buf.append(0x9E)

    def pushfq(self) -> None:
        """Push rflags."""
        self.buf.append(0x9C)

    def popfq(self) -> None:
        """Pop rflags."""
        self.buf.append(0x9D)

    def mfence(self) -> None:
        """Full memory fence."""
        self.buf += b"\x0f\xae\xf0"

    def cmpxchg(self, dst: RM, src: Reg, w: int = 32, lock: bool = True) -> None:
        """[lock] cmpxchg dst, src: if rax == dst then dst = src else rax = dst."""
        if type(src) is not Reg:
            raise TypeError(f"source must be a register, got {src!r}")
        if lock:
            self.buf.append(0xF0)
        self._rmw(0x0FB1, src, dst, w)

    # ---- SSE --------------------------------------------------------------------------

    def _sse(self, pfx: bytes, opc: bytes, dst: Xmm, src: XM, imm: bytes = b"") -> None:
        """pfx opc xmm, xmm/m (pfx: none, 66, F2 or F3)."""
        if type(dst) is not Xmm:
            raise TypeError(f"destination must be an xmm register, got {dst!r}")
        if pfx:
            self.buf += pfx
        self._rm(opc, dst, src, 0, imm, Xmm)

    def _sse_mov(self, pfx: bytes, load: bytes, store: bytes, dst: XM, src: XM) -> None:
        if type(dst) is Mem:
            if type(src) is not Xmm:
                raise TypeError(f"source must be an xmm register, got {src!r}")
            if pfx:
                self.buf += pfx
            self._rm(store, src, dst, 0, b"", Xmm)
        else:
            self._sse(pfx, load, dst, src)

    def movss(self, dst: XM, src: XM) -> None:
        """movss xmm, xmm/m32 | m32, xmm."""
        self._sse_mov(b"\xf3", b"\x0f\x10", b"\x0f\x11", dst, src)

    def movsd(self, dst: XM, src: XM) -> None:
        """movsd xmm, xmm/m64 | m64, xmm."""
        self._sse_mov(b"\xf2", b"\x0f\x10", b"\x0f\x11", dst, src)

    def movaps(self, dst: XM, src: XM) -> None:
        """movaps xmm, xmm/m128 | m128, xmm (aligned)."""
        self._sse_mov(b"", b"\x0f\x28", b"\x0f\x29", dst, src)

    def movapd(self, dst: XM, src: XM) -> None:
        """movapd xmm, xmm/m128 | m128, xmm (aligned)."""
        self._sse_mov(b"\x66", b"\x0f\x28", b"\x0f\x29", dst, src)

    def _movdq(self, dst: Xmm | RM, src: Xmm | RM, rex: int) -> None:
        """movd/movq between an xmm and a general register or memory."""
        if type(dst) is Xmm:
            self.buf.append(0x66)
            self._rm(b"\x0f\x6e", dst, src, rex)
        elif type(src) is Xmm:
            self.buf.append(0x66)
            self._rm(b"\x0f\x7e", src, dst, rex)
        else:
            raise TypeError("movd/movq need an xmm operand")

    def movd(self, dst: Xmm | RM, src: Xmm | RM) -> None:
        """movd xmm, r/m32 | r/m32, xmm."""
        self._movdq(dst, src, 0)

    def movq(self, dst: Xmm | RM, src: Xmm | RM) -> None:
        """movq xmm, r64 | r64, xmm | xmm, xmm/m64 | m64, xmm."""
        td, ts = type(dst), type(src)
        if td is Xmm and (ts is Xmm or ts is Mem):
            self._sse(b"\xf3", b"\x0f\x7e", dst, src)
        elif td is Mem and ts is Xmm:
            self.buf.append(0x66)
            self._rm(b"\x0f\xd6", src, dst, 0, b"", Xmm)
        elif td is Mem or ts is Mem:
            raise TypeError("movq with memory needs an xmm operand")
        else:
            self._movdq(dst, src, 8)

    def addss(self, dst: Xmm, src: XM) -> None:
        """addss dst, src."""
        self._sse(b"\xf3", b"\x0f\x58", dst, src)

    def addsd(self, dst: Xmm, src: XM) -> None:
        """addsd dst, src."""
        self._sse(b"\xf2", b"\x0f\x58", dst, src)

    def subss(self, dst: Xmm, src: XM) -> None:
        """subss dst, src."""
        self._sse(b"\xf3", b"\x0f\x5c", dst, src)

    def subsd(self, dst: Xmm, src: XM) -> None:
        """subsd dst, src."""
        self._sse(b"\xf2", b"\x0f\x5c", dst, src)

    def mulss(self, dst: Xmm, src: XM) -> None:
        """mulss dst, src."""
        self._sse(b"\xf3", b"\x0f\x59", dst, src)

    def mulsd(self, dst: Xmm, src: XM) -> None:
        """mulsd dst, src."""
        self._sse(b"\xf2", b"\x0f\x59", dst, src)

    def divss(self, dst: Xmm, src: XM) -> None:
        """divss dst, src."""
        self._sse(b"\xf3", b"\x0f\x5e", dst, src)

    def divsd(self, dst: Xmm, src: XM) -> None:
        """divsd dst, src."""
        self._sse(b"\xf2", b"\x0f\x5e", dst, src)

    def sqrtss(self, dst: Xmm, src: XM) -> None:
        """sqrtss dst, src."""
        self._sse(b"\xf3", b"\x0f\x51", dst, src)

    def sqrtsd(self, dst: Xmm, src: XM) -> None:
        """sqrtsd dst, src."""
        self._sse(b"\xf2", b"\x0f\x51", dst, src)

    def minss(self, dst: Xmm, src: XM) -> None:
        """minss dst, src (returns src when either is NaN or both are zero)."""
        self._sse(b"\xf3", b"\x0f\x5d", dst, src)

    def minsd(self, dst: Xmm, src: XM) -> None:
        """minsd dst, src (returns src when either is NaN or both are zero)."""
        self._sse(b"\xf2", b"\x0f\x5d", dst, src)

    def maxss(self, dst: Xmm, src: XM) -> None:
        """maxss dst, src (returns src when either is NaN or both are zero)."""
        self._sse(b"\xf3", b"\x0f\x5f", dst, src)

    def maxsd(self, dst: Xmm, src: XM) -> None:
        """maxsd dst, src (returns src when either is NaN or both are zero)."""
        self._sse(b"\xf2", b"\x0f\x5f", dst, src)

    def ucomiss(self, a: Xmm, b: XM) -> None:
        """Unordered compare of singles into ZF/PF/CF."""
        self._sse(b"", b"\x0f\x2e", a, b)

    def ucomisd(self, a: Xmm, b: XM) -> None:
        """Unordered compare of doubles into ZF/PF/CF."""
        self._sse(b"\x66", b"\x0f\x2e", a, b)

    def comiss(self, a: Xmm, b: XM) -> None:
        """Ordered compare of singles (signals on QNaN too)."""
        self._sse(b"", b"\x0f\x2f", a, b)

    def comisd(self, a: Xmm, b: XM) -> None:
        """Ordered compare of doubles (signals on QNaN too)."""
        self._sse(b"\x66", b"\x0f\x2f", a, b)

    def cvtss2sd(self, dst: Xmm, src: XM) -> None:
        """Single to double."""
        self._sse(b"\xf3", b"\x0f\x5a", dst, src)

    def cvtsd2ss(self, dst: Xmm, src: XM) -> None:
        """Double to single (rounded per MXCSR)."""
        self._sse(b"\xf2", b"\x0f\x5a", dst, src)

    def _cvt_from_int(self, pfx: bytes, dst: Xmm, src: RM, w: int) -> None:
        if type(dst) is not Xmm:
            raise TypeError(f"destination must be an xmm register, got {dst!r}")
        if w != 32 and w != 64:
            raise ValueError(f"bad width {w} (32 or 64)")
        self.buf += pfx
        self._rm(b"\x0f\x2a", dst, src, 8 if w == 64 else 0)

    def cvtsi2ss(self, dst: Xmm, src: RM, w: int = 32) -> None:
        """Signed w-bit integer to single."""
        self._cvt_from_int(b"\xf3", dst, src, w)

    def cvtsi2sd(self, dst: Xmm, src: RM, w: int = 32) -> None:
        """Signed w-bit integer to double."""
        self._cvt_from_int(b"\xf2", dst, src, w)

    def _cvt_to_int(self, pfx: bytes, op: int, dst: Reg, src: XM, w: int) -> None:
        if type(dst) is not Reg:
            raise TypeError(f"destination must be a register, got {dst!r}")
        if w != 32 and w != 64:
            raise ValueError(f"bad width {w} (32 or 64)")
        self.buf += pfx
        self._rm(_OPC[op], dst, src, 8 if w == 64 else 0, b"", Xmm)

    def cvttss2si(self, dst: Reg, src: XM, w: int = 32) -> None:
        """Single to signed w-bit integer, truncating (0x80..0 when out of range)."""
        self._cvt_to_int(b"\xf3", 0x0F2C, dst, src, w)

    def cvttsd2si(self, dst: Reg, src: XM, w: int = 32) -> None:
        """Double to signed w-bit integer, truncating (0x80..0 when out of range)."""
        self._cvt_to_int(b"\xf2", 0x0F2C, dst, src, w)

    def cvtss2si(self, dst: Reg, src: XM, w: int = 32) -> None:
        """Single to signed w-bit integer, rounded per MXCSR."""
        self._cvt_to_int(b"\xf3", 0x0F2D, dst, src, w)

    def cvtsd2si(self, dst: Reg, src: XM, w: int = 32) -> None:
        """Double to signed w-bit integer, rounded per MXCSR."""
        self._cvt_to_int(b"\xf2", 0x0F2D, dst, src, w)

    def andps(self, dst: Xmm, src: XM) -> None:
        """Bitwise and (packed single)."""
        self._sse(b"", b"\x0f\x54", dst, src)

    def andpd(self, dst: Xmm, src: XM) -> None:
        """Bitwise and (packed double)."""
        self._sse(b"\x66", b"\x0f\x54", dst, src)

    def andnps(self, dst: Xmm, src: XM) -> None:
        """dst = ~dst & src (packed single)."""
        self._sse(b"", b"\x0f\x55", dst, src)

    def andnpd(self, dst: Xmm, src: XM) -> None:
        """dst = ~dst & src (packed double)."""
        self._sse(b"\x66", b"\x0f\x55", dst, src)

    def orps(self, dst: Xmm, src: XM) -> None:
        """Bitwise or (packed single)."""
        self._sse(b"", b"\x0f\x56", dst, src)

    def orpd(self, dst: Xmm, src: XM) -> None:
        """Bitwise or (packed double)."""
        self._sse(b"\x66", b"\x0f\x56", dst, src)

    def xorps(self, dst: Xmm, src: XM) -> None:
        """Bitwise xor (packed single)."""
        self._sse(b"", b"\x0f\x57", dst, src)

    def xorpd(self, dst: Xmm, src: XM) -> None:
        """Bitwise xor (packed double)."""
        self._sse(b"\x66", b"\x0f\x57", dst, src)

    def pxor(self, dst: Xmm, src: XM) -> None:
        """Bitwise xor (integer)."""
        self._sse(b"\x66", b"\x0f\xef", dst, src)

    def roundss(self, dst: Xmm, src: XM, mode: int) -> None:
        """SSE4.1 round single; mode 0 nearest, 1 down, 2 up, 3 truncate, 4 MXCSR (+8: no
        precision exception)."""
        self._sse(b"\x66", b"\x0f\x3a\x0a", dst, src, _I8[_round_mode(mode)])

    def roundsd(self, dst: Xmm, src: XM, mode: int) -> None:
        """SSE4.1 round double; modes as roundss."""
        self._sse(b"\x66", b"\x0f\x3a\x0b", dst, src, _I8[_round_mode(mode)])

    def ldmxcsr(self, src: Mem) -> None:
        """MXCSR = m32."""
        if type(src) is not Mem:
            raise TypeError(f"ldmxcsr needs a memory operand, got {src!r}")
        self._rm(b"\x0f\xae", 2, src, 0)

    def stmxcsr(self, dst: Mem) -> None:
        """m32 = MXCSR."""
        if type(dst) is not Mem:
            raise TypeError(f"stmxcsr needs a memory operand, got {dst!r}")
        self._rm(b"\x0f\xae", 3, dst, 0)
