"""IR passes: state forwarding, constant folding, dead-flag and dead-code elimination.

Each pass takes a :class:`Block` and rewrites its ops in place. Guest state must stay exact
wherever the guest can observe it: at the end of the block, at a conditional region's edges
(``SkipUnless``/``Label``) and at memory accesses (which may fault and deliver a signal), so
those are barriers for the state passes.
"""
from __future__ import annotations

from .ir import COND_FLAGS, OPCODES, REFS, Block, Const, Op, Ref, grow_refs

MASK = 0xFFFFFFFF
_BARRIERS = {"SkipUnless", "Label", "Load8", "Load16", "Load32", "Load8S", "Load16S",
             "Store8", "Store16", "Store32", "AlignCheck", "ExitIf", "ExitIfZero"}
# write the guest flags named in their attr
_FLAG_WRITERS = frozenset({"AddCFlags", "SubFlags", "SetNZ"})


def _s32(x: int) -> int:
    x &= MASK
    return x - (1 << 32) if x & 0x80000000 else x


def _shift(op: str, a: int, n: int) -> int:
    n &= 0xFF
    if op == "Lsl":
        return (a << n) & MASK if n < 32 else 0
    if op == "Lsr":
        return a >> n if n < 32 else 0
    if op == "Asr":
        return (_s32(a) >> min(n, 31)) & MASK
    n &= 31
    return ((a >> n) | (a << (32 - n))) & MASK if n else a


def _clz(a: int) -> int:
    return 32 - a.bit_length()


FOLD = {
    "Add": lambda a, b: (a + b) & MASK,
    "Sub": lambda a, b: (a - b) & MASK,
    "AddC": lambda a, b, c: (a + b + c) & MASK,
    "And": lambda a, b: a & b, "Or": lambda a, b: a | b, "Xor": lambda a, b: a ^ b,
    "AndNot": lambda a, b: a & ~b & MASK, "Not": lambda a: ~a & MASK,
    "Neg": lambda a: -a & MASK,
    "Mul": lambda a, b: (a * b) & MASK,
    "MulHiU": lambda a, b: (a * b) >> 32,
    "MulHiS": lambda a, b: ((_s32(a) * _s32(b)) >> 32) & MASK,
    "Lsl": lambda a, n: _shift("Lsl", a, n), "Lsr": lambda a, n: _shift("Lsr", a, n),
    "Asr": lambda a, n: _shift("Asr", a, n), "Ror": lambda a, n: _shift("Ror", a, n),
    "Clz": _clz,
    "Rev": lambda a: int.from_bytes(a.to_bytes(4, "little"), "big"),
    "Rev16": lambda a: ((a & 0x00FF00FF) << 8 | (a >> 8) & 0x00FF00FF) & MASK,
    "ZeroExt8": lambda a: a & 0xFF, "ZeroExt16": lambda a: a & 0xFFFF,
    "SignExt8": lambda a: (a & 0xFF) - ((a & 0x80) << 1) & MASK,
    "SignExt16": lambda a: (a & 0xFFFF) - ((a & 0x8000) << 1) & MASK,
    "CarryAdd": lambda a, b, c: int(a + b + c > MASK),
    "OverflowAdd": lambda a, b, c: int(_s32(a) + _s32(b) + c != _s32(a + b + c)),
    "IsZero": lambda a: int(a == 0), "Msb": lambda a: a >> 31,
    "Select": lambda c, a, b: a if c else b,
}


def _rewrite(block: Block, keep: list[bool] | None, subst: dict[int, Const | Ref]) -> None:
    """Drop ops not kept, replace operands per ``subst`` and renumber references.

    Translation speed matters (it is paid for every new block), so the common cases return
    early: nothing to drop and nothing to substitute.
    """
    if not subst and (keep is None or all(keep)):
        return
    new_index: dict[int, int] = {}
    out: list[Op] = []

    def fix(a):
        if a.__class__ is Ref:
            while a.index in subst:
                a = subst[a.index]
                if a.__class__ is not Ref:
                    return a
            return Ref(new_index[a.index])
        return a

    ops = block.ops
    for i in range(len(ops)):
        if keep is not None and not keep[i]:
            continue
        op = ops[i]
        new_index[i] = len(out)
        args = op.args
        if args:
            for a in args:
                if a.__class__ is Ref:
                    op = Op(op.opcode, tuple([fix(x) for x in args]), op.attr)
                    break
        out.append(op)
    term = block.terminal
    if term is not None and hasattr(term, "target") and isinstance(term.target, Ref):
        from dataclasses import replace
        block.terminal = replace(term, target=fix(term.target))
    block.ops = out


