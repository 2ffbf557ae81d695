"""Linux ABI facts for 32-bit ARM (EABI, little-endian) guests.

Everything here is data: syscall numbers (generated), the calling convention, register
pairs for 64-bit arguments, struct layouts from the kernel's arch/arm UAPI headers, the
CPU feature words and the kernel user helper page.
"""
from __future__ import annotations

import struct

from translator.linux.structs import Layout

from .syscall_numbers import NUMBERS

NAME = "arm"
BITS = 32
ELF_MACHINE = 40
UNAME_MACHINE = "armv7l"
PLATFORM = "v7l"                      # AT_PLATFORM, as a Cortex-A15 kernel reports it
CPU_NAME = "Cortex-A15"

# AT_HWCAP for a Cortex-A15 with VFPv4 + NEON (asm/hwcap.h); no ARMv8 crypto -> HWCAP2 = 0.
HWCAP_BITS = {"swp": 0, "half": 1, "thumb": 2, "fastmult": 4, "vfp": 6, "edsp": 7,
              "neon": 12, "vfpv3": 13, "tls": 15, "vfpv4": 16, "idiva": 17, "idivt": 18,
              "vfpd32": 19, "lpae": 20}
HWCAP = sum(1 << b for b in HWCAP_BITS.values())
HWCAP2 = 0

# Address space: a 4 GiB window; the layout follows a 3G/1G ARM kernel (TASK_SIZE).
ADDRESS_SPACE = 1 << 32
STACK_TOP = 0xBF000000
STACK_SIZE = 8 << 20
MMAP_TOP = STACK_TOP - STACK_SIZE - (16 << 20)   # mmap_base: below the stack rlimit gap
PIE_BASE = 0x00400000                              # static-PIE load bias
INTERP_BASE = None                                 # interpreters go top-down like mmap
KUSER_PAGE = 0xFFFF0000

# Syscall convention: number in r7, arguments r0..r6, result in r0.
SYSCALL_NR_REG = "r7"
SYSCALL_ARG_REGS = ("r0", "r1", "r2", "r3", "r4", "r5", "r6")
SYSCALL_RET_REG = "r0"

# 64-bit arguments travel in even/odd register pairs (EABI); list of register indices,
# a (lo, hi) tuple being one 64-bit argument.
SYSCALL_ARGS: dict[str, tuple] = {
    "pread64": (0, 1, 2, (4, 5)),
    "pwrite64": (0, 1, 2, (4, 5)),
    "truncate64": (0, (2, 3)),
    "ftruncate64": (0, (2, 3)),
    "readahead": (0, (2, 3), 4),
    "arm_fadvise64_64": (0, 1, (2, 3), (4, 5)),
    "fallocate": (0, 1, (2, 3), (4, 5)),
    "sync_file_range2": (0, 1, (2, 3), (4, 5)),
    "preadv": (0, 1, 2, (3, 4)),
    "pwritev": (0, 1, 2, (3, 4)),
}
# Kernel names for generic handlers where ARM uses its own entry point names.
SYSCALL_ALIASES = {"ARM_set_tls": "set_tls", "ARM_cacheflush": "cacheflush",
                   "ARM_breakpoint": "breakpoint", "arm_fadvise64_64": "fadvise64_64",
                   "ugetrlimit": "getrlimit",
                   "fcntl64": "fcntl", "getuid32": "getuid", "geteuid32": "geteuid",
                   "getgid32": "getgid", "getegid32": "getegid", "getresuid32": "getresuid",
                   "getresgid32": "getresgid", "getgroups32": "getgroups",
                   "fchown32": "fchown", "chown32": "chown", "lchown32": "lchown",
                   "setuid32": "setuid", "setgid32": "setgid",
                   "clock_gettime64": "clock_gettime_time64",
                   "clock_getres_time64": "clock_getres_time64",
                   "clock_nanosleep_time64": "clock_nanosleep_time64",
                   "utimensat_time64": "utimensat_time64"}
# Legacy entry points with pre-LFS struct layouts that EABI C libraries never use.
SYSCALL_EXCLUDE = frozenset({"stat", "lstat", "fstat", "statfs", "fstatfs", "getdents"})
# clone(2) argument order: ARM and arm64 select CONFIG_CLONE_BACKWARDS, so the kernel's
# clone is (flags, newsp, parent_tidptr, tls, child_tidptr) - tls before child_tid.
CLONE_ARGS = ("flags", "newsp", "parent_tid", "tls", "child_tid")
SYSCALLS = NUMBERS

