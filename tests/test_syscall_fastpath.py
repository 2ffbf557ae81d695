"""The syscall round trip's fast paths: raw host calls, the cached guest-buffer check, the
read/write handlers, the backends' register hand-over (the JIT's unpacked register file,
Unicorn's native interrupt hook that reads the arguments and writes the result back)."""
from __future__ import annotations

import errno
import io
import os
import struct

import pytest

from frontends.aarch64 import abi as a64
from frontends.arm import abi as arm
from translator.backends.unicorn_backend import UnicornBackend
from translator.linux.fdtable import FdTable
from translator.linux.host import hsys
from translator.linux.kernel import GuestExit, Kernel
from translator.linux.syscalls import fs
from translator.memory import PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory

CODE = 0x10000
BUF = 0x30000
SA_SIGINFO, SA_RESTORER = 0x4, 0x04000000


def words(*hexes: str) -> bytes:
    return b"".join(struct.pack("<I", int(h, 16)) for h in hexes)


@pytest.fixture(params=[arm, a64], ids=["arm", "aarch64"])
def k(request):
    abi = request.param
    mem = GuestMemory(abi.ADDRESS_SPACE)
    mem.map(BUF, 0x2000, PROT_READ | PROT_WRITE)
    kern = Kernel(abi, mem, FdTable(), exe_path="/guest/prog", log=io.StringIO())
    yield kern
    kern.fds.close_all()
    mem.close()


# ---- host calls ------------------------------------------------------------------------------
def test_hsys_returns_results_and_negative_errno():
    assert hsys("getpid") == os.getpid()
    assert hsys("close", 99999) == -errno.EBADF
    fd = hsys("openat", -100, b"/dev/null", os.O_WRONLY, 0)      # negative int, bytes
    assert fd >= 0
    try:
        assert hsys("write", fd, b"abc", 3) == 3
        assert hsys("lseek", fd, -1, 0) in (0, -errno.EINVAL)     # /dev/null: either is Linux
    finally:
        os.close(fd)
    assert hsys("openat", -100, b"/nonexistent/x", 0, 0) == -errno.ENOENT


# ---- read / write and the buffer check cache ------------------------------------------------
class _Regs:
    """A CPU that only has syscall registers (as the JIT and Unicorn hand them over: the
    arguments, then the number)."""

    def __init__(self, nr: int, *args: int):
        self.regs = (*args, *[0] * (7 - len(args)), nr)
        self.result = None

    def read_syscall(self):
        return self.regs[-1], self.regs

    def write_result(self, value):
        self.result = value


def call(k: Kernel, name: str, *args: int) -> int:
    """One syscall through the gate; its result as a signed number."""
    k.cpu = _Regs(k.abi.SYSCALLS[name], *args)
    k.syscall()
    return k.signed(k.cpu.result)


def test_read_write_round_trip_through_a_pipe(k):
    r, w = os.pipe()
    gr, gw = k.fds.install(r), k.fds.install(w)
    k.mem.write(BUF, b"hello, pipe")
    assert call(k, "write", gw, BUF, 11) == 11
    assert call(k, "read", gr, BUF + 0x100, 64) == 11
    assert k.mem.read(BUF + 0x100, 11) == b"hello, pipe"
    assert fs.sys_write(k, gw, BUF, 3) == 3                  # the handlers on their own
    assert fs.sys_read(k, gr, BUF + 0x200, 3) == 3


def test_bad_descriptors_are_ebadf(k):
    for fd in (5, 0xFFFFFFFF, 1024, 0x7FFFFFFF):
        assert call(k, "read", fd, BUF, 4) == -errno.EBADF
        assert call(k, "write", fd, BUF, 4) == -errno.EBADF


def test_descriptor_is_the_low_32_bits_of_the_register(k):
    """The kernel's read/write take an unsigned int fd: an AArch64 register with high bits
    set names the descriptor in its low half (as s32() did before the fast path)."""
    r, w = os.pipe()
    gr, gw = k.fds.install(r), k.fds.install(w)
    k.mem.write(BUF, b"xy")
    assert call(k, "write", gw | 1 << 32, BUF, 2) == 2
    assert call(k, "read", gr | 1 << 32, BUF + 8, 2) == 2


def test_regression_buffer_cache_forgets_unmapped_and_protected_memory(k):
    """A buffer that passed the check is remembered per mapping; munmap and mprotect must
    invalidate that, or a later read would write into memory the guest may not touch."""
    fd = k.fds.install(os.open("/dev/zero", os.O_RDONLY))
    out = k.fds.install(os.open("/dev/null", os.O_WRONLY))
    assert call(k, "read", fd, BUF, 16) == 16
    assert call(k, "write", out, BUF, 16) == 16
    k.mem.protect(BUF, 0x1000, PROT_READ)
    assert call(k, "read", fd, BUF, 16) == -errno.EFAULT
    assert call(k, "write", out, BUF, 16) == 16              # still readable
    k.mem.unmap(BUF, 0x1000)
    assert call(k, "write", out, BUF, 16) == -errno.EFAULT
    assert call(k, "read", fd, BUF, 16) == -errno.EFAULT
    assert call(k, "read", fd, BUF + 0x1000, 16) == 16        # the other page is still there
    k.mem.map(BUF, 0x1000, PROT_READ | PROT_WRITE)
    assert call(k, "read", fd, BUF, 16) == 16


