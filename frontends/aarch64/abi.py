"""Linux ABI facts for AArch64 guests (asm-generic syscall table, LP64 layouts)."""
from __future__ import annotations

from translator.linux.structs import Layout

from .syscall_numbers import NUMBERS

NAME = "aarch64"
BITS = 64
ELF_MACHINE = 183
UNAME_MACHINE = "aarch64"
PLATFORM = "aarch64"
CPU_NAME = "Cortex-A72"

# AT_HWCAP for a Cortex-A72 with the ARMv8.0 crypto extensions, as Unicorn's model has
# them (asm/hwcap.h). CPUID: ID registers can be read from EL0.
HWCAP_BITS = {"fp": 0, "asimd": 1, "aes": 3, "pmull": 4, "sha1": 5, "sha2": 6, "crc32": 7,
              "cpuid": 11}
HWCAP = sum(1 << b for b in HWCAP_BITS.values())
HWCAP2 = 0

# A 1 TiB window (a reserved_va, as qemu has for 32-bit guests): plenty for user programs,
# and every guest address stays base + addr for all backends.
ADDRESS_SPACE = 1 << 40
STACK_TOP = ADDRESS_SPACE - (1 << 30)
STACK_SIZE = 8 << 20
MMAP_TOP = STACK_TOP - STACK_SIZE - (128 << 20)
PIE_BASE = 0x5500000000
INTERP_BASE = None
KUSER_PAGE = None

SYSCALL_NR_REG = "x8"
SYSCALL_ARG_REGS = ("x0", "x1", "x2", "x3", "x4", "x5")
SYSCALL_RET_REG = "x0"
SYSCALL_ARGS: dict[str, tuple] = {}
SYSCALL_ALIASES = {"fstat": "fstat64", "newfstatat": "fstatat64"}
SYSCALL_EXCLUDE: frozenset[str] = frozenset()
# clone(2) argument order: ARM and arm64 select CONFIG_CLONE_BACKWARDS, so the kernel's
# clone is (flags, newsp, parent_tidptr, tls, child_tidptr) - tls before child_tid.
CLONE_ARGS = ("flags", "newsp", "parent_tid", "tls", "child_tid")
SYSCALLS = NUMBERS

STAT = Layout("stat", [
    ("st_dev", "Q"), ("st_ino", "Q"), ("st_mode", "I"), ("st_nlink", "I"), ("st_uid", "I"),
    ("st_gid", "I"), ("st_rdev", "Q"), ("", "8x"), ("st_size", "q"), ("st_blksize", "i"),
    ("", "4x"), ("st_blocks", "q"), ("st_atime", "q"), ("st_atime_nsec", "Q"),
    ("st_mtime", "q"), ("st_mtime_nsec", "Q"), ("st_ctime", "q"), ("st_ctime_nsec", "Q"),
    ("", "8x")])
STAT_SYSCALLS = ("fstat", "newfstatat")
TIMESPEC = Layout("timespec", [("tv_sec", "q"), ("tv_nsec", "q")])
TIMESPEC64 = TIMESPEC
TIMEVAL = Layout("timeval", [("tv_sec", "q"), ("tv_usec", "q")])
TIMEZONE = Layout("timezone", [("tz_minuteswest", "i"), ("tz_dsttime", "i")])
RLIMIT = Layout("rlimit", [("rlim_cur", "Q"), ("rlim_max", "Q")])
RLIMIT64 = RLIMIT
IOVEC = Layout("iovec", [("iov_base", "Q"), ("iov_len", "Q")])
SYSINFO = Layout("sysinfo", [
    ("uptime", "q"), ("loads", "3Q"), ("totalram", "Q"), ("freeram", "Q"), ("sharedram", "Q"),
    ("bufferram", "Q"), ("totalswap", "Q"), ("freeswap", "Q"), ("procs", "H"), ("", "6x"),
    ("totalhigh", "Q"), ("freehigh", "Q"), ("mem_unit", "I"), ("", "4x")])
