"""Signal delivery: queueing, default actions, handler frames, sigreturn, syscall restart.

The generic half of Linux's kernel/signal.c + arch/*/kernel/signal.c: which signal is
delivered when, what the mask becomes, where the frame goes (alternate stack). The frame
bytes themselves are per-architecture facts in ``frontends/<arch>/sigframe.py``; they work on
the backend-independent CPU context that backends give with ``get_context()`` and take with
``set_context(ctx)`` (a dict; its keys are documented in each sigframe module).

Signals are delivered at safe points only: after a syscall, after a guest fault, and when a
backend stops because :meth:`SignalState.post` (called from any thread) asked it to.
"""
from __future__ import annotations

import errno
import importlib
import os
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..memory import GuestFault
from . import signals as sigs

if TYPE_CHECKING:
    from .kernel import Kernel

SA_NOCLDSTOP, SA_NOCLDWAIT, SA_SIGINFO, SA_RESTORER = 0x1, 0x2, 0x4, 0x04000000
SA_ONSTACK, SA_RESTART, SA_NODEFER, SA_RESETHAND = 0x08000000, 0x10000000, 0x40000000, 0x80000000
SS_ONSTACK, SS_DISABLE, SS_AUTODISARM = 1, 2, 1 << 31
MINSIGSTKSZ = {32: 2048, 64: 5120}
SI_USER, SI_KERNEL, SI_QUEUE, SI_TIMER, SI_TKILL = 0, 0x80, -1, -2, -6
SEGV_MAPERR, SEGV_ACCERR, BUS_ADRALN, ILL_ILLOPC, TRAP_BRKPT = 1, 2, 1, 1, 1
UNBLOCKABLE = (1 << (sigs.SIGKILL - 1)) | (1 << (sigs.SIGSTOP - 1))
# The kernel's internal "restart me" codes (include/linux/errno.h).
ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND = 512, 513, 514


def bit(sig: int) -> int:
    return 1 << (sig - 1)


_STOP_NUMBERS = (sigs.SIGSTOP, sigs.SIGTSTP, sigs.SIGTTIN, sigs.SIGTTOU)
_STOP_SIGNALS = sum(bit(s) for s in _STOP_NUMBERS)


class SyscallInterrupted(Exception):
    """Raised (by the host wake-up signal handler) out of a blocking syscall handler when a
    signal is ready for the guest: the syscall ends with EINTR or restarts."""


@dataclass
class SigInfo:
    """The fields of a siginfo_t pytrans fills (the union member chosen by ``kind``)."""

    signo: int
    code: int = SI_USER
    errno: int = 0
    pid: int = 0
    uid: int = 0
    addr: int | None = None       # faults: si_addr
    fault: bool = False           # a hardware fault (the frame records its address)
    kind: str = "kill"            # "kill", "chld", "timer", "fault"
    status: int = 0
    utime: int = 0
    stime: int = 0
    value: int = 0
    timerid: int = 0
    overrun: int = 0
    esr: int = 0                  # AArch64 faults: the sanitised ESR_EL1 (esr_context)
    shared: bool = False          # process-directed (re-routed if its thread ends first)


@dataclass
class SignalState:
    """Per-thread signal state (mask, alternate stack, pending signals).

    The Kernel holds the main thread's; threads.py gives each guest thread its own, with
    ``group`` its ThreadGroup (whose ``shared`` state holds the process-directed signals
    that every thread blocks)."""

    mask: int = 0
    pending: int = 0
    infos: dict[int, list[SigInfo]] = field(default_factory=dict)
    alt_sp: int = 0
    alt_size: int = 0
    alt_flags: int = SS_DISABLE
    saved_mask: int | None = None         # sigsuspend/ppoll: the mask to restore on return
    restart: tuple[int, int] | None = None  # (restart code, original arg0) of an interrupted call
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    # Set whenever a signal is queued here: wakes this thread's sigsuspend/pause/sigtimedwait
    # (on any host thread; the main thread is also woken by the host wake-up signal).
    wakeup: threading.Event = field(default_factory=threading.Event, repr=False)
    waiting: int = 0                      # signals sigtimedwait takes (unblocked for routing)
    group: object = field(default=None, repr=False, compare=False)

    def __setattr__(self, name: str, value) -> None:
        object.__setattr__(self, name, value)
        if name == "mask":
            group = self.__dict__.get("group")
            if group is not None:
                group.unblocked(self)     # take the shared signals no longer blocked

    def on_alt_stack(self, sp: int) -> bool:
        return self.alt_flags != SS_DISABLE and self.alt_sp < sp <= self.alt_sp + self.alt_size

    def ready(self) -> int:
        return self.pending & ~self.mask


