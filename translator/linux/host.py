"""Calling host (x86-64 Linux) system calls directly.

Most guest syscalls become the same host syscall once descriptors, paths and flags are
translated; calling the kernel through libc's ``syscall()`` keeps the exact semantics
(and errno) instead of re-deriving them through Python's os module.
"""
from __future__ import annotations

import ctypes

from .host_syscall_numbers import NUMBERS

_libc = ctypes.CDLL(None, use_errno=True)
_syscall = _libc.syscall
_syscall.restype = ctypes.c_long


def hsys(name: str, *args: int | bytes | None) -> int:
    """Host syscall ``name``; returns the result or ``-errno`` like the kernel does."""
    conv = [a if isinstance(a, bytes) or a is None else ctypes.c_long(a) for a in args]
    res = _syscall(ctypes.c_long(NUMBERS[name]), *conv)
    if res == -1:
        return -ctypes.get_errno()
    return res


# x86-64 open(2) flag bits that differ from the ARM/AArch64 ones (asm/fcntl.h).
HOST_O_FLAGS = {"O_DIRECT": 0o40000, "O_LARGEFILE": 0o100000, "O_DIRECTORY": 0o200000,
                "O_NOFOLLOW": 0o400000}