def test_buffer_check_spanning_mappings_and_empty_buffers(k):
    fd = k.fds.install(os.open("/dev/zero", os.O_RDONLY))
    # [BUF, BUF+0x2000) is one mapping: a read across its end faults, inside it does not.
    assert call(k, "read", fd, BUF + 0x1FF8, 8) == 8
    assert call(k, "read", fd, BUF + 0x1FF8, 16) == -errno.EFAULT
    k.mem.map(BUF + 0x2000, 0x1000, PROT_READ | PROT_WRITE)   # adjacent: both are checked
    assert call(k, "read", fd, BUF + 0x1FF8, 16) == 16
    assert call(k, "read", fd, 0x7000_0000, 0) == 0           # empty: never looked at


def test_readv_writev_gather_scatter_and_errors(k):
    word = "I" if k.abi.BITS == 32 else "Q"
    r, w = os.pipe()
    gr, gw = k.fds.install(r), k.fds.install(w)
    k.mem.write(BUF + 0x100, b"hello ")
    k.mem.write(BUF + 0x200, b"world")
    k.mem.write(BUF, struct.pack(f"<4{word}", BUF + 0x100, 6, BUF + 0x200, 5))
    assert call(k, "writev", gw, BUF, 2) == 11
    k.mem.write(BUF, struct.pack(f"<4{word}", BUF + 0x300, 4, BUF + 0x400, 16))
    assert call(k, "readv", gr, BUF, 2) == 11
    assert k.mem.read(BUF + 0x300, 4) + k.mem.read(BUF + 0x400, 7) == b"hello world"
    k.mem.write(BUF, struct.pack(f"<2{word}", 0x7000_0000, 4))          # unmapped base
    assert call(k, "writev", gw, BUF, 1) == -errno.EFAULT
    assert call(k, "writev", gw, BUF, 1025) == -errno.EINVAL            # > IOV_MAX
    assert call(k, "writev", gw, BUF, 0xFFFFFFFF) == -errno.EINVAL      # negative
    assert call(k, "writev", gw, BUF, 0) == 0


def test_access_cache_ignores_ranges_from_an_older_generation(k):
    """A range looked up before a mapping change (another thread's, while a blocking call
    runs without the run lock) is stamped with the old generation and not trusted."""
    cache = k._access
    k.guest_buffer(BUF, 8, PROT_WRITE)
    lo, hi, gen = cache.writable
    assert (lo, hi, gen) == (BUF, BUF + 0x2000, cache.gen)
    k.mem.protect(BUF, 0x2000, PROT_READ)
    assert cache.writable[2] != cache.gen
    with pytest.raises(Exception):
        k.guest_buffer(BUF, 8, PROT_WRITE)


# ---- the gate --------------------------------------------------------------------------------
def test_gate_fast_read_write_and_unknown(k):
    r, w = os.pipe()
    gr, gw = k.fds.install(r), k.fds.install(w)
    k.mem.write(BUF, b"abcd")
    k.cpu = _Regs(k.abi.SYSCALLS["write"], gw, BUF, 4)
    k.syscall()
    assert k.cpu.result == 4
    k.cpu = _Regs(k.abi.SYSCALLS["read"], gr, BUF + 16, 4)
    k.syscall()
    assert k.cpu.result == 4 and k.mem.read(BUF + 16, 4) == b"abcd"
    k.cpu = _Regs(k.abi.SYSCALLS["read"], gr, 0x7000_0000, 4)      # unmapped buffer
    k.syscall()
    assert k.cpu.result == -errno.EFAULT & k.word_mask
    k.cpu = _Regs(0x3FF)                                             # no such syscall
    k.syscall()
    assert k.cpu.result == -errno.ENOSYS & k.word_mask
    assert k.syscall_count == 4


def test_regression_epipe_write_still_raises_sigpipe(k):
    r, w = os.pipe()
    os.close(r)
    gw = k.fds.install(w)
    k.sigactions[13] = (1, 0, 0, 0)          # SIG_IGN: the gate posts it, delivery drops it
    k.cpu = _Regs(k.abi.SYSCALLS["write"], gw, BUF, 4)
    k.syscall()
    assert k.cpu.result == -errno.EPIPE & k.word_mask
    assert not k.sig.pending                  # posted and delivered (ignored) at the end
    del k.sigactions[13]
    k.cpu = _Regs(k.abi.SYSCALLS["write"], gw, BUF, 4)
    with pytest.raises(GuestExit) as e:       # default action: the guest dies by SIGPIPE
        k.syscall()
    assert e.value.signal == 13


