"""Tier 0 of the JIT backend: cold start-up code runs on Unicorn, the JIT takes over after.

Most of what a short program runs executes once (libc start-up, dynamic linking, exit), and
translating it costs far more than running it: about 30 us per guest instruction in our
Python translator against Unicorn's C translator. So a JIT backend first runs the guest on
its Unicorn interpreter (over the same memory) for a budget of guest blocks, counted by a
native block hook (no Python per block, ~one C call). When the budget runs out the CPU stops
exactly at a block boundary, the state moves to the JIT, and the JIT runs the rest. A program
that ends within the budget (a hello world, most shell utilities) never translates anything;
a long-running one reaches native code after a few milliseconds.

``PYTRANS_JIT_TIER0`` sets the budget in blocks (0: translate from the first instruction).
Everything the Unicorn backend does (syscalls, signals, faults, fork, exec) works in tier 0.
Threads created in tier 0 get JIT CPUs.
"""
from __future__ import annotations

import os
import time
from typing import TYPE_CHECKING

from ..errors import PytransError
from .unicorn_stop import BlockBudget

if TYPE_CHECKING:
    from ..linux.kernel import GuestExit, Kernel
    from .jit_backend import JitBackend

ENV = "PYTRANS_JIT_TIER0"
DEFAULT_BLOCKS = 300_000      # ~1.5 M guest instructions, 10-30 ms of Unicorn time


def budget_from_env() -> int:
    """The tier-0 budget in guest blocks: ``$PYTRANS_JIT_TIER0`` or the default."""
    raw = os.environ.get(ENV)
    if raw is None or raw == "":
        return DEFAULT_BLOCKS
    try:
        n = int(raw, 0)
    except ValueError:
        n = -1
    if n < 0:
        raise PytransError(f"{ENV}={raw!r}: expected a number of blocks (0 disables tier 0)")
    return n


def run_tier0(jit: "JitBackend", kernel: "Kernel", blocks: int) -> "GuestExit | None":
    """Run ``jit``'s guest on its Unicorn interpreter for up to ``blocks`` blocks.

    Returns how the guest ended if it ended in tier 0, else None with the guest state back
    in ``jit.state`` (PC at the first block not run) and ``kernel.cpu`` set to ``jit``."""
    interp, s = jit.interp, jit.state
    budget = BlockBudget(interp.uc, blocks)
    jit.bridge.load(s)
    interp._next_pc = s.r[15] | s.thumb

    def new_thread():
        # A thread started in tier 0 runs on the JIT from its first instruction; its state
        # is a copy of this CPU's, which lives in Unicorn now.
        jit.bridge.store(s)
        return jit.new_thread()
    interp.new_thread = new_thread
    interp.tier0_budget = budget
    t0 = time.perf_counter()
    try:
        end = interp.run(kernel)
    finally:
        budget.remove()
        del interp.new_thread
        interp.tier0_budget = None
        c = jit.counters
        c["tier0_seconds"] += time.perf_counter() - t0
        c["tier0_blocks"] += budget.used()
    # The guest state is the JIT's again: where the JIT takes over at the block Unicorn did
    # not run, or as the guest ended (for whoever reads the CPU after the run).
    jit.bridge.store(s)
    s.r[15] &= ~1
    if end is not None:
        return end
    kernel.cpu = jit
    if kernel.threads is not None:   # the thread table named the interpreter as this CPU
        for t in kernel.threads.threads.values():
            if t.cpu is interp:
                t.cpu = jit
    return None
