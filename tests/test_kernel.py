"""The Linux layer driven directly, without a CPU backend: syscalls in, results out."""
from __future__ import annotations

import errno
import io
import os
import struct

import pytest

from frontends.aarch64 import abi as a64
from frontends.arm import abi as arm
from translator.linux.fdtable import FdTable
from translator.linux.kernel import GuestExit, Kernel
from translator.linux.syscalls import fs, mm, process, signal as sigsys, sync
from translator.memory import PROT_READ, PROT_WRITE, GuestMemory

SCRATCH = 0x10000


class FakeCpu:
    def __init__(self):
        self.regs: dict[str, int] = {}
        self.tls = 0
        self.invalidated: list[tuple[int, int]] = []

    def read_reg(self, name):
        return self.regs.get(name, 0)

    def write_reg(self, name, value):
        self.regs[name] = value

    def read_syscall(self):
        return self.regs.get(self.nr_reg, 0), [self.regs.get(r, 0) for r in self.arg_regs]

    def write_result(self, value):
        self.regs[self.ret_reg] = value

    def set_tls(self, v):
        self.tls = v

    def get_tls(self):
        return self.tls

    def invalidate(self, start, length):
        self.invalidated.append((start, length))


@pytest.fixture(params=[arm, a64], ids=["arm", "aarch64"])
def k(request):
    abi = request.param
    mem = GuestMemory(abi.ADDRESS_SPACE)
    mem.map(SCRATCH, 0x10000, PROT_READ | PROT_WRITE)
    kern = Kernel(abi, mem, FdTable(), exe_path="/guest/prog", log=io.StringIO())
    kern.cpu = FakeCpu()
    kern.cpu.nr_reg, kern.cpu.arg_regs = abi.SYSCALL_NR_REG, abi.SYSCALL_ARG_REGS
    kern.cpu.ret_reg = abi.SYSCALL_RET_REG
    kern.brk_start = kern.brk_cur = 0x200000
    kern.mmap_top = abi.MMAP_TOP
    yield kern
    kern.fds.close_all()
    mem.close()


def put_str(k: Kernel, s: str, at: int = SCRATCH) -> int:
    k.mem.write(at, s.encode() + b"\0")
    return at


def test_syscall_gate_reads_registers_and_writes_result(k):
    nr = k.abi.SYSCALLS["getpid"]
    k.cpu.regs[k.abi.SYSCALL_NR_REG] = nr
    k.syscall()
    assert k.cpu.regs[k.abi.SYSCALL_RET_REG] == os.getpid()
    k.cpu.regs[k.abi.SYSCALL_NR_REG] = k.abi.SYSCALLS["close"]
    k.cpu.regs[k.abi.SYSCALL_ARG_REGS[0]] = 999
    k.syscall()
    assert k.cpu.regs[k.abi.SYSCALL_RET_REG] == (-errno.EBADF) & k.word_mask


def test_strace_line(k):
    out = io.StringIO()
    k.strace = out
    path = put_str(k, "/nonexistent/x")
    k.cpu.regs.update({k.abi.SYSCALL_NR_REG: k.abi.SYSCALLS["openat"],
                       k.abi.SYSCALL_ARG_REGS[0]: (-100) & k.word_mask,
                       k.abi.SYSCALL_ARG_REGS[1]: path, k.abi.SYSCALL_ARG_REGS[2]: 0o2000000})
    k.syscall()
    assert out.getvalue() == (f'{k.pid} openat(AT_FDCWD,"/nonexistent/x",O_RDONLY|O_CLOEXEC,0o0)'
                              " = -1 ENOENT (No such file or directory)\n")


def test_open_flags_are_translated(k, tmp_path):
    """ARM/AArch64 O_DIRECTORY is 0o40000, x86-64's is 0o200000 (and that is O_DIRECT's ARM bit)."""
    path = put_str(k, str(tmp_path))
    fd = fs.sys_openat(k, -100 & 0xFFFFFFFF, path, k.abi.O_FLAGS["O_DIRECTORY"], 0)
    assert fd >= 0
    assert fs.sys_fcntl(k, fd, fs.F_GETFL, 0) & k.abi.O_FLAGS["O_DIRECTORY"]
    f = tmp_path / "file"
    f.write_text("x")
    path = put_str(k, str(f))
    assert fs.sys_openat(k, -100 & 0xFFFFFFFF, path, k.abi.O_FLAGS["O_DIRECTORY"], 0) == -errno.ENOTDIR


