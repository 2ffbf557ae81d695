"""Processes: fork/vfork/clone, wait4/waitid, execve, pipes between processes, descriptors
across exec, process groups and sessions, and a busybox shell running pipelines.

Guest programs: tests/guest/proc_*.c, built static and dynamic (on the cross toolchains'
sysroots) for ARM and AArch64. The expected outputs are what the same programs print
natively on x86-64 Linux (test_native_reference checks that where gcc exists); qemu-user
differs on purpose in one place (it does not write CLONE_PARENT_SETTID for a fork) and
cannot exec guest programs without binfmt_misc, so it is not the reference here.
"""
from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys

import pytest

from conftest import CROSS_SYSROOT, ROOT, GuestBuilder, run_pytrans, shell_status

ARCHES = ["arm", "aarch64"]
# (arch, link, backend): static and dynamic on both architectures, ARM32 also on our JIT.
VARIANTS = [("arm", "static", "unicorn"), ("arm", "dynamic", "unicorn"),
            ("aarch64", "static", "unicorn"), ("aarch64", "dynamic", "unicorn"),
            ("arm", "static", "jit")]
VIDS = [f"{a}-{l}-{b}" for a, l, b in VARIANTS]
# The link variants' GuestBuilder links: dynamic is the compiler's default (a PIE).
LINK = {"static": "-static", "dynamic": ""}


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """build(NAME, ARCH, link="static"): tests/guest/NAME.c for ARCH ("native": the host's gcc)."""
    guest = GuestBuilder(tmp_path_factory.mktemp("proc"), ("-O1", "-pthread"))
    return lambda name, arch, link="static": str(guest(name, arch, link=LINK[link]))


def pytrans(arch: str, link: str, backend: str, *args, **kw) -> subprocess.CompletedProcess:
    opts = ["--backend", backend] + (["-L", CROSS_SYSROOT[arch]] if link == "dynamic" else [])
    return run_pytrans("run", *opts, *args, **kw)


FORK_EXPECTED = """\
exit: same=1 exited=1 code=0
exit: same=1 exited=1 code=21
exit: same=1 exited=1 code=42
private=1 shared=13
term: signaled=1 sig=15
abort: signaled=1 sig=6
segv: signaled=1 sig=11
wnohang: 0
wait4: same=1 code=7 rusage_sane=1
waitid: r=0 signo=17 code=1 pid_ok=1 status=42
waitid-kill: code=1 status=9
echild: -1 No child processes
setpgid: 0
setsid: 0
stopped: 1 sig=19
continued: 1
killed: 1 sig=9
clone: ptid_ok=1 child=5
"""


@pytest.mark.parametrize("arch,link,backend", VARIANTS, ids=VIDS)
def test_fork_wait_statuses(build, arch, link, backend):
    """Exit codes, children killed by SIGTERM/SIGABRT/SIGSEGV/SIGKILL, WNOHANG, wait4 with
    rusage, waitid, ECHILD, copy-on-write vs MAP_SHARED memory after fork, setpgid/setsid,
    stopped and continued children (WUNTRACED, WCONTINUED, __WALL), and a raw clone with CLONE_PARENT_SETTID|CLONE_CHILD_SETTID in the ARM argument order."""
    r = pytrans(arch, link, backend, build("proc_fork", arch, link))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == FORK_EXPECTED
    # The children that died by a signal said so, once each, as the parent pytrans would.
    err = r.stderr.decode()
    assert "guest killed by signal 6 (SIGABRT)" in err
    assert "guest killed by signal 11 (SIGSEGV)" in err


