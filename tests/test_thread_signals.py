"""Signals and guest threads together (translator/linux/threads.py + sigdeliver.py):
thread-directed signals (pthread_kill, tgkill), per-thread masks and pending sets,
process-directed signals routed like the kernel's complete_signal() (main thread first, else a
thread that does not block it, else pending on the process until a thread unblocks or
sigwaits), pthread_cancel through glibc's SIGCANCEL at cancellation points, faults in worker
threads — on both ARM32 backends and AArch64, compared with exact expected output that
qemu-user gives too."""
from __future__ import annotations

import os

import pytest

from conftest import CROSS_SYSROOT, GuestBuilder, run_pytrans, run_qemu, shell_status

# (arch, compiler flags, backend)
CONFIGS = [("arm", "-marm", "unicorn"), ("arm", "-mthumb", "unicorn"), ("arm", "-marm", "jit"),
           ("arm", "-mthumb", "jit"), ("aarch64", "", "unicorn")]
IDS = [f"{a}{f}-{b}" for a, f, b in CONFIGS]

KILL_OUT = """\
pthread_kill(worker, 0)=0
main computed 2820230816 while the worker ran its handler
handler: sig=10 tls=1 tid_ok=1 code=-6 pid_ok=1
tgkill(no such tid)=-1 ESRCH=1
tkill(no such tid)=-1 ESRCH=1
tgkill(main, 0)=0
worker sigpending: usr2=1 handled=0
main sigpending: usr2=0
after unblock in worker: sig=12 tls=2 tid_ok=1 code=-6
kill from worker: handled by main=1 tid_ok=1 code=0
SIGALRM taken by worker=1 tid_ok=1 alarms=1 main pending=0
process pending before sigwait: usr2=1
sigwait got 12 code=0 pid_ok=1
/proc/self/task: 2 entries, 2 known
sigwait got 10 code=0 pid_ok=1
sigwait got 10 code=0 pid_ok=1
sigwait got 10 code=0 pid_ok=1
handlers run=0 pending after=0
sigqueue to worker: n=2 values=5,6 code=-1 in_worker=1
sigwait got 15 from another process
done
"""

CANCEL_OUT = """\
cleanup: cond_wait (mutex held: 1)
cond_wait: cancel=0 join=0 canceled=1
mutex free after cancel: 1
cleanup: nanosleep inner
cleanup: nanosleep outer
nanosleep: cancel=0 join=0 canceled=1
cleanup: read
read: cancel=0 join=0 canceled=1
disabled worker slept through the cancel
disabled: cancel=0 join=0 canceled=0
disabled: result=7
cleanup: testcancel
testcancel: cancel=0 join=0 canceled=1
done
"""

INTR_OUT = """\
read without SA_RESTART: -1 EINTR=1 handled=1
read with SA_RESTART: 1 byte=x handled=1
nanosleep: -1 EINTR=1 rem_ok=1 handled=1
poll: -1 EINTR=1 handled=1
sigsuspend: -1 EINTR=1 handled=1
cond_timedwait: ETIMEDOUT handled=1
futex wait with timeout: -1 EINTR=1 handled=1
done
"""

FAULT_OUT = """\
worker caught 5 faults: tls=7 tid_ok=1 code=1 on_altstack=1
main computed 2205786960, main altstack disabled=1
"""
# tsig_fault modes in which a worker's unhandled fault kills the process.
FATAL = {"die": ("worker faults now\n", 11), "ill": ("worker executes an undefined instruction\n", 4)}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return GuestBuilder(tmp_path_factory.mktemp("tsig"), ("-O1", "-pthread"))


def _run(backend: str, prog, *args: str, sysroot: str | None = None):
    opts = ["-L", sysroot] if sysroot else ["--backend", backend]
    return run_pytrans("run", *opts, prog, *args, timeout=90)


