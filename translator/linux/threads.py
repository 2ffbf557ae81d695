"""Guest threads: clone(CLONE_VM | CLONE_THREAD) on host threads over the shared guest memory.

Each guest thread is a host thread with its own CPU (a backend instance of the same kind as
the main thread's, mapping the same :class:`~translator.memory.GuestMemory`). Guest code runs
under one fair *run lock*, so exactly one guest thread executes guest instructions at a time:

- exclusive loads/stores and every read-modify-write the backends do stay atomic across guest
  threads (Unicorn's exclusives are not atomic against a second host CPU);
- memory-map changes (mmap/munmap/mprotect) reach every thread's CPU while none is running.

A thread gives the lock up while it blocks in a syscall (read, futex wait, nanosleep, ...) and
when the preemption ticker asks it to (``cpu.interrupt()``: the backend stops at its next safe
point and calls :meth:`ThreadGroup.preempt_point`), so a spinning thread cannot starve others.
The futex table lives here too: futex words are guest memory, waiters are host events.

Signals (sigdeliver.py) are per thread as in the kernel: a thread-directed signal (tgkill,
a fault) is queued on its thread; a process-directed one (kill, host signals, timers) goes to
the main thread if it does not block it, else to some thread that does not
(:meth:`ThreadGroup.route`, complete_signal()), else it waits in the process's shared
pending set until a thread unblocks it (or takes it with sigtimedwait).
:meth:`ThreadGroup.kick` brings a thread with a signal to a safe point: its CPU stops, and
a futex wait, Python-level wait or host blocking call (the CLI's wake-up signal) is cut short.
"""
from __future__ import annotations

import collections
import errno
import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Iterator

from .kernel import GuestExit

if TYPE_CHECKING:
    from .kernel import Kernel

CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_THREAD, CLONE_SYSVSEM, CLONE_SETTLS = 0x10000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID = 0x100000, 0x200000, 0x1000000
FUTEX_BITSET_MATCH_ANY = 0xFFFFFFFF
QUANTUM = 0.005          # seconds a thread may run while others wait for the CPU

# Syscalls that may block for long: their handlers run without the run lock so other guest
# threads go on meanwhile. (futex and sched_yield release it themselves, more precisely.)
BLOCKING = frozenset({
    "read", "readv", "pread64", "preadv", "preadv2", "write", "writev", "pwrite64", "pwritev",
    "recv", "recvfrom", "recvmsg", "recvmmsg", "recvmmsg_time64", "send", "sendto", "sendmsg",
    "sendmmsg", "accept", "accept4", "connect", "wait4", "waitid", "nanosleep",
    "clock_nanosleep", "clock_nanosleep_time64", "poll", "ppoll", "ppoll_time64", "select",
    "_newselect", "pselect6", "pselect6_time64", "epoll_wait", "epoll_pwait", "epoll_pwait2",
    "pause", "rt_sigsuspend", "sigsuspend", "rt_sigtimedwait", "rt_sigtimedwait_time64",
    "flock", "sendfile", "sendfile64", "splice", "tee", "msgrcv", "msgsnd", "semop",
    "semtimedop", "mq_timedreceive", "mq_timedsend"})


class ThreadExit(GuestExit):
    """One guest thread ended with sys_exit; the process lives on while others run."""


class RunLock:
    """A fair (first come, first served) lock: a thread that gives the CPU up with waiters
    queued gets it back only after them, which plain ``threading.Lock`` does not promise."""

    def __init__(self) -> None:
        # Taken directly (a C-level context manager) rather than through the Condition's
        # Python-level __enter__/__exit__: every blocking syscall of a threaded guest gives
        # the lock up and takes it back.
        self._mutex = threading.Lock()
        self._cond = threading.Condition(self._mutex)
        self._queue: collections.deque[int] = collections.deque()
        self.owner: int | None = None

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self.owner is None and not self._queue:
                self.owner = me
                return
            self._queue.append(me)
            try:
                while self.owner is not None or self._queue[0] != me:
                    self._cond.wait()
            except BaseException:
                # An exception from a signal handler: leave the queue as if never queued.
                self._queue.remove(me)
                self._cond.notify_all()
                raise
            self._queue.popleft()
            self.owner = me

    def release(self) -> None:
        with self._mutex:
            self.owner = None
            if self._queue:
                self._cond.notify_all()

    @property
    def waiters(self) -> int:
        return len(self._queue)


