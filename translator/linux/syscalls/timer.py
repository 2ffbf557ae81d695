"""POSIX per-process timers: timer_create, timer_settime, timer_gettime, timer_getoverrun,
timer_delete (kernel/time/posix-timers.c).

Each armed timer is a host thread that sleeps until the expiry and then queues the guest
signal through the signal layer (``sigdeliver.post``, which any thread may call), with the
SI_TIMER siginfo (timer id, overrun, sigval). As in the kernel, a timer has at most one
signal queued: expiries while it is still pending count as overruns. Timers belong to the
process that created them: a forked child (whose threads are gone) starts with none.
"""
from __future__ import annotations

import errno
import os
import threading
import time

from .. import sigdeliver as sd
from ..kernel import Kernel
from ..structs import Layout

SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD, SIGEV_THREAD_ID = 0, 1, 2, 4
SIGALRM = 14
TIMER_ABSTIME = 1
CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID = 0, 1, 2, 3
CLOCK_BOOTTIME, CLOCK_TAI = 7, 11
_WALL_CLOCKS = (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_TAI)
_CPU_CLOCKS = (CLOCK_PROCESS_CPUTIME_ID,)
DELAYTIMER_MAX = 0x7FFFFFFF
_ITS = ("it_interval.tv_sec", "it_interval.tv_nsec", "it_value.tv_sec", "it_value.tv_nsec")


class PosixTimer:
    """One guest timer: its clock, notification and the host thread that fires it."""

    def __init__(self, k: Kernel, timer_id: int, clock: int, notify: int, signo: int,
                 value: int, target) -> None:
        self.k, self.id, self.clock = k, timer_id, clock
        self.notify, self.signo, self.value, self.target = notify, signo, value, target
        self.cond = threading.Condition(threading.Lock())
        self.deadline: int | None = None     # in ns of the timer's clock; None: disarmed
        self.interval = 0                    # ns
        self.deleted = False
        self.info: sd.SigInfo | None = None  # the signal queued last
        self.overrun_last = 0
        self.thread: threading.Thread | None = None

    def now(self) -> int:
        return time.clock_gettime_ns(self.clock)

    def arm(self, value_ns: int, interval_ns: int, absolute: bool) -> None:
        with self.cond:
            if value_ns == 0:
                self.deadline = None
            else:
                self.deadline = value_ns if absolute else self.now() + value_ns
            self.interval = interval_ns
            self.cond.notify_all()
        if self.deadline is not None and self.thread is None:
            self.thread = threading.Thread(target=self._run, name=f"pytrans-timer-{self.id}",
                                           daemon=True)
            self.thread.start()

    def remaining(self) -> tuple[int, int]:
        """(value, interval) in ns as timer_gettime reports them."""
        with self.cond:
            if self.deadline is None:
                return 0, self.interval
            return max(self.deadline - self.now(), 1), self.interval

    def delete(self) -> None:
        with self.cond:
            self.deleted = True
            self.deadline = None
            self.cond.notify_all()

    def _run(self) -> None:
        cpu_clock = self.clock in _CPU_CLOCKS
        while True:
            with self.cond:
                if self.deleted:
                    return
                if self.deadline is None:
                    self.cond.wait()
                    continue
                left = self.deadline - self.now()
                if left > 0:
                    # A CPU clock advances at most as fast as the wall clock times the CPUs.
                    wait = left / 1e9 / ((os.cpu_count() or 1) if cpu_clock else 1)
                    self.cond.wait(max(wait, 0.0005))
                    continue
                fires = 1
                if self.interval:
                    fires += -left // self.interval
                    self.deadline += fires * self.interval
                else:
                    self.deadline = None
            self._fire(fires)

    def _fire(self, fires: int) -> None:
        if self.notify == SIGEV_NONE:
            return
        prev = self.info
        if prev is not None:
            if sd.is_queued(self.k, prev):   # still pending: the kernel counts an overrun
                prev.overrun = min(prev.overrun + fires, DELAYTIMER_MAX)
                return
            self.overrun_last = prev.overrun
        self.info = sd.SigInfo(self.signo, code=sd.SI_TIMER, kind="timer", value=self.value,
                               timerid=self.id, overrun=fires - 1)
        # SIGEV_THREAD_ID: to the target thread; else process-directed (routed).
        sd.post(self.k, self.info, wake=True, thread=self.target)


def _timers(k: Kernel) -> dict[int, PosixTimer]:
    """This process's timers (a forked child's copy of the table starts empty)."""
    owner, table = k.__dict__.get("posix_timers", (None, None))
    if owner != os.getpid():
        table = {}
        k.__dict__["posix_timers"] = (os.getpid(), table)
    return table