def frame_module(k: "Kernel"):
    """The architecture's sigframe module (frontends/<arch>/sigframe.py)."""
    mod = getattr(k, "_sigframe", None)
    if mod is None:
        mod = importlib.import_module(k.abi.__name__.rsplit(".", 1)[0] + ".sigframe")
        k._sigframe = mod
    return mod


def action(k: "Kernel", sig: int) -> tuple[int, int, int, int]:
    return k.sigactions.get(sig, (sigs.SIG_DFL, 0, 0, 0))


def is_ignored(k: "Kernel", sig: int) -> bool:
    handler = action(k, sig)[0]
    return handler == sigs.SIG_IGN or (handler == sigs.SIG_DFL
                                       and sigs.default_action(sig) == "ignore")


def post(k: "Kernel", info: SigInfo, wake: bool = True, thread=None) -> None:
    """Queue a signal for the guest (any thread may call this). It is delivered at the next
    safe point; ``wake`` asks the running backend and any blocking syscall to get there.

    With guest threads, ``thread`` (a threads.GuestThread) makes it thread-directed
    (tgkill, SIGEV_THREAD_ID); otherwise it is process-directed and goes where
    ThreadGroup.route says. A signal for another thread than the caller always wakes it."""
    sig = info.signo
    if sig == 0:
        return
    group = k.__dict__.get("threads")
    if group is None:
        st = k.sig
        _cancel_stops(st, sig)
        if _queue(k, st, info, st.mask) and wake and st.ready():
            k.wake()
        return
    for state in [t.sig for t in list(group.threads.values())] + [group.shared]:
        _cancel_stops(state, sig)
    if thread is None:
        info.shared = True
        thread = group.route(sig)
        if thread is None:
            # Every thread blocks it: pending on the process until one unblocks it (or
            # takes it with sigtimedwait). A thread may have just unblocked it: route again.
            if _queue(k, group.shared, info, group.main.sig.mask | bit(sig)):
                again = group.route(sig)
                if again is not None and group.take_shared(again.sig, bit(sig)):
                    group.kick(again)
            return
        blocked = group.main.sig.mask    # sig_ignored() looks at the thread group leader
    else:
        blocked = thread.sig.mask
    st = thread.sig
    if _queue(k, st, info, blocked) and (st.ready() | st.waiting) & bit(sig):
        from .threads import current
        if wake or thread is not current():
            group.kick(thread)


def _cancel_stops(st: SignalState, sig: int) -> None:
    """prepare_signal(): SIGCONT cancels pending stop signals and a stop signal cancels a
    pending SIGCONT."""
    cancel = _STOP_SIGNALS if sig == sigs.SIGCONT else \
        (bit(sigs.SIGCONT) if sig in _STOP_NUMBERS else 0)
    if st.pending & cancel:
        with st.lock:
            st.pending &= ~cancel
            for s in _STOP_NUMBERS + (sigs.SIGCONT,):
                if cancel & bit(s):
                    st.infos.pop(s, None)


