"""The JIT's translation fast paths produce exactly what the slow paths would."""
from __future__ import annotations

import random

from translator.backends.x86.asm import RAX, RCX, RDX, RSP, Asm, mem
from translator.jit import x86emit
from translator.jit.codecache import SPILL_SLOTS
from translator.jit.ir import COND_FLAGS, OPCODES, Block, Const, Link
from translator.jit.passes import (eliminate_dead_code, eliminate_dead_state, fold_constants,
                                   forward_state, optimize)


def _asm(fn) -> bytes:
    a = Asm()
    fn(a)
    return bytes(a.buf)


def test_spill_slot_templates_match_the_assembler():
    for i in (0, 1, 15, 16, 17, 100, SPILL_SLOTS - 1):
        for r in (RAX, RCX, RDX):
            assert x86emit._LD[r][i] == _asm(lambda a: a.mov(r, mem(RSP, 8 * i)))
        for r in (RAX, RDX):
            assert x86emit._ST[r][i] == _asm(lambda a: a.mov(mem(RSP, 8 * i), r))


def _random_block(rng: random.Random, cls=Block) -> Block:
    b = cls(0, False)
    vals = [Const(rng.getrandbits(32))]
    for _ in range(rng.randrange(5, 60)):
        k = rng.random()
        if k < 0.2:
            vals.append(b.emit("GetReg", attr=rng.randrange(4)))
        elif k < 0.3:
            vals.append(b.emit("GetFlag", attr=rng.choice("NZCV")))
        elif k < 0.45:
            b.emit("SetReg", rng.choice(vals), attr=rng.randrange(4))
        elif k < 0.55:
            b.emit("SetFlag", b.emit("Msb", rng.choice(vals)), attr=rng.choice("NZCV"))
        elif k < 0.6:
            vals.append(b.emit("CondHolds", attr=rng.randrange(15)))
        elif k < 0.65:
            vals.append(b.emit("Load32", rng.choice(vals), attr=(0, 0, None)))
        elif k < 0.7:
            vals.append(Const(rng.getrandbits(8)))
        else:
            name = rng.choice(["Add", "Sub", "And", "Or", "Xor", "Lsl", "Not", "IsZero",
                               "AddC", "CarryAdd", "Select"])
            vals.append(b.emit(name, *[rng.choice(vals) for _ in range(OPCODES[name][0])]))
    b.terminal = Link(4, False)
    return b


def _staged(b: Block) -> Block:
    forward_state(b)
    fold_constants(b)
    eliminate_dead_code(b)
    eliminate_dead_state(b)
    eliminate_dead_code(b)
    return b


def _run(b: Block, regs: list[int], flags: dict, mem_word: int) -> tuple:
    """Interpret a block (no labels) and return the guest state it leaves."""
    from translator.jit.passes import FOLD, MASK
    regs, flags = list(regs), dict(flags)
    vals = []

    def v(a):
        return a.value if a.__class__ is Const else vals[a.index]
    for op in b.ops:
        args = [v(a) for a in op.args]
        if op.opcode == "GetReg":
            r = regs[op.attr]
        elif op.opcode == "GetFlag":
            r = flags[op.attr]
        elif op.opcode == "SetReg":
            regs[op.attr] = args[0]
            r = None
        elif op.opcode == "SetFlag":
            flags[op.attr] = args[0]
            r = None
        elif op.opcode == "CondHolds":
            # (some function of exactly the flags the condition reads)
            r = (sum(flags[f] * k for f, k in zip(COND_FLAGS[op.attr], (3, 5, 7)))
                 + op.attr) & 1
        elif op.opcode == "Load32":
            r = mem_word ^ args[0]
        else:
            r = FOLD[op.opcode](*args) & MASK
        vals.append(r)
    return regs, flags


