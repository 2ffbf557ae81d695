"""Clocks, timers and sleeping."""
from __future__ import annotations

import ctypes
import errno
import os
import struct
import time

from ...memory import PROT_WRITE
from ..host import hsys
from ..kernel import Kernel
from .. import sigdeliver as sd
from ..sigdeliver import SyscallInterrupted
from ..structs import Layout

TIMER_ABSTIME = 1


def _clock_ns(clk: int) -> int:
    return time.clock_gettime_ns(clk)


def _put_ts(k: Kernel, addr: int, lay: Layout, ns: int) -> None:
    k.mem.write(addr, lay.pack(tv_sec=ns // 10**9, tv_nsec=ns % 10**9))


def _get_ts(k: Kernel, addr: int, lay: Layout) -> int:
    v = lay.unpack(k.mem.read(addr, lay.size))
    if not 0 <= v["tv_nsec"] < 10**9 or v["tv_sec"] < 0:
        raise OSError(errno.EINVAL, "bad timespec")
    return v["tv_sec"] * 10**9 + v["tv_nsec"]


def _gettime(k: Kernel, clk: int, tp: int, lay: Layout) -> int:
    try:
        ns = _clock_ns(k.s32(clk))
    except OSError:
        return -errno.EINVAL
    _put_ts(k, tp, lay, ns)
    return 0


def sys_clock_gettime(k: Kernel, clk: int, tp: int) -> int:
    return _gettime(k, clk, tp, k.abi.TIMESPEC)


def sys_clock_gettime_time64(k: Kernel, clk: int, tp: int) -> int:
    return _gettime(k, clk, tp, k.abi.TIMESPEC64)


def _getres(k: Kernel, clk: int, tp: int, lay: Layout) -> int:
    try:
        res = time.clock_getres(k.s32(clk))
    except OSError:
        return -errno.EINVAL
    if tp:
        _put_ts(k, tp, lay, round(res * 10**9))
    return 0


def sys_clock_getres(k: Kernel, clk: int, tp: int) -> int:
    return _getres(k, clk, tp, k.abi.TIMESPEC)


def sys_clock_getres_time64(k: Kernel, clk: int, tp: int) -> int:
    return _getres(k, clk, tp, k.abi.TIMESPEC64)


def sys_gettimeofday(k: Kernel, tv: int, tz: int) -> int:
    ns = time.time_ns()
    if tv:
        k.mem.write(tv, k.abi.TIMEVAL.pack(tv_sec=ns // 10**9, tv_usec=ns % 10**9 // 1000))
    if tz:
        k.mem.write(tz, k.abi.TIMEZONE.pack())
    return 0


def sys_time(k: Kernel, tloc: int) -> int:
    now = int(time.time())
    if tloc:
        k.mem.write(tloc, now.to_bytes(k.abi.BITS // 8, "little", signed=True))
    return now


def _sleep(k: Kernel, clk: int, flags: int, req: int, rem: int, lay: Layout) -> int:
    ns = _get_ts(k, req, lay)
    if flags & TIMER_ABSTIME:
        ns -= _clock_ns(clk)
    if ns > 0:
        end = time.monotonic_ns() + ns
        try:
            sd.sleep(k, ns / 1e9)      # ends early for a signal, on any guest thread
        except SyscallInterrupted:
            # Cut short by a signal for a guest handler: EINTR with the time left in *rem.
            if rem and not flags & TIMER_ABSTIME:
                _put_ts(k, rem, lay, max(0, end - time.monotonic_ns()))
            raise
    if rem and not flags & TIMER_ABSTIME:
        _put_ts(k, rem, lay, 0)
    return 0


def sys_nanosleep(k: Kernel, req: int, rem: int) -> int:
    return _sleep(k, time.CLOCK_MONOTONIC, 0, req, rem, k.abi.TIMESPEC)


def sys_clock_nanosleep(k: Kernel, clk: int, flags: int, req: int, rem: int) -> int:
    return _sleep(k, k.s32(clk), flags, req, rem, k.abi.TIMESPEC)


def sys_clock_nanosleep_time64(k: Kernel, clk: int, flags: int, req: int, rem: int) -> int:
    return _sleep(k, k.s32(clk), flags, req, rem, k.abi.TIMESPEC64)


def sys_times(k: Kernel, buf: int) -> int:
    t = os.times()
    hz = os.sysconf("SC_CLK_TCK")
    if buf:
        k.mem.write(buf, k.abi.TMS.pack(tms_utime=int(t.user * hz), tms_stime=int(t.system * hz),
                                        tms_cutime=int(t.children_user * hz),
                                        tms_cstime=int(t.children_system * hz)))
    return int(t.elapsed * hz) & ((1 << (k.abi.BITS - 1)) - 1)


HANDLERS = {
    "clock_gettime": sys_clock_gettime, "clock_gettime_time64": sys_clock_gettime_time64,
    "clock_getres": sys_clock_getres, "clock_getres_time64": sys_clock_getres_time64,
    "gettimeofday": sys_gettimeofday, "time": sys_time, "nanosleep": sys_nanosleep,
    "clock_nanosleep": sys_clock_nanosleep,
    "clock_nanosleep_time64": sys_clock_nanosleep_time64, "times": sys_times,
}


# ---- timerfd ------------------------------------------------------------------------------------
# TFD_NONBLOCK/TFD_CLOEXEC are O_NONBLOCK/O_CLOEXEC, the same bits on ARM, AArch64 and x86-64;
# reading a timerfd gives a u64 expiration count, the same everywhere.
_ITS_FIELDS = ("it_interval.tv_sec", "it_interval.tv_nsec", "it_value.tv_sec",
               "it_value.tv_nsec")


def _itimerspec_in(k: Kernel, addr: int, lay: Layout) -> bytes:
    v = lay.unpack(k.mem.read(addr, lay.size))
    return struct.pack("<4q", *(v[f] for f in _ITS_FIELDS))


def _itimerspec_out(k: Kernel, addr: int, lay: Layout, raw: bytes) -> None:
    k.mem.write(addr, lay.pack(**dict(zip(_ITS_FIELDS, struct.unpack("<4q", raw[:32])))))


def sys_timerfd_create(k: Kernel, clockid: int, flags: int) -> int:
    res = hsys("timerfd_create", k.s32(clockid), k.s32(flags))
    return res if res < 0 else k.fds.install(res)


def _timerfd_settime(k: Kernel, fd: int, flags: int, new: int, old: int, lay: Layout) -> int:
    h = k.fds.host(k.s32(fd))
    if old:
        k.mem.check(old, lay.size, PROT_WRITE)
    out = ctypes.create_string_buffer(32)
    res = hsys("timerfd_settime", h, k.s32(flags), _itimerspec_in(k, new, lay),
               ctypes.addressof(out) if old else None)
    if res == 0 and old:
        _itimerspec_out(k, old, lay, out.raw)
    return res


def _timerfd_gettime(k: Kernel, fd: int, cur: int, lay: Layout) -> int:
    h = k.fds.host(k.s32(fd))
    k.mem.check(cur, lay.size, PROT_WRITE)
    out = ctypes.create_string_buffer(32)
    res = hsys("timerfd_gettime", h, ctypes.addressof(out))
    if res == 0:
        _itimerspec_out(k, cur, lay, out.raw)
    return res


def sys_timerfd_settime(k: Kernel, fd: int, flags: int, new: int, old: int) -> int:
    return _timerfd_settime(k, fd, flags, new, old, k.abi.ITIMERSPEC)


def sys_timerfd_settime64(k: Kernel, fd: int, flags: int, new: int, old: int) -> int:
    return _timerfd_settime(k, fd, flags, new, old, k.abi.ITIMERSPEC64)


def sys_timerfd_gettime(k: Kernel, fd: int, cur: int) -> int:
    return _timerfd_gettime(k, fd, cur, k.abi.ITIMERSPEC)


def sys_timerfd_gettime64(k: Kernel, fd: int, cur: int) -> int:
    return _timerfd_gettime(k, fd, cur, k.abi.ITIMERSPEC64)


HANDLERS.update({"timerfd_create": sys_timerfd_create, "timerfd_settime": sys_timerfd_settime,
                 "timerfd_settime64": sys_timerfd_settime64,
                 "timerfd_gettime": sys_timerfd_gettime,
                 "timerfd_gettime64": sys_timerfd_gettime64})


# ---- setting clocks (needs CAP_SYS_TIME on the host, as on Linux) ----------------------------
def _settime(k: Kernel, clk: int, tp: int, lay: Layout) -> int:
    v = lay.unpack(k.mem.read(tp, lay.size))
    return hsys("clock_settime", k.s32(clk), struct.pack("<qq", v["tv_sec"], v["tv_nsec"]))


def sys_clock_settime(k: Kernel, clk: int, tp: int) -> int:
    return _settime(k, clk, tp, k.abi.TIMESPEC)


def sys_clock_settime64(k: Kernel, clk: int, tp: int) -> int:
    return _settime(k, clk, tp, k.abi.TIMESPEC64)


def sys_settimeofday(k: Kernel, tv: int, tz: int) -> int:
    htv = None
    if tv:
        v = k.abi.TIMEVAL.unpack(k.mem.read(tv, k.abi.TIMEVAL.size))
        htv = struct.pack("<qq", v["tv_sec"], v["tv_usec"])
    htz = k.mem.read(tz, 8) if tz else None      # struct timezone: two ints everywhere
    return hsys("settimeofday", htv, htz)


HANDLERS.update({"clock_settime": sys_clock_settime, "clock_settime64": sys_clock_settime64,
                 "settimeofday": sys_settimeofday})
