"""Process identity, limits and system information syscalls."""
from __future__ import annotations

import ctypes
import errno
import os
import resource
import struct
import sys

from frontends.aarch64.abi import SYSINFO as HOST_SYSINFO   # x86-64 has the same LP64 layout

from ...memory import PAGE_SIZE, PROT_READ, PROT_WRITE, GuestFault
from .. import threads
from ..host import hsys
from ..kernel import GuestExit, Kernel

RLIM64_INFINITY = (1 << 64) - 1


def sys_exit(k: Kernel, status: int) -> int:
    # Ends the calling thread; the last thread leaving ends the process.
    if k.threads is not None:
        k.threads.exit_thread(status & 0xFF)
    vfork_child_exits(k)
    raise GuestExit(status & 0xFF)


def sys_exit_group(k: Kernel, status: int) -> int:
    vfork_child_exits(k)
    raise GuestExit(status & 0xFF)


def sys_getpid(k: Kernel) -> int:
    return k.pid


def sys_gettid(k: Kernel) -> int:
    t = threads.current() if k.threads is not None else None
    return t.tid if t is not None and t.group is k.threads else k.pid


def sys_getppid(k: Kernel) -> int:
    return os.getppid()


def sys_getuid(k: Kernel) -> int:
    return os.getuid()


def sys_geteuid(k: Kernel) -> int:
    return os.geteuid()


def sys_getgid(k: Kernel) -> int:
    return os.getgid()


def sys_getegid(k: Kernel) -> int:
    return os.getegid()


def _write_ids(k: Kernel, addrs: tuple[int, int, int], ids: tuple[int, int, int]) -> int:
    for a, v in zip(addrs, ids):
        k.mem.write_u32(a, v)
    return 0


def sys_getresuid(k: Kernel, r: int, e: int, s: int) -> int:
    return _write_ids(k, (r, e, s), os.getresuid())


def sys_getresgid(k: Kernel, r: int, e: int, s: int) -> int:
    return _write_ids(k, (r, e, s), os.getresgid())


def sys_getgroups(k: Kernel, size: int, lst: int) -> int:
    groups = os.getgroups()
    size = k.s32(size)
    if size == 0:
        return len(groups)
    if size < len(groups):
        return -errno.EINVAL
    k.mem.write(lst, b"".join(g.to_bytes(4, "little") for g in groups))
    return len(groups)


def sys_setuid(k: Kernel, uid: int) -> int:
    return 0 if k.s32(uid) == os.getuid() else -errno.EPERM


def sys_setgid(k: Kernel, gid: int) -> int:
    return 0 if k.s32(gid) == os.getgid() else -errno.EPERM


def sys_set_tid_address(k: Kernel, tidptr: int) -> int:
    t = threads.current() if k.threads is not None else None
    if t is not None and t.group is k.threads:
        t.clear_tid = tidptr
        return t.tid
    k.tid_address = tidptr
    return k.pid


def sys_set_robust_list(k: Kernel, head: int, length: int) -> int:
    return 0


def sys_rseq(k: Kernel, rseq: int, length: int, flags: int, sig: int) -> int:
    # glibc registers rseq when available; -ENOSYS makes it fall back cleanly.
    return -errno.ENOSYS


def sys_set_tls(k: Kernel, value: int) -> int:
    k.cpu.set_tls(value)
    return 0


def sys_get_tls(k: Kernel) -> int:
    return k.cpu.get_tls()


def sys_breakpoint(k: Kernel) -> int:
    k.raise_signal(5, pc=k.cpu.read_reg("pc"), reason="breakpoint")
    return 0


def _rlimit_get(k: Kernel, res: int) -> tuple[int, int]:
    if res == resource.RLIMIT_STACK:
        return k.abi.STACK_SIZE, RLIM64_INFINITY
    soft, hard = resource.getrlimit(res)
    conv = lambda v: RLIM64_INFINITY if v == resource.RLIM_INFINITY else v  # noqa: E731
    return conv(soft), conv(hard)


