"""File-system and descriptor syscalls."""
from __future__ import annotations

import ctypes
import errno
import fcntl as _fcntl
import os
import stat as stat_mod
import struct

from ...memory import PROT_READ, PROT_WRITE
from ..host import HOST_O_FLAGS, hsys, raw3
from ..host_syscall_numbers import NUMBERS
from ..kernel import Kernel
from .. import procfs

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_REMOVEDIR = 0x200
AT_EMPTY_PATH = 0x1000
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL = 0, 1, 2, 3, 4
F_DUPFD_CLOEXEC = 1030
O_CLOEXEC = 0o2000000
O_ACCMODE = 3
IOV_MAX = 1024


# ---- translation helpers ------------------------------------------------------------------
def host_fd(k: Kernel, fd: int) -> int:
    return k.fds.host(k.s32(fd))


def host_dirfd(k: Kernel, fd: int) -> int:
    """A dirfd argument: AT_FDCWD stays, anything else is a guest descriptor."""
    fd = k.s32(fd)
    return AT_FDCWD if fd == AT_FDCWD else k.fds.host(fd)


def guest_path(k: Kernel, addr: int, follow: bool = True) -> bytes:
    """A path argument as host bytes, sysroot applied to absolute paths; ``follow=False``
    for calls that act on a symlink itself (lstat, readlink, unlink, rename...)."""
    return os.fsencode(k.path(addr, follow))


def oflags_to_host(k: Kernel, flags: int) -> int:
    out = flags
    for name, gbit in k.abi.O_FLAGS.items():
        out &= ~gbit
    for name, gbit in k.abi.O_FLAGS.items():
        if flags & gbit:
            out |= HOST_O_FLAGS[name]
    return out


def oflags_to_guest(k: Kernel, flags: int) -> int:
    out = flags
    for name, hbit in HOST_O_FLAGS.items():
        out &= ~hbit
    for name, hbit in HOST_O_FLAGS.items():
        if flags & hbit:
            out |= k.abi.O_FLAGS[name]
    return out


def hbuf(k: Kernel, addr: int, length: int, access: int) -> int:
    """Host address of a guest buffer, after checking the guest may access it (EFAULT)."""
    return k.guest_buffer(addr, length, access)


def _install(k: Kernel, res: int) -> int:
    """Turn a fresh host descriptor (or -errno) into a guest one."""
    if res < 0:
        return res
    return k.fds.install(res)


def host_dup(h: int, cloexec: bool = False) -> int:
    """Duplicate a host descriptor keeping kernel semantics (os.dup would set CLOEXEC)."""
    res = hsys("fcntl", h, F_DUPFD_CLOEXEC if cloexec else F_DUPFD, 0)
    if res < 0:
        raise OSError(-res, os.strerror(-res))
    return res


# ---- read / write -------------------------------------------------------------------------
# read and write are most of many programs' syscalls: their handlers skip the generic
# helpers. One dict lookup finds the descriptor (the table's keys are 0..limit, so the
# unsigned 32-bit value finds exactly what its s32 would); a buffer inside the mapping the
# last one was in (Kernel.guest_buffer's cache, tested inline here) needs no VMA lookup;
# the host call is the raw one with its number bound.
_NR_READ, _NR_WRITE = NUMBERS["read"], NUMBERS["write"]


def sys_read(k: Kernel, fd: int, buf: int, count: int) -> int:
    h = k.fds.fds.get(fd & 0xFFFFFFFF)
    if h is None:
        return -errno.EBADF
    a = k._access
    lo, hi, gen = a.writable
    if gen == a.gen and lo <= buf and buf + count <= hi:
        return raw3(_NR_READ, h, a.base + buf, count)
    return raw3(_NR_READ, h, k.guest_buffer(buf, count, PROT_WRITE), count)


def sys_write(k: Kernel, fd: int, buf: int, count: int) -> int:
    h = k.fds.fds.get(fd & 0xFFFFFFFF)
    if h is None:
        return -errno.EBADF
    a = k._access
    lo, hi, gen = a.readable
    if gen == a.gen and lo <= buf and buf + count <= hi:
        return raw3(_NR_WRITE, h, a.base + buf, count)
    return raw3(_NR_WRITE, h, k.guest_buffer(buf, count, PROT_READ), count)


def sys_pread64(k: Kernel, fd: int, buf: int, count: int, pos: int) -> int:
    return hsys("pread64", host_fd(k, fd), hbuf(k, buf, count, PROT_WRITE), count, pos)


def sys_pwrite64(k: Kernel, fd: int, buf: int, count: int, pos: int) -> int:
    return hsys("pwrite64", host_fd(k, fd), hbuf(k, buf, count, PROT_READ), count, pos)


_IOV_STRUCTS: dict[int, struct.Struct] = {}


def _iovecs(k: Kernel, iov: int, cnt: int, access: int) -> bytes:
    """Guest iovec array -> host struct iovec array (base translated, lengths checked)."""
    cnt = k.s32(cnt)
    if cnt < 0 or cnt > IOV_MAX:
        raise OSError(errno.EINVAL, "bad iovcnt")
    lay = k.abi.IOVEC
    one = _IOV_STRUCTS.get(lay.size)
    if one is None:
        # {iov_base, iov_len}, two words, no padding (checked against the compilers'
        # offsetof by tests/test_structs.py).
        assert lay.names == ["iov_base", "iov_len"] and len(lay.fields) == 2
        one = _IOV_STRUCTS[lay.size] = struct.Struct("<" + "".join(f for _, f in lay.fields))
    out = []
    for base, length in one.iter_unpack(k.mem.read(iov, lay.size * cnt)):
        out.append(k.guest_buffer(base, length, access))
        out.append(length)
    return struct.pack("<%dQ" % (2 * cnt), *out)


_NR_READV, _NR_WRITEV = NUMBERS["readv"], NUMBERS["writev"]