def test_regression_dup_clears_cloexec(k, tmp_path):
    """os.dup would mark the copy close-on-exec; dup(2) must not."""
    path = put_str(k, str(tmp_path))
    fd = fs.sys_openat(k, -100 & 0xFFFFFFFF, path, 0o2000000, 0)    # O_CLOEXEC
    assert fs.sys_fcntl(k, fd, fs.F_GETFD, 0) == 1
    new = fs.sys_dup(k, fd)
    assert new == fd + 1 and fs.sys_fcntl(k, new, fs.F_GETFD, 0) == 0
    assert fs.sys_dup3(k, fd, 20, 0o2000000) == 20 and fs.sys_fcntl(k, 20, fs.F_GETFD, 0) == 1
    assert fs.sys_fcntl(k, fd, fs.F_DUPFD, 10) == 10


def test_stat_layout(k, tmp_path):
    f = tmp_path / "f"
    f.write_bytes(b"12345")
    assert fs.sys_stat64(k, put_str(k, str(f)), SCRATCH + 0x1000) == 0
    v = k.abi.STAT.unpack(k.mem.read(SCRATCH + 0x1000, k.abi.STAT.size))
    st = os.stat(f)
    assert v["st_size"] == 5 and v["st_ino"] == st.st_ino and v["st_mode"] == st.st_mode
    assert v["st_mtime"] == int(st.st_mtime)


def test_llseek_and_pread(k, tmp_path):
    f = tmp_path / "f"
    f.write_bytes(bytes(range(100)))
    fd = fs.sys_openat(k, -100 & 0xFFFFFFFF, put_str(k, str(f)), 0, 0)
    assert fs.sys__llseek(k, fd, 0, 10, SCRATCH + 0x100, 0) == 0
    assert struct.unpack("<q", k.mem.read(SCRATCH + 0x100, 8))[0] == 10
    assert fs.sys_read(k, fd, SCRATCH + 0x200, 3) == 3
    assert k.mem.read(SCRATCH + 0x200, 3) == bytes([10, 11, 12])
    assert fs.sys_pread64(k, fd, SCRATCH + 0x200, 2, 50) == 2
    assert k.mem.read(SCRATCH + 0x200, 2) == bytes([50, 51])


def test_read_into_readonly_memory_is_efault(k, tmp_path):
    k.mem.map(0x40000, 0x1000, PROT_READ)
    f = tmp_path / "f"
    f.write_bytes(b"data")
    fd = fs.sys_openat(k, -100 & 0xFFFFFFFF, put_str(k, str(f)), 0, 0)
    k.cpu.regs.update({k.abi.SYSCALL_NR_REG: k.abi.SYSCALLS["read"],
                       k.abi.SYSCALL_ARG_REGS[0]: fd, k.abi.SYSCALL_ARG_REGS[1]: 0x40000,
                       k.abi.SYSCALL_ARG_REGS[2]: 4})
    k.syscall()
    assert k.cpu.regs[k.abi.SYSCALL_RET_REG] == (-errno.EFAULT) & k.word_mask


def test_brk_grows_and_shrinks(k):
    assert mm.sys_brk(k, 0) == 0x200000
    assert mm.sys_brk(k, 0x203456) == 0x203456
    k.mem.write(0x203000, b"heap")
    assert k.mem.vma_at(0x203000).name == "[heap]"
    assert mm.sys_brk(k, 0x201000) == 0x201000
    assert k.mem.vma_at(0x203000) is None
    k.mem.map(0x300000, 0x1000, PROT_READ)
    assert mm.sys_brk(k, 0x400000) == 0x201000      # blocked by a mapping: unchanged


