#!/usr/bin/env python3
"""Run a guest program on the JIT and on Unicorn in lockstep, block by block, and stop at
the first block after which their registers or flags differ.

    python tools/jit_lockstep.py PROGRAM [ARGS...]

Each side has its own guest memory and Linux layer (syscalls happen twice: output appears
twice). Chaining is off on the JIT side so every block returns to Python.
"""
from __future__ import annotations

import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from translator.backends.jit_backend import JitBackend  # noqa: E402
from translator.backends.unicorn_backend import UnicornBackend  # noqa: E402
from translator.emulator import Emulator  # noqa: E402
from translator.jit.state import pack_cpsr, to_unicorn  # noqa: E402
from translator.jit.x86emit import EXIT_FALLBACK, EXIT_SYSCALL  # noqa: E402
from translator.linux.fdtable import FdTable  # noqa: E402
from translator.linux.kernel import GuestExit, Kernel  # noqa: E402
from translator.memory import GuestMemory  # noqa: E402
from unicorn import arm_const as a32  # noqa: E402

RANDOM = b"R" * 16


def setup(emu: Emulator):
    mem = GuestMemory(emu.abi.ADDRESS_SPACE)
    k = Kernel(emu.abi, mem, FdTable(), argv=[os.fsencode(a) for a in emu.argv],
               exe_path=os.path.abspath(emu.program), log=io.StringIO())
    import translator.loader as loader
    orig = loader.build_stack
    loader_build = lambda *a, **kw: orig(*a, **{**kw, "random_bytes": RANDOM})  # noqa: E731
    import translator.emulator as em
    em.build_stack = loader_build
    entry, sp = emu._load(mem, k)
    em.build_stack = orig
    return mem, k, entry, sp