def sys_readv(k: Kernel, fd: int, iov: int, cnt: int) -> int:
    return raw3(_NR_READV, host_fd(k, fd), _iovecs(k, iov, cnt, PROT_WRITE), k.s32(cnt))


def sys_writev(k: Kernel, fd: int, iov: int, cnt: int) -> int:
    # musl's stdio writes through writev (buffer + new data): every flush comes here.
    return raw3(_NR_WRITEV, host_fd(k, fd), _iovecs(k, iov, cnt, PROT_READ), k.s32(cnt))


def sys_preadv(k: Kernel, fd: int, iov: int, cnt: int, pos: int) -> int:
    return hsys("preadv", host_fd(k, fd), _iovecs(k, iov, cnt, PROT_WRITE), k.s32(cnt),
                pos & 0xFFFFFFFF, pos >> 32)


def sys_pwritev(k: Kernel, fd: int, iov: int, cnt: int, pos: int) -> int:
    return hsys("pwritev", host_fd(k, fd), _iovecs(k, iov, cnt, PROT_READ), k.s32(cnt),
                pos & 0xFFFFFFFF, pos >> 32)


# ---- open / close / seek ---------------------------------------------------------------------
def sys_openat(k: Kernel, dirfd: int, path: int, flags: int, mode: int) -> int:
    p = guest_path(k, path, follow=not flags & k.abi.O_FLAGS["O_NOFOLLOW"])
    special = procfs.open_special(k, p, write=(flags & O_ACCMODE) != os.O_RDONLY)
    if special is not None:
        os.set_inheritable(special, not flags & O_CLOEXEC)   # the guest's flag, for exec
        return k.fds.install(special)
    p = procfs.stat_path(k, p, True) or p          # /proc/self/fd/N -> the host's entry
    return _install(k, hsys("openat", host_dirfd(k, dirfd), p, oflags_to_host(k, flags), mode))


def sys_open(k: Kernel, path: int, flags: int, mode: int) -> int:
    return sys_openat(k, AT_FDCWD, path, flags, mode)


def sys_creat(k: Kernel, path: int, mode: int) -> int:
    return sys_openat(k, AT_FDCWD, path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, mode)


def sys_close(k: Kernel, fd: int) -> int:
    k.fds.close(k.s32(fd))
    return 0


def sys_lseek(k: Kernel, fd: int, offset: int, whence: int) -> int:
    return _seek(k, host_fd(k, fd), k.signed(offset), whence)


def sys__llseek(k: Kernel, fd: int, off_hi: int, off_lo: int, result: int, whence: int) -> int:
    off = (off_hi << 32 | off_lo) & 0xFFFFFFFFFFFFFFFF
    if off >> 63:
        off -= 1 << 64
    res = _seek(k, host_fd(k, fd), off, whence)
    if res < 0:
        return res
    k.mem.write(result, struct.pack("<q", res))
    return 0


# ---- directory offsets for 32-bit guests ------------------------------------------------------
class DirCookies:
    """Small directory positions for one host directory.

    A directory's d_off/f_pos is an opaque cookie; ext4 hands 64-bit hashes to 64-bit
    processes and 31-bit ones to 32-bit processes (is_32bit_api()). pytrans is a 64-bit
    process, so for a 32-bit guest every host cookie gets a small stand-in (1, 2, 3... in
    the order first seen; 0 stays the start) that getdents64 reports and lseek takes back.
    """

    def __init__(self) -> None:
        self.host_of: list[int] = [0]
        self.guest_of: dict[int, int] = {0: 0}

    def guest(self, host_off: int) -> int:
        c = self.guest_of.get(host_off)
        if c is None:
            c = len(self.host_of)
            self.host_of.append(host_off)
            self.guest_of[host_off] = c
        return c

    def host(self, cookie: int) -> int:
        return self.host_of[cookie] if 0 <= cookie < len(self.host_of) else cookie


def _dir_cookies(k: Kernel, h: int, create: bool) -> DirCookies | None:
    """The cookie table of the directory open as host fd ``h`` (None for 64-bit guests, for
    descriptors that are not directories, and for directories never listed)."""
    if k.abi.DIR_COOKIE_BITS is None:
        return None
    tables = k.__dict__.setdefault("dir_cookies", {})
    if not create and not tables:
        return None          # nothing listed yet: no fstat on plain lseeks
    st = os.fstat(h)
    if not stat_mod.S_ISDIR(st.st_mode):
        return None
    # Keyed by the directory, so dup'ed and reopened descriptors agree on cookies.
    key = (st.st_dev, st.st_ino)
    if key not in tables and create:
        tables[key] = DirCookies()
    return tables.get(key)


def _seek(k: Kernel, h: int, off: int, whence: int) -> int:
    table = _dir_cookies(k, h, create=False)
    if table is None:
        return hsys("lseek", h, off, whence)
    if whence == os.SEEK_SET:
        off = table.host(off)
    res = hsys("lseek", h, off, whence)
    return res if res < 0 else table.guest(res)


