"""AArch64 signal frames, as arch/arm64/kernel/signal.c builds and reads them.

Layouts (arch/arm64/include/uapi/asm/{ucontext,sigcontext}.h)::

    struct ucontext   { uc_flags 0, uc_link 8, uc_stack 16 (24), uc_sigmask 40 (8),
                        __unused 48 (120), uc_mcontext 176 }
    struct sigcontext { fault_address 0, regs[31] 8, sp 256, pc 264, pstate 272,
                        __reserved[4096] 288 (16-aligned) }
    struct rt_sigframe{ siginfo info (128); ucontext uc at 128 }   4688 bytes

``__reserved`` holds records {u32 magic, u32 size}: fpsimd_context (0x46508001, 528:
fpsr, fpcr, __uint128 vregs[32] at +16), then the {0, 0} end marker. A frame record
{x29, x30} sits just above the frame and x29 points at it.

The context dict (see ``translator.linux.sigdeliver``) has ``x`` (31), ``sp``, ``pc``,
``pstate``, ``v`` (32 u128), ``fpsr`` and ``fpcr``.
"""
from __future__ import annotations

import struct

SIGINFO_SIZE = 128
_UC = SIGINFO_SIZE
_SIGMASK = _UC + 40
_MCTX = _UC + 176
_RESERVED = _MCTX + 288
RT_SIGFRAME_SIZE = _RESERVED + 4096
FPSIMD_MAGIC, FPSIMD_SIZE = 0x46508001, 528
ESR_MAGIC, ESR_SIZE = 0x45535201, 16

SA_SIGINFO, SA_RESTORER = 0x4, 0x04000000
NR_RT_SIGRETURN = 139
_M64 = (1 << 64) - 1
# What user space may restore in PSTATE (valid_user_regs): NZCV, DIT, SSBS; EL0t.
_USER_PSTATE = 0xF0000000 | (1 << 24) | (1 << 12)


def trampoline_page() -> bytes:
    """The vDSO's __kernel_rt_sigreturn: ``mov x8, #139; svc #0``."""
    return struct.pack("<II", 0xD2800008 | NR_RT_SIGRETURN << 5, 0xD4000001)


def sp_of(ctx: dict) -> int:
    return ctx["sp"]


def pc_of(ctx: dict) -> int:
    return ctx["pc"]


def rewind_syscall(ctx: dict, orig_arg0: int) -> None:
    """Make the interrupted ``svc`` run again (the kernel's -ERESTARTSYS handling)."""
    ctx["x"][0] = orig_arg0
    ctx["pc"] = (ctx["pc"] - 4) & _M64


def set_result(ctx: dict, value: int) -> None:
    ctx["x"][0] = value & _M64


def pack_siginfo(info) -> bytes:
    """siginfo_t: signo, errno, code, then the union at offset 16 (pointers are 8-aligned)."""
    head = struct.pack("<iiiI", info.signo, info.errno, info.code, 0)
    if info.addr is not None:
        body = struct.pack("<Q", info.addr & _M64)
    elif info.kind == "chld":
        body = struct.pack("<iIiIqq", info.pid, info.uid, info.status, 0, info.utime, info.stime)
    elif info.kind == "timer":
        body = struct.pack("<iiQ", info.timerid, info.overrun, info.value & _M64)
    else:
        body = struct.pack("<iIQ", info.pid, info.uid, info.value & _M64)
    return (head + body).ljust(SIGINFO_SIZE, b"\0")


def build_frame(mem, ctx: dict, sp: int, *, sig: int, info, flags: int, handler: int,
                restorer: int, oldmask: int, stack: tuple[int, int, int],
                tramp: int) -> dict:
    """Write the rt_sigframe and frame record below ``sp`` and return the handler's entry
    context (get_sigframe + setup_rt_frame + setup_return)."""
    record = (sp - 16) & ~15
    frame = record - RT_SIGFRAME_SIZE
    buf = bytearray(RT_SIGFRAME_SIZE)
    if flags & SA_SIGINFO:
        buf[:SIGINFO_SIZE] = pack_siginfo(info)
    ss_sp, ss_flags, ss_size = stack
    struct.pack_into("<QQQIIQ", buf, _UC, 0, 0, ss_sp, ss_flags & 0xFFFFFFFF, 0, ss_size)
    struct.pack_into("<Q", buf, _SIGMASK, oldmask)
    fault = info.addr if info.addr is not None and info.fault else 0
    struct.pack_into("<Q31QQQQ", buf, _MCTX, fault, *ctx["x"], ctx["sp"], ctx["pc"],
                     ctx["pstate"])
    off = _RESERVED
    struct.pack_into("<IIII", buf, off, FPSIMD_MAGIC, FPSIMD_SIZE, ctx["fpsr"], ctx["fpcr"])
    for i, v in enumerate(ctx["v"]):
        struct.pack_into("<QQ", buf, off + 16 + 16 * i, v & _M64, v >> 64 & _M64)
    off += FPSIMD_SIZE
    if info.esr:
        # A fault records its syndrome (the kernel adds esr_context when fault_code is set).
        struct.pack_into("<IIQ", buf, off, ESR_MAGIC, ESR_SIZE, info.esr)
        off += ESR_SIZE
    # end marker {0, 0} is already zero
    mem.write(frame, bytes(buf))
    mem.write(record, struct.pack("<QQ", ctx["x"][29], ctx["x"][30]))
    new = {k: (list(v) if isinstance(v, list) else v) for k, v in ctx.items()}
    x = new["x"]
    x[0] = sig
    x[1], x[2] = frame, frame + _UC
    x[29] = record
    x[30] = restorer if flags & SA_RESTORER else tramp
    new["sp"] = frame
    new["pc"] = handler
    return new


def restore_frame(mem, ctx: dict, rt: bool = True) -> tuple[dict, int, tuple[int, int, int]]:
    """Read back the frame at the current SP for rt_sigreturn: (context, mask, uc_stack).

    Raises ``ValueError`` for a misaligned or corrupt frame (the kernel's SIGSEGV)."""
    sp = ctx["sp"]
    if sp & 15:
        raise ValueError("misaligned signal frame")
    buf = mem.read(sp, RT_SIGFRAME_SIZE)
    vals = struct.unpack_from("<31QQQQ", buf, _MCTX + 8)
    new = dict(ctx)
    new["x"] = list(vals[:31])
    new["sp"], new["pc"] = vals[31], vals[32]
    new["pstate"] = vals[33] & _USER_PSTATE
    mask = struct.unpack_from("<Q", buf, _SIGMASK)[0]
    off = _RESERVED
    new["v"] = list(ctx["v"])
    while off + 8 <= len(buf):
        magic, size = struct.unpack_from("<II", buf, off)
        if magic == 0:
            break
        if size < 8 or size & 15 or off + size > len(buf):
            raise ValueError("bad signal frame record")
        if magic == FPSIMD_MAGIC:
            if size != FPSIMD_SIZE:
                raise ValueError("bad fpsimd record")
            new["fpsr"], new["fpcr"] = struct.unpack_from("<II", buf, off + 8)
            new["v"] = [lo | hi << 64 for lo, hi in
                        (struct.unpack_from("<QQ", buf, off + 16 + 16 * i) for i in range(32))]
        off += size
    ss_sp, ss_flags, _, ss_size = struct.unpack_from("<QIIQ", buf, _UC + 16)
    return new, mask, (ss_sp, ss_flags, ss_size)
