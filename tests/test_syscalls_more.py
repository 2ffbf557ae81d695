"""More syscalls from guest programs: timerfd, inotify, prctl, memfd, sendfile and friends,
statfs, utimensat, sched_*, and complete directory listings on 32-bit guests."""
from __future__ import annotations

import os

import pytest

from conftest import GuestBuilder, qemu_for, run_pytrans, run_qemu

RUNS = [("arm", "unicorn"), ("aarch64", "unicorn"), ("arm", "jit")]
RUN_IDS = ["arm", "aarch64", "arm-jit"]


@pytest.fixture(scope="module")
def guest(tmp_path_factory):
    return GuestBuilder(tmp_path_factory.mktemp("moreguest"))


MORE_SYS_EXPECTED = """\
timerfd old value zero=1
timerfd gettime interval=20000000ns armed=1
timerfd expirations>=4: 1 (sane: 1)
timerfd abstime past n=1 then r=-1 eagain=1
timerfd bad nsec r=-1 einval=1
inotify empty r=-1 eagain=1
inotify event wd_ok=1 IN_CREATE name=watched.txt
inotify event wd_ok=1 IN_DELETE name=watched.txt
inotify rm_watch=0
inotify rm again r=-1 einval=1
prctl name=pytrans-guest-n
prctl pdeathsig=9 dumpable=1
prctl no_new_privs=1
prctl bad option r=-1 einval=1
memfd size=12345 cloexec=1
memfd sealed shrink r=-1 eperm=1
memfd mmap: written through a shared mapping
sendfile n=6 off=16
copy_file_range n=6 in_off=36 out_off=12
dst=abcdefuvwxyz
splice n=10 soff=10
tee n=10
tee copy=0123456789 original=0123456789
flock conflicting r=-1 ewouldblock=1
flock after unlock=0
fallocate size=100000
fadvise/readahead/fdatasync/syncfs/sync_file_range ok
utimensat atime=1000000000.123456789 mtime=1234567890.987654321
futimens atime kept=1 mtime now=1
statfs sane=1 same_fs=1
XATTR
mknod fifo=1
close_range cloexec b=1 c=1 d=0
close_range closed b=1 c=1 d=1 a_open=1
close_range bad r=-1 einval=1
openat2 dir ok=1 isdir=1 cloexec=1
openat2 no_symlinks r=-1 eloop=1
openat2 nofollow|directory ok=1
openat2 nonzero tail r=-1 e2big=1
"""


def _xattr_line(d) -> str:
    """What the xattr check prints: the host file system decides whether user.* works."""
    f = d / "xattr-probe"
    f.write_bytes(b"")
    try:
        os.setxattr(f, "user.probe", b"1")
        return "xattr get=value exists_again=1 removed=1 gone=1"
    except OSError as e:
        return f"xattr unsupported errno={e.errno}"
    finally:
        f.unlink()


