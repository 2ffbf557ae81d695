"""Signal syscalls: dispositions, masks, the alternate stack, sending, waiting, returning
from handlers, and the ITIMER_REAL timer behind alarm/setitimer. Delivery itself is in
``translator.linux.sigdeliver``."""
from __future__ import annotations

import errno
import os
import signal as host_signal
import struct
import time

from ...memory import PROT_WRITE
from .. import signals as sigs
from .. import sigdeliver as sd
from ..host import hsys
from ..kernel import Kernel
from ..sigdeliver import SigInfo, SyscallInterrupted

SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
UNBLOCKABLE = sd.UNBLOCKABLE
ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF = 0, 1, 2


def sys_rt_sigaction(k: Kernel, sig: int, act: int, oact: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        return -errno.EINVAL
    if not 1 <= sig <= sigs.NSIG:
        return -errno.EINVAL
    lay = k.abi.SIGACTION
    if act and sig in (sigs.SIGKILL, sigs.SIGSTOP):
        return -errno.EINVAL
    new = lay.unpack(k.mem.read(act, lay.size)) if act else None
    if oact:
        k.mem.check(oact, lay.size, PROT_WRITE)
        h, f, r, m = k.sigactions.get(sig, (sigs.SIG_DFL, 0, 0, 0))
        k.mem.write(oact, lay.pack(sa_handler=h, sa_flags=f, sa_restorer=r, sa_mask=m))
    if new is not None:
        k.sigactions[sig] = (new["sa_handler"], new["sa_flags"], new["sa_restorer"],
                             new["sa_mask"] & ~UNBLOCKABLE)
        if sd.is_ignored(k, sig):
            # Setting SIG_IGN (or SIG_DFL for an ignore-by-default signal) discards it, in
            # every thread and the process's shared set.
            group = k.threads
            states = [k.sig] if group is None else \
                [t.sig for t in list(group.threads.values())] + [group.shared]
            for st in states:
                with st.lock:
                    st.pending &= ~sd.bit(sig)
                    st.infos.pop(sig, None)
    return 0


def _set_mask(k: Kernel, how: int, s: int) -> int:
    if how == SIG_BLOCK:
        k.sig.mask |= s
    elif how == SIG_UNBLOCK:
        k.sig.mask &= ~s
    elif how == SIG_SETMASK:
        k.sig.mask = s
    else:
        return -errno.EINVAL
    k.sig.mask &= ~UNBLOCKABLE
    return 0


def sys_rt_sigprocmask(k: Kernel, how: int, nset: int, oset: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        return -errno.EINVAL
    old = k.sig.mask
    if nset:
        err = _set_mask(k, how, k.mem.read_u64(nset))
        if err:
            return err
    if oset:
        k.mem.write_u64(oset, old)
    return 0    # newly unblocked pending signals are delivered as the syscall returns


def sys_rt_sigpending(k: Kernel, out: int, sigsetsize: int) -> int:
    if sigsetsize > 8:
        return -errno.EINVAL
    k.mem.write(out, (sd.pending_set(k) & k.sig.mask).to_bytes(8, "little")[:sigsetsize])
    return 0


def sys_sigpending(k: Kernel, out: int) -> int:
    k.mem.write_u32(out, sd.pending_set(k) & k.sig.mask & 0xFFFFFFFF)
    return 0


def _wait_for_signal(k: Kernel) -> None:
    """Sleep until a signal for a handler (or a default action) is ready, then end the call
    with SyscallInterrupted (the gate turns it into EINTR or a restart)."""
    st = k.sig
    while not st.ready():
        st.wakeup.clear()
        if st.ready():
            break
        st.wakeup.wait(3600)
    raise SyscallInterrupted


def sys_rt_sigsuspend(k: Kernel, mask: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        return -errno.EINVAL
    new = k.mem.read_u64(mask) & ~UNBLOCKABLE
    k.sig.saved_mask, k.sig.mask = k.sig.mask, new
    # Ends with SyscallInterrupted once a signal is ready: the gate turns it into
    # -ERESTARTNOHAND (EINTR after the handler; the frame saves the original mask).
    _wait_for_signal(k)
    return 0


def sys_pause(k: Kernel) -> int:
    _wait_for_signal(k)
    return 0


def sys_rt_sigtimedwait(k: Kernel, uthese: int, uinfo: int, uts: int, sigsetsize: int) -> int:
    return _sigtimedwait(k, uthese, uinfo, uts, sigsetsize, k.abi.TIMESPEC)


def sys_rt_sigtimedwait_time64(k: Kernel, uthese: int, uinfo: int, uts: int,
                               sigsetsize: int) -> int:
    return _sigtimedwait(k, uthese, uinfo, uts, sigsetsize, k.abi.TIMESPEC64)


def _sigtimedwait(k: Kernel, uthese: int, uinfo: int, uts: int, sigsetsize: int, lay) -> int:
    if sigsetsize != 8:
        return -errno.EINVAL
    these = k.mem.read_u64(uthese) & ~UNBLOCKABLE
    timeout = None
    if uts:
        ts = lay.unpack(k.mem.read(uts, lay.size))
        if ts["tv_nsec"] < 0 or ts["tv_nsec"] >= 1_000_000_000 or ts["tv_sec"] < 0:
            return -errno.EINVAL
        timeout = ts["tv_sec"] + ts["tv_nsec"] / 1e9
    st = k.sig
    # The awaited signals are taken here, not delivered; another signal ready for a handler
    # ends the wait with EINTR (SyscallInterrupted). While waiting, process-directed
    # signals in ``these`` are routed to this thread as if unblocked (the kernel's
    # real_blocked), and ones every thread blocked are taken from the shared set.
    deadline = None if timeout is None else time.monotonic() + timeout
    group = k.threads
    st.waiting = these
    try:
        if group is not None:
            group.take_shared(st, these)
        while not st.pending & these:
            if st.ready():
                raise SyscallInterrupted
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return -errno.EAGAIN
            st.wakeup.clear()
            if st.pending & these or st.ready():
                continue
            st.wakeup.wait(min(left, 3600) if left is not None else 3600)
    finally:
        st.waiting = 0
    ready = st.pending & these
    sig = (ready & -ready).bit_length()
    info = sd._dequeue(st, sig)
    if uinfo:
        k.mem.write(uinfo, sd.frame_module(k).pack_siginfo(info))
    return sig


def sys_rt_sigreturn(k: Kernel) -> int:
    return sd.sigreturn(k, rt=True)


def sys_sigreturn(k: Kernel) -> int:
    return sd.sigreturn(k, rt=False)


def _stack_t(k: Kernel) -> tuple[str, int]:
    """struct.pack format of stack_t {void *ss_sp; int ss_flags; size_t ss_size}."""
    # ss_flags read unsigned: SS_AUTODISARM is bit 31.
    return ("<III", 12) if k.abi.BITS == 32 else ("<QIIQ", 24)


def sys_sigaltstack(k: Kernel, ss: int, old: int) -> int:
    st = k.sig
    fmt, size = _stack_t(k)
    sp = sd.frame_module(k).sp_of(k.cpu.get_context()) if k.cpu is not None else 0
    on = st.on_alt_stack(sp)
    new = None
    if ss:
        vals = struct.unpack(fmt, k.mem.read(ss, size))
        new = (vals[0], vals[1], vals[-1])
    if old:
        flags = sd.SS_ONSTACK if on else (st.alt_flags if st.alt_flags == sd.SS_DISABLE else 0)
        flags |= st.alt_flags & sd.SS_AUTODISARM
        vals = (st.alt_sp, flags, st.alt_size) if k.abi.BITS == 32 else \
            (st.alt_sp, flags, 0, st.alt_size)
        k.mem.check(old, size, PROT_WRITE)
        if new is None:
            k.mem.write(old, struct.pack(fmt, *vals))
        else:
            old_bytes = struct.pack(fmt, *vals)
    if new is not None:
        if on:
            return -errno.EPERM
        ss_sp, flags, ss_size = new
        mode = flags & ~sd.SS_AUTODISARM
        if mode not in (0, sd.SS_DISABLE, sd.SS_ONSTACK):
            return -errno.EINVAL
        if mode == sd.SS_DISABLE:
            st.alt_sp, st.alt_size, st.alt_flags = 0, 0, sd.SS_DISABLE
        else:
            if ss_size < sd.MINSIGSTKSZ[k.abi.BITS]:
                return -errno.ENOMEM
            st.alt_sp, st.alt_size, st.alt_flags = ss_sp, ss_size, flags & sd.SS_AUTODISARM
        if old:
            k.mem.write(old, old_bytes)
    return 0


def _info_from(k: Kernel, sig: int, code: int) -> SigInfo:
    return SigInfo(sig, code=code, pid=k.pid, uid=os.getuid())


def sys_kill(k: Kernel, pid: int, sig: int) -> int:
    pid = k.s32(pid)
    if not 0 <= sig <= sigs.NSIG:
        return -errno.EINVAL
    if pid in (0, -1, k.pid) or pid == -os.getpgrp():
        # Process group / everyone: only this process gets it (sending to the host's group
        # would reach whatever runs pytrans too).
        if sig:
            sd.post(k, _info_from(k, sig, sd.SI_USER), wake=False)
        return 0
    os.kill(pid, sig)    # another process (another pytrans is just a host pid)
    return 0


def _send_to_thread(k: Kernel, tid: int, sig: int) -> int | None:
    """A thread-directed signal to guest thread ``tid`` of this process (SI_TKILL, as
    tgkill/tkill send it); None when ``tid`` is not one of ours."""
    group = k.threads
    if group is None:
        if tid != k.pid:
            return None
        if sig:
            sd.post(k, _info_from(k, sig, sd.SI_TKILL), wake=False)
        return 0
    t = group.threads.get(tid)
    if t is None or t.exiting:
        return None
    if sig:
        sd.post(k, _info_from(k, sig, sd.SI_TKILL), wake=False, thread=t)
    return 0


def sys_tgkill(k: Kernel, tgid: int, tid: int, sig: int) -> int:
    if not 0 <= sig <= sigs.NSIG:
        return -errno.EINVAL
    tgid, tid = k.s32(tgid), k.s32(tid)
    if tgid <= 0 or tid <= 0:
        return -errno.EINVAL
    if tgid == k.pid:
        res = _send_to_thread(k, tid, sig)
        return -errno.ESRCH if res is None else res
    if tgid == tid:
        os.kill(tid, sig)    # the main thread of another process (its forwarder takes it)
        return 0
    return hsys("tgkill", tgid, tid, sig)   # a thread of another process


def sys_tkill(k: Kernel, tid: int, sig: int) -> int:
    if not 0 <= sig <= sigs.NSIG:
        return -errno.EINVAL
    tid = k.s32(tid)
    if tid <= 0:
        return -errno.EINVAL
    res = _send_to_thread(k, tid, sig)
    if res is not None:
        return res
    return sys_tgkill(k, tid, tid, sig)


def _queued_info(k: Kernel, sig: int, uinfo: int) -> SigInfo | None:
    """The siginfo sigqueue passes in (None: a code the caller may not forge)."""
    raw = k.mem.read(uinfo, 128)
    code = struct.unpack_from("<i", raw, 8)[0]
    if code >= 0 or code == sd.SI_TKILL:
        return None              # only negative (user) codes may be forged
    off = 12 if k.abi.BITS == 32 else 16
    pid, uid = struct.unpack_from("<iI", raw, off)
    value = struct.unpack_from("<I" if k.abi.BITS == 32 else "<Q", raw, off + 8)[0]
    return SigInfo(sig, code=code, pid=pid, uid=uid, value=value)


def sys_rt_sigqueueinfo(k: Kernel, tgid: int, sig: int, uinfo: int) -> int:
    if not 0 < sig <= sigs.NSIG:
        return -errno.EINVAL
    if k.s32(tgid) != k.pid:
        return -errno.EPERM
    info = _queued_info(k, sig, uinfo)
    if info is None:
        return -errno.EPERM
    sd.post(k, info, wake=False)
    return 0


def sys_rt_tgsigqueueinfo(k: Kernel, tgid: int, tid: int, sig: int, uinfo: int) -> int:
    """pthread_sigqueue: a queued signal with a value for one thread of this process."""
    if not 0 < sig <= sigs.NSIG:
        return -errno.EINVAL
    tgid, tid = k.s32(tgid), k.s32(tid)
    if tgid <= 0 or tid <= 0:
        return -errno.EINVAL
    if tgid != k.pid:
        return -errno.EPERM
    group = k.threads
    t = None if group is None else group.threads.get(tid)
    if (t is None or t.exiting) and not (group is None and tid == k.pid):
        return -errno.ESRCH
    info = _queued_info(k, sig, uinfo)
    if info is None:
        return -errno.EPERM
    sd.post(k, info, wake=False, thread=t)
    return 0


# ---- ITIMER_REAL: the host's own timer; its SIGALRM reaches the guest via the forwarder --
def _forwarding(k: Kernel) -> bool:
    if k.wake_hook is None:
        k.warn_once("itimer", "alarm/setitimer need host signal forwarding (pytrans run); "
                    "returning -ENOSYS")
        return False
    return True


def sys_alarm(k: Kernel, seconds: int) -> int:
    if not _forwarding(k):
        return -errno.ENOSYS
    return host_signal.alarm(seconds)


def _itimerval(k: Kernel, addr: int) -> tuple[float, float]:
    lay = k.abi.TIMEVAL
    raw = k.mem.read(addr, 2 * lay.size)
    iv, val = lay.unpack(raw[:lay.size]), lay.unpack(raw[lay.size:])
    for tv in (iv, val):
        if not 0 <= tv["tv_usec"] < 1_000_000 or tv["tv_sec"] < 0:
            raise ValueError
    return (val["tv_sec"] + val["tv_usec"] / 1e6, iv["tv_sec"] + iv["tv_usec"] / 1e6)


def _put_itimerval(k: Kernel, addr: int, value: float, interval: float) -> None:
    lay = k.abi.TIMEVAL

    def tv(x: float) -> bytes:
        us = round(x * 1e6)
        return lay.pack(tv_sec=us // 1_000_000, tv_usec=us % 1_000_000)
    k.mem.write(addr, tv(interval) + tv(value))


def sys_setitimer(k: Kernel, which: int, new: int, old: int) -> int:
    if which != ITIMER_REAL:
        k.warn_once(f"itimer{which}", f"setitimer({which}) is not supported")
        return -errno.EINVAL if which > ITIMER_PROF else -errno.ENOSYS
    if not _forwarding(k):
        return -errno.ENOSYS
    if new:
        try:
            value, interval = _itimerval(k, new)
        except ValueError:
            return -errno.EINVAL
        prev = host_signal.setitimer(host_signal.ITIMER_REAL, value, interval)
    else:
        prev = host_signal.getitimer(host_signal.ITIMER_REAL)
    if old:
        _put_itimerval(k, old, *prev)
    return 0


def sys_getitimer(k: Kernel, which: int, out: int) -> int:
    if which != ITIMER_REAL:
        return -errno.EINVAL if which > ITIMER_PROF else -errno.ENOSYS
    _put_itimerval(k, out, *host_signal.getitimer(host_signal.ITIMER_REAL))
    return 0


HANDLERS = {
    "rt_sigaction": sys_rt_sigaction, "rt_sigprocmask": sys_rt_sigprocmask,
    "rt_sigpending": sys_rt_sigpending, "sigpending": sys_sigpending,
    "rt_sigsuspend": sys_rt_sigsuspend, "pause": sys_pause,
    "rt_sigtimedwait": sys_rt_sigtimedwait, "rt_sigtimedwait_time64": sys_rt_sigtimedwait_time64,
    "rt_sigreturn": sys_rt_sigreturn, "sigreturn": sys_sigreturn,
    "sigaltstack": sys_sigaltstack, "kill": sys_kill, "tgkill": sys_tgkill, "tkill": sys_tkill,
    "rt_sigqueueinfo": sys_rt_sigqueueinfo, "rt_tgsigqueueinfo": sys_rt_tgsigqueueinfo,
    "alarm": sys_alarm, "setitimer": sys_setitimer, "getitimer": sys_getitimer,
}
