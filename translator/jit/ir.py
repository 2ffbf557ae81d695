"""The JIT's intermediate representation: one guest block as a list of typed operations.

Values are SSA: each operation that produces a 32-bit value is referred to by its index in
the block (a :class:`Ref`); constants are :class:`Const`. Guest state (registers, flags) is
read and written only through ``GetReg``/``SetReg``/``GetFlag``/``SetFlag``, so passes can
reason about it. Conditionally executed guest instructions become a ``SkipUnless`` (jump to a
``Label`` unless an ARM condition holds) around their operations, as in QEMU's TCG; one that
only computes and writes core registers becomes straight-line code instead, each write a
``SetReg(Select(CondHolds))`` (if-conversion: ``frontends/arm/lift.py``).

A block ends in exactly one terminal, naming how control leaves it (the explicit block-ending
kinds of the design): ``Link`` (a direct branch, chained natively once the target exists),
``LinkCond`` (both arms of a conditional branch), ``Indirect`` (target in a value: looked up
in the native table), ``Syscall``, ``Fallback`` (one instruction interpreted elsewhere) and
``Halt`` (a guest exception). A conditional direct branch inside a block may instead be an
``ExitIf`` operation (a side exit, as in Valgrind's VEX superblocks): the block goes on with
the not-taken path, so code after a conditional branch is not a block of its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union


class Const:
    """An immediate 32-bit value (immutable; a plain slotted class because translation
    builds many of these and a frozen dataclass is several times slower to construct)."""

    __slots__ = ("value",)

    def __init__(self, value: int) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return other.__class__ is Const and other.value == self.value

    def __hash__(self) -> int:
        return hash((Const, self.value))

    def __repr__(self) -> str:
        return f"#{self.value:#x}"


class Ref:
    """The value produced by the operation at ``index`` in its block (immutable: use
    ``REFS[i]`` rather than building new ones on hot paths)."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    def __eq__(self, other: object) -> bool:
        return other.__class__ is Ref and other.index == self.index

    def __hash__(self) -> int:
        return hash((Ref, self.index))

    def __repr__(self) -> str:
        return f"%{self.index}"


REFS: list[Ref] = [Ref(i) for i in range(1024)]      # shared Ref(i) objects


def grow_refs(n: int) -> None:
    """Make sure REFS[i] exists for every i < n."""
    while len(REFS) < n:
        REFS.append(Ref(len(REFS)))


Operand = Union[Const, Ref, int, str, None]

# The guest flags each ARM condition (0-14, AL last) reads: a CondHolds keeps only these live,
# so a compare whose N, Z and V nobody reads sets only C (the divide ladder's cmp; adc; subcs).
COND_FLAGS: tuple[str, ...] = ("Z", "Z", "C", "C", "N", "N", "V", "V", "CZ", "CZ", "NV", "NV",
                               "NZV", "NZV", "")