def test_native_reference(build, tmp_path):
    """The expected outputs are the real kernel's: the same programs built for x86-64."""
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    r = subprocess.run([build("proc_fork", "native")], capture_output=True, timeout=60)
    assert r.stdout.decode() == FORK_EXPECTED
    exe = build("proc_exec", "native")
    noexec, garbage = _bad_files(tmp_path)
    r = subprocess.run([exe, "errors", noexec, garbage], capture_output=True, timeout=60)
    assert r.stdout.decode() == ERRORS_EXPECTED
    r = subprocess.run([exe, "cloexec"], capture_output=True, timeout=60)
    assert r.stdout.decode() == CLOEXEC_EXPECTED
    r = subprocess.run([exe, "system"], capture_output=True, timeout=60)
    assert r.stdout.decode() == SYSTEM_EXPECTED
    r = subprocess.run([exe, "poll"], capture_output=True, timeout=60)
    assert r.stdout.decode() == POLL_EXPECTED
    r = subprocess.run([build("proc_threads", "native")], capture_output=True, timeout=60)
    assert r.stdout.decode() == THREADS_EXPECTED
    r = subprocess.run([exe, "spawn"], capture_output=True, timeout=60)
    assert r.stdout.decode() == SPAWN_EXPECTED
    r = subprocess.run([exe, "sigexec"], capture_output=True, timeout=60)
    assert r.stdout.decode() == SIGEXEC_EXPECTED
    assert _on_controlling_tty([exe, "tty"]) == (0, TTY_EXPECTED)


@pytest.mark.parametrize("arch", ARCHES)
def test_execve_guest_in_place(build, arch):
    """A guest exec'ing a guest ELF: same pid, argv (argv[0] included) and envp as given."""
    r = run_pytrans("run", build("proc_exec", arch), "self")
    assert shell_status(r.returncode) == 3, r.stderr
    lines = r.stdout.decode().splitlines()
    pid = lines[0].split("=")[1]
    assert lines[1:] == ["argv[0]=-renamed-argv0", "argv[1]=args", "argv[2]=x y", "argv[3]=",
                         "argv[4]=--", "PROC_ENV=from-execve", f"pid={pid}"]


@pytest.mark.parametrize("arch", ARCHES)
def test_fexecve_and_execveat(build, arch):
    """execveat(fd, "", AT_EMPTY_PATH) (glibc's fexecve) and a dirfd-relative execveat."""
    r = run_pytrans("run", build("proc_exec", arch), "execveat")
    assert r.returncode == 0, r.stderr
    out = [line for line in r.stdout.decode().splitlines() if not line.startswith("pid=")]
    assert out == ["argv[0]=via-fexecve", "argv[1]=args", "PROC_ENV=(unset)", "fexecve status=3",
                   "argv[0]=via-execveat", "argv[1]=args", "PROC_ENV=(unset)",
                   "execveat status=3"]


def _bad_files(tmp_path) -> tuple[str, str]:
    noexec = tmp_path / "noexec"
    noexec.write_bytes(b"\x7fELF")
    noexec.chmod(0o644)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"neither ELF nor script\n")
    garbage.chmod(0o755)
    return str(noexec), str(garbage)


ERRORS_EXPECTED = """\
/nonexistent/prog: No such file or directory
/tmp: Permission denied
noexec-file: Permission denied
garbage-file: Exec format error
"""


@pytest.mark.parametrize("arch", ARCHES)
def test_execve_errors(build, arch, tmp_path):
    """ENOENT, EACCES (directory, no x bit) and ENOEXEC come back to the guest, and so does
    ENOENT for a dynamic program whose interpreter is nowhere (no -L here)."""
    noexec, garbage = _bad_files(tmp_path)
    r = run_pytrans("run", build("proc_exec", arch), "errors", noexec, garbage,
                    build("proc_wc", arch, "dynamic"), env={"PYTRANS_LD_PREFIX": ""})
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == ERRORS_EXPECTED + \
        "missing-interpreter: No such file or directory\n"


POLL_EXPECTED = """\
ppoll empty: 0 revents=0
poll: 1 revents=1
select: 2 read=1 write=1
read: 5
pselect timeout: 0 read=0
poll after writer closed: 1 hup=1
poll bad fd: 1 nval=1
"""


@pytest.mark.parametrize("arch,link,backend", VARIANTS, ids=VIDS)
def test_poll_select_on_a_childs_pipe(build, arch, link, backend):
    """poll/ppoll/select/pselect6 waiting for a forked child's write, timeouts, POLLHUP once
    the writer is gone, POLLNVAL for a closed descriptor."""
    r = pytrans(arch, link, backend, build("proc_exec", arch, link), "poll")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == POLL_EXPECTED