@pytest.mark.parametrize("arch,flags,backend", CONFIGS, ids=IDS)
def test_pthread_kill_masks_kill_alarm_sigwait(build, arch, flags, backend):
    """pthread_kill to a spinning worker: its handler sees its tid, TLS and SI_TKILL, and the
    main thread computes while the handler spins; a signal blocked by one thread is pending
    on that thread only; kill() from a worker that blocks it interrupts the main thread's
    pthread_join; SIGALRM goes to the only thread not blocking it; a signal every thread
    blocks stays pending on the process until a dedicated thread sigwaits for it; SIGTERM
    (default action) from another process, blocked everywhere, goes to a sigwait thread
    instead of killing the process."""
    r = _run(backend, build("tsig_kill", arch, flags))
    assert r.stderr.decode() == ""
    assert r.returncode == 0
    assert r.stdout.decode() == KILL_OUT


@pytest.mark.parametrize("arch,flags,backend", [CONFIGS[1], CONFIGS[2], CONFIGS[4]],
                         ids=[IDS[1], IDS[2], IDS[4]])
def test_process_signal_after_main_thread_exit_goes_to_worker(build, arch, flags, backend):
    """After pthread_exit in main, kill() to the process reaches the remaining thread (the
    exited main thread takes no more process-directed signals)."""
    r = _run(backend, build("tsig_kill", arch, flags), "mainexit")
    assert r.stderr.decode() == ""
    assert r.returncode == 0
    assert r.stdout.decode() == "after main exited: handled in worker=1 code=0\n"


@pytest.mark.parametrize("arch,flags,backend", CONFIGS, ids=IDS)
def test_pthread_cancel_at_cancellation_points(build, arch, flags, backend):
    """pthread_cancel of workers blocked in pthread_cond_wait (futex), nanosleep and read:
    glibc's SIGCANCEL handler unwinds them through their cleanup handlers and join returns
    PTHREAD_CANCELED; disabled cancellation and pthread_testcancel behave too."""
    r = _run(backend, build("tsig_cancel", arch, flags))
    assert r.stderr.decode() == ""
    assert r.returncode == 0
    assert r.stdout.decode() == CANCEL_OUT


@pytest.mark.parametrize("arch,flags,backend", CONFIGS, ids=IDS)
def test_pthread_kill_interrupts_blocking_calls_in_worker(build, arch, flags, backend):
    """pthread_kill to a worker blocked in a host call or a wait pytrans does itself: read
    ends with EINTR (no SA_RESTART) or restarts (SA_RESTART), nanosleep gives EINTR and the
    time left, poll EINTR, sigsuspend returns, a futex wait with a timeout runs the handler
    (glibc's timed condvar wait goes on; a raw FUTEX_WAIT with a timeout gives EINTR)."""
    r = _run(backend, build("tsig_intr", arch, flags))
    assert r.stderr.decode() == ""
    assert r.returncode == 0
    assert r.stdout.decode() == INTR_OUT


@pytest.mark.parametrize("arch,flags,backend", CONFIGS, ids=IDS)
def test_fault_handled_in_worker_while_main_computes(build, arch, flags, backend):
    """SIGSEGV in a worker runs the handler on that worker (its tid and TLS, its own
    sigaltstack) and siglongjmps out, five times, while the main thread keeps computing."""
    r = _run(backend, build("tsig_fault", arch, flags))
    assert r.stderr.decode() == ""
    assert r.returncode == 0
    assert r.stdout.decode() == FAULT_OUT


@pytest.mark.parametrize("arch,flags,backend", CONFIGS, ids=IDS)
@pytest.mark.parametrize("mode", sorted(FATAL))
def test_unhandled_fault_in_worker_kills_process(build, arch, flags, backend, mode):
    """An unhandled SIGSEGV (main thread in pthread_join) or SIGILL (main thread spinning)
    in a worker kills the whole process with that signal: status 128+sig."""
    out, sig = FATAL[mode]
    r = _run(backend, build("tsig_fault", arch, flags), mode)
    assert r.stdout.decode() == out
    assert shell_status(r.returncode) == 128 + sig, r.stderr.decode()
    assert f"guest killed by signal {sig}" in r.stderr.decode()


