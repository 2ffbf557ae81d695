"""Host signals forwarded to the guest (the CLI's watcher thread).

pytrans blocks the forwarded signals in every thread and takes them on one watcher thread
with ``sigwaitinfo`` (native guest code never returns to Python, so Python-level handlers
could not run). For each one the guest's disposition decides:

* default action "terminate"/"core" and not blocked: pytrans dies by that signal at once
  (Ctrl-C ends a spinning guest, as before);
* ignored (SIG_IGN or ignore-by-default): dropped;
* a guest handler, or blocked: queued on the kernel with its siginfo, the backend is asked
  to stop at the next safe point, and a blocking syscall on the main thread is cut short by
  a private wake-up signal whose Python handler raises ``SyscallInterrupted``.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from typing import Callable

from . import signals as sigs
from .sigdeliver import SigInfo, SyscallInterrupted, bit, post, undelivered

FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
             signal.SIGUSR2, signal.SIGALRM, signal.SIGCHLD, signal.SIGWINCH, signal.SIGCONT,
             signal.SIGTSTP, signal.SIGTTIN, signal.SIGTTOU, signal.SIGPIPE)
# Private: interrupts the main thread's blocking host call (never forwarded to the guest).
WAKE = signal.SIGRTMAX - 2
_CLD_CODES = {1, 2, 3, 4, 5, 6}      # CLD_EXITED..CLD_CONTINUED


class KernelRef(list):
    """The list the Emulator's ``on_kernel`` fills; hooks the kernel up to the wake-up
    signal as soon as it exists."""

    def __init__(self, main_thread: int):
        super().__init__()
        self.main_thread = main_thread

    def append(self, kernel) -> None:   # noqa: D102 - list.append
        kernel.wake_hook = lambda: signal.pthread_kill(self.main_thread, WAKE)
        # Another guest thread's blocking host call (read, ppoll): it returns EINTR.
        kernel.wake_thread_hook = lambda ident: signal.pthread_kill(ident, WAKE)
        super().append(kernel)


def start(die: Callable[[int], None]) -> KernelRef:
    """Block the forwarded signals, install the wake-up handler and start the watcher.
    Must run on the main thread (the one that will run the guest)."""
    ref = KernelRef(threading.get_ident())

    def on_wake(_signum, _frame) -> None:
        k = ref[0] if ref else None
        if k is not None and k.interruptible and (
                k.sig.ready() or (k.threads is not None and k.threads.end is not None)):
            raise SyscallInterrupted      # a signal for the guest, or another thread's exit_group

    def watcher() -> None:
        threading.Thread(target=_watch, args=(ref, die), name="pytrans-signals",
                         daemon=True).start()

    signal.signal(WAKE, on_wake)
    signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
    watcher()
    # Threads do not survive fork(): a guest's forked child needs its own watcher (its main
    # thread, the one that forked, keeps the mask, the wake-up handler and the kernel).
    os.register_at_fork(after_in_child=lambda: (setattr(ref, "main_thread",
                                                        threading.get_ident()), watcher()))
    return ref


def _watch(ref: KernelRef, die: Callable[[int], None]) -> None:
    while True:
        info = signal.sigwaitinfo(FORWARDED)
        sig = info.si_signo
        if sig == signal.SIGPIPE and info.si_pid == os.getpid():
            # Our own write to a broken pipe: the syscall gate already raised the guest's
            # SIGPIPE (EPIPE); only a SIGPIPE sent by another process is forwarded.
            continue
        k = ref[0] if ref else None
        handler = k.sigactions.get(sig, (sigs.SIG_DFL,))[0] if k is not None else sigs.SIG_DFL
        # Blocked by the process: by every guest thread (else one takes it and dies); a
        # thread in sigwait takes a blocked one, default action or not.
        blocked = k is not None and (k.sig.mask & bit(sig) if k.threads is None
                                     else k.threads.blocked_everywhere(sig))
        if handler == sigs.SIG_IGN:
            continue
        if handler == sigs.SIG_DFL and not blocked:
            what = sigs.default_action(sig)
            if what == "ignore":
                continue
            if what == "stop":
                # The host kernel stops us; a SIGCONT resumes (and is forwarded in turn).
                os.kill(os.getpid(), signal.SIGSTOP)
                continue
            die(sig)
            continue
        if sig == signal.SIGCHLD and info.si_code in _CLD_CODES:
            si = SigInfo(sig, code=info.si_code, pid=info.si_pid, uid=info.si_uid,
                         status=info.si_status, kind="chld")
        else:
            si = SigInfo(sig, code=info.si_code, pid=info.si_pid, uid=info.si_uid)
        post(k, si, wake=True)
        # A stop request can be lost in a race with the guest entering native code or a
        # blocking call: repeat it until the signal is taken (or is blocked by the guest).
        for _ in range(200):
            time.sleep(0.01)
            if not undelivered(k, sig):
                break
            k.wake()
