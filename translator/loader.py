"""Map a validated ELF image into guest memory and build the Linux initial stack."""
from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from types import ModuleType

from .elf import PF_R, PF_W, PF_X, ElfImage, parse_elf
from .errors import ElfError
from .memory import (PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory,
                     page_align_down, page_align_up)

# auxv tags (include/uapi/linux/auxvec.h)
AT_NULL, AT_PHDR, AT_PHENT, AT_PHNUM, AT_PAGESZ, AT_BASE, AT_FLAGS, AT_ENTRY = 0, 3, 4, 5, 6, 7, 8, 9
AT_UID, AT_EUID, AT_GID, AT_EGID, AT_PLATFORM, AT_HWCAP, AT_CLKTCK = 11, 12, 13, 14, 15, 16, 17
AT_SECURE, AT_RANDOM, AT_HWCAP2, AT_EXECFN, AT_MINSIGSTKSZ = 23, 25, 26, 31, 51
AUXV_NAMES = {AT_NULL: "AT_NULL", AT_PHDR: "AT_PHDR", AT_PHENT: "AT_PHENT",
              AT_PHNUM: "AT_PHNUM", AT_PAGESZ: "AT_PAGESZ", AT_BASE: "AT_BASE",
              AT_FLAGS: "AT_FLAGS", AT_ENTRY: "AT_ENTRY", AT_UID: "AT_UID", AT_EUID: "AT_EUID",
              AT_GID: "AT_GID", AT_EGID: "AT_EGID", AT_PLATFORM: "AT_PLATFORM",
              AT_HWCAP: "AT_HWCAP", AT_CLKTCK: "AT_CLKTCK", AT_SECURE: "AT_SECURE",
              AT_RANDOM: "AT_RANDOM", AT_HWCAP2: "AT_HWCAP2", AT_EXECFN: "AT_EXECFN",
              AT_MINSIGSTKSZ: "AT_MINSIGSTKSZ"}


def seg_prot(flags: int) -> int:
    return ((PROT_READ if flags & PF_R else 0) | (PROT_WRITE if flags & PF_W else 0)
            | (PROT_EXEC if flags & PF_X else 0))


@dataclass
class LoadedImage:
    """Where an ELF image ended up in guest memory."""

    image: ElfImage
    bias: int
    entry: int
    phdr: int
    start: int
    end: int          # end of the last segment (bss included)


def load_image(mem: GuestMemory, img: ElfImage, bias: int) -> LoadedImage:
    """Map every PT_LOAD segment at ``vaddr + bias``, copy file bytes and zero the bss."""
    lo = page_align_down(img.lo + bias)
    hi = page_align_up(img.hi + bias)
    if lo < PAGE_SIZE or hi > mem.size:
        raise ElfError(f"{img.path}: program does not fit the guest address space "
                       f"({lo:#x}-{hi:#x})")
    if not mem.is_free(lo, hi - lo):
        raise ElfError(f"{img.path}: program overlaps memory already in use at {lo:#x}")
    name = os.path.abspath(img.path)
    try:
        st = os.stat(img.path)
    except OSError:
        st = None
    mapped: dict[int, int] = {}           # page -> prot, for segments sharing a page
    for s in img.loads:
        if s.memsz == 0:
            continue
        start = page_align_down(s.vaddr + bias)
        end = page_align_up(s.vaddr + bias + s.memsz)
        prot = seg_prot(s.flags)
        for page in range(start, end, PAGE_SIZE):
            mapped[page] = mapped.get(page, 0) | prot
    # Map runs of pages with equal protection, then fill them.
    pages = sorted(mapped)
    i = 0
    while i < len(pages):
        j = i
        while j + 1 < len(pages) and pages[j + 1] == pages[j] + PAGE_SIZE \
                and mapped[pages[j + 1]] == mapped[pages[i]]:
            j += 1
        mem.map(pages[i], pages[j] + PAGE_SIZE - pages[i], mapped[pages[i]], name=name)
        _describe_file_pages(mem, img, bias, pages[i], st)
        i = j + 1
    for s in img.loads:
        if s.filesz:
            mem.write(s.vaddr + bias, img.data[s.offset:s.offset + s.filesz], force=True)
    phdr = img.phdr_vaddr()
    return LoadedImage(img, bias, img.entry + bias, phdr + bias if phdr is not None else 0,
                       lo, img.hi + bias)