@pytest.mark.parametrize("arch", ["arm", "aarch64"])
def test_thread_signals_dynamic_with_sysroot(build, arch):
    """The same with glibc's shared libraries: pthread_cancel's unwinder comes from
    libgcc_s.so.1, which libc dlopens from the sysroot."""
    if not os.path.isdir(CROSS_SYSROOT[arch]):
        pytest.skip(f"{CROSS_SYSROOT[arch]} missing (the cross toolchain's sysroot)")
    for name, want in (("tsig_cancel", CANCEL_OUT), ("tsig_kill", KILL_OUT)):
        r = _run("", build(name, arch, link="-no-pie"), sysroot=CROSS_SYSROOT[arch])
        assert r.returncode == 0, r.stderr.decode()
        assert r.stdout.decode() == want


@pytest.mark.parametrize("arch,flags", [("arm", "-mthumb"), ("aarch64", "")])
def test_expected_output_matches_qemu(build, arch, flags):
    """The expected outputs above are what qemu-user prints too, but for qemu-user's own
    RCU thread, which its /proc/self/task lists (the kernel lists the guest's threads
    only; so does pytrans, which hides its forwarder and ticker threads)."""
    for name, args, want, status in (("tsig_kill", (), KILL_OUT, 0),
                                     ("tsig_cancel", (), CANCEL_OUT, 0),
                                     ("tsig_intr", (), INTR_OUT, 0),
                                     ("tsig_fault", (), FAULT_OUT, 0),
                                     ("tsig_fault", ("die",), FATAL["die"][0], 139)):
        q = run_qemu(arch, build(name, arch, flags), *args, timeout=60)
        out = q.stdout.decode().replace("/proc/self/task: 3 entries, 2 known",
                                        "/proc/self/task: 2 entries, 2 known")
        assert out == want, name
        assert shell_status(q.returncode) == status, name


def test_regression_wakeup_signal_while_retaking_run_lock():
    """The CLI's wake-up signal handler raises SyscallInterrupted on the main thread while it
    is in a Python-level wait (nanosleep, sigsuspend). Arriving while that thread queued to
    take the run lock back after the wait, it escaped from RunLock.acquire and left the
    thread in the lock's queue: every other guest thread then waited forever."""
    import signal
    import threading
    import time
    import types

    from translator.linux import threads
    from translator.linux.sigdeliver import SignalState, SyscallInterrupted

    k = types.SimpleNamespace(pid=os.getpid(), cpu=None, sig=SignalState(), tid_address=0,
                              interruptible=False, wake_hook=None)

    def on_wake(_signum, _frame):
        if k.interruptible:          # hostsig.on_wake: a signal is ready for the guest
            raise SyscallInterrupted

    old = signal.signal(signal.SIGUSR2, on_wake)
    group = threads.ThreadGroup(k)   # this (main) thread holds the run lock
    me = threading.get_ident()
    taken, release = threading.Event(), threading.Event()

    def other_guest_thread():
        group.lock.acquire()
        taken.set()
        release.wait(5)
        group.lock.release()

    def signaller():
        deadline = time.monotonic() + 5
        while group.lock.waiters < 1 and time.monotonic() < deadline:
            time.sleep(0.001)
        signal.pthread_kill(me, signal.SIGUSR2)   # while main queues for the run lock
        time.sleep(0.05)
        release.set()

    try:
        k.interruptible = True       # the gate, around a Python-level wait
        with group.unlocked():
            other = threading.Thread(target=other_guest_thread)
            other.start()
            assert taken.wait(5)
            threading.Thread(target=signaller).start()
        other.join(5)
        assert group.lock.owner == me and group.lock.waiters == 0
    finally:
        signal.signal(signal.SIGUSR2, old)
        release.set()
        threads._current.thread = None
        if group.lock.owner == me:
            group.lock.release()
