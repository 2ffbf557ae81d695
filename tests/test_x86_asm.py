"""The JIT's x86-64 assembler (translator/backends/x86/asm.py), checked against keystone.

Every encoding method is run over many operand combinations (all 16 registers, memory
operands with RSP/RBP/R12/R13 bases, index registers, 0/8/32-bit displacements of both signs,
immediates at the 8/32-bit boundaries) and its bytes must equal keystone's for the same
Intel-syntax text.  Where keystone cannot serve as the reference the test says so and
compares differently: a bare ``[disp32]`` (keystone makes it rip-relative) and the long nops
(keystone mis-assembles them) are checked by decoding with capstone; ``mov r64, imm`` with
0 <= imm < 2**32 is checked against keystone's ``mov r32, imm`` (the shorter, zero-extending
form we pick); rel32 jumps are checked with targets beyond rel8 reach (keystone prefers
rel8).  A final group runs emitted code natively from an RWX page.

Micro-benchmark: ``PYTHONPATH=. python tests/test_x86_asm.py`` times 10,000 typical JIT
instructions (memory loads/stores, ALU with registers and immediates, setcc, movzx, lea,
shifts, jcc to a label): 6.3 ms, about 0.63 us per instruction, on the development machine.
"""
from __future__ import annotations

import ctypes
import itertools
import timeit

import pytest

from translator.backends.x86.asm import (
    CC, GPR, R8, R9, R10, R11, R12, R13, R14, R15, RAX, RBP, RBX, RCX, RDI, RDX, RSI, RSP, XMM,
    XMM0, XMM1, XMM8, XMM15, Asm, Mem, Reg, mem, patch_rel32, rel32, rip,
)

keystone = pytest.importorskip("keystone")
capstone = pytest.importorskip("capstone")
KS = keystone.Ks(keystone.KS_ARCH_X86, keystone.KS_MODE_64)
CS = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)

N64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi"] + [f"r{i}" for i in range(8, 16)]
N32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"] + [f"r{i}d" for i in range(8, 16)]
N16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di"] + [f"r{i}w" for i in range(8, 16)]
N8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil"] + [f"r{i}b" for i in range(8, 16)]
NAMES = {8: N8, 16: N16, 32: N32, 64: N64}
PTR = {8: "byte", 16: "word", 32: "dword", 64: "qword", 128: "xmmword"}
WIDTHS = (8, 16, 32, 64)
CCS = ["o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g"]
ALU = [("add", "add"), ("or", "or_"), ("adc", "adc"), ("sbb", "sbb"), ("and", "and_"),
       ("sub", "sub"), ("xor", "xor"), ("cmp", "cmp")]


def r(reg: int, w: int) -> str:
    return NAMES[w][reg]


def x(reg: int) -> str:
    return f"xmm{int(reg)}"


def mem_text(base: int | None, disp: int, index: int | None, scale: int) -> str:
    parts = [] if base is None else [N64[base]]
    if index is not None:
        parts.append(f"{N64[index]}*{scale}")
    s = " + ".join(parts)
    if not parts:
        s = f"{disp:#x}"
    elif disp > 0:
        s += f" + {disp:#x}"
    elif disp < 0:
        s += f" - {-disp:#x}"
    return f"[{s}]"


def m(base: int | None, disp: int = 0, index: int | None = None, scale: int = 1) -> tuple[Mem, str]:
    return mem(base, disp, index, scale), mem_text(base, disp, index, scale)


DISPS = [0, 1, -1, 0x7F, -0x80, 0x80, -0x81, 0x1234, 0x7FFFFFFF, -0x80000000]
INDEXES = [None, RAX, RCX, RBP, R12, R13, R15]
# the memory matrix: every base, displacement size/sign and index/scale
ALL_MEMS = [m(b, d, i, s) for b in GPR for d in DISPS for i in INDEXES
            for s in ((1,) if i is None else (1, 2, 4, 8))]
ALL_MEMS += [m(None, d, i, s) for d in (0, 0x10, 0x7FFFFFFF, -0x80) for i in (RAX, RBP, R13, R15)
             for s in (1, 2, 4, 8)]
# keystone turns a bare [disp32] into rip-relative, so these are checked by decoding
ABS_MEMS = [m(None, d) for d in (0x10, 0x7FFF0000, 0x12345678)]
ALL_MEMS += [(rip(d), f"[rip + {d:#x}]" if d >= 0 else f"[rip - {-d:#x}]")
             for d in (0, 0x10, -0x10, 0x7FFFFFFF, -0x80000000)]