# ---- struct layouts (arch/arm/include/uapi/asm/*.h, EABI alignment) --------------------
STAT = Layout("stat64", [
    ("st_dev", "Q"), ("", "4x"), ("__st_ino", "I"), ("st_mode", "I"), ("st_nlink", "I"),
    ("st_uid", "I"), ("st_gid", "I"), ("st_rdev", "Q"), ("", "4x"), ("", "4x"),
    ("st_size", "q"), ("st_blksize", "I"), ("", "4x"), ("st_blocks", "Q"),
    ("st_atime", "I"), ("st_atime_nsec", "I"), ("st_mtime", "I"), ("st_mtime_nsec", "I"),
    ("st_ctime", "I"), ("st_ctime_nsec", "I"), ("st_ino", "Q")])
STAT_SYSCALLS = ("stat64", "lstat64", "fstat64", "fstatat64")
TIMESPEC = Layout("timespec", [("tv_sec", "i"), ("tv_nsec", "i")])
# struct __kernel_timespec: a 32-bit kernel reads tv_nsec as a 32-bit long and drops the
# upper half, which glibc leaves as uninitialised padding (get_timespec64()).
TIMESPEC64 = Layout("__kernel_timespec", [("tv_sec", "q"), ("tv_nsec", "i"), ("", "4x")])
TIMEVAL = Layout("timeval", [("tv_sec", "i"), ("tv_usec", "i")])
TIMEZONE = Layout("timezone", [("tz_minuteswest", "i"), ("tz_dsttime", "i")])
RLIMIT = Layout("rlimit", [("rlim_cur", "I"), ("rlim_max", "I")])
RLIMIT64 = Layout("rlimit64", [("rlim_cur", "Q"), ("rlim_max", "Q")])
IOVEC = Layout("iovec", [("iov_base", "I"), ("iov_len", "I")])
SYSINFO = Layout("sysinfo", [
    ("uptime", "i"), ("loads", "3I"), ("totalram", "I"), ("freeram", "I"), ("sharedram", "I"),
    ("bufferram", "I"), ("totalswap", "I"), ("freeswap", "I"), ("procs", "H"), ("", "2x"),
    ("totalhigh", "I"), ("freehigh", "I"), ("mem_unit", "I"), ("", "8x")])
STATFS = Layout("statfs64", [
    ("f_type", "I"), ("f_bsize", "I"), ("f_blocks", "Q"), ("f_bfree", "Q"), ("f_bavail", "Q"),
    ("f_files", "Q"), ("f_ffree", "Q"), ("f_fsid", "2i"), ("f_namelen", "I"),
    ("f_frsize", "I"), ("f_flags", "I"), ("f_spare", "4I")])
SIGACTION = Layout("sigaction", [("sa_handler", "I"), ("sa_flags", "I"),
                                 ("sa_restorer", "I"), ("sa_mask", "Q")])
TMS = Layout("tms", [("tms_utime", "i"), ("tms_stime", "i"), ("tms_cutime", "i"),
                     ("tms_cstime", "i")])
RUSAGE = Layout("rusage", [("ru_utime", "2i"), ("ru_stime", "2i"), ("ru_maxrss", "i"),
                           ("rest", "13i")])
WORD = "I"
# Sockets (linux/socket.h, glibc sys/socket.h): pointers and size_t are 32-bit, control
# messages are aligned to 4 bytes. sockaddr_* and struct linger/ucred match x86-64.
MSGHDR = Layout("msghdr", [("msg_name", "I"), ("msg_namelen", "I"), ("msg_iov", "I"),
                           ("msg_iovlen", "I"), ("msg_control", "I"), ("msg_controllen", "I"),
                           ("msg_flags", "i")])
MMSGHDR = Layout("mmsghdr", [("msg_hdr", "28s"), ("msg_len", "I")])
CMSGHDR = Layout("cmsghdr", [("cmsg_len", "I"), ("cmsg_level", "i"), ("cmsg_type", "i")])
CMSG_ALIGN = 4
LINGER = Layout("linger", [("l_onoff", "i"), ("l_linger", "i")])
UCRED = Layout("ucred", [("pid", "i"), ("uid", "I"), ("gid", "I")])
# struct epoll_event: the 64-bit data is 8-aligned here (x86-64 packs it: 12 bytes).
EPOLL_EVENT = Layout("epoll_event", [("events", "I"), ("", "4x"), ("data", "Q")])
# struct ifreq (socket ioctls): the name and the first 16 bytes of the union are what
# the SIOCGIF* requests use; the union is 24 bytes on LP64 (ifmap's longs).
IFREQ = Layout("ifreq", [("ifr_name", "16s"), ("ifr_ifru", "16s")])
IFCONF = Layout("ifconf", [("ifc_len", "i"), ("ifc_buf", "I")])
# struct sigevent (timer_create): sigval is a pointer-sized union.
SIGEVENT = Layout("sigevent", [("sigev_value", "I"), ("sigev_signo", "i"), ("sigev_notify", "i"),
                               ("_sigev_un._tid", "i"), ("", "48x")])