def _queue(k: "Kernel", st: SignalState, info: SigInfo, blocked: int) -> bool:
    """Add ``info`` to ``st``'s pending signals; False when it is discarded (ignored and
    not blocked, or a standard signal already pending)."""
    sig = info.signo
    if is_ignored(k, sig) and not blocked & bit(sig):
        return False  # discarded at generation time, as the kernel does
    with st.lock:
        if sig < 32 and st.pending & bit(sig):
            return False  # standard signals do not queue
        st.infos.setdefault(sig, []).append(info)
        st.pending |= bit(sig)
    st.wakeup.set()
    return True


def requeue_shared(k: "Kernel", st: SignalState) -> None:
    """A thread ends: the process-directed signals still pending on it go elsewhere."""
    with st.lock:
        moved = [(s, i) for s, queue in st.infos.items() for i in queue if i.shared]
        for s, i in moved:
            st.infos[s].remove(i)
            if not st.infos[s]:
                del st.infos[s]
                st.pending &= ~bit(s)
    for _, info in moved:
        post(k, info)


def undelivered(k: "Kernel", sig: int) -> bool:
    """Whether ``sig`` is pending and unblocked on some thread (not yet taken)."""
    group = k.__dict__.get("threads")
    states = [k.sig] if group is None else [t.sig for t in list(group.threads.values())]
    return any(st.ready() & bit(sig) for st in states)


def is_queued(k: "Kernel", info: SigInfo) -> bool:
    """Whether this very siginfo is still pending somewhere (a timer's overrun counting)."""
    group = k.__dict__.get("threads")
    states = [k.sig] if group is None else \
        [t.sig for t in list(group.threads.values())] + [group.shared]
    for st in states:
        with st.lock:
            if any(i is info for i in st.infos.get(info.signo, ())):
                return True
    return False


def pending_set(k: "Kernel") -> int:
    """The calling thread's pending signals and the process's shared ones (sigpending)."""
    group = k.__dict__.get("threads")
    return k.sig.pending | (group.shared.pending if group is not None else 0)


def sleep(k: "Kernel", seconds: float) -> None:
    """Sleep for a guest syscall (nanosleep); a signal ready for this thread ends it early
    with SyscallInterrupted (any guest thread: posting sets its ``wakeup`` event)."""
    st = k.sig
    deadline = time.monotonic() + seconds
    while True:
        st.wakeup.clear()
        if st.ready():
            raise SyscallInterrupted
        left = deadline - time.monotonic()
        if left <= 0:
            return
        st.wakeup.wait(left)


def _dequeue(st: SignalState, sig: int) -> SigInfo:
    with st.lock:
        queue = st.infos.get(sig) or [SigInfo(sig)]
        info = queue.pop(0)
        if not queue:
            st.pending &= ~bit(sig)
            st.infos.pop(sig, None)
        return info


def _next_signal(st: SignalState) -> int:
    ready = st.ready()
    if not ready:
        return 0
    # Synchronous (fault) signals first, as the kernel's SYNCHRONOUS_MASK does; then lowest.
    for sig in (sigs.SIGSEGV, sigs.SIGBUS, sigs.SIGILL, sigs.SIGTRAP, sigs.SIGFPE, sigs.SIGSYS):
        if ready & bit(sig):
            return sig
    return (ready & -ready).bit_length()


def deliver_pending(k: "Kernel") -> None:
    """Deliver every signal the mask lets through: run default actions (may raise
    GuestExit) and push one handler frame per handled signal (nested like the kernel's)."""
    st = k.sig
    handled = False
    while True:
        sig = _next_signal(st)
        if not sig:
            break
        info = _dequeue(st, sig)
        if _handle(k, sig, info, first=not handled):
            handled = True
    if st.restart is not None:
        # Only ignored/default-ignored signals arrived: the kernel restarts the call.
        _restart(k, handled=False, flags=0)
    if st.saved_mask is not None and not handled:
        st.mask, st.saved_mask = st.saved_mask, None


