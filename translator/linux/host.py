"""Calling host (x86-64 Linux) system calls directly.

Most guest syscalls become the same host syscall once descriptors, paths and flags are
translated; calling the kernel itself keeps the exact semantics (and errno) instead of
re-deriving them through Python's os module.

The call goes through a 27-byte native stub that executes ``syscall`` and returns the
kernel's raw result (``-errno`` on failure), so there is no libc errno to fetch afterwards.
Its ctypes prototypes take every argument as ``c_void_p``, the cheapest conversion ctypes
has for Python ints (any sign), ``bytes`` (a pointer to the data) and None (NULL): about
0.5 us per call instead of the ~1.5 us a ``syscall()`` call with ``c_long`` objects cost.
Like every ctypes foreign call (and unlike ``os.read``) it releases the GIL and does not
retry on EINTR, so a blocking call cut short by the wake-up signal returns ``-EINTR`` to
the syscall gate (kernel.py), which turns it into the kernel's restart codes.
"""
from __future__ import annotations

import ctypes
import mmap

from .host_syscall_numbers import NUMBERS

# mov rax,rdi; mov rdi,rsi; mov rsi,rdx; mov rdx,rcx; mov r10,r8; mov r8,r9;
# mov r9,[rsp+8]; syscall; ret  (System V arguments -> the kernel's registers; a call with
# fewer arguments passes garbage in the unused ones, which the kernel ignores.)
_STUB = bytes.fromhex("4889f8 4889f7 4889d6 4889ca 4d89c2 4d89c8 4c8b4c2408 0f05 c3"
                      .replace(" ", ""))


def _make_stub() -> int:
    # A page of its own, read+execute once written (mmap objects cannot be made executable
    # after the fact, so map it RWX; it is written once, here, and never again).
    page = mmap.mmap(-1, mmap.PAGESIZE, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    page.write(_STUB)
    _keep.append(page)
    return ctypes.addressof(ctypes.c_char.from_buffer(page))


_keep: list = []
_addr = _make_stub()
# raw[n](nr, a1..an) -> the raw kernel result; every argument an int, bytes or None.
raw: list = [ctypes.CFUNCTYPE(ctypes.c_long, *([ctypes.c_void_p] * (n + 1)))(_addr)
             for n in range(7)]
raw0, raw1, raw2, raw3, raw4, raw5, raw6 = raw


def hsys(name: str, *args: int | bytes | None) -> int:
    """Host syscall ``name``; returns the result or ``-errno`` like the kernel does."""
    return raw[len(args)](NUMBERS[name], *args)


# x86-64 open(2) flag bits that differ from the ARM/AArch64 ones (asm/fcntl.h).
HOST_O_FLAGS = {"O_DIRECT": 0o40000, "O_LARGEFILE": 0o100000, "O_DIRECTORY": 0o200000,
                "O_NOFOLLOW": 0o400000}
