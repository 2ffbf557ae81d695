"""Guest memory owned by pytrans.

The whole guest address space is one host reservation (``PROT_NONE``, ``MAP_NORESERVE``):
guest address ``a`` lives at host address ``base + a``. Guest pages are made real with
``mmap(MAP_FIXED)`` inside that window, so every backend (Unicorn through ``mem_map_ptr``,
the native JIT through ``base + a``) sees the very same bytes.

Guest permissions are tracked here as a list of VMAs, and host protection mirrors them:
``PROT_NONE`` for unmapped pages and guest ``PROT_NONE`` ones, read-only for pages the
guest may not write, read/write for the rest (as on ARM Linux, any access right implies
read). So a stray host access can never silently succeed, and native guest loads and
stores need no check of their own: the host MMU faults them (jit/hostfault.py). pytrans's
own forced accesses (the loader writing read-only text, mremap) open the pages for their
duration. One page past the window is reserved too, so an access that starts in the last
guest page faults instead of reaching a host mapping. Backends subscribe to
map/unmap/protect events.
"""
from __future__ import annotations

import bisect
import ctypes
import errno
import mmap as _mmap
import struct
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol, TypeVar

T = TypeVar("T")

PAGE_SIZE = 4096
PAGE_MASK = ~(PAGE_SIZE - 1)

PROT_NONE, PROT_READ, PROT_WRITE, PROT_EXEC = 0, 1, 2, 4

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                       ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
_MAP_FAILED = ctypes.c_void_p(-1).value
_MAP_NORESERVE = 0x4000
_MAP_FIXED = 0x10


class GuestFault(Exception):
    """A guest address that is unmapped or lacks the needed permission."""

    def __init__(self, addr: int, access: int):
        super().__init__(f"guest fault at {addr:#x}")
        self.addr = addr
        self.access = access


def access_rights(prot: int) -> int:
    """What a guest mapping with ``prot`` lets the guest do: as on ARM Linux (and x86), any
    access right implies read (a write-only or execute-only page is readable)."""
    return prot | PROT_READ if prot else PROT_NONE


def _host_prot(prot: int) -> int:
    """The host protection mirroring a guest mapping's (no execute: only pytrans's own code
    runs on the host)."""
    return access_rights(prot) & (PROT_READ | PROT_WRITE)


def page_align_down(x: int) -> int:
    return x & PAGE_MASK


def page_align_up(x: int) -> int:
    return (x + PAGE_SIZE - 1) & PAGE_MASK


def host_mmap(addr: int, length: int, prot: int, flags: int, fd: int = -1, offset: int = 0) -> int:
    """mmap(2) through libc: the mapping's host address (OSError on failure)."""
    res = _libc.mmap(addr, length, prot, flags, fd, offset)
    if res in (None, _MAP_FAILED):
        err = ctypes.get_errno()
        raise OSError(err, f"host mmap failed: {errno.errorcode.get(err, err)}")
    return res


@dataclass
class Vma:
    """One guest mapping: [start, end) with guest permissions and a name for /proc/self/maps."""

    start: int
    end: int
    prot: int
    name: str = ""
    shared: bool = False
    offset: int = 0
    inode: int = 0
    dev: int = 0

    def split(self, at: int) -> "Vma":
        """Cut this VMA at ``at``; return the upper half (self keeps the lower)."""
        upper = Vma(at, self.end, self.prot, self.name, self.shared,
                    self.offset + (at - self.start) if self.inode else 0, self.inode, self.dev)
        self.end = at
        return upper


class MemoryListener(Protocol):
    def on_map(self, start: int, length: int, prot: int) -> None: ...
    def on_unmap(self, start: int, length: int) -> None: ...
    def on_protect(self, start: int, length: int, prot: int) -> None: ...