# ---- Unicorn: the native interrupt hook ------------------------------------------------------
def _unicorn(abi, code: bytes):
    mem = GuestMemory(abi.ADDRESS_SPACE)
    mem.map(CODE, 0x10000, PROT_READ | PROT_WRITE | PROT_EXEC)
    mem.write(CODE, code)
    cpu = UnicornBackend(abi, mem)
    kern = Kernel(abi, mem, FdTable(), exe_path="/guest/prog", log=io.StringIO())
    kern.cpu = cpu
    cpu.start(CODE, CODE + 0xF000)
    return cpu, kern, mem


def test_unicorn_hook_reads_arguments_and_writes_results_aarch64():
    # mov x8, #172 (getpid); svc; mov x19, x0; mov x0, #0; mov x8, #94 (exit_group); svc
    cpu, kern, mem = _unicorn(a64, words("d2801588", "d4000001", "aa0003f3", "d2800000",
                                         "d2800bc8", "d4000001"))
    end = cpu.run(kern)
    assert end.status == 0 and end.signal == 0
    assert cpu.read_reg("x19") == os.getpid()
    assert kern.syscall_count == 2
    mem.close()


def test_regression_unicorn_result_not_written_again_after_the_hook():
    """The native hook writes a syscall's result back after Python returns; a write-back
    flag left set made the next register access outside a syscall (here: the context a
    fault's signal reads) write that old result over r0 again. (Thumb sig_basic: a store
    through r0 faulted, and the handler's return re-ran it with r0 = mprotect's 0.)"""
    # mov r7,#20 (getpid); svc; movw/movt r0,#0x12345678; ldr r1,[r2] (r2=0: SIGSEGV)
    cpu, kern, mem = _unicorn(arm, words("e3a07014", "ef000000", "e3050678", "e3410234",
                                         "e5921000"))
    end = cpu.run(kern)
    assert end.signal == 11
    assert cpu.read_reg("r0") == 0x12345678
    assert cpu.get_context()["r"][0] == 0x12345678
    mem.close()


def test_unicorn_handler_at_syscall_end_sees_its_own_r0_and_result_survives():
    """A signal delivered at the end of a syscall: the handler frame saves the syscall's
    result (the pending write-back is flushed before the context is read), the handler
    starts with r0 = the signal number (nothing writes the old result over it when the
    hook returns), and after sigreturn r0 is the syscall's result again."""
    main = words("e3a07014", "ef000000",                 # getpid
                 "e3a0100a", "e3a07025", "ef000000",     # kill(pid, SIGUSR1): handler here
                 "e1a05000",                             # mov r5, r0  (kill's result)
                 "e3a00000", "e3a070f8", "ef000000")     # exit_group(0)
    # movw r1, #0xf00; movt r1, #1; str r0, [r1] (at CODE + 0xf00); bx lr
    handler = words("e3001f00", "e3401001", "e5810000", "e12fff1e")
    restorer = words("e3a070ad", "ef000000")             # rt_sigreturn
    code = main.ljust(0x100, b"\0") + handler.ljust(0x100, b"\0") + restorer
    cpu, kern, mem = _unicorn(arm, code)
    cpu.write_reg("r5", 0x55)
    kern.sigactions[10] = (CODE + 0x100, SA_SIGINFO | SA_RESTORER, CODE + 0x200, 0)
    end = cpu.run(kern)
    assert end.status == 0 and end.signal == 0
    assert mem.read(CODE + 0xF00, 4) == struct.pack("<I", 10)   # the handler's argument
    assert cpu.read_reg("r5") == 0             # kill() returned 0, through the frame
    mem.close()


# ---- guest threads: the run lock around blocking calls -----------------------------------------
def test_blocking_calls_run_without_the_run_lock_and_only_waits_are_interruptible(k):
    """With guest threads the gate gives the run lock up around a BLOCKING call (release_cpu
    / take_cpu, unlocked()'s halves): the handler runs with no owner and the thread marked
    blocking; only Python-level waits (nanosleep) are interruptible inside, and neither
    after."""
    import threading

    from translator.linux import threads
    group = k.threads = threads.ThreadGroup(k)
    try:
        seen = []

        def probe(kern, *args):
            seen.append((group.lock.owner, threads.current().blocking, kern.interruptible))
            return 7
        for name in ("read", "nanosleep", "getpid"):
            k.table[k.abi.SYSCALLS[name]].handler = probe
        assert call(k, "read", 0, BUF, 4) == 7
        assert call(k, "nanosleep", BUF, 0) == 7
        assert call(k, "getpid") == 7
        assert seen == [(None, True, False), (None, True, True),
                        (threading.get_ident(), False, False)]
        assert group.lock.owner == threading.get_ident()
        assert not threads.current().blocking and not k.interruptible
        assert k.__dict__["_main_interruptible"] is False    # the main thread's mirror
    finally:
        group.end = GuestExit(0)
        threads._current.thread = None
