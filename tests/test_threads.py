"""Guest threads: clone(CLONE_VM|CLONE_THREAD) on host threads, futexes, exclusives, exits
(translator/linux/threads.py), on both ARM32 backends and AArch64."""
from __future__ import annotations

import threading
import time

import pytest

from conftest import CROSS_SYSROOT, GuestBuilder, run_pytrans, run_qemu

# (arch, compiler flags, backend)
CONFIGS = [("arm", "-marm", "unicorn"), ("arm", "-mthumb", "unicorn"), ("arm", "-marm", "jit"),
           ("arm", "-mthumb", "jit"), ("aarch64", "", "unicorn")]
SYNC_OUT = ("counter=80000 atomic=80000 joined=60 main_tls=7\n"
            "tids distinct from each other and the pid: yes\n"
            "queue sum=12502500\n"
            "barrier passed by 4 threads\n")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return GuestBuilder(tmp_path_factory.mktemp("threads"), ("-O1", "-pthread"))


def _ids(c):
    return f"{c[0]}{c[1]}-{c[2]}"


@pytest.mark.parametrize("arch,flags,backend", CONFIGS, ids=[_ids(c) for c in CONFIGS])
def test_threads_mutex_atomics_condvars_exact(build, arch, flags, backend):
    """A mutex-protected counter and an atomic counter from 4 threads end exact, every time."""
    prog = build("thread_sync", arch, flags)
    for _ in range(3):
        r = run_pytrans("run", "--backend", backend, prog, timeout=120)
        assert r.returncode == 0, r.stderr.decode()
        assert r.stdout.decode() == SYNC_OUT


@pytest.mark.parametrize("arch", ["arm", "aarch64"])
def test_threads_dynamic_with_sysroot(build, arch):
    prog = build("thread_sync", arch, link="-no-pie")
    r = run_pytrans("run", "-L", CROSS_SYSROOT[arch], prog, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode() == SYNC_OUT


def test_threads_output_matches_qemu(build):
    prog = build("thread_sync", "arm")
    q = run_qemu("arm", prog, timeout=60)
    assert q.stdout.decode() == SYNC_OUT and q.returncode == 0


@pytest.mark.parametrize("arch,flags,backend", CONFIGS, ids=[_ids(c) for c in CONFIGS])
@pytest.mark.parametrize("mode,out,status", [
    ("", "main thread exits first\nworker 1 done\n", 0),        # pthread_exit from main
    ("exit", "worker calls exit(42)\n", 42),                     # main blocked in pause()
    ("spin", "worker calls exit(43)\n", 43),                     # main spinning in guest code
])
def test_thread_exit_and_exit_group(build, arch, flags, backend, mode, out, status):
    prog = build("thread_exit", arch, flags)
    r = run_pytrans("run", "--backend", backend, prog, *([mode] if mode else []), timeout=60)
    assert r.stdout.decode() == out
    assert r.returncode == status, r.stderr.decode()


def test_regression_unicorn_async_stop_reexecutes_block():
    """uc.emu_stop() from another thread left the PC at an executed block, so resuming ran an
    ldrex/strex increment twice (lost mutual exclusion between guest threads). The backend's
    interrupt() must stop at an exact block boundary."""
    keystone = pytest.importorskip("keystone")
    from translator.backends.unicorn_backend import UnicornBackend
    from translator.memory import PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory
    import frontends.arm.abi as abi
    code = bytes(keystone.Ks(keystone.KS_ARCH_ARM, keystone.KS_MODE_ARM).asm(
        "loop: ldrex r1, [r0]; add r1, r1, #1; strex r2, r1, [r0]; cmp r2, #0; bne loop;"
        "add r3, r3, #1; cmp r3, r4; bne loop; nop")[0])
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        mem.map(0x10000, 0x1000, PROT_READ | PROT_EXEC)
        mem.map(0x20000, 0x1000, PROT_READ | PROT_WRITE)
        mem.write(0x10000, code, force=True)
        cpu = UnicornBackend(abi, mem)
        cpu.write_reg("r0", 0x20000)
        cpu.write_reg("r4", 400000)
        done = threading.Event()

        def ticker():
            while not done.is_set():
                time.sleep(0.0005)
                cpu.interrupt()
        t = threading.Thread(target=ticker)
        t.start()
        pc, end, stops = 0x10000, 0x10000 + len(code) - 4, 0
        try:
            while pc != end:
                cpu.uc.emu_start(pc, end)
                stops += 1
                pc = cpu.read_reg("pc")
        finally:
            done.set()
            t.join()
        assert stops > 1                                   # it really was interrupted
        assert mem.read_u32(0x20000) == cpu.read_reg("r3") == 400000
    finally:
        mem.close()


def test_run_lock_is_fair():
    """A thread giving the CPU up with waiters queued gets it back only after them."""
    from translator.linux.threads import RunLock
    lock, order = RunLock(), []
    lock.acquire()

    def waiter(n):
        lock.acquire()
        order.append(n)
        lock.release()
    ts = [threading.Thread(target=waiter, args=(n,)) for n in range(3)]
    for t in ts:
        t.start()
        while lock.waiters < len(order) + ts.index(t) + 1:
            time.sleep(0.001)
    lock.release()
    lock.acquire()              # queued behind all three
    order.append("me")
    lock.release()
    for t in ts:
        t.join()
    assert order == [0, 1, 2, "me"]
