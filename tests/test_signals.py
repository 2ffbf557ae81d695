"""Signals delivered to guest handlers (tests/guest/sig_*.c): frames, siginfo, masks, nesting,
sigaltstack, faults, timers, restarts, host signals forwarded — on both backends."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time

import pytest

from conftest import (CROSS_SYSROOT, PYTRANS, ROOT, GuestBuilder, qemu_for, run_pytrans, run_qemu,
                      shell_status)

# A guest ISA's instruction-set flag and its architecture (compiler, qemu-user, sysroot).
MODE = {"arm": "-marm", "thumb": "-mthumb", "aarch64": ""}
QEMU_ARCH = {"arm": "arm", "thumb": "arm", "aarch64": "aarch64"}
SYSROOT = {isa: CROSS_SYSROOT[arch] for isa, arch in QEMU_ARCH.items()}
# (guest ISA, backend): the JIT translates ARM32 only.
RUNS = [("arm", "unicorn"), ("thumb", "unicorn"), ("aarch64", "unicorn"), ("arm", "jit"),
        ("thumb", "jit")]
RUN_IDS = [f"{a}-{b}" for a, b in RUNS]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """build(NAME, ISA, link): tests/guest/NAME.c for a MODE key; link "" is a dynamic PIE."""
    guest = GuestBuilder(tmp_path_factory.mktemp("sig"))
    return lambda name, isa, link="-static": guest(name, QEMU_ARCH[isa], MODE[isa], link)


def _pytrans(backend: str, *args, **kw):
    return run_pytrans("run", "--backend", backend, *args, **kw)


# The real kernels (arch/arm/kernel/traps.c do_undefinstr, arch/arm64 do_undefinstr) report an
# undefined instruction as ILL_ILLOPC (1); qemu-user says ILL_ILLOPN (2).
# qemu-user 7.2 ignores SS_AUTODISARM (the handler still sees its alternate stack armed).
def _qemu_fixups(text: str) -> str:
    text = re.sub(r"^(sigill sig=4 addr_ok=1) code=2$", r"\1 code=1", text, flags=re.M)
    return text.replace("autodisarm inside: on_alt=1 flags=1; after: set=1 flags=0\n",
                        "autodisarm inside: on_alt=1 flags=2; after: set=1 flags=0x80000000\n")


SIG_BASIC_EXPECTED = """\
handler sig=10 si_signo=10 si_code=0 pid_ok=1 uid_ok=1
handler sig=10 si_signo=10 si_code=-6 pid_ok=1 uid_ok=1
nested: 110 212 150 160 110 212 150 160 depth=2
nodefer: 1 2 3 13 12 11
pending usr2=1 delivered=0
after unblock delivered=1 order=212 pending=0
resethand count=1 now_default=1
altstack set=1 flags=0
alt handler sig=12 on_alt=1 ss_onstack=1
alt handler sig=12 on_alt=0 ss_onstack=0
autodisarm inside: on_alt=1 flags=2; after: set=1 flags=0x80000000
segv sig=11 addr=0x10 code=1
segv sig=11 addr=0x18 code=1
segv blocked after longjmp=0
fixed write=42 sig=11 addr_ok=1 code=2
sigill sig=4 addr_ok=1 code=1
overflow caught sig=11
no restorer: hits=1011 fp=3 keep=1.25
queued sig=10 code=-1 value=4242 pid_ok=1
sigtimedwait got=12 code=0
sigtimedwait timeout=-1 EAGAIN=1
ppoll rc=-1 EINTR=1 handled=1 still blocked=1
pselect rc=-1 EINTR=1 handled=1 still blocked=1
epoll_pwait rc=-1 EINTR=1 handled=1 still blocked=1
done
"""


@pytest.mark.parametrize("isa,backend", RUNS, ids=RUN_IDS)
def test_handlers_frames_masks_faults(build, isa, backend):
    """siginfo from kill/raise, nesting with and without SA_NODEFER, pending-until-unblocked,
    SA_RESETHAND, sigaltstack + SA_ONSTACK, SIGSEGV (si_addr, MAPERR/ACCERR) left with
    siglongjmp or fixed and returned from, SIGILL, stack overflow caught on the alt stack."""
    exe = build("sig_basic", isa)
    r = _pytrans(backend, exe)
    assert r.stderr.decode() == ""
    assert r.returncode == 0
    assert r.stdout.decode() == SIG_BASIC_EXPECTED


@pytest.mark.parametrize("isa", ["arm", "thumb", "aarch64"])
def test_handlers_match_qemu(build, isa):
    exe = build("sig_basic", isa)
    q = run_qemu(QEMU_ARCH[isa], exe)
    assert q.returncode == 0
    assert _qemu_fixups(q.stdout.decode()) == SIG_BASIC_EXPECTED


@pytest.mark.parametrize("isa", ["thumb", "aarch64"])
def test_handlers_dynamic_with_sysroot(build, isa):
    if not os.path.isdir(SYSROOT[isa]):
        pytest.skip(f"{SYSROOT[isa]} missing (the cross toolchain's sysroot)")
    exe = build("sig_basic", isa, "")
    r = run_pytrans("run", "-L", SYSROOT[isa], exe)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == SIG_BASIC_EXPECTED


SIG_TIMER_EXPECTED = """\
interrupted>=30: 1, same result: 1
sigsuspend rc=-1 EINTR=1 ticks=1 alrm still blocked=1
read without SA_RESTART: -1 EINTR=1 ticks=1
read with SA_RESTART: 1 byte=x ticks=1
pause rc=-1 EINTR=1 ticks=1
nanosleep rc=-1 EINTR=1 short=1 rem_ok=1
sleep(5) interrupted returns 4
poll rc=-1 EINTR=1
waitpid SA_RESTART=0 first EINTR=1 then status=3
waitpid SA_RESTART=1 first EINTR=0 then status=3
alarm pending=1 left=1
"""


@pytest.mark.parametrize("isa,backend", RUNS, ids=RUN_IDS)
def test_timer_signals_interrupt_loops_and_blocking_calls(build, isa, backend):
    """SIGALRM from setitimer every 1 ms interrupts a loop 30+ times and its integer and VFP /
    FP-SIMD registers survive (same result as an uninterrupted run); sigsuspend; SA_RESTART vs
    EINTR on a blocking pipe read; pause; nanosleep; alarm/getitimer."""
    exe = build("sig_timer", isa)
    r = _pytrans(backend, exe, timeout=120)
    assert r.stderr.decode() == ""
    assert r.returncode == 0
    assert r.stdout.decode() == SIG_TIMER_EXPECTED


@pytest.mark.parametrize("isa", ["arm", "aarch64"])
def test_timer_signals_match_qemu(build, isa):
    q = run_qemu(QEMU_ARCH[isa], build("sig_timer", isa))
    assert q.returncode == 0
    assert q.stdout.decode() == SIG_TIMER_EXPECTED


def _send_from_outside(backend: str, exe, mode: str, sig: int) -> tuple[str, int]:
    import sys
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.Popen(PYTRANS + ["run", "--backend", backend, str(exe), mode, str(sig)],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    try:
        assert p.stdout.readline() == b"ready\n"
        time.sleep(0.2)            # let it get into the loop / the blocking call
        os.kill(p.pid, sig)
        line = p.stdout.readline()     # stdin stays open until the guest has answered
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert err == b"", err
    return (line + out).decode(), p.returncode


@pytest.mark.parametrize("mode,expect", [
    ("spin", "rc=0 eintr=0"), ("pause", "rc=-1 eintr=1"), ("read", "rc=-1 eintr=1")])
@pytest.mark.parametrize("isa,backend", [("thumb", "unicorn"), ("aarch64", "unicorn"),
                                         ("arm", "jit")])
def test_host_signal_reaches_guest_handler(build, isa, backend, mode, expect):
    """SIGINT from another process (os.kill on pytrans) runs the guest's handler with
    si_code SI_USER and the sender's pid, out of a native loop or a blocking call."""
    out, rc = _send_from_outside(backend, build("sig_wait", isa), mode, signal.SIGINT)
    assert rc == 0
    assert out == f"got 2 code=0 from_parent=1 {expect}\n"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGUSR1, signal.SIGWINCH,
                                 signal.SIGPIPE])