def force_fault(k: "Kernel", info: SigInfo, pc: int | None = None, reason: str = "") -> None:
    """A synchronous fault (force_sig_fault): a blocked or ignored fault signal is reset to
    the default action and unblocked, so a fault inside its own handler kills."""
    from .kernel import GuestExit
    sig, st = info.signo, k.sig
    handler = action(k, sig)[0]
    if handler == sigs.SIG_IGN or st.mask & bit(sig):
        k.sigactions[sig] = (sigs.SIG_DFL, 0, 0, 0)
        st.mask &= ~bit(sig)
        handler = sigs.SIG_DFL
    if handler == sigs.SIG_DFL:
        raise GuestExit(signal=sig, pc=pc, addr=info.addr, reason=reason)
    _handle(k, sig, info, first=True)
    if st.ready():
        deliver_pending(k)


def with_sigmask(k: "Kernel", mask: int | None, call) -> int:
    """Run a waiting call under a temporary signal mask (ppoll, pselect6, epoll_pwait), as
    set_user_sigmask/restore_saved_sigmask_unless do: a signal the temporary mask lets
    through ends the wait with EINTR and its handler's frame saves the original mask."""
    if mask is None:
        return call()
    st = k.sig
    st.saved_mask, st.mask = st.mask, mask & ~UNBLOCKABLE
    if st.ready():
        raise SyscallInterrupted          # the gate: -ERESTARTNOHAND, then delivery
    res = call()
    if res != -errno.EINTR or not st.ready():
        st.mask, st.saved_mask = st.saved_mask, None
    return res


def _restart(k: "Kernel", handled: bool, flags: int) -> None:
    """Finish an interrupted syscall (handle_signal's -ERESTART* switch)."""
    st = k.sig
    code, arg0 = st.restart
    st.restart = None
    fm = frame_module(k)
    ctx = k.cpu.get_context()
    if not handled or code == ERESTARTNOINTR or (code == ERESTARTSYS and flags & SA_RESTART):
        fm.rewind_syscall(ctx, arg0)
    else:
        fm.set_result(ctx, -errno.EINTR)
    k.cpu.set_context(ctx)


def _handle(k: "Kernel", sig: int, info: SigInfo, first: bool) -> bool:
    """Deliver one dequeued signal; True when a guest handler was set up."""
    from .kernel import GuestExit
    st = k.sig
    handler, flags, restorer, samask = action(k, sig)
    if handler == sigs.SIG_IGN:
        return False
    if handler == sigs.SIG_DFL:
        what = sigs.default_action(sig)
        if what == "ignore":
            return False
        if what == "stop":
            # Stop for real: the host process stops until a SIGCONT, as the kernel would.
            os.kill(os.getpid(), sigs.SIGSTOP)
            if action(k, sigs.SIGCONT)[0] not in (sigs.SIG_DFL, sigs.SIG_IGN):
                # The kernel runs the SIGCONT handler before the guest goes on; the host
                # SIGCONT reaches us through the forwarding thread: give it a moment.
                deadline = time.monotonic() + 0.5
                while not st.pending & bit(sigs.SIGCONT) and time.monotonic() < deadline:
                    time.sleep(0.002)
            return False
        raise GuestExit(signal=sig, pc=info.addr if info.fault else None,
                        addr=info.addr, reason=f"{sigs.name(sig)} (default action)")
    if st.restart is not None and first:
        _restart(k, handled=True, flags=flags)
    fm = frame_module(k)
    ctx = k.cpu.get_context()
    oldmask = st.saved_mask if st.saved_mask is not None else st.mask
    st.saved_mask = None
    sp = fm.sp_of(ctx)
    stack = (st.alt_sp, st.alt_flags | (SS_ONSTACK if st.on_alt_stack(sp) else 0)
             if st.alt_flags != SS_DISABLE else SS_DISABLE, st.alt_size)
    if flags & SA_ONSTACK and st.alt_flags != SS_DISABLE and not st.on_alt_stack(sp):
        sp = st.alt_sp + st.alt_size
    try:
        new = fm.build_frame(k.mem, ctx, sp, sig=sig, info=info, flags=flags, handler=handler,
                             restorer=restorer, oldmask=oldmask, stack=stack,
                             tramp=0 if flags & SA_RESTORER else trampoline(k))
    except GuestFault as e:
        # No room for the frame: signal_setup_done(failed) forces SIGSEGV (the guest dies).
        raise GuestExit(signal=sigs.SIGSEGV, pc=fm.pc_of(ctx), addr=e.addr,
                        reason="no room for the signal frame") from None
    k.cpu.set_context(new)
    if stack[1] & SS_AUTODISARM:
        # The handler runs with the alternate stack disarmed; sigreturn re-arms it from
        # uc_stack (__save_altstack + sas_ss_reset).
        st.alt_sp, st.alt_size, st.alt_flags = 0, 0, SS_DISABLE
    st.mask |= samask
    if not flags & SA_NODEFER:
        st.mask |= bit(sig)
    st.mask &= ~UNBLOCKABLE
    if flags & SA_RESETHAND:
        k.sigactions[sig] = (sigs.SIG_DFL, 0, 0, 0)
    if k.strace:
        print(f"{k.pid} --- {sigs.name(sig)} {{si_signo={sigs.name(sig)}, si_code={info.code}"
              + (f", si_addr={info.addr:#x}" if info.addr is not None else
                 f", si_pid={info.pid}, si_uid={info.uid}") + "} ---",
              file=k.strace, flush=True)
    return True


