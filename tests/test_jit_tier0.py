"""Tier 0 of the JIT backend (translator/backends/tier0.py): cold code runs on Unicorn, the JIT
takes over once a budget of guest blocks is spent. The rest of the suite runs the JIT with
tier 0 off (conftest sets PYTRANS_JIT_TIER0=0) so the translator sees whole programs; here the
budget varies, so the hand-over happens at many different points of the same programs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import ROOT, GuestBuilder, run_pytrans

HELLO = ROOT / "examples" / "hello-arm"


@pytest.fixture(scope="module")
def hello_out() -> bytes:
    """What the bundled example prints (on the Unicorn backend)."""
    r = run_pytrans("run", "--backend", "unicorn", HELLO)
    assert r.returncode == 0 and r.stdout.startswith(b"Hello from an ARM guest")
    return r.stdout


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return GuestBuilder(tmp_path_factory.mktemp("tier0"), ("-O1", "-pthread"))


def _run(tmp_path: Path, budget: str | None, *args, backend: str = "jit", timeout: float = 120):
    stats = tmp_path / f"stats-{backend}-{budget}.json"
    env = {"PYTRANS_JIT_TIER0": budget} if budget is not None else {"PYTRANS_JIT_TIER0": ""}
    r = run_pytrans("run", "--backend", backend, "--stats-json", stats, *args, env=env,
                    timeout=timeout)
    return r, (json.loads(stats.read_text()) if stats.exists() else {})


def test_block_budget_stops_unicorn_at_a_block_boundary():
    """The native budget hook stops Unicorn before the block that spends it, PC exact."""
    import keystone
    from unicorn import UC_ARCH_ARM, UC_MODE_ARM, Uc
    from unicorn.arm_const import UC_ARM_REG_PC, UC_ARM_REG_R0

    from translator.backends.unicorn_stop import BlockBudget
    code = bytes(keystone.Ks(keystone.KS_ARCH_ARM, keystone.KS_MODE_ARM).asm(
        "mov r0, #0\nloop: add r0, r0, #1\nb loop", 0x10000)[0])
    uc = Uc(UC_ARCH_ARM, UC_MODE_ARM)
    uc.mem_map(0x10000, 0x1000)
    uc.mem_write(0x10000, code)
    budget = BlockBudget(uc, 100)
    uc.emu_start(0x10000, 0x20000)
    assert budget.tripped
    assert uc.reg_read(UC_ARM_REG_PC) == 0x10004            # the loop head, not yet run
    assert uc.reg_read(UC_ARM_REG_R0) == 99                 # blocks 1..99 ran, not the 100th
    assert budget.used() == 100
    budget.remove()                                         # off: runs on to the next stop
    uc.emu_start(0x10004, 0x20000, count=10)
    assert uc.reg_read(UC_ARM_REG_R0) == 104


def test_tier0_hello_translates_nothing(tmp_path, hello_out):
    """With the default budget a hello world ends in tier 0: no translation at all."""
    r, st = _run(tmp_path, None, HELLO)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == hello_out
    assert st["blocks_translated"] == 0
    assert st["tier0_blocks"] > 100


@pytest.mark.parametrize("budget", ["1", "2", "500", "20000"])
def test_tier0_hand_over_points_keep_results(tmp_path, budget, hello_out):
    """Handing over after 1, 2, 500 or 20000 blocks: same output; the JIT ran the rest."""
    r, st = _run(tmp_path, budget, HELLO)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == hello_out
    if st["tier0_blocks"] == int(budget):          # handed over before the end
        assert st["blocks_translated"] > 0
    else:                                          # ended in tier 0
        assert st["tier0_blocks"] < int(budget) and st["blocks_translated"] == 0


def test_tier0_off_translates_from_the_first_instruction(tmp_path, hello_out):
    r, st = _run(tmp_path, "0", HELLO)
    assert r.returncode == 0 and r.stdout == hello_out
    assert st["tier0_blocks"] == 0 and st["blocks_translated"] > 0


THREADS_OUT = ("counter=80000 atomic=80000 joined=60 main_tls=7\n"
               "tids distinct from each other and the pid: yes\n"
               "queue sum=12502500\n"
               "barrier passed by 4 threads\n")


@pytest.mark.parametrize("flags", ["-marm", "-mthumb"])
@pytest.mark.parametrize("budget", ["3000", "8000", "100000000"])
def test_tier0_threads_across_the_hand_over(build, tmp_path, flags, budget):
    """The main thread handed over before it starts threads, while they run (its ~10,000
    blocks include the clones; threads created in tier 0 get JIT CPUs), or never: mutex and
    atomic counters stay exact."""
    r, st = _run(tmp_path, budget, build("thread_sync", "arm", flags))
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode() == THREADS_OUT
    handed_over = st["tier0_blocks"] == int(budget)
    assert handed_over == (budget != "100000000")
    assert (st["blocks_translated"] > 0) == handed_over


@pytest.mark.parametrize("budget", ["5000", "200000"])
def test_tier0_timer_signals_across_the_hand_over(build, tmp_path, budget):
    """SIGALRM every ms interrupts a computation in tier 0 and after: same results as the
    Unicorn backend."""
    exe = build("sig_timer", "arm")
    want, _ = _run(tmp_path, None, exe, backend="unicorn")
    r, st = _run(tmp_path, budget, exe)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == want.stdout and want.returncode == 0
    assert st["tier0_blocks"] == int(budget) and st["blocks_translated"] > 0


def test_tier0_bad_budget_is_a_pytrans_error(tmp_path):
    r, _ = _run(tmp_path, "lots", HELLO)
    assert r.returncode != 0
    assert r.stderr.decode().splitlines() == [
        "pytrans: PYTRANS_JIT_TIER0='lots': expected a number of blocks (0 disables tier 0)"]


@pytest.mark.parametrize("budget, loaded", [("", False), ("0", True)])
def test_program_ending_in_tier0_never_loads_the_code_generator(budget, loaded):
    """Start-up: a short program that ends in tier 0 imports neither the code generator nor
    the ARM front end, nor makes a code cache (hello world: 140 -> 120 ms); with tier 0 off
    they are loaded for the first block."""
    import ast
    import os
    import subprocess
    import sys
    code = ("import io, sys; from translator import Emulator; "
            f"e = Emulator({str(HELLO)!r}, [{str(HELLO)!r}], backend='jit', "
            "stdout=io.BytesIO(), stdin=b''); e.run(); "
            "print(sorted(m for m in ('translator.jit.x86emit', 'translator.jit.codecache', "
            "'translator.jit.passes', 'frontends.arm.lift') if m in sys.modules))")
    env = {**os.environ, "PYTRANS_JIT_TIER0": budget}
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    mods = ast.literal_eval(r.stdout.strip())
    assert mods == (['frontends.arm.lift', 'translator.jit.codecache', 'translator.jit.passes',
                     'translator.jit.x86emit'] if loaded else [])


@pytest.mark.parametrize("thumb", [False, True])
def test_regression_state_after_exit_in_tier0(monkeypatch, thumb):
    """A guest that ended in tier 0 left its final registers in Unicorn: the JIT CPU's state
    (what a script reads after the run) still held the start-up values."""
    pytest.importorskip("keystone", reason="keystone-engine not installed")
    import sys
    sys.path.insert(0, str(Path(__file__).parent))
    import jit_diff
    monkeypatch.setenv("PYTRANS_JIT_TIER0", "100000")
    for seed in range(3):
        case = jit_diff.make_case(seed, thumb, 30)
        want, wmem = jit_diff.run_unicorn(case)
        got, gmem, stats = jit_diff.run_jit(case)
        assert stats["native_instructions"] == 0          # (it all ran in tier 0)
        assert (got["r"], got["cpsr"], got["d"], gmem) == \
            (want["r"], want["cpsr"], want["d"], wmem), f"seed {seed}"
