"""Sockets: socket, bind, connect, accept, the send/recv families, socket options.

Address families, socket types and flags (SOCK_NONBLOCK/SOCK_CLOEXEC), MSG_* flags, the
SOL_SOCKET option numbers and every sockaddr_* layout are the same on ARM, AArch64 and
x86-64 (asm-generic/socket.h; checked against the cross compilers by tests/test_net.py),
so addresses travel as raw bytes through guest memory, which the host kernel reads and
writes in place. What differs is everything holding a pointer or a ``long``: struct msghdr,
struct cmsghdr (and its alignment), struct mmsghdr, and on 32-bit ARM the old timeval
options (SO_RCVTIMEO/SO_SNDTIMEO) and timestamp control messages. Descriptors passed with
SCM_RIGHTS are translated between guest and host numbers.
"""
from __future__ import annotations

import ctypes
import errno
import os
import struct
import time

from ...memory import PROT_READ, PROT_WRITE
from ..host import hsys
from ..kernel import Kernel
from .fs import _iovecs, hbuf, host_fd

SOL_SOCKET = 1
SCM_RIGHTS, SCM_CREDENTIALS = 1, 2
SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD = 20, 21
SO_TIMESTAMP_OLD, SO_TIMESTAMPNS_OLD = 29, 35
SO_ATTACH_FILTER, SO_ATTACH_REUSEPORT_CBPF = 26, 51
MSG_CTRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_WAITFORONE = 0x8, 0x40, 0x4000, 0x10000
SIGPIPE = 13
# Host (x86-64) control messages: struct cmsghdr {size_t len; int level; int type;}.
_HCMSG = struct.Struct("<Qii")
_HMSGHDR = struct.Struct("<QI4xQQQQi4x")
_SOCKADDR_MAX = 128             # sizeof(struct sockaddr_storage)
_UIO_MAXIOV = 1024
_CONTROL_MAX = 1 << 16          # above the kernel's optmem_max (20 KiB): ENOBUFS there too


# ---- helpers -------------------------------------------------------------------------------
def _sockaddr_in(k: Kernel, addr: int, addrlen: int) -> int | None:
    """Host address of a guest sockaddr the host kernel will read (layouts are shared)."""
    if not addr:
        return None
    n = k.s32(addrlen)
    if n < 0 or n > _SOCKADDR_MAX:
        raise OSError(errno.EINVAL, "bad address length")
    return hbuf(k, addr, n, PROT_READ)


def _sockaddr_out(k: Kernel, addr: int, lenp: int) -> tuple[int | None, int | None]:
    """Host addresses of a guest (sockaddr, socklen_t *) result pair, checked writable."""
    if not addr:
        return None, None
    k.mem.check(lenp, 4, PROT_READ | PROT_WRITE)
    n = k.s32(k.mem.read_u32(lenp))
    if n < 0:
        raise OSError(errno.EINVAL, "bad address length")
    # The kernel writes at most a sockaddr_storage, whatever length the guest offers.
    return hbuf(k, addr, min(n, _SOCKADDR_MAX), PROT_WRITE), k.mem.base + lenp


def _timeval_in(k: Kernel, data: bytes) -> bytes:
    v = k.abi.TIMEVAL.unpack(data)
    return struct.pack("<qq", v["tv_sec"], v["tv_usec"])


def _sent(k: Kernel, res: int, flags: int) -> int:
    """A send's result; a broken connection also raises SIGPIPE unless MSG_NOSIGNAL
    (pytrans itself ignores SIGPIPE, so the host kernel's signal never reaches the guest)."""
    if res == -errno.EPIPE and not flags & MSG_NOSIGNAL:
        k.raise_signal(SIGPIPE)
    return res


# ---- creating and connecting -------------------------------------------------------------------
def sys_socket(k: Kernel, family: int, type_: int, protocol: int) -> int:
    res = hsys("socket", k.s32(family), k.s32(type_), k.s32(protocol))
    return res if res < 0 else k.fds.install(res)


def sys_socketpair(k: Kernel, family: int, type_: int, protocol: int, sv: int) -> int:
    k.mem.check(sv, 8, PROT_WRITE)
    pair = (ctypes.c_int * 2)()
    res = hsys("socketpair", k.s32(family), k.s32(type_), k.s32(protocol),
               ctypes.addressof(pair))
    if res < 0:
        return res
    k.mem.write(sv, struct.pack("<ii", k.fds.install(pair[0]), k.fds.install(pair[1])))
    return 0


