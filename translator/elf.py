"""ELF parsing with strict validation.

Everything a kernel would refuse (and several things qemu-user crashes on) is rejected
here with an :class:`ElfError`, before a single guest page is mapped. Parsing is done by
hand with :mod:`struct` because every field has to be range-checked against the file.
"""
from __future__ import annotations

import os
import stat
import struct
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ElfError

ET_REL, ET_EXEC, ET_DYN, ET_CORE = 1, 2, 3, 4
EM_ARM, EM_AARCH64 = 40, 183
PT_LOAD, PT_DYNAMIC, PT_INTERP, PT_NOTE, PT_PHDR, PT_TLS = 1, 2, 3, 4, 6, 7
PT_GNU_STACK = 0x6474E551
PF_X, PF_W, PF_R = 1, 2, 4
EF_ARM_EABI_MASK = 0xFF000000

_ETYPES = {0: "ET_NONE", ET_REL: "ET_REL (relocatable object)", ET_EXEC: "ET_EXEC",
           ET_DYN: "ET_DYN", ET_CORE: "ET_CORE (core dump)"}
_MACHINES = {EM_ARM: "arm", EM_AARCH64: "aarch64", 3: "x86 (i386)", 62: "x86-64", 8: "MIPS",
             20: "PowerPC", 21: "PowerPC64", 243: "RISC-V", 2: "SPARC", 22: "s390"}
_PT_NAMES = {0: "NULL", PT_LOAD: "LOAD", PT_DYNAMIC: "DYNAMIC", PT_INTERP: "INTERP",
             PT_NOTE: "NOTE", 5: "SHLIB", PT_PHDR: "PHDR", PT_TLS: "TLS",
             0x6474E550: "GNU_EH_FRAME", PT_GNU_STACK: "GNU_STACK", 0x6474E552: "GNU_RELRO",
             0x6474E553: "GNU_PROPERTY", 0x70000001: "ARM_EXIDX"}

MAX_PHNUM = 4096          # the kernel caps the program header table at 64 KiB
MAX_INTERP = 4096


@dataclass
class Segment:
    type: int
    flags: int
    offset: int
    vaddr: int
    filesz: int
    memsz: int
    align: int

    @property
    def type_name(self) -> str:
        return _PT_NAMES.get(self.type, f"{self.type:#x}")

    @property
    def flags_str(self) -> str:
        return ("R" if self.flags & PF_R else "-") + ("W" if self.flags & PF_W else "-") + \
               ("X" if self.flags & PF_X else "-")


@dataclass
class ElfImage:
    """A validated ELF executable, ready to be mapped."""

    path: str
    data: bytes
    bits: int               # 32 or 64
    machine: int
    type: int
    entry: int
    flags: int
    phoff: int
    phentsize: int
    phnum: int
    segments: list[Segment] = field(default_factory=list)
    interp: str | None = None

    @property
    def arch(self) -> str:
        return "arm" if self.machine == EM_ARM else "aarch64"

    @property
    def loads(self) -> list[Segment]:
        return [s for s in self.segments if s.type == PT_LOAD]

    @property
    def is_pie(self) -> bool:
        return self.type == ET_DYN

    @property
    def lo(self) -> int:
        return min(s.vaddr for s in self.loads) & ~0xFFF

    @property
    def hi(self) -> int:
        return max(s.vaddr + s.memsz for s in self.loads)

    @property
    def exec_stack(self) -> bool:
        """PT_GNU_STACK decides; without it, 32-bit ARM defaults to an executable stack."""
        for s in self.segments:
            if s.type == PT_GNU_STACK:
                return bool(s.flags & PF_X)
        return self.bits == 32

    def phdr_vaddr(self) -> int | None:
        """Unbiased address of the program headers in the loaded image, if they are loaded."""
        for s in self.segments:
            if s.type == PT_PHDR:
                return s.vaddr
        size = self.phnum * self.phentsize
        for s in self.loads:
            if s.offset <= self.phoff and self.phoff + size <= s.offset + s.filesz:
                return s.vaddr + (self.phoff - s.offset)
        return None

    def phdr_bytes(self) -> bytes:
        return self.data[self.phoff:self.phoff + self.phnum * self.phentsize]