class GuestThread:
    """One guest thread: its CPU, signal state and the clear-child-tid word."""

    def __init__(self, group: "ThreadGroup", tid: int, cpu, sig, clear_tid: int = 0):
        self.group = group
        self.tid = tid
        self.cpu = cpu
        self.sig = sig
        self.clear_tid = clear_tid
        self.interruptible = False     # inside a blocking syscall a signal may cut short
        self.host: threading.Thread | None = None
        self.ident: int | None = None
        self.blocking = False          # inside a syscall that gave the CPU up (unlocked())
        self.exiting = False           # takes no more process-directed signals
        self.futex_waiter: _Waiter | None = None


class _Waiter:
    __slots__ = ("event", "bitset", "addr", "woken")

    def __init__(self, addr: int, bitset: int):
        self.event = threading.Event()
        self.bitset = bitset
        self.addr = addr
        self.woken = False          # FUTEX_WAKE took it (the event is also set by signals)


# The guest thread this host thread runs (None on threads that run no guest code).
_current = threading.local()


def current() -> GuestThread | None:
    return getattr(_current, "thread", None)


def thread_local_attr(name: str) -> property:
    """A Kernel attribute that is per guest thread once the process has threads (``cpu``,
    ``sig``): read and written on the calling host thread's GuestThread, else on the kernel."""
    main = "_main_" + name

    def get(self):
        group = self.__dict__.get("threads")
        if group is not None:
            t = getattr(_current, "thread", None)
            if t is not None and t.group is group:
                return getattr(t, name)
        return self.__dict__.get(main)

    def set_(self, value) -> None:
        group = self.__dict__.get("threads")
        if group is not None:
            t = getattr(_current, "thread", None)
            if t is not None and t.group is group:
                setattr(t, name, value)
                if t is not group.main:
                    return
        self.__dict__[main] = value

    return property(get, set_, doc=f"the calling guest thread's {name}")


