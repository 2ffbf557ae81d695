"""Linux-layer behaviours seen from small guest programs (tests/guest/*.c)."""
from __future__ import annotations

import signal
import subprocess
import time

import pytest

from conftest import CROSS_SYSROOT, PYTRANS, ROOT, GuestBuilder, run_pytrans, shell_status

ARCHES = ["arm", "aarch64"]


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    return GuestBuilder(tmp_path_factory.mktemp("guest"))


@pytest.mark.parametrize("arch", ARCHES)
def test_dynamic_program_with_sysroot(guest, arch):
    prog = guest("auxv", arch, link="-no-pie")
    root = CROSS_SYSROOT[arch]
    r = run_pytrans("run", "-L", root, prog)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    base = int(out.split("AT_BASE=")[1].split()[0], 16)
    assert base != 0                               # the interpreter's load address
    assert "AT_ENTRY=1" in out and "AT_PHDR=1" in out
    info = run_pytrans("info", prog).stdout.decode()
    assert "dynamic" in info and ("ld-linux" in info)
    r = run_pytrans("run", prog, env={"PYTRANS_LD_PREFIX": ""})
    assert r.returncode == 1 and b"pytrans: dynamically linked program needs its interpreter" in r.stderr


@pytest.mark.parametrize("arch", ARCHES)
def test_unknown_syscall_is_enosys_and_reported_once(guest, arch):
    r = run_pytrans("run", guest("enosys", arch))
    assert r.returncode == 0
    assert r.stdout.decode() == "r=-1 errno=ENOSYS\n" * 3
    assert r.stderr.decode().splitlines() == ["pytrans: unknown syscall 4000 returns -ENOSYS"]
    r = run_pytrans("run", "--strace", guest("enosys", arch))
    traced = [line for line in r.stderr.decode().splitlines() if "syscall_4000(" in line]
    assert len(traced) == 3 and all(t.endswith("= -1 ENOSYS (Function not implemented)")
                                    for t in traced)


def test_arm_bad_private_syscall_is_sigill(guest):
    """The kernel (arm_syscall) answers unknown numbers in 0xf0000-0xf07ff with -ENOSYS and
    anything past them with SIGILL; ordinary unknown numbers get -ENOSYS."""
    r = run_pytrans("run", guest("enosys", "arm"), "0xf0700", "0xf0900")
    assert r.stdout.decode() == "r=-1 errno=ENOSYS\n" * 4
    assert shell_status(r.returncode) == 132
    assert "pytrans: guest killed by signal 4 (SIGILL)" in r.stderr.decode()


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_host_signal_ends_a_spinning_guest(guest, arch, sig):
    """Native execution never returns to Python, yet Ctrl-C must still end the guest."""
    import os
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen(PYTRANS + ["run", str(guest("spin", arch))], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    try:
        assert p.stdout.readline() == b"spinning\n"
        time.sleep(0.3)
        p.send_signal(sig)
        rc = p.wait(timeout=10)
    finally:
        p.kill()
    assert shell_status(rc) == 128 + sig
    assert b"Traceback" not in p.stderr.read()


@pytest.mark.parametrize("arch", ARCHES)
def test_sysroot_paths_first(guest, arch, tmp_path):
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "pytrans-sysroot-test").write_text("from the sysroot\n")
    prog = guest("readfile", arch)
    r = run_pytrans("run", "-L", root, prog, "/etc/pytrans-sysroot-test")
    assert r.returncode == 0 and r.stdout == b"from the sysroot\n"
    # absent from the sysroot: the host file is used
    r = run_pytrans("run", "-L", root, prog, "/etc/hostname")
    assert r.returncode == 0 and r.stdout == open("/etc/hostname", "rb").read()
    # and the environment variable does the same as -L
    r = run_pytrans("run", prog, "/etc/pytrans-sysroot-test", env={"PYTRANS_LD_PREFIX": str(root)})
    assert r.stdout == b"from the sysroot\n"
    r = run_pytrans("run", prog, "/etc/pytrans-sysroot-test")
    assert r.returncode == 2


@pytest.mark.parametrize("arch", ARCHES)
def test_proc_self_exe_is_the_guest(guest, arch):
    prog = guest("readfile", arch)
    r = run_pytrans("run", "--strace", prog, "/nonexistent")
    assert shell_status(r.returncode) == 2
    lines = [line for line in r.stderr.decode().splitlines() if "/proc/self/exe" in line]
    for line in lines:          # glibc asks at start-up; the answer is the guest's path
        assert line.endswith(f"= {len(str(prog))}")


@pytest.mark.parametrize("arch", ARCHES)
def test_auxv_seen_by_the_guest(guest, arch):
    from frontends.aarch64 import abi as a64
    from frontends.arm import abi as arm
    abi = arm if arch == "arm" else a64
    prog = guest("auxv", arch)
    r = run_pytrans("run", prog)
    assert r.returncode == 0, r.stderr
    got = dict(line.split("=", 1) for line in r.stdout.decode().split("\n")[:14] if "=" in line)
    assert got["AT_PAGESZ"] == "4096"
    assert int(got["AT_HWCAP"], 16) == abi.HWCAP
    assert int(got["AT_HWCAP2"], 0) == abi.HWCAP2
    assert got["AT_PLATFORM"] == abi.PLATFORM
    assert got["AT_EXECFN"] == str(prog)
    assert got["AT_SECURE"] == "0" and got["AT_CLKTCK"] == "100"
    assert int(got["AT_BASE"], 0) == 0          # static: no interpreter
    for key in ("AT_UID", "AT_EUID", "AT_GID", "AT_EGID", "AT_RANDOM", "AT_ENTRY"):
        assert got[key] == "1", key
    assert "AT_PHDR=1 AT_PHENT=%d AT_PHNUM>0=1" % (32 if arch == "arm" else 56) in r.stdout.decode()
    assert "stack-aligned=1" in r.stdout.decode()


@pytest.mark.parametrize("arch", ARCHES)
def test_file_mmap_statfs_sysinfo(guest, arch, tmp_path):
    r = run_pytrans("run", guest("mmapfile", arch), tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == (
        "private read: 0123456789abcdef cdef\n"
        "shared write reached the file: SHARED\n"
        "private copy sees it too: SHARED\n"
        "unaligned offset fails: 1\n"
        "shared writable map of read-only fd fails: 1\n"
        "private writable map of read-only fd: X\n"
        "statfs ok: 1 bsize>0: 1\n"
        "sysinfo ok: 1 totalram>0: 1\n")
    assert (tmp_path / "data.bin").read_bytes()[4096:4102] == b"SHARED"


@pytest.mark.parametrize("arch", ARCHES)
def test_regression_sigpipe_reaches_the_guest(guest, arch):
    """Python ignores SIGPIPE, so the host write only says EPIPE: the guest must still be
    killed by SIGPIPE, as `yes | head -1` relies on."""
    import os
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen(PYTRANS + ["run", str(guest("yes", arch))], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)
    assert p.stdout.read(2) == b"y\n"
    p.stdout.close()
    rc = p.wait(timeout=20)
    err = p.stderr.read().decode()
    assert shell_status(rc) == 128 + signal.SIGPIPE, err
    assert err == ""            # no "write failed", and quiet like a shell about SIGPIPE
