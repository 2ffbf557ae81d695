"""Command line: ``pytrans run [options] PROGRAM [ARGS...]``, ``pytrans info PROGRAM``."""
from __future__ import annotations

import argparse
import atexit
import ctypes
import importlib
import json
import os
import resource
import signal
import sys
import threading

from . import __version__
from .elf import parse_elf
from .errors import ElfError, PytransError



class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, pytrans: prefix, status 2 like argparse
        print(f"pytrans: {message} (see pytrans --help)", file=sys.stderr)
        raise SystemExit(2)


# Subcommands whose modules are imported only when chosen: they pull in subprocess, tempfile,
# dataclasses and more, ~5 ms of every `pytrans run`'s start-up. Name -> (module, help line).
LAZY_COMMANDS = {
    "bench": ("bench", "benchmark pytrans against qemu-user and native"),
    "sysroot": ("sysroot", "build a guest root file system for -L"),
}


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command-line parser. Only the subcommand ``argv`` names (all when None) gets its
    full set of options; the others are listed with their help line."""
    p = _Parser(prog="pytrans", description="Run Linux ARM32/Thumb and AArch64 programs on "
                "x86-64, like qemu-arm/qemu-aarch64.")
    p.add_argument("--version", action="version", version=f"pytrans {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    r = sub.add_parser("run", help="run a guest program",
                       description="Run a guest program (options as in qemu-user).")
    r.add_argument("-L", dest="sysroot", metavar="PATH",
                   default=os.environ.get("PYTRANS_LD_PREFIX"),
                   help="guest root: interpreter and absolute paths are looked up here first "
                        "(default: $PYTRANS_LD_PREFIX)")
    r.add_argument("-E", dest="setenv", action="append", default=[], metavar="VAR=VALUE",
                   help="set a variable in the guest environment (repeatable)")
    r.add_argument("-U", dest="unsetenv", action="append", default=[], metavar="VAR",
                   help="remove a variable from the guest environment (repeatable)")
    r.add_argument("-0", dest="argv0", metavar="ARGV0", help="argv[0] for the guest")
    r.add_argument("--strace", action="store_true",
                   help="log every syscall with its arguments and result to stderr")
    r.add_argument("--backend", default="auto", choices=["auto", "unicorn", "jit"],
                   help="execution backend: auto (default: $PYTRANS_BACKEND if set, else the "
                        "architecture's default), unicorn, or jit (our own ARM32 JIT, "
                        "in development)")
    r.add_argument("--stats", action="store_true",
                   help="print run statistics to stderr when the guest ends")
    r.add_argument("--stats-json", metavar="FILE",
                   help="write run statistics as JSON to FILE (used by `pytrans bench`)")
    # Internal (guest execve): guest descriptors inherited 1:1 from host ones; ARGS literal.
    r.add_argument("--fds", help=argparse.SUPPRESS)
    # Internal (guest execve): ignored signals and the signal mask survive exec, as hex masks.
    r.add_argument("--sigstate", help=argparse.SUPPRESS)
    r.add_argument("program", metavar="PROGRAM")
    r.add_argument("args", nargs=argparse.REMAINDER, metavar="ARGS")
    i = sub.add_parser("info", help="describe a guest program (architecture, segments)")
    i.add_argument("program", metavar="PROGRAM")
    chosen = next((x for x in argv if not x.startswith("-")), None) if argv is not None else None
    for name, (module, help_line) in LAZY_COMMANDS.items():
        if argv is None or chosen == name:
            importlib.import_module(f".{module}", __package__).add_parser(sub, help_line)
        else:
            sub.add_parser(name, help=help_line)
    return p


def _guest_env(setenv: list[str], unsetenv: list[str]) -> dict[str, str]:
    env = dict(os.environ)
    for item in setenv:
        if "=" not in item:
            raise PytransError(f"-E expects VAR=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        env[k] = v
    for k in unsetenv:
        env.pop(k, None)
    return env


def _watch_host_signals() -> list:
    """Forward host signals to the guest (translator/linux/hostsig.py); returns the list the
    Emulator's ``on_kernel`` fills."""
    from .linux import hostsig
    return hostsig.start(_die_by_signal)


