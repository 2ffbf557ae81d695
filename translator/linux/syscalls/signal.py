"""Signal syscalls. Dispositions and masks are recorded; delivery to guest handlers is a
later step, so signals sent to self take their default action (or are ignored)."""
from __future__ import annotations

import errno
import os

from ...memory import PROT_WRITE
from .. import signals as sigs
from ..kernel import Kernel

SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK = 0, 1, 2
UNBLOCKABLE = (1 << (sigs.SIGKILL - 1)) | (1 << (sigs.SIGSTOP - 1))


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
                             new["sa_mask"])
    return 0


def sys_rt_sigprocmask(k: Kernel, how: int, nset: int, oset: int, sigsetsize: int) -> int:
    if sigsetsize != 8:
        return -errno.EINVAL
    old = k.sigmask
    if nset:
        s = k.mem.read_u64(nset)
        if how == SIG_BLOCK:
            k.sigmask |= s
        elif how == SIG_UNBLOCK:
            k.sigmask &= ~s
        elif how == SIG_SETMASK:
            k.sigmask = s
        else:
            return -errno.EINVAL
        k.sigmask &= ~UNBLOCKABLE
    if oset:
        k.mem.write_u64(oset, old)
    if k.sigpending & ~k.sigmask:
        k.deliver_pending()
    return 0


def sys_sigaltstack(k: Kernel, ss: int, old: int) -> int:
    size = len(_disabled_stack(k))
    if old:
        k.mem.write(old, getattr(k, "altstack", None) or _disabled_stack(k))
    if ss:
        k.altstack = k.mem.read(ss, size)
    return 0


def _disabled_stack(k: Kernel) -> bytes:
    """stack_t {sp, flags=SS_DISABLE, size} in the guest's layout."""
    if k.abi.BITS == 32:
        return (0).to_bytes(4, "little") + (2).to_bytes(4, "little") + bytes(4)
    return bytes(8) + (2).to_bytes(4, "little") + bytes(4) + bytes(8)


def _to_self(k: Kernel, pid: int) -> bool:
    return pid in (0, -1, k.pid)


def sys_kill(k: Kernel, pid: int, sig: int) -> int:
    pid = k.s32(pid)
    if not 0 <= sig <= sigs.NSIG:
        return -errno.EINVAL
    if _to_self(k, pid) or pid == -os.getpgrp():
        k.raise_signal(sig)
        return 0
    os.kill(pid, sig)
    return 0


def sys_tgkill(k: Kernel, tgid: int, tid: int, sig: int) -> int:
    if not 0 <= sig <= sigs.NSIG:
        return -errno.EINVAL
    if k.s32(tgid) == k.pid and k.s32(tid) == k.pid:
        k.raise_signal(sig)
        return 0
    return -errno.ESRCH


def sys_tkill(k: Kernel, tid: int, sig: int) -> int:
    return sys_tgkill(k, k.pid, tid, sig)


HANDLERS = {
    "rt_sigaction": sys_rt_sigaction, "rt_sigprocmask": sys_rt_sigprocmask,
    "sigaltstack": sys_sigaltstack, "kill": sys_kill, "tgkill": sys_tgkill, "tkill": sys_tkill,
}