# a representative subset for every other instruction
MEMS = [m(RAX), m(RSP), m(RBP), m(R12), m(R13), m(RSP, 8), m(RBP, -8), m(R12, 0x80),
        m(R13, -0x81), m(R15, 0x12345678), m(RAX, 0, RCX), m(RSP, -0x80, R12, 2),
        m(RBP, 0x7F, R13, 8), m(R13, 0, RBP, 4), m(R8, -0x80000000, R15, 8),
        m(None, 0x1000, RDX, 4), (rip(0x40), "[rip + 0x40]")]


def imms(w: int) -> list[int]:
    """Immediates around the imm8 / imm16 / imm32 boundaries that are valid for width w
    (64-bit operations take sign-extended imm32)."""
    base = [0, 1, -1, 5, 0x7F, -0x80, 0x80, -0x81, 0xFF, 0x100, 0x7FFF, -0x8000, 0xFFFF,
            0x12345, 0x7FFFFFFF, -0x80000000, 0x80000000, 0xFFFFFFFF, -0x12345678]
    if w == 64:
        return [i for i in base if -0x80000000 <= i < 0x80000000]
    return [i for i in base if -(1 << (w - 1)) <= i < (1 << w)]


def ks(text: str, addr: int = 0) -> bytes:
    return bytes(KS.asm(text, addr)[0] or b"")


def decode(code: bytes) -> str:
    """capstone's text for code, or a marker when it does not decode completely."""
    out, n = [], 0
    for _, size, mnem, ops in CS.disasm_lite(code, 0):
        out.append(f"{mnem} {ops}")
        n += size
    return "; ".join(out) if n == len(code) else f"<undecodable {code.hex(' ')}>"


def emit(method: str, *args: object) -> bytes:
    a = Asm()
    getattr(a, method)(*args)
    return bytes(a.buf)


class Checker:
    """Collects mismatches between Asm and keystone over many cases; `done` asserts none."""

    def __init__(self) -> None:
        self.bad: list[str] = []
        self.count = 0

    def __call__(self, text: str, method: str, *args: object) -> None:
        """Check `method(*args)` == keystone(text), byte for byte."""
        self.count += 1
        try:
            want = ks(text)
        except keystone.KsError as e:
            self.bad.append(f"{text}: keystone error {e}")
            return
        got = emit(method, *args)
        if got != want:
            self.bad.append(f"{text}: got {got.hex(' ')}, keystone {want.hex(' ')}")

    def decodes(self, text: str, method: str, *args: object) -> None:
        """Check that capstone decodes `method(*args)` back to text (for what keystone
        cannot express)."""
        self.count += 1
        got = emit(method, *args)
        if decode(got) != text:
            self.bad.append(f"{text}: got {got.hex(' ')}, decoded as {decode(got)}")

    def done(self, at_least: int) -> None:
        assert not self.bad, f"{len(self.bad)} of {self.count} differ:\n" + "\n".join(self.bad[:40])
        assert self.count >= at_least


@pytest.fixture
def chk() -> Checker:
    return Checker()


def reg_pairs() -> list[tuple[Reg, Reg]]:
    """Every register against a few others, both ways round."""
    few = (RAX, RSP, RBP, RDI, R8, R12, R13, R15)
    return sorted({(a, b) for a in GPR for b in few} | {(b, a) for a in GPR for b in few})


def xmm_pairs() -> list[tuple[int, int]]:
    few = (XMM0, XMM1, XMM8, XMM15)
    return sorted({(a, b) for a in XMM for b in few} | {(b, a) for a in XMM for b in few})


# ---- memory operands and moves ----------------------------------------------------------

def test_memory_operand_matrix(chk: Checker) -> None:
    for mo, mt in ALL_MEMS:
        for reg in (RCX, R9):            # not rax: keystone uses moffs for mov eax, [abs]
            chk(f"mov {r(reg, 32)}, dword ptr {mt}", "mov", reg, mo)
            chk(f"mov qword ptr {mt}, {r(reg, 64)}", "mov", mo, reg, 64)
        chk(f"lea {r(R13, 64)}, {mt}", "lea", R13, mo, 64)
    for mo, mt in ABS_MEMS:
        for reg in GPR:
            chk.decodes(f"mov {r(reg, 32)}, dword ptr {mt}", "mov", reg, mo)
            chk.decodes(f"add qword ptr {mt}, {r(reg, 64)}", "add", mo, reg, 64)
            chk.decodes(f"lea {r(reg, 64)}, {mt}", "lea", reg, mo, 64)
        chk.decodes(f"movsd xmm5, qword ptr {mt}", "movsd", XMM[5], mo)
    chk.done(9000)