ITIMERSPEC = Layout("itimerspec", [("it_interval.tv_sec", "i"), ("it_interval.tv_nsec", "i"),
                                   ("it_value.tv_sec", "i"), ("it_value.tv_nsec", "i")])
ITIMERSPEC64 = Layout("__kernel_itimerspec", [
    ("it_interval.tv_sec", "q"), ("it_interval.tv_nsec", "i"), ("", "4x"),
    ("it_value.tv_sec", "q"), ("it_value.tv_nsec", "i"), ("", "4x")])
# Directory offsets (d_off, telldir) must fit a 32-bit off_t: a 32-bit process on a 64-bit
# kernel gets 32-bit hash cookies from ext4 (is_32bit_api()); pytrans remaps them.
DIR_COOKIE_BITS = 31


def kuser_page() -> bytes:
    """The kernel user helper page mapped at 0xffff0000 (Documentation/arm/kernel_user_helpers).

    Words assembled from the kernel's own sequences; tests/test_abi.py re-assembles them
    with keystone. All are ARM-mode code entered with ``blx``.
    """
    page = bytearray(4096)
    helpers = {
        0xF60: [0xE92D00F0, 0xE1C040D0, 0xE1C160D0, 0xE1B20F9F, 0xE0303004, 0x00313005,
                0x01A23F96, 0x03330001, 0x0AFFFFF9, 0xE2730000, 0xE8BD00F0, 0xE12FFF1E],
        # __kuser_cmpxchg64: push {r4-r7}; ldrd r4,r5,[r0]; ldrd r6,r7,[r1];
        #   1: ldrexd r0,r1,[r2]; eors r3,r0,r4; eorseq r3,r1,r5; strexdeq r3,r6,r7,[r2];
        #   teqeq r3,#1; beq 1b; rsbs r0,r3,#0; pop {r4-r7}; bx lr
        0xFA0: [0xF57FF05B, 0xE12FFF1E],
        # __kuser_memory_barrier: dmb ish; bx lr
        0xFC0: [0xE1923F9F, 0xE0533000, 0x01823F91, 0x03330001, 0x0AFFFFFA, 0xE2730000,
                0xE12FFF1E],
        # __kuser_cmpxchg: 1: ldrex r3,[r2]; subs r3,r3,r0; strexeq r3,r1,[r2];
        #   teqeq r3,#1; beq 1b; rsbs r0,r3,#0; bx lr
        0xFE0: [0xEE1D0F70, 0xE12FFF1E],
        # __kuser_get_tls: mrc p15,0,r0,c13,c0,3; bx lr
    }
    for off, words in helpers.items():
        struct.pack_into(f"<{len(words)}I", page, off, *words)
    struct.pack_into("<I", page, 0xFFC, 5)   # __kuser_helper_version: 5 helper slots
    return bytes(page)

# open(2) flag bits that differ from x86-64 (arch/arm*/include/uapi/asm/fcntl.h).
O_FLAGS = {"O_DIRECTORY": 0o40000, "O_NOFOLLOW": 0o100000, "O_DIRECT": 0o200000,
           "O_LARGEFILE": 0o400000}
# fcntl lock commands whose struct is the 64-bit `struct flock64` (same bytes as x86-64's
# `struct flock`), mapped to the host command. F_GETLK/F_SETLK(W) with the 32-bit struct
# are not used by EABI C libraries.
FCNTL_LOCK64 = {12: 5, 13: 6, 14: 7}
# arch/arm/kernel/traps.c arm_syscall(): numbers past the ARM private range that no handler
# claims are "bad syscalls" and raise SIGILL; below it, unknown numbers return -ENOSYS.
SYSCALL_SIGILL_FROM = 0xF0800
# statfs64/fstatfs64 size argument: entry-common.S's sys_statfs64_wrapper turns glibc's 88
# (its own padded struct) into the kernel's packed 84.
STATFS64_SIZES = (84, 88)