def _timer(k: Kernel, timer_id: int) -> PosixTimer:
    t = _timers(k).get(k.s32(timer_id))
    if t is None:
        raise OSError(errno.EINVAL, "no such timer")
    return t


def sys_timer_create(k: Kernel, clock: int, sevp: int, idp: int) -> int:
    clock = k.s32(clock)
    if clock not in _WALL_CLOCKS + _CPU_CLOCKS:
        if clock == CLOCK_THREAD_CPUTIME_ID:
            k.warn_once("timer-thread-cpu", "timer_create on a thread CPU clock is not "
                        "supported (-EINVAL)")
        return -errno.EINVAL
    table = _timers(k)
    new_id = 0
    while new_id in table:
        new_id += 1
    notify, signo, value, target = SIGEV_SIGNAL, SIGALRM, new_id, None
    if sevp:
        lay = k.abi.SIGEVENT
        ev = lay.unpack(k.mem.read(sevp, lay.size))
        notify, signo, value = ev["sigev_notify"], ev["sigev_signo"], ev["sigev_value"]
        if notify & ~SIGEV_THREAD_ID not in (SIGEV_SIGNAL, SIGEV_NONE) or notify == SIGEV_THREAD:
            return -errno.EINVAL
        if notify != SIGEV_NONE and not 1 <= signo <= 64:
            return -errno.EINVAL
        if notify & SIGEV_THREAD_ID:
            group = k.__dict__.get("threads")
            tid = ev["_sigev_un._tid"]
            target = group.threads.get(tid) if group is not None else None
            if target is None and tid != k.pid:
                return -errno.EINVAL
    k.mem.write(idp, new_id.to_bytes(4, "little"))
    table[new_id] = PosixTimer(k, new_id, clock, notify, signo, value, target)
    return 0


def _settime(k: Kernel, timer_id: int, flags: int, new: int, old: int, lay: Layout) -> int:
    t = _timer(k, timer_id)
    v = lay.unpack(k.mem.read(new, lay.size))
    i_s, i_ns, v_s, v_ns = (v[f] for f in _ITS)
    if not (0 <= i_ns < 10**9 and 0 <= v_ns < 10**9) or i_s < 0 or v_s < 0:
        return -errno.EINVAL
    if old:
        _put(k, old, lay, *t.remaining())
    t.arm(v_s * 10**9 + v_ns, i_s * 10**9 + i_ns, bool(flags & TIMER_ABSTIME))
    return 0


def _put(k: Kernel, addr: int, lay: Layout, value: int, interval: int) -> None:
    k.mem.write(addr, lay.pack(**dict(zip(_ITS, (interval // 10**9, interval % 10**9,
                                                 value // 10**9, value % 10**9)))))


def _gettime(k: Kernel, timer_id: int, cur: int, lay: Layout) -> int:
    t = _timer(k, timer_id)
    _put(k, cur, lay, *t.remaining())
    return 0


def sys_timer_settime(k: Kernel, timer_id: int, flags: int, new: int, old: int) -> int:
    return _settime(k, timer_id, flags, new, old, k.abi.ITIMERSPEC)


def sys_timer_settime64(k: Kernel, timer_id: int, flags: int, new: int, old: int) -> int:
    return _settime(k, timer_id, flags, new, old, k.abi.ITIMERSPEC64)


def sys_timer_gettime(k: Kernel, timer_id: int, cur: int) -> int:
    return _gettime(k, timer_id, cur, k.abi.ITIMERSPEC)


def sys_timer_gettime64(k: Kernel, timer_id: int, cur: int) -> int:
    return _gettime(k, timer_id, cur, k.abi.ITIMERSPEC64)


def sys_timer_getoverrun(k: Kernel, timer_id: int) -> int:
    t = _timer(k, timer_id)
    # The overrun of the signal delivered last (the one the handler is looking at).
    info = t.info
    if info is not None:
        if not sd.is_queued(k, info):
            return info.overrun
    return t.overrun_last


def sys_timer_delete(k: Kernel, timer_id: int) -> int:
    t = _timer(k, timer_id)
    t.delete()
    del _timers(k)[t.id]
    return 0


HANDLERS = {
    "timer_create": sys_timer_create, "timer_settime": sys_timer_settime,
    "timer_settime64": sys_timer_settime64, "timer_gettime": sys_timer_gettime,
    "timer_gettime64": sys_timer_gettime64, "timer_getoverrun": sys_timer_getoverrun,
    "timer_delete": sys_timer_delete,
}