def test_mem_validation() -> None:
    with pytest.raises(ValueError):
        mem(RAX, 0, RSP)
    with pytest.raises(ValueError):
        mem(RAX, 0x80000000)
    with pytest.raises(ValueError):
        mem(RAX, 0, RCX, 3)
    with pytest.raises(ValueError):
        mem(RAX, 0, None, 4)
    assert repr(mem(R12, -8, R13, 8)) == "[r12 + r13*8 + -0x8]"
    assert repr(rip(0x10)) == "[rip + 0x10]"


def test_mov(chk: Checker) -> None:
    for w in WIDTHS:
        for a, b in itertools.product(GPR, GPR):
            chk(f"mov {r(a, w)}, {r(b, w)}", "mov", a, b, w)
        for reg in GPR:
            for mo, mt in MEMS[:6]:
                chk(f"mov {r(reg, w)}, {PTR[w]} ptr {mt}", "mov", reg, mo, w)
                chk(f"mov {PTR[w]} ptr {mt}, {r(reg, w)}", "mov", mo, reg, w)
        for mo, mt in MEMS:
            for i in imms(w):
                chk(f"mov {PTR[w]} ptr {mt}, {i:#x}", "mov", mo, i, w)
    for w in (8, 16, 32):
        for reg in GPR:
            for i in imms(w):
                chk(f"mov {r(reg, w)}, {i:#x}", "mov", reg, i, w)
    chk.done(3000)


def test_mov_r64_imm(chk: Checker) -> None:
    for reg in GPR:
        for i in (-1, -0x80, -0x80000000, -0x80000001, 0x100000000, 0x123456789ABCDEF0,
                  -0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF):
            chk(f"mov {r(reg, 64)}, {i:#x}", "mov", reg, i, 64)
        # Values in 0..2**32-1 take the shorter mov r32, imm32 (it zero-extends); keystone
        # picks the 7-byte mov r/m64, simm32 or a movabs, so compare with the r32 text.
        for i in (0, 1, 0x7F, 0x80, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF):
            chk(f"mov {r(reg, 32)}, {i:#x}", "mov", reg, i, 64)
    with pytest.raises(ValueError):
        emit("mov", RAX, 1 << 64, 64)
    with pytest.raises(ValueError):
        emit("mov", mem(RAX), 0x80000000, 64)
    chk.done(250)


def test_movzx_movsx_movsxd(chk: Checker) -> None:
    for (name, meth), (w, sw) in itertools.product(
            (("movzx", "movzx"), ("movsx", "movsx")),
            ((16, 8), (32, 8), (64, 8), (32, 16), (64, 16))):
        for a, b in reg_pairs():
            chk(f"{name} {r(a, w)}, {r(b, sw)}", meth, a, b, w, sw)
        for mo, mt in MEMS:
            chk(f"{name} {r(R10, w)}, {PTR[sw]} ptr {mt}", meth, R10, mo, w, sw)
    for a, b in reg_pairs():
        chk(f"movsxd {r(a, 64)}, {r(b, 32)}", "movsxd", a, b)
    for mo, mt in MEMS:
        chk(f"movsxd rdx, dword ptr {mt}", "movsxd", RDX, mo)
    with pytest.raises(ValueError):
        emit("movzx", RAX, RCX, 8, 8)
    chk.done(1500)


def test_lea_xchg_cmpxchg(chk: Checker) -> None:
    for w in (16, 32, 64):
        for reg in GPR:
            for mo, mt in MEMS:
                chk(f"lea {r(reg, w)}, {mt}", "lea", reg, mo, w)
    for w in WIDTHS:
        for a, b in itertools.product(GPR, GPR):
            chk(f"xchg {r(a, w)}, {r(b, w)}", "xchg", a, b, w)
        for mo, mt in MEMS:
            chk(f"xchg {PTR[w]} ptr {mt}, {r(R11, w)}", "xchg", mo, R11, w)
            chk(f"xchg {r(RSI, w)}, {PTR[w]} ptr {mt}", "xchg", RSI, mo, w)
            chk(f"lock cmpxchg {PTR[w]} ptr {mt}, {r(RDI, w)}", "cmpxchg", mo, RDI, w)
        for a, b in reg_pairs():
            chk(f"cmpxchg {r(a, w)}, {r(b, w)}", "cmpxchg", a, b, w, False)
    chk.done(2500)


# ---- integer arithmetic -------------------------------------------------------------------

