"""Stopping a running Unicorn CPU from another thread, safely.

``uc_emu_stop()`` called from another thread (what Unicorn's own timeout does) can leave the
guest PC at the start of an already executed block, so a resumed guest runs instructions
twice (measured with Unicorn 2.1.4: an ldrex/strex counter loop stopped every millisecond
ends with extra increments; upstream reports the same, unicorn issue #1355). Stopping from a
block hook *on the CPU's own thread* is exact. So each CPU gets a native block hook, a few
x86-64 instructions in an executable page, that tail-calls ``uc_emu_stop`` when the CPU's
stop word is set; any thread may set the word. Cost: one C call per block (~6% on a two-block
loop), never a Python call.
"""
from __future__ import annotations

import ctypes
import mmap

from unicorn import UC_HOOK_BLOCK

_page: mmap.mmap | None = None
_hook_addr = 0


def _raw_lib() -> ctypes.CDLL:
    from unicorn.unicorn_py3.unicorn import uclib
    return ctypes.CDLL(uclib._name)


def _native_hook(lib: ctypes.CDLL) -> int:
    """Address of: void hook(uc_engine *uc, u64 addr, u32 size, int32 *stop)."""
    global _page, _hook_addr
    if not _hook_addr:
        stop_fn = ctypes.cast(lib.uc_emu_stop, ctypes.c_void_p).value
        code = (b"\x8b\x01"                          # mov eax, [rcx]     (the stop word)
                b"\x85\xc0"                          # test eax, eax
                b"\x75\x01"                          # jnz stop
                b"\xc3"                              # ret
                b"\xc7\x01\x00\x00\x00\x00"          # stop: mov dword [rcx], 0
                b"\x48\xb8" + stop_fn.to_bytes(8, "little")   # mov rax, uc_emu_stop
                + b"\xff\xe0")                       # jmp rax           (uc is still in rdi)
        page = mmap.mmap(-1, mmap.PAGESIZE,
                         prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        page.write(code)
        _page = page
        _hook_addr = ctypes.addressof(ctypes.c_char.from_buffer(page))
    return _hook_addr


class StopRequest:
    """A stop word and its native block hook on one Unicorn instance."""

    def __init__(self, uc) -> None:
        lib = _raw_lib()
        self.word = ctypes.c_int32(0)
        self._handle = ctypes.c_size_t()
        err = lib.uc_hook_add(uc._uch, ctypes.byref(self._handle), UC_HOOK_BLOCK,
                              ctypes.c_void_p(_native_hook(lib)), ctypes.byref(self.word),
                              ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err:
            raise RuntimeError(f"uc_hook_add(UC_HOOK_BLOCK) failed: error {err}")

    def request(self) -> None:
        """From any thread: the CPU stops at its next block boundary, PC exact."""
        self.word.value = 1

    def clear(self) -> None:
        self.word.value = 0