def forward_state(block: Block) -> None:
    """A GetReg/GetFlag after a SetReg/SetFlag of the same thing (no barrier between) is the
    value that was set."""
    known: dict[tuple[str, object], object] = {}
    subst: dict[int, Const | Ref] = {}
    for i, op in enumerate(block.ops):
        if op.opcode in _BARRIERS and op.opcode.startswith(("Skip", "Label")):
            known.clear()
        if op.opcode in _FLAG_WRITERS:
            for f in op.attr:
                known.pop(("f", f), None)
        if op.opcode in ("SetReg", "SetFlag"):
            key = ("r" if op.opcode == "SetReg" else "f", op.attr)
            val = op.args[0]
            while isinstance(val, Ref) and val.index in subst:
                val = subst[val.index]
            known[key] = val
        elif op.opcode in ("GetReg", "GetFlag"):
            key = ("r" if op.opcode == "GetReg" else "f", op.attr)
            if key in known:
                subst[i] = known[key]
            else:
                known[key] = Ref(i)
    _rewrite(block, None, subst)


def fold_constants(block: Block) -> None:
    """Evaluate pure operations whose operands are all constants."""
    subst: dict[int, Const | Ref] = {}
    for i, op in enumerate(block.ops):
        fn = FOLD.get(op.opcode)
        if fn is None:
            continue
        vals = []
        for a in op.args:
            while isinstance(a, Ref) and a.index in subst:
                a = subst[a.index]
            if not isinstance(a, Const):
                break
            vals.append(a.value)
        else:
            subst[i] = Const(fn(*vals) & MASK)
    _rewrite(block, None, subst)


def eliminate_dead_state(block: Block) -> None:
    """Drop a SetFlag/SetReg overwritten later in the same straight-line stretch before anyone
    could read it (dead-flag elimination: a flag-setting instruction whose flags nobody reads
    computes none once dead_code removes the now-unused flag computations)."""
    keep = [True] * len(block.ops)
    pending: dict[tuple[str, object], int] = {}
    for i, op in enumerate(block.ops):
        if op.opcode in _BARRIERS:
            pending.clear()
        elif op.opcode in ("SetReg", "SetFlag"):
            key = ("r" if op.opcode == "SetReg" else "f", op.attr)
            if key in pending:
                keep[pending[key]] = False
            pending[key] = i
        elif op.opcode in ("GetReg", "GetFlag"):
            pending.pop(("r" if op.opcode == "GetReg" else "f", op.attr), None)
        elif op.opcode == "CondHolds":
            for f in COND_FLAGS[op.attr]:
                pending.pop(("f", f), None)
    _rewrite(block, keep, {})


def eliminate_dead_code(block: Block) -> None:
    """Remove value-producing operations without side effects whose value is never used."""
    used = [False] * len(block.ops)
    term = block.terminal
    if term is not None and isinstance(getattr(term, "target", None), Ref):
        used[term.target.index] = True
    keep = [True] * len(block.ops)
    for i in range(len(block.ops) - 1, -1, -1):
        op = block.ops[i]
        _, produces, effects = OPCODES[op.opcode]
        if produces and not effects and not used[i]:
            keep[i] = False
            continue
        for a in op.args:
            if isinstance(a, Ref):
                used[a.index] = True
    _rewrite(block, keep, {})