def test_alu(chk: Checker) -> None:
    for (name, meth), w in itertools.product(ALU, WIDTHS):
        for a, b in reg_pairs():
            chk(f"{name} {r(a, w)}, {r(b, w)}", meth, a, b, w)
        for reg in (RAX, RCX, RSP, RBP, RSI, RDI, R8, R12, R15):
            for i in imms(w):
                chk(f"{name} {r(reg, w)}, {i:#x}", meth, reg, i, w)
        for mo, mt in MEMS[::2]:
            chk(f"{name} {r(R9, w)}, {PTR[w]} ptr {mt}", meth, R9, mo, w)
            chk(f"{name} {PTR[w]} ptr {mt}, {r(RBP, w)}", meth, mo, RBP, w)
            for i in (1, -0x80, 0x80, 0x7FFF):
                if i in imms(w):
                    chk(f"{name} {PTR[w]} ptr {mt}, {i:#x}", meth, mo, i, w)
    with pytest.raises(ValueError):
        emit("add", RAX, 0x80000000, 64)
    with pytest.raises(ValueError):
        emit("add", RAX, 0x100, 8)
    with pytest.raises(TypeError):
        emit("add", 5, RAX)              # a plain int is an immediate, not a register
    with pytest.raises(TypeError):
        emit("add", mem(RAX), mem(RCX))
    chk.done(10000)


def test_test(chk: Checker) -> None:
    for w in WIDTHS:
        for a, b in reg_pairs():
            chk(f"test {r(a, w)}, {r(b, w)}", "test", a, b, w)
        for reg in GPR:
            for i in imms(w):
                chk(f"test {r(reg, w)}, {i:#x}", "test", reg, i, w)
        for mo, mt in MEMS:
            chk(f"test {PTR[w]} ptr {mt}, {r(R14, w)}", "test", mo, R14, w)
            for i in (1, 0x7F, -1):
                chk(f"test {PTR[w]} ptr {mt}, {i:#x}", "test", mo, i, w)
    chk.done(1500)


def test_unary_mul_div(chk: Checker) -> None:
    ops = [("inc", "inc"), ("dec", "dec"), ("not", "not_"), ("neg", "neg"), ("mul", "mul"),
           ("imul", "imul1"), ("div", "div"), ("idiv", "idiv")]
    for (name, meth), w in itertools.product(ops, WIDTHS):
        for reg in GPR:
            chk(f"{name} {r(reg, w)}", meth, reg, w)
        for mo, mt in MEMS:
            chk(f"{name} {PTR[w]} ptr {mt}", meth, mo, w)
    for w in (16, 32, 64):
        for a, b in reg_pairs():
            chk(f"imul {r(a, w)}, {r(b, w)}", "imul", a, b, w)
            for i in (0, -1, 0x7F, -0x80, 0x80, 0x7FFF):
                chk(f"imul {r(a, w)}, {r(b, w)}, {i:#x}", "imul3", a, b, i, w)
        for mo, mt in MEMS:
            chk(f"imul {r(R12, w)}, {PTR[w]} ptr {mt}", "imul", R12, mo, w)
            chk(f"imul {r(RSP, w)}, {PTR[w]} ptr {mt}, 0x1234", "imul3", RSP, mo, 0x1234, w)
    for i in (0x12345678, -0x80000000, 0xFFFFFFFF):
        chk(f"imul eax, ecx, {i:#x}", "imul3", RAX, RCX, i, 32)
    assert emit("cdq") == ks("cdq") and emit("cqo") == ks("cqo")
    chk.done(5000)


def test_shifts(chk: Checker) -> None:
    ops = [("rol", "rol"), ("ror", "ror"), ("rcl", "rcl"), ("rcr", "rcr"), ("shl", "shl"),
           ("shr", "shr"), ("sar", "sar")]
    for (name, meth), w in itertools.product(ops, WIDTHS):
        for reg in GPR:
            chk(f"{name} {r(reg, w)}, cl", meth, reg, RCX, w)
            for n in (0, 1, 2, 31, 63, 255):
                chk(f"{name} {r(reg, w)}, {n}", meth, reg, n, w)
        for mo, mt in MEMS[::3]:
            chk(f"{name} {PTR[w]} ptr {mt}, cl", meth, mo, RCX, w)
            chk(f"{name} {PTR[w]} ptr {mt}, 1", meth, mo, 1, w)
            chk(f"{name} {PTR[w]} ptr {mt}, 7", meth, mo, 7, w)
    for name, w in itertools.product(("shld", "shrd"), (16, 32, 64)):
        for a, b in reg_pairs():
            chk(f"{name} {r(a, w)}, {r(b, w)}, 5", name, a, b, 5, w)
            chk(f"{name} {r(a, w)}, {r(b, w)}, cl", name, a, b, RCX, w)
        for mo, mt in MEMS:
            chk(f"{name} {PTR[w]} ptr {mt}, {r(R8, w)}, 1", name, mo, R8, 1, w)
    with pytest.raises(ValueError):
        emit("shl", RAX, RDX)            # only cl can hold a shift count
    with pytest.raises(ValueError):
        emit("shl", RAX, 256)
    chk.done(5000)