def _die_by_signal(sig: int) -> None:
    """Terminate the way the guest would: killed by ``sig`` (a shell shows 128+sig)."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))   # like qemu: no host core dump
    except (ValueError, OSError):
        pass
    # libc's signal(), not signal.signal(): this may run on the watcher thread, and Python
    # only lets the main thread change dispositions.
    libc = ctypes.CDLL(None)
    libc.signal.restype = ctypes.c_void_p
    libc.signal(sig, ctypes.c_void_p(0))                    # SIG_DFL
    signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
    signal.pthread_kill(threading.get_ident(), sig)         # to this very thread
    os._exit(128 + sig)


def cmd_run(a: argparse.Namespace) -> int:
    from .emulator import Emulator
    if a.args and a.args[0] == "--" and a.fds is None:
        a.args = a.args[1:]
    env = _guest_env(a.setenv, a.unsetenv)
    argv = [a.argv0 if a.argv0 is not None else a.program] + a.args
    kernel_ref = _watch_host_signals()
    inherit = None if a.fds is None else [int(x) for x in a.fds.split(",") if x]
    emu = Emulator(a.program, argv, env, sysroot=a.sysroot, backend=a.backend,
                   strace=sys.stderr if a.strace else None, on_kernel=kernel_ref.append,
                   inherit_fds=inherit)
    emu.owns_process = True
    if a.sigstate:
        emu.exec_signals = tuple(int(x, 16) for x in a.sigstate.split(","))
    try:
        status = emu.run()
    finally:
        _report_stats(emu, a)
    t = emu.termination
    if t.signal:
        # Like a shell, stay quiet about SIGPIPE and SIGINT (`prog | head`, Ctrl-C).
        if t.signal not in (signal.SIGPIPE, signal.SIGINT):
            print(f"pytrans: {t.describe()}", file=sys.stderr, flush=True)
        _die_by_signal(t.signal)
    _exit_now(status)
    return status                                           # not reached


def _exit_now(status: int) -> None:
    """End the process as the guest's exit_group does: at once, after atexit handlers and stdio.

    Python's own teardown (module cleanup, a last cyclic collection, freeing Unicorn's
    translation cache, the code cache and every object of the run) costs 10-40 ms that a
    process about to end does not need; qemu-user exits without freeing either. It would
    also wait for the guest's other threads, which exit_group ends. Under a profiler or a
    tracer (``python -m cProfile``, a debugger) it returns: they report at teardown.
    """
    if sys.getprofile() is not None or sys.gettrace() is not None:
        return
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status & 0xFF)


def _report_stats(emu, a: argparse.Namespace) -> None:
    if not emu.stats:
        return
    if a.stats_json:
        with open(a.stats_json, "w") as f:
            json.dump(emu.stats, f, indent=1)
    if a.stats:
        for key, value in emu.stats.items():
            shown = "n/a" if value is None else (f"{value:.6g}" if isinstance(value, float) else value)
            print(f"pytrans: stats: {key} = {shown}", file=sys.stderr)


def cmd_info(a: argparse.Namespace) -> int:
    img = parse_elf(a.program, check_exec=False)
    from .emulator import abi_for
    abi = abi_for(img)
    kind = {2: "ET_EXEC", 3: "ET_DYN"}[img.type]
    linking = "dynamic" if img.interp else ("static-pie" if img.is_pie else "static")
    thumb = img.machine == 40 and img.entry & 1
    print(f"file:          {a.program}")
    print(f"architecture:  {abi.NAME} ({'ELF32' if img.bits == 32 else 'ELF64'}, "
          f"little-endian{', Thumb entry' if thumb else ''})")
    print(f"type:          {kind}, {linking}")
    print(f"entry:         {img.entry:#x}")
    print(f"interpreter:   {img.interp or '-'}")
    print(f"stack:         {'executable' if img.exec_stack else 'non-executable'}")
    print("segments:")
    print(f"  {'type':<14}{'offset':>10} {'vaddr':>18} {'filesz':>10} {'memsz':>10} flags")
    for s in img.segments:
        print(f"  {s.type_name:<14}{s.offset:>#10x} {s.vaddr:>#18x} {s.filesz:>#10x} "
              f"{s.memsz:>#10x} {s.flags_str}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(sys.argv[1:] if argv is None else argv)
    a = parser.parse_args(argv)
    if a.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        if a.command == "bench":
            from .bench import cmd_bench
            return cmd_bench(a)
        if a.command == "sysroot":
            from .sysroot import cmd_sysroot
            return cmd_sysroot(a, sys.stderr)
        return cmd_run(a) if a.command == "run" else cmd_info(a)
    except ElfError as e:
        print(f"pytrans: {e}", file=sys.stderr)
        return 126 if "Permission denied" in str(e) else (127 if "No such file" in str(e) else 1)
    except PytransError as e:
        print(f"pytrans: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        _die_by_signal(signal.SIGINT)
        return 130
    except BrokenPipeError:
        return 141
    except Exception as e:  # noqa: BLE001 - no tracebacks for users; PYTRANS_DEBUG shows them
        if os.environ.get("PYTRANS_DEBUG"):
            raise
        print(f"pytrans: internal error: {type(e).__name__}: {e} "
              "(set PYTRANS_DEBUG=1 for a traceback)", file=sys.stderr)
        return 70