class ForwardingBlock(Block):
    """A :class:`Block` that forwards guest state and folds constants while it is built:
    the forward sweep of :func:`optimize` done by ``emit`` itself, so the lifter's reads of
    registers it has just written, and arithmetic on constants, never become operations.
    (The lifter uses it; a lifter that rolls operations back must end the block.)"""

    def __init__(self, pc: int, thumb: bool) -> None:
        super().__init__(pc, thumb)
        self.forwarded = True
        self._known: dict = {}        # as optimize's ``known``: state attr -> its value
        # Common subexpressions: (opcode, operand keys) -> (index, Op) of a pure value
        # computed on every path to here, so the same computation again is that value (a
        # shifted operand that CMP and SUB share; a SUB of what a CMP subtracted). The Op
        # is kept to check the entry is still there (a rolled-back region drops ops).
        self._cse: dict = {}

    def get_state(self, opcode: str, attr: object):
        """``emit(opcode, attr=attr)`` for GetReg/GetFlag, without the generic dispatch."""
        v = self._known.get(attr)
        if v is None:
            ops = self.ops
            i = len(ops)
            ops.append(Op(opcode, (), attr))
            if i >= len(REFS):
                grow_refs(i + 1)
            v = self._known[attr] = REFS[i]
        return v

    def known_state(self) -> dict:
        """What the block knows of the guest state here (for :meth:`restore_state`)."""
        return self._known.copy()

    def restore_state(self, known: dict) -> None:
        """Know again what :meth:`known_state` returned (after the operations emitted since
        were taken back, or turned into code that always runs)."""
        self._known = known

    def set_state(self, opcode: str, value, attr: object) -> None:
        """``emit(opcode, value, attr=attr)`` for SetReg/SetFlag."""
        self._known[attr] = value
        self.ops.append(Op(opcode, (value,), attr))

    def emit(self, opcode: str, *args, attr: object = None):
        kind = _KIND.get(opcode)
        if kind is not None:
            if kind == 1 or kind == 5:
                if kind == 1:
                    for a in args:
                        if a.__class__ is not Const:
                            break
                    else:
                        if len(args) == OPCODES[opcode][0]:
                            return Const(FOLD[opcode](*[a.value for a in args]) & MASK)
                else:                           # writes flags that are not IR values
                    known = self._known
                    for f in attr:
                        known.pop(f, None)
                cse = _CSE_AS.get(opcode)
                if cse is not None and len(args) == 2:
                    x, y = args
                    key = (cse, x.index if x.__class__ is Ref else x.value & MASK | _CONST_KEY,
                           y.index if y.__class__ is Ref else y.value & MASK | _CONST_KEY)
                    ops = self.ops
                    if kind == 1:
                        hit = self._cse.get(key)
                        if hit is not None and hit[0] < len(ops) and ops[hit[0]] is hit[1]:
                            return REFS[hit[0]]
                    i = len(ops)
                    op = Op(opcode, args, attr)
                    ops.append(op)
                    if i >= len(REFS):
                        grow_refs(i + 1)
                    self._cse[key] = (i, op)
                    return REFS[i]
            elif kind == 2:
                v = self._known.get(attr)
                if v is not None:
                    return v
                if args:
                    return Block.emit(self, opcode, *args, attr=attr)   # reports the error
                ops = self.ops
                i = len(ops)
                ops.append(Op(opcode, args, attr))
                if i >= len(REFS):
                    grow_refs(i + 1)
                v = self._known[attr] = REFS[i]
                return v
            elif kind == 3:
                if len(args) != 1:
                    return Block.emit(self, opcode, *args, attr=attr)   # reports the error
                self._known[attr] = args[0]
            elif opcode == "Label":
                # Paths meet: what the lifter knew before the region (values defined on
                # both paths) it restores itself (restore_state). Values computed inside
                # the region may not have been: forget them all.
                self._known.clear()
                self._cse.clear()
            # (A SkipUnless changes nothing: what was known before it holds in its region.)
        if len(args) != OPCODES[opcode][0]:
            return Block.emit(self, opcode, *args, attr=attr)           # reports the error
        ops = self.ops
        i = len(ops)
        ops.append(Op(opcode, args, attr))
        if i >= len(REFS):
            grow_refs(i + 1)
        return REFS[i]