def test_bit_ops(chk: Checker) -> None:
    for name, w in itertools.product(("bt", "bts", "btr", "btc"), (16, 32, 64)):
        for a, b in reg_pairs():
            chk(f"{name} {r(a, w)}, {r(b, w)}", name, a, b, w)
        for reg in GPR:
            chk(f"{name} {r(reg, w)}, 5", name, reg, 5, w)
        for mo, mt in MEMS:
            chk(f"{name} {PTR[w]} ptr {mt}, {r(RBX, w)}", name, mo, RBX, w)
            chk(f"{name} {PTR[w]} ptr {mt}, 31", name, mo, 31, w)
    for name, w in itertools.product(("bsf", "bsr", "lzcnt", "tzcnt", "popcnt"), (16, 32, 64)):
        for a, b in reg_pairs():
            chk(f"{name} {r(a, w)}, {r(b, w)}", name, a, b, w)
        for mo, mt in MEMS:
            chk(f"{name} {r(R13, w)}, {PTR[w]} ptr {mt}", name, R13, mo, w)
    for w in (32, 64):
        for reg in GPR:
            chk(f"bswap {r(reg, w)}", "bswap", reg, w)
    chk.done(4000)


def test_conditions(chk: Checker) -> None:
    assert CC.C == CC.B and CC.Z == CC.E and CC.NZ == CC.NE and CC.E.invert() == CC.NE
    for cc, suffix in enumerate(CCS):
        for reg in GPR:
            chk(f"set{suffix} {r(reg, 8)}", "setcc", CC(cc), reg)
        for mo, mt in MEMS[::2]:
            chk(f"set{suffix} byte ptr {mt}", "setcc", cc, mo)
        for w in (16, 32, 64):
            for a, b in reg_pairs()[::3]:
                chk(f"cmov{suffix} {r(a, w)}, {r(b, w)}", "cmovcc", cc, a, b, w)
            for mo, mt in MEMS[::2]:
                chk(f"cmov{suffix} {r(RDI, w)}, {PTR[w]} ptr {mt}", "cmovcc", cc, RDI, mo, w)
    with pytest.raises(ValueError):
        emit("setcc", 16, RAX)
    chk.done(3000)


# ---- control flow and misc ------------------------------------------------------------

def test_indirect_push_pop_misc(chk: Checker) -> None:
    for reg in GPR:
        chk(f"jmp {r(reg, 64)}", "jmp", reg)
        chk(f"call {r(reg, 64)}", "call", reg)
        chk(f"push {r(reg, 64)}", "push", reg)
        chk(f"pop {r(reg, 64)}", "pop", reg)
    for mo, mt in MEMS:
        chk(f"jmp qword ptr {mt}", "jmp", mo)
        chk(f"call qword ptr {mt}", "call", mo)
        chk(f"push qword ptr {mt}", "push", mo)
        chk(f"pop qword ptr {mt}", "pop", mo)
    for i in (0, 1, -1, 0x7F, -0x80, 0x80, -0x81, 0x7FFFFFFF, -0x80000000):
        chk(f"push {i:#x}", "push", i)
    for text, meth in (("ret", "ret"), ("int3", "int3"), ("ud2", "ud2"), ("lahf", "lahf"),
                       ("sahf", "sahf"), ("pushfq", "pushfq"), ("popfq", "popfq"),
                       ("mfence", "mfence")):
        chk(text, meth)
    chk("ret 8", "ret", 8)
    chk.done(110)


def test_nop_and_align() -> None:
    # keystone mis-assembles the long nops (`nop dword ptr [rax]` comes out as 0F 18,
    # a prefetch), so check that capstone decodes each as one nop of the right length.
    for n in range(1, 10):
        code = emit("nop", n)
        assert len(code) == n
        insns = list(CS.disasm_lite(code, 0))
        assert len(insns) == 1 and insns[0][2] == "nop" and insns[0][1] == n, code.hex()
    assert len(emit("nop", 30)) == 30 and decode(emit("nop", 30)).count("nop") == 4
    a = Asm()
    a.int3()
    a.align(16)
    assert len(a.buf) == 16
    a.align(16)
    assert len(a.buf) == 16