# opcode -> (number of value operands, produces a value?, has side effects?)
OPCODES: dict[str, tuple[int, bool, bool]] = {
    # guest state
    "GetReg": (0, True, False),        # attr: reg number
    "SetReg": (1, False, True),        # attr: reg number
    "GetFlag": (0, True, False),       # attr: "N" "Z" "C" "V" "Q"
    "SetFlag": (1, False, True),       # attr: flag; operand is 0/1
    # arithmetic, 32-bit, wrapping
    "Add": (2, True, False), "Sub": (2, True, False),
    "AddC": (3, True, False),          # a + b + carry_in
    "And": (2, True, False), "Or": (2, True, False), "Xor": (2, True, False),
    "AndNot": (2, True, False), "Not": (1, True, False), "Neg": (1, True, False),
    "Mul": (2, True, False), "MulHiU": (2, True, False), "MulHiS": (2, True, False),
    "UDiv": (2, True, False), "SDiv": (2, True, False),
    "Lsl": (2, True, False), "Lsr": (2, True, False), "Asr": (2, True, False),
    "Ror": (2, True, False),           # shift amounts: full ARM semantics (>=32 handled)
    "Clz": (1, True, False), "Rev": (1, True, False), "Rev16": (1, True, False),
    "ZeroExt8": (1, True, False), "ZeroExt16": (1, True, False),
    "SignExt8": (1, True, False), "SignExt16": (1, True, False),
    # flag helpers: results are 0/1
    "CarryAdd": (3, True, False),      # carry out of a + b + cin
    "OverflowAdd": (3, True, False),   # signed overflow of a + b + cin
    "IsZero": (1, True, False), "Msb": (1, True, False),
    "Bit": (1, True, False),           # attr: bit number
    "CondHolds": (0, True, False),     # attr: ARM condition 0-14 on current flags
    # flag-setting arithmetic: one operation instead of a value per flag and a SetFlag each
    "AddCFlags": (3, True, True),      # a + b + cin, and sets the guest flags named in attr
    #                                    ("NZCV" or a part): N, Z of the result, C carry out,
    #                                    V signed overflow (ARM's AddWithCarry)
    "SubFlags": (2, True, True),       # a - b, and sets the guest flags in attr as ARM's
    #                                    AddWithCarry(a, NOT b, 1) does (C: no borrow)
    "SetNZ": (1, False, True),         # sets the guest flags in attr ("NZ" or a part) from
    #                                    the value: N its bit 31, Z whether it is 0
    "Select": (3, True, False),        # c ? a : b
    # memory (guest addresses; faults become guest signals). attr (pc, disp, seq): the guest
    # instruction (for a fault), a signed displacement added to the address operand (mod
    # 2**32, so an immediate offset needs no Add), and the number of the block's instructions
    # before this one (the interpreter may rerun the instruction alone from there, with the
    # ITSTATE in the block's itstates), or None: it may not, so the accesses are each
    # checked on their own and fault directly (x86emit's _access)
    "Load8": (1, True, True), "Load16": (1, True, True), "Load32": (1, True, True),
    "Load8S": (1, True, True), "Load16S": (1, True, True),
    "Store8": (2, False, True), "Store16": (2, False, True), "Store32": (2, False, True),
    "AlignCheck": (1, False, True),    # attr (pc, mask): SIGBUS (BUS_ADRALN) unless
    #                                    address & mask == 0 (NEON alignment hints)
    # VFP (translator/jit/x86emit_vfp.py). Floating-point values are IEEE bit patterns:
    # 32-bit for single precision, 64-bit for double (see is_wide). attr "s" / "d" is the
    # precision. They count as side effects because they raise cumulative FPSCR exception
    # flags, so dead-code elimination must keep them even when the result is unused.
    "Cat64": (2, True, False),         # lo, hi -> 64-bit value (a D register from S halves)
    "Lo32": (1, True, False), "Hi32": (1, True, False),    # halves of a 64-bit value
    "FAdd": (2, True, True), "FSub": (2, True, True), "FMul": (2, True, True),
    "FDiv": (2, True, True), "FSqrt": (1, True, True),
    "FNeg": (1, True, False), "FAbs": (1, True, False),    # sign-bit operations, no flags
    "FCvt": (1, True, True),           # attr "s" (f64 -> f32) or "d" (f32 -> f64)
    "FFromInt": (1, True, True),       # attr (prec, signed): 32-bit integer -> float
    "FToInt": (1, True, True),         # attr (prec, signed[, round_zero]): saturating;
    #                                    round_zero False: FPSCR rounding (VCVTR)
    "FCmp": (2, True, True),           # attr (prec, signal on quiet NaN): FPSCR NZCV (4 bits)
    "FpscrRead": (1, True, True),      # the FPSCR word with the exception flags folded in
    # control inside a block
    "SkipUnless": (0, False, True),    # attr: (cond, label) — jump to label unless cond
    "Label": (0, False, True),         # attr: label id
    "ExitIf": (0, False, True),        # attr: (cond, Link, insns): a side exit — leave the
    #                                    block for the Link when the ARM condition holds; the
    #                                    first ``insns`` guest instructions have then run
    "ExitIfZero": (1, False, True),    # attr: (zero, Link, insns): the same, taken when
    #                                    (value == 0) == zero (Thumb CBZ / CBNZ)
}

# Operations whose value is 64 bits wide (every other value is 32 bits).
WIDE_OPS = frozenset({"Cat64"})