_CONST_KEY = 1 << 40      # a constant operand's key: its 32-bit value | this (a value's: its index)
# The operations common-subexpression elimination looks for (those compilers repeat within
# a block: a shifted operand that CMP and SUB share, a SUB of what a CMP subtracted; the
# rest are not worth their key's cost at translation), each under the plain operation whose
# value it is (SubFlags(a, b) is a - b too).
_CSE_AS = {"Lsl": "Lsl", "Lsr": "Lsr", "Asr": "Asr", "Ror": "Ror", "Sub": "Sub",
           "SubFlags": "Sub"}


_KIND = {**{k: 1 for k in FOLD}, "GetReg": 2, "GetFlag": 2, "SetReg": 3, "SetFlag": 3,
         "SkipUnless": 4, "Label": 4, "AddCFlags": 5, "SubFlags": 5, "SetNZ": 5}
def _bkind(opc: str) -> int:
    """How the backward sweep treats an opcode: 1 state write, 2 barrier, 3 state read,
    4 CondHolds, 5 other pure value, 6 flag-setting arithmetic, 0 other side effect."""
    if opc in _SETS:
        k = 1
    elif opc in _FLAG_WRITERS:
        k = 6
    elif opc in _BARRIERS:
        k = 2
    else:
        _, produces, effects = OPCODES[opc]
        if produces and not effects:
            k = 3 if opc in _GETS else 4 if opc == "CondHolds" else 5
        else:
            k = 0
    _BKIND[opc] = k
    return k


_BKIND: dict[str, int] = {}
_SETS = frozenset({"SetReg", "SetFlag"})
_GETS = frozenset({"GetReg", "GetFlag"})
_REGION = frozenset({"SkipUnless", "Label"})


