"""ARM32 signal frames, as arch/arm/kernel/signal.c builds and reads them.

Layouts (EABI, arch/arm/include/asm/ucontext.h, uapi/asm/sigcontext.h)::

    struct sigcontext    { trap_no, error_code, oldmask, r0..r10, fp, ip, sp, lr, pc, cpsr,
                           fault_address }                       21 words = 84 bytes
    struct ucontext      { uc_flags 0, uc_link 4, uc_stack 8 (12), uc_mcontext 20 (84),
                           uc_sigmask 104 (8), __unused 112 (120), uc_regspace 232 (512) }
    struct sigframe      { ucontext uc; u32 retcode[4] at 744 }  760 bytes
    struct rt_sigframe   { siginfo info (128); sigframe sig }    888 bytes

``uc_regspace`` holds the aux frame: a ``vfp_sigframe`` {magic 0x56465001, size 288,
user_vfp {u64 fpregs[32]; u32 fpscr} at +8, user_vfp_exc {fpexc, fpinst, fpinst2} at +272}
then a zero end marker at +288.

The context dict (see ``translator.linux.sigdeliver``) has ``r`` (16 words, r[15] the PC
without the Thumb bit), ``cpsr`` (T and IT bits included), ``d`` (32 u64) and ``fpscr``.
"""
from __future__ import annotations

import struct

SIGINFO_SIZE = 128
UC_SIZE = 744
SIGFRAME_SIZE = 760
RT_SIGFRAME_SIZE = SIGINFO_SIZE + SIGFRAME_SIZE
_MCTX = 20
_SIGMASK = 104
_REGSPACE = 232
_RETCODE = 744
VFP_MAGIC = 0x56465001
VFP_SIZE = 288
FPEXC_EN = 1 << 30

SA_SIGINFO, SA_RESTORER = 0x4, 0x04000000
PSR_T, PSR_F_MASK, PSR_IT_MASK, PSR_E = 1 << 5, 0xFF000000, 0x0600FC00, 1 << 9
# Flags the user may restore (valid_user_regs): NZCVQ, IT, J, GE, E, T; the mode is user.
_USER_CPSR = 0xFF0FFE20

NR_SIGRETURN, NR_RT_SIGRETURN = 119, 173
# sigreturn_codes[] (arch/arm/kernel/sigreturn_codes.S): the return trampolines, indexed by
# (thumb << 1) + (3 if SA_SIGINFO): ARM and Thumb sigreturn, then ARM and Thumb rt_sigreturn.
SIGRETURN_CODES = (
    0xE3A07000 | NR_SIGRETURN, 0xEF900000 | NR_SIGRETURN,        # mov r7, #119; swi
    0xDF002700 | NR_SIGRETURN,                                     # movs r7, #119; svc 0
    0xE3A07000 | NR_RT_SIGRETURN, 0xEF900000 | NR_RT_SIGRETURN,  # mov r7, #173; swi
    0xDF002700 | NR_RT_SIGRETURN,                                  # movs r7, #173; svc 0
)


def trampoline_page() -> bytes:
    """The [sigpage] contents: the return codes at offset 0 (used when no SA_RESTORER)."""
    return struct.pack(f"<{len(SIGRETURN_CODES)}I", *SIGRETURN_CODES)


def sp_of(ctx: dict) -> int:
    return ctx["r"][13]


def pc_of(ctx: dict) -> int:
    return ctx["r"][15]


def rewind_syscall(ctx: dict, orig_arg0: int) -> None:
    """Make the interrupted ``svc`` run again (the kernel's -ERESTARTSYS handling)."""
    ctx["r"][0] = orig_arg0
    ctx["r"][15] = (ctx["r"][15] - (2 if ctx["cpsr"] & PSR_T else 4)) & 0xFFFFFFFF


def set_result(ctx: dict, value: int) -> None:
    ctx["r"][0] = value & 0xFFFFFFFF


def pack_siginfo(info) -> bytes:
    """siginfo_t: signo, errno, code, then the union at offset 12 (no 64-bit members)."""
    head = struct.pack("<iii", info.signo, info.errno, info.code)
    if info.addr is not None:
        body = struct.pack("<I", info.addr & 0xFFFFFFFF)
    elif info.kind == "chld":
        body = struct.pack("<iIiii", info.pid, info.uid, info.status, info.utime, info.stime)
    elif info.kind == "timer":
        body = struct.pack("<iiI", info.timerid, info.overrun, info.value & 0xFFFFFFFF)
    else:
        body = struct.pack("<iII", info.pid, info.uid, info.value & 0xFFFFFFFF)
    return (head + body).ljust(SIGINFO_SIZE, b"\0")


