"""The command line and the scripting API."""
from __future__ import annotations

import io
import re

import pytest

from conftest import ROOT, run_pytrans, shell_status
from translator import Emulator, PytransError, __version__

ARM = ROOT / "examples" / "hello-arm"
A64 = ROOT / "examples" / "hello-aarch64"


def test_version():
    r = run_pytrans("--version")
    assert r.returncode == 0 and r.stdout.decode().strip() == f"pytrans {__version__}"


def test_help_lists_commands():
    r = run_pytrans("--help")
    out = r.stdout.decode()
    assert r.returncode == 0 and "run" in out and "info" in out
    r = run_pytrans("run", "--help")
    out = r.stdout.decode()
    for opt in ("-L", "-E", "-U", "-0", "--strace", "--backend"):
        assert opt in out


def test_no_command_is_an_error():
    r = run_pytrans()
    assert r.returncode == 2


@pytest.mark.parametrize("prog,arch,machine", [(ARM, "arm", "armv7l"), (A64, "aarch64", "aarch64")],
                         ids=["arm", "aarch64"])
def test_run_example(prog, arch, machine):
    r = run_pytrans("run", prog, "one", "two three")
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert f"Hello from an ARM guest ({machine}) under pytrans!" in out
    assert "argv[1] = one\n" in out and "argv[2] = two three\n" in out
    assert "sum 1/n^2 for n<=1000 = 1.643934567" in out


def test_info_static_arm():
    out = run_pytrans("info", ARM).stdout.decode()
    assert re.search(r"architecture:\s+arm \(ELF32, little-endian, Thumb entry\)", out)
    assert re.search(r"type:\s+ET_EXEC, static", out)
    assert re.search(r"interpreter:\s+-", out)
    assert "LOAD" in out and "R-X" in out


def test_info_aarch64():
    out = run_pytrans("info", A64).stdout.decode()
    assert "aarch64 (ELF64" in out


def test_env_options():
    env = {"PYTRANS_T_KEEP": "kept", "USER": "someone"}
    r = run_pytrans("run", "-E", "USER=alice", ARM, env=env)
    assert "USER is alice" in r.stdout.decode()
    r = run_pytrans("run", "-U", "USER", ARM, env=env)
    assert "USER is (unset)" in r.stdout.decode()
    r = run_pytrans("run", ARM, env=env)           # inherits the host environment
    assert "USER is someone" in r.stdout.decode()


def test_bad_env_option():
    r = run_pytrans("run", "-E", "NOEQUALS", ARM)
    assert r.returncode == 1 and r.stderr.decode().startswith("pytrans: -E expects VAR=VALUE")


def test_argv0_option():
    r = run_pytrans("run", "--strace", "-0", "custom-name", ARM)
    assert r.returncode == 0
    # the guest sees argv[0] = custom-name: glibc prints nothing of it, but the stack holds it
    # and the program's own arguments follow unchanged
    r2 = run_pytrans("run", "-0", "zz", ARM, "x")
    assert "argv[1] = x" in r2.stdout.decode()


def test_guest_options_are_not_ours():
    """Options after PROGRAM belong to the guest, as with qemu-user."""
    r = run_pytrans("run", ARM, "--strace", "-L", "x")
    out = r.stdout.decode()
    assert "argv[1] = --strace" in out and "argv[2] = -L" in out
    assert "write(" not in r.stderr.decode()


@pytest.mark.parametrize("prog", [ARM, A64], ids=["arm", "aarch64"])
def test_strace_lines(prog):
    r = run_pytrans("run", "--strace", prog)
    err = r.stderr.decode().splitlines()
    assert r.returncode == 0
    pid = err[0].split()[0]
    assert pid.isdigit()
    assert any(re.fullmatch(rf'{pid} write\(1,"Hello from an ARM guest[^"]*"(\.\.\.)?,\d+\) = \d+', e)
               for e in err), err
    assert any(re.fullmatch(rf"{pid} brk\(NULL\) = 0x[0-9a-f]+", e) for e in err)
    assert err[-1] == f"{pid} exit_group(0) = ?"


def test_run_exits_at_once_after_atexit_handlers_and_stdio(tmp_path):
    """`pytrans run` ends the process with os._exit (no interpreter teardown), so it must run
    the host's atexit handlers (the disk caches are saved there) and flush Python's buffered
    stdio itself, and keep the guest's status."""
    import subprocess
    import sys
    marker = tmp_path / "atexit-ran"
    prog = ("import atexit, sys\n"
            f"atexit.register(lambda: open({str(marker)!r}, 'w').write('yes'))\n"
            "print('buffered host text', end='')\n"
            "from translator.cli import main\n"
            f"main(['run', {str(ARM)!r}, 'x'])\n"
            "print('not reached')\n")
    r = subprocess.run([sys.executable, "-c", prog], capture_output=True, cwd=ROOT, timeout=120)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert "buffered host text" in out and "argv[1] = x" in out
    assert "not reached" not in out
    assert marker.read_text() == "yes"


def test_api_redirects_and_status(tmp_path):
    out, err = io.BytesIO(), io.BytesIO()
    emu = Emulator(str(A64), ["hello", "api"], {"USER": "py"}, stdout=out, stderr=err)
    assert emu.run() == 0
    assert emu.termination.signal == 0
    text = out.getvalue().decode()
    assert "argv[1] = api" in text and "USER is py" in text


def test_api_stdin_bytes():
    # busybox-free check: the example ignores stdin, so just make sure bytes are accepted
    emu = Emulator(str(ARM), ["hello"], {}, stdin=b"ignored\n", stdout=io.BytesIO())
    assert emu.run() == 0


def test_api_errors_are_pytrans_errors(tmp_path):
    with pytest.raises(PytransError):
        Emulator(str(tmp_path / "missing"))
    with pytest.raises(PytransError):
        Emulator(str(ARM), backend="nope")


def test_shell_status_helper():
    assert shell_status(-11) == 139 and shell_status(3) == 3


def test_backend_auto_follows_env_preference(monkeypatch):
    from translator.emulator import resolve_backend
    monkeypatch.delenv("PYTRANS_BACKEND", raising=False)
    assert resolve_backend("auto", 32) in ("unicorn", "jit")
    monkeypatch.setenv("PYTRANS_BACKEND", "jit")
    assert resolve_backend("auto", 32) == "jit"
    assert resolve_backend("auto", 64) == "unicorn"      # the JIT translates ARM32 only
    assert resolve_backend("unicorn", 32) == "unicorn"   # explicit choice wins
    monkeypatch.setenv("PYTRANS_BACKEND", "bogus")
    with pytest.raises(PytransError, match="PYTRANS_BACKEND"):
        resolve_backend("auto", 32)
    with pytest.raises(PytransError):
        Emulator(str(A64), backend="jit")


def test_backend_env_bogus_is_one_line_error():
    r = run_pytrans("run", ARM, env={"PYTRANS_BACKEND": "bogus"})
    assert r.returncode == 1
    assert r.stderr.decode().splitlines() == [
        "pytrans: PYTRANS_BACKEND='bogus' is not a backend (available: unicorn, jit)"]