def sys_prlimit64(k: Kernel, pid: int, res: int, new: int, old: int) -> int:
    if k.s32(pid) not in (0, k.pid):
        return -errno.ESRCH
    if res >= 16:
        return -errno.EINVAL
    if old:
        k.mem.check(old, 16, PROT_WRITE)
        cur, mx = _rlimit_get(k, res)
        k.mem.write(old, k.abi.RLIMIT64.pack(rlim_cur=cur, rlim_max=mx))
    if new:
        v = k.abi.RLIMIT64.unpack(k.mem.read(new, 16))
        conv = lambda x: resource.RLIM_INFINITY if x == RLIM64_INFINITY else x  # noqa: E731
        if res != resource.RLIMIT_STACK:
            resource.setrlimit(res, (conv(v["rlim_cur"]), conv(v["rlim_max"])))
    return 0


def sys_getrlimit(k: Kernel, res: int, out: int) -> int:
    if res >= 16:
        return -errno.EINVAL
    cur, mx = _rlimit_get(k, res)
    top = (1 << k.abi.BITS) - 1
    k.mem.write(out, k.abi.RLIMIT.pack(rlim_cur=min(cur, top), rlim_max=min(mx, top)))
    return 0


def sys_setrlimit(k: Kernel, res: int, new: int) -> int:
    if res >= 16:
        return -errno.EINVAL
    v = k.abi.RLIMIT.unpack(k.mem.read(new, k.abi.RLIMIT.size))
    top = (1 << k.abi.BITS) - 1
    conv = lambda x: resource.RLIM_INFINITY if x == top else x  # noqa: E731
    if res != resource.RLIMIT_STACK:
        resource.setrlimit(res, (conv(v["rlim_cur"]), conv(v["rlim_max"])))
    return 0


def _domainname() -> str:
    """The host's NIS domain name, utsname's last field as the kernel fills it ("(none)" unless
    set): not the DNS domain, whose lookup could block on the network."""
    try:
        with open("/proc/sys/kernel/domainname") as f:
            return f.read().strip() or "(none)"
    except OSError:
        return "(none)"


def sys_uname(k: Kernel, buf: int) -> int:
    u = os.uname()
    fields = [u.sysname, u.nodename, u.release, u.version, k.abi.UNAME_MACHINE,
              _domainname()]
    data = b"".join(f.encode()[:64].ljust(65, b"\0") for f in fields)
    k.mem.write(buf, data)
    return 0


def sys_sysinfo(k: Kernel, buf: int) -> int:
    raw = ctypes.create_string_buffer(112)
    res = hsys("sysinfo", ctypes.addressof(raw))
    if res < 0:
        return res
    v = HOST_SYSINFO.unpack(raw.raw)
    lay = k.abi.SYSINFO
    if k.abi.BITS == 32:
        # Like the kernel's compat path: scale sizes by mem_unit until they fit 32 bits.
        mem_keys = ("totalram", "freeram", "sharedram", "bufferram", "totalswap", "freeswap",
                    "totalhigh", "freehigh")
        unit = v["mem_unit"] or 1
        shift = 0
        while max(v[key] for key in mem_keys) >> shift >= 1 << 32:
            shift += 1
        for key in mem_keys:
            v[key] >>= shift
        v["mem_unit"] = unit << shift
        v["loads"] = tuple(x & 0xFFFFFFFF for x in v["loads"])
    k.mem.write(buf, lay.pack(**{n: v[n] for n in lay.names if n in v}))
    return 0


def sys_getrandom(k: Kernel, buf: int, count: int, flags: int) -> int:
    count = min(count, 1 << 25)
    data = os.getrandom(count, flags & 0x3)
    k.mem.write(buf, data)
    return len(data)


