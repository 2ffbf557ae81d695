"""Our own ARM32 JIT backend: guest blocks translated to x86-64 and chained natively.

Python is entered only on the exits listed in ``x86emit`` (syscall, untranslated target,
indirect-branch lookup miss, an instruction the JIT leaves to the interpreter, a guest fault,
a pending host signal). Instructions the lifter does not handle run on Unicorn, over the very
same guest memory, with the CPU state handed over and back.
"""
from __future__ import annotations

import ctypes
import os
import functools
import gc
import operator
import struct
import time
from types import ModuleType
from typing import TYPE_CHECKING, Callable

from ..jit import hostfault
from ..jit.state import (EXIT_ALIGN, EXIT_FALLBACK, EXIT_FAULT, EXIT_HALT, EXIT_INDIRECT,
                         EXIT_LINK_MISS, EXIT_PENDING, EXIT_SYSCALL, LOOKUP_BITS, PERM_R,
                         PERM_W, ArmState, UnicornBridge)
from ..linux import signals as sigs
from ..linux.kernel import GuestExit, Kernel
from ..memory import PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory, access_rights
from .tier0 import budget_from_env, run_tier0
from .unicorn_backend import UnicornBackend

if TYPE_CHECKING:
    from ..jit import ir
    from ..jit.codecache import CodeCache
    from ..jit.x86emit import Emitter

Translator = Callable[[GuestMemory, int, bool], "ir.Block"]


def _load_pipeline() -> None:
    """Import the code generator (the first translation does; a program that ends in tier 0
    never needs it, so a short program's start-up does not pay for it)."""
    global optimize, Emitter, TooManyValues, CodeCacheFull, patch_rel32
    from ..backends.x86.asm import patch_rel32
    from ..jit.codecache import CodeCacheFull
    from ..jit.passes import optimize
    from ..jit.x86emit import Emitter, TooManyValues
_REG_NAMES = {**{f"r{i}": i for i in range(16)}, "sp": 13, "lr": 14, "pc": 15}
_unpack_r0_r7 = struct.Struct("<8I").unpack_from      # ArmState.r is its first field