def _describe_file_pages(mem: GuestMemory, img: ElfImage, bias: int, page: int,
                         st: os.stat_result | None) -> None:
    """Give the VMA at ``page`` the file identity (device, inode, file offset) a kernel
    file mapping has, for /proc/self/maps; the pages themselves are private copies."""
    v = mem.vma_at(page)
    if v is None or st is None:
        return
    for s in img.loads:
        start = page_align_down(s.vaddr + bias)
        if s.filesz and start <= page < s.vaddr + bias + s.filesz:
            v.inode, v.dev = st.st_ino, st.st_dev
            v.offset = page_align_down(s.offset) + (page - start)
            return


@dataclass
class StackInfo:
    sp: int
    argv_addr: int
    envp_addr: int
    auxv: list[tuple[int, int]]
    execfn_addr: int
    random_addr: int


def build_stack(mem: GuestMemory, abi: ModuleType, top: int, argv: list[bytes],
                envp: list[bytes], auxv: list[tuple[int, int]], execfn: bytes,
                random_bytes: bytes | None = None) -> StackInfo:
    """Lay out argc/argv/envp/auxv and their strings below ``top`` like fs/binfmt_elf.c.

    ``auxv`` entries whose value is None are filled here: AT_RANDOM, AT_EXECFN, AT_PLATFORM.
    """
    word = abi.BITS // 8
    sp = top - word                                   # end marker, as the kernel leaves
    mem.write(sp, b"\0" * word, force=True)

    def push_bytes(data: bytes) -> int:
        nonlocal sp
        sp -= len(data)
        mem.write(sp, data, force=True)
        return sp

    execfn_addr = push_bytes(execfn + b"\0")
    env_addrs = [push_bytes(e + b"\0") for e in reversed(envp)][::-1]
    arg_addrs = [push_bytes(a + b"\0") for a in reversed(argv)][::-1]
    sp &= ~(word - 1)
    platform_addr = push_bytes(abi.PLATFORM.encode() + b"\0")
    sp &= ~15
    random_addr = push_bytes(random_bytes if random_bytes is not None else os.urandom(16))
    fixed = {AT_RANDOM: random_addr, AT_EXECFN: execfn_addr, AT_PLATFORM: platform_addr}
    auxv = [(k, fixed[k] if v is None else v) for k, v in auxv] + [(AT_NULL, 0)]
    nwords = 1 + len(argv) + 1 + len(envp) + 1 + 2 * len(auxv)
    sp = (sp - nwords * word) & ~15
    vec = [len(argv), *arg_addrs, 0, *env_addrs, 0]
    for k, v in auxv:
        vec += [k, v]
    mem.write(sp, struct.pack(f"<{len(vec)}{abi.WORD}", *vec), force=True)
    return StackInfo(sp, sp + word, sp + word * (len(argv) + 2), auxv, execfn_addr, random_addr)


def find_interpreter(interp: str, sysroot: str | None) -> str:
    """Resolve PT_INTERP the way qemu's -L does: sysroot first, then the host."""
    from .sysroot import resolve_in_root
    # Symlinks inside the sysroot (Debian's /lib/ld-linux-*.so.* are absolute ones) are
    # resolved inside it, never against the host's files.
    candidates = ([resolve_in_root(sysroot, interp)] if sysroot else []) + [interp]
    for c in candidates:
        if c is not None and os.path.isfile(c):
            return c
    hint = "" if sysroot else " (give the guest's root file system with -L SYSROOT)"
    raise ElfError(f"dynamically linked program needs its interpreter {interp}, "
                   f"which was not found{' in ' + sysroot if sysroot else ''}{hint}")


def load_interpreter(mem: GuestMemory, abi: ModuleType, path: str, top: int) -> LoadedImage:
    img = parse_elf(path, check_exec=False)
    if img.machine != abi.ELF_MACHINE:
        raise ElfError(f"interpreter {path} is for {img.arch}, not {abi.NAME}")
    if img.interp is not None:
        raise ElfError(f"interpreter {path} itself asks for an interpreter")
    if img.is_pie:
        size = page_align_up(img.hi) - img.lo
        base = mem.find_free(size, top)
        if base is None:
            raise ElfError(f"no room for the interpreter {path}")
        bias = base - img.lo
    else:
        bias = 0
    return load_image(mem, img, bias)