# ---- stat family ---------------------------------------------------------------------------
def pack_stat(k: Kernel, st: os.stat_result) -> bytes:
    return k.abi.STAT.pack(
        st_dev=st.st_dev, __st_ino=st.st_ino, st_ino=st.st_ino, st_mode=st.st_mode,
        st_nlink=st.st_nlink, st_uid=st.st_uid, st_gid=st.st_gid, st_rdev=st.st_rdev,
        st_size=st.st_size, st_blksize=st.st_blksize, st_blocks=st.st_blocks,
        st_atime=int(st.st_atime_ns // 10**9), st_atime_nsec=st.st_atime_ns % 10**9,
        st_mtime=int(st.st_mtime_ns // 10**9), st_mtime_nsec=st.st_mtime_ns % 10**9,
        st_ctime=int(st.st_ctime_ns // 10**9), st_ctime_nsec=st.st_ctime_ns % 10**9,
    ) if "__st_ino" in k.abi.STAT.names else k.abi.STAT.pack(
        st_dev=st.st_dev, st_ino=st.st_ino, st_mode=st.st_mode, st_nlink=st.st_nlink,
        st_uid=st.st_uid, st_gid=st.st_gid, st_rdev=st.st_rdev, st_size=st.st_size,
        st_blksize=st.st_blksize, st_blocks=st.st_blocks,
        st_atime=st.st_atime_ns // 10**9, st_atime_nsec=st.st_atime_ns % 10**9,
        st_mtime=st.st_mtime_ns // 10**9, st_mtime_nsec=st.st_mtime_ns % 10**9,
        st_ctime=st.st_ctime_ns // 10**9, st_ctime_nsec=st.st_ctime_ns % 10**9)


def _stat_common(k: Kernel, dirfd: int, path: bytes, flags: int, buf: int) -> int:
    k.mem.check(buf, k.abi.STAT.size, PROT_WRITE)
    follow = not flags & AT_SYMLINK_NOFOLLOW
    if not path and flags & AT_EMPTY_PATH:
        st = os.fstat(host_dirfd(k, dirfd)) if k.s32(dirfd) != AT_FDCWD else os.stat(".")
    else:
        if not path:
            return -errno.ENOENT
        special = procfs.stat_path(k, path, follow)
        path = special if special is not None else path
        hd = host_dirfd(k, dirfd)
        st = os.stat(path, dir_fd=None if hd == AT_FDCWD else hd, follow_symlinks=follow)
    k.mem.write(buf, pack_stat(k, st))
    return 0


def sys_fstat64(k: Kernel, fd: int, buf: int) -> int:
    k.mem.check(buf, k.abi.STAT.size, PROT_WRITE)
    k.mem.write(buf, pack_stat(k, os.fstat(host_fd(k, fd))))
    return 0


def sys_stat64(k: Kernel, path: int, buf: int) -> int:
    return _stat_common(k, AT_FDCWD, guest_path(k, path), 0, buf)


def sys_lstat64(k: Kernel, path: int, buf: int) -> int:
    return _stat_common(k, AT_FDCWD, guest_path(k, path, follow=False), AT_SYMLINK_NOFOLLOW,
                        buf)


def sys_fstatat64(k: Kernel, dirfd: int, path: int, buf: int, flags: int) -> int:
    return _stat_common(k, dirfd, guest_path(k, path, not flags & AT_SYMLINK_NOFOLLOW), flags,
                        buf)


def sys_statx(k: Kernel, dirfd: int, path: int, flags: int, mask: int, buf: int) -> int:
    # struct statx has one layout on every architecture: the host fills guest memory.
    follow = not flags & AT_SYMLINK_NOFOLLOW
    p = guest_path(k, path, follow)
    special = procfs.stat_path(k, p, follow)
    return hsys("statx", host_dirfd(k, dirfd), special if special is not None else p, flags,
                mask, hbuf(k, buf, 256, PROT_WRITE))


def _statfs_out(k: Kernel, raw: bytes, buf: int) -> int:
    # x86-64 struct statfs has the generic LP64 layout, i.e. AArch64's.
    f_type, bsize, blocks, bfree, bavail, files, ffree, fsid0, fsid1, namelen, frsize, \
        flags = struct.unpack_from("<qqQQQQQiiqqq", raw)
    k.mem.write(buf, k.abi.STATFS.pack(
        f_type=f_type, f_bsize=bsize, f_blocks=blocks, f_bfree=bfree, f_bavail=bavail,
        f_files=files, f_ffree=ffree, f_fsid=(fsid0, fsid1), f_namelen=namelen,
        f_frsize=frsize, f_flags=flags))
    return 0


def sys_statfs(k: Kernel, path: int, buf: int) -> int:
    raw = ctypes.create_string_buffer(120)
    res = hsys("statfs", guest_path(k, path), ctypes.addressof(raw))
    return res if res < 0 else _statfs_out(k, raw.raw, buf)


def sys_fstatfs(k: Kernel, fd: int, buf: int) -> int:
    raw = ctypes.create_string_buffer(120)
    res = hsys("fstatfs", host_fd(k, fd), ctypes.addressof(raw))
    return res if res < 0 else _statfs_out(k, raw.raw, buf)


def sys_statfs64(k: Kernel, path: int, size: int, buf: int) -> int:
    if size not in k.abi.STATFS64_SIZES:
        return -errno.EINVAL
    return sys_statfs(k, path, buf)


def sys_fstatfs64(k: Kernel, fd: int, size: int, buf: int) -> int:
    if size not in k.abi.STATFS64_SIZES:
        return -errno.EINVAL
    return sys_fstatfs(k, fd, buf)


def sys_getdents64(k: Kernel, fd: int, buf: int, count: int) -> int:
    # struct linux_dirent64 is the same on every architecture; only d_off may need to shrink.
    h = host_fd(k, fd)
    res = hsys("getdents64", h, hbuf(k, buf, count, PROT_WRITE), count)
    tids = procfs.task_dir_tids(k, h) if res > 0 else None
    while tids is not None and res > 0:
        res = _keep_entries(k, buf, res, lambda name: not name.isdigit() or int(name) in tids)
        if res == 0:          # only pytrans's own threads in this batch: read on
            res = hsys("getdents64", h, hbuf(k, buf, count, PROT_WRITE), count)
        else:
            break
    table = _dir_cookies(k, h, create=True) if res > 0 else None
    if table is not None:
        raw = bytearray(k.mem.read(buf, res))
        pos = 0
        while pos + 19 <= res:       # d_ino u64, d_off s64, d_reclen u16, d_type, d_name
            d_off, reclen = struct.unpack_from("<qH", raw, pos + 8)
            struct.pack_into("<q", raw, pos + 8, table.guest(d_off))
            if reclen == 0:
                break
            pos += reclen
        k.mem.write(buf, bytes(raw))
    return res


def _keep_entries(k: Kernel, buf: int, size: int, keep) -> int:
    """Drop the linux_dirent64 records at ``buf`` whose name ``keep`` refuses; new size."""
    raw = k.mem.read(buf, size)
    out = bytearray()
    pos = 0
    while pos + 19 <= size:
        reclen = struct.unpack_from("<H", raw, pos + 16)[0]
        if reclen == 0:
            break
        name = raw[pos + 19:pos + reclen].split(b"\0", 1)[0].decode("latin-1")
        if keep(name):
            out += raw[pos:pos + reclen]
        pos += reclen
    k.mem.write(buf, bytes(out))
    return len(out)


# ---- names -----------------------------------------------------------------------------------
def sys_readlinkat(k: Kernel, dirfd: int, path: int, buf: int, size: int) -> int:
    p = guest_path(k, path, follow=False)
    if k.s32(size) <= 0:
        return -errno.EINVAL
    special = procfs.readlink_special(k, p)
    if special is not None:
        target = special
    else:
        hd = host_dirfd(k, dirfd)
        target = os.readlink(p, dir_fd=None if hd == AT_FDCWD else hd)
    target = target[:size]
    k.mem.write(buf, target)
    return len(target)


def sys_readlink(k: Kernel, path: int, buf: int, size: int) -> int:
    return sys_readlinkat(k, AT_FDCWD & 0xFFFFFFFF, path, buf, size)


def sys_faccessat(k: Kernel, dirfd: int, path: int, mode: int) -> int:
    return hsys("faccessat", host_dirfd(k, dirfd), guest_path(k, path), mode)


def sys_faccessat2(k: Kernel, dirfd: int, path: int, mode: int, flags: int) -> int:
    return hsys("faccessat2", host_dirfd(k, dirfd), guest_path(k, path), mode, flags)


def sys_access(k: Kernel, path: int, mode: int) -> int:
    return hsys("access", guest_path(k, path), mode)


def sys_mkdirat(k: Kernel, dirfd: int, path: int, mode: int) -> int:
    return hsys("mkdirat", host_dirfd(k, dirfd), guest_path(k, path), mode)


def sys_mkdir(k: Kernel, path: int, mode: int) -> int:
    return hsys("mkdir", guest_path(k, path), mode)


def sys_rmdir(k: Kernel, path: int) -> int:
    return hsys("rmdir", guest_path(k, path))


def sys_unlinkat(k: Kernel, dirfd: int, path: int, flags: int) -> int:
    return hsys("unlinkat", host_dirfd(k, dirfd), guest_path(k, path, False), flags)


def sys_unlink(k: Kernel, path: int) -> int:
    return hsys("unlink", guest_path(k, path, False))


def sys_renameat2(k: Kernel, olddir: int, old: int, newdir: int, new: int, flags: int) -> int:
    return hsys("renameat2", host_dirfd(k, olddir), guest_path(k, old, False),
                host_dirfd(k, newdir), guest_path(k, new, False), flags)


def sys_renameat(k: Kernel, olddir: int, old: int, newdir: int, new: int) -> int:
    return sys_renameat2(k, olddir, old, newdir, new, 0)


def sys_rename(k: Kernel, old: int, new: int) -> int:
    return hsys("rename", guest_path(k, old, False), guest_path(k, new, False))


def sys_linkat(k: Kernel, olddir: int, old: int, newdir: int, new: int, flags: int) -> int:
    return hsys("linkat", host_dirfd(k, olddir), guest_path(k, old), host_dirfd(k, newdir),
                guest_path(k, new), flags)


def sys_link(k: Kernel, old: int, new: int) -> int:
    return hsys("link", guest_path(k, old), guest_path(k, new))


def sys_symlinkat(k: Kernel, target: int, newdir: int, new: int) -> int:
    # The link's content is stored verbatim: no sysroot rewriting of the target.
    return hsys("symlinkat", k.mem.read_cstring(target), host_dirfd(k, newdir),
                guest_path(k, new))


def sys_symlink(k: Kernel, target: int, new: int) -> int:
    return hsys("symlink", k.mem.read_cstring(target), guest_path(k, new))


def sys_chdir(k: Kernel, path: int) -> int:
    return hsys("chdir", guest_path(k, path))


def sys_fchdir(k: Kernel, fd: int) -> int:
    return hsys("fchdir", host_fd(k, fd))


def sys_getcwd(k: Kernel, buf: int, size: int) -> int:
    cwd = os.fsencode(os.getcwd()) + b"\0"
    if len(cwd) > size:
        return -errno.ERANGE
    k.mem.write(buf, cwd)
    return len(cwd)


def sys_umask(k: Kernel, mask: int) -> int:
    old = os.umask(mask & 0o777)
    k.umask_value = mask & 0o777
    return old


def sys_fchmod(k: Kernel, fd: int, mode: int) -> int:
    return hsys("fchmod", host_fd(k, fd), mode)


def sys_fchmodat(k: Kernel, dirfd: int, path: int, mode: int) -> int:
    return hsys("fchmodat", host_dirfd(k, dirfd), guest_path(k, path), mode)


def sys_chmod(k: Kernel, path: int, mode: int) -> int:
    return hsys("chmod", guest_path(k, path), mode)


def sys_fchown(k: Kernel, fd: int, uid: int, gid: int) -> int:
    return hsys("fchown", host_fd(k, fd), k.s32(uid), k.s32(gid))


def sys_chown(k: Kernel, path: int, uid: int, gid: int) -> int:
    return hsys("chown", guest_path(k, path), k.s32(uid), k.s32(gid))


def sys_lchown(k: Kernel, path: int, uid: int, gid: int) -> int:
    return hsys("lchown", guest_path(k, path, False), k.s32(uid), k.s32(gid))


def sys_fchownat(k: Kernel, dirfd: int, path: int, uid: int, gid: int, flags: int) -> int:
    return hsys("fchownat", host_dirfd(k, dirfd), guest_path(k, path), k.s32(uid),
                k.s32(gid), flags)


def sys_truncate64(k: Kernel, path: int, length: int) -> int:
    return hsys("truncate", guest_path(k, path), length)


def sys_ftruncate64(k: Kernel, fd: int, length: int) -> int:
    return hsys("ftruncate", host_fd(k, fd), length)


def sys_truncate(k: Kernel, path: int, length: int) -> int:
    return hsys("truncate", guest_path(k, path), k.signed(length))


def sys_ftruncate(k: Kernel, fd: int, length: int) -> int:
    return hsys("ftruncate", host_fd(k, fd), k.signed(length))


def sys_fsync(k: Kernel, fd: int) -> int:
    return hsys("fsync", host_fd(k, fd))


def sys_fdatasync(k: Kernel, fd: int) -> int:
    return hsys("fdatasync", host_fd(k, fd))


def sys_sync(k: Kernel) -> int:
    return hsys("sync")


def sys_fadvise64_64(k: Kernel, fd: int, advice: int, offset: int, length: int) -> int:
    return hsys("fadvise64", host_fd(k, fd), offset, length, advice)


def sys_fadvise64(k: Kernel, fd: int, offset: int, length: int, advice: int) -> int:
    return hsys("fadvise64", host_fd(k, fd), offset, length, advice)


def sys_fallocate(k: Kernel, fd: int, mode: int, offset: int, length: int) -> int:
    return hsys("fallocate", host_fd(k, fd), mode, offset, length)


def _timespec_pair(k: Kernel, addr: int, lay) -> bytes | None:
    if not addr:
        return None
    a = lay.unpack(k.mem.read(addr, lay.size))
    b = lay.unpack(k.mem.read(addr + lay.size, lay.size))
    return struct.pack("<qqqq", a["tv_sec"], a["tv_nsec"], b["tv_sec"], b["tv_nsec"])


def sys_utimensat(k: Kernel, dirfd: int, path: int, times: int, flags: int) -> int:
    p = guest_path(k, path) if path else None
    return hsys("utimensat", host_dirfd(k, dirfd), p, _timespec_pair(k, times, k.abi.TIMESPEC),
                flags)


def sys_utimensat_time64(k: Kernel, dirfd: int, path: int, times: int, flags: int) -> int:
    p = guest_path(k, path) if path else None
    return hsys("utimensat", host_dirfd(k, dirfd), p,
                _timespec_pair(k, times, k.abi.TIMESPEC64), flags)


# ---- descriptors ------------------------------------------------------------------------------
def sys_dup(k: Kernel, fd: int) -> int:
    return k.fds.install(host_dup(host_fd(k, fd)))


def sys_dup3(k: Kernel, old: int, new: int, flags: int) -> int:
    old, new = k.s32(old), k.s32(new)
    if flags & ~O_CLOEXEC:
        return -errno.EINVAL
    if old == new:
        return -errno.EINVAL
    hold = k.fds.host(old)
    if new < 0 or new >= k.fds.limit:
        return -errno.EBADF
    return k.fds.install(host_dup(hold, bool(flags & O_CLOEXEC)), at=new)


def sys_dup2(k: Kernel, old: int, new: int) -> int:
    if k.s32(old) == k.s32(new):
        k.fds.host(k.s32(old))
        return k.s32(new)
    return sys_dup3(k, old, new, 0)


def sys_pipe2(k: Kernel, fds: int, flags: int) -> int:
    k.mem.check(fds, 8, PROT_WRITE)
    r, w = os.pipe2(oflags_to_host(k, flags))
    gr, gw = k.fds.install(r), k.fds.install(w)
    k.mem.write(fds, struct.pack("<ii", gr, gw))
    return 0


def sys_pipe(k: Kernel, fds: int) -> int:
    return sys_pipe2(k, fds, 0)


def sys_fcntl(k: Kernel, fd: int, cmd: int, arg: int) -> int:
    h = host_fd(k, fd)
    if cmd in (F_DUPFD, F_DUPFD_CLOEXEC):
        return k.fds.install(host_dup(h, cmd == F_DUPFD_CLOEXEC), start=k.s32(arg))
    if cmd == F_GETFL:
        res = hsys("fcntl", h, cmd, 0)
        return res if res < 0 else oflags_to_guest(k, res)
    if cmd == F_SETFL:
        return hsys("fcntl", h, cmd, oflags_to_host(k, arg))
    if cmd in k.abi.FCNTL_LOCK64:
        data = bytearray(k.mem.read(arg, 32))
        out = _fcntl.fcntl(h, k.abi.FCNTL_LOCK64[cmd], bytes(data))
        k.mem.write(arg, out)
        return 0
    if cmd in (F_GETFD, F_SETFD, 8, 9, 1031, 1032, 1033, 1034, 1024, 1025, 1026):
        # F_SETOWN/F_GETOWN, pipe sizes, seals, leases, notify: integer arguments.
        return hsys("fcntl", h, cmd, k.signed(arg))
    k.warn_once(f"fcntl{cmd}", f"fcntl command {cmd} is not supported (-EINVAL)")
    return -errno.EINVAL


# ioctl requests whose argument is a fixed-size struct laid out identically on ARM,
# AArch64 and x86-64 (asm-generic/ioctls.h): request -> (size, copy_in, copy_out).
TCGETS, TCSETS, TCSETSW, TCSETSF = 0x5401, 0x5402, 0x5403, 0x5404
FICLONE = 0x40049409                   # cp --reflink / cp -a try it first
IOCTLS = {
    TCGETS: (36, False, True), TCSETS: (36, True, False), TCSETSW: (36, True, False),
    TCSETSF: (36, True, False),
    0x5413: (8, False, True),   # TIOCGWINSZ
    0x5414: (8, True, False),   # TIOCSWINSZ
    0x541B: (4, False, True),   # FIONREAD
    0x540F: (4, False, True),   # TIOCGPGRP
    0x5410: (4, True, False),   # TIOCSPGRP
    0x5421: (4, True, False),   # FIONBIO
    0x5429: (4, False, True),   # TIOCGSID
}


def sys_ioctl(k: Kernel, fd: int, request: int, arg: int) -> int:
    h = host_fd(k, fd)
    request &= 0xFFFFFFFF
    if request in (0x5451, 0x5450):        # FIOCLEX / FIONCLEX
        return hsys("ioctl", h, request, 0)
    if request == FICLONE:                 # the argument is the source descriptor
        return hsys("ioctl", h, request, host_fd(k, arg))
    if 0x8900 <= request < 0x8A00:         # socket ioctls (linux/sockios.h): net.py
        from .net import sock_ioctl
        return sock_ioctl(k, h, request, arg)
    spec = IOCTLS.get(request)
    if spec is None:
        k.warn_once(f"ioctl{request:x}", f"ioctl {request:#x} is not supported (-ENOTTY)")
        return -errno.ENOTTY
    size, copy_in, copy_out = spec
    buf = bytearray(k.mem.read(arg, size) if copy_in else size)
    if copy_out:
        k.mem.check(arg, size, PROT_WRITE)
    try:
        res = _fcntl.ioctl(h, request, buf, True)
    except OSError as e:
        return -(e.errno or errno.ENOTTY)
    if copy_out:
        k.mem.write(arg, bytes(buf))
    return res


HANDLERS = {
    "read": sys_read, "write": sys_write, "pread64": sys_pread64, "pwrite64": sys_pwrite64,
    "readv": sys_readv, "writev": sys_writev, "preadv": sys_preadv, "pwritev": sys_pwritev,
    "open": sys_open, "openat": sys_openat, "creat": sys_creat, "close": sys_close,
    "lseek": sys_lseek, "_llseek": sys__llseek,
    "fstat64": sys_fstat64, "stat64": sys_stat64, "lstat64": sys_lstat64,
    "fstatat64": sys_fstatat64, "statx": sys_statx, "statfs": sys_statfs,
    "fstatfs": sys_fstatfs, "statfs64": sys_statfs64, "fstatfs64": sys_fstatfs64,
    "getdents64": sys_getdents64, "readlinkat": sys_readlinkat, "readlink": sys_readlink,
    "faccessat": sys_faccessat, "faccessat2": sys_faccessat2, "access": sys_access,
    "mkdirat": sys_mkdirat, "mkdir": sys_mkdir, "rmdir": sys_rmdir, "unlinkat": sys_unlinkat,
    "unlink": sys_unlink, "renameat2": sys_renameat2, "renameat": sys_renameat,
    "rename": sys_rename, "linkat": sys_linkat, "link": sys_link, "symlinkat": sys_symlinkat,
    "symlink": sys_symlink, "chdir": sys_chdir, "fchdir": sys_fchdir, "getcwd": sys_getcwd,
    "umask": sys_umask, "fchmod": sys_fchmod, "fchmodat": sys_fchmodat, "chmod": sys_chmod,
    "fchown": sys_fchown, "chown": sys_chown, "lchown": sys_lchown, "fchownat": sys_fchownat,
    "truncate64": sys_truncate64, "ftruncate64": sys_ftruncate64, "truncate": sys_truncate,
    "ftruncate": sys_ftruncate, "fsync": sys_fsync, "fdatasync": sys_fdatasync,
    "sync": sys_sync, "fadvise64_64": sys_fadvise64_64, "fadvise64": sys_fadvise64,
    "fallocate": sys_fallocate, "utimensat": sys_utimensat,
    "utimensat_time64": sys_utimensat_time64,
    "dup": sys_dup, "dup2": sys_dup2, "dup3": sys_dup3, "pipe": sys_pipe, "pipe2": sys_pipe2,
    "fcntl": sys_fcntl, "ioctl": sys_ioctl,
}


# ---- copying between descriptors ---------------------------------------------------------------
def _copy(k: Kernel, name: str, out_fd: int, in_fd: int, offp: int, count: int, off_fmt: str) -> int:
    """sendfile-style call with an optional guest offset pointer of the given width."""
    if not offp:
        return hsys(name, host_fd(k, out_fd), host_fd(k, in_fd), None, count)
    size = struct.calcsize(off_fmt)
    off = ctypes.c_int64(struct.unpack(off_fmt, k.mem.read(offp, size))[0])
    res = hsys(name, host_fd(k, out_fd), host_fd(k, in_fd), ctypes.addressof(off), count)
    if res >= 0:
        k.mem.write(offp, struct.pack(off_fmt, off.value))
    return res


def sys_sendfile(k: Kernel, out_fd: int, in_fd: int, offp: int, count: int) -> int:
    return _copy(k, "sendfile", out_fd, in_fd, offp, count, "<" + k.abi.WORD.lower())


def sys_sendfile64(k: Kernel, out_fd: int, in_fd: int, offp: int, count: int) -> int:
    return _copy(k, "sendfile", out_fd, in_fd, offp, count, "<q")


def sys_copy_file_range(k: Kernel, fd_in: int, off_in: int, fd_out: int, off_out: int,
                        length: int, flags: int) -> int:
    offs = []
    for p in (off_in, off_out):
        offs.append(ctypes.c_int64(struct.unpack("<q", k.mem.read(p, 8))[0]) if p else None)
    res = hsys("copy_file_range", host_fd(k, fd_in),
               ctypes.addressof(offs[0]) if offs[0] is not None else None, host_fd(k, fd_out),
               ctypes.addressof(offs[1]) if offs[1] is not None else None, length, flags)
    if res >= 0:
        for p, o in zip((off_in, off_out), offs):
            if o is not None:
                k.mem.write(p, struct.pack("<q", o.value))
    return res


HANDLERS.update({"sendfile": sys_sendfile, "sendfile64": sys_sendfile64,
                 "copy_file_range": sys_copy_file_range})


def sys_mknodat(k: Kernel, dirfd: int, path: int, mode: int, dev: int) -> int:
    # dev_t travels in the kernel's 32-bit new_encode_dev form on every architecture.
    return hsys("mknodat", host_dirfd(k, dirfd), guest_path(k, path), mode, dev)


def sys_mknod(k: Kernel, path: int, mode: int, dev: int) -> int:
    return sys_mknodat(k, AT_FDCWD & 0xFFFFFFFF, path, mode, dev)


HANDLERS.update({"mknodat": sys_mknodat, "mknod": sys_mknod})


# ---- extended attributes (ls -l asks for ACLs and SELinux labels) ------------------------------
def sys_getxattr(k: Kernel, path: int, name: int, value: int, size: int) -> int:
    return hsys("getxattr", guest_path(k, path), k.mem.read_cstring(name),
                hbuf(k, value, size, PROT_WRITE), size)


def sys_lgetxattr(k: Kernel, path: int, name: int, value: int, size: int) -> int:
    return hsys("lgetxattr", guest_path(k, path, False), k.mem.read_cstring(name),
                hbuf(k, value, size, PROT_WRITE), size)


def sys_fgetxattr(k: Kernel, fd: int, name: int, value: int, size: int) -> int:
    return hsys("fgetxattr", host_fd(k, fd), k.mem.read_cstring(name),
                hbuf(k, value, size, PROT_WRITE), size)


def sys_listxattr(k: Kernel, path: int, lst: int, size: int) -> int:
    return hsys("listxattr", guest_path(k, path), hbuf(k, lst, size, PROT_WRITE), size)


def sys_llistxattr(k: Kernel, path: int, lst: int, size: int) -> int:
    return hsys("llistxattr", guest_path(k, path, False), hbuf(k, lst, size, PROT_WRITE), size)


def sys_flistxattr(k: Kernel, fd: int, lst: int, size: int) -> int:
    return hsys("flistxattr", host_fd(k, fd), hbuf(k, lst, size, PROT_WRITE), size)


HANDLERS.update({"getxattr": sys_getxattr, "lgetxattr": sys_lgetxattr,
                 "fgetxattr": sys_fgetxattr, "listxattr": sys_listxattr,
                 "llistxattr": sys_llistxattr, "flistxattr": sys_flistxattr})


# ---- inotify, memfd, locks, read-ahead, splicing ---------------------------------------------------
# IN_NONBLOCK/IN_CLOEXEC and MFD_* flags match x86-64; struct inotify_event is the same
# everywhere, so events are read as they are.
def sys_inotify_init1(k: Kernel, flags: int) -> int:
    return _install(k, hsys("inotify_init1", k.s32(flags)))


def sys_inotify_init(k: Kernel) -> int:
    return sys_inotify_init1(k, 0)


def sys_inotify_add_watch(k: Kernel, fd: int, path: int, mask: int) -> int:
    return hsys("inotify_add_watch", host_fd(k, fd), guest_path(k, path), mask & 0xFFFFFFFF)


def sys_inotify_rm_watch(k: Kernel, fd: int, wd: int) -> int:
    return hsys("inotify_rm_watch", host_fd(k, fd), k.s32(wd))


def sys_memfd_create(k: Kernel, name: int, flags: int) -> int:
    return _install(k, hsys("memfd_create", k.mem.read_cstring(name, 256), flags & 0xFFFFFFFF))


def sys_flock(k: Kernel, fd: int, op: int) -> int:
    return hsys("flock", host_fd(k, fd), k.s32(op))


def sys_readahead(k: Kernel, fd: int, offset: int, count: int) -> int:
    return hsys("readahead", host_fd(k, fd), offset, count)


def sys_syncfs(k: Kernel, fd: int) -> int:
    return hsys("syncfs", host_fd(k, fd))


def sys_sync_file_range(k: Kernel, fd: int, offset: int, nbytes: int, flags: int) -> int:
    return hsys("sync_file_range", host_fd(k, fd), offset, nbytes, flags & 0xFFFFFFFF)


def sys_sync_file_range2(k: Kernel, fd: int, flags: int, offset: int, nbytes: int) -> int:
    """ARM's argument order keeps the 64-bit values in aligned register pairs."""
    return sys_sync_file_range(k, fd, offset, nbytes, flags)


def _loff_ptr(k: Kernel, addr: int) -> int | None:
    # loff_t is 64-bit for every guest: the host reads and updates it in place.
    return hbuf(k, addr, 8, PROT_READ | PROT_WRITE) if addr else None


def sys_splice(k: Kernel, fd_in: int, off_in: int, fd_out: int, off_out: int, length: int,
               flags: int) -> int:
    return hsys("splice", host_fd(k, fd_in), _loff_ptr(k, off_in), host_fd(k, fd_out),
                _loff_ptr(k, off_out), length, flags & 0xFFFFFFFF)


def sys_tee(k: Kernel, fd_in: int, fd_out: int, length: int, flags: int) -> int:
    return hsys("tee", host_fd(k, fd_in), host_fd(k, fd_out), length, flags & 0xFFFFFFFF)


def sys_vmsplice(k: Kernel, fd: int, iov: int, cnt: int, flags: int) -> int:
    # Reading from the pipe into guest memory or gifting guest pages: checked either way.
    h = host_fd(k, fd)
    access = PROT_WRITE if (_fcntl.fcntl(h, _fcntl.F_GETFL) & O_ACCMODE) == os.O_RDONLY \
        else PROT_READ
    return hsys("vmsplice", h, _iovecs(k, iov, cnt, access), k.s32(cnt), flags & 0xFFFFFFFF)


HANDLERS.update({
    "inotify_init1": sys_inotify_init1, "inotify_init": sys_inotify_init,
    "inotify_add_watch": sys_inotify_add_watch, "inotify_rm_watch": sys_inotify_rm_watch,
    "memfd_create": sys_memfd_create, "flock": sys_flock, "readahead": sys_readahead,
    "syncfs": sys_syncfs, "sync_file_range": sys_sync_file_range,
    "sync_file_range2": sys_sync_file_range2, "splice": sys_splice, "tee": sys_tee,
    "vmsplice": sys_vmsplice,
})


# ---- extended attributes: setting and removing (names and values are plain bytes) -----------------
def sys_setxattr(k: Kernel, path: int, name: int, value: int, size: int, flags: int) -> int:
    return hsys("setxattr", guest_path(k, path), k.mem.read_cstring(name),
                hbuf(k, value, size, PROT_READ), size, k.s32(flags))


def sys_lsetxattr(k: Kernel, path: int, name: int, value: int, size: int, flags: int) -> int:
    return hsys("lsetxattr", guest_path(k, path, False), k.mem.read_cstring(name),
                hbuf(k, value, size, PROT_READ), size, k.s32(flags))


def sys_fsetxattr(k: Kernel, fd: int, name: int, value: int, size: int, flags: int) -> int:
    return hsys("fsetxattr", host_fd(k, fd), k.mem.read_cstring(name),
                hbuf(k, value, size, PROT_READ), size, k.s32(flags))


def sys_removexattr(k: Kernel, path: int, name: int) -> int:
    return hsys("removexattr", guest_path(k, path), k.mem.read_cstring(name))


def sys_lremovexattr(k: Kernel, path: int, name: int) -> int:
    return hsys("lremovexattr", guest_path(k, path, False), k.mem.read_cstring(name))


def sys_fremovexattr(k: Kernel, fd: int, name: int) -> int:
    return hsys("fremovexattr", host_fd(k, fd), k.mem.read_cstring(name))


HANDLERS.update({"setxattr": sys_setxattr, "lsetxattr": sys_lsetxattr,
                 "fsetxattr": sys_fsetxattr, "removexattr": sys_removexattr,
                 "lremovexattr": sys_lremovexattr, "fremovexattr": sys_fremovexattr})


# ---- close_range, openat2 -----------------------------------------------------------------------
CLOSE_RANGE_UNSHARE, CLOSE_RANGE_CLOEXEC = 1 << 1, 1 << 2


def sys_close_range(k: Kernel, first: int, last: int, flags: int) -> int:
    """Close (or mark close-on-exec) the guest descriptors in [first, last]: the range is in
    guest numbers, so it is walked here rather than handed to the host."""
    first, last = first & 0xFFFFFFFF, last & 0xFFFFFFFF
    if flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) or first > last:
        return -errno.EINVAL
    # CLOSE_RANGE_UNSHARE: the descriptor table is shared only by this process's threads,
    # which see the same result either way.
    for fd in sorted(f for f in k.fds.fds if first <= f <= last):
        if flags & CLOSE_RANGE_CLOEXEC:
            h = k.fds.fds[fd]
            hsys("fcntl", h, F_SETFD, hsys("fcntl", h, F_GETFD, 0) | 1)
        else:
            k.fds.close(fd)
    return 0


def sys_openat2(k: Kernel, dirfd: int, path: int, how: int, size: int) -> int:
    # struct open_how {u64 flags; u64 mode; u64 resolve;} has one layout; only the O_ bits
    # that differ from x86-64 need translating. Bigger structs must have zero tails.
    if size < 24 or size > 4096:
        return -errno.EINVAL
    raw = k.mem.read(how, size)
    if any(raw[24:]):
        return -errno.E2BIG
    flags, mode, resolve = struct.unpack_from("<QQQ", raw)
    hflags = oflags_to_host(k, flags & 0xFFFFFFFF) | (flags & ~0xFFFFFFFF)
    p = guest_path(k, path, follow=not flags & k.abi.O_FLAGS["O_NOFOLLOW"])
    return _install(k, hsys("openat2", host_dirfd(k, dirfd), p,
                            struct.pack("<QQQ", hflags, mode, resolve), 24))


HANDLERS.update({"close_range": sys_close_range, "openat2": sys_openat2})


# ---- legacy timestamps (struct timeval pairs) -----------------------------------------------------
def _timeval_pair(k: Kernel, addr: int) -> bytes | None:
    """utimes' timeval[2] as the utimensat timespec[2] the host takes (microseconds
    checked like the kernel: EINVAL outside 0..999999)."""
    if not addr:
        return None
    lay = k.abi.TIMEVAL
    out = b""
    for i in range(2):
        v = lay.unpack(k.mem.read(addr + i * lay.size, lay.size))
        if not 0 <= v["tv_usec"] < 10**6:
            raise OSError(errno.EINVAL, "bad timeval")
        out += struct.pack("<qq", v["tv_sec"], v["tv_usec"] * 1000)
    return out


def sys_futimesat(k: Kernel, dirfd: int, path: int, times: int) -> int:
    return hsys("utimensat", host_dirfd(k, dirfd), guest_path(k, path) if path else None,
                _timeval_pair(k, times), 0)


def sys_utimes(k: Kernel, path: int, times: int) -> int:
    return sys_futimesat(k, AT_FDCWD & 0xFFFFFFFF, path, times)


HANDLERS.update({"futimesat": sys_futimesat, "utimes": sys_utimes})
