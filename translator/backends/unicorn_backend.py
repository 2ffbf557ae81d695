"""The Unicorn execution backend.

Guest memory is pytrans's own (``mem_map_ptr`` over :class:`GuestMemory`), so this backend
only executes. The only Python hooks are on ``svc`` (interrupt hook) and on invalid memory
accesses, neither of which is on a hot path.
"""
from __future__ import annotations

import ctypes
import struct
from types import ModuleType

from unicorn import (UC_ARCH_ARM, UC_ARCH_ARM64, UC_ERR_EXCEPTION, UC_ERR_FETCH_PROT,
                     UC_ERR_FETCH_UNALIGNED, UC_ERR_FETCH_UNMAPPED, UC_ERR_INSN_INVALID,
                     UC_ERR_READ_PROT, UC_ERR_READ_UNALIGNED, UC_ERR_READ_UNMAPPED,
                     UC_ERR_WRITE_PROT, UC_ERR_WRITE_UNALIGNED, UC_ERR_WRITE_UNMAPPED,
                     UC_HOOK_INTR, UC_HOOK_MEM_INVALID, UC_MODE_ARM, UC_PROT_EXEC,
                     UC_PROT_READ, UC_PROT_WRITE, Uc, UcError)
from unicorn import arm64_const as a64
from unicorn import arm_const as a32

from ..linux import signals as sigs
from ..linux.kernel import GuestExit, Kernel
from ..memory import PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory, access_rights
from .unicorn_stop import native_code

# QEMU exception numbers as Unicorn's interrupt hook reports them (target/arm/cpu.h).
EXCP_UDEF, EXCP_SWI, EXCP_PREFETCH_ABORT, EXCP_DATA_ABORT, EXCP_BKPT = 1, 2, 3, 4, 7

_ARM_REGS = {f"r{i}": getattr(a32, f"UC_ARM_REG_R{i}") for i in range(13)}
_ARM_REGS.update(r13=a32.UC_ARM_REG_SP, sp=a32.UC_ARM_REG_SP, r14=a32.UC_ARM_REG_LR,
                 lr=a32.UC_ARM_REG_LR, r15=a32.UC_ARM_REG_PC, pc=a32.UC_ARM_REG_PC,
                 cpsr=a32.UC_ARM_REG_CPSR, fpscr=a32.UC_ARM_REG_FPSCR)
_A64_REGS = {f"x{i}": getattr(a64, f"UC_ARM64_REG_X{i}") for i in range(29)}
_A64_REGS.update(x29=a64.UC_ARM64_REG_X29, x30=a64.UC_ARM64_REG_X30, lr=a64.UC_ARM64_REG_X30,
                 sp=a64.UC_ARM64_REG_SP, pc=a64.UC_ARM64_REG_PC, nzcv=a64.UC_ARM64_REG_NZCV)

_ARM_D = [getattr(a32, f"UC_ARM_REG_D{i}") for i in range(32)]
_A64_V = [getattr(a64, f"UC_ARM64_REG_V{i}") for i in range(32)]
_MAPERR_ERRORS = {UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED}
_SEGV_ERRORS = {UC_ERR_READ_UNMAPPED, UC_ERR_WRITE_UNMAPPED, UC_ERR_FETCH_UNMAPPED,
                UC_ERR_READ_PROT, UC_ERR_WRITE_PROT, UC_ERR_FETCH_PROT}
_BUS_ERRORS = {UC_ERR_READ_UNALIGNED, UC_ERR_WRITE_UNALIGNED, UC_ERR_FETCH_UNALIGNED}


class _HookCtl(ctypes.Structure):
    """What the native interrupt hook (:func:`_syscall_hook_stub`) works with; its address
    is the hook's user data. Field offsets are used by the stub's code."""

    _fields_ = [("callback", ctypes.c_void_p),      # +0   Python: void cb(uint32 intno)
                ("read_batch", ctypes.c_void_p),    # +8   uc_reg_read_batch
                ("write", ctypes.c_void_p),         # +16  uc_reg_write
                ("ids", ctypes.c_void_p),           # +24  int ids[n]: arguments, number
                ("ptrs", ctypes.c_void_p),          # +32  void *ptrs[n]: where they go
                ("n", ctypes.c_int64),              # +40
                ("ret_id", ctypes.c_int64),         # +48  the result register
                ("ret_ptr", ctypes.c_void_p),       # +56  its value
                ("write_back", ctypes.c_int64)]     # +64  set by Python: write the result


