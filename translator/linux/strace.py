"""``--strace``: one line per syscall with decoded arguments, like qemu's -strace."""
from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

from ..memory import GuestFault

if TYPE_CHECKING:
    from .kernel import Kernel

# Argument kinds per syscall (by guest name); unknown syscalls print raw hex words.
# fd: descriptor (AT_FDCWD aware), str: guest string, buf: data written by the guest,
# ptr: address, int/uint/oct/hex: numbers, oflags/prot/mflags: decoded flag sets.
SIGNATURES: dict[str, str] = {
    "read": "fd ptr uint", "write": "fd buf uint", "pread64": "fd ptr uint int",
    "pwrite64": "fd buf uint int", "readv": "fd ptr int", "writev": "fd ptr int",
    "open": "str oflags oct", "openat": "fd str oflags oct", "close": "fd",
    "lseek": "fd int int", "_llseek": "fd hex hex ptr int", "fstat64": "fd ptr",
    "fstat": "fd ptr", "stat64": "str ptr", "lstat64": "str ptr", "fstatat64": "fd str ptr hex",
    "newfstatat": "fd str ptr hex", "statx": "fd str hex hex ptr", "getdents64": "fd ptr uint",
    "readlinkat": "fd str ptr uint", "readlink": "str ptr uint", "faccessat": "fd str oct",
    "faccessat2": "fd str oct hex", "access": "str oct", "mkdirat": "fd str oct",
    "mkdir": "str oct", "unlinkat": "fd str hex", "unlink": "str", "rmdir": "str",
    "renameat": "fd str fd str", "renameat2": "fd str fd str hex", "rename": "str str",
    "linkat": "fd str fd str hex", "symlinkat": "str fd str", "symlink": "str str",
    "chdir": "str", "fchdir": "fd", "getcwd": "ptr uint", "umask": "oct", "fchmod": "fd oct",
    "chmod": "str oct", "fchmodat": "fd str oct", "ftruncate64": "fd int",
    "ftruncate": "fd int", "dup": "fd", "dup2": "fd fd", "dup3": "fd fd hex",
    "pipe2": "ptr hex", "fcntl": "fd int hex", "fcntl64": "fd int hex", "ioctl": "fd hex hex",
    "brk": "ptr", "mmap2": "ptr uint prot mflags fd hex", "mmap": "ptr uint prot mflags fd hex",
    "munmap": "ptr uint", "mprotect": "ptr uint prot", "mremap": "ptr uint uint hex ptr",
    "madvise": "ptr uint int", "exit": "int", "exit_group": "int",
    "set_tid_address": "ptr", "set_robust_list": "ptr uint", "ARM_set_tls": "ptr",
    "rt_sigaction": "int ptr ptr uint", "rt_sigprocmask": "int ptr ptr uint",
    "kill": "int int", "tgkill": "int int int", "tkill": "int int",
    "clock_gettime": "int ptr", "clock_gettime64": "int ptr", "nanosleep": "ptr ptr",
    "clock_nanosleep": "int hex ptr ptr", "clock_nanosleep_time64": "int hex ptr ptr",
    "getrandom": "ptr uint hex", "prlimit64": "int int ptr ptr", "uname": "ptr",
    "ugetrlimit": "int ptr", "getrlimit": "int ptr", "sysinfo": "ptr",
    # sockets and other descriptors
    "socket": "int int int", "socketpair": "int int int ptr", "bind": "fd sa uint",
    "connect": "fd sa uint", "listen": "fd int", "accept": "fd ptr ptr",
    "accept4": "fd ptr ptr hex", "getsockname": "fd ptr ptr", "getpeername": "fd ptr ptr",
    "sendto": "fd buf uint hex sa uint", "send": "fd buf uint hex",
    "recvfrom": "fd ptr uint hex ptr ptr", "recv": "fd ptr uint hex",
    "sendmsg": "fd ptr hex", "recvmsg": "fd ptr hex", "sendmmsg": "fd ptr uint hex",
    "recvmmsg": "fd ptr uint hex ptr", "setsockopt": "fd int int ptr uint",
    "getsockopt": "fd int int ptr ptr", "shutdown": "fd int",
    "epoll_create1": "hex", "epoll_ctl": "fd int fd ptr", "epoll_wait": "fd ptr int int",
    "epoll_pwait": "fd ptr int int ptr uint", "timerfd_create": "int hex",
    "timerfd_settime": "fd hex ptr ptr", "timerfd_settime64": "fd hex ptr ptr",
    "inotify_init1": "hex", "inotify_add_watch": "fd str hex", "inotify_rm_watch": "fd int",
    "memfd_create": "str hex", "getdents64": "fd ptr uint",
    "close_range": "uint uint hex", "openat2": "fd str ptr uint", "timer_create": "int ptr ptr",
    "timer_settime": "int hex ptr ptr", "timer_settime64": "int hex ptr ptr",
    "timer_delete": "int", "flock": "fd int", "splice": "fd ptr fd ptr uint hex",
    "sched_setaffinity": "int uint ptr", "prctl": "int hex hex hex hex",
}