SIGEXEC_EXPECTED = """\
SIGPIPE ignored=1
SIGINT default=1
SIGUSR1 blocked=1 SIGUSR2 blocked=0
write to a closed pipe: -1 Broken pipe
SIGUSR1 pending=1
"""


@pytest.mark.parametrize("arch", ARCHES)
def test_signal_state_across_exec(build, arch):
    """exec keeps ignored signals ignored and the signal mask, and resets handlers."""
    r = run_pytrans("run", build("proc_exec", arch), "sigexec")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == SIGEXEC_EXPECTED


def _on_controlling_tty(cmd: list[str]) -> tuple[int, str]:
    """Run ``cmd`` as a session leader whose controlling terminal is a new pty (33x101)."""
    import fcntl
    import pty
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 101, 0, 0))

    def become_session_leader() -> None:
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    p = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=subprocess.DEVNULL, env=env,
                         preexec_fn=become_session_leader)
    os.close(slave)
    out = b""
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:         # EIO: every slave end is closed
            break
        if not data:
            break
        out += data
    os.close(master)
    return p.wait(timeout=120), out.decode().replace("\r\n", "\n")


TTY_EXPECTED = """\
isatty=1 tcgetattr=0
winsz=0 rows=33 cols=101
fg-is-us=1
tcgetsid-is-sid=1
child took the tty: 0 fg-is-child=1
taken back=0 fg-is-us=1
tcsetattr=0 echo-off=1
"""


@pytest.mark.parametrize("arch", ARCHES)
def test_tty_job_control(build, arch):
    """What a job-control shell does on its terminal: TCGETS/TCSETS, TIOCGWINSZ,
    tcgetpgrp/tcsetpgrp (TIOCGPGRP/TIOCSPGRP), tcgetsid, setpgid in a child."""
    status, out = _on_controlling_tty([sys.executable, "-m", "translator", "run",
                                       build("proc_exec", arch), "tty"])
    assert status == 0
    assert out == TTY_EXPECTED


@pytest.mark.parametrize("arch", ARCHES)
def test_execve_host_program_and_host_script(build, arch, tmp_path):
    script = tmp_path / "host.sh"
    script.write_text('#!/bin/sh\necho "host script: $0 $*"\nexit 4\n')
    script.chmod(0o755)
    r = run_pytrans("run", build("proc_exec", arch), "host", script)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == (f"host echo ran\nstatus=0\nhost script: {script} one two\n"
                                 "status=4\n")


@pytest.mark.parametrize("arch", ARCHES)
def test_execve_script_with_guest_interpreter(build, arch, tmp_path):
    """A #! script whose interpreter is a guest program, found through the sysroot (-L):
    the interpreter gets [interpreter, its one argument, script path, script args]."""
    root = tmp_path / "root"
    (root / "bin").mkdir(parents=True)
    interp = root / "bin" / "guestinterp"
    shutil.copy(build("proc_exec", arch), interp)
    script = tmp_path / "guest.sh"
    script.write_text("#!/bin/guestinterp   args  \nignored\n")
    script.chmod(0o755)
    r = run_pytrans("run", "-L", root, build("proc_exec", arch), "script", script)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode().splitlines()
    assert out[:4] == ["argv[0]=/bin/guestinterp", "argv[1]=args", f"argv[2]={script}",
                       "argv[3]=scriptarg"]
    assert out[-1] == "status=3"


CLOEXEC_EXPECTED = """\
fd 4: Bad file descriptor
fd 6: open
fd 20: Bad file descriptor
fd 7: open
parent read: via-inherited-pipe
eventfd: 12
"""


@pytest.mark.parametrize("arch,link,backend", VARIANTS, ids=VIDS)
def test_cloexec_and_eventfd_across_exec(build, arch, link, backend):
    """pipe2(O_CLOEXEC) and dup3(O_CLOEXEC) descriptors are closed by exec, plain ones are
    inherited under the same numbers (the exec'd guest writes into its parent's pipe); an
    eventfd counts."""
    r = pytrans(arch, link, backend, build("proc_exec", arch, link), "cloexec")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == CLOEXEC_EXPECTED