class JitBackend:
    """ARM32 guests on native x86-64 code."""

    name = "jit"

    def __init__(self, abi: ModuleType, mem: GuestMemory, translator: Translator | None = None):
        if abi.BITS != 32:
            raise ValueError("the JIT backend translates 32-bit ARM guests only")
        self.abi = abi
        self.mem = mem
        self.state = ArmState()
        self.state.guest_base = mem.base
        self._r = self.state.r          # a view of the register array (saves a field lookup)
        # write_result(value) as a C-level call, no Python frame (the syscall gate's hot
        # path): the c_uint32 array truncates to 32 bits exactly as the method below does.
        self.write_result = functools.partial(operator.setitem, self._r, 0)
        # (one entry more, always 0: a check of an access's last byte past 4 GiB reads it)
        self.perms = (ctypes.c_uint8 * (mem.size // PAGE_SIZE + 1))()
        self.lookup = (ctypes.c_uint64 * (2 << LOOKUP_BITS))()
        ctypes.memset(self.lookup, 0xFF, ctypes.sizeof(self.lookup))   # no key matches
        self.blocks: dict[tuple[int, bool], tuple[int, ir.Block]] = {}
        self.sites: list[tuple[int, tuple[int, bool]]] = []   # site id -> (field addr, target)
        self.waiting: dict[tuple[int, bool], list[int]] = {}  # target -> site ids to patch
        self.by_page: dict[int, set[tuple[int, bool]]] = {}   # guest page -> blocks on it
        self.translator = translator or _default_translator
        # $PYTRANS_JIT_COUNT=1: native code also counts the direct links and indirect
        # lookups it takes, for the hit rates in --stats (it costs ~3% of run time, so only
        # on request).
        self.count_transitions = os.environ.get("PYTRANS_JIT_COUNT", "") not in ("", "0")
        self.counters = {"blocks_translated": 0, "translate_seconds": 0.0, "exits": 0,
                         "fallback_insns": 0, "chain_patches": 0, "lookup_misses": 0,
                         "link_misses": 0,
                         "guest_insns_translated": 0, "tier0_blocks": 0, "tier0_seconds": 0.0,
                         "translate_setup_seconds": 0.0}
        # Tier 0 (tier0.py): start-up runs on Unicorn for this many blocks. Not for CPUs of
        # new threads, nor with a translator of the caller's (tests' hand-built blocks).
        self.tier0_blocks = budget_from_env() if translator is None else 0
        self.perfmap = _open_perfmap()
        self.kernel: Kernel | None = None
        # The interpreter for what the JIT leaves alone, over the same memory.
        self.interp = UnicornBackend(abi, mem)
        self.bridge = UnicornBridge(self.interp.uc)
        for v in mem.regions():
            self._set_perms(v.start, v.end - v.start, v.prot)
        mem.listeners.append(self)

    # ---- memory events ------------------------------------------------------------------
    def _set_perms(self, start: int, length: int, prot: int) -> None:
        """Page permissions for native code: bits 0/1 this page is readable/writable, bits
        2/3 this page *and the next* are (one probe covers a 2-8 byte access; x86emit)."""
        prot = access_rights(prot)              # (any right implies read, as the host's)
        p = (PERM_R if prot & PROT_READ else 0) | (PERM_W if prot & PROT_WRITE else 0)
        first = start // PAGE_SIZE
        count = length // PAGE_SIZE
        if count <= 0:
            return
        perms = self.perms
        end = first + count                      # first page after the range
        ctypes.memset(ctypes.addressof(perms) + first, p | p << 2, count)
        after = perms[end] & 3 if end < len(perms) else 0
        perms[end - 1] = p | (p & after) << 2
        if first > 0:
            before = perms[first - 1] & 3
            perms[first - 1] = before | (before & p) << 2

    def on_map(self, start: int, length: int, prot: int) -> None:
        self._set_perms(start, length, prot)
        self.invalidate(start, length)

    def on_unmap(self, start: int, length: int) -> None:
        self._set_perms(start, length, 0)
        self.invalidate(start, length)

    def on_protect(self, start: int, length: int, prot: int) -> None:
        self._set_perms(start, length, prot)
        if not prot & PROT_EXEC:
            self.invalidate(start, length)

    def invalidate(self, start: int, length: int) -> None:
        """Forget blocks over [start, start+length): SMC via cacheflush, mmap, mprotect."""
        self.interp.invalidate(start, length)
        doomed = set()
        for page in range(start // PAGE_SIZE, (start + length + PAGE_SIZE - 1) // PAGE_SIZE):
            doomed |= self.by_page.pop(page, set())
        if doomed:
            # Chained jumps into these blocks are everywhere: simplest correct answer is to
            # drop the whole cache (rare: only on code modification or unmapping).
            self.flush()

    def flush(self) -> None:
        self.cache.flush()
        self.blocks.clear()
        self.sites.clear()
        self.waiting.clear()
        self.by_page.clear()
        ctypes.memset(self.lookup, 0xFF, ctypes.sizeof(self.lookup))

    # ---- CPU access for the Linux layer ----------------------------------------------------
    def read_reg(self, name: str) -> int:
        if name == "cpsr":
            from ..jit.state import pack_cpsr
            return pack_cpsr(self.state)
        return self.state.r[_REG_NAMES[name]]

    def write_reg(self, name: str, value: int) -> None:
        self.state.r[_REG_NAMES[name]] = value & 0xFFFFFFFF

    def read_syscall(self) -> tuple[int, tuple[int, ...]]:
        """(r7, registers r0-r7): the arguments are r0-r6 (r7 rides along at index 7; one
        unpack of the register file is cheaper than eight ctypes reads)."""
        regs = _unpack_r0_r7(self.state)
        return regs[7], regs

    def write_result(self, value: int) -> None:
        self._r[0] = value & 0xFFFFFFFF

    def set_tls(self, value: int) -> None:
        self.state.tpidruro = value & 0xFFFFFFFF

    def get_tls(self) -> int:
        return self.state.tpidruro

    def pc(self) -> int:
        return self.state.r[15] | self.state.thumb

    # ---- the full user context, for signal frames (keys: frontends/arm/sigframe.py) ------
    def get_context(self) -> dict:
        from ..jit.state import pack_cpsr
        s = self.state
        return {"r": list(s.r), "cpsr": pack_cpsr(s), "d": list(s.d), "fpscr": s.fpscr}

    def set_context(self, ctx: dict) -> None:
        from ..jit.state import unpack_cpsr
        s = self.state
        s.r[:] = [v & 0xFFFFFFFF for v in ctx["r"]]
        unpack_cpsr(s, ctx["cpsr"])
        s.r[15] &= ~1
        s.d[:] = ctx["d"]
        s.fpscr = ctx["fpscr"]

    def new_thread(self) -> "JitBackend":
        """A CPU for a new guest thread: same memory, a copy of this CPU's state (registers,
        flags, VFP, TLS), its own code cache."""
        t = JitBackend(self.abi, self.mem, self.translator)
        ctypes.memmove(ctypes.addressof(t.state), ctypes.addressof(self.state),
                       ctypes.sizeof(self.state))
        t.state.pending = 0
        return t

    def interrupt(self) -> None:
        """From any thread: native code polls this flag at block links."""
        self.state.pending = 1
        if self.interp.tier0_budget is not None:    # running on the interpreter (tier 0)
            self.interp.interrupt()

    def _deliver_fault(self, kernel: Kernel, trap: tuple) -> None:
        sig, code, addr, pc, reason = trap[:5]
        kernel.raise_signal(sig, pc=pc, addr=addr, code=code, reason=reason)

    def stats(self) -> dict:
        c = self.counters
        s = self.state
        native = s.insns
        return {"guest_instructions": native + c["fallback_insns"],
                "native_instructions": native, "fallback_instructions": c["fallback_insns"],
                "translate_seconds": c["translate_seconds"],
                "translate_setup_seconds": c["translate_setup_seconds"],
                "blocks_translated": c["blocks_translated"], "exits_to_python": c["exits"],
                "chain_patches": c["chain_patches"], "lookup_misses": c["lookup_misses"],
                # Of the direct links native code took, those that went straight on to the
                # target's code; of the indirect branches it looked up, those it found.
                # ($PYTRANS_JIT_COUNT=1: native code counts them, else None).
                "links_taken": s.links if self.count_transitions else None,
                "chain_hit_rate": 1 - c["link_misses"] / s.links if s.links else None,
                "indirect_lookups": s.lookups if self.count_transitions else None,
                "lookup_hit_rate": 1 - c["lookup_misses"] / s.lookups if s.lookups else None,
                "translate_us_per_insn": (c["translate_seconds"] * 1e6 / c["guest_insns_translated"]
                                          if c["guest_insns_translated"] else None),
                "tier0_blocks": c["tier0_blocks"], "tier0_seconds": c["tier0_seconds"]}

    # ---- translation ----------------------------------------------------------------------
    def _new_site(self, key: tuple[int, bool]) -> int:
        self.sites.append((0, key))
        return len(self.sites) - 1

    @functools.cached_property
    def cache(self) -> CodeCache:
        """The code cache, made when first needed (after tier 0)."""
        from ..jit.codecache import CodeCache
        return CodeCache()

    def _setup(self) -> Emitter:
        """What the first translation needs once per process: importing the code generator
        and the ARM front end, loading the emitter's code templates (start-up, reported as
        ``translate_setup_seconds``; ``translate_seconds`` is the cost per block)."""
        t0 = time.perf_counter()
        _load_pipeline()
        if self.translator is _default_translator:
            import frontends.arm.lift  # noqa: F401
        # One emitter per backend: it caches its op methods.
        emitter = self._emitter = Emitter(self.cache.epilogue, self._new_site,
                                          count=self.count_transitions,
                                          mmu_checks=self.cache.mmu_checks)
        self.counters["translate_setup_seconds"] += time.perf_counter() - t0
        return emitter

    def translate(self, pc: int, thumb: bool) -> int:
        """Host address of the block at (pc, thumb), translating it if needed."""
        key = (pc, thumb)
        hit = self.blocks.get(key)
        if hit is not None:
            return hit[0]
        emitter = self.__dict__.get("_emitter")
        if emitter is None:
            emitter = self._setup()
        t0 = time.perf_counter()
        # Translation makes no reference cycles (its garbage goes by reference counting), so
        # the cyclic collector would only rescan the heap while it runs (~10% of the cost).
        gc_on = gc.isenabled()
        if gc_on:
            gc.disable()
        try:
            if self.translator is _default_translator:
                block = _default_translator(self.mem, pc, thumb, self.blocks)
            else:
                block = self.translator(self.mem, pc, thumb)
            optimize(block, compact=False)
            first_site = len(self.sites)
            try:
                emitted = emitter.emit(block)
                code = emitted.asm.link(self.cache.next_address())
                addr = self.cache.install(code)
            except CodeCacheFull:
                self.flush()
                return self.translate(pc, thumb)
            except TooManyValues:
                del self.sites[first_site:]
                raise
            for field_off, site, target in emitted.sites:
                self.sites[site] = (addr + field_off, target)
                if target in self.blocks:
                    self._patch(site, self.blocks[target][0])
                else:
                    self.waiting.setdefault(target, []).append(site)
            self.blocks[key] = (addr, block)
            block.ops = []                  # the IR is not needed any more: do not keep it alive
            block.keep = block.last = block.flags_end = None
            end = pc + max(block.guest_size, 1)
            for page in range(pc // PAGE_SIZE, (end - 1) // PAGE_SIZE + 1):
                self.by_page.setdefault(page, set()).add(key)
            for site in self.waiting.pop(key, []):
                self._patch(site, addr)
            if self.perfmap is not None:
                self.perfmap.write(f"{addr:x} {len(code):x} guest:{pc:#x}{':T' if thumb else ''}\n")
            k = pc | int(thumb)
            slot = (k >> 1) & ((1 << LOOKUP_BITS) - 1)
            self.lookup[2 * slot] = k
            self.lookup[2 * slot + 1] = addr
            c = self.counters
            c["blocks_translated"] += 1
            c["guest_insns_translated"] += block.guest_insns
            c["translate_seconds"] += time.perf_counter() - t0
        finally:
            if gc_on:
                gc.enable()
        return addr

    def _patch(self, site: int, target_addr: int) -> None:
        field_addr, _ = self.sites[site]
        patch_rel32(field_addr, target_addr)
        self.counters["chain_patches"] += 1

    # ---- running ----------------------------------------------------------------------------
    def start(self, entry: int, sp: int, regs: dict[str, int] | None = None) -> None:
        s = self.state
        s.r[13] = sp
        for name, value in (regs or {}).items():
            self.write_reg(name, value)
        s.thumb = entry & 1
        s.r[15] = entry & ~1
        s.fpscr = 0

    def run(self, kernel: Kernel) -> GuestExit:
        self.kernel = kernel
        kernel.cpu = self
        self.interp.kernel = kernel
        if self.tier0_blocks:
            blocks, self.tier0_blocks = self.tier0_blocks, 0
            end = run_tier0(self, kernel, blocks)
            if end is not None:
                return end
        s = self.state
        r = self._r
        cache = self.cache
        if cache.mmu_checks:
            hostfault.handler().install()      # (again, if something replaced it since)
        enter = cache.enter
        perms, lookup = ctypes.addressof(self.perms), ctypes.addressof(self.lookup)
        state_addr = ctypes.addressof(s)
        base = self.mem.base
        blocks = self.blocks            # cleared in place by flush(), never replaced
        syscall = kernel.syscall
        unpack_regs = _unpack_r0_r7
        # This thread's signal state: fixed for the run (kernel.sig is per guest thread).
        sig = kernel.sig
        c = self.counters
        exits = 0                       # added to the counters when the run ends
        try:
            while True:
                try:
                    while True:
                        if sig.pending & ~sig.mask:
                            kernel.deliver_pending()   # async signals (host, other processes)
                        if s.itstate:
                            # Inside an IT block the interpreter carried on: let it finish
                            # the block.
                            self._interpret_one()
                            continue
                        pc, thumb = r[15], s.thumb
                        # blocks' keys are (pc, bool): (pc, 1) finds (pc, True) (equal, same
                        # hash), so a hit costs one dict lookup, not a translate() call.
                        hit = blocks.get((pc, thumb))
                        code = hit[0] if hit is not None else self.translate(pc, bool(thumb))
                        reason = enter(state_addr, code, base, perms, lookup)
                        exits += 1
                        if reason == EXIT_SYSCALL:
                            syscall(unpack_regs(s))      # r0-r6 and the number (r7) last
                        else:
                            self._exit(kernel, reason)
                except GuestExit as e:
                    return e
        finally:
            c["exits"] += exits

    def _exit(self, kernel: Kernel, reason: int) -> None:
        """Every exit from native code but a syscall (the run loop's hot one)."""
        s = self.state
        c = self.counters
        if reason == EXIT_LINK_MISS:
            c["link_misses"] += 1
            _, target = self.sites[s.exit_info]
            self.translate(*target)          # patches the site on installation
        elif reason == EXIT_INDIRECT:
            c["lookup_misses"] += 1
        elif reason == EXIT_FALLBACK:
            self._interpret_one()
        elif reason == EXIT_FAULT:
            # The state is exact at the faulting access (accesses are barriers).
            s.r[15] = s.exit_pc
            addr = s.exit_info
            code = 2 if self.mem.vma_at(addr) is not None else 1   # ACCERR / MAPERR
            self._deliver_fault(kernel, (sigs.SIGSEGV, code, addr, s.exit_pc,
                                         "invalid access"))
        elif reason == EXIT_ALIGN:
            s.r[15] = s.exit_pc            # an alignment hint not met: SIGBUS
            self._deliver_fault(kernel, (sigs.SIGBUS, 1, s.exit_info, s.exit_pc,
                                         "alignment fault"))   # 1 = BUS_ADRALN
        elif reason == EXIT_HALT:
            sig = {2: sigs.SIGTRAP, 4: sigs.SIGSEGV}.get(s.exit_info, sigs.SIGILL)
            self._deliver_fault(kernel, (sig, 1, s.r[15], s.r[15], "halt"))
        elif reason == EXIT_PENDING:
            s.pending = 0
            if kernel.threads is not None:
                kernel.threads.preempt_point()   # other guest threads' turn
        else:
            raise RuntimeError(f"JIT: unknown exit reason {reason}")

    def _interpret_one(self) -> None:
        """Run the instruction at the PC on Unicorn and take the state back."""
        s, uc = self.state, self.interp.uc
        self.bridge.load(s)
        self.interp._exit = None
        self.interp._trap = None
        self.interp._fault_addr = None
        pc = s.r[15] | s.thumb
        try:
            uc.emu_start(pc, (1 << 32) - 4, count=1)
        except Exception as e:   # noqa: BLE001 - a guest fault in the interpreted insn
            from unicorn import UcError
            if isinstance(e, UcError):
                # Our state is still the one before the instruction: deliver on it.
                self._deliver_fault(self.kernel, self.interp.fault_trap(e.errno))
                return
            raise
        if self.interp._exit is not None:
            raise self.interp._exit
        if self.interp._trap is not None:
            self._deliver_fault(self.kernel, self.interp._trap)
            return
        self.bridge.store(s)
        self.counters["fallback_insns"] += 1


def _open_perfmap():
    """``$PYTRANS_PERFMAP=1``: name every translated block in /tmp/perf-PID.map (what
    qemu-user's ``-perfmap`` writes), so ``perf report`` shows hot guest code as
    ``guest:0x10354`` (``:T`` for Thumb) instead of anonymous addresses."""
    if os.environ.get("PYTRANS_PERFMAP", "") in ("", "0"):
        return None
    # Line-buffered: perf reads the file after the process ends, however it ends.
    return open(f"/tmp/perf-{os.getpid()}.map", "a", buffering=1)


def _default_translator(mem: GuestMemory, pc: int, thumb: bool, known=None) -> ir.Block:
    from frontends.arm.lift import lift_block
    return lift_block(mem, pc, thumb, known)
