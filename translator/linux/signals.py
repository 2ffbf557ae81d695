"""Signal numbers, names and default actions (identical on ARM, AArch64 and x86-64 Linux)."""
from __future__ import annotations

import signal as _host

SIG_DFL, SIG_IGN = 0, 1
SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGKILL = range(1, 10)
SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGSTKFLT, SIGCHLD = range(10, 18)
SIGCONT, SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU, SIGURG, SIGXCPU, SIGXFSZ = range(18, 26)
SIGVTALRM, SIGPROF, SIGWINCH, SIGIO, SIGPWR, SIGSYS = range(26, 32)
NSIG = 64

_NAMES = {getattr(_host, n).value: n for n in dir(_host)
          if n.startswith("SIG") and not n.startswith("SIG_") and n not in ("SIGRTMIN", "SIGRTMAX",
                                                                             "SIGIOT", "SIGCLD",
                                                                             "SIGPOLL")}
_IGNORE = {SIGCHLD, SIGURG, SIGWINCH, SIGCONT}
_STOP = {SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU}
_CORE = {SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS}


def name(sig: int) -> str:
    if sig in _NAMES:
        return _NAMES[sig]
    if 34 <= sig <= 64:
        return f"SIGRT{sig - 34}" if sig < 49 else f"SIGRTMAX-{64 - sig}"
    return f"signal {sig}"


def default_action(sig: int) -> str:
    """'ignore', 'stop', 'core' or 'terminate', as signal(7) lists them."""
    if sig in _IGNORE:
        return "ignore"
    if sig in _STOP:
        return "stop"
    if sig in _CORE:
        return "core"
    return "terminate"