@pytest.mark.parametrize("arch,link,backend", VARIANTS, ids=VIDS)
def test_vfork_exec(build, arch, link, backend):
    exe = build("proc_exec", arch, link)
    r = pytrans(arch, link, backend, exe, "vfork")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[:4] == [f"argv[0]={exe}", "argv[1]=args", "argv[2]=from-vfork",
                         "PROC_ENV=(unset)"]
    assert lines[-1] == "vfork child status=3"


SPAWN_EXPECTED = """\
vfork child's write seen: 2 status=5
posix_spawn missing: No such file or directory
posix_spawnp missing: No such file or directory
posix_spawn true: 0 status=0
no children left: -1
"""


@pytest.mark.parametrize("arch,link,backend", VARIANTS, ids=VIDS)
def test_vfork_child_writes_reach_the_parent(build, arch, link, backend):
    """CLONE_VM|CLONE_VFORK shares memory until exec or exit: a vfork child's write is seen
    by its parent, and posix_spawn reports a failed exec (written by the child into shared
    memory) as its error instead of a child exiting 127."""
    r = pytrans(arch, link, backend, build("proc_exec", arch, link), "spawn")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == SPAWN_EXPECTED


@pytest.mark.parametrize("arch,link,backend", VARIANTS, ids=VIDS)
def test_pipe_into_exec_of_guest_wc(build, arch, link, backend):
    """Parent writes 100 lines into a pipe; the child dup2s it onto stdin and execs a guest
    `wc`; the parent waits for it."""
    r = pytrans(arch, link, backend, build("proc_exec", arch, link), "pipe",
                build("proc_wc", arch, link))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "wc:100 500 1990\nwc status=0\n"


CHAIN_EXPECTED = "".join(f"level {i} pid-ok=1\n" for i in range(4)) + \
    "level 2 child status=3\nlevel 1 child status=4\nlevel 0 child status=5\n"


@pytest.mark.parametrize("arch,link,backend", VARIANTS, ids=VIDS)
def test_fork_exec_wait_chain(build, arch, link, backend):
    r = pytrans(arch, link, backend, build("proc_exec", arch, link), "chain")
    assert r.returncode == 6, r.stderr
    assert r.stdout.decode() == CHAIN_EXPECTED


SYSTEM_EXPECTED = """\
from-system
system: exited=1 code=7
popen read: from-popen
pclose: 0
"""


@pytest.mark.parametrize("arch,link", [("arm", "static"), ("arm", "dynamic"),
                                       ("aarch64", "static"), ("aarch64", "dynamic")])
def test_system_and_popen(build, arch, link):
    """glibc's posix_spawn (system, popen) uses clone(CLONE_VM|CLONE_VFORK|SIGCHLD) on a
    new stack and execs the host's /bin/sh."""
    r = pytrans(arch, link, "unicorn", "--strace", build("proc_exec", arch, link), "system")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == SYSTEM_EXPECTED
    err = r.stderr.decode()
    assert "clone(0x4111," in err
    assert 'execve("/bin/sh",["sh","-c","echo from-system; exit 7"],0x' in err
    assert "(host program /bin/sh)" in err


def test_api_exec_runs_in_a_child(build):
    """From the Python API the caller's process is not replaced: a guest execve runs the
    new program in a child and the guest ends with its status."""
    from translator import Emulator
    out = io.BytesIO()
    exe = build("proc_exec", "arm")
    emu = Emulator(exe, [exe, "chain", "2"], stdout=out, stdin=b"")
    assert emu.run() == 4
    assert out.getvalue().decode().splitlines()[0] == "level 2 pid-ok=1"
    assert "level 2 child status=3" in out.getvalue().decode()