STATFS = Layout("statfs", [
    ("f_type", "q"), ("f_bsize", "q"), ("f_blocks", "Q"), ("f_bfree", "Q"), ("f_bavail", "Q"),
    ("f_files", "Q"), ("f_ffree", "Q"), ("f_fsid", "2i"), ("f_namelen", "q"),
    ("f_frsize", "q"), ("f_flags", "q"), ("f_spare", "4q")])
SIGACTION = Layout("sigaction", [("sa_handler", "Q"), ("sa_flags", "Q"),
                                 ("sa_restorer", "Q"), ("sa_mask", "Q")])
TMS = Layout("tms", [("tms_utime", "q"), ("tms_stime", "q"), ("tms_cutime", "q"),
                     ("tms_cstime", "q")])
RUSAGE = Layout("rusage", [("ru_utime", "2q"), ("ru_stime", "2q"), ("ru_maxrss", "q"),
                           ("rest", "13q")])
WORD = "Q"
# Sockets: LP64 layouts, the same bytes as x86-64's (control messages aligned to 8).
MSGHDR = Layout("msghdr", [("msg_name", "Q"), ("msg_namelen", "I"), ("", "4x"),
                           ("msg_iov", "Q"), ("msg_iovlen", "Q"), ("msg_control", "Q"),
                           ("msg_controllen", "Q"), ("msg_flags", "i"), ("", "4x")])
MMSGHDR = Layout("mmsghdr", [("msg_hdr", "56s"), ("msg_len", "I"), ("", "4x")])
CMSGHDR = Layout("cmsghdr", [("cmsg_len", "Q"), ("cmsg_level", "i"), ("cmsg_type", "i")])
CMSG_ALIGN = 8
LINGER = Layout("linger", [("l_onoff", "i"), ("l_linger", "i")])
UCRED = Layout("ucred", [("pid", "i"), ("uid", "I"), ("gid", "I")])
# struct epoll_event: the 64-bit data is 8-aligned here (x86-64 packs it: 12 bytes).
EPOLL_EVENT = Layout("epoll_event", [("events", "I"), ("", "4x"), ("data", "Q")])
# struct ifreq (socket ioctls): the name and the first 16 bytes of the union are what
# the SIOCGIF* requests use; the union is 24 bytes on LP64 (ifmap's longs).
IFREQ = Layout("ifreq", [("ifr_name", "16s"), ("ifr_ifru", "16s"), ("", "8x")])
IFCONF = Layout("ifconf", [("ifc_len", "i"), ("", "4x"), ("ifc_buf", "Q")])
# struct sigevent (timer_create): sigval is a pointer-sized union.
SIGEVENT = Layout("sigevent", [("sigev_value", "Q"), ("sigev_signo", "i"), ("sigev_notify", "i"),
                               ("_sigev_un._tid", "i"), ("", "44x")])
ITIMERSPEC = Layout("itimerspec", [("it_interval.tv_sec", "q"), ("it_interval.tv_nsec", "q"),
                                   ("it_value.tv_sec", "q"), ("it_value.tv_nsec", "q")])
ITIMERSPEC64 = ITIMERSPEC
DIR_COOKIE_BITS = None          # 64-bit d_off: host directory offsets pass unchanged

# open(2) flag bits that differ from x86-64 (arch/arm*/include/uapi/asm/fcntl.h).
O_FLAGS = {"O_DIRECTORY": 0o40000, "O_NOFOLLOW": 0o100000, "O_DIRECT": 0o200000,
           "O_LARGEFILE": 0o400000}
# fcntl lock commands: AArch64's `struct flock` has the x86-64 layout.
FCNTL_LOCK64 = {5: 5, 6: 6, 7: 7}
SYSCALL_SIGILL_FROM = None      # every unknown number returns -ENOSYS
STATFS64_SIZES = ()             # AArch64 has plain statfs/fstatfs only