def optimize(block: Block, compact: bool = True) -> Block:
    """The standard pipeline, fused into one forward and one backward sweep.

    Same result as running :func:`forward_state`, :func:`fold_constants`,
    :func:`eliminate_dead_code`, :func:`eliminate_dead_state` and :func:`eliminate_dead_code`
    in turn (dead state is found a little more often: a read feeding only dead code does not
    keep an earlier write alive), at a fraction of the cost: translation time is paid for every
    block a program runs, so it counts towards start-up.

    With ``compact=False`` the dropped operations stay in ``block.ops`` (nothing is
    renumbered) and the block records ``keep`` (which operations survive) and ``last`` (the
    index of each value's last use, -1 for none; the terminal's target counts as used at
    ``len(ops)``): the emitter skips dropped operations and allocates registers from
    ``last``, so neither the compaction nor the allocator's own use scan is paid for.
    """
    ops = block.ops
    n = len(ops)
    grow_refs(n)
    subst: list = [None] * n          # value i replaced by this Const/Ref (forwarded, folded)
    known: dict = {}                  # attr -> current value of that guest state (registers
    #                                   are numbers, flags names: one key space serves both)
    fold = FOLD
    for i in range(0 if getattr(block, "forwarded", False) else n):
        op = ops[i]
        args = op.args
        if args:
            new = None
            for k in range(len(args)):
                a = args[k]
                if a.__class__ is Ref:
                    s = subst[a.index]
                    if s is not None:
                        if new is None:
                            new = list(args)
                        new[k] = s
            if new is not None:
                args = tuple(new)
                ops[i] = op = Op(op.opcode, args, op.attr)
        opc = op.opcode
        fn = fold.get(opc)
        if fn is not None:
            for a in args:
                if a.__class__ is not Const:
                    break
            else:
                subst[i] = Const(fn(*[a.value for a in args]) & MASK)
        elif opc in _GETS:
            v = known.get(op.attr)
            if v is not None:
                subst[i] = v
            else:
                known[op.attr] = REFS[i]
        elif opc in _SETS:
            known[op.attr] = args[0]
        elif opc in _REGION:
            known.clear()
        elif opc in _FLAG_WRITERS:
            for f in op.attr:
                known.pop(f, None)
    term = block.terminal
    target = getattr(term, "target", None)
    if target.__class__ is Ref and subst[target.index] is not None:
        from dataclasses import replace
        block.terminal = term = replace(term, target=subst[target.index])
        target = term.target

    # Backward: dead code and dead state writes together. A value's last use is the first
    # use met going backwards.
    last = [-1] * n
    if target.__class__ is Ref:
        last[target.index] = n
    keep = [True] * n
    overwritten: set = set()
    # Each flag's last read (in program order) while the value reaching here is current:
    # the block's end and every barrier read all flags; None once a later write is met.
    fread: dict = {"N": n, "Z": n, "C": n, "V": n}
    unread: list = []                 # the flags whose fread is None (a barrier reads them)
    flags_end: dict = {}              # flag-setting op -> the last read of any flag it sets
    kinds = _BKIND
    first_drop = n
    for i in range(n - 1, -1, -1):
        if subst[i] is not None:
            keep[i] = False
            first_drop = i
            continue
        op = ops[i]
        opc = op.opcode
        k = kinds.get(opc)
        if k is None:
            k = _bkind(opc)
        if k == 1:                                     # SetReg / SetFlag
            key = op.attr
            if key in overwritten:
                keep[i] = False
                first_drop = i
                continue
            overwritten.add(key)
            if key in fread and fread[key] is not None:
                fread[key] = None
                unread.append(key)
        elif k == 2:                                   # barrier
            overwritten.clear()
            if unread:
                for f in unread:
                    fread[f] = i
                unread.clear()
        elif k == 6:                                   # AddCFlags / SubFlags / SetNZ
            # Only the flags read before being set again are set; with none, SetNZ goes and
            # AddCFlags / SubFlags are a plain AddC / Sub (or go too when nothing reads their
            # value).
            attr = op.attr
            live = "".join([f for f in attr if f not in overwritten])
            if live != op.attr:
                if live:
                    ops[i] = op = Op(opc, op.args, live)
                elif opc == "SetNZ" or last[i] < 0:
                    keep[i] = False
                    first_drop = i
                    continue
                else:
                    ops[i] = op = Op("AddC" if opc == "AddCFlags" else "Sub", op.args)
            end = -1
            for f in live:
                overwritten.add(f)
                e = fread[f]
                if e is not None and e > end:
                    end = e
            for f in attr:
                if fread[f] is not None:
                    fread[f] = None
                    unread.append(f)
            flags_end[i] = end
        elif k >= 3:                                   # pure: dead unless used
            if last[i] < 0:
                keep[i] = False
                first_drop = i
                continue
            if k == 3:
                key = op.attr
                overwritten.discard(key)
                if key.__class__ is str and fread.get(key, 0) is None:
                    fread[key] = i
                    unread.remove(key)
            elif k == 4:
                for f in COND_FLAGS[op.attr]:
                    overwritten.discard(f)
                    if fread[f] is None:
                        fread[f] = i
                        unread.remove(f)
        for a in op.args:
            if a.__class__ is Ref and last[a.index] < 0:
                last[a.index] = i
    if not compact:
        block.keep = keep if first_drop < n else None
        block.last = last
        block.flags_end = flags_end
        return block
    if first_drop == n:
        block.flags_end = flags_end
        return block

    # Compact and renumber (operations before the first dropped one keep their numbers).
    new_index = list(range(first_drop)) + [0] * (n - first_drop)
    out: list[Op] = ops[:first_drop]
    refs = REFS
    for i in range(first_drop, n):
        if not keep[i]:
            continue
        op = ops[i]
        new_index[i] = len(out)
        args = op.args
        for a in args:
            if a.__class__ is Ref and a.index >= first_drop:
                op = Op(op.opcode, tuple([refs[new_index[x.index]] if x.__class__ is Ref else x
                                          for x in args]), op.attr)
                break
        out.append(op)
    if target.__class__ is Ref:
        from dataclasses import replace
        block.terminal = replace(term, target=refs[new_index[target.index]])
    block.ops = out
    m = len(out)                      # (flags read at the block's end: read at its new end)
    block.flags_end = {new_index[i]: new_index[e] if 0 <= e < n else m if e == n else e
                       for i, e in flags_end.items()}
    return block