def sys_bind(k: Kernel, fd: int, addr: int, addrlen: int) -> int:
    return hsys("bind", host_fd(k, fd), _sockaddr_in(k, addr, addrlen), k.s32(addrlen))


def sys_connect(k: Kernel, fd: int, addr: int, addrlen: int) -> int:
    return hsys("connect", host_fd(k, fd), _sockaddr_in(k, addr, addrlen), k.s32(addrlen))


def sys_listen(k: Kernel, fd: int, backlog: int) -> int:
    return hsys("listen", host_fd(k, fd), k.s32(backlog))


def sys_accept4(k: Kernel, fd: int, addr: int, lenp: int, flags: int) -> int:
    h = host_fd(k, fd)
    a, l = _sockaddr_out(k, addr, lenp)
    res = hsys("accept4", h, a, l, k.s32(flags))
    return res if res < 0 else k.fds.install(res)


def sys_accept(k: Kernel, fd: int, addr: int, lenp: int) -> int:
    return sys_accept4(k, fd, addr, lenp, 0)


def sys_getsockname(k: Kernel, fd: int, addr: int, lenp: int) -> int:
    h = host_fd(k, fd)
    a, l = _sockaddr_out(k, addr, lenp)
    if a is None:
        return -errno.EFAULT
    return hsys("getsockname", h, a, l)


def sys_getpeername(k: Kernel, fd: int, addr: int, lenp: int) -> int:
    h = host_fd(k, fd)
    a, l = _sockaddr_out(k, addr, lenp)
    if a is None:
        return -errno.EFAULT
    return hsys("getpeername", h, a, l)


def sys_shutdown(k: Kernel, fd: int, how: int) -> int:
    return hsys("shutdown", host_fd(k, fd), k.s32(how))


# ---- plain send / recv ----------------------------------------------------------------------------
def sys_sendto(k: Kernel, fd: int, buf: int, length: int, flags: int, addr: int,
               addrlen: int) -> int:
    return _sent(k, hsys("sendto", host_fd(k, fd), hbuf(k, buf, length, PROT_READ), length,
                         flags & 0xFFFFFFFF, _sockaddr_in(k, addr, addrlen),
                         k.s32(addrlen) if addr else 0), flags)


def sys_send(k: Kernel, fd: int, buf: int, length: int, flags: int) -> int:
    return sys_sendto(k, fd, buf, length, flags, 0, 0)


def sys_recvfrom(k: Kernel, fd: int, buf: int, length: int, flags: int, addr: int,
                 lenp: int) -> int:
    h = host_fd(k, fd)
    a, l = _sockaddr_out(k, addr, lenp)
    return hsys("recvfrom", h, hbuf(k, buf, length, PROT_WRITE), length, flags & 0xFFFFFFFF,
                a, l)


def sys_recv(k: Kernel, fd: int, buf: int, length: int, flags: int) -> int:
    return sys_recvfrom(k, fd, buf, length, flags, 0, 0)