def trampoline(k: "Kernel") -> int:
    """Address of the sigreturn trampoline page ([sigpage] / the vDSO's sigtramp), mapped
    read+exec on first use, as returns without SA_RESTORER go through it."""
    addr = getattr(k, "_sigpage", 0)
    if addr:
        return addr
    from ..memory import PAGE_SIZE, PROT_EXEC, PROT_READ
    addr = k.mem.find_free(PAGE_SIZE, k.mmap_top)
    if addr is None:
        raise MemoryError("no room for the signal trampoline page")
    k.mem.map(addr, PAGE_SIZE, PROT_READ | PROT_EXEC, name="[sigpage]")
    k.mem.write(addr, frame_module(k).trampoline_page(), force=True)
    k._sigpage = addr
    return addr


def sigreturn(k: "Kernel", rt: bool) -> int:
    """(rt_)sigreturn: restore the interrupted context and mask from the frame at SP;
    returns the restored first register (the gate writes it back unchanged)."""
    from .kernel import GuestExit
    fm = frame_module(k)
    ctx = k.cpu.get_context()
    try:
        new, mask, stack = fm.restore_frame(k.mem, ctx, rt)
    except Exception as e:   # noqa: BLE001 - GuestFault or a corrupt frame: SIGSEGV
        raise GuestExit(signal=sigs.SIGSEGV, pc=fm.pc_of(ctx), reason=f"bad sigreturn: {e}") \
            from None
    k.sig.mask = mask & ~UNBLOCKABLE
    k.sig.restart = None
    k.cpu.set_context(new)
    if stack is not None:
        restore_altstack(k, fm.sp_of(new), *stack)
    x0 = new["r"][0] if "r" in new else new["x"][0]
    return k.signed(x0)


def restore_altstack(k: "Kernel", cur_sp: int, sp: int, flags: int, size: int) -> None:
    """restore_altstack: like sigaltstack(uc_stack) at the restored SP, errors ignored."""
    st = k.sig
    if st.on_alt_stack(cur_sp):
        return
    flags &= ~SS_ONSTACK
    if flags & SS_DISABLE:
        st.alt_sp, st.alt_size, st.alt_flags = 0, 0, SS_DISABLE
    elif size >= MINSIGSTKSZ[k.word_bits] and flags & ~SS_AUTODISARM == 0:
        st.alt_sp, st.alt_size, st.alt_flags = sp, size, flags