_HOOK_PY = ctypes.CFUNCTYPE(None, ctypes.c_uint32)


def _syscall_hook_stub():
    """The code (an unlinked Asm) of the native interrupt hook, void hook(uc_engine *uc, uint32 intno,
    _HookCtl *ctl): for a syscall (EXCP_SWI) it reads the argument and number registers
    into ctl's buffer, calls ctl.callback(intno), then writes the result register back if
    the callback set ctl.write_back (and clears it: a flag left set would make a later
    _flush_result write that stale result over the register). Placed once per process by
    unicorn_stop.native_code."""
    from .x86.asm import CC, R12, R13, RBX, RCX, RDI, RDX, RSI, Asm, mem
    a = Asm()
    for r in (RBX, R12, R13):          # callee-saved; three pushes keep rsp 16-byte aligned
        a.push(r)
    a.mov(RBX, RDX, 64)                # ctl
    a.mov(R12, RDI, 64)                # uc
    a.mov(R13, RSI)                    # intno
    skip = a.label()
    a.cmp(RSI, EXCP_SWI)
    a.jcc(CC.NE, skip)
    a.mov(RDI, R12, 64)                # uc_reg_read_batch(uc, ids, ptrs, n)
    a.mov(RSI, mem(RBX, 24), 64)
    a.mov(RDX, mem(RBX, 32), 64)
    a.mov(RCX, mem(RBX, 40))
    a.call(mem(RBX, 8))
    a.bind(skip)
    a.mov(mem(RBX, 64), 0, 64)         # write_back = 0
    a.mov(RDI, R13)
    a.call(mem(RBX, 0))                # Python
    done = a.label()
    a.cmp(mem(RBX, 64), 0, 64)
    a.jcc(CC.E, done)
    a.mov(RDI, R12, 64)                # uc_reg_write(uc, ret_id, ret_ptr)
    a.mov(RSI, mem(RBX, 48))
    a.mov(RDX, mem(RBX, 56), 64)
    a.call(mem(RBX, 16))
    a.mov(mem(RBX, 64), 0, 64)         # written: nothing left for _flush_result
    a.bind(done)
    for r in (R13, R12, RBX):
        a.pop(r)
    a.ret()
    return a


def _uc_prot(prot: int) -> int:
    prot = access_rights(prot)              # (any right implies read, as on ARM Linux)
    return ((UC_PROT_READ if prot & PROT_READ else 0)
            | (UC_PROT_WRITE if prot & PROT_WRITE else 0)
            | (UC_PROT_EXEC if prot & PROT_EXEC else 0))


def _capstone_reg(backend: "UnicornBackend", name: str) -> int:
    """Unicorn register id for a capstone register name (r0..r12, sp, lr, pc, x0..x30)."""
    aliases = {"fp": "x29" if not backend.arm32 else "r11", "ip": "r12", "sb": "r9",
               "sl": "r10"}
    name = aliases.get(name, name)
    return backend.regs[name]