def sys_sched_getaffinity(k: Kernel, pid: int, size: int, mask: int) -> int:
    cpus = os.sched_getaffinity(0)
    nbytes = max((max(cpus) // 8) + 1, k.abi.BITS // 8)
    nbytes = (nbytes + k.abi.BITS // 8 - 1) // (k.abi.BITS // 8) * (k.abi.BITS // 8)
    if size < nbytes:
        return -errno.EINVAL
    bits = sum(1 << c for c in cpus)
    k.mem.write(mask, bits.to_bytes(nbytes, "little"))
    return nbytes


def sys_sched_yield(k: Kernel) -> int:
    if k.threads is not None:
        k.threads.preempt_point()      # waiting guest threads run first
    return 0


def sys_prctl(k: Kernel, option: int, a2: int, a3: int, a4: int, a5: int) -> int:
    PR_SET_NAME, PR_GET_NAME = 15, 16
    if option == PR_SET_NAME:
        k.comm = k.mem.read_cstring(a2)[:15]
        return 0
    if option == PR_GET_NAME:
        name = getattr(k, "comm", os.path.basename(k.exe_path).encode()[:15])
        k.mem.write(a2, name + b"\0")
        return 0
    if option in _PRCTL_HOST_INT:
        # Process attributes the host kernel keeps for the pytrans process, which is the
        # guest process: the parent-death signal, dumpable, no_new_privs, subreaper...
        return hsys("prctl", option, a2, a3, a4, a5)
    if option in _PRCTL_HOST_INT_OUT:
        k.mem.check(a2, 4, PROT_WRITE)
        return hsys("prctl", option, k.mem.base + a2, 0, 0, 0)
    return -errno.EINVAL


# PR_SET_PDEATHSIG, PR_GET_DUMPABLE, PR_SET_DUMPABLE, PR_GET_KEEPCAPS, PR_SET_KEEPCAPS,
# PR_CAPBSET_READ, PR_GET_TIMERSLACK, PR_SET_TIMERSLACK, PR_SET_CHILD_SUBREAPER,
# PR_SET_NO_NEW_PRIVS, PR_GET_NO_NEW_PRIVS: integers in, integer out.
_PRCTL_HOST_INT = frozenset({1, 3, 4, 7, 8, 23, 29, 30, 36, 38, 39})
# PR_GET_PDEATHSIG, PR_GET_CHILD_SUBREAPER: an int written through arg2.
_PRCTL_HOST_INT_OUT = frozenset({2, 37})


def sys_getpgid(k: Kernel, pid: int) -> int:
    return os.getpgid(k.s32(pid))


def sys_getpgrp(k: Kernel) -> int:
    return os.getpgrp()


def sys_getsid(k: Kernel, pid: int) -> int:
    return os.getsid(k.s32(pid))


def sys_getpriority(k: Kernel, which: int, who: int) -> int:
    return 20 - os.getpriority(which, who)


HANDLERS = {
    "exit": sys_exit, "exit_group": sys_exit_group, "getpid": sys_getpid, "gettid": sys_gettid,
    "getppid": sys_getppid, "getuid": sys_getuid, "geteuid": sys_geteuid,
    "getgid": sys_getgid, "getegid": sys_getegid, "getresuid": sys_getresuid,
    "getresgid": sys_getresgid, "getgroups": sys_getgroups, "setuid": sys_setuid,
    "setgid": sys_setgid, "set_tid_address": sys_set_tid_address,
    "set_robust_list": sys_set_robust_list, "rseq": sys_rseq, "set_tls": sys_set_tls,
    "get_tls": sys_get_tls, "breakpoint": sys_breakpoint, "prlimit64": sys_prlimit64,
    "getrlimit": sys_getrlimit, "setrlimit": sys_setrlimit, "uname": sys_uname,
    "sysinfo": sys_sysinfo, "getrandom": sys_getrandom,
    "sched_getaffinity": sys_sched_getaffinity, "sched_yield": sys_sched_yield,
    "prctl": sys_prctl, "getpgid": sys_getpgid, "getpgrp": sys_getpgrp, "getsid": sys_getsid,
    "getpriority": sys_getpriority,
}


# ---- children and resource usage ---------------------------------------------------------------
def _rusage_out(k: Kernel, addr: int, raw: bytes) -> None:
    """x86-64 struct rusage (LP64: two timevals then 14 longs) -> the guest's layout."""
    vals = struct.unpack("<18q", raw[:144])
    k.mem.write(addr, k.abi.RUSAGE.pack(ru_utime=vals[0:2], ru_stime=vals[2:4],
                                        ru_maxrss=vals[4], rest=vals[5:18]))


def sys_getrusage(k: Kernel, who: int, usage: int) -> int:
    raw = ctypes.create_string_buffer(144)
    res = hsys("getrusage", k.s32(who), ctypes.addressof(raw))
    if res == 0:
        _rusage_out(k, usage, raw.raw)
    return res


WNOHANG, WUNTRACED, WEXITED, WCONTINUED, WNOWAIT = 1, 2, 4, 8, 0x01000000
P_ALL, P_PID, P_PGID = 0, 1, 2
_WAIT_TYPE_BITS = 0xE0000000            # __WNOTHREAD, __WALL, __WCLONE


def _await_child(k: Kernel, idtype: int, id_: int, options: int) -> int:
    """Block until a child matching a wait is ready, without consuming it (WNOWAIT).

    A guest signal may cut a blocking wait short (the signal code raises out of the host
    call); that must never happen after a child was reaped, or its status would be lost.
    So waits block here without reaping, and the caller reaps with WNOHANG afterwards, no
    longer interruptible. Returns 0 or -errno."""
    info = ctypes.create_string_buffer(128)
    while True:
        res = hsys("waitid", idtype, id_, ctypes.addressof(info), options | WNOWAIT, None)
        if res != -errno.EINTR:
            k.interruptible = False     # from here on the wait completes
            return min(res, 0)


def _wait4_target(k: Kernel, pid: int) -> tuple[int, int]:
    if pid < -1:
        return P_PGID, -pid
    if pid == -1:
        return P_ALL, 0
    if pid == 0:
        return P_PGID, os.getpgrp()
    return P_PID, pid


def sys_wait4(k: Kernel, pid: int, status: int, options: int, rusage: int) -> int:
    pid = k.s32(pid)
    st = ctypes.c_int(0)
    ru = ctypes.create_string_buffer(144)
    while True:
        if not options & WNOHANG:
            idtype, id_ = _wait4_target(k, pid)
            wopts = (WEXITED | (options & (WUNTRACED | WCONTINUED | _WAIT_TYPE_BITS)))
            res = _await_child(k, idtype, id_, wopts)
            if res < 0:
                return res
        res = hsys("wait4", pid, ctypes.addressof(st), options | WNOHANG,
                   ctypes.addressof(ru) if rusage else None)
        if res != 0 or options & WNOHANG:
            break
        k.interruptible = True          # (the ready child went away: wait again)
    if res > 0:
        if status:
            k.mem.write_u32(status, st.value)
        if rusage:
            _rusage_out(k, rusage, ru.raw)
    return res


def sys_waitid(k: Kernel, idtype: int, id_: int, infop: int, options: int, rusage: int) -> int:
    info = ctypes.create_string_buffer(128)
    ru = ctypes.create_string_buffer(144)
    id_ = k.s32(id_)
    if idtype == P_PGID and id_ == 0:
        id_ = os.getpgrp()              # the caller's group (kernels before 5.4 lack it)
    if not options & (WNOHANG | WNOWAIT):
        res = _await_child(k, idtype, id_, options)
        if res < 0:
            return res
        options |= WNOHANG
    res = hsys("waitid", idtype, id_, ctypes.addressof(info), options,
               ctypes.addressof(ru) if rusage else None)
    if res < 0:
        return res
    if infop:
        signo, err, code, _pad, cpid, uid, status, _pad2, utime, stime = \
            struct.unpack_from("<iiiiiIiiqq", info.raw)
        if k.abi.BITS == 32:    # compat siginfo: clock_t is a 32-bit long
            out = struct.pack("<iiiiIiII", signo, err, code, cpid, uid, status,
                              utime & 0xFFFFFFFF, stime & 0xFFFFFFFF)
        else:
            out = info.raw[:48]
        k.mem.write(infop, out.ljust(128, b"\0"))
    if rusage:
        _rusage_out(k, rusage, ru.raw)
    return res


HANDLERS.update({"getrusage": sys_getrusage, "wait4": sys_wait4, "waitid": sys_waitid})


# ---- new processes: fork, vfork, clone without CLONE_VM ------------------------------------------
CSIGNAL = 0xFF
CLONE_VM, CLONE_FS, CLONE_FILES, CLONE_SIGHAND = 0x100, 0x200, 0x400, 0x800
CLONE_PIDFD, CLONE_PTRACE, CLONE_VFORK, CLONE_PARENT = 0x1000, 0x2000, 0x4000, 0x8000
CLONE_THREAD, CLONE_NEWNS, CLONE_SYSVSEM, CLONE_SETTLS = 0x10000, 0x20000, 0x40000, 0x80000
CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID = 0x100000, 0x200000
CLONE_DETACHED, CLONE_UNTRACED, CLONE_CHILD_SETTID = 0x400000, 0x800000, 0x1000000
# Flags a host fork() gives for free or that only matter to tracers / namespaces we lack.
_FORK_OK = (CSIGNAL | CLONE_VFORK | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID
            | CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_UNTRACED | CLONE_PTRACE | CLONE_SYSVSEM
            | 0x80000000)                                   # CLONE_IO
_NAMESPACES = CLONE_NEWNS | 0x7E000000                      # CLONE_NEWCGROUP .. CLONE_NEWNET


def _clone_thread(k: Kernel, flags: int, newsp: int, ptid: int, tls: int, ctid: int) -> int:
    """clone(CLONE_VM|CLONE_THREAD|...): a guest thread on a host thread (linux/threads.py)."""
    need = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND
    if flags & need != need:
        # CLONE_VM without a shared signal table (old LinuxThreads) is not emulated.
        k.warn_once(f"clone{flags:#x}", f"clone flags {flags:#x} are not supported: -EINVAL")
        return -errno.EINVAL
    if k.threads is None:
        k.threads = threads.ThreadGroup(k)
    return k.threads.clone(flags, newsp, ptid, tls, ctid)


def _fork(k: Kernel, flags: int, newsp: int = 0, ptid: int = 0, tls: int = 0,
          ctid: int = 0) -> int:
    """A new process as a host fork of the whole emulator.

    Guest memory is a private host mapping, so the child gets a copy-on-write copy (guest
    MAP_SHARED mappings stay shared); Unicorn and the JIT's code cache are plain process
    memory. The guest pid is the host pid. CLONE_VM without CLONE_THREAD is only used
    together with CLONE_VFORK (posix_spawn), where running the child on a copy is what
    qemu-user does too: the parent is suspended until the child execs or exits anyway.
    """
    if flags & CLONE_THREAD or (flags & CLONE_VM and not flags & CLONE_VFORK):
        return _clone_thread(k, flags, newsp, ptid, tls, ctid)
    if flags & _NAMESPACES:     # CLONE_NEW*: privileges and namespaces we do not emulate
        return -errno.EPERM
    if flags & ~(_FORK_OK | CLONE_VM):
        # Shared fd tables / fs info / parent between processes cannot be a host fork.
        k.warn_once(f"clone{flags:#x}", f"clone flags {flags:#x} are not supported: -EINVAL")
        return -errno.EINVAL
    exit_signal = flags & CSIGNAL
    if exit_signal not in (0, 17):
        # A host fork always reports SIGCHLD; other exit signals are rare (and qemu's too).
        k.warn_once("clone-exitsig", f"clone exit signal {exit_signal} reported as SIGCHLD")
    vfork_r = vfork_w = ack_r = ack_w = -1
    if flags & CLONE_VFORK:
        vfork_r, vfork_w = os.pipe2(os.O_CLOEXEC)
        if flags & CLONE_VM:
            ack_r, ack_w = os.pipe2(os.O_CLOEXEC)
    for stream in (sys.stdout, sys.stderr, k.strace, k.log):
        if stream is not None:
            try:
                stream.flush()      # nothing buffered may be written twice
            except (OSError, ValueError):
                pass
    # The signal watcher thread takes this lock; a fork while it holds it would leave the
    # child's copy locked for ever.
    lock = getattr(getattr(k, "sig", None), "lock", None)
    if lock is not None:
        lock.acquire()
    try:
        pid = os.fork()
    finally:
        if lock is not None:
            lock.release()
    if pid == 0:
        k.pid = os.getpid()
        _single_threaded_child(k)
        st = getattr(k, "sig", None)
        if st is not None:              # fork(2): the child starts with no pending signals
            st.pending = 0
            st.infos.clear()
        k.exec_in_place = True          # a forked child is ours to replace or end
        if k.vfork_done_fd >= 0:        # a vfork child's grandchild must not hold its parent
            os.close(k.vfork_done_fd)
        k.vfork_done_fd = vfork_w
        if vfork_r >= 0:
            os.close(vfork_r)
        global _vfork_share
        if _vfork_share is not None:
            os.close(_vfork_share[1])
        _vfork_share = None
        if ack_r >= 0:
            os.close(ack_w)
            _vfork_share = (vfork_w, ack_r)
        if newsp:
            k.cpu.write_reg("sp", newsp)
        if flags & CLONE_SETTLS:
            k.cpu.set_tls(tls)
        if flags & CLONE_CHILD_SETTID:
            _put_tid(k, ctid, k.pid)
        if flags & CLONE_CHILD_CLEARTID:
            k.tid_address = ctid
        return 0
    if flags & CLONE_PARENT_SETTID:
        _put_tid(k, ptid, pid)
    if vfork_w >= 0:
        os.close(vfork_w)
        try:
            while True:                     # EOF: the child exec'd or exited
                msg = os.read(vfork_r, 1)
                if not msg:
                    break
                if msg == b"M" and ack_w >= 0:
                    _copy_back_child_memory(k, pid)
                    os.write(ack_w, b"k")
        finally:
            os.close(vfork_r)
            if ack_w >= 0:
                os.close(ack_w)
    return pid


# A CLONE_VM|CLONE_VFORK child runs on a copy of its parent's memory; when it exits without
# exec'ing (posix_spawn reporting a failed exec in shared memory, a vfork child writing a
# variable), its parent takes the child's memory over, so it sees those writes as it would
# with a shared address space. (child -> parent pipe, parent -> child acknowledgement)
_vfork_share: tuple[int, int] | None = None


class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


_CHUNK = 1 << 20


def _copy_back_child_memory(k: Kernel, pid: int) -> None:
    """Copy the pages of the vfork child's private writable guest memory that differ from
    ours. Only pages present in the child (its /proc/PID/pagemap) are read, so the untouched
    pages of large mappings cost nothing and are never made real in the parent."""
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(_CHUNK)
    local = _Iovec(ctypes.addressof(buf), 0)
    try:
        pagemap = open(f"/proc/{pid}/pagemap", "rb")
    except OSError:
        return
    with pagemap:
        for v in list(k.mem.vmas):
            if not v.prot & PROT_WRITE or v.shared:
                continue
            first = (k.mem.base + v.start) // PAGE_SIZE
            pagemap.seek(first * 8)
            entries = memoryview(pagemap.read((v.end - v.start) // PAGE_SIZE * 8)).cast("Q")
            i = 0
            while i < len(entries):
                if not entries[i] >> 62:            # neither present nor swapped
                    i += 1
                    continue
                j = i
                while j < len(entries) and entries[j] >> 62 and j - i < _CHUNK // PAGE_SIZE:
                    j += 1
                _copy_back_run(libc, buf, local, pid, k.mem.base + v.start + i * PAGE_SIZE,
                               (j - i) * PAGE_SIZE)
                i = j


def _copy_back_run(libc, buf, local: _Iovec, pid: int, host: int, n: int) -> None:
    local.len = n
    remote = _Iovec(host, n)
    got = libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
    if got <= 0:
        return
    theirs = memoryview(buf)[:got]
    ours = ctypes.string_at(host, got)
    if theirs == ours:
        return
    for off in range(0, got, PAGE_SIZE):
        if theirs[off:off + PAGE_SIZE] != ours[off:off + PAGE_SIZE]:
            ctypes.memmove(host + off, ctypes.addressof(buf) + off, min(PAGE_SIZE, got - off))


def vfork_child_exits(k: Kernel) -> None:
    """A CLONE_VM vfork child is about to exit: let its parent copy its memory first."""
    global _vfork_share
    if _vfork_share is None:
        return
    done, ack = _vfork_share
    _vfork_share = None
    try:
        os.write(done, b"M")
        os.read(ack, 1)
    except OSError:
        pass


def _single_threaded_child(k: Kernel) -> None:
    """fork(2) copies only the calling thread: make the child an ordinary one-thread process.

    Forked from the main guest thread, the child simply forgets the other threads. Forked
    from another guest thread, the child's only host thread is that thread's worker, which
    never returns to Emulator.run: its CPU and signal state become the process's, and the
    group's end (exit_group, a fatal signal) ends the child process directly."""
    group = k.threads
    if group is None:
        return
    t = threads.current()
    k.threads = None
    if t is None or t is group.main:
        return
    k.__dict__["_main_cpu"] = t.cpu
    k.__dict__["_main_sig"] = t.sig
    k.wake_hook = None                  # it signalled the parent's main thread

    def end_child(end: GuestExit) -> None:
        from ...emulator import _end_forked_child, _termination
        _end_forked_child(_termination(end), k.log)
    group.terminate = end_child


def _put_tid(k: Kernel, addr: int, tid: int) -> None:
    if addr:
        try:
            k.mem.write_u32(addr, tid)
        except GuestFault:
            pass                # the kernel ignores a bad tid pointer here too


def sys_fork(k: Kernel) -> int:
    return _fork(k, 17)


def sys_vfork(k: Kernel) -> int:
    return _fork(k, CLONE_VM | CLONE_VFORK | 17)


def sys_clone(k: Kernel, a0: int, a1: int, a2: int, a3: int, a4: int) -> int:
    args = dict(zip(k.abi.CLONE_ARGS, (a0, a1, a2, a3, a4)))
    return _fork(k, args["flags"] & 0xFFFFFFFF, args["newsp"], args["parent_tid"],
                 args["tls"], args["child_tid"])


def sys_clone3(k: Kernel, uargs: int, size: int) -> int:
    # glibc (2.34+) tries clone3 first and falls back to clone on -ENOSYS.
    return -errno.ENOSYS


# ---- process groups and sessions ---------------------------------------------------------------
def sys_setpgid(k: Kernel, pid: int, pgid: int) -> int:
    return hsys("setpgid", k.s32(pid), k.s32(pgid))


def sys_setsid(k: Kernel) -> int:
    return hsys("setsid")


HANDLERS.update({"fork": sys_fork, "vfork": sys_vfork, "clone": sys_clone,
                 "clone3": sys_clone3, "setpgid": sys_setpgid, "setsid": sys_setsid})


# ---- priorities and capabilities (struct __user_cap_*: u32 fields, the same everywhere) -------
def sys_setpriority(k: Kernel, which: int, who: int, niceval: int) -> int:
    return hsys("setpriority", k.s32(which), k.s32(who), k.s32(niceval))


_CAP_V1, _CAP_V2, _CAP_V3 = 0x19980330, 0x20071026, 0x20080522


def _cap_data(k: Kernel, header: int, data: int, access: int) -> int | None:
    """Host address of the capability data array: one 12-byte struct for version 1, two
    for versions 2 and 3 (the kernel reads the header's version to know)."""
    if not data:
        return None
    version = k.mem.read_u32(header)
    count = 1 if version == _CAP_V1 else 2 if version in (_CAP_V2, _CAP_V3) else 0
    if count == 0:            # the kernel answers EINVAL (and writes its version) without
        return k.mem.base + data   # touching the data, which must still be non-NULL
    k.mem.check(data, 12 * count, access)
    return k.mem.base + data


def sys_capget(k: Kernel, header: int, data: int) -> int:
    k.mem.check(header, 8, PROT_WRITE)
    return hsys("capget", k.mem.base + header, _cap_data(k, header, data, PROT_WRITE))


def sys_capset(k: Kernel, header: int, data: int) -> int:
    k.mem.check(header, 8, PROT_WRITE)
    return hsys("capset", k.mem.base + header, _cap_data(k, header, data, PROT_READ))


HANDLERS.update({"setpriority": sys_setpriority, "capget": sys_capget, "capset": sys_capset})
