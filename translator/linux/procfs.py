"""The guest's view of /proc: the entries where the host's answer would describe pytrans
(the Python process, x86-64) instead of the emulated ARM process.

``/proc/self/{exe,maps,auxv,cmdline,stat,status,fd/N}`` (also as ``/proc/<pid>/...`` and
``/proc/thread-self/...``) and ``/proc/cpuinfo``. Generated files are served from a sealed
memfd reopened read-only, so read, lseek, pread, fstat and mmap behave as on a file. Every
other /proc path goes to the host's /proc unchanged.
"""
from __future__ import annotations

import errno
import os
import struct

from ..memory import PROT_EXEC, PROT_READ, PROT_WRITE, Vma

# Features words in /proc/cpuinfo, by AT_HWCAP bit, in the kernels' order
# (arch/arm/kernel/setup.c hwcap_str, arch/arm64/kernel/cpuinfo.c hwcap_str).
ARM_HWCAP_NAMES = ["swp", "half", "thumb", "26bit", "fastmult", "fpa", "vfp", "edsp", "java",
                   "iwmmxt", "crunch", "thumbee", "neon", "vfpv3", "vfpv3d16", "tls", "vfpv4",
                   "idiva", "idivt", "vfpd32", "lpae", "evtstrm"]
ARM64_HWCAP_NAMES = ["fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32",
                     "atomics", "fphp", "asimdhp", "cpuid", "asimdrdm", "jscvt", "fcma",
                     "lrcpc", "dcpop", "sha3", "sm3", "sm4", "asimddp", "sha512", "sve",
                     "asimdfhm", "dit", "uscat", "ilrcpc", "flagm", "ssbs", "sb", "paca", "pacg"]
# MIDR fields of the modelled cores (ARM TRMs): implementer, variant, part, revision.
CPU_IDS = {"Cortex-A15": (0x41, 0x2, 0xC0F, 3), "Cortex-A72": (0x41, 0x0, 0xD08, 3)}
BOGOMIPS = "50.00"   # arch timer at 25 MHz, as the kernels print it (2 * freq / 1e6)

SELF_FILES = ("exe", "maps", "auxv", "cmdline", "stat", "status", "fd")


def _split(k, path: bytes) -> tuple[str, str] | None:
    """("self-entry", rest) for /proc/{self,thread-self,<own pid>}/..., ("cpuinfo", "")."""
    if not path.startswith(b"/proc/"):
        return None
    parts = [p for p in os.fsdecode(path).split("/") if p and p != "."]
    if parts == ["proc", "cpuinfo"]:
        return "cpuinfo", ""
    if len(parts) >= 3 and parts[1] in ("self", "thread-self", str(k.pid)) \
            and parts[2] in SELF_FILES:
        return parts[2], "/".join(parts[3:])
    if len(parts) >= 5 and parts[1] in ("self", str(k.pid)) and parts[2] == "task" \
            and parts[3].isdigit() and int(parts[3]) in guest_tids(k) \
            and parts[4] in SELF_FILES:
        return parts[4], "/".join(parts[5:])
    return None


def guest_tids(k) -> set[int]:
    """The tids of the guest's threads (the pid alone without threads)."""
    group = k.__dict__.get("threads")
    return {k.pid} if group is None else set(group.threads) | {k.pid}


_PROC_DEV: list[int] = []


def task_dir_tids(k, host_fd: int) -> set[int] | None:
    """When ``host_fd`` is the guest's /proc/<pid>/task directory, the tids it may list: the
    host's also holds pytrans's own helper threads (signal forwarder, preemption ticker)."""
    if not _PROC_DEV:
        _PROC_DEV.append(os.stat("/proc").st_dev)
    try:
        if os.fstat(host_fd).st_dev != _PROC_DEV[0] \
                or os.readlink(f"/proc/self/fd/{host_fd}") != f"/proc/{k.pid}/task":
            return None
    except OSError:
        return None
    return guest_tids(k)