_O = [(0o100, "O_CREAT"), (0o200, "O_EXCL"), (0o400, "O_NOCTTY"), (0o1000, "O_TRUNC"),
      (0o2000, "O_APPEND"), (0o4000, "O_NONBLOCK"), (0o40000, "O_DIRECTORY"),
      (0o100000, "O_NOFOLLOW"), (0o400000, "O_LARGEFILE"), (0o2000000, "O_CLOEXEC"),
      (0o10000000, "O_PATH")]
_PROT = [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")]
_MAP = [(1, "MAP_SHARED"), (2, "MAP_PRIVATE"), (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"),
        (0x100, "MAP_GROWSDOWN"), (0x800, "MAP_DENYWRITE"), (0x4000, "MAP_NORESERVE"),
        (0x8000, "MAP_POPULATE"), (0x20000, "MAP_STACK"), (0x100000, "MAP_FIXED_NOREPLACE")]


def _flags(value: int, table: list[tuple[int, str]], zero: str) -> str:
    names = [n for bit, n in table if value & bit]
    rest = value & ~sum(bit for bit, _ in table)
    if rest:
        names.append(hex(rest))
    return "|".join(names) or zero


def _arg(k: "Kernel", kind: str, v: int) -> str:
    try:
        if kind == "fd":
            s = k.s32(v)
            return "AT_FDCWD" if s == -100 else str(s)
        if kind == "str":
            return _quote(k.mem.read_cstring(v, 4096)) if v else "NULL"
        if kind == "buf":
            return hex(v)
        if kind == "int":
            return str(k.signed(v))
        if kind == "uint":
            return str(v)
        if kind == "oct":
            return oct(v)
        if kind == "ptr":
            return "NULL" if v == 0 else hex(v)
        if kind == "oflags":
            acc = ("O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE")[v & 3]
            rest = _flags(v & ~3, _O, "")
            return acc + ("|" + rest if rest else "")
        if kind == "prot":
            return _flags(v, _PROT, "PROT_NONE")
        if kind == "mflags":
            return _flags(v, _MAP, "0")
    except (GuestFault, OSError):
        return hex(v)
    return hex(v)


_AF = {1: "AF_UNIX", 2: "AF_INET", 10: "AF_INET6", 16: "AF_NETLINK"}


def _sockaddr(k: "Kernel", addr: int, length: int) -> str:
    """A guest sockaddr the way strace shows one (the layouts are the same everywhere)."""
    import socket
    if not addr:
        return "NULL"
    try:
        raw = k.mem.read(addr, min(length & 0xFFFFFFFF, 128))
    except (GuestFault, OSError):
        return hex(addr)
    if len(raw) < 2:
        return hex(addr)
    fam = int.from_bytes(raw[:2], "little")
    name = _AF.get(fam, str(fam))
    if fam == 2 and len(raw) >= 8:
        port = int.from_bytes(raw[2:4], "big")
        return (f'{{sa_family={name}, sin_port=htons({port}), '
                f'sin_addr=inet_addr("{socket.inet_ntop(socket.AF_INET, raw[4:8])}")}}')
    if fam == 10 and len(raw) >= 24:
        port = int.from_bytes(raw[2:4], "big")
        return (f'{{sa_family={name}, sin6_port=htons({port}), '
                f'sin6_addr="{socket.inet_ntop(socket.AF_INET6, raw[8:24])}"}}')
    if fam == 1:
        path = raw[2:]
        if path[:1] == b"\0":
            return f"{{sa_family={name}, sun_path=@{_quote(path[1:], 108)}}}"
        path = path.split(b"\0")[0]
        return f"{{sa_family={name}, sun_path={_quote(path, 108)}}}"
    return f"{{sa_family={name}, ...}}"


def _quote(b: bytes, limit: int = 64) -> str:
    s = b[:limit].decode("latin-1").encode("unicode_escape").decode().replace('"', '\\"')
    return f'"{s}"' + ("..." if len(b) > limit else "")


_RESTART_CODES = {512: "ERESTARTSYS (To be restarted if SA_RESTART is set)",
                  513: "ERESTARTNOINTR (To be restarted)",
                  514: "ERESTARTNOHAND (To be restarted if no handler)",
                  516: "ERESTART_RESTARTBLOCK (Interrupted by signal)"}


def format_call(k: "Kernel", name: str, args: list[int], result: int | None) -> str:
    kinds = SIGNATURES.get(name, "").split()
    parts = []
    for i, v in enumerate(args):
        kind = kinds[i] if i < len(kinds) else "hex"
        if kind == "buf" and i + 1 < len(args):
            try:
                parts.append(_quote(k.mem.read(v, min(args[i + 1], 64)), 32))
                continue
            except (GuestFault, OSError):
                pass
        if kind == "sa" and i + 1 < len(args):      # sockaddr in, its length next
            parts.append(_sockaddr(k, v, args[i + 1]))
            continue
        parts.append(_arg(k, kind, v))
    if result is None:
        res = "?"
    elif -result in _RESTART_CODES:
        res = f"? {_RESTART_CODES[-result]}"      # as strace shows the kernel's restart codes
    elif -4096 < result < 0:
        res = f"-1 {errno.errorcode.get(-result, '')} ({os.strerror(-result)})"
    elif name in ("mmap", "mmap2", "brk", "mremap") and result > 0:
        res = hex(result)
    else:
        res = str(result)
    return f"{k.pid} {name}({','.join(parts)}) = {res}"