def test_mmap_top_down_fixed_and_errors(k):
    rw = PROT_READ | PROT_WRITE
    a = mm.sys_mmap(k, 0, 0x3000, rw, mm.MAP_PRIVATE | mm.MAP_ANONYMOUS, -1, 0)
    b = mm.sys_mmap(k, 0, 0x1000, rw, mm.MAP_PRIVATE | mm.MAP_ANONYMOUS, -1, 0)
    assert a == k.abi.MMAP_TOP - 0x3000 and b == a - 0x1000
    fixed = mm.sys_mmap(k, 0x500000, 0x1000, rw, mm.MAP_PRIVATE | mm.MAP_ANONYMOUS | mm.MAP_FIXED, -1, 0)
    assert fixed == 0x500000
    assert mm.sys_mmap(k, 0x500000, 0x1000, rw,
                       mm.MAP_PRIVATE | mm.MAP_ANONYMOUS | mm.MAP_FIXED_NOREPLACE, -1, 0) == -errno.EEXIST
    assert mm.sys_mmap(k, 0, 0, rw, mm.MAP_PRIVATE | mm.MAP_ANONYMOUS, -1, 0) == -errno.EINVAL
    with pytest.raises(OSError) as e:                    # the gate turns it into -EBADF
        mm.sys_mmap(k, 0, 0x1000, rw, mm.MAP_PRIVATE, 77, 0)
    assert e.value.errno == errno.EBADF
    assert mm.sys_munmap(k, a + 1, 0x1000) == -errno.EINVAL
    assert mm.sys_munmap(k, a, 0x3000) == 0 and k.mem.vma_at(a) is None
    assert (a, 0x3000) in k.cpu.invalidated
    with pytest.raises(OSError) as e:
        mm.sys_mprotect(k, a, 0x1000, PROT_READ)
    assert e.value.errno == errno.ENOMEM


def test_mremap_moves_data(k):
    rw = PROT_READ | PROT_WRITE
    a = mm.sys_mmap(k, 0, 0x1000, rw, mm.MAP_PRIVATE | mm.MAP_ANONYMOUS, -1, 0)
    mm.sys_mmap(k, a + 0x1000, 0x1000, rw,          # a neighbour right above
                mm.MAP_PRIVATE | mm.MAP_ANONYMOUS | mm.MAP_FIXED, -1, 0)
    k.mem.write(a, b"payload")
    assert mm.sys_mremap(k, a, 0x1000, 0x2000, 0, 0) == -errno.ENOMEM   # no room, may not move
    b = mm.sys_mremap(k, a, 0x1000, 0x4000, mm.MREMAP_MAYMOVE, 0)
    assert b > 0 and k.mem.read(b, 7) == b"payload"


def test_regression_signal_pending_until_unblocked(k):
    """musl raise(): block all, tkill self, restore mask -> the signal lands at the restore."""
    k.mem.write_u64(SCRATCH, 1 << 5)      # SIGABRT
    assert sigsys.sys_rt_sigprocmask(k, 0, SCRATCH, 0, 8) == 0
    assert sigsys.sys_tkill(k, k.pid, 6) == 0              # blocked: pending, no exit
    assert k.sigpending == 1 << 5
    assert sigsys.sys_rt_sigprocmask(k, 1, SCRATCH, 0, 8) == 0   # SIG_UNBLOCK
    with pytest.raises(GuestExit) as e:
        k.deliver_pending()          # what the syscall gate does as the call returns
    assert e.value.signal == 6


def test_sigaction_roundtrip_and_ignore(k):
    lay = k.abi.SIGACTION
    k.mem.write(SCRATCH, lay.pack(sa_handler=1, sa_flags=0x10000000, sa_mask=3))
    assert sigsys.sys_rt_sigaction(k, 15, SCRATCH, 0, 8) == 0
    assert sigsys.sys_rt_sigaction(k, 15, 0, SCRATCH + 0x100, 8) == 0
    assert lay.unpack(k.mem.read(SCRATCH + 0x100, lay.size))["sa_mask"] == 3
    assert sigsys.sys_kill(k, k.pid, 15) == 0          # SIG_IGN: nothing happens
    assert sigsys.sys_rt_sigaction(k, 9, SCRATCH, 0, 8) == -errno.EINVAL
    assert sigsys.sys_kill(k, 0, 10) == 0
    with pytest.raises(GuestExit) as e:
        k.deliver_pending()                             # SIGUSR1 default: terminate
    assert e.value.signal == 10


