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
from typing import Callable

from unicorn import UC_HOOK_BLOCK

_page: mmap.mmap | None = None
_page_used = 0
_hooks: dict[str, int] = {}


def _raw_lib() -> ctypes.CDLL:
    from unicorn.unicorn_py3.unicorn import uclib
    return ctypes.CDLL(uclib._name)


def native_code(name: str, code_at: Callable[[int], bytes]) -> int:
    """Host address of the native function ``name``, placed once per process in one
    executable page shared by the Unicorn hooks: ``code_at(address)`` gives its machine
    code for the address it will live at."""
    global _page, _page_used
    addr = _hooks.get(name)
    if addr is None:
        if _page is None:
            _page = mmap.mmap(-1, mmap.PAGESIZE,
                              prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
        addr = ctypes.addressof(ctypes.c_char.from_buffer(_page)) + _page_used
        code = code_at(addr)
        if _page_used + len(code) > mmap.PAGESIZE:
            raise RuntimeError(f"native hook {name!r} does not fit in the hook page")
        _page.seek(_page_used)
        _page.write(code)
        _hooks[name] = addr
        _page_used += (len(code) + 15) & ~15
    return addr


def _native_hook(lib: ctypes.CDLL, name: str, body: bytes) -> int:
    """Address of a native block hook, void hook(uc_engine *uc, u64 addr, u32 size,
    int32 *words): ``body`` (which falls into the stop tail when it decides to stop)
    followed by the tail ``jmp uc_emu_stop`` (uc is still in rdi)."""
    stop_fn = ctypes.cast(lib.uc_emu_stop, ctypes.c_void_p).value
    return native_code(name, lambda addr: (
        body + b"\x48\xb8" + stop_fn.to_bytes(8, "little")   # mov rax, uc_emu_stop
        + b"\xff\xe0"))                                       # jmp rax


_STOP_BODY = (b"\x8b\x01"                          # mov eax, [rcx]     (the stop word)
              b"\x85\xc0"                          # test eax, eax
              b"\x75\x01"                          # jnz stop
              b"\xc3"                              # ret
              b"\xc7\x01\x00\x00\x00\x00")         # stop: mov dword [rcx], 0
_BUDGET_BODY = (b"\xff\x49\x04"                   # dec dword [rcx + 4]   (the budget)
                b"\x74\x01"                        # jz stop
                b"\xc3"                            # ret
                b"\xc7\x01\x01\x00\x00\x00")       # stop: mov dword [rcx], 1 (tripped)


class _BlockHook:
    """A native block hook on one Unicorn instance, with its int32 words."""

    def __init__(self, uc, name: str, body: bytes, words: ctypes.Array) -> None:
        lib = _raw_lib()
        self._uc = uc
        self._lib = lib
        self._words = words
        self._handle = ctypes.c_size_t()
        err = lib.uc_hook_add(uc._uch, ctypes.byref(self._handle), UC_HOOK_BLOCK,
                              ctypes.c_void_p(_native_hook(lib, name, body)),
                              ctypes.byref(words), ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err:
            raise RuntimeError(f"uc_hook_add(UC_HOOK_BLOCK) failed: error {err}")

    def remove(self) -> None:
        """Take the hook off the CPU (it costs a C call per block while installed)."""
        if self._handle.value:
            self._lib.uc_hook_del(self._uc._uch, self._handle)
            self._handle.value = 0


class StopRequest(_BlockHook):
    """A stop word and its native block hook on one Unicorn instance."""

    def __init__(self, uc) -> None:
        self.word = ctypes.c_int32(0)
        super().__init__(uc, "stop", _STOP_BODY, self.word)

    def request(self) -> None:
        """From any thread: the CPU stops at its next block boundary, PC exact."""
        self.word.value = 1

    def clear(self) -> None:
        self.word.value = 0


class BlockBudget(_BlockHook):
    """Stops the CPU, PC exact, when it is about to run its ``blocks``-th block (a JIT
    backend's tier 0 runs cold start-up code on Unicorn this way, then takes over)."""

    def __init__(self, uc, blocks: int) -> None:
        self.blocks = blocks
        self.words = (ctypes.c_int32 * 2)(0, max(1, min(blocks, 0x7FFFFFFF)))  # tripped, left
        super().__init__(uc, "budget", _BUDGET_BODY, self.words)

    @property
    def tripped(self) -> bool:
        return bool(self.words[0])

    def used(self) -> int:
        """Blocks entered so far (the one that tripped the budget counts, unrun)."""
        return self.blocks - max(self.words[1], 0)
