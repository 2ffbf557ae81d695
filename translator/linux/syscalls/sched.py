"""Scheduling and CPU calls: sched_* policies and priorities, affinity, getcpu, membarrier,
and the execution domain (personality). struct sched_param, struct sched_attr and CPU masks
have the same bytes on every architecture (a 32-bit guest's mask of 32-bit words is the
same bit string), so most of these pass straight to the host."""
from __future__ import annotations

import ctypes
import errno
import struct

from ...memory import PROT_READ, PROT_WRITE
from ..host import hsys
from ..kernel import Kernel
from .fs import hbuf

PER_LINUX = 0
_PER_QUERY = 0xFFFFFFFF


def sys_sched_getparam(k: Kernel, pid: int, param: int) -> int:
    return hsys("sched_getparam", k.s32(pid), hbuf(k, param, 4, PROT_WRITE))


def sys_sched_setparam(k: Kernel, pid: int, param: int) -> int:
    return hsys("sched_setparam", k.s32(pid), hbuf(k, param, 4, PROT_READ))


def sys_sched_getscheduler(k: Kernel, pid: int) -> int:
    return hsys("sched_getscheduler", k.s32(pid))


def sys_sched_setscheduler(k: Kernel, pid: int, policy: int, param: int) -> int:
    return hsys("sched_setscheduler", k.s32(pid), k.s32(policy), hbuf(k, param, 4, PROT_READ))


def sys_sched_get_priority_max(k: Kernel, policy: int) -> int:
    return hsys("sched_get_priority_max", k.s32(policy))


def sys_sched_get_priority_min(k: Kernel, policy: int) -> int:
    return hsys("sched_get_priority_min", k.s32(policy))


def sys_sched_setaffinity(k: Kernel, pid: int, size: int, mask: int) -> int:
    return hsys("sched_setaffinity", k.s32(pid), size, hbuf(k, mask, size, PROT_READ))


def sys_sched_getattr(k: Kernel, pid: int, attr: int, size: int, flags: int) -> int:
    return hsys("sched_getattr", k.s32(pid), hbuf(k, attr, size, PROT_WRITE), size, flags)


def sys_sched_setattr(k: Kernel, pid: int, attr: int, flags: int) -> int:
    size = k.mem.read_u32(attr)      # sched_attr.size, read by the kernel to size the copy
    return hsys("sched_setattr", k.s32(pid), hbuf(k, attr, max(size, 48), PROT_READ), flags)


def _rr_interval(k: Kernel, pid: int, tp: int, lay) -> int:
    out = ctypes.create_string_buffer(16)
    k.mem.check(tp, lay.size, PROT_WRITE)
    res = hsys("sched_rr_get_interval", k.s32(pid), ctypes.addressof(out))
    if res == 0:
        sec, nsec = struct.unpack("<qq", out.raw[:16])
        k.mem.write(tp, lay.pack(tv_sec=sec, tv_nsec=nsec))
    return res


def sys_sched_rr_get_interval(k: Kernel, pid: int, tp: int) -> int:
    return _rr_interval(k, pid, tp, k.abi.TIMESPEC)


def sys_sched_rr_get_interval_time64(k: Kernel, pid: int, tp: int) -> int:
    return _rr_interval(k, pid, tp, k.abi.TIMESPEC64)


def sys_getcpu(k: Kernel, cpu: int, node: int, cache: int) -> int:
    # The third argument is unused since Linux 2.6.24.
    return hsys("getcpu", hbuf(k, cpu, 4, PROT_WRITE) if cpu else None,
                hbuf(k, node, 4, PROT_WRITE) if node else None, None)


def sys_membarrier(k: Kernel, cmd: int, flags: int, cpu_id: int) -> int:
    # Guest threads are host threads of this process: the host's barrier covers them, and
    # MEMBARRIER_CMD_QUERY reports what the host kernel supports.
    return hsys("membarrier", k.s32(cmd), flags & 0xFFFFFFFF, k.s32(cpu_id))


def sys_personality(k: Kernel, persona: int) -> int:
    """The execution domain is bookkeeping here (PER_LINUX plus flags such as
    ADDR_NO_RANDOMIZE); 0xffffffff only asks. Returns the previous value."""
    old = k.__dict__.get("personality", PER_LINUX)
    persona &= 0xFFFFFFFF
    if persona != _PER_QUERY:
        if persona & 0xFF not in (PER_LINUX, 8):      # PER_LINUX, PER_LINUX32
            return -errno.EINVAL
        k.__dict__["personality"] = persona
    return old


HANDLERS = {
    "sched_getparam": sys_sched_getparam, "sched_setparam": sys_sched_setparam,
    "sched_getscheduler": sys_sched_getscheduler,
    "sched_setscheduler": sys_sched_setscheduler,
    "sched_get_priority_max": sys_sched_get_priority_max,
    "sched_get_priority_min": sys_sched_get_priority_min,
    "sched_setaffinity": sys_sched_setaffinity, "sched_getattr": sys_sched_getattr,
    "sched_setattr": sys_sched_setattr, "sched_rr_get_interval": sys_sched_rr_get_interval,
    "sched_rr_get_interval_time64": sys_sched_rr_get_interval_time64,
    "getcpu": sys_getcpu, "membarrier": sys_membarrier, "personality": sys_personality,
}


def sys_ioprio_get(k: Kernel, which: int, who: int) -> int:
    return hsys("ioprio_get", k.s32(which), k.s32(who))


def sys_ioprio_set(k: Kernel, which: int, who: int, ioprio: int) -> int:
    return hsys("ioprio_set", k.s32(which), k.s32(who), k.s32(ioprio))


HANDLERS.update({"ioprio_get": sys_ioprio_get, "ioprio_set": sys_ioprio_set})


def sys_nice(k: Kernel, inc: int) -> int:
    """ARM's nice(2): x86-64 has no such call, so it is getpriority + setpriority (the
    kernel clamps the result to -20..19 and returns 0)."""
    cur = 20 - hsys("getpriority", 0, 0)           # PRIO_PROCESS, self
    new = max(-20, min(19, cur + max(-40, min(40, k.s32(inc)))))
    res = hsys("setpriority", 0, 0, new)
    return -errno.EPERM if res == -errno.EACCES else min(res, 0)


HANDLERS.update({"nice": sys_nice})
