"""Memory-management syscalls over the shared guest memory."""
from __future__ import annotations

import ctypes
import errno
import fcntl
import os
import stat

from ...memory import (PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, page_align_down,
                       page_align_up)
from ..kernel import Kernel

MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE = 0x01, 0x02, 0x03
MAP_FIXED, MAP_ANONYMOUS = 0x10, 0x20
MAP_FIXED_NOREPLACE = 0x100000
MREMAP_MAYMOVE, MREMAP_FIXED = 1, 2
MADV_DONTNEED = 4
PROT_MASK = PROT_READ | PROT_WRITE | PROT_EXEC
PROT_GROWSDOWN, PROT_GROWSUP = 0x01000000, 0x02000000

_libc = ctypes.CDLL(None, use_errno=True)
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def sys_brk(k: Kernel, addr: int) -> int:
    """Grow or shrink the heap; like Linux, failure returns the unchanged break."""
    if addr < k.brk_start:
        return k.brk_cur
    old_top, new_top = page_align_up(k.brk_cur), page_align_up(addr)
    if new_top > old_top:
        if not k.mem.is_free(old_top, new_top - old_top):
            return k.brk_cur
        k.mem.map(old_top, new_top - old_top, PROT_READ | PROT_WRITE, name="[heap]")
    elif new_top < old_top:
        k.mem.unmap(new_top, old_top - new_top)
    k.brk_cur = addr
    return addr


def _mmap(k: Kernel, addr: int, length: int, prot: int, flags: int, fd: int, offset: int) -> int:
    if length == 0 or prot & ~(PROT_MASK | PROT_GROWSDOWN | PROT_GROWSUP):
        return -errno.EINVAL
    kind = flags & 0x03
    if kind not in (MAP_SHARED, MAP_PRIVATE, MAP_SHARED_VALIDATE):
        return -errno.EINVAL
    if offset % PAGE_SIZE:
        return -errno.EINVAL
    length = page_align_up(length)
    if length == 0 or length > k.mem.size:
        return -errno.ENOMEM
    if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE):
        if addr % PAGE_SIZE:
            return -errno.EINVAL
        if addr + length > k.mem.size or addr < PAGE_SIZE:
            return -errno.ENOMEM if addr else -errno.EPERM
        if flags & MAP_FIXED_NOREPLACE and not flags & MAP_FIXED \
                and not k.mem.is_free(addr, length):
            return -errno.EEXIST
        start = addr
    else:
        hint = page_align_down(addr)
        if hint and hint >= PAGE_SIZE * 16 and k.mem.is_free(hint, length):
            start = hint
        else:
            found = k.mem.find_free(length, k.mmap_top)
            if found is None:
                return -errno.ENOMEM
            start = found
    shared = kind != MAP_PRIVATE
    prot &= PROT_MASK
    if flags & MAP_ANONYMOUS:
        k.mem.map(start, length, prot, shared=shared)
    else:
        h = k.fds.host(k.s32(fd))
        st = os.fstat(h)
        acc = os.O_ACCMODE & fcntl.fcntl(h, fcntl.F_GETFL)
        if acc == os.O_WRONLY or (shared and prot & PROT_WRITE and acc != os.O_RDWR):
            return -errno.EACCES
        k.mem.map(start, length, prot, fd=h, offset=offset, shared=shared,
                  file_size=st.st_size if not _is_dev(st.st_mode) else None,
                  name=_fd_name(k, h), inode=st.st_ino, dev=st.st_dev)
    k.cpu.invalidate(start, length)
    return start


def _is_dev(mode: int) -> bool:
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode)