def _ucontext(ctx: dict, oldmask: int, stack: tuple[int, int, int], fault_addr: int,
              trap_no: int, error_code: int, uc_flags: int) -> bytes:
    uc = bytearray(UC_SIZE)
    struct.pack_into("<I", uc, 0, uc_flags)
    sp, flags, size = stack
    struct.pack_into("<III", uc, 8, sp & 0xFFFFFFFF, flags & 0xFFFFFFFF, size & 0xFFFFFFFF)
    r = ctx["r"]
    struct.pack_into("<21I", uc, _MCTX, trap_no, error_code, oldmask & 0xFFFFFFFF, *r[:16],
                     ctx["cpsr"] & 0xFFFFFFFF, fault_addr & 0xFFFFFFFF)
    struct.pack_into("<Q", uc, _SIGMASK, oldmask)
    struct.pack_into("<II32QI", uc, _REGSPACE, VFP_MAGIC, VFP_SIZE, *ctx["d"], ctx["fpscr"])
    struct.pack_into("<III", uc, _REGSPACE + 272, FPEXC_EN, 0, 0)
    struct.pack_into("<I", uc, _REGSPACE + VFP_SIZE, 0)       # end_magic
    return bytes(uc)


def build_frame(mem, ctx: dict, sp: int, *, sig: int, info, flags: int, handler: int,
                restorer: int, oldmask: int, stack: tuple[int, int, int],
                tramp: int) -> dict:
    """Write the (rt_)sigframe below ``sp`` and return the handler's entry context
    (setup_frame/setup_rt_frame + setup_return)."""
    rt = bool(flags & SA_SIGINFO)
    size = RT_SIGFRAME_SIZE if rt else SIGFRAME_SIZE
    frame = (sp - size) & ~7
    fault = info.addr if info.addr is not None and info.fault else 0
    trap_no = 14 if fault else 0         # the kernel records a data abort's trap number
    sf = frame + SIGINFO_SIZE if rt else frame
    # setup_frame marks uc_flags with a value trap_no never has; setup_rt_frame zeroes it.
    uc = _ucontext(ctx, oldmask, stack if rt else (0, 0, 0), fault, trap_no, 0,
                   0 if rt else 0x5AC3C35A)
    thumb = handler & 1
    idx = (thumb << 1) + (3 if rt else 0)
    codes = SIGRETURN_CODES + (0,)
    retcode = struct.pack("<II", codes[idx], codes[idx + 1])
    mem.write(sf, uc + retcode.ljust(16, b"\0"))
    if rt:
        mem.write(frame, pack_siginfo(info))
    if flags & SA_RESTORER:
        lr = restorer
    else:
        lr = tramp + (idx << 2) + thumb
    cpsr = ctx["cpsr"] & ~(PSR_F_MASK | PSR_E | PSR_IT_MASK)
    cpsr = cpsr | PSR_T if thumb else cpsr & ~PSR_T
    new = {"r": list(ctx["r"]), "cpsr": cpsr, "d": list(ctx["d"]), "fpscr": ctx["fpscr"]}
    r = new["r"]
    r[0] = sig
    if rt:
        r[1], r[2] = frame, sf                      # &info, &uc
    r[13] = frame
    r[14] = lr & 0xFFFFFFFF
    r[15] = handler & ~1 & 0xFFFFFFFF
    return new


def restore_frame(mem, ctx: dict, rt: bool) -> tuple[dict, int, tuple[int, int, int] | None]:
    """Read back a frame at the current SP for (rt_)sigreturn: (context, mask, uc_stack).

    Raises ``ValueError`` for a misaligned or corrupt frame (the kernel's SIGSEGV)."""
    sp = ctx["r"][13]
    if sp & 7:
        raise ValueError("misaligned signal frame")
    sf = sp + SIGINFO_SIZE if rt else sp
    uc = mem.read(sf, UC_SIZE)
    words = struct.unpack_from("<21I", uc, _MCTX)
    r = list(words[3:19])
    cpsr = (words[19] & _USER_CPSR) | 0x10
    mask = struct.unpack_from("<Q", uc, _SIGMASK)[0]
    d, fpscr = list(ctx["d"]), ctx["fpscr"]
    magic, size = struct.unpack_from("<II", uc, _REGSPACE)
    if magic == VFP_MAGIC:
        if size != VFP_SIZE:
            raise ValueError("bad VFP frame")
        vals = struct.unpack_from("<32QI", uc, _REGSPACE + 8)
        d, fpscr = list(vals[:32]), vals[32]
    new = {"r": r, "cpsr": cpsr, "d": d, "fpscr": fpscr}
    stack = struct.unpack_from("<III", uc, 8) if rt else None
    return new, mask, stack