# ---- generated contents -----------------------------------------------------------------
def maps_text(k) -> bytes:
    """/proc/self/maps in the kernel's format (fs/proc/task_mmu.c show_map_vma), padded for
    the guest's pointer size; adjacent VMAs the kernel would have merged are merged."""
    merged: list[Vma] = []
    for v in sorted(k.mem.vmas, key=lambda v: v.start):
        last = merged[-1] if merged else None
        if last and last.end == v.start and last.prot == v.prot and last.name == v.name \
                and last.shared == v.shared and last.inode == v.inode and \
                (not v.inode or last.offset + (last.end - last.start) == v.offset):
            merged[-1] = Vma(last.start, v.end, last.prot, last.name, last.shared,
                             last.offset, last.inode, last.dev)
        else:
            merged.append(Vma(v.start, v.end, v.prot, v.name, v.shared, v.offset, v.inode, v.dev))
    width = 25 + (k.abi.BITS // 8) * 6 - 1
    lines = []
    for v in merged:
        perms = ("r" if v.prot & PROT_READ else "-") + ("w" if v.prot & PROT_WRITE else "-") \
            + ("x" if v.prot & PROT_EXEC else "-") + ("s" if v.shared else "p")
        dev = f"{os.major(v.dev):02x}:{os.minor(v.dev):02x}" if v.inode else "00:00"
        # The header ends in a space; a name is padded to the column after ``width``.
        line = f"{v.start:08x}-{v.end:08x} {perms} {v.offset if v.inode else 0:08x} {dev} " \
               f"{v.inode} "
        if v.name:
            line = line.ljust(width) + " " + v.name
        lines.append(line + "\n")
    return "".join(lines).encode()


def auxv_bytes(k) -> bytes:
    """The auxiliary vector the guest was started with, in guest words, AT_NULL included."""
    vec = list(k.auxv)
    if not vec or vec[-1][0] != 0:
        vec.append((0, 0))
    return b"".join(struct.pack(f"<2{k.abi.WORD}", t, v) for t, v in vec)


def cmdline_bytes(k) -> bytes:
    return b"".join(a + b"\0" for a in k.argv)


def comm(k) -> str:
    """The guest's comm: the program file's name, 15 bytes at most (TASK_COMM_LEN)."""
    return os.path.basename(k.exe_path)[:15] or "pytrans"


def stat_text(k) -> bytes:
    """The host's /proc/self/stat with the guest's command name and memory layout."""
    with open("/proc/self/stat", "rb") as f:
        raw = f.read().decode()
    head, _, tail = raw.rpartition(")")
    fields = tail.split()
    start_stack = k.abi.STACK_TOP
    code = [v for v in k.mem.vmas if v.prot & PROT_EXEC and v.name == k.exe_path]
    if code:
        # startcode, endcode, startstack are fields 26-28 (1-based): tail index 23-25.
        fields[23], fields[24] = str(code[0].start), str(code[-1].end)
    fields[25] = str(start_stack)
    return f"{head.split('(')[0]}({comm(k)}) {' '.join(fields)}\n".encode()


def status_text(k) -> bytes:
    """The host's /proc/self/status with the guest's Name."""
    with open("/proc/self/status", "rb") as f:
        lines = f.read().decode().splitlines(keepends=True)
    return "".join(f"Name:\t{comm(k)}\n" if line.startswith("Name:") else line
                   for line in lines).encode()


def cpuinfo_text(k) -> bytes:
    """/proc/cpuinfo for the emulated CPU, one entry per host CPU the guest may use."""
    impl, variant, part, rev = CPU_IDS[k.abi.CPU_NAME]
    ncpu = len(os.sched_getaffinity(0)) or 1
    out = []
    if k.abi.BITS == 32:
        feats = [n for b, n in enumerate(ARM_HWCAP_NAMES) if k.abi.HWCAP >> b & 1]
        for i in range(ncpu):
            out.append(f"processor\t: {i}\nmodel name\t: ARMv7 Processor rev {rev} (v7l)\n"
                       f"BogoMIPS\t: {BOGOMIPS}\nFeatures\t: {' '.join(feats)} \n"
                       f"CPU implementer\t: {impl:#x}\nCPU architecture: 7\n"
                       f"CPU variant\t: {variant:#x}\nCPU part\t: {part:#x}\n"
                       f"CPU revision\t: {rev}\n\n")
        out.append("Hardware\t: Generic DT based system\nRevision\t: 0000\n"
                   "Serial\t\t: 0000000000000000\n")
    else:
        feats = [n for b, n in enumerate(ARM64_HWCAP_NAMES) if k.abi.HWCAP >> b & 1]
        for i in range(ncpu):
            out.append(f"processor\t: {i}\nBogoMIPS\t: {BOGOMIPS}\n"
                       f"Features\t: {' '.join(feats)}\n"
                       f"CPU implementer\t: {impl:#x}\nCPU architecture: 8\n"
                       f"CPU variant\t: {variant:#x}\nCPU part\t: {part:#x}\n"
                       f"CPU revision\t: {rev}\n\n")
    return "".join(out).encode()


GENERATED = {"maps": maps_text, "auxv": auxv_bytes, "cmdline": cmdline_bytes,
             "stat": stat_text, "status": status_text, "cpuinfo": cpuinfo_text}


# ---- hooks used by the fs syscalls ---------------------------------------------------------
def _memfd(name: str, data: bytes) -> int:
    """A read-only host descriptor on a file holding ``data``."""
    m = os.memfd_create(f"pytrans-proc-{name}", os.MFD_CLOEXEC)
    try:
        os.write(m, data)
        return os.open(f"/proc/self/fd/{m}", os.O_RDONLY | os.O_CLOEXEC)
    finally:
        os.close(m)


def _fd_target(k, rest: str) -> bytes:
    """Host path of /proc/self/fd/<guest fd>: the host's entry for the host descriptor."""
    try:
        fd = int(rest)
        return f"/proc/self/fd/{k.fds.host(fd)}".encode()
    except (ValueError, OSError):
        raise OSError(errno.ENOENT, "no such guest descriptor") from None


def open_special(k, path: bytes, write: bool) -> int | None:
    """A host descriptor for a generated /proc entry, or None for any other path (the caller
    then opens ``stat_path(...)`` if that redirects it). Raises OSError (EACCES for writes
    to generated files)."""
    what = _split(k, path)
    if what is None:
        return None
    entry, rest = what
    if entry == "exe" and not rest:
        if write:
            raise OSError(errno.ETXTBSY, "the running program")
        return os.open(k.exe_path, os.O_RDONLY | os.O_CLOEXEC)
    if rest or entry not in GENERATED:
        return None
    if write:
        raise OSError(errno.EACCES, "read-only /proc entry")
    return _memfd(entry, GENERATED[entry](k))


def readlink_special(k, path: bytes) -> bytes | None:
    """The target of an emulated /proc symlink (exe, fd/N), or None."""
    what = _split(k, path)
    if what is None:
        return None
    entry, rest = what
    if entry == "exe" and not rest:
        return os.fsencode(k.exe_path)
    if entry == "fd" and rest:
        return os.readlink(_fd_target(k, rest))
    return None


def stat_path(k, path: bytes, follow: bool) -> bytes | None:
    """What to stat instead of an emulated /proc path, or None to stat ``path`` itself."""
    what = _split(k, path)
    if what is None:
        return None
    entry, rest = what
    if entry == "exe" and not rest and follow:
        return os.fsencode(k.exe_path)
    if entry == "fd" and rest:
        return _fd_target(k, rest)
    return None