def test_other_host_signals_forwarded(build, sig):
    out, rc = _send_from_outside("unicorn", build("sig_wait", "aarch64"), "pause", sig)
    assert rc == 0
    assert out == f"got {int(sig)} code=0 from_parent=1 rc=-1 eintr=1\n"


SIG_CHILD_EXPECTED = """\
child exited=1 status=10
child2 signaled=1 sig=15
sigchld count>=1=1 last_code=2 pid_ok=1
"""


@pytest.mark.parametrize("isa,backend", [("thumb", "unicorn"), ("aarch64", "unicorn"),
                                         ("arm", "jit")], ids=["thumb", "aarch64", "arm-jit"])
def test_kill_between_processes_and_sigchld(build, isa, backend):
    """kill() to a forked child with a handler (it wakes from pause), to one without (killed
    by SIGTERM, seen by waitpid), and SIGCHLD's siginfo (CLD_KILLED, si_pid) in the parent."""
    r = _pytrans(backend, build("sig_child", isa), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == SIG_CHILD_EXPECTED


@pytest.mark.parametrize("isa,backend", [("thumb", "unicorn"), ("aarch64", "unicorn"),
                                         ("arm", "jit")], ids=["thumb", "aarch64", "arm-jit"])
def test_regression_write_not_repeated_when_signal_arrives(build, isa, backend):
    """A wake-up arriving while a host write() was completing used to turn the finished write
    into -ERESTARTSYS, so SA_RESTART wrote the data twice."""
    r = _pytrans(backend, build("sig_wait", isa), "flood", timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert len(lines) >= 4000
    assert lines == [f"line {i}" for i in range(len(lines))]


@pytest.mark.parametrize("isa,backend", [("thumb", "unicorn"), ("aarch64", "unicorn"),
                                         ("arm", "jit")], ids=["thumb", "aarch64", "arm-jit"])
def test_stop_default_action_and_sigcont_handler(build, isa, backend):
    """raise(SIGSTOP) stops the pytrans process for real (state T); SIGCONT from outside
    resumes it and runs the guest's SIGCONT handler."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    p = subprocess.Popen(PYTRANS + ["run", "--backend", backend, str(build("sig_wait", isa)),
                                    "stop"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         env=env)
    try:
        assert p.stdout.readline() == b"ready\n"
        state = ""
        for _ in range(200):
            with open(f"/proc/{p.pid}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state == "T":
                break
            time.sleep(0.05)
        assert state == "T"
        os.kill(p.pid, signal.SIGCONT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    assert out == b"resumed got 18 code=0 from_parent=1\n"


SIG_BUS_EXPECTED = "sigbus sig=7 code=1 addr_ok=1\n"


@pytest.mark.parametrize("isa", ["arm", "thumb", "aarch64"])
def test_unaligned_exclusive_is_sigbus(build, isa):
    """An unaligned LDREX/LDXR faults on real hardware (no kernel fixup for exclusives):
    SIGBUS, BUS_ADRALN, si_addr the unaligned address; same as qemu-user."""
    exe = build("sig_bus", isa)
    r = _pytrans("unicorn", exe)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == SIG_BUS_EXPECTED
    if qemu_for(QEMU_ARCH[isa]):
        assert run_qemu(QEMU_ARCH[isa], exe).stdout.decode() == SIG_BUS_EXPECTED


def test_regression_nanosleep_interrupted_writes_remaining_time(build):
    """nanosleep cut short by a handled signal used to leave *rem untouched (glibc's sleep()
    then reported 0 seconds left)."""
    out = _pytrans("unicorn", build("sig_timer", "thumb"), timeout=120).stdout.decode()
    assert "nanosleep rc=-1 EINTR=1 short=1 rem_ok=1\n" in out
    assert "sleep(5) interrupted returns 4\n" in out


def test_strace_shows_restart_codes_and_signals(build):
    """--strace shows interrupted calls with the kernel's restart codes and each delivery."""
    r = run_pytrans("run", "--strace", build("sig_timer", "aarch64"), timeout=120)
    assert r.returncode == 0
    err = r.stderr.decode()
    assert re.search(r"\bread\(3,0x[0-9a-f]+,1\) = \? ERESTARTSYS \(To be restarted if "
                     r"SA_RESTART is set\)", err)
    assert "rt_sigsuspend(" in err and "= ? ERESTARTNOHAND" in err
    assert "--- SIGALRM {si_signo=SIGALRM, si_code=128" in err


SIG_UCONTEXT_EXPECTED = "record magic ok=1 saved d8=3.5 r0=5 -> after return d8=7.25 r0=77\n"


@pytest.mark.parametrize("isa,backend", RUNS, ids=RUN_IDS)
def test_handler_edits_ucontext(build, isa, backend):
    """The frame's layout as the kernel's (VFP / fpsimd record magic and size, d8 and r0/x0
    where the C library's ucontext_t says) and sigreturn restoring what the handler edited:
    the PC moved past the undefined instruction (2 bytes in Thumb), r0/x0 and d8."""
    r = _pytrans(backend, build("sig_ucontext", isa))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == SIG_UCONTEXT_EXPECTED


@pytest.mark.parametrize("isa", ["arm", "thumb"])
def test_handler_edits_ucontext_matches_qemu(build, isa):
    # Not compared on AArch64: qemu-aarch64 7.2 does not restore the FP/SIMD registers from a
    # handler-edited fpsimd_context (Linux does: restore_fpsimd_context), so d8 stays 3.5.
    q = run_qemu("arm", build("sig_ucontext", isa))
    assert q.stdout.decode() == SIG_UCONTEXT_EXPECTED


@pytest.mark.parametrize("isa,backend", RUNS, ids=RUN_IDS)
@pytest.mark.parametrize("mode,status,out", [
    ("return", 0, "write done after 3 deliveries: 9\n"),
    ("inhandler", 139, "in handler\n"),
    ("resethand", 139, ""), ("overflow", 139, "")])
def test_fault_after_handler(build, isa, backend, mode, status, out):
    """A handler that returns without fixing the fault gets it again (the instruction runs
    again), a fault inside the handler (SIGSEGV blocked) kills by the default action, and so
    does a second fault after SA_RESETHAND; as qemu-user and Linux."""
    exe = build("sig_refault", isa)
    r = _pytrans(backend, exe, mode)
    assert shell_status(r.returncode) == status
    assert r.stdout.decode() == out
    if status:
        assert "guest killed by signal 11 (SIGSEGV)" in r.stderr.decode()
    if backend == "unicorn" and qemu_for(QEMU_ARCH[isa]):
        q = run_qemu(QEMU_ARCH[isa], exe, mode)
        assert (shell_status(q.returncode), q.stdout.decode()) == (status, out)


def test_sigcont_and_stop_signals_cancel_each_other():
    """prepare_signal(): a SIGCONT discards pending stop signals and a stop signal a pending
    SIGCONT (checked on the Linux layer directly, all blocked so they stay pending)."""
    import io
    import frontends.arm.abi as abi
    from translator.linux import sigdeliver as sd
    from translator.linux.fdtable import FdTable
    from translator.linux.kernel import Kernel
    from translator.memory import GuestMemory
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        k = Kernel(abi, mem, FdTable(), log=io.StringIO())
        k.sig.mask = sd.bit(signal.SIGTSTP) | sd.bit(signal.SIGCONT) | sd.bit(signal.SIGUSR1)
        sd.post(k, sd.SigInfo(signal.SIGTSTP), wake=False)
        sd.post(k, sd.SigInfo(signal.SIGUSR1), wake=False)
        sd.post(k, sd.SigInfo(signal.SIGCONT), wake=False)
        assert k.sig.pending == sd.bit(signal.SIGCONT) | sd.bit(signal.SIGUSR1)
        sd.post(k, sd.SigInfo(signal.SIGTSTP), wake=False)
        assert k.sig.pending == sd.bit(signal.SIGTSTP) | sd.bit(signal.SIGUSR1)
    finally:
        mem.close()


@pytest.mark.parametrize("isa", ["thumb", "aarch64"])
def test_regression_sigaltstack_autodisarm_flag_bit31(build, isa):
    """stack_t.ss_flags was read as a signed int, so SS_AUTODISARM (bit 31) made sigaltstack
    fail with EINVAL and could not be packed back; the handler must see its stack disarmed."""
    out = _pytrans("unicorn", build("sig_basic", isa)).stdout.decode()
    assert "autodisarm inside: on_alt=1 flags=2; after: set=1 flags=0x80000000\n" in out


@pytest.mark.parametrize("isa", ["arm", "aarch64"])
def test_regression_ppoll_pselect_apply_their_sigmask(build, isa):
    """ppoll/pselect6 ignored their signal mask argument, so a blocked pending signal the
    mask lets through did not end the wait (it slept the whole timeout)."""
    out = _pytrans("unicorn", build("sig_basic", isa)).stdout.decode()
    assert "ppoll rc=-1 EINTR=1 handled=1 still blocked=1\n" in out
    assert "pselect rc=-1 EINTR=1 handled=1 still blocked=1\n" in out
    assert "epoll_pwait rc=-1 EINTR=1 handled=1 still blocked=1\n" in out


def test_aarch64_fault_frame_has_esr_context(build):
    """Linux adds an esr_context record to a fault's frame (after fpsimd_context): exception
    class, IL, WnR, and the fault status (translation vs permission). qemu-user 7.2 does not
    write one, so this is checked against the architecture's encoding only."""
    r = _pytrans("unicorn", build("sig_esr", "aarch64"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == (
        "write: esr found=1 ec=0x24 il=1 wnr=1 fsc=0x7\n"
        "read: esr found=1 ec=0x24 il=1 wnr=0 fsc=0x7\n"
        "fetch: esr found=1 ec=0x20 il=1 wnr=0 fsc=0x7\n"
        "readonly write: esr found=1 ec=0x24 il=1 wnr=1 fsc=0xf\n")