def test_regression_futex_wake_single_thread(k):
    """C++ runtime initialisation wakes futexes; -ENOSYS there made libstdc++ abort."""
    k.mem.write_u32(SCRATCH, 7)
    assert sync.sys_futex(k, SCRATCH, 1 | 128, 1, 0, 0, 0) == 0          # WAKE_PRIVATE
    assert sync.sys_futex(k, SCRATCH, 0, 8, 0, 0, 0) == -errno.EAGAIN    # value differs
    k.mem.write(SCRATCH + 0x100, k.abi.TIMESPEC.pack(tv_sec=0, tv_nsec=1000))
    assert sync.sys_futex(k, SCRATCH, 0, 7, SCRATCH + 0x100, 0, 0) == -errno.ETIMEDOUT


@pytest.mark.parametrize("k", [arm], ids=["arm"], indirect=True)   # statfs64 is ARM32's call
def test_regression_statfs64_glibc_size_88(k, tmp_path):
    path = put_str(k, str(tmp_path))
    assert fs.sys_statfs64(k, path, 88, SCRATCH + 0x1000) == 0
    assert fs.sys_statfs64(k, path, 84, SCRATCH + 0x1000) == 0
    assert fs.sys_statfs64(k, path, 80, SCRATCH + 0x1000) == -errno.EINVAL
    v = k.abi.STATFS.unpack(k.mem.read(SCRATCH + 0x1000, k.abi.STATFS.size))
    assert v["f_bsize"] == os.statvfs(tmp_path).f_bsize


def test_uname_machine(k):
    assert process.sys_uname(k, SCRATCH) == 0
    fields = [k.mem.read(SCRATCH + 65 * i, 65).rstrip(b"\0").decode() for i in range(5)]
    assert fields[0] == "Linux" and fields[4] == k.abi.UNAME_MACHINE
    assert fields[2] == os.uname().release


def test_regression_uname_domainname_is_the_kernels_not_a_dns_lookup(k, monkeypatch):
    # sys_uname filled utsname.domainname from socket.getfqdn(): a DNS lookup (which can hang
    # on a host without a resolver) for a field that holds the NIS domain name.
    import socket

    def no_dns(*args):
        raise AssertionError("uname must not resolve host names")
    monkeypatch.setattr(socket, "getfqdn", no_dns)
    monkeypatch.setattr(socket, "gethostbyaddr", no_dns)
    assert process.sys_uname(k, SCRATCH) == 0
    domain = k.mem.read(SCRATCH + 65 * 5, 65).rstrip(b"\0").decode()
    with open("/proc/sys/kernel/domainname") as f:
        assert domain == (f.read().strip() or "(none)")


def test_set_tls_and_exit(k):
    assert process.sys_set_tls(k, 0x1234) == 0 and k.cpu.tls == 0x1234
    with pytest.raises(GuestExit) as e:
        process.sys_exit_group(k, 0x1FF)
    assert e.value.status == 0xFF and e.value.signal == 0


def test_getdents64_lists_every_entry(k, tmp_path):
    names = {f"n{i:03d}" for i in range(150)}
    for n in names:
        (tmp_path / n).touch()
    fd = fs.sys_openat(k, -100 & 0xFFFFFFFF, put_str(k, str(tmp_path)), 0o40000, 0)
    seen = set()
    while True:
        n = fs.sys_getdents64(k, fd, SCRATCH + 0x1000, 1024)
        assert n >= 0
        if n == 0:
            break
        raw = k.mem.read(SCRATCH + 0x1000, n)
        off = 0
        while off < n:
            reclen = struct.unpack_from("<H", raw, off + 16)[0]
            seen.add(raw[off + 19:off + reclen].split(b"\0")[0].decode())
            off += reclen
    assert names <= seen