def _fd_name(k: Kernel, h: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{h}")
    except OSError:
        return ""


def sys_mmap2(k: Kernel, addr: int, length: int, prot: int, flags: int, fd: int, pgoff: int) -> int:
    return _mmap(k, addr, length, prot, flags, fd, pgoff * PAGE_SIZE)


def sys_mmap(k: Kernel, addr: int, length: int, prot: int, flags: int, fd: int, off: int) -> int:
    return _mmap(k, addr, length, prot, flags, fd, off)


def sys_munmap(k: Kernel, addr: int, length: int) -> int:
    if addr % PAGE_SIZE or length == 0:
        return -errno.EINVAL
    length = page_align_up(length)
    if addr + length > k.mem.size:
        return -errno.EINVAL
    k.mem.unmap(addr, length)
    k.cpu.invalidate(addr, length)
    return 0


def sys_mprotect(k: Kernel, addr: int, length: int, prot: int) -> int:
    if addr % PAGE_SIZE or prot & ~(PROT_MASK | PROT_GROWSDOWN | PROT_GROWSUP):
        return -errno.EINVAL
    if length == 0:
        return 0
    k.mem.protect(addr, page_align_up(length), prot & PROT_MASK)
    k.cpu.invalidate(addr, length)
    return 0


def sys_mremap(k: Kernel, old: int, old_len: int, new_len: int, flags: int, new_addr: int) -> int:
    if old % PAGE_SIZE or flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | 4):
        return -errno.EINVAL
    old_len, new_len = page_align_up(old_len), page_align_up(new_len)
    if new_len == 0:
        return -errno.EINVAL
    v = k.mem.vma_at(old)
    if v is None or old + old_len > v.end:
        return -errno.EFAULT
    if new_len <= old_len and not flags & MREMAP_FIXED:
        if new_len < old_len:
            k.mem.unmap(old + new_len, old_len - new_len)
        return old
    if not flags & MREMAP_FIXED and k.mem.is_free(old + old_len, new_len - old_len):
        k.mem.map(old + old_len, new_len - old_len, v.prot, name=v.name, shared=v.shared)
        k.mem.vma_at(old + old_len).name = v.name
        return old
    if not flags & MREMAP_MAYMOVE:
        return -errno.ENOMEM
    if flags & MREMAP_FIXED:
        if new_addr % PAGE_SIZE:
            return -errno.EINVAL
        dest = new_addr
    else:
        found = k.mem.find_free(new_len, k.mmap_top)
        if found is None:
            return -errno.ENOMEM
        dest = found
    prot, name = v.prot, v.name
    data = k.mem.read(old, min(old_len, new_len), force=True)
    k.mem.map(dest, new_len, prot, name=name)
    k.mem.write(dest, data, force=True)
    k.mem.unmap(old, old_len)
    k.cpu.invalidate(old, old_len)
    k.cpu.invalidate(dest, new_len)
    return dest


def sys_madvise(k: Kernel, addr: int, length: int, advice: int) -> int:
    if addr % PAGE_SIZE:
        return -errno.EINVAL
    length = page_align_up(length)
    if advice == MADV_DONTNEED and length:
        # Private anonymous pages must read back as zero afterwards: let the host drop them.
        k.mem.check(addr, length, 0)
        _libc.madvise(k.mem.base + addr, length, MADV_DONTNEED)
    return 0


def sys_msync(k: Kernel, addr: int, length: int, flags: int) -> int:
    if addr % PAGE_SIZE:
        return -errno.EINVAL
    k.mem.check(addr, page_align_up(length), 0)
    _libc.msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    _libc.msync(k.mem.base + addr, page_align_up(length), flags)
    return 0


def sys_mlock(k: Kernel, addr: int, length: int) -> int:
    return 0


def sys_munlock(k: Kernel, addr: int, length: int) -> int:
    return 0


def sys_cacheflush(k: Kernel, start: int, end: int, flags: int) -> int:
    """ARM private: guest code was written; translated blocks over it must go."""
    if end < start:
        return -errno.EINVAL
    k.cpu.invalidate(start, end - start)
    return 0


HANDLERS = {
    "brk": sys_brk, "mmap2": sys_mmap2, "mmap": sys_mmap, "munmap": sys_munmap,
    "mprotect": sys_mprotect, "mremap": sys_mremap, "madvise": sys_madvise, "msync": sys_msync,
    "mlock": sys_mlock, "munlock": sys_munlock, "cacheflush": sys_cacheflush,
}
