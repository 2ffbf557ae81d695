"""Guest struct layouts checked against the cross compilers' own sizeof/offsetof.

Each layout in frontends/<arch>/abi.py is turned into C `_Static_assert`s over the kernel's
UAPI header type and compiled for the target: a wrong offset fails to compile.
"""
from __future__ import annotations

import subprocess

import pytest

from conftest import cross_compiler
from frontends.aarch64 import abi as a64
from frontends.arm import abi as arm
from translator.linux.structs import Layout

# layout attribute -> (C type, headers)
CTYPES = {
    "STAT": (None, ["asm/stat.h"]),
    "TIMESPEC": ("struct timespec", ["linux/time.h"]),
    "TIMESPEC64": ("struct __kernel_timespec", ["linux/time_types.h"]),
    "TIMEVAL": ("struct timeval", ["linux/time.h"]),
    "TIMEZONE": ("struct timezone", ["linux/time.h"]),
    "RLIMIT": ("struct rlimit", ["linux/resource.h"]),
    "RLIMIT64": ("struct rlimit64", ["linux/resource.h"]),
    "IOVEC": ("struct iovec", ["linux/uio.h"]),
    "SYSINFO": ("struct sysinfo", ["linux/sysinfo.h"]),
    "STATFS": (None, ["asm/statfs.h"]),
    "TMS": ("struct tms", ["linux/times.h"]),
    # glibc's own socket structs (sys/socket.h is what guest programs see).
    "MSGHDR": ("struct msghdr", ["sys/socket.h"]),
    "MMSGHDR": ("struct mmsghdr", ["sys/socket.h"]),
    "CMSGHDR": ("struct cmsghdr", ["sys/socket.h"]),
    "LINGER": ("struct linger", ["sys/socket.h"]),
    "UCRED": ("struct ucred", ["sys/socket.h"]),
    "EPOLL_EVENT": ("struct epoll_event", ["sys/epoll.h"]),
    "IFREQ": ("struct ifreq", ["net/if.h"]),
    "IFCONF": ("struct ifconf", ["net/if.h"]),
    "SIGEVENT": ("struct sigevent", ["signal.h"]),
    "ITIMERSPEC": ("struct itimerspec", ["linux/time.h"]),
    "ITIMERSPEC64": ("struct __kernel_itimerspec", ["linux/time_types.h"]),
}
TARGETS = [(arm, "arm", {"STAT": "struct stat64", "STATFS": "struct statfs64"}),
           (a64, "aarch64", {"STAT": "struct stat", "STATFS": "struct statfs"})]


def _asserts(attr: str, lay: Layout, ctype: str) -> list[str]:
    lines = [f'_Static_assert(sizeof({ctype}) == {lay.size}, "{attr} size");']
    for name, off in lay.offsets.items():
        lines.append(f'_Static_assert(__builtin_offsetof({ctype}, {name}) == {off}, '
                     f'"{attr}.{name}");')
    return lines


@pytest.mark.parametrize("abi,arch,names", TARGETS, ids=["arm", "aarch64"])
def test_layouts_match_the_kernel_headers(tmp_path, abi, arch, names):
    cc = cross_compiler(arch)
    # glibc's headers (sys/socket.h, sys/epoll.h) and the UAPI ones (linux/time.h) both
    # define struct timespec: the glibc structs are checked in a unit of their own.
    libc = {"sys/socket.h", "sys/epoll.h", "net/if.h", "signal.h"}
    headers, body, lheaders, libc_body = set(), [], set(), []
    for attr, (ctype, hdrs) in CTYPES.items():
        lay = getattr(abi, attr)
        if abi is a64 and attr in ("TIMESPEC64", "ITIMERSPEC64"):
            continue  # the same object as TIMESPEC/ITIMERSPEC there
        lines = _asserts(attr, lay, ctype or names[attr])
        if set(hdrs) & libc:
            lheaders.update(hdrs)
            libc_body += lines
        else:
            headers.update(hdrs)
            body += lines
    src = "".join(f"#include <{h}>\n" for h in sorted(headers)) + "\n".join(body) + "\n"
    lsrc = "#define _GNU_SOURCE\n" + "".join(f"#include <{h}>\n" for h in sorted(lheaders)) \
        + "\n".join(libc_body) + "\n"
    g = tmp_path / "libc_layouts.c"
    g.write_text(lsrc)
    r = subprocess.run([*cc, "-fsyntax-only", str(g)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    f = tmp_path / "layouts.c"
    f.write_text(src)
    r = subprocess.run([*cc, "-fsyntax-only", str(f)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_pack_truncates_like_c_assignment():
    lay = Layout("t", [("a", "I"), ("", "4x"), ("b", "q"), ("c", "3H")])
    raw = lay.pack(a=(1 << 40) + 7, b=-2, c=(1, 2))
    assert lay.size == 22 and len(raw) == 22
    v = lay.unpack(raw)
    assert v == {"a": 7, "b": -2, "c": (1, 2, 0)}
    with pytest.raises(KeyError):
        lay.pack(nope=1)