class ThreadGroup:
    """The guest process's threads, run lock, futex waiters and group exit."""

    def __init__(self, kernel: "Kernel"):
        self.kernel = kernel
        self.lock = RunLock()
        # kernel.interruptible is thread_local_attr's per-thread value (a Kernel, not a
        # stand-in): release_cpu/take_cpu may then use the GuestThread's attribute directly.
        self._per_thread_interruptible = isinstance(
            getattr(type(kernel), "interruptible", None), property)
        main = GuestThread(self, kernel.pid, kernel.cpu, kernel.sig, kernel.tid_address)
        main.ident = threading.get_ident()
        self.main = main
        from .sigdeliver import SignalState
        self.shared = SignalState()              # process-directed signals every thread blocks
        main.sig.group = self
        self.threads: dict[int, GuestThread] = {main.tid: main}
        self.futexes: dict[int, list[_Waiter]] = {}
        self.end: GuestExit | None = None        # set once: how the whole group ends
        self.errors: list[BaseException] = []   # internal errors from worker threads
        self.done = threading.Condition(threading.Lock())
        _current.thread = main
        self.lock.acquire()                      # the caller is running guest code
        self._ticker = threading.Thread(target=self._tick, name="pytrans-ticker", daemon=True)
        self._ticker.start()

    # ---- scheduling ---------------------------------------------------------------------
    @contextmanager
    def unlocked(self) -> Iterator[None]:
        """Give the CPU up around a blocking call; take it back (and notice a group exit).

        The run lock is given up and taken back with the thread not ``interruptible``: the
        wake-up signal's handler (hostsig.py) must not raise SyscallInterrupted inside the
        lock's code (the call's own wait checks for signals before it sleeps), nor once
        the call is done (its result would be lost)."""
        token = self.release_cpu()
        try:
            yield
        finally:
            self.take_cpu(token)

    def release_cpu(self) -> tuple:
        """The first half of :meth:`unlocked` (the syscall gate calls the halves directly:
        a generator context manager costs ~1 us per blocking syscall). Returns what
        :meth:`take_cpu` needs."""
        t = current()
        if t is not None and t.group is not self:
            t = None                    # another group's thread: nothing of ours to mark
        # With a real Kernel, kernel.interruptible *is* t.interruptible: use it directly.
        direct = t is not None and self._per_thread_interruptible
        if direct:
            interruptible = t.interruptible
            if interruptible:
                self._set_interruptible(t, False)
        else:
            k = self.kernel
            interruptible = k.interruptible
            k.interruptible = False
        if t is not None:
            t.blocking = True
        self.lock.release()
        if not direct:
            self.kernel.interruptible = interruptible
        elif interruptible:
            self._set_interruptible(t, True)
        return t, direct

    def take_cpu(self, token: tuple) -> None:
        """The second half of :meth:`unlocked`: not interruptible any more, take the run
        lock back, end here if the group ended meanwhile."""
        t, direct = token
        if not direct:
            self.kernel.interruptible = False
        elif t.interruptible:           # set before, or by the call itself (wait4)
            self._set_interruptible(t, False)
        if t is not None:
            t.blocking = False
        self.lock.acquire()
        if self.end is not None:
            self.check_exit()

    def _set_interruptible(self, t: GuestThread, value: bool) -> None:
        """``kernel.interruptible = value`` on guest thread ``t`` (thread_local_attr's
        setter: the main thread's value is also the kernel's own, for a forked child)."""
        t.interruptible = value
        if t is self.main:
            self.kernel.__dict__["_main_interruptible"] = value

    def preempt_point(self) -> None:
        """A backend's safe point: let waiting threads run, then go on (or end)."""
        self.check_exit()
        if self.lock.waiters:
            self.lock.release()
            self.lock.acquire()
            self.check_exit()

    def check_exit(self) -> None:
        if self.end is not None:
            raise GuestExit(self.end.status, self.end.signal, self.end.pc, self.end.addr,
                            self.end.reason)

    def _tick(self) -> None:
        """Ask the running thread to stop at a safe point while others wait for the CPU;
        kick again threads with a signal ready (a wake-up can race with a blocking call)."""
        while self.end is None and len(self.threads) > 1:
            time.sleep(QUANTUM)
            owner = self.lock.owner
            for t in list(self.threads.values()):
                if t.ident == owner and self.lock.waiters:
                    t.cpu.interrupt()
                elif t.sig.ready() and (t.blocking or t.futex_waiter is not None):
                    self.kick(t)

    # ---- signals ------------------------------------------------------------------------
    def route(self, sig: int) -> GuestThread | None:
        """The thread a process-directed signal goes to (complete_signal): the main thread
        if it does not block it, else the first thread that does not (a thread in
        sigtimedwait does not block what it waits for); None when every thread blocks it."""
        b = 1 << (sig - 1)
        for t in [self.main, *self.threads.values()]:
            if t.tid in self.threads and not t.exiting \
                    and not t.sig.mask & ~t.sig.waiting & b:
                return t
        return None

    def blocked_everywhere(self, sig: int) -> bool:
        """Whether every thread blocks ``sig`` (its mask, not what sigtimedwait waits for:
        the kernel's real_blocked), so a fatal default action does not kill at once."""
        b = 1 << (sig - 1)
        return all(t.sig.mask & b for t in list(self.threads.values()) if not t.exiting)

    def take_shared(self, st, bits: int) -> int:
        """Move the shared pending signals in ``bits`` to thread state ``st`` (a thread that
        unblocked them or waits for them dequeues them from there); returns what moved."""
        sh = self.shared
        if self.kernel.__dict__.get("threads") is not self or not sh.pending & bits:
            return 0
        with sh.lock:
            moved = sh.pending & bits
            infos = {s: sh.infos.pop(s) for s in list(sh.infos) if moved & (1 << (s - 1))}
            sh.pending &= ~moved
        with st.lock:
            for s, queue in infos.items():
                if s < 32 and st.pending & (1 << (s - 1)):
                    continue        # standard signals do not queue
                st.infos.setdefault(s, []).extend(queue)
            st.pending |= moved
        st.wakeup.set()
        return moved

    def unblocked(self, st) -> None:
        """A thread's mask changed: it takes the shared signals it no longer blocks."""
        if self.shared.pending & ~st.mask:
            self.take_shared(st, ~st.mask)

    def kick(self, t: GuestThread) -> None:
        """Bring guest thread ``t`` to a safe point to take a signal: stop its CPU, end its
        futex wait or Python-level wait, cut its blocking host call short (EINTR through
        the CLI's wake-up signal; the gate turns it into a restart or EINTR)."""
        t.cpu.interrupt()
        t.sig.wakeup.set()
        w = t.futex_waiter
        if w is not None:
            w.event.set()
        if t.ident == threading.get_ident():
            return
        k = self.kernel
        if t is self.main:
            if k.wake_hook is not None:
                k.wake_hook()
        elif t.blocking and getattr(k, "wake_thread_hook", None) is not None \
                and t.ident is not None:
            try:
                k.wake_thread_hook(t.ident)
            except (ProcessLookupError, OSError):
                pass            # it just ended

    def kick_ready(self) -> None:
        """Kick every thread that has a signal ready (Kernel.wake with threads)."""
        for t in list(self.threads.values()):
            if t.sig.ready():
                self.kick(t)

    # ---- creating and ending threads ------------------------------------------------------
    def clone(self, flags: int, stack: int, ptid: int, tls: int, ctid: int) -> int:
        """clone(CLONE_VM|CLONE_THREAD...): start a guest thread; returns its tid."""
        k = self.kernel
        parent = k.cpu
        cpu = parent.new_thread()
        if stack:
            cpu.write_reg("sp", stack)
        cpu.write_result(0)                      # the child sees clone() return 0
        if flags & CLONE_SETTLS:
            cpu.set_tls(tls)
        from .sigdeliver import SignalState
        sig = SignalState(mask=k.sig.mask, group=self)
        t = GuestThread(self, 0, cpu, sig, ctid if flags & CLONE_CHILD_CLEARTID else 0)
        started = threading.Event()
        t.host = threading.Thread(target=self._thread_main, args=(t, started), daemon=True)
        t.host.start()
        started.wait()                  # the host thread's id is the guest tid (as in qemu)
        tid = t.tid
        self.threads[tid] = t
        if flags & CLONE_PARENT_SETTID and ptid:
            k.mem.write_u32(ptid, tid)
        if flags & CLONE_CHILD_SETTID and ctid:
            k.mem.write_u32(ctid, tid)
        if not self._ticker.is_alive():
            self._ticker = threading.Thread(target=self._tick, name="pytrans-ticker", daemon=True)
            self._ticker.start()
        return tid

    def _thread_main(self, t: GuestThread, started: threading.Event) -> None:
        _current.thread = t
        t.ident = threading.get_ident()
        t.tid = threading.get_native_id()
        started.set()
        self.lock.acquire()           # runs once the parent leaves clone() and the CPU is free
        end: GuestExit | None = None
        try:
            if self.end is None:
                end = t.cpu.run(self.kernel)
        except GuestExit as e:
            end = e
        except BaseException as e:   # noqa: BLE001 - an emulator bug: end the group, re-raise later
            self.errors.append(e)
            end = GuestExit(status=70, reason=f"internal error in thread {t.tid}: {e!r}")
        finally:
            if end is not None and not isinstance(end, ThreadExit):
                self.terminate(end)
            self._thread_gone(t)
            self.lock.release()

    def _thread_gone(self, t: GuestThread) -> None:
        """sys_exit's clean-up: clear and wake the clear-child-tid word (pthread_join)."""
        k = self.kernel
        t.exiting = True
        if t.clear_tid and self.end is None:
            try:
                k.mem.write_u32(t.clear_tid, 0)
                self.wake(t.clear_tid, 1, FUTEX_BITSET_MATCH_ANY)
            except Exception:   # noqa: BLE001 - an unmapped word: the kernel ignores it too
                pass
        self.threads.pop(t.tid, None)
        if self.end is None:
            # Process-directed signals it had not taken yet go to another thread.
            from .sigdeliver import requeue_shared
            requeue_shared(k, t.sig)
        for backend in (t.cpu, getattr(t.cpu, "interp", None)):
            if backend is not None and backend in k.mem.listeners and t is not self.main:
                k.mem.listeners.remove(backend)
        with self.done:
            self.done.notify_all()

    def exit_thread(self, status: int) -> None:
        """sys_exit: end the calling thread only (the last one ends the process)."""
        t = current()
        if len(self.threads) <= 1 or t is None:
            raise GuestExit(status)
        raise ThreadExit(status)

    def terminate(self, end: GuestExit) -> None:
        """exit_group or a fatal signal: every thread stops at its next safe point."""
        if self.end is not None:
            return
        self.end = end
        for waiters in self.futexes.values():
            for w in waiters:
                w.event.set()
        me = threading.get_ident()
        for t in list(self.threads.values()):
            if t.ident != me:
                t.cpu.interrupt()
                t.sig.wakeup.set()          # Python-level waits (nanosleep, sigsuspend)
                hook = getattr(self.kernel, "wake_thread_hook", None)
                if t is not self.main and t.blocking and hook is not None:
                    try:
                        hook(t.ident)       # a blocking host call (read) ends with EINTR
                    except (ProcessLookupError, OSError):
                        pass
        # The main thread may block in a host call (pause, read): the CLI's wake-up signal
        # cuts that short (hostsig.py), and the gate then sees the group's end.
        if self.main.ident != me and self.kernel.wake_hook is not None:
            self.kernel.wake_hook()
        with self.done:
            self.done.notify_all()

    def main_finished(self, end: GuestExit) -> GuestExit:
        """The main guest thread's run ended with ``end``; wait for the group's end."""
        if not isinstance(end, ThreadExit):
            self.terminate(end)
        self.main.exiting = True
        self.threads.pop(self.main.tid, None)
        if self.end is None:
            from .sigdeliver import requeue_shared
            requeue_shared(self.kernel, self.main.sig)   # pthread_exit from main
        self.lock.release()
        with self.done:
            while self.threads and self.end is None:
                self.done.wait(0.1)
        # Give the other threads a moment to reach a safe point and stop.
        deadline = time.monotonic() + 2.0
        for t in list(self.threads.values()):
            if t.host is not None:
                t.host.join(max(0.0, deadline - time.monotonic()))
        if self.errors:
            raise self.errors[0]
        if self.end is not None:
            return self.end
        return GuestExit(end.status, end.signal, end.pc, end.addr, end.reason)

    # ---- futexes --------------------------------------------------------------------------
    def wait(self, addr: int, val: int, timeout: float | None, bitset: int) -> int:
        """FUTEX_WAIT: block while *addr == val (checked under the run lock: no lost wake)."""
        k = self.kernel
        if k.mem.read_u32(addr) != val & 0xFFFFFFFF:
            return -errno.EAGAIN
        w = _Waiter(addr, bitset)
        self.futexes.setdefault(addr, []).append(w)
        t = current()
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            if t is not None:
                t.futex_waiter = w      # a signal for this thread sets w.event (kick)
            with self.unlocked():
                while not w.woken and self.end is None:
                    if t is not None and t.sig.ready():
                        break
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        break
                    w.event.wait(left)
                    w.event.clear()
        finally:
            if t is not None:
                t.futex_waiter = None
            queue = self.futexes.get(w.addr)
            if queue is not None and w in queue:
                queue.remove(w)
                if not queue:
                    del self.futexes[w.addr]
        if w.woken:
            return 0
        if t is not None and t.sig.ready():
            # A signal for a handler: -ERESTARTSYS (restarted under SA_RESTART, else EINTR);
            # with a timeout, EINTR after a handler (the kernel's restart block).
            from .sigdeliver import ERESTARTNOHAND, SyscallInterrupted
            raise SyscallInterrupted(ERESTARTNOHAND) if timeout is not None \
                else SyscallInterrupted()
        return -errno.ETIMEDOUT

    def wake(self, addr: int, n: int, bitset: int) -> int:
        queue = self.futexes.get(addr)
        if not queue:
            return 0
        woken = 0
        for w in list(queue):
            if woken >= n:
                break
            if w.bitset & bitset:
                queue.remove(w)
                w.woken = True
                w.event.set()
                woken += 1
        if not queue:
            del self.futexes[addr]
        return woken

    def requeue(self, addr: int, n_wake: int, addr2: int, n_requeue: int) -> int:
        woken = self.wake(addr, n_wake, FUTEX_BITSET_MATCH_ANY)
        queue = self.futexes.get(addr)
        moved = 0
        while queue and moved < n_requeue:
            w = queue.pop(0)
            w.addr = addr2
            self.futexes.setdefault(addr2, []).append(w)
            moved += 1
        if queue is not None and not queue:
            self.futexes.pop(addr, None)
        return woken + moved