def test_labels() -> None:
    a = Asm()
    top, end = a.label(), a.label()
    a.bind(top)
    fields = [a.jmp(end), a.jcc(CC.NE, top), a.call(end)]
    for cc in range(16):
        fields.append(a.jcc(cc, end))
        fields.append(a.jcc(cc, top))
    a.nop(3)
    a.bind(end)
    a.ret()
    a.jmp(top)
    code = a.link(0)
    for f in fields:
        assert code[f - 1] in (0xE9, 0xE8) or 0x80 <= code[f - 1] <= 0x8F
    targets = [int(ops, 16) for _, _, mnem, ops in CS.disasm_lite(code, 0)
               if mnem.startswith(("j", "call"))]
    assert targets == [end.pos, top.pos, end.pos] + [end.pos, top.pos] * 16 + [top.pos]
    with pytest.raises(ValueError):
        a.bind(end)


def test_jcc_matches_keystone() -> None:
    # keystone picks rel8 for near targets, so put the target beyond rel8 reach
    for cc, suffix in enumerate(CCS):
        a = Asm()
        fwd = a.label()
        a.jcc(cc, fwd)
        a.nop(200)
        a.bind(fwd)
        back = a.label()
        a.bind(back)
        a.nop(200)
        a.jcc(cc, back)
        assert bytes(a.buf[:6]) == ks(f"j{suffix} {fwd.pos:#x}")
        assert bytes(a.buf[-6:]) == ks(f"j{suffix} {back.pos:#x}", len(a.buf) - 6)


def test_unbound_label_and_absolute_jumps() -> None:
    a = Asm()
    a.jmp(a.label())
    with pytest.raises(ValueError):
        a.link(0)
    base = 0x7F00_0000_0000
    targets = [base - 0x1000, base + 0x7000_0000, base + 5]
    a = Asm()
    fa = a.jmp_abs(targets[0])
    fb = a.call_abs(targets[1])
    fc = a.jcc_abs(CC.LE, targets[2])
    assert (fa, fb, fc) == (1, 6, 12)
    code = a.link(base)
    assert code == bytes(a.buf)
    got = [int(ops, 16) for _, _, _, ops in CS.disasm_lite(code, base)]
    assert got == targets
    assert ks(f"jmp {targets[0]:#x}", base) == code[:5]
    a = Asm()
    a.call_abs(base + 0x1_0000_0000)
    with pytest.raises(ValueError):
        a.link(base)


def test_rel32_patching() -> None:
    assert rel32(0x1000, 0x1000) == (-4).to_bytes(4, "little", signed=True)
    assert rel32(0x1000, 0x2004) == (0x1000).to_bytes(4, "little")
    with pytest.raises(ValueError):
        rel32(0, 0x1_0000_0000)
    buf = ctypes.create_string_buffer(16)
    addr = ctypes.addressof(buf)
    patch_rel32(addr + 1, addr + 0x100)
    assert buf.raw[1:5] == rel32(addr + 1, addr + 0x100)


# ---- SSE ------------------------------------------------------------------------------

SSE_ARITH = [(n, s) for n in ("add", "sub", "mul", "div", "sqrt", "min", "max")
             for s in ("ss", "sd")]
SSE_LOGIC = ["andps", "andpd", "andnps", "andnpd", "orps", "orpd", "xorps", "xorpd", "pxor"]


def test_sse_arith_logic(chk: Checker) -> None:
    names = [n + s for n, s in SSE_ARITH] + ["ucomiss", "ucomisd", "comiss", "comisd",
                                             "cvtss2sd", "cvtsd2ss"] + SSE_LOGIC
    for name in names:
        size = 128 if name in SSE_LOGIC else 64 if name[-1] == "d" else 32
        if name == "cvtss2sd":
            size = 32
        if name == "cvtsd2ss":
            size = 64
        for a, b in xmm_pairs():
            chk(f"{name} {x(a)}, {x(b)}", name, a, b)
        for mo, mt in MEMS:
            chk(f"{name} xmm9, {PTR[size]} ptr {mt}", name, XMM[9], mo)
    for name, size in (("roundss", 32), ("roundsd", 64)):
        for a, b in xmm_pairs():
            chk(f"{name} {x(a)}, {x(b)}, 3", name, a, b, 3)
        for mo, mt in MEMS:
            chk(f"{name} xmm2, {PTR[size]} ptr {mt}, 9", name, XMM[2], mo, 9)
    with pytest.raises(TypeError):
        emit("addsd", RAX, XMM0)
    with pytest.raises(TypeError):
        emit("addsd", XMM0, RAX)
    chk.done(3000)