# ---- msghdr and control messages ----------------------------------------------------------------
class _HostMsg:
    """A guest struct msghdr rebuilt as the host's, with the buffers it points to kept alive."""

    def __init__(self, k: Kernel, addr: int, receiving: bool):
        lay = k.abi.MSGHDR
        self.k, self.addr = k, addr
        self.g = g = lay.unpack(k.mem.read(addr, lay.size))
        if receiving:
            k.mem.check(addr, lay.size, PROT_WRITE)
        access = PROT_WRITE if receiving else PROT_READ
        iovlen = g["msg_iovlen"]
        if iovlen > _UIO_MAXIOV:
            raise OSError(errno.EMSGSIZE, "too many iovecs")
        self.iov = ctypes.create_string_buffer(_iovecs(k, g["msg_iov"], iovlen, access) or b"\0")
        name = 0
        if g["msg_name"]:
            namelen = g["msg_namelen"]
            if k.s32(namelen) < 0 or (not receiving and namelen > _SOCKADDR_MAX):
                raise OSError(errno.EINVAL, "bad msg_namelen")
            # recvmsg writes at most a sockaddr_storage, whatever room the guest offers.
            name = hbuf(k, g["msg_name"], min(namelen, _SOCKADDR_MAX), access)
        clen = g["msg_controllen"]
        if receiving:
            # Host headers are bigger and 8-aligned: leave room for the same content (a
            # control message is never bigger than optmem_max, so the room is capped).
            self.control = ctypes.create_string_buffer(2 * min(clen, _CONTROL_MAX) + 64
                                                       if clen else 1)
            hclen = len(self.control) if clen else 0
        else:
            if clen > _CONTROL_MAX:
                raise OSError(errno.ENOBUFS, "control data too long")
            data = _cmsg_to_host(k, k.mem.read(g["msg_control"], clen)) if clen else b""
            self.control = ctypes.create_string_buffer(data or b"\0", max(len(data), 1))
            hclen = len(data)
        self.hdr = ctypes.create_string_buffer(_HMSGHDR.pack(
            name, g["msg_namelen"] if g["msg_name"] else 0, ctypes.addressof(self.iov), iovlen,
            ctypes.addressof(self.control) if hclen else 0, hclen, 0))

    @property
    def ptr(self) -> int:
        return ctypes.addressof(self.hdr)

    def finish_recv(self) -> None:
        """Copy msg_namelen, the control messages and msg_flags back to the guest."""
        _name, namelen, _iov, _iovlen, _ctl, hclen, flags = _HMSGHDR.unpack_from(self.hdr.raw)
        k, g, lay = self.k, self.g, self.k.abi.MSGHDR
        glen = g["msg_controllen"]
        out, truncated = _cmsg_to_guest(k, self.control.raw[:hclen], glen)
        if out:
            k.mem.write(g["msg_control"], out)
        if truncated:
            flags |= MSG_CTRUNC
        g = dict(g, msg_namelen=namelen if g["msg_name"] else g["msg_namelen"],
                 msg_controllen=len(out), msg_flags=flags)
        k.mem.write(self.addr, lay.pack(**g))


def _cmsg_align(n: int, a: int) -> int:
    return (n + a - 1) & ~(a - 1)