def test_fused_optimize_matches_the_staged_passes():
    """optimize() in two sweeps leaves the same guest state as the passes run one by one,
    and never keeps more operations."""
    rng = random.Random(5)
    for _ in range(300):
        seed = rng.getrandbits(32)
        fused, staged, orig = (_random_block(random.Random(seed)) for _ in range(3))
        optimize(fused)
        _staged(staged)
        fused.validate()
        assert len(fused.ops) <= len(staged.ops)
        regs = [rng.getrandbits(32) for _ in range(4)]
        flags = {f: rng.getrandbits(1) for f in "NZCV"}
        w = rng.getrandbits(32)
        assert _run(fused, regs, flags, w) == _run(orig, regs, flags, w)
        assert _run(staged, regs, flags, w) == _run(orig, regs, flags, w)


def test_uncompacted_optimize_keeps_the_same_operations():
    """optimize(compact=False) (what the backend runs) marks exactly the operations the
    compacting optimize() keeps, and its last-use table is what the allocator would compute
    from the compacted block."""
    from translator.jit.ir import Indirect, Ref
    rng = random.Random(11)
    for _ in range(300):
        seed = rng.getrandbits(32)
        compacted, marked = (_random_block(random.Random(seed)) for _ in range(2))
        if rng.random() < 0.5:      # an indirect branch: its target counts as a use
            values = [i for i, o in enumerate(marked.ops) if OPCODES[o.opcode][1]]
            for b in (compacted, marked):
                b.terminal = Indirect(Ref(values[-1]), True)
        optimize(compacted)
        optimize(marked, compact=False)
        keep = marked.keep or [True] * len(marked.ops)
        kept = [i for i, k in enumerate(keep) if k]
        new = {old: j for j, old in enumerate(kept)}

        def renum(a):
            return Ref(new[a.index]) if a.__class__ is Ref else a
        assert [(o.opcode, tuple(renum(a) for a in o.args), o.attr)
                for o in (marked.ops[i] for i in kept)] == \
            [(o.opcode, o.args, o.attr) for o in compacted.ops]
        n = len(compacted.ops)
        want = [-1] * n
        for j, o in enumerate(compacted.ops):
            for a in o.args:
                if a.__class__ is Ref:
                    want[a.index] = j
        t = compacted.terminal
        if getattr(t, "target", None).__class__ is Ref:
            want[t.target.index] = n
        got = [marked.last[i] for i in kept]
        assert [new.get(x, n) if x >= 0 else -1 for x in got] == want


def _run_python(prog: str, cache_dir: str) -> list[str]:
    """stdout lines of ``python -c prog`` in the repository with $PYTRANS_CACHE_DIR set."""
    import os
    import subprocess
    import sys
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    r = subprocess.run([sys.executable, "-c", prog], cwd=root, capture_output=True, text=True,
                       env={**os.environ, "PYTRANS_CACHE_DIR": cache_dir}, check=True)
    return r.stdout.splitlines()


def test_decoder_disk_cache_round_trip(tmp_path):
    """A run saves what the decoder learnt; the next run decodes the same words to the same
    instructions without compiling a single encoding row."""
    import os
    prog = (
        "import frontends.arm.decoder as d\n"
        "calls = []\n"
        "orig = d._compile_row\n"
        "d._compile_row = lambda r, isa: (calls.append(r.name), orig(r, isa))[1]\n"
        "out = [repr(d.decode_a32(w, 0x1000)) for w in (0xe0810002, 0xe5912004, 0xeafffffe,"
        " 0xe92d4010)]\n"
        "out += [repr(d.decode_t16(h, 0x1000)) for h in (0x1840, 0xb510, 0x4770)]\n"
        "out.append(repr(d.decode_t32(0xf8d1, 0x2004, 0x1000)))\n"
        "print(len(calls)); print('\\n'.join(out))\n")
    env = {**os.environ, "PYTRANS_CACHE_DIR": str(tmp_path)}

    def run() -> list[str]:
        return _run_python(prog, env["PYTRANS_CACHE_DIR"])
    first = run()
    assert int(first[0]) > 0
    assert len(list(tmp_path.glob("armdecode-*.bin"))) == 1
    second = run()
    assert int(second[0]) == 0                    # every row came from the cache
    assert second[1:] == first[1:]
    # A damaged cache file is ignored, not trusted.
    (f,) = tmp_path.glob("armdecode-*.bin")
    f.write_bytes(b"\x00garbage")
    third = run()
    assert third[1:] == first[1:] and int(third[0]) > 0
    # An empty PYTRANS_CACHE_DIR turns the cache off.
    env["PYTRANS_CACHE_DIR"] = ""
    assert run()[1:] == first[1:]


