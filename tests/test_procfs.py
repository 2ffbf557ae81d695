"""/proc as the guest sees it (translator/linux/procfs.py), from tests/guest/procfs_self.c
built static and dynamic for ARM32 and AArch64, and the generators driven directly."""
from __future__ import annotations

import os
import re
import struct

import pytest

from conftest import CROSS_SYSROOT, GuestBuilder, run_pytrans

ARCHES = ["arm", "aarch64"]
# /proc/cpuinfo Features and CPU part of the modelled cores (Cortex-A15 / Cortex-A72 TRMs,
# the kernels' hwcap_str order).
FEATURES = {"arm": "swp half thumb fastmult vfp edsp neon vfpv3 tls vfpv4 idiva idivt vfpd32 "
                   "lpae ",
            "aarch64": "fp asimd aes pmull sha1 sha2 crc32 cpuid"}
PART = {"arm": "0xc0f", "aarch64": "0xd08"}
MACHINE = {"arm": "armv7l", "aarch64": "aarch64"}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return GuestBuilder(tmp_path_factory.mktemp("procfs"))


@pytest.mark.parametrize("link", ["-static", "-no-pie"])
@pytest.mark.parametrize("arch", ARCHES)
def test_proc_self_seen_by_the_guest(build, arch, link):
    prog = str(build("procfs_self", arch, link=link))   # compared as text below
    args = ["-L", CROSS_SYSROOT[arch]] if link != "-static" else []
    r = run_pytrans("run", *args, prog, "one", "two words", "")
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert f"exe={prog}\n" in out
    n = len(prog) + 1 + len(b"one\0two words\0\0")
    assert f"cmdline: [{prog}] [one] [two words] [] len={n}\n" in out
    assert "auxv: entries=19 matches_getauxval=1 ends_with_null=1\n" in out
    assert f"maps main: r-xp {prog}\n" in out
    assert "maps stack: rw-p [stack]\n" in out
    assert "maps malloc: rw-p \n" in out          # anonymous: no name after "0 "
    if link != "-static":
        interp = "ld-linux-armhf.so.3" if arch == "arm" else "ld-linux-aarch64.so.1"
        assert re.search(rf"maps interp: r-xp \S+/{re.escape(interp)}\n", out)
    assert "maps: well-formed=1\n" in out
    assert f"cpuinfo: Features\t: {FEATURES[arch]} | CPU part\t: {PART[arch]}\n" in out
    assert f"uname -m: {MACHINE[arch]}\n" in out
    assert "lseek+read: " + prog[1:4] + " fstat-regular=1\n" in out
    assert "open-for-write: 1\n" in out


# ---- the generators, driven directly --------------------------------------------------------
class _Abi:
    def __init__(self, arch: str):
        from frontends.aarch64 import abi as a64
        from frontends.arm import abi as arm
        self.__dict__.update({k: getattr(arm if arch == "arm" else a64, k)
                              for k in ("BITS", "WORD", "HWCAP", "CPU_NAME", "STACK_TOP")})


class _Fds:
    def host(self, fd: int) -> int:
        if fd != 7:
            raise OSError(9, "bad fd")
        return 0


def _kernel(arch: str):
    from translator.memory import PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory

    class K:
        pass
    k = K()
    k.abi = _Abi(arch)
    k.mem = GuestMemory(1 << 32)
    k.mem.map(0x10000, 0x2000, PROT_READ | PROT_EXEC, name="/bin/prog")
    k.mem.map(0x12000, 0x1000, PROT_READ | PROT_WRITE, name="/bin/prog")
    k.mem.map(0x20000, 0x1000, PROT_READ | PROT_WRITE, name="[heap]")
    k.mem.map(0x21000, 0x1000, PROT_READ | PROT_WRITE, name="[heap]")   # merged with the above
    k.mem.map(0x40000, 0x1000, PROT_READ)
    k.pid, k.exe_path, k.argv = os.getpid(), "/bin/prog", [b"prog", b"x y"]
    k.auxv = [(6, 4096), (9, 0x10000), (0, 0)]
    k.fds = _Fds()
    return k


def test_maps_format_matches_the_kernel():
    from translator.linux.procfs import maps_text
    k = _kernel("arm")
    try:
        lines = maps_text(k).decode().splitlines()
    finally:
        k.mem.close()
    # 32-bit kernel: names start at column 49 (seq_setwidth(25 + 6 * sizeof(void *) - 1) + 1)
    assert lines == [
        "00010000-00012000 r-xp 00000000 00:00 0          /bin/prog",
        "00012000-00013000 rw-p 00000000 00:00 0          /bin/prog",
        "00020000-00022000 rw-p 00000000 00:00 0          [heap]",
        "00040000-00041000 r--p 00000000 00:00 0 ",
    ]
    k = _kernel("aarch64")
    try:
        line = maps_text(k).decode().splitlines()[0]
    finally:
        k.mem.close()
    assert line.index("/bin/prog") == 73          # 64-bit: column 73, as on the host


@pytest.mark.parametrize("arch", ARCHES)
def test_auxv_cmdline_cpuinfo_generators(arch):
    from translator.linux.procfs import auxv_bytes, cmdline_bytes, cpuinfo_text
    k = _kernel(arch)
    try:
        fmt = "<6" + k.abi.WORD
        assert auxv_bytes(k) == struct.pack(fmt, 6, 4096, 9, 0x10000, 0, 0)
        assert cmdline_bytes(k) == b"prog\0x y\0"
        info = cpuinfo_text(k).decode()
    finally:
        k.mem.close()
    entries = [e for e in info.split("\n\n") if e.startswith("processor")]
    assert len(entries) == len(os.sched_getaffinity(0))
    assert f"Features\t: {FEATURES[arch]}\n" in entries[0]
    assert f"CPU part\t: {PART[arch]}\n" in entries[0]
    assert f"CPU architecture: {7 if arch == 'arm' else 8}\n" in entries[0]
    if arch == "arm":
        assert "model name\t: ARMv7 Processor rev 3 (v7l)\n" in entries[0]
        assert info.endswith("Serial\t\t: 0000000000000000\n")


def test_proc_paths_recognised():
    from translator.linux.procfs import readlink_special, stat_path
    k = _kernel("arm")
    try:
        pid = os.getpid()
        for p in (b"/proc/self/exe", f"/proc/{pid}/exe".encode(), b"/proc/thread-self/exe",
                  f"/proc/self/task/{pid}/exe".encode()):
            assert readlink_special(k, p) == b"/bin/prog", p
        assert readlink_special(k, b"/proc/1/exe") is None          # another process
        assert stat_path(k, b"/proc/self/fd/7", True) == b"/proc/self/fd/0"
        with pytest.raises(OSError):
            stat_path(k, b"/proc/self/fd/8", True)                # not a guest descriptor
        assert readlink_special(k, b"/proc/self/cwd") is None      # the host's answer is right
    finally:
        k.mem.close()