def is_wide(op: "Op") -> bool:
    """Whether an operation produces a 64-bit value (double-precision FP results)."""
    if op.opcode in WIDE_OPS:
        return True
    if op.opcode == "FFromInt":
        return op.attr[0] == "d"
    return op.opcode in _FP_PREC_OPS and op.attr == "d"


_FP_PREC_OPS = frozenset({"FAdd", "FSub", "FMul", "FDiv", "FSqrt", "FNeg", "FAbs", "FCvt"})


@dataclass(slots=True)
class Op:
    opcode: str
    args: tuple = ()
    attr: object = None

    def __repr__(self) -> str:
        a = ", ".join(repr(x) for x in self.args)
        extra = f" [{self.attr}]" if self.attr is not None else ""
        return f"{self.opcode}({a}){extra}"


# ---- terminals ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Link:
    pc: int
    thumb: bool


@dataclass(frozen=True)
class LinkCond:
    cond: int
    taken: Link
    not_taken: Link


@dataclass(frozen=True)
class Indirect:
    target: Operand            # value holding the new PC; bit 0 selects Thumb when interworking
    interwork: bool


@dataclass(frozen=True)
class Syscall:
    next_pc: int
    thumb: bool


@dataclass(frozen=True)
class Fallback:
    pc: int                    # this one instruction is run by the interpreter backend
    thumb: bool


@dataclass(frozen=True)
class Halt:
    pc: int
    reason: str                # "undefined", "bkpt", ...


Terminal = Union[Link, LinkCond, Indirect, Syscall, Fallback, Halt]


@dataclass
class Block:
    """One translated guest block."""

    pc: int
    thumb: bool
    ops: list[Op] = field(default_factory=list)
    terminal: Terminal | None = None
    guest_insns: int = 0
    guest_size: int = 0
    next_label: int = 0
    keep: list[bool] | None = None    # set by optimize(compact=False): surviving operations
    last: list[int] | None = None     # ... and each value's last use (see passes.optimize)
    flags_end: dict[int, int] | None = None   # ... and each flag-setting operation's last
    #                                           read of a flag it sets (-1: none)
    itstates: dict[int, int] | None = None    # seq -> ITSTATE, for instructions in IT blocks

    # ---- building -------------------------------------------------------------------------
    def emit(self, opcode: str, *args: Operand, attr: object = None) -> Ref:
        if len(args) != OPCODES[opcode][0]:
            raise ValueError(f"{opcode} takes {OPCODES[opcode][0]} operands, got {len(args)}")
        ops = self.ops
        i = len(ops)
        ops.append(Op(opcode, args, attr))
        if i >= len(REFS):
            grow_refs(i + 1)
        return REFS[i]

    def new_label(self) -> int:
        self.next_label += 1
        return self.next_label

    def __repr__(self) -> str:
        lines = [f"block {self.pc:#x}{' T' if self.thumb else ''} ({self.guest_insns} insns)"]
        lines += [f"  %{i} = {op!r}" for i, op in enumerate(self.ops)]
        lines.append(f"  -> {self.terminal}")
        return "\n".join(lines)

    # ---- checks -----------------------------------------------------------------------------
    def validate(self) -> None:
        """Every operand refers to an earlier value-producing op; labels are defined once."""
        labels: set[int] = set()
        for i, op in enumerate(self.ops):
            if op.opcode not in OPCODES:
                raise ValueError(f"%{i}: unknown opcode {op.opcode}")
            for a in op.args:
                if isinstance(a, Ref):
                    if not 0 <= a.index < i:
                        raise ValueError(f"%{i}: operand {a} is not defined before use")
                    if not OPCODES[self.ops[a.index].opcode][1]:
                        raise ValueError(f"%{i}: operand {a} produces no value")
            if op.opcode == "Label":
                if op.attr in labels:
                    raise ValueError(f"label {op.attr} defined twice")
                labels.add(op.attr)
        for op in self.ops:
            if op.opcode == "SkipUnless" and op.attr[1] not in labels:
                raise ValueError(f"SkipUnless to undefined label {op.attr[1]}")
        if self.terminal is None:
            raise ValueError("block has no terminal")