def test_jump_templates_match_the_assembler():
    from translator.backends.x86.asm import CC
    pairs = [(x86emit._JE_REL32, CC.E), (x86emit._JNE_REL32, CC.NE)]
    pairs += [(x86emit._JCC_REL32[cc], cc) for cc in CC]
    for tmpl, cc in pairs:
        def jcc(a, cc=cc):
            lab = a.label()
            a.jcc(cc, lab)
            a.bind(lab)
        assert tmpl == _asm(jcc)


def test_pending_signal_exit_from_every_kind_of_link():
    """With state.pending set, a block leaves through the pending exit (EXIT_PENDING) after
    setting the PC to where the guest goes next: direct link, both arms of a conditional
    link, both ways out of a side exit, and an indirect branch (whose exit code is emitted from templates)."""
    import ctypes

    from frontends.arm import abi
    from translator.backends.jit_backend import JitBackend
    from translator.jit.ir import Indirect, LinkCond
    from translator.jit.x86emit import EXIT_PENDING
    from translator.memory import PROT_READ, PROT_WRITE, GuestMemory

    def link():
        b = Block(0, False)
        b.terminal = Link(0x2000, True)
        return b

    def cond():                     # EQ on Z: taken when Z = 1
        b = Block(0, False)
        b.terminal = LinkCond(0, Link(0x3000, False), Link(0x4000, False))
        return b

    def indirect():
        b = Block(0, False)
        b.terminal = Indirect(b.emit("GetReg", attr=14), True)
        return b

    def side():                     # a side exit on EQ, then a link
        b = Block(0, False)
        b.emit("ExitIf", attr=(0, Link(0x3000, False), 1))
        b.terminal = Link(0x4000, False)
        b.guest_insns = 2
        return b
    mem = GuestMemory(abi.ADDRESS_SPACE)
    mem.map(0x10000, 0x10000, PROT_READ | PROT_WRITE)
    try:
        blocks = {0x1000: link, 0x1100: cond, 0x1200: indirect, 0x1300: side}
        jit = JitBackend(abi, mem, lambda m, pc, thumb: blocks[pc]())
        s = jit.state
        enter = jit.cache.enter
        args = (mem.base, ctypes.addressof(jit.perms), ctypes.addressof(jit.lookup))
        cases = [(0x1000, {}, 0x2000, 1), (0x1100, {"z": 1}, 0x3000, 0),
                 (0x1100, {"z": 0}, 0x4000, 0), (0x1200, {"lr": 0x5001}, 0x5000, 1),
                 (0x1300, {"z": 1}, 0x3000, 0), (0x1300, {"z": 0}, 0x4000, 0)]
        for pc, setup, want_pc, want_thumb in cases:
            code = jit.translate(pc, False)
            s.thumb = 0                 # native code is entered in its block's mode (as run() does)
            s.pending = 1
            s.z = setup.get("z", 0)
            s.r[14] = setup.get("lr", 0)
            reason = enter(ctypes.addressof(s), code, *args)
            assert reason == EXIT_PENDING
            assert (s.r[15], s.thumb) == (want_pc, want_thumb)
            s.pending = 0
    finally:
        jit.cache.close()
        mem.close()