def _cmsg_to_host(k: Kernel, raw: bytes) -> bytes:
    """Guest control messages -> host ones; SCM_RIGHTS descriptors become host fds."""
    lay, align = k.abi.CMSGHDR, k.abi.CMSG_ALIGN
    out = bytearray()
    off = 0
    while off + lay.size <= len(raw):
        h = lay.unpack(raw[off:off + lay.size])
        n = h["cmsg_len"]
        if n < lay.size or off + n > len(raw):
            raise OSError(errno.EINVAL, "bad cmsg_len")
        data = raw[off + lay.size:off + n]
        level, type_ = h["cmsg_level"], h["cmsg_type"]
        if level == SOL_SOCKET and type_ == SCM_RIGHTS:
            fds = struct.unpack(f"<{len(data) // 4}i", data[:len(data) // 4 * 4])
            data = struct.pack(f"<{len(fds)}i", *(k.fds.host(fd) for fd in fds))
        # SCM_CREDENTIALS (struct ucred) and everything else: same bytes on the host.
        out += _HCMSG.pack(_HCMSG.size + len(data), level, type_) + data
        out += bytes(_cmsg_align(len(out), 8) - len(out))
        off += _cmsg_align(n, align)
    return bytes(out)


def _cmsg_to_guest(k: Kernel, raw: bytes, room: int) -> tuple[bytes, bool]:
    """Host control messages -> the guest's, within ``room`` bytes; received descriptors are
    installed in the guest table (those that do not fit are closed, as the kernel does)."""
    lay, align = k.abi.CMSGHDR, k.abi.CMSG_ALIGN
    out = bytearray()
    truncated = False
    off = 0
    while off + _HCMSG.size <= len(raw):
        n, level, type_ = _HCMSG.unpack_from(raw, off)
        if n < _HCMSG.size:
            break
        data = raw[off + _HCMSG.size:off + n]
        off += _cmsg_align(n, 8)
        space = room - len(out) - lay.size
        if level == SOL_SOCKET and type_ == SCM_RIGHTS:
            hfds = list(struct.unpack(f"<{len(data) // 4}i", data[:len(data) // 4 * 4]))
            keep = max(0, min(len(hfds), space // 4)) if space >= 0 else 0
            for h in hfds[keep:]:
                os.close(h)
            if keep < len(hfds):
                truncated = True
            if keep == 0:
                continue
            data = struct.pack(f"<{keep}i", *(k.fds.install(h) for h in hfds[:keep]))
        elif level == SOL_SOCKET and type_ in (SO_TIMESTAMP_OLD, SO_TIMESTAMPNS_OLD) \
                and k.abi.BITS == 32:
            sec, frac = struct.unpack_from("<qq", data)   # timeval/timespec of 32-bit longs
            data = struct.pack("<ii", sec, frac)
        if space < len(data):
            truncated = True
            break
        out += lay.pack(cmsg_len=lay.size + len(data), cmsg_level=level, cmsg_type=type_) + data
        pad = _cmsg_align(len(out), align) - len(out)
        out += bytes(min(pad, max(0, room - len(out))))
    return bytes(out), truncated


def sys_sendmsg(k: Kernel, fd: int, msg: int, flags: int) -> int:
    h = host_fd(k, fd)
    m = _HostMsg(k, msg, receiving=False)
    return _sent(k, hsys("sendmsg", h, m.ptr, flags & 0xFFFFFFFF), flags)


def sys_recvmsg(k: Kernel, fd: int, msg: int, flags: int) -> int:
    h = host_fd(k, fd)
    m = _HostMsg(k, msg, receiving=True)
    res = hsys("recvmsg", h, m.ptr, flags & 0xFFFFFFFF)
    if res >= 0:
        m.finish_recv()
    return res


def _mmsg(k: Kernel, fd: int, vec: int, vlen: int, flags: int, receiving: bool,
          deadline: float | None = None) -> int:
    """sendmmsg/recvmmsg as a loop of single calls, with the kernel's partial-success rule:
    once one message went through, an error ends the batch and the count is returned. Like
    the kernel, recvmmsg looks at its deadline only after each datagram."""
    lay = k.abi.MMSGHDR
    h = host_fd(k, fd)
    vlen = min(vlen & 0xFFFFFFFF, _UIO_MAXIOV)
    done = 0
    flags &= 0xFFFFFFFF
    while done < vlen:
        entry = vec + done * lay.size
        m = _HostMsg(k, entry, receiving)
        f = flags & ~MSG_WAITFORONE
        if receiving and flags & MSG_WAITFORONE and done:
            f |= MSG_DONTWAIT
        res = hsys("recvmsg" if receiving else "sendmsg", h, m.ptr, f)
        if res < 0 and not receiving and done == 0:
            return _sent(k, res, flags)
        if res < 0:
            return res if done == 0 else done
        if receiving:
            m.finish_recv()
        k.mem.write_u32(entry + lay.offsets["msg_len"], res)
        done += 1
        if deadline is not None and time.monotonic() >= deadline:
            break
    return done


def sys_sendmmsg(k: Kernel, fd: int, vec: int, vlen: int, flags: int) -> int:
    return _mmsg(k, fd, vec, vlen, flags, receiving=False)


def _recvmmsg(k: Kernel, fd: int, vec: int, vlen: int, flags: int, timeout: int, lay) -> int:
    if not timeout:
        return _mmsg(k, fd, vec, vlen, flags, receiving=True)
    ts = lay.unpack(k.mem.read(timeout, lay.size))
    if ts["tv_sec"] < 0 or not 0 <= ts["tv_nsec"] < 10**9:
        return -errno.EINVAL
    deadline = time.monotonic() + ts["tv_sec"] + ts["tv_nsec"] / 1e9
    res = _mmsg(k, fd, vec, vlen, flags, receiving=True, deadline=deadline)
    left = max(0, round((deadline - time.monotonic()) * 1e9))
    k.mem.write(timeout, lay.pack(tv_sec=left // 10**9, tv_nsec=left % 10**9))  # time left
    return res


def sys_recvmmsg(k: Kernel, fd: int, vec: int, vlen: int, flags: int, timeout: int) -> int:
    return _recvmmsg(k, fd, vec, vlen, flags, timeout, k.abi.TIMESPEC)


def sys_recvmmsg_time64(k: Kernel, fd: int, vec: int, vlen: int, flags: int,
                        timeout: int) -> int:
    return _recvmmsg(k, fd, vec, vlen, flags, timeout, k.abi.TIMESPEC64)


# ---- options ------------------------------------------------------------------------------------
def _is_old_timeval(k: Kernel, level: int, name: int) -> bool:
    return level == SOL_SOCKET and name in (SO_RCVTIMEO_OLD, SO_SNDTIMEO_OLD)


def sys_setsockopt(k: Kernel, fd: int, level: int, name: int, val: int, length: int) -> int:
    h = host_fd(k, fd)
    level, name, n = k.s32(level), k.s32(name), k.s32(length)
    if n < 0:
        return -errno.EINVAL
    if _is_old_timeval(k, level, name):
        if n < k.abi.TIMEVAL.size:
            return -errno.EINVAL
        tv = _timeval_in(k, k.mem.read(val, k.abi.TIMEVAL.size))
        return hsys("setsockopt", h, level, name, tv, len(tv))
    if level == SOL_SOCKET and name in (SO_ATTACH_FILTER, SO_ATTACH_REUSEPORT_CBPF) \
            and k.abi.BITS == 32:
        # struct sock_fprog {unsigned short len; struct sock_filter *filter;}
        count, filt = struct.unpack("<H2xI", k.mem.read(val, 8))
        prog = struct.pack("<H6xQ", count, hbuf(k, filt, count * 8, PROT_READ))
        return hsys("setsockopt", h, level, name, prog, len(prog))
    return hsys("setsockopt", h, level, name, hbuf(k, val, n, PROT_READ) if val else None, n)


def sys_getsockopt(k: Kernel, fd: int, level: int, name: int, val: int, lenp: int) -> int:
    h = host_fd(k, fd)
    level, name = k.s32(level), k.s32(name)
    k.mem.check(lenp, 4, PROT_READ | PROT_WRITE)
    n = k.s32(k.mem.read_u32(lenp))
    if n < 0:
        return -errno.EINVAL
    if _is_old_timeval(k, level, name):
        tv = ctypes.create_string_buffer(16)
        hlen = ctypes.c_uint32(16)
        res = hsys("getsockopt", h, level, name, ctypes.addressof(tv), ctypes.addressof(hlen))
        if res < 0:
            return res
        sec, usec = struct.unpack("<qq", tv.raw)
        out = k.abi.TIMEVAL.pack(tv_sec=sec, tv_usec=usec)[:n]
        k.mem.write(val, out)
        k.mem.write_u32(lenp, len(out))
        return 0
    return hsys("getsockopt", h, level, name, hbuf(k, val, n, PROT_WRITE), k.mem.base + lenp)


# ---- socket ioctls ----------------------------------------------------------------------------------
# struct ifreq requests: the name plus an int, a short or a sockaddr at the start of the union,
# all of which fit the union's first 16 bytes on every architecture.
_IFREQ_IOCTLS = frozenset({
    0x8910, 0x8913, 0x8914, 0x8915, 0x8916, 0x8917, 0x8918, 0x8919, 0x891A, 0x891B, 0x891C,
    0x891D, 0x891E, 0x8921, 0x8922, 0x8923, 0x8924, 0x8927, 0x8933, 0x8942, 0x8943})
# SIOCGIFNAME, SIOCG/SIFFLAGS, SIOCG/SIFADDR, SIOCG/SIFDSTADDR, SIOCG/SIFBRDADDR,
# SIOCG/SIFNETMASK, SIOCG/SIFMETRIC, SIOCG/SIFMTU, SIOCSIFNAME, SIOCSIFHWADDR, SIOCGIFHWADDR,
# SIOCGIFINDEX, SIOCG/SIFTXQLEN.
SIOCGIFCONF, SIOCATMARK, SIOCGSTAMP_OLD, SIOCGSTAMPNS_OLD = 0x8912, 0x8905, 0x8906, 0x8907
SIOCGIFMAP = 0x8970
_HOST_IFREQ = 40


def sock_ioctl(k: Kernel, h: int, request: int, arg: int) -> int:
    """ioctls in the socket range (linux/sockios.h) on host descriptor ``h``."""
    lay = k.abi.IFREQ
    if request in _IFREQ_IOCTLS:
        g = k.mem.read(arg, lay.size)
        k.mem.check(arg, lay.size, PROT_WRITE)
        buf = ctypes.create_string_buffer(g[:32].ljust(_HOST_IFREQ, b"\0"), _HOST_IFREQ)
        res = hsys("ioctl", h, request, ctypes.addressof(buf))
        if res >= 0:
            k.mem.write(arg, buf.raw[:32])
        return res
    if request == SIOCGIFCONF:
        return _ifconf(k, h, arg)
    if request == SIOCGIFMAP:
        # struct ifmap {unsigned long mem_start, mem_end; u16 base_addr; u8 irq, dma, port}
        g = k.mem.read(arg, lay.size)
        k.mem.check(arg, lay.size, PROT_WRITE)
        buf = ctypes.create_string_buffer(g[:16].ljust(_HOST_IFREQ, b"\0"), _HOST_IFREQ)
        res = hsys("ioctl", h, request, ctypes.addressof(buf))
        if res >= 0:
            w = k.abi.WORD
            k.mem.write(arg + 16, struct.pack(f"<{w}{w}HBBB", *struct.unpack_from("<QQHBBB", buf.raw, 16)))
        return res
    if request == SIOCATMARK:
        return hsys("ioctl", h, request, hbuf(k, arg, 4, PROT_WRITE))
    if request in (SIOCGSTAMP_OLD, SIOCGSTAMPNS_OLD):
        out = ctypes.create_string_buffer(16)
        res = hsys("ioctl", h, request, ctypes.addressof(out))
        if res >= 0:
            sec, frac = struct.unpack("<qq", out.raw)
            tl = k.abi.TIMEVAL if request == SIOCGSTAMP_OLD else k.abi.TIMESPEC
            k.mem.write(arg, tl.pack(**dict(zip(tl.names, (sec, frac)))))
        return res
    k.warn_once(f"ioctl{request:x}", f"socket ioctl {request:#x} is not supported (-ENOTTY)")
    return -errno.ENOTTY


def _ifconf(k: Kernel, h: int, arg: int) -> int:
    """SIOCGIFCONF: an array of struct ifreq, whose size differs from the host's."""
    lay, ifr = k.abi.IFCONF, k.abi.IFREQ
    g = lay.unpack(k.mem.read(arg, lay.size))
    k.mem.check(arg, lay.size, PROT_WRITE)
    n = max(k.s32(g["ifc_len"]), 0) // ifr.size
    hbuf_ = ctypes.create_string_buffer(max(n, 1) * _HOST_IFREQ)
    host = ctypes.create_string_buffer(struct.pack("<i4xQ", n * _HOST_IFREQ,
                                                   ctypes.addressof(hbuf_) if g["ifc_buf"] else 0),
                                       16)
    res = hsys("ioctl", h, SIOCGIFCONF, ctypes.addressof(host))
    if res < 0:
        return res
    got = struct.unpack_from("<i", host.raw)[0] // _HOST_IFREQ
    if g["ifc_buf"]:
        out = b"".join(hbuf_.raw[i * _HOST_IFREQ:i * _HOST_IFREQ + 32].ljust(ifr.size, b"\0")
                       for i in range(got))
        k.mem.write(g["ifc_buf"], out)
    k.mem.write(arg, lay.pack(ifc_len=got * ifr.size, ifc_buf=g["ifc_buf"]))
    return res


HANDLERS = {
    "socket": sys_socket, "socketpair": sys_socketpair, "bind": sys_bind,
    "connect": sys_connect, "listen": sys_listen, "accept": sys_accept,
    "accept4": sys_accept4, "getsockname": sys_getsockname, "getpeername": sys_getpeername,
    "shutdown": sys_shutdown, "sendto": sys_sendto, "send": sys_send,
    "recvfrom": sys_recvfrom, "recv": sys_recv, "sendmsg": sys_sendmsg,
    "recvmsg": sys_recvmsg, "sendmmsg": sys_sendmmsg, "recvmmsg": sys_recvmmsg,
    "recvmmsg_time64": sys_recvmmsg_time64, "setsockopt": sys_setsockopt,
    "getsockopt": sys_getsockopt,
}
