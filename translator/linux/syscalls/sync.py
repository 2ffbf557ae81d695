"""futex: wait queues keyed by guest address, shared by the guest threads of a process
(translator/linux/threads.py). A single-threaded guest waits alone: only a timeout or a
signal can end that wait, as on Linux."""
from __future__ import annotations

import errno
import threading
import time

from ..kernel import Kernel
from ..structs import Layout

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = range(6)
FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 6, 7, 8, 9, 10
FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME = 128, 256
FUTEX_CMD_MASK = ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)
MATCH_ANY = 0xFFFFFFFF


def _timeout(k: Kernel, cmd: int, op: int, timeout: int, ts: Layout) -> float | None:
    """Seconds to wait (None: forever). WAIT takes a relative time, WAIT_BITSET a deadline."""
    if not timeout:
        return None
    t = ts.unpack(k.mem.read(timeout, ts.size))
    if t["tv_sec"] < 0 or not 0 <= t["tv_nsec"] < 10**9:
        raise _Invalid
    ns = t["tv_sec"] * 10**9 + t["tv_nsec"]
    if cmd == FUTEX_WAIT_BITSET:
        clock = time.CLOCK_REALTIME if op & FUTEX_CLOCK_REALTIME else time.CLOCK_MONOTONIC
        ns -= time.clock_gettime_ns(clock)
    return max(ns, 0) / 1e9


class _Invalid(Exception):
    pass


def _wake_op(k: Kernel, uaddr: int, nr_wake: int, uaddr2: int, nr_wake2: int, val3: int) -> int:
    """FUTEX_WAKE_OP: *uaddr2 = old OP oparg; wake uaddr; wake uaddr2 too if old CMP cmparg."""
    op, cmp = (val3 >> 28) & 7, (val3 >> 24) & 15
    oparg, cmparg = (val3 >> 12) & 0xFFF, val3 & 0xFFF
    if val3 >> 31:                 # FUTEX_OP_OPARG_SHIFT
        oparg = 1 << (oparg & 31)
    old = k.mem.read_u32(uaddr2)
    new = {0: oparg, 1: old + oparg, 2: old | oparg, 3: old & ~oparg, 4: old ^ oparg}.get(op)
    if new is None:
        return -errno.ENOSYS
    k.mem.write_u32(uaddr2, new & 0xFFFFFFFF)
    sold = old - (1 << 32) if old >> 31 else old
    scmp = cmparg - (1 << 12) if cmparg >> 11 else cmparg
    hit = {0: sold == scmp, 1: sold != scmp, 2: sold < scmp, 3: sold <= scmp, 4: sold > scmp,
           5: sold >= scmp}.get(cmp)
    if hit is None:
        return -errno.ENOSYS
    group = getattr(k, "threads", None)
    if group is None:
        return 0
    woken = group.wake(uaddr, nr_wake, MATCH_ANY)
    if hit:
        woken += group.wake(uaddr2, nr_wake2, MATCH_ANY)
    return woken


def _futex(k: Kernel, uaddr: int, op: int, val: int, timeout: int, uaddr2: int, val3: int,
           ts: Layout) -> int:
    cmd = op & FUTEX_CMD_MASK
    if uaddr % 4:
        return -errno.EINVAL
    group = getattr(k, "threads", None)
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        bitset = MATCH_ANY if cmd == FUTEX_WAIT else val3 & MATCH_ANY
        if bitset == 0:
            return -errno.EINVAL
        try:
            seconds = _timeout(k, cmd, op, timeout, ts)
        except _Invalid:
            return -errno.EINVAL
        if group is not None:
            return group.wait(uaddr, val, seconds, bitset)
        if k.mem.read_u32(uaddr) != val & 0xFFFFFFFF:
            return -errno.EAGAIN
        # Alone: nothing can wake us but a signal (the gate's interruption) or the timeout.
        threading.Event().wait(seconds)
        return -errno.ETIMEDOUT
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET):
        bitset = MATCH_ANY if cmd == FUTEX_WAKE else val3 & MATCH_ANY
        if bitset == 0:
            return -errno.EINVAL
        return group.wake(uaddr, val, bitset) if group is not None else 0
    if cmd in (FUTEX_REQUEUE, FUTEX_CMP_REQUEUE):
        if uaddr2 % 4:
            return -errno.EINVAL
        if cmd == FUTEX_CMP_REQUEUE and k.mem.read_u32(uaddr) != val3 & 0xFFFFFFFF:
            return -errno.EAGAIN
        # The fourth argument is a count here, not a timeout pointer.
        return group.requeue(uaddr, val, uaddr2, timeout) if group is not None else 0
    if cmd == FUTEX_WAKE_OP:
        if uaddr2 % 4:
            return -errno.EINVAL
        return _wake_op(k, uaddr, val, uaddr2, timeout, val3)
    return -errno.ENOSYS


def sys_futex(k: Kernel, uaddr: int, op: int, val: int, timeout: int, uaddr2: int, val3: int) -> int:
    return _futex(k, uaddr, op, val, timeout, uaddr2, val3, k.abi.TIMESPEC)


def sys_futex_time64(k: Kernel, uaddr: int, op: int, val: int, timeout: int, uaddr2: int,
                     val3: int) -> int:
    return _futex(k, uaddr, op, val, timeout, uaddr2, val3, k.abi.TIMESPEC64)


HANDLERS = {"futex": sys_futex, "futex_time64": sys_futex_time64}