def test_forwarding_block_matches_block_plus_optimize():
    """Building a block with ForwardingBlock (forwarding and folding while emitting) and then
    optimizing leaves the same guest state as building a plain Block and optimizing."""
    from translator.jit.passes import ForwardingBlock
    rng = random.Random(11)
    for _ in range(300):
        seed = rng.getrandbits(32)
        fwd = _random_block(random.Random(seed), ForwardingBlock)
        plain, orig = (_random_block(random.Random(seed)) for _ in range(2))
        optimize(fwd)
        optimize(plain)
        fwd.validate()
        assert len(fwd.ops) <= len(plain.ops)
        regs = [rng.getrandbits(32) for _ in range(4)]
        flags = {f: rng.getrandbits(1) for f in "NZCV"}
        w = rng.getrandbits(32)
        assert _run(fwd, regs, flags, w) == _run(orig, regs, flags, w)


def test_emitter_template_cache_round_trip(tmp_path):
    """The emitter's lazily encoded templates are saved at exit; the next run emits the same
    code for the same block without encoding a single template; a damaged cache file is
    ignored."""
    prog = (
        "import keystone\n"
        "from frontends.arm import abi\n"
        "from frontends.arm.lift import lift_block\n"
        "from translator.jit import x86emit as X\n"
        "from translator.jit.passes import optimize\n"
        "from translator.memory import PROT_EXEC, PROT_READ, GuestMemory\n"
        "calls = []\n"
        "orig = X._enc\n"
        "X._enc = lambda fn: (calls.append(1), orig(fn))[1]\n"
        "ks = keystone.Ks(keystone.KS_ARCH_ARM, keystone.KS_MODE_ARM)\n"
        "src = 'ldr r2, [r0, #4]; cmp r2, r3; addgt r1, r1, r2; str r1, [r0]; "
        "subs r4, r4, #1; bne 0x10000; bx lr'\n"
        "mem = GuestMemory(abi.ADDRESS_SPACE)\n"
        "mem.map(0x10000, 0x1000, PROT_READ | PROT_EXEC)\n"
        "mem.write(0x10000, bytes(ks.asm(src, 0x10000)[0]), force=True)\n"
        "b = optimize(lift_block(mem, 0x10000, False), compact=False)\n"
        "out = X.Emitter(0x7000000, lambda k: 0, mmu_checks=True).emit(b)\n"
        "print(len(calls)); print(bytes(out.asm.link(0x100000)).hex())\n")

    def run() -> list[str]:
        return _run_python(prog, str(tmp_path))
    first = run()
    assert int(first[0]) > 0
    (f,) = tmp_path.glob("x86templates-*.bin")
    second = run()
    assert int(second[0]) == 0 and second[1] == first[1]
    f.write_bytes(b"\x00garbage")
    third = run()
    assert int(third[0]) > 0 and third[1] == first[1]


def test_decoder_cache_keeps_a_few_versions(tmp_path, monkeypatch):
    """Saving drops the caches of all but the most recently used decoder versions."""
    import os
    import time

    from frontends.arm import decoder as d
    for k in range(6):
        f = tmp_path / f"armdecode-old{k}.bin"
        f.write_bytes(b"x")
        os.utime(f, (time.time() - 100 + k, time.time() - 100 + k))
    monkeypatch.setattr(d, "_CACHE_PATH", str(tmp_path / "armdecode-current.bin"))
    monkeypatch.setattr(d._T16, "new", d._T16.new + 1)
    monkeypatch.setattr(d, "_SAVE_LIMIT", 1 << 30)       # whatever this process decoded
    d._save_cache()
    left = sorted(p.name for p in tmp_path.iterdir())
    assert "armdecode-current.bin" in left
    assert left == sorted(["armdecode-current.bin", "armdecode-old5.bin", "armdecode-old4.bin",
                           "armdecode-old3.bin"])


