"""execve and execveat: replacing the guest program.

A guest ELF (ARM or AArch64) is run by a fresh pytrans in the same host process (the host
``execve``s the Python interpreter on ``pytrans run`` with this run's options: sysroot,
backend, strace), so the pid stays the same. Host programs, and ``#!`` scripts whose
interpreter is a host program, are exec'd directly, as the host would run them; a ``#!``
script whose interpreter is a guest program runs that interpreter under pytrans. Paths are
looked up in the sysroot first (qemu's ``-L``). Everything that can fail with an errno the
guest should see (ENOENT, EACCES, ENOEXEC, ELOOP, E2BIG, EFAULT) is checked before the host
process is touched.
"""
from __future__ import annotations

import ctypes
import errno
import os
import signal
import stat
import sys

from ...elf import EM_AARCH64, EM_ARM, parse_elf
from ...errors import PytransError
from ...loader import find_interpreter
from ..host import hsys
from ..kernel import GuestExit, Kernel
from .. import signals as sigs

AT_FDCWD = -100
AT_SYMLINK_NOFOLLOW = 0x100
AT_EMPTY_PATH = 0x1000
F_GETFD, F_DUPFD_CLOEXEC, FD_CLOEXEC = 1, 1030, 1
BINPRM_BUF_SIZE = 256           # how much of a file the kernel reads to recognise it
MAX_INTERP_DEPTH = 4            # nested #! interpreters before the kernel says ELOOP
MAX_ARG_STRINGS = 0x7FFFFFFF
ARG_MAX = 32 * 4096 * 32        # generous stand-in for the stack-size-derived kernel limit
_PACKAGE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
# `python -E -c BOOT ROOT run ...`: -E keeps the guest's PYTHON* variables (meant for a
# guest Python, if any) away from the host interpreter that runs pytrans.
_BOOT = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
         "from translator.cli import main; sys.exit(main(sys.argv[1:]))")


def _read_strv(k: Kernel, addr: int) -> list[bytes]:
    """A NULL-terminated guest array of string pointers (argv / envp)."""
    out: list[bytes] = []
    if not addr:
        return out
    size = k.word_bits // 8
    total = 0
    while True:
        ptr = int.from_bytes(k.mem.read(addr + len(out) * size, size), "little")
        if not ptr:
            return out
        s = k.mem.read_cstring(ptr)
        total += len(s) + 1 + size
        if total > ARG_MAX or len(out) >= MAX_ARG_STRINGS:
            raise OSError(errno.E2BIG, "argument list too long")
        out.append(s)


def _host_file(k: Kernel, path: str) -> str:
    """Host path of a program the guest names (sysroot first, /proc/self/exe is the guest)."""
    if path in ("/proc/self/exe", f"/proc/{k.pid}/exe"):
        return k.exe_path
    return k.host_path(path)


def _header(host: str) -> bytes:
    """The first bytes of an executable file, with the kernel's permission checks."""
    st = os.stat(host)                               # ENOENT, ENOTDIR, ELOOP, EACCES...
    if not stat.S_ISREG(st.st_mode) or not os.access(host, os.X_OK, effective_ids=True):
        raise OSError(errno.EACCES, "permission denied")
    with open(host, "rb") as f:
        return f.read(BINPRM_BUF_SIZE)


def _shebang(hdr: bytes) -> tuple[bytes, bytes | None]:
    """Interpreter and optional single argument of a ``#!`` line (binfmt_script rules)."""
    line = hdr[2:]
    end = line.find(b"\n")
    if end < 0:
        # No newline in the buffer: fine only if the interpreter name itself is complete.
        stripped = line.lstrip(b" \t")
        if not any(c in stripped for c in b" \t"):
            raise OSError(errno.ENOEXEC, "interpreter line too long")
    else:
        line = line[:end]
    line = line.strip(b" \t")
    if not line:
        raise OSError(errno.ENOEXEC, "no interpreter")
    parts = line.split(None, 1)
    interp = parts[0]
    arg = parts[1].strip(b" \t") if len(parts) > 1 else None
    return interp, arg or None