def test_sse_moves(chk: Checker) -> None:
    for name, size in (("movss", 32), ("movsd", 64), ("movaps", 128), ("movapd", 128),
                       ("movq", 64)):
        for a, b in xmm_pairs():
            chk(f"{name} {x(a)}, {x(b)}", name, a, b)
        for mo, mt in MEMS:
            chk(f"{name} xmm12, {PTR[size]} ptr {mt}", name, XMM[12], mo)
            chk(f"{name} {PTR[size]} ptr {mt}, xmm3", name, mo, XMM[3])
    for name, w in (("movd", 32), ("movq", 64)):
        for xr, gr in itertools.product(XMM, GPR):
            chk(f"{name} {x(xr)}, {r(gr, w)}", name, xr, gr)
            chk(f"{name} {r(gr, w)}, {x(xr)}", name, gr, xr)
    for mo, mt in MEMS:
        chk(f"movd xmm7, dword ptr {mt}", "movd", XMM[7], mo)
        chk(f"movd dword ptr {mt}, xmm14", "movd", mo, XMM[14])
    with pytest.raises(TypeError):
        emit("movq", RAX, mem(RAX))
    chk.done(1500)


def test_sse_conversions_mxcsr(chk: Checker) -> None:
    for name, w in itertools.product(("cvtsi2ss", "cvtsi2sd"), (32, 64)):
        for xr, gr in itertools.product(XMM, GPR):
            chk(f"{name} {x(xr)}, {r(gr, w)}", name, xr, gr, w)
        for mo, mt in MEMS:
            chk(f"{name} xmm10, {PTR[w]} ptr {mt}", name, XMM[10], mo, w)
    for name, w in itertools.product(("cvttss2si", "cvttsd2si", "cvtss2si", "cvtsd2si"), (32, 64)):
        for gr, xr in itertools.product(GPR, XMM):
            chk(f"{name} {r(gr, w)}, {x(xr)}", name, gr, xr, w)
        for mo, mt in MEMS:
            size = 64 if name.endswith("sd2si") else 32
            chk(f"{name} {r(R15, w)}, {PTR[size]} ptr {mt}", name, R15, mo, w)
    for mo, mt in MEMS:
        chk(f"ldmxcsr dword ptr {mt}", "ldmxcsr", mo)
        chk(f"stmxcsr dword ptr {mt}", "stmxcsr", mo)
    chk.done(3000)


# ---- running emitted code ---------------------------------------------------------------

class CodePage:
    """One RWX page from libc mmap; `install` copies linked code to the next free spot."""

    def __init__(self) -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.mmap.restype = ctypes.c_void_p
        libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                              ctypes.c_int, ctypes.c_long]
        libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        self.munmap = libc.munmap
        addr = libc.mmap(None, 4096, 7, 0x22, -1, 0)     # RWX, MAP_PRIVATE | MAP_ANONYMOUS
        if addr in (None, ctypes.c_void_p(-1).value):
            pytest.skip("cannot map an RWX page")
        self.base = self.free = addr

    def install(self, a: Asm) -> int:
        addr = self.free
        code = a.link(addr)
        ctypes.memmove(addr, code, len(code))
        self.free += (len(code) + 15) & ~15
        return addr


@pytest.fixture
def page():
    p = CodePage()
    yield p
    p.munmap(p.base, 4096)


I32 = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_int32, ctypes.c_int32)
U64 = ctypes.CFUNCTYPE(ctypes.c_uint64, ctypes.c_uint64, ctypes.c_uint64)


def test_run_add_and_loop(page: CodePage) -> None:
    a = Asm()
    a.mov(RAX, RDI)
    a.add(RAX, RSI)
    a.ret()
    add = I32(page.install(a))
    assert add(2, 40) == 42 and add(-5, 3) == -2

    a = Asm()                            # sum 1..n with a forward and a backward label
    done, top = a.label(), a.label()
    a.xor(RAX, RAX)
    a.test(RDI, RDI)
    a.jcc(CC.LE, done)
    a.bind(top)
    a.add(RAX, RDI)
    a.dec(RDI)
    a.jcc(CC.NE, top)
    a.bind(done)
    a.ret()
    tri = I32(page.install(a))
    assert [tri(n, 0) for n in (0, 1, 10, 1000, -3)] == [0, 1, 55, 500500, 0]


def test_run_memory_and_callee_saved(page: CodePage) -> None:
    # int f(int32_t *p, int n): sum p[0..n) with r12/r13 (pushed), store it at p[n]
    a = Asm()
    a.push(R12)
    a.push(R13)
    a.mov(R12, RDI, 64)
    a.xor(R13, R13)
    a.xor(RAX, RAX)
    top, done = a.label(), a.label()
    a.bind(top)
    a.cmp(R13, RSI)
    a.jcc(CC.GE, done)
    a.add(RAX, mem(R12, 0, R13, 4))
    a.inc(R13)
    a.jmp(top)
    a.bind(done)
    a.movsxd(RSI, RSI)
    a.mov(mem(R12, 0, RSI, 4), RAX)
    a.pop(R13)
    a.pop(R12)
    a.ret()
    f = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.POINTER(ctypes.c_int32), ctypes.c_int32)(
        page.install(a))
    arr = (ctypes.c_int32 * 6)(3, 1, 4, 1, -5, 0)
    assert f(arr, 5) == 4 and arr[5] == 4