@dataclass
class GuestMemory:
    """A guest address space of ``size`` bytes backed by one host reservation."""

    size: int
    base: int = 0
    vmas: list[Vma] = field(default_factory=list)
    listeners: list[MemoryListener] = field(default_factory=list)

    def __post_init__(self) -> None:
        # One contiguous reservation (and a guard page): costs address space only, never
        # memory.
        self.base = host_mmap(0, self.size + PAGE_SIZE, PROT_NONE,
                              _mmap.MAP_PRIVATE | _mmap.MAP_ANONYMOUS | _MAP_NORESERVE)
        self._starts: list[int] = []

    # ---- bookkeeping -------------------------------------------------------------------
    def _reindex(self) -> None:
        self.vmas.sort(key=lambda v: v.start)
        self._starts = [v.start for v in self.vmas]

    def _check_range(self, start: int, length: int) -> None:
        if start & ~PAGE_MASK or length <= 0 or start + length > self.size or start < 0:
            raise OSError(errno.EINVAL if start & ~PAGE_MASK or length <= 0 else errno.ENOMEM,
                          "bad guest range")

    def _carve(self, start: int, end: int) -> list[Vma]:
        """Split VMAs at start/end and return the ones fully inside [start, end)."""
        inside: list[Vma] = []
        new: list[Vma] = []
        for v in self.vmas:
            if v.end <= start or v.start >= end:
                new.append(v)
                continue
            if v.start < start:
                upper = v.split(start)
                new.append(v)
                v = upper
            if v.end > end:
                upper = v.split(end)
                new.append(upper)
            new.append(v)
            inside.append(v)
        self.vmas = new
        return inside

    def vma_at(self, addr: int) -> Vma | None:
        i = bisect.bisect_right(self._starts, addr) - 1
        if i >= 0:
            v = self.vmas[i]
            if addr < v.end:
                return v
        return None

    def is_free(self, start: int, length: int) -> bool:
        end = start + length
        if start < 0 or end > self.size:
            return False
        i = bisect.bisect_left(self._starts, end) - 1
        return not (i >= 0 and self.vmas[i].end > start)

    def find_free(self, length: int, top: int, bottom: int = PAGE_SIZE * 16) -> int | None:
        """Highest free page-aligned range of ``length`` below ``top`` (top-down, like Linux)."""
        length = page_align_up(length)
        end = min(top, self.size)
        for v in reversed(self.vmas):
            if v.start >= end:
                continue
            if v.end <= end - length:
                return end - length if end - length >= bottom else None
            end = min(end, v.start)
        return end - length if end - length >= bottom else None

    # ---- mapping -----------------------------------------------------------------------
    def map(self, start: int, length: int, prot: int, *, name: str = "", fd: int = -1,
            offset: int = 0, shared: bool = False, file_size: int | None = None,
            inode: int = 0, dev: int = 0) -> None:
        """Map [start, start+length) (page-aligned), replacing whatever was there (MAP_FIXED).

        With ``fd``, the file is mapped from ``offset``; pages past the end of the file are
        plain zero pages, so no guest access can raise a host SIGBUS.
        """
        length = page_align_up(length)
        self._check_range(start, length)
        if not self.is_free(start, length):
            self.unmap(start, length)
        host = self.base + start
        flags = _MAP_FIXED | _MAP_NORESERVE
        file_len = 0
        if fd >= 0:
            avail = max(0, (file_size if file_size is not None else length + offset) - offset)
            file_len = min(length, page_align_up(avail))
        if file_len:
            hprot = PROT_READ | PROT_WRITE
            kind = _mmap.MAP_SHARED if shared else _mmap.MAP_PRIVATE
            try:
                host_mmap(host, file_len, hprot, flags | kind, fd, offset)
            except OSError as e:
                if not (shared and e.errno == errno.EACCES):
                    raise
                # A read-only descriptor can only back a read-only shared mapping.
                if prot & PROT_WRITE:
                    raise
                host_mmap(host, file_len, PROT_READ, flags | kind, fd, offset)
        if file_len < length:
            # Anonymous MAP_SHARED stays shared with forked children (a later fork()).
            kind = _mmap.MAP_SHARED if shared and fd < 0 else _mmap.MAP_PRIVATE
            host_mmap(host + file_len, length - file_len, PROT_READ | PROT_WRITE,
                      flags | kind | _mmap.MAP_ANONYMOUS)
        if _host_prot(prot) != PROT_READ | PROT_WRITE:
            self._host_protect(start, length, prot)
        self.vmas.append(Vma(start, start + length, prot, name, shared,
                             offset if fd >= 0 else 0, inode, dev))
        self._reindex()
        for lst in self.listeners:
            lst.on_map(start, length, prot)

    def unmap(self, start: int, length: int) -> None:
        length = page_align_up(length)
        self._check_range(start, length)
        gone = self._carve(start, start + length)
        if not gone:
            return
        self.vmas = [v for v in self.vmas if not (start <= v.start and v.end <= start + length)]
        self._reindex()
        for v in gone:
            # Replace with a fresh PROT_NONE reservation: frees the memory, keeps the window.
            host_mmap(self.base + v.start, v.end - v.start, PROT_NONE,
                      _MAP_FIXED | _MAP_NORESERVE | _mmap.MAP_PRIVATE | _mmap.MAP_ANONYMOUS)
            for lst in self.listeners:
                lst.on_unmap(v.start, v.end - v.start)

    def protect(self, start: int, length: int, prot: int) -> None:
        """mprotect: every page in the range must be mapped (else ENOMEM, like Linux)."""
        length = page_align_up(length)
        self._check_range(start, length)
        addr = start
        while addr < start + length:
            v = self.vma_at(addr)
            if v is None:
                raise OSError(errno.ENOMEM, "mprotect of unmapped range")
            addr = v.end
        for v in self._carve(start, start + length):
            if _host_prot(v.prot) != _host_prot(prot):
                self._host_protect(v.start, v.end - v.start, prot)
            v.prot = prot
            for lst in self.listeners:
                lst.on_protect(v.start, v.end - v.start, prot)
        self._reindex()

    def _host_protect(self, start: int, length: int, prot: int) -> None:
        """Host protection of mapped guest pages with guest protection ``prot`` (a shared
        mapping of a read-only file refuses write: it stays read-only)."""
        hprot = _host_prot(prot)
        if _libc.mprotect(self.base + start, length, hprot) == 0:
            return
        err = ctypes.get_errno()
        if hprot & PROT_WRITE and err == errno.EACCES \
                and _libc.mprotect(self.base + start, length, PROT_READ) == 0:
            return
        raise OSError(err, f"host mprotect failed: {errno.errorcode.get(err, err)}")

    def _forced(self, addr: int, length: int, need: int, access: Callable[[], T]) -> T:
        """``access()`` of [addr, addr+length) by pytrans itself (the loader, mremap), with
        the mappings whose host protection lacks ``need`` opened for its duration."""
        shut = [v for v in self.vmas if v.start < addr + length and addr < v.end
                and _host_prot(v.prot) & need != need]
        for v in shut:
            self._host_protect(v.start, v.end - v.start, PROT_READ | PROT_WRITE)
        try:
            return access()
        finally:
            for v in shut:
                self._host_protect(v.start, v.end - v.start, v.prot)

    def regions(self) -> Iterator[Vma]:
        return iter(self.vmas)

    def close(self) -> None:
        if self.base:
            _libc.munmap(self.base, self.size + PAGE_SIZE)
            self.base = 0

    # ---- access from pytrans (syscalls, loader) ------------------------------------------
    def check(self, addr: int, length: int, access: int) -> None:
        """Raise GuestFault unless [addr, addr+length) is mapped with ``access`` rights."""
        if length <= 0:
            return
        if addr < 0 or addr + length > self.size:
            raise GuestFault(addr, access)
        end = addr + length
        while addr < end:
            v = self.vma_at(addr)
            if v is None or (access_rights(v.prot) & access) != access:
                raise GuestFault(addr, access)
            addr = v.end

    def read(self, addr: int, length: int, *, force: bool = False) -> bytes:
        """Read guest memory; ``force`` only requires the pages to be mapped."""
        self.check(addr, length, PROT_NONE if force else PROT_READ)
        if length <= 0:
            return b""
        if force:
            return self._forced(addr, length, PROT_READ,
                                lambda: ctypes.string_at(self.base + addr, length))
        return ctypes.string_at(self.base + addr, length)

    def write(self, addr: int, data: bytes | bytearray | memoryview, *, force: bool = False) -> None:
        """Write guest memory; ``force`` skips the guest write-permission check (the loader)."""
        n = len(data)
        self.check(addr, n, PROT_NONE if force else PROT_WRITE)
        if n and force:
            self._forced(addr, n, PROT_WRITE,
                         lambda: ctypes.memmove(self.base + addr, bytes(data), n))
        elif n:
            ctypes.memmove(self.base + addr, bytes(data), n)

    def fill(self, addr: int, length: int, byte: int = 0, *, force: bool = False) -> None:
        self.check(addr, length, PROT_NONE if force else PROT_WRITE)
        if length > 0 and force:
            self._forced(addr, length, PROT_WRITE,
                         lambda: ctypes.memset(self.base + addr, byte, length))
        elif length > 0:
            ctypes.memset(self.base + addr, byte, length)

    def host_buffer(self, addr: int, length: int, access: int) -> ctypes.Array:
        """A ctypes view of guest memory (no copy) for host syscalls to read or fill."""
        self.check(addr, length, access)
        return (ctypes.c_char * length).from_address(self.base + addr)

    def read_cstring(self, addr: int, limit: int = 4096 * 4) -> bytes:
        """A NUL-terminated guest string (without the NUL)."""
        out = bytearray()
        while len(out) < limit:
            v = self.vma_at(addr)
            if v is None or not access_rights(v.prot) & PROT_READ:
                raise GuestFault(addr, PROT_READ)
            chunk = ctypes.string_at(self.base + addr, min(v.end - addr, 256))
            nul = chunk.find(b"\0")
            if nul >= 0:
                out += chunk[:nul]
                return bytes(out)
            out += chunk
            addr += len(chunk)
        raise OSError(errno.ENAMETOOLONG, "guest string too long")

    def read_u32(self, addr: int) -> int:
        return struct.unpack("<I", self.read(addr, 4))[0]

    def read_u64(self, addr: int) -> int:
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def write_u32(self, addr: int, value: int) -> None:
        self.write(addr, struct.pack("<I", value & 0xFFFFFFFF))

    def write_u64(self, addr: int, value: int) -> None:
        self.write(addr, struct.pack("<Q", value & 0xFFFFFFFFFFFFFFFF))