def plan_exec(k: Kernel, path: bytes, argv: list[bytes],
              depth: int = 0) -> tuple[str, str, list[bytes]]:
    """What exec'ing guest ``path`` runs: ("guest" | "host", host program, argv)."""
    host = _host_file(k, os.fsdecode(path))
    hdr = _header(host)
    if hdr[:4] == b"\x7fELF":
        little = len(hdr) > 5 and hdr[5] == 1
        machine = int.from_bytes(hdr[18:20], "little" if little else "big")
        if little and machine in (EM_ARM, EM_AARCH64):
            try:
                img = parse_elf(host)
            except (PytransError, OSError):
                raise OSError(errno.ENOEXEC, "exec format error") from None
            if img.interp is not None:
                try:
                    find_interpreter(img.interp, k.sysroot)
                except PytransError:    # the kernel fails the exec when PT_INTERP is absent
                    raise OSError(errno.ENOENT, "no interpreter") from None
            return "guest", host, argv
        return "host", host, argv
    if hdr[:2] == b"#!":
        if depth >= MAX_INTERP_DEPTH:
            raise OSError(errno.ELOOP, "too many levels of interpreters")
        interp, arg = _shebang(hdr)
        head = [interp] + ([arg] if arg is not None else [])
        kind, prog, new = plan_exec(k, interp, head + [path] + argv[1:], depth + 1)
        if kind == "host" and depth == 0:
            # A host interpreter opens the script by its host path (it may be in the sysroot).
            new = head + [os.fsencode(host)] + argv[1:]
        return kind, prog, new
    raise OSError(errno.ENOEXEC, "exec format error")


# ---- replacing the host process ------------------------------------------------------------------
def _layout_fds(k: Kernel) -> list[int]:
    """Make every guest descriptor without FD_CLOEXEC the same-numbered host descriptor and
    mark every other host descriptor close-on-exec. Destroys pytrans's own descriptors: only
    called once nothing can fail any more. Returns the guest descriptors that survive."""
    keep = {}
    for g, h in sorted(k.fds.fds.items()):
        flags = hsys("fcntl", h, F_GETFD, 0)
        if flags >= 0 and not flags & FD_CLOEXEC:
            keep[g] = h
    top = max(keep, default=2) + 1
    tmp = {g: hsys("fcntl", h, F_DUPFD_CLOEXEC, top) for g, h in keep.items()}
    for g, t in tmp.items():
        if t < 0:
            raise OSError(-t, os.strerror(-t))
        os.dup2(t, g, inheritable=True)
    # A guest stdio descriptor that is closed stays closed for the guest (the new pytrans is
    # told which ones exist), but pytrans's own stdio there must not land in a guest file.
    for fd in range(3):
        if fd not in keep:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd, inheritable=True)
                os.close(null)
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            try:
                os.set_inheritable(fd, False)
            except OSError:
                pass                # the directory's own descriptor, already closed
    return sorted(keep)


def _reset_signals(k: Kernel) -> None:
    """Across exec, handled signals revert to the default, ignored ones stay ignored, and
    the signal mask is kept: give the host process the guest's state before exec'ing
    (Python itself ignores SIGPIPE and pytrans blocks the signals its watcher waits for)."""
    # libc's signal(), not signal.signal(): exec may come from a guest thread that is not
    # Python's main thread, and nothing of Python's own signal handling outlives the exec.
    libc = ctypes.CDLL(None)
    libc.signal.restype = ctypes.c_void_p
    for sig in signal.valid_signals():
        if sig in (signal.SIGKILL, signal.SIGSTOP):
            continue
        action = k.sigactions.get(int(sig))
        ignored = action is not None and action[0] == sigs.SIG_IGN
        if sig == signal.SIGSEGV and not ignored:
            continue        # exec resets handlers itself; the JIT's stays while it may fail
        libc.signal(int(sig), ctypes.c_void_p(sigs.SIG_IGN if ignored else sigs.SIG_DFL))
    mask = {s for s in range(1, sigs.NSIG + 1) if k.sigmask >> (s - 1) & 1}
    signal.pthread_sigmask(signal.SIG_SETMASK, mask & set(signal.valid_signals()))


def _elf_bits(path: str) -> int:
    with open(path, "rb") as f:
        return 64 if f.read(5)[4:5] == b"\x02" else 32