def main() -> int:
    prog, *args = sys.argv[1:]
    emu = Emulator(prog, [prog, *args], {"PATH": "/bin"})
    mem_j, k_j, entry, sp = setup(emu)
    mem_u, k_u, _, _ = setup(emu)
    import frontends.arm.lift as lift
    lift.MAX_INSNS = int(os.environ.get("LOCKSTEP_BLOCK", "1"))   # one instruction per block
    jit = JitBackend(emu.abi, mem_j)
    jit._patch = lambda site, addr: None                       # no chaining
    jit.lookup_insert = False
    uni = UnicornBackend(emu.abi, mem_u)
    k_j.cpu, k_u.cpu = jit, uni
    uni.kernel = k_u
    jit.kernel, jit.interp.kernel = k_j, k_j
    jit.start(entry, sp, {"r0": 0})
    uni.start(entry, sp, {"r0": 0})
    s = jit.state
    steps = 0
    import ctypes
    while True:
        pc, thumb = s.r[15], bool(s.thumb)
        before_native, before_fb = s.insns, jit.counters["fallback_insns"]
        if os.environ.get("LOCKSTEP_TRACE") and int(os.environ["LOCKSTEP_TRACE"], 0) == pc:
            print(f"trace {pc:#x}: jit cpsr {pack_cpsr(s):#x} unicorn cpsr "
                  f"{uni.uc.reg_read(a32.UC_ARM_REG_CPSR):#x} regs jit {list(s.r)}")
        ctypes.memset(jit.lookup, 0xFF, ctypes.sizeof(jit.lookup))   # no native lookups
        try:
            if s.itstate:
                jit._interpret_one()
            else:
                code = jit.translate(pc, thumb)
                reason = jit.cache.enter(ctypes.addressof(s), code, mem_j.base,
                                         ctypes.addressof(jit.perms), ctypes.addressof(jit.lookup))
                if reason == EXIT_SYSCALL:
                    k_j.syscall()
                    # Syscalls run once (on the JIT side); Unicorn's side takes the outcome.
                    for v in mem_j.regions():
                        if mem_u.vma_at(v.start) is None:
                            mem_u.map(v.start, v.end - v.start, v.prot)
                        mem_u.write(v.start, mem_j.read(v.start, v.end - v.start, force=True),
                                    force=True)
                    to_unicorn(s, uni.uc)
                    steps += 1
                    continue
                elif reason == EXIT_FALLBACK:
                    jit._interpret_one()
        except GuestExit as e:
            print(f"JIT side ended: {e} after {steps} blocks")
            return 0
        native = s.insns - before_native
        count = native + jit.counters["fallback_insns"] - before_fb
        upc = uni.pc() if steps else entry
        try:
            # Step Unicorn one instruction at a time until it reaches the JIT's PC (its own
            # `until`/count are unreliable around cached blocks and IT blocks).
            target = s.r[15] | s.thumb
            for k in range(max(count, 1) + 8):
                if k and uni.pc() == target:
                    break
                uni.uc.emu_start(uni.pc() if k or steps else upc, (1 << 32) - 4, count=1)
                if uni._exit is not None:
                    break
            if uni._exit is not None:
                raise uni._exit
        except GuestExit as e:
            print(f"unicorn side ended: {e}")
            return 0
        except Exception as e:   # noqa: BLE001
            print(f"unicorn error {e} at {uni.pc():#x}, step {steps}, block {pc:#x}, "
                  f"cpsr {uni.uc.reg_read(a32.UC_ARM_REG_CPSR):#x}, jit pc {s.r[15]:#x}")
            return 1
        steps += 1
        ur = [uni.uc.reg_read(getattr(a32, f"UC_ARM_REG_R{i}")) for i in range(13)] + [
            uni.uc.reg_read(a32.UC_ARM_REG_SP), uni.uc.reg_read(a32.UC_ARM_REG_LR)]
        ucpsr = uni.uc.reg_read(a32.UC_ARM_REG_CPSR) & 0xFE0FFC20
        jr = list(s.r)[:15]
        jcpsr = pack_cpsr(s) & 0xFE0FFC20
        upc_now = uni.pc()
        diff_mem = None
        for v in mem_j.regions():
            if v.prot & 2 and v.name != "[stack]" or v.name == "[stack]":
                lo = v.start if v.name != "[stack]" else max(v.start, min(jr[13], ur[13]) - 4096)
                a, b = mem_j.read(lo, v.end - lo, force=True), mem_u.read(lo, v.end - lo, force=True)
                if a != b:
                    off = next(k for k in range(len(a)) if a[k] != b[k])
                    diff_mem = (lo + off, a[off:off + 8].hex(), b[off:off + 8].hex())
                    break
        if diff_mem or ur != jr or ucpsr != jcpsr or upc_now != (s.r[15] | s.thumb):
            if diff_mem:
                print(f"memory differs at {diff_mem[0]:#x}: jit {diff_mem[1]} unicorn {diff_mem[2]}")
            print(f"divergence after block at {pc:#x}{' T' if thumb else ''} ({count} insns), "
                  f"step {steps}")
            for i in range(15):
                if ur[i] != jr[i]:
                    print(f"  r{i}: jit {jr[i]:#x} unicorn {ur[i]:#x}")
            print(f"  cpsr: jit {jcpsr:#x} unicorn {ucpsr:#x}; pc jit {s.r[15] | s.thumb:#x} "
                  f"unicorn {upc_now:#x}")
            blk = jit.blocks.get((pc, thumb))
            if blk:
                from frontends.arm.lift import lift_block
                print(lift_block(mem_j, pc, thumb))
                from capstone import CS_ARCH_ARM, CS_MODE_ARM, CS_MODE_THUMB, Cs
                md = Cs(CS_ARCH_ARM, CS_MODE_THUMB if thumb else CS_MODE_ARM)
                code = mem_j.read(pc, blk[1].guest_size, force=True)
                for ins in md.disasm(code, pc):
                    print(f"    {ins.address:#x} {ins.mnemonic} {ins.op_str}")
            return 1


if __name__ == "__main__":
    raise SystemExit(main())