@pytest.mark.parametrize("arch,backend", RUNS, ids=RUN_IDS)
def test_more_syscalls(guest, tmp_path, arch, backend):
    r = run_pytrans("run", "--backend", backend, guest("more_sys", arch), tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    out = r.stdout.decode()
    expected = MORE_SYS_EXPECTED.replace("XATTR", _xattr_line(tmp_path))
    assert out.startswith(expected), out
    rest = out[len(expected):].splitlines()
    assert rest[0].startswith("sched policy=0 prio=0 max_fifo=99 min_fifo=1")
    assert rest[1:] == ["getcpu in affinity=1 node=0", "rr interval sane=1",
                        "membarrier query has GLOBAL=1", "membarrier global=0", "personality=0",
                        "set ADDR_NO_RANDOMIZE old=0 now=0x40000",
                        "setpriority nice=7 errno=0", "ioprio_get ok=1 set=0",
                        "ioprio now=0x4004", "capget r=0 inh_cleared=1",
                        "capget bad version r=-1 einval=1 preferred=0x20080522",
                        "clock_settime bad clock r=-1 einval=1",
                        "getrusage maxrss>0=1", "times ok=1"]
    assert b"pytrans:" not in r.stderr     # nothing reported as unsupported


@pytest.mark.parametrize("arch", ["arm", "aarch64"])
def test_more_syscalls_agree_with_qemu(guest, tmp_path, arch):
    if qemu_for(arch) is None:
        pytest.skip("qemu-user is not installed (apt-get install qemu-user)")
    exe = guest("more_sys", arch)
    (tmp_path / "q").mkdir()
    (tmp_path / "p").mkdir()
    q = run_qemu(arch, exe, tmp_path / "q")
    p = run_pytrans("run", exe, tmp_path / "p")
    assert q.returncode == p.returncode == 0

    def comparable(out: bytes) -> list[bytes]:
        # qemu-user 7.2 has no openat2 (-ENOSYS): those lines are checked in the test above.
        return [line for line in out.splitlines() if not line.startswith(b"openat2")]
    assert comparable(p.stdout) == comparable(q.stdout)
    assert len(comparable(p.stdout)) > 40


def _make_dir(path, n: int) -> None:
    path.mkdir()
    for i in range(n):
        (path / f"entry-{i:04d}-{'x' * (i % 37)}").write_bytes(b"")


# 32-bit ARM built both ways: off_t of 32 bits (readdir fails with EOVERFLOW on any d_off
# that does not fit) and of 64 bits (telldir() still returns a 32-bit long).
DIRLIST_BUILDS = [("arm", "unicorn", ""), ("arm", "unicorn", "-D_FILE_OFFSET_BITS=64"),
                  ("arm", "jit", ""), ("aarch64", "unicorn", "")]


@pytest.mark.parametrize("arch,backend,flags", DIRLIST_BUILDS,
                         ids=["arm", "arm-lfs", "arm-jit", "aarch64"])
def test_directory_of_600_files_is_listed_completely(guest, tmp_path, arch, backend, flags):
    """regression: ext4 gives a 64-bit process 64-bit hash cookies as d_off; a 32-bit guest
    got EOVERFLOW from readdir (and broken telldir/seekdir) unless they are made to fit."""
    d = tmp_path / "big"
    _make_dir(d, 600)
    r = run_pytrans("run", "--backend", backend, guest("dirlist", arch, flags), d, "300",
                    timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode() == ("count=602 errno=0 bad_off=0\n"
                                 "seekdir back: same entry\n"
                                 "telldir again: moved on\n"
                                 "after rewind count=602\n")


def test_directory_cookies_follow_the_directory_not_the_descriptor(guest, tmp_path):
    """Positions from one descriptor work on a second descriptor of the same directory, and
    plain files are untouched by the directory-offset table."""
    src = tmp_path / "dirseek.c"
    src.write_text(r'''
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    DIR *a = opendir(argv[1]);
    struct dirent *e;
    long pos = 0;
    for (int i = 0; i < 100 && (e = readdir(a)); i++) pos = telldir(a);
    e = readdir(a);
    char want[256];
    strcpy(want, e->d_name);
    DIR *b = opendir(argv[1]);
    seekdir(b, pos);
    e = readdir(b);
    printf("second descriptor same entry=%d\n", strcmp(e->d_name, want) == 0);
    long cur = lseek(dirfd(b), 0, SEEK_CUR);
    printf("lseek cur fits=%d\n", cur >= 0 && cur < 0x7fffffffL);
    int f = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(f, "hello world", 11);
    printf("file lseek=%ld\n", (long)lseek(f, 6, SEEK_SET));
    char buf[8] = {0};
    read(f, buf, 5);
    printf("read=%s\n", buf);
    return 0;
}
''')
    exe = guest("dirseek", "arm", src=src)
    d = tmp_path / "many"
    _make_dir(d, 300)
    r = run_pytrans("run", exe, d, tmp_path / "plain.txt")
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode() == ("second descriptor same entry=1\nlseek cur fits=1\n"
                                 "file lseek=6\nread=world\n")


EPOLL_EXPECTED = """\
ctl add=0
ctl add2=0
ctl add3=0
ctl dup r=-1 eexist=1
ctl badfd r=-1 ebadf=1
ready n=1 out_is_sv0=1 events=0x4
after write n=1 data=0xdeadbeefcafef00d events=0x1
three ready n=3 p=1 q=1 s=1
maxevents=1 n=1
timeout n=0 waited=1
bad maxevents r=-1 einval=1
not epoll r=-1 einval=1
epoll_create ok=1
pwait n=0
"""


@pytest.mark.parametrize("arch,backend", RUNS, ids=RUN_IDS)
def test_epoll_events_convert_between_layouts(guest, arch, backend):
    """x86-64 packs struct epoll_event into 12 bytes, ARM and AArch64 use 16: the guest's
    64-bit data word must come back intact."""
    r = run_pytrans("run", "--backend", backend, guest("epoll", arch), timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode() == EPOLL_EXPECTED


def test_time64_timespec_padding_is_ignored_on_arm(guest, tmp_path):
    """regression: glibc on 32-bit ARM passes struct __kernel_timespec with the upper half
    of tv_nsec left as padding; the kernel (get_timespec64) drops it. pytrans read all 64
    bits and answered EINVAL (recvmmsg, timerfd_settime64, ppoll_time64, ...)."""
    r = run_pytrans("run", guest("time64_pad", "arm"), tmp_path / "f")
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode() == ("clock_nanosleep_time64 r=0\nppoll_time64 r=0\n"
                                 "timerfd_settime64 r=0 fired=1\n"
                                 "utimensat_time64 r=0 mtime_nsec=7\nbad nsec r=-1 errno=22\n")
    if qemu_for("arm") is not None:
        q = run_qemu("arm", guest("time64_pad", "arm"), tmp_path / "q")
        assert q.stdout == r.stdout


POSIX_TIMER_EXPECTED = """\
create=0
settime=0
periodic hits>=5 code_ok=1 value_ok=1
gettime interval=10000000 value_ok=1
while blocked: one delivery=1 overruns>=3=1
disarm prev interval=10000000
disarmed no more hits=1
delete=0 again=-1 einval=1
sigev_none remaining ok=1
default sigevent create=0
abstime past fired code_ok=1
bad nsec r=-1 einval=1
bad clock r=-1 einval=1
"""


@pytest.mark.parametrize("arch,backend", RUNS, ids=RUN_IDS)
def test_posix_timers_deliver_si_timer_signals(guest, tmp_path, arch, backend):
    exe = guest("posix_timer", arch, "-pthread")
    r = run_pytrans("run", "--backend", backend, exe, timeout=300)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode() == POSIX_TIMER_EXPECTED
    if qemu_for(arch) is not None and backend == "unicorn":
        assert run_qemu(arch, exe).stdout == r.stdout


def test_sigev_thread_timer_runs_its_function(guest):
    """glibc's SIGEV_THREAD helper thread waits in sigwaitinfo: a signal queued for that guest
    thread must wake it (regression: only the main thread's waits were woken)."""
    r = run_pytrans("run", guest("posix_timer", "arm", "-pthread"), "thread", timeout=120)
    assert r.stdout.decode() == "sigev_thread create=0\nsigev_thread calls=1\n"


def test_arm_legacy_utimes_futimesat_nice(guest, tmp_path):
    """ARM EABI still has utimes/futimesat/nice; nice(2) returns 0 (qemu-user returns the
    new nice value, which is what glibc's wrapper computes afterwards, not the syscall)."""
    r = run_pytrans("run", guest("legacy_calls", "arm"), tmp_path / "f")
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout.decode() == (
        "utimes r=0 atime=1000000000.250000000 mtime=1200000000.750000000\n"
        "futimesat bad usec r=-1 einval=1\nnice r=0 delta=3\nnice clamp r=0 now=19\n")
