"""futex and friends. One guest thread for now: wakes find no waiters, and a wait that
nothing could ever end blocks like the kernel would (Ctrl-C still ends the guest)."""
from __future__ import annotations

import errno
import time

from ..kernel import Kernel
from ..structs import Layout

FUTEX_WAIT, FUTEX_WAKE, FUTEX_FD, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP = range(6)
FUTEX_LOCK_PI, FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAIT_BITSET, FUTEX_WAKE_BITSET = 6, 7, 8, 9, 10
FUTEX_CMD_MASK = ~(128 | 256)          # FUTEX_PRIVATE_FLAG, FUTEX_CLOCK_REALTIME


def _futex(k: Kernel, uaddr: int, op: int, val: int, timeout: int, uaddr2: int, val3: int,
           ts: Layout) -> int:
    cmd = op & FUTEX_CMD_MASK
    if uaddr % 4:
        return -errno.EINVAL
    if cmd in (FUTEX_WAIT, FUTEX_WAIT_BITSET):
        if cmd == FUTEX_WAIT_BITSET and val3 == 0:
            return -errno.EINVAL
        if k.mem.read_u32(uaddr) != val & 0xFFFFFFFF:
            return -errno.EAGAIN
        if timeout:
            t = ts.unpack(k.mem.read(timeout, ts.size))
            ns = t["tv_sec"] * 10**9 + t["tv_nsec"]
            if cmd == FUTEX_WAIT_BITSET:   # absolute deadline
                clock = time.CLOCK_REALTIME if op & 256 else time.CLOCK_MONOTONIC
                ns -= time.clock_gettime_ns(clock)
            if ns > 0:
                time.sleep(ns / 1e9)
            return -errno.ETIMEDOUT
        k.warn_once("futex-deadlock", "futex wait that no other thread can end: the guest "
                    "would hang forever on Linux too")
        while True:
            time.sleep(3600)
    if cmd in (FUTEX_WAKE, FUTEX_WAKE_BITSET, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE, FUTEX_WAKE_OP):
        if cmd == FUTEX_CMP_REQUEUE and k.mem.read_u32(uaddr) != val3 & 0xFFFFFFFF:
            return -errno.EAGAIN
        return 0
    return -errno.ENOSYS


def sys_futex(k: Kernel, uaddr: int, op: int, val: int, timeout: int, uaddr2: int, val3: int) -> int:
    return _futex(k, uaddr, op, val, timeout, uaddr2, val3, k.abi.TIMESPEC)


def sys_futex_time64(k: Kernel, uaddr: int, op: int, val: int, timeout: int, uaddr2: int,
                     val3: int) -> int:
    return _futex(k, uaddr, op, val, timeout, uaddr2, val3, k.abi.TIMESPEC64)


HANDLERS = {"futex": sys_futex, "futex_time64": sys_futex_time64}