def _lift_asm(src: str, thumb: bool = False) -> list[str]:
    """The opcodes of the IR the lifter builds for assembled ``src`` (before optimize)."""
    import keystone
    from frontends.arm import abi
    from frontends.arm.lift import lift_block
    from translator.memory import PROT_EXEC, PROT_READ, GuestMemory
    ks = keystone.Ks(keystone.KS_ARCH_ARM, keystone.KS_MODE_THUMB if thumb else keystone.KS_MODE_ARM)
    code = bytes(ks.asm(src + "\nbx lr", 0x10000)[0])
    mem = GuestMemory(abi.ADDRESS_SPACE)
    mem.map(0x10000, 0x1000, PROT_READ | PROT_EXEC)
    mem.write(0x10000, code, force=True)
    return [op.opcode for op in lift_block(mem, 0x10000, thumb).ops]


def test_flagless_add_sub_lift_to_plain_add_sub():
    """ADD/SUB/RSB without S compute no carry or overflow (the optimizer would only drop
    them again): one Add or Sub each."""
    ops = _lift_asm("add r0, r1, #4\nsub r2, r3, r4\nrsb r5, r6, #0")
    assert ops.count("Add") == 1 and ops.count("Sub") == 2
    assert not {"AddC", "CarryAdd", "OverflowAdd", "Not"} & set(ops)
    flags = _lift_asm("adds r0, r1, #4")
    assert "AddCFlags" in flags


def test_flag_setting_arithmetic_is_one_operation():
    """ADDS/ADCS lift to one AddCFlags (result and NZCV), CMP/SUBS/RSBS to one SubFlags (no
    NOT of the operand, no carry-in), logical S forms to one SetNZ, not a value and a SetFlag
    per flag; optimize narrows them to the flags read later, and the emitter sets each flag
    byte straight from the x86 flags (no movzx)."""
    from translator.jit.passes import optimize
    ops = _lift_asm("cmp r0, r1\nands r2, r2, r3\nadds r4, r4, r5\nrsbs r6, r6, #0")
    assert ops.count("SubFlags") == 2 and ops.count("SetNZ") == 1
    assert ops.count("AddCFlags") == 1
    assert not {"CarryAdd", "OverflowAdd", "Msb", "IsZero", "SetFlag", "Not"} & set(ops)
    import keystone
    from frontends.arm import abi
    from frontends.arm.lift import lift_block
    from translator.memory import PROT_EXEC, PROT_READ, GuestMemory
    ks = keystone.Ks(keystone.KS_ARCH_ARM, keystone.KS_MODE_ARM)
    code = bytes(ks.asm("adds r0, r1, r2\nsubs r3, r3, #1\nbx lr", 0x10000)[0])
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        mem.map(0x10000, 0x1000, PROT_READ | PROT_EXEC)
        mem.write(0x10000, code, force=True)
        b = optimize(lift_block(mem, 0x10000, False))
        # the SUBS sets all four again: the ADDS keeps its value and sets no flag
        assert [op.opcode for op in b.ops if op.opcode[:3] in ("Add", "Sub")] == \
            ["AddC", "SubFlags"]
        code = bytes(ks.asm("subs r0, r0, #1\nadds r1, r1, #1\nbx lr", 0x10000)[0])
        mem.write(0x10000, code, force=True)
        b = optimize(lift_block(mem, 0x10000, False))
        assert [op.opcode for op in b.ops if op.opcode[:3] in ("Add", "Sub")] == \
            ["Sub", "AddCFlags"]
        code = bytes(ks.asm("movs r0, r1\nadds r2, r2, #1\nbx lr", 0x10000)[0])
        mem.write(0x10000, code, force=True)
        b = optimize(lift_block(mem, 0x10000, False))
        # ADDS sets N and Z again: the MOVS sets nothing (C is not touched by it)
        assert "SetNZ" not in [op.opcode for op in b.ops]
    finally:
        mem.close()


def test_ldm_stm_compute_only_the_addresses_they_use():
    """PUSH/POP build one start address and one write-back value, not every mode's."""
    assert _lift_asm("push {r4, lr}").count("Sub") == 1      # start = write-back
    assert "Sub" not in _lift_asm("pop {r4, r5}")
    assert "Sub" not in _lift_asm("ldm r0, {r1, r2}")