def test_exec_keeps_emulator_options(build):
    """An exec'd guest ELF runs with this run's sysroot, backend and strace setting."""
    from translator import Emulator
    kernels = []
    emu = Emulator(build("proc_wc", "arm"), ["wc"], sysroot=CROSS_SYSROOT["arm"], backend="jit",
                   stdin=b"a b\n", stdout=io.BytesIO(), strace=io.StringIO(),
                   on_kernel=kernels.append)
    assert emu.run() == 0
    assert kernels[0].exec_options == ["-L", CROSS_SYSROOT["arm"], "--backend", "jit", "--strace"]


def test_exec_sysroot_is_absolute(build, monkeypatch):
    """A relative -L must still work after the guest changes directory and execs."""
    from translator import Emulator
    prog = build("proc_wc", "arm")
    monkeypatch.chdir("/usr")
    kernels = []
    emu = Emulator(prog, ["wc"], sysroot="arm-linux-gnueabihf", stdin=b"", stdout=io.BytesIO(),
                   on_kernel=kernels.append)
    assert emu.run() == 0
    assert kernels[0].exec_options[:2] == ["-L", "/usr/arm-linux-gnueabihf"]


SHELL_SCRIPT = r"""
echo a b c | busybox tr a-z A-Z | busybox wc -c
(exit 3); echo $?
x=$(busybox echo sub); echo $x
busybox sh -c 'kill -TERM $$'; echo "killed:$?"
busybox false || echo "false:$?"
busybox seq 1 5 | busybox sort -r | busybox head -n 2
busybox sleep 0.2 & wait $!; echo "bg:$?"
{ echo one; echo two; } | while read l; do echo "got $l"; done
busybox cat <<END | busybox wc -l
x
y
END
/bin/echo host-echo | busybox tr a-z A-Z
p=$(busybox sh -c 'echo $PPID'); [ "$p" = "$$" ] && echo ppid-is-parent
busybox sh -c 'exit 5'; echo "sh:$?"
exec busybox sh -c 'echo exec-replaced; exit 9'
echo not-reached
"""
SHELL_EXPECTED = """\
6
3
sub
killed:143
false:1
5
4
bg:0
got one
got two
2
HOST-ECHO
ppid-is-parent
sh:5
exec-replaced
"""


@pytest.mark.parametrize("arch", ["armhf", "arm64"])
def test_busybox_shell_pipeline(arch, tmp_path):
    """busybox sh (Debian's static busybox): pipelines of applets (run by exec'ing
    /proc/self/exe), subshells, command substitution, a child killed by a signal, a
    background job, a here-document, a host program in a pipeline, exec."""
    from busybox_fetch import BusyboxUnavailable, fetch_busybox
    try:
        bb = fetch_busybox(arch)
    except BusyboxUnavailable as e:
        pytest.skip(str(e))
    script = tmp_path / "s.sh"
    script.write_text(SHELL_SCRIPT)
    r = run_pytrans("run", bb, "sh", script, timeout=300)
    assert r.returncode == 9, r.stderr
    assert r.stdout.decode() == SHELL_EXPECTED
    r = run_pytrans("run", bb, "sh", "-c",
                    "echo a b c | busybox tr a-z A-Z | busybox wc -c; (exit 3); echo $?; "
                    "x=$(busybox echo sub); echo $x")
    assert r.stdout.decode() == "6\n3\nsub\n" and r.returncode == 0


THREADS_EXPECTED = """\
fork from main with a thread running: child status=17
fork from a thread: child status=23
child of a thread runs, returns from the thread function
fork from a thread: child status=23
thread child ended: exited=1 code=0
done
"""


@pytest.mark.parametrize("arch,link", [("arm", "static"), ("arm", "dynamic"),
                                       ("aarch64", "static"), ("aarch64", "dynamic")])
def test_fork_in_a_multithreaded_process(build, arch, link):
    """fork copies only the calling thread, from the main thread or another one, and the
    child's status reaches the parent (the same output as natively, stdio buffer included)."""
    r = pytrans(arch, link, "unicorn", build("proc_threads", arch, link))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == THREADS_EXPECTED


