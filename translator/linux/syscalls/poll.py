"""Waiting on descriptors: poll, ppoll, select, pselect6."""
from __future__ import annotations

import ctypes
import errno
import struct

from ...memory import PROT_WRITE
from ..host import hsys
from ..kernel import Kernel
from ..sigdeliver import with_sigmask
from ..structs import Layout

POLLNVAL = 0x20
_BAD_HOST_FD = 0x3FFFFFFF        # never open: the host answers POLLNVAL for it


def _poll(k: Kernel, fds: int, nfds: int, timeout_ns: int | None) -> int:
    """struct pollfd is the same on every architecture: translate the fd field only."""
    if nfds > 4096:
        return -errno.EINVAL
    raw = bytearray(k.mem.read(fds, 8 * nfds))
    k.mem.check(fds, 8 * nfds, PROT_WRITE)
    host = bytearray(raw)
    for i in range(nfds):
        fd, = struct.unpack_from("<i", raw, 8 * i)
        if fd >= 0:
            struct.pack_into("<i", host, 8 * i, k.fds.fds.get(fd, _BAD_HOST_FD))
    buf = (ctypes.c_char * len(host)).from_buffer(host)
    if timeout_ns is None:
        ts = None
    else:
        ts = struct.pack("<qq", timeout_ns // 10**9, timeout_ns % 10**9)
    res = hsys("ppoll", ctypes.addressof(buf), nfds, ts, None, 8)
    if res >= 0:
        for i in range(nfds):   # copy revents back, keep the guest's fds
            raw[8 * i + 6:8 * i + 8] = host[8 * i + 6:8 * i + 8]
        k.mem.write(fds, bytes(raw))
    return res


def sys_poll(k: Kernel, fds: int, nfds: int, timeout: int) -> int:
    t = k.s32(timeout)
    return _poll(k, fds, nfds, None if t < 0 else t * 10**6)


def _ts_ns(k: Kernel, addr: int, lay: Layout) -> int | None:
    if not addr:
        return None
    v = lay.unpack(k.mem.read(addr, lay.size))
    if v["tv_sec"] < 0 or not 0 <= v["tv_nsec"] < 10**9:
        raise OSError(errno.EINVAL, "bad timespec")
    return v["tv_sec"] * 10**9 + v["tv_nsec"]


def _sigmask_arg(k: Kernel, addr: int, size: int) -> int | None:
    """A sigset_t argument of the p* waits (None: keep the mask)."""
    if not addr:
        return None
    if size != 8:
        raise OSError(errno.EINVAL, "bad sigsetsize")
    return k.mem.read_u64(addr)


def sys_ppoll(k: Kernel, fds: int, nfds: int, tsp: int, sigmask: int, size: int) -> int:
    ns = _ts_ns(k, tsp, k.abi.TIMESPEC)
    return with_sigmask(k, _sigmask_arg(k, sigmask, size), lambda: _poll(k, fds, nfds, ns))


def sys_ppoll_time64(k: Kernel, fds: int, nfds: int, tsp: int, sigmask: int, size: int) -> int:
    ns = _ts_ns(k, tsp, k.abi.TIMESPEC64)
    return with_sigmask(k, _sigmask_arg(k, sigmask, size), lambda: _poll(k, fds, nfds, ns))


def _select(k: Kernel, nfds: int, sets: tuple[int, int, int], timeout_ns: int | None) -> int:
    nfds = k.s32(nfds)
    if nfds < 0 or nfds > k.fds.limit:
        return -errno.EINVAL
    nbytes = (nfds + k.abi.BITS - 1) // k.abi.BITS * (k.abi.BITS // 8)
    guest_sets = [int.from_bytes(k.mem.read(a, nbytes), "little") if a else 0 for a in sets]
    host_sets, back = [], {}
    top = 0
    for gs in guest_sets:
        hs = 0
        for fd in range(nfds):
            if gs >> fd & 1:
                h = k.fds.host(fd)
                back[h] = fd
                hs |= 1 << h
                top = max(top, h + 1)
        host_sets.append(hs)
    hbytes = (top + 63) // 64 * 8 or 8
    bufs = [ctypes.create_string_buffer(hs.to_bytes(hbytes, "little"), hbytes) for hs in host_sets]
    ts = None if timeout_ns is None else struct.pack("<qq", timeout_ns // 10**9, timeout_ns % 10**9)
    res = hsys("pselect6", top, *(ctypes.addressof(b) for b in bufs), ts, None)
    if res < 0:
        return res
    for addr, b in zip(sets, bufs):
        if not addr:
            continue
        hs = int.from_bytes(b.raw, "little")
        gs = 0
        for h, fd in back.items():
            if hs >> h & 1:
                gs |= 1 << fd
        k.mem.write(addr, gs.to_bytes(nbytes, "little"))
    return res


def sys_select(k: Kernel, nfds: int, r: int, w: int, x: int, tv: int) -> int:
    t = None
    if tv:
        v = k.abi.TIMEVAL.unpack(k.mem.read(tv, k.abi.TIMEVAL.size))
        if v["tv_sec"] < 0 or not 0 <= v["tv_usec"] < 10**6:
            return -errno.EINVAL
        t = v["tv_sec"] * 10**9 + v["tv_usec"] * 1000
    return _select(k, nfds, (r, w, x), t)


def _pselect_mask(k: Kernel, sig: int) -> int | None:
    """pselect6's sixth argument: {const sigset_t *ss; size_t ss_len} in guest words."""
    if not sig:
        return None
    w = k.abi.BITS // 8
    raw = k.mem.read(sig, 2 * w)
    ss, ss_len = int.from_bytes(raw[:w], "little"), int.from_bytes(raw[w:], "little")
    return _sigmask_arg(k, ss, ss_len)


def sys_pselect6(k: Kernel, nfds: int, r: int, w: int, x: int, tsp: int, sig: int) -> int:
    ns = _ts_ns(k, tsp, k.abi.TIMESPEC)
    return with_sigmask(k, _pselect_mask(k, sig), lambda: _select(k, nfds, (r, w, x), ns))


def sys_pselect6_time64(k: Kernel, nfds: int, r: int, w: int, x: int, tsp: int, sig: int) -> int:
    ns = _ts_ns(k, tsp, k.abi.TIMESPEC64)
    return with_sigmask(k, _pselect_mask(k, sig), lambda: _select(k, nfds, (r, w, x), ns))


HANDLERS = {"poll": sys_poll, "ppoll": sys_ppoll, "ppoll_time64": sys_ppoll_time64,
            "_newselect": sys_select, "select": sys_select, "pselect6": sys_pselect6,
            "pselect6_time64": sys_pselect6_time64}


# ---- event counters ---------------------------------------------------------------------------
def sys_eventfd2(k: Kernel, initval: int, flags: int) -> int:
    # EFD_CLOEXEC / EFD_NONBLOCK are O_CLOEXEC / O_NONBLOCK: the same bits on ARM and x86-64;
    # the counter is read and written as 8 bytes, the same everywhere.
    res = hsys("eventfd2", initval & 0xFFFFFFFF, flags & 0xFFFFFFFF)
    return res if res < 0 else k.fds.install(res)


def sys_eventfd(k: Kernel, initval: int) -> int:
    return sys_eventfd2(k, initval, 0)


HANDLERS.update({"eventfd2": sys_eventfd2, "eventfd": sys_eventfd})


# ---- epoll ------------------------------------------------------------------------------------
# struct epoll_event is packed on x86-64 (12 bytes) but 16 bytes with the 64-bit data 8-aligned
# on ARM and AArch64: converted both ways. The data word is the guest's own and comes back
# untouched; only the descriptor in epoll_ctl is translated. EPOLL_CLOEXEC is O_CLOEXEC.
_HOST_EVENT = struct.Struct("<IQ")
EP_MAX_EVENTS = 0x7FFFFFFF // 12


def sys_epoll_create1(k: Kernel, flags: int) -> int:
    res = hsys("epoll_create1", k.s32(flags))
    return res if res < 0 else k.fds.install(res)


def sys_epoll_create(k: Kernel, size: int) -> int:
    if k.s32(size) <= 0:
        return -errno.EINVAL
    return sys_epoll_create1(k, 0)


def sys_epoll_ctl(k: Kernel, epfd: int, op: int, fd: int, event: int) -> int:
    hep = k.fds.host(k.s32(epfd))
    hfd = k.fds.host(k.s32(fd))
    ev = None
    if event:
        lay = k.abi.EPOLL_EVENT
        v = lay.unpack(k.mem.read(event, lay.size))
        ev = _HOST_EVENT.pack(v["events"], v["data"])
    return hsys("epoll_ctl", hep, k.s32(op), hfd, ev)


def _epoll_wait(k: Kernel, epfd: int, events: int, maxevents: int, timeout_ms: int) -> int:
    hep = k.fds.host(k.s32(epfd))
    n = k.s32(maxevents)
    if n <= 0 or n > EP_MAX_EVENTS:
        return -errno.EINVAL
    lay = k.abi.EPOLL_EVENT
    k.mem.check(events, lay.size * n, PROT_WRITE)
    buf = ctypes.create_string_buffer(_HOST_EVENT.size * n)
    res = hsys("epoll_wait", hep, ctypes.addressof(buf), n, timeout_ms)
    if res > 0:
        out = b"".join(lay.pack(events=e, data=d)
                       for e, d in _HOST_EVENT.iter_unpack(buf.raw[:_HOST_EVENT.size * res]))
        k.mem.write(events, out)
    return res


def sys_epoll_wait(k: Kernel, epfd: int, events: int, maxevents: int, timeout: int) -> int:
    return _epoll_wait(k, epfd, events, maxevents, k.s32(timeout))


def sys_epoll_pwait(k: Kernel, epfd: int, events: int, maxevents: int, timeout: int,
                    sigmask: int, size: int) -> int:
    t = k.s32(timeout)
    return with_sigmask(k, _sigmask_arg(k, sigmask, size),
                        lambda: _epoll_wait(k, epfd, events, maxevents, t))


def sys_epoll_pwait2(k: Kernel, epfd: int, events: int, maxevents: int, tsp: int,
                     sigmask: int, size: int) -> int:
    ns = _ts_ns(k, tsp, k.abi.TIMESPEC64)
    # Round up to whole milliseconds so a short timeout still waits rather than polls.
    ms = -1 if ns is None else -(-ns // 10**6)
    return with_sigmask(k, _sigmask_arg(k, sigmask, size),
                        lambda: _epoll_wait(k, epfd, events, maxevents, ms))


HANDLERS.update({"epoll_create1": sys_epoll_create1, "epoll_create": sys_epoll_create,
                 "epoll_ctl": sys_epoll_ctl, "epoll_wait": sys_epoll_wait,
                 "epoll_pwait": sys_epoll_pwait, "epoll_pwait2": sys_epoll_pwait2})