def read_program(path: str | os.PathLike, *, check_exec: bool = True,
                 max_size: int = 1 << 31) -> bytes:
    """Read an executable the way execve would judge it: errors become ElfError."""
    p = str(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise ElfError(f"{p}: No such file or directory") from None
    except PermissionError:
        raise ElfError(f"{p}: Permission denied") from None
    except OSError as e:
        raise ElfError(f"{p}: {e.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ElfError(f"{p}: Is a directory")
    if not stat.S_ISREG(st.st_mode):
        raise ElfError(f"{p}: not a regular file")
    if check_exec and not os.access(p, os.X_OK):
        raise ElfError(f"{p}: Permission denied (the file is not executable)")
    if st.st_size > max_size:
        raise ElfError(f"{p}: file too large to be a program ({st.st_size} bytes)")
    try:
        return Path(p).read_bytes()
    except OSError as e:
        raise ElfError(f"{p}: {e.strerror}") from None


def parse_elf(path: str | os.PathLike, data: bytes | None = None, *,
              check_exec: bool = True) -> ElfImage:
    """Parse and validate an ARM32 or AArch64 Linux executable."""
    p = str(path)
    if data is None:
        data = read_program(p, check_exec=check_exec)
    n = len(data)
    if n < 4 or data[:4] != b"\x7fELF":
        if data[:2] == b"#!":
            raise ElfError(f"{p}: is a script ('#!'), not an ELF program")
        raise ElfError(f"{p}: not an ELF file" + (" (empty file)" if n == 0 else ""))
    if n < 16:
        raise ElfError(f"{p}: truncated ELF header ({n} bytes)")
    ei_class, ei_data, ei_version = data[4], data[5], data[6]
    if ei_class not in (1, 2):
        raise ElfError(f"{p}: invalid ELF class {ei_class}")
    if ei_data == 2:
        raise ElfError(f"{p}: big-endian ELF files are not supported (only little-endian ARM)")
    if ei_data != 1:
        raise ElfError(f"{p}: invalid ELF data encoding {ei_data}")
    if ei_version != 1:
        raise ElfError(f"{p}: invalid ELF version {ei_version}")
    bits = 32 if ei_class == 1 else 64
    ehsize = 52 if bits == 32 else 64
    if n < ehsize:
        raise ElfError(f"{p}: truncated ELF header ({n} of {ehsize} bytes)")
    if bits == 32:
        (etype, machine, version, entry, phoff, _shoff, flags, _ehsz, phentsize, phnum,
         _shentsize, _shnum, _shstrndx) = struct.unpack_from("<HHIIIIIHHHHHH", data, 16)
    else:
        (etype, machine, version, entry, phoff, _shoff, flags, _ehsz, phentsize, phnum,
         _shentsize, _shnum, _shstrndx) = struct.unpack_from("<HHIQQQIHHHHHH", data, 16)
    if etype not in (ET_EXEC, ET_DYN):
        raise ElfError(f"{p}: cannot run an ELF file of type "
                       f"{_ETYPES.get(etype, hex(etype))}; need ET_EXEC or ET_DYN")
    if machine not in (EM_ARM, EM_AARCH64):
        raise ElfError(f"{p}: unsupported machine {_MACHINES.get(machine, machine)}; "
                       "pytrans runs 32-bit ARM and AArch64 programs")
    if (machine == EM_ARM) != (bits == 32):
        raise ElfError(f"{p}: {_MACHINES[machine]} machine in an ELF{bits} file")
    if version != 1:
        raise ElfError(f"{p}: invalid ELF version {version}")
    if machine == EM_ARM and flags & EF_ARM_EABI_MASK and flags & EF_ARM_EABI_MASK != 0x05000000:
        raise ElfError(f"{p}: unsupported ARM ABI (EABI version {flags >> 24}); need EABI5")
    want_phent = 32 if bits == 32 else 56
    if phentsize != want_phent:
        raise ElfError(f"{p}: bad e_phentsize {phentsize} (expected {want_phent})")
    if phnum == 0:
        raise ElfError(f"{p}: no program headers")
    if phnum > MAX_PHNUM:
        raise ElfError(f"{p}: too many program headers ({phnum})")
    if phoff > n or phoff + phnum * phentsize > n:
        raise ElfError(f"{p}: program headers (offset {phoff:#x}, {phnum} entries) lie past "
                       f"the end of the file ({n} bytes)")
    img = ElfImage(p, data, bits, machine, etype, entry, flags, phoff, phentsize, phnum)
    fmt = "<IIIIIIII" if bits == 32 else "<IIQQQQQQ"
    space = 1 << bits
    for i in range(phnum):
        off = phoff + i * phentsize
        if bits == 32:
            ptype, poff, vaddr, _pa, filesz, memsz, pflags, align = struct.unpack_from(fmt, data, off)
        else:
            ptype, pflags, poff, vaddr, _pa, filesz, memsz, align = struct.unpack_from(fmt, data, off)
        seg = Segment(ptype, pflags, poff, vaddr, filesz, memsz, align)
        img.segments.append(seg)
        if ptype == PT_LOAD:
            _check_load(p, i, seg, n, space)
        elif ptype == PT_INTERP:
            if img.interp is not None:
                raise ElfError(f"{p}: more than one PT_INTERP")
            if filesz < 2 or filesz > MAX_INTERP or poff + filesz > n:
                raise ElfError(f"{p}: bad PT_INTERP segment")
            raw = data[poff:poff + filesz]
            if raw[-1:] != b"\0" or b"\0" in raw[:-1]:
                raise ElfError(f"{p}: PT_INTERP is not a NUL-terminated path")
            img.interp = raw[:-1].decode("utf-8", "surrogateescape")
    loads = img.loads
    if not loads:
        raise ElfError(f"{p}: no loadable (PT_LOAD) segments")
    for a, b in zip(loads, loads[1:]):
        if b.vaddr < a.vaddr:
            raise ElfError(f"{p}: PT_LOAD segments are not sorted by address")
        if b.vaddr < a.vaddr + a.memsz:
            raise ElfError(f"{p}: PT_LOAD segments overlap")
    lo, hi = img.lo, img.hi
    if hi - lo > space // 2:
        raise ElfError(f"{p}: program image too large ({hi - lo:#x} bytes)")
    # The entry point must be inside an executable segment (the kernel would let the guest
    # crash at once; a clear message is better).
    entry_addr = entry & ~1 if bits == 32 else entry
    if not any(s.vaddr <= entry_addr < s.vaddr + s.memsz for s in loads):
        raise ElfError(f"{p}: entry point {entry:#x} is outside the program's segments")
    if not any(s.vaddr <= entry_addr < s.vaddr + s.memsz and s.flags & PF_X for s in loads):
        raise ElfError(f"{p}: entry point {entry:#x} is not in an executable segment")
    return img


def _check_load(p: str, i: int, s: Segment, n: int, space: int) -> None:
    where = f"{p}: PT_LOAD segment {i}"
    if s.filesz > s.memsz:
        raise ElfError(f"{where}: p_filesz ({s.filesz:#x}) > p_memsz ({s.memsz:#x})")
    if s.offset > n or s.offset + s.filesz > n:
        raise ElfError(f"{where} lies past the end of the file (offset {s.offset:#x} + "
                       f"{s.filesz:#x} > {n:#x} bytes)")
    if s.memsz == 0:
        return
    if s.vaddr >= space or s.vaddr + s.memsz > space or s.memsz >= space // 2:
        raise ElfError(f"{where}: address range {s.vaddr:#x}+{s.memsz:#x} does not fit the "
                       f"{space.bit_length() - 1}-bit address space")
    if (s.vaddr - s.offset) % 4096:
        raise ElfError(f"{where}: p_vaddr and p_offset are not congruent modulo the page size")
