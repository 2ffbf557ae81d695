#!/usr/bin/env python3
"""Profile the JIT's translation cost on real guest code.

Runs PROGRAM under ``--backend jit`` (guest output discarded; tier 0 off unless
$PYTRANS_JIT_TIER0 says otherwise, so every block is translated), then, with the guest's
memory still mapped, translates every block the run translated again, in the run's order and
ending where the run's blocks end, stage by stage (decode+lift, optimize, emit, link), and
reports CPU microseconds per guest instruction for each stage; with ``--profile`` a cProfile of
the re-translation is printed as well.

    python tools/jit_profile.py [--reps 3] [--cold] [--profile] [--sort tottime] PROGRAM [ARGS...]
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from translator import Emulator                                  # noqa: E402
from translator.backends import jit_backend                      # noqa: E402
from translator.jit.passes import optimize                       # noqa: E402
from translator.jit.x86emit import Emitter                       # noqa: E402


def retranslate(backend, keys, reps: int, profile: bool, sort: str, cold: bool) -> None:
    from frontends.arm.lift import lift_block
    mem = backend.mem
    epi = backend.cache.epilogue
    base = backend.cache.next_address()
    # one for every block, as the backend has
    emitter = Emitter(epi, lambda key: 0, mmu_checks=backend.cache.mmu_checks)
    insns = 0
    totals = {"lift": 0.0, "optimize": 0.0, "emit": 0.0, "link": 0.0}

    def one_pass() -> int:
        n = 0
        pc_ = time.process_time   # CPU time: steadier than wall time on a shared machine
        known: dict = {}          # the blocks that exist so far, as in the run
        for pc, thumb in keys:
            t0 = pc_()
            b = lift_block(mem, pc, thumb, known)
            known[pc, thumb] = None
            t1 = pc_()
            optimize(b, compact=False)
            t2 = pc_()
            out = emitter.emit(b)
            t3 = pc_()
            out.asm.link(base)
            t4 = pc_()
            totals["lift"] += t1 - t0
            totals["optimize"] += t2 - t1
            totals["emit"] += t3 - t2
            totals["link"] += t4 - t3
            n += b.guest_insns
        return n

    prof = cProfile.Profile() if profile else None
    if cold:
        # Forget what the run built from the disk caches (the decoder's compiled rows and
        # dispatch entries, the emitter's fast template tables), so the first pass pays what
        # a new run, which starts with the disk caches loaded, pays.
        from frontends.arm import decoder as dec
        from translator.jit import x86emit
        for t in (dec._A32, dec._T32, dec._T16):
            t.cache.clear()
            t.level1.clear()
            t.interned.clear()
            t.by_rows.clear()
            for r in t.rows:
                r.fn = r.triple = None
        for tables in (x86emit._GETR, x86emit._SETR):
            for d in tables:
                d.clear()
        x86emit._PROBE.clear()
        x86emit._LDST.clear()
        if prof:
            prof.enable()
        t0 = time.process_time()
        n = one_pass()
        dt = time.process_time() - t0
        if prof:
            prof.disable()
            s = io.StringIO()
            pstats.Stats(prof, stream=s).sort_stats(sort).print_stats(25)
            print("cold pass profile:", s.getvalue())
            prof = cProfile.Profile()
        print(f"cold pass: {dt * 1e3:.1f} ms, {dt * 1e6 / n:.2f} us/insn")
        for k in totals:
            totals[k] = 0.0
    for _ in range(reps):
        if prof:
            prof.enable()
        insns += one_pass()
        if prof:
            prof.disable()
    total = sum(totals.values())
    print(f"{len(keys)} blocks, {insns // reps} guest insns per pass, {reps} passes")
    for k, v in totals.items():
        print(f"  {k:9s} {v * 1e6 / insns:7.2f} us/insn")
    print(f"  {'total':9s} {total * 1e6 / insns:7.2f} us/insn")
    if prof:
        s = io.StringIO()
        pstats.Stats(prof, stream=s).sort_stats(sort).print_stats(40)
        print(s.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--cold", action="store_true",
                    help="first re-translate with the decoder's and emitter's caches emptied")
    ap.add_argument("program")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    o = ap.parse_args()
    os.environ.setdefault("PYTRANS_JIT_TIER0", "0")

    orig_run = jit_backend.JitBackend.run

    def run(self, kernel):
        end = orig_run(self, kernel)
        st = self.stats()
        print(f"run: {st['blocks_translated']} blocks, translate "
              f"{st['translate_seconds'] * 1e3:.1f} ms, {st['translate_us_per_insn']:.1f} us/insn")
        retranslate(self, list(self.blocks), o.reps, o.profile, o.sort, o.cold)
        return end

    jit_backend.JitBackend.run = run
    out = io.BytesIO()
    Emulator(o.program, [o.program, *o.args], backend="jit", stdout=out, stdin=b"").run()


if __name__ == "__main__":
    main()