def test_run_wide_ops(page: CodePage) -> None:
    a = Asm()                            # high 64 bits of an unsigned 64x64 product
    a.mov(RAX, RDI, 64)
    a.mul(RSI, 64)
    a.mov(RAX, RDX, 64)
    a.ret()
    mulhi = U64(page.install(a))
    for p, q in ((3, 5), (1 << 63, 4), (0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFF)):
        assert mulhi(p, q) == (p * q) >> 64

    a = Asm()                            # signed max via cmp + cmov, plus a movabs
    a.cmp(RDI, RSI, 64)
    a.mov(RAX, RSI, 64)
    a.cmovcc(CC.G, RAX, RDI, 64)
    a.mov(RCX, 0x1234_5678_0000_0000, 64)
    a.add(RAX, RCX, 64)
    a.ret()
    f = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_int64)(page.install(a))
    assert f(-7, 3) == 3 + 0x1234_5678_0000_0000
    assert f(1 << 40, -2) == (1 << 40) + 0x1234_5678_0000_0000


def test_run_sse(page: CodePage) -> None:
    a = Asm()                            # hypot(a, b) in doubles
    a.mulsd(XMM0, XMM0)
    a.mulsd(XMM1, XMM1)
    a.addsd(XMM0, XMM1)
    a.sqrtsd(XMM0, XMM0)
    a.ret()
    hyp = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_double, ctypes.c_double)(page.install(a))
    assert hyp(3.0, 4.0) == 5.0

    a = Asm()                            # (int)(float)(i) * 2.5 truncated, via the stack
    a.sub(RSP, 8, 64)
    a.cvtsi2ss(XMM15, RDI)
    a.cvtss2sd(XMM15, XMM15)
    a.mov(RAX, 0x4004000000000000, 64)          # 2.5
    a.movq(XMM8, RAX)
    a.mulsd(XMM15, XMM8)
    a.movsd(mem(RSP), XMM15)
    a.movsd(XMM1, mem(RSP))
    a.cvttsd2si(RAX, XMM1)
    a.add(RSP, 8, 64)
    a.ret()
    f = I32(page.install(a))
    assert [f(n, 0) for n in (0, 1, 3, -3)] == [0, 2, 7, -7]


def test_run_patched_jump(page: CodePage) -> None:
    one, two = Asm(), Asm()
    one.mov(RAX, 1)
    one.ret()
    two.mov(RAX, 2)
    two.ret()
    f1, f2 = page.install(one), page.install(two)
    stub = Asm()
    field = stub.jmp_abs(f1)
    entry = page.install(stub)
    call = I32(entry)
    assert call(0, 0) == 1
    patch_rel32(entry + field, f2)
    assert call(0, 0) == 2


# ---- micro-benchmark ------------------------------------------------------------------

def _typical_block(a: Asm, n: int) -> None:
    """n typical JIT instructions: guest-register loads/stores, ALU, flags, branches."""
    loop = a.label()
    a.bind(loop)
    for i in range(n // 10):
        off = (i & 15) * 4
        a.mov(RAX, mem(RBP, off))
        a.add(RAX, RCX)
        a.and_(RDX, 0xFF)
        a.cmp(RAX, 0x1000)
        a.setcc(CC.B, RCX)
        a.movzx(RCX, RCX)
        a.lea(RSI, mem(RAX, 4, RDX, 4))
        a.shl(RSI, 3)
        a.mov(mem(RBP, off), RSI)
        a.jcc(CC.NE, loop)


def test_emit_speed() -> None:
    """Loose guard (10x the measured cost) against accidental slow paths."""
    per_insn = min(timeit.repeat(lambda: _typical_block(Asm(), 10_000), number=1, repeat=3))
    assert per_insn / 10_000 < 20e-6


if __name__ == "__main__":
    best = min(timeit.repeat(lambda: _typical_block(Asm(), 10_000), number=1, repeat=7))
    a = Asm()
    _typical_block(a, 10_000)
    print(f"10,000 typical instructions ({len(a.buf)} bytes): {best * 1e3:.2f} ms, "
          f"{best / 10_000 * 1e6:.2f} us per instruction")