class UnicornBackend:
    """Executes a guest on Unicorn over pytrans-owned memory."""

    name = "unicorn"
    tier0_budget = None     # a JIT backend running its tier 0 here sets a BlockBudget

    def __init__(self, abi: ModuleType, mem: GuestMemory):
        self.abi = abi
        self.mem = mem
        self.arm32 = abi.BITS == 32
        if self.arm32:
            self.uc = Uc(UC_ARCH_ARM, UC_MODE_ARM)
            self.uc.ctl_set_cpu_model(a32.UC_CPU_ARM_CORTEX_A15)
            self.regs = _ARM_REGS
            # Linux enables VFP/NEON for user space: CPACR cp10/cp11 full access, FPEXC.EN.
            self.uc.reg_write(a32.UC_ARM_REG_C1_C0_2, 0xF << 20)
            self.uc.reg_write(a32.UC_ARM_REG_FPEXC, 1 << 30)
            self.uc.reg_write(a32.UC_ARM_REG_CPSR, 0x10)   # USR mode, ARM state
        else:
            self.uc = Uc(UC_ARCH_ARM64, UC_MODE_ARM)
            self.uc.ctl_set_cpu_model(a64.UC_CPU_ARM64_A72)
            self.regs = _A64_REGS
            self.uc.reg_write(a64.UC_ARM64_REG_CPACR_EL1, 3 << 20)   # FPEN: no FP/SIMD traps
        self.kernel: Kernel | None = None
        self._exit: BaseException | None = None
        self._fault_addr: int | None = None
        self._fault_access = 0
        self._trap: tuple | None = None   # a CPU exception seen by the hook, delivered after
        for v in mem.regions():
            self.on_map(v.start, v.end - v.start, v.prot)
        mem.listeners.append(self)
        self.uc.hook_add(UC_HOOK_MEM_INVALID, self._on_invalid)
        self._init_syscall_fast_path()      # also installs the interrupt hook
        # interrupt() from other threads goes through a native block hook (see unicorn_stop).
        from .unicorn_stop import StopRequest
        self._stop = StopRequest(self.uc)

    def _init_syscall_fast_path(self) -> None:
        """The interrupt hook, with the syscall registers moved in native code.

        A guest syscall costs Python three ctypes calls through the binding: the hook
        itself, reading the number and arguments (uc_reg_read_batch) and writing the result
        (uc_reg_write), ~0.5 us each. The hook is instead a small native function
        (:func:`_syscall_hook_stub`) that reads the registers into ``_sys_vals`` before it
        calls Python and writes ``_ret_val`` back after Python returns, when
        :meth:`write_result` asked for it. A result not yet written back is written at once
        by anything that looks at the registers (get_context, read_reg) and dropped by
        set_context, which replaces it. Without the raw library (another binding layout)
        the binding's own hook and register calls do the same, slower."""
        abi = self.abi
        names = [*abi.SYSCALL_ARG_REGS, abi.SYSCALL_NR_REG]      # the number last
        n = len(names)
        self._sys_n = n
        # ARM32 registers are written as uint32 by Unicorn: one 4-byte slot each.
        slot = ctypes.c_uint32 if self.arm32 else ctypes.c_uint64
        self._sys_unpack = struct.Struct(("<%dI" if self.arm32 else "<%dQ") % n).unpack_from
        self._sys_ids = (ctypes.c_int * n)(*(self.regs[x] for x in names))
        self._sys_vals = (slot * n)()
        base = ctypes.addressof(self._sys_vals)
        self._sys_ptrs = (ctypes.c_void_p * n)(*(base + ctypes.sizeof(slot) * i for i in range(n)))
        self._ret_id = self.regs[abi.SYSCALL_RET_REG]
        self._ret_val = slot()
        self._ret_ptr = ctypes.byref(self._ret_val)
        self._in_hook = False          # inside the native hook's call of Python
        try:
            from unicorn.unicorn_py3.unicorn import uclib
            raw = ctypes.CDLL(uclib._name)
        except (ImportError, AttributeError, OSError):   # another binding layout
            self._fast = False
            self._hook_ctl = _HookCtl()                  # never has a result to write back
            self.uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
            return
        self._fast = True
        self._uch = self.uc._uch
        self._read_batch, self._write = raw.uc_reg_read_batch, raw.uc_reg_write
        ctl = self._hook_ctl = _HookCtl()
        # The Python half: a plain ctypes callback (no binding wrappers in between).
        self._hook_cb = _HOOK_PY(self._on_native_interrupt)
        ctl.callback = ctypes.cast(self._hook_cb, ctypes.c_void_p).value
        ctl.read_batch = ctypes.cast(raw.uc_reg_read_batch, ctypes.c_void_p).value
        ctl.write = ctypes.cast(raw.uc_reg_write, ctypes.c_void_p).value
        ctl.ids = ctypes.addressof(self._sys_ids)
        ctl.ptrs = ctypes.addressof(self._sys_ptrs)
        ctl.n = n
        ctl.ret_id = self._ret_id
        ctl.ret_ptr = ctypes.addressof(self._ret_val)
        self._hook_handle = ctypes.c_size_t()
        hook = native_code("syscall", lambda addr: _syscall_hook_stub().link(addr))
        err = raw.uc_hook_add(self._uch, ctypes.byref(self._hook_handle), UC_HOOK_INTR,
                              ctypes.c_void_p(hook), ctypes.byref(ctl),
                              ctypes.c_uint64(1), ctypes.c_uint64(0))
        if err:
            raise RuntimeError(f"uc_hook_add(UC_HOOK_INTR) failed: error {err}")

    def _on_native_interrupt(self, intno: int) -> None:
        """The native hook's call into Python: a syscall (registers already read), or a
        CPU exception for :meth:`_on_interrupt`."""
        if intno != EXCP_SWI:
            self._on_interrupt(self.uc, intno, None)
            return
        self._in_hook = True
        try:
            self.kernel.syscall(self._sys_unpack(self._sys_vals))    # read by the native hook
        except BaseException as e:   # noqa: BLE001 - re-raised after emu_start returns
            self._exit = e
            self.uc.emu_stop()
        finally:
            self._in_hook = False

    def read_syscall(self) -> tuple[int, tuple[int, ...]]:
        """(number, argument registers) of the pending syscall; the arguments tuple has the
        number as its last item."""
        if self._in_hook:
            regs = self._sys_unpack(self._sys_vals)      # read by the native hook
        elif self._fast:
            self._read_batch(self._uch, self._sys_ids, self._sys_ptrs, self._sys_n)
            regs = self._sys_unpack(self._sys_vals)
        else:
            regs = tuple(self.read_reg(r) for r in (*self.abi.SYSCALL_ARG_REGS,
                                                     self.abi.SYSCALL_NR_REG))
        return regs[-1], regs

    def write_result(self, value: int) -> None:
        """The syscall result register; inside the native hook, written when it returns."""
        if self._in_hook:
            self._ret_val.value = value
            self._hook_ctl.write_back = 1
        elif self._fast:
            self._ret_val.value = value
            self._write(self._uch, self._ret_id, self._ret_ptr)
        else:
            self.uc.reg_write(self._ret_id, value)

    def _flush_result(self) -> None:
        """Write a result the native hook has not written back yet (before registers are
        read or written one by one)."""
        ctl = self._hook_ctl
        if ctl.write_back:
            ctl.write_back = 0
            self._write(self._uch, self._ret_id, self._ret_ptr)

    # ---- memory listener ---------------------------------------------------------------
    def on_map(self, start: int, length: int, prot: int) -> None:
        self.uc.mem_map_ptr(start, length, _uc_prot(prot), self.mem.base + start)

    def on_unmap(self, start: int, length: int) -> None:
        self.uc.mem_unmap(start, length)

    def on_protect(self, start: int, length: int, prot: int) -> None:
        self.uc.mem_protect(start, length, _uc_prot(prot))

    # ---- CPU access for the Linux layer --------------------------------------------------
    def read_reg(self, name: str) -> int:
        self._flush_result()
        return self.uc.reg_read(self.regs[name])

    def write_reg(self, name: str, value: int) -> None:
        self._flush_result()
        self.uc.reg_write(self.regs[name], value)

    def set_tls(self, value: int) -> None:
        if self.arm32:
            self.uc.reg_write(a32.UC_ARM_REG_C13_C0_3, value)   # TPIDRURO
        else:
            self.uc.reg_write(a64.UC_ARM64_REG_TPIDR_EL0, value)

    def get_tls(self) -> int:
        if self.arm32:
            return self.uc.reg_read(a32.UC_ARM_REG_C13_C0_3)
        return self.uc.reg_read(a64.UC_ARM64_REG_TPIDR_EL0)

    def stats(self) -> dict:
        """Counters this backend can give without slowing the guest down. Unicorn counts
        neither instructions nor translations cheaply, so those stay unknown (None)."""
        return {"guest_instructions": None, "translate_seconds": None, "blocks_translated": None,
                "exits_to_python": self.kernel.syscall_count if self.kernel else 0}

    def invalidate(self, start: int, length: int) -> None:
        """Drop translated code over guest memory that changed (mmap, mprotect, cacheflush)."""
        if length > 0:
            self.uc.ctl_remove_cache(start, start + length)

    # ---- the full user context, for signal frames (keys: frontends/<arch>/sigframe.py) -----
    def get_context(self) -> dict:
        """Every user register in one uc_reg_read_batch (per-register reads through the
        Python binding cost ~20 us each, ~70 registers)."""
        self._flush_result()
        b = self._ctx_batch()
        ctypes.memset(b.vals, 0, ctypes.sizeof(b.vals))
        b.read(self.uc._uch, b.ids, b.ptrs, b.n)
        v = [int.from_bytes(x, "little") for x in b.vals]
        if self.arm32:     # CPSR, r0-r15, d0-d31, FPSCR
            return {"cpsr": v[0], "r": v[1:17], "d": v[17:49], "fpscr": v[49]}
        # x0-x30, SP, PC, NZCV, FPSR, FPCR, v0-v31
        return {"x": v[:31], "sp": v[31], "pc": v[32], "pstate": v[33] & 0xF0000000,
                "fpsr": v[34], "fpcr": v[35], "v": v[36:68]}

    def set_context(self, ctx: dict) -> None:
        """Load a context in one uc_reg_write_batch. Writing the PC makes Unicorn leave the
        current block, so this is safe from a hook; the run loop resumes at the new PC."""
        self._hook_ctl.write_back = 0        # the context has its own first register
        b = self._ctx_batch()
        if self.arm32:
            cpsr = ctx["cpsr"]
            # CPSR first (user mode), the PC last with bit 0 selecting Thumb.
            r = list(ctx["r"])
            r[15] = (r[15] & ~1) | (cpsr >> 5 & 1)
            vals = [(cpsr & ~0x1F) | 0x10, *r, *ctx["d"], ctx["fpscr"]]
        else:
            vals = [*ctx["x"], ctx["sp"], ctx["pc"], ctx["pstate"] & 0xF0000000, ctx["fpsr"],
                    ctx["fpcr"], *ctx["v"]]
        for slot, value in zip(b.vals, vals):
            slot[:] = (value & ((1 << 128) - 1)).to_bytes(16, "little")
        order = b.write_order
        b.write(self.uc._uch, order.ids, order.ptrs, b.n)

    def _ctx_batch(self):
        """The register ids, 16-byte value slots and pointer arrays of get/set_context."""
        b = getattr(self, "_ctx", None)
        if b is not None:
            return b
        from types import SimpleNamespace
        from unicorn.unicorn_py3.unicorn import uclib
        if self.arm32:
            ids = [a32.UC_ARM_REG_CPSR, *(_ARM_REGS[f"r{i}"] for i in range(16)), *_ARM_D,
                   a32.UC_ARM_REG_FPSCR]
            # Written in this order: CPSR, D, FPSCR, r0-r14, then the PC.
            order = [0, *range(17, 50), *range(1, 16), 16]
        else:
            ids = [*(_A64_REGS[f"x{i}"] for i in range(31)), a64.UC_ARM64_REG_SP,
                   a64.UC_ARM64_REG_PC, a64.UC_ARM64_REG_NZCV, a64.UC_ARM64_REG_FPSR,
                   a64.UC_ARM64_REG_FPCR, *_A64_V]
            order = [i for i in range(len(ids)) if i != 32] + [32]      # the PC last
        n = len(ids)
        vals = (ctypes.c_ubyte * 16 * n)()
        base = ctypes.addressof(vals)
        raw = ctypes.CDLL(uclib._name)
        b = SimpleNamespace(n=n, vals=vals, read=raw.uc_reg_read_batch,
                            write=raw.uc_reg_write_batch,
                            ids=(ctypes.c_int * n)(*ids),
                            ptrs=(ctypes.c_void_p * n)(*(base + 16 * i for i in range(n))),
                            write_order=SimpleNamespace(
                                ids=(ctypes.c_int * n)(*(ids[i] for i in order)),
                                ptrs=(ctypes.c_void_p * n)(*(base + 16 * i for i in order))))
        self._ctx = b
        return b

    def new_thread(self) -> "UnicornBackend":
        """A CPU for a new guest thread: same memory, this CPU's registers and TLS, resuming
        where this one will (after the clone syscall)."""
        t = UnicornBackend(self.abi, self.mem)
        t.set_context(self.get_context())
        t.set_tls(self.get_tls())
        t._next_pc = self.pc()
        return t

    def interrupt(self) -> None:
        """From any thread: leave native execution at the next block boundary, so a pending
        signal is delivered or another guest thread runs (uc.emu_stop from another thread
        could resume a block twice: translator/backends/unicorn_stop.py)."""
        self._stop.request()

    def pc(self) -> int:
        """The guest PC, with bit 0 set in Thumb state (what a resume needs)."""
        pc = self.read_reg("pc")
        if self.arm32 and self.uc.reg_read(a32.UC_ARM_REG_CPSR) & 0x20:
            pc |= 1
        return pc

    # ---- hooks (never let an exception escape into Unicorn) ------------------------------
    def _on_interrupt(self, uc: Uc, intno: int, _user) -> None:
        try:
            if intno == EXCP_SWI:
                self.kernel.syscall()
                return
            # CPU exceptions: stop here, deliver the signal from the run loop.
            pc = self.read_reg("pc")
            if intno == EXCP_BKPT:
                self._trap = (sigs.SIGTRAP, 1, pc, pc, "breakpoint")
            elif intno == EXCP_UDEF:
                self._trap = (sigs.SIGILL, 1, pc, pc, "undefined instruction")
            elif intno == EXCP_DATA_ABORT and self._fault_addr is None:
                # Mapped memory yet an abort: an alignment fault (exclusives, LDRD/LDM on
                # strict addresses). Unicorn keeps the address to itself: decode it.
                self._trap = (sigs.SIGBUS, 1, self._operand_address(pc), pc,
                              "unaligned access", self._esr(UC_ERR_READ_UNALIGNED))
            elif intno in (EXCP_PREFETCH_ABORT, EXCP_DATA_ABORT):
                self._trap = (sigs.SIGSEGV, 1, self._fault_addr, pc, "abort")
            else:
                self._trap = (sigs.SIGILL, 1, pc, pc, f"CPU exception {intno}")
            uc.emu_stop()
        except BaseException as e:   # noqa: BLE001 - re-raised after emu_start returns
            self._exit = e
            uc.emu_stop()

    def _operand_address(self, pc: int) -> int | None:
        """The address the memory instruction at ``pc`` accesses (base + displacement),
        decoded with capstone; None when it cannot tell."""
        try:
            import capstone
            from capstone import arm_const, arm64_const
            if self.arm32:
                thumb = self.uc.reg_read(a32.UC_ARM_REG_CPSR) & 0x20
                md = capstone.Cs(capstone.CS_ARCH_ARM,
                                 capstone.CS_MODE_THUMB if thumb else capstone.CS_MODE_ARM)
                mem_type = arm_const.ARM_OP_MEM
            else:
                md = capstone.Cs(capstone.CS_ARCH_ARM64, capstone.CS_MODE_ARM)
                mem_type = arm64_const.ARM64_OP_MEM
            md.detail = True
            insn = next(md.disasm(self.mem.read(pc, 4, force=True), pc), None)
            if insn is None:
                return None
            for op in insn.operands:
                if op.type == mem_type:
                    if op.mem.index:
                        return None
                    base = self.uc.reg_read(_capstone_reg(self, insn.reg_name(op.mem.base)))
                    return (base + op.mem.disp) & ((1 << self.abi.BITS) - 1)
        except Exception:   # noqa: BLE001 - best effort: si_addr stays unknown
            return None
        return None

    def _on_invalid(self, uc: Uc, access: int, address: int, size: int, value: int, _user) -> bool:
        self._fault_addr = address
        self._fault_access = access
        return False

    # ---- running -----------------------------------------------------------------------
    def start(self, entry: int, sp: int, regs: dict[str, int] | None = None) -> None:
        self.write_reg("sp", sp)
        for name, value in (regs or {}).items():
            self.write_reg(name, value)
        self._next_pc = entry

    def run(self, kernel: Kernel) -> GuestExit | None:
        """Run until the guest exits or is killed; return how it ended (None: a JIT
        backend's tier-0 budget ran out, see tier0.py)."""
        self.kernel = kernel
        kernel.cpu = self
        until = (1 << self.abi.BITS) - 4
        pc = self._next_pc
        while True:
            self._exit = None
            self._fault_addr = None
            self._trap = None
            try:
                if kernel.sig.pending & ~kernel.sig.mask:
                    kernel.deliver_pending()     # a signal posted while not running
                    pc = self.pc()
                self.uc.emu_start(pc, until)
            except UcError as e:
                if self._exit is not None:
                    break
                self._trap = self.fault_trap(e.errno)
            except GuestExit as e:
                return e
            if self._exit is not None:
                break
            if self.tier0_budget is not None and self.tier0_budget.tripped:
                return None                      # the JIT takes over at this block
            pc = self.pc()
            if self._trap is None and pc & ~1 == until:
                self._trap = (sigs.SIGSEGV, 1, until, until, "jump to unmapped")
            try:
                if self._trap is not None:
                    sig, code, addr, fpc, reason, *esr = self._trap
                    kernel.raise_signal(sig, pc=fpc, addr=addr, code=code, reason=reason,
                                        esr=esr[0] if esr else 0)
                if kernel.sig.pending & ~kernel.sig.mask:
                    kernel.deliver_pending()
                if kernel.threads is not None:
                    kernel.threads.preempt_point()   # other guest threads' turn
            except GuestExit as e:
                return e
            pc = self.pc()
        exc = self._exit
        if isinstance(exc, GuestExit):
            return exc
        raise exc

    def _esr(self, err: int) -> int:
        """AArch64: the ESR_EL1 a user fault records in its frame (esr_context): exception
        class (instruction / data abort from EL0), IL, WnR, and the fault status code —
        translation or permission fault (reported at level 3; the real walk level depends on
        page tables we do not have) or alignment. ISV stays 0 (no instruction syndrome)."""
        if self.arm32:
            return 0
        fetch = err in (UC_ERR_FETCH_UNMAPPED, UC_ERR_FETCH_PROT, UC_ERR_FETCH_UNALIGNED)
        write = err in (UC_ERR_WRITE_UNMAPPED, UC_ERR_WRITE_PROT, UC_ERR_WRITE_UNALIGNED)
        if err in _BUS_ERRORS:
            fsc = 0x21
        else:
            fsc = 0x07 if err in _MAPERR_ERRORS else 0x0F
        ec = 0x20 if fetch else 0x24
        return ec << 26 | 1 << 25 | (1 << 6 if write else 0) | fsc

    def fault_trap(self, err: int) -> tuple:
        """(signal, si_code, si_addr, pc, reason) for a Unicorn error from ``emu_start``."""
        pc = self.pc() & ~1 if self.arm32 else self.pc()
        addr = self._fault_addr
        if err in _SEGV_ERRORS:
            code = 1 if err in _MAPERR_ERRORS else 2      # SEGV_MAPERR / SEGV_ACCERR
            return (sigs.SIGSEGV, code, addr, pc, "invalid access", self._esr(err))
        if err in _BUS_ERRORS:
            return (sigs.SIGBUS, 1, addr, pc, "unaligned access", self._esr(err))  # ADRALN
        if err in (UC_ERR_INSN_INVALID, UC_ERR_EXCEPTION):
            return (sigs.SIGILL, 1, pc, pc, "undefined instruction")    # ILL_ILLOPC
        return (sigs.SIGSEGV, 1, addr, pc, f"unicorn error {err}")