@pytest.mark.parametrize("backend", ["unicorn", "jit"])
def test_exec_across_architectures(build, backend):
    """An ARM guest execs an AArch64 program and back (the JIT, ARM32 only, hands the
    AArch64 program to Unicorn)."""
    r = run_pytrans("run", "--backend", backend, build("proc_exec", "arm"), "pipe",
                    build("proc_wc", "aarch64"))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "wc:100 500 1990\nwc status=0\n"
    r = run_pytrans("run", build("proc_exec", "aarch64"), "pipe", build("proc_wc", "arm"))
    assert r.stdout.decode() == "wc:100 500 1990\nwc status=0\n"


def test_closed_stdin_stays_closed_for_the_guest(build):
    """Regression: `pytrans run prog <&-` was an internal error (EBADF duplicating fd 0);
    the guest must see fd 0 closed, before and after an exec, like a native program."""
    exe = build("proc_exec", "arm")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    r = subprocess.run([sys.executable, "-m", "translator", "run", exe, "fd", "0"],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=60,
                       preexec_fn=lambda: os.close(0))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "fd 0: Bad file descriptor\n"
    r = subprocess.run([sys.executable, "-m", "translator", "run", exe, "cloexec"],
                       stdin=subprocess.DEVNULL, capture_output=True, env=env, timeout=60,
                       preexec_fn=lambda: os.close(0))
    # pipe2 now returns fds 0 and 3 (lowest free), so the numbers shift by one.
    assert r.stdout.decode() == CLOEXEC_EXPECTED.replace("fd 4:", "fd 3:").replace(
        "fd 6:", "fd 5:").replace("fd 7:", "fd 6:")


@pytest.mark.parametrize("arch", ARCHES)
def test_host_program_gets_the_guests_signal_state(build, arch, tmp_path):
    """Regression: an exec'd host program must not inherit Python's ignored SIGPIPE or the
    signals pytrans blocks for its watcher thread; it gets the guest's (here: nothing
    ignored, nothing blocked), as after a native exec."""
    script = tmp_path / "status.sh"
    script.write_text("#!/bin/sh\ngrep -E '^(SigIgn|SigBlk)' /proc/self/status\n")
    script.chmod(0o755)
    r = run_pytrans("run", build("proc_exec", arch), "host", script)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    assert lines[2:4] == ["SigBlk:\t0000000000000000", "SigIgn:\t0000000000000000"]


@pytest.mark.parametrize("arch", ARCHES)
def test_exec_from_a_thread(build, arch):
    """execve from a second guest thread replaces the whole process."""
    r = pytrans(arch, "static", "unicorn", build("proc_threads", arch), "exec")
    assert shell_status(r.returncode) == 4, r.stderr
    assert r.stdout.decode() == "running after an exec from a thread\n"


@pytest.mark.parametrize("arch", ARCHES)
def test_vfork_hand_back_skips_untouched_memory(build, arch):
    """Regression: handing a vfork child's memory back read every page of every writable
    mapping, so a 512 MiB mapping made the parent real 512 MiB (and took seconds); only
    the pages present in the child are compared now."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    # A child's ru_maxrss starts at its parent's RSS when it forks (the pre-exec image counts),
    # and pytest's own RSS grows over a full run: measure from a small intermediate process.
    probe = ("import os, subprocess, sys\n"
             "p = subprocess.Popen(sys.argv[1:])\n"
             "_, status, usage = os.wait4(p.pid, 0)\n"
             "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, file=sys.stderr)\n")
    r = subprocess.run([sys.executable, "-c", probe, sys.executable, "-m", "translator", "run",
                        build("proc_exec", arch), "bigvfork"], capture_output=True, env=env,
                       timeout=120)
    status, maxrss = map(int, r.stderr.decode().split()[-2:])
    assert status == 0
    assert r.stdout.decode() == "x=2 big=1,7 status=3\n"
    assert maxrss < 200 * 1024        # KiB: pytrans and its guest child


@pytest.mark.parametrize("arch", ARCHES)
def test_generated_proc_file_follows_guest_cloexec(build, arch):
    """Regression: /proc files pytrans generates were always close-on-exec on the host, so
    one the guest opened without O_CLOEXEC vanished across exec."""
    r = run_pytrans("run", build("proc_exec", arch), "procfd")
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == "fd 3: open\nfd 4: Bad file descriptor\n"