def _env_dict(envp: list[bytes]) -> dict[bytes, bytes]:
    env: dict[bytes, bytes] = {}
    for item in envp:
        key, eq, value = item.partition(b"=")
        if eq and key:          # the host execve API cannot carry malformed entries
            env[key] = value
    return env


def _replace_process(k: Kernel, plan: tuple[str, str, list[bytes]], envp: list[bytes]) -> None:
    """exec: never returns (a host failure at this point ends the process with 127)."""
    kind, prog, argv = plan
    for stream in (sys.stdout, sys.stderr, k.strace, k.log):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):
            pass
    try:
        fds = _layout_fds(k)
        _reset_signals(k)
        env = _env_dict(envp)
        if kind == "host":
            os.execve(prog, argv or [os.fsencode(prog)], env)
        argv0 = argv[0] if argv else b""
        ignored = sum(1 << (sig - 1) for sig, act in k.sigactions.items()
                      if act[0] == sigs.SIG_IGN)
        options = list(k.exec_options)
        if "jit" in options and _elf_bits(prog) == 64:
            options[options.index("jit")] = "unicorn"   # the JIT translates ARM32 only
        cmd = [os.fsencode(sys.executable), b"-E", b"-c", _BOOT.encode(),
               os.fsencode(_PACKAGE_ROOT), b"run", *(os.fsencode(o) for o in options),
               b"--fds", ",".join(map(str, fds)).encode(),
               b"--sigstate", f"{ignored:x},{k.sigmask:x}".encode(),
               # attached, so that a login shell's "-sh" is not taken for an option
               *([b"-0" + argv0] if argv0.startswith(b"-") else [b"-0", argv0]),
               os.fsencode(os.path.abspath(prog)), *argv[1:]]
        os.execve(sys.executable, cmd, env)
    except BaseException as e:      # noqa: BLE001 - nothing left to return to
        os.write(2, f"pytrans: execve of {prog} failed: {e}\n".encode())
    os._exit(127)


def _quote(s: bytes) -> str:
    text = os.fsdecode(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _execve(k: Kernel, path: bytes, argv_addr: int, envp_addr: int) -> int:
    argv = _read_strv(k, argv_addr)
    envp = _read_strv(k, envp_addr)
    plan = plan_exec(k, path, argv)
    if k.strace:    # a successful exec never returns to the gate's trace: say it here
        args = ",".join(_quote(a) for a in argv)
        print(f"{k.pid} execve({_quote(path)},[{args}],{envp_addr:#x}) = ? "
              f"({plan[0]} program {plan[1]})", file=k.strace, flush=True)
    if k.exec_in_place:
        _replace_process(k, plan, envp)
    # Driven from Python (the API): the caller's process is not ours to replace, so the new
    # program runs in a child and this guest ends with its status (its pid differs).
    pid = os.fork()
    if pid == 0:
        _replace_process(k, plan, envp)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        raise GuestExit(signal=os.WTERMSIG(status))
    raise GuestExit(os.waitstatus_to_exitcode(status) & 0xFF)


def sys_execve(k: Kernel, path: int, argv: int, envp: int) -> int:
    return _execve(k, k.mem.read_cstring(path), argv, envp)


def sys_execveat(k: Kernel, dirfd: int, path: int, argv: int, envp: int, flags: int) -> int:
    if flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH):
        return -errno.EINVAL
    p = k.mem.read_cstring(path)
    dirfd = k.s32(dirfd)
    if not p:
        if not flags & AT_EMPTY_PATH:
            return -errno.ENOENT
        p = os.fsencode(os.readlink(f"/proc/self/fd/{k.fds.host(dirfd)}"))  # fexecve
    elif not p.startswith(b"/") and dirfd != AT_FDCWD:
        p = os.fsencode(os.readlink(f"/proc/self/fd/{k.fds.host(dirfd)}")) + b"/" + p
    if flags & AT_SYMLINK_NOFOLLOW and os.path.islink(k.host_path(os.fsdecode(p))):
        return -errno.ELOOP
    return _execve(k, p, argv, envp)


HANDLERS = {"execve": sys_execve, "execveat": sys_execveat}
