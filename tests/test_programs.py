"""Differential tests: real C/C++ programs (tests/programs/src) cross-built for
ARM32 (ARM and Thumb), AArch64, glibc and musl, run under pytrans and compared
with qemu-user -- or, where qemu-user is not installed, with the outputs
recorded in tests/programs/expected.json.

Test ids are ``CASE.VARIANT``, e.g. ``test_program[fileio.thumb-musl]``; the
cases are defined in tests/programs/build.py (CASES).  Binaries are cached in
$PYTRANS_TEST_CACHE/programs (default ~/.cache/pytrans-tests/programs) and only rebuilt
when their sources or flags change.  Each variant is built the first time a
test needs it, so ``-k aarch64-glibc`` builds only that variant.

Environment knobs:
    PYTRANS_TEST_CACHE     cache base; binaries go to its programs/ subdirectory
    PYTRANS_TEST_TIMEOUT   seconds allowed per pytrans run (default 300)
"""
from __future__ import annotations

import importlib.util
import os
import sys
import threading
from pathlib import Path

import pytest

from conftest import OTHER_ARM32_BACKEND, qemu_for, run_pytrans, run_qemu

_BUILD_PY = Path(__file__).resolve().parent / "programs" / "build.py"
_spec = importlib.util.spec_from_file_location("pytrans_test_programs_build", _BUILD_PY)
progbuild = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = progbuild
_spec.loader.exec_module(progbuild)

EXPECTED = progbuild.load_expected()
TIMEOUT = float(os.environ.get("PYTRANS_TEST_TIMEOUT", "300"))
SIGNAL_LINE = b"pytrans: guest killed by signal"


class LazyPrograms:
    """Builds a variant's binaries the first time one of them is asked for."""

    def __init__(self, outdir: Path):
        self.outdir = outdir
        self.results: dict[str, object] = {}
        self.lock = threading.Lock()

    def get(self, program: str, variant: str) -> Path:
        why = progbuild.skip_reason(variant, progbuild.programs()[program].suffix == ".cpp")
        if why is not None:
            pytest.skip(f"variant {variant}: {why}")
        with self.lock:
            if variant not in self.results:
                res = progbuild.build_all_with_report(self.outdir, [variant])
                print(f"\n[{variant}] {res.summary()}", file=sys.stderr)
                self.results[variant] = res
        res = self.results[variant]
        name = f"{program}.{variant}"
        reason = res.reason(name)
        if reason is not None:
            if name in res.failed:
                pytest.fail(f"{name}: {reason}")
            pytest.skip(f"{name}: {reason}")
        return res.binaries[name]


@pytest.fixture(scope="session")
def guest_programs() -> LazyPrograms:
    return LazyPrograms(progbuild.default_cache_dir())


def _params():
    """CASE.VARIANT on the default backend, and CASE.VARIANT@BACKEND on the other ARM32
    backend for 32-bit variants (so both the JIT and Unicorn run every program)."""
    out = []
    for case in progbuild.CASES:
        for variant in progbuild.VARIANTS:
            out.append(pytest.param(case, variant, None, id=f"{case.id}.{variant}"))
            if progbuild.arch_of(variant) == "arm":
                out.append(pytest.param(case, variant, OTHER_ARM32_BACKEND,
                                        id=f"{case.id}.{variant}@{OTHER_ARM32_BACKEND}"))
    return out


def _text(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")


def _run_reference(case, variant: str, binary: Path, tmp: Path) -> tuple[bytes, int, str]:
    """(stdout, status, source) from qemu-user, else from expected.json."""
    arch = progbuild.arch_of(variant)
    if qemu_for(arch):
        tmp.mkdir()
        env = dict(os.environ)
        env.update(case.env_dict)
        r = run_qemu(arch, binary, *case.argv(tmp), stdin=case.stdin or b"", env=env,
                     cwd=str(tmp), timeout=120)
        return r.stdout, progbuild.exit_status(r.returncode), f"qemu-{arch}"
    exp = EXPECTED.get(case.id, {}).get(variant)
    if exp is None:
        pytest.skip(f"{progbuild.QEMU[arch]} is not installed and expected.json has no "
                    f"entry for {case.id} on {variant}")
    return exp[0], exp[1], "expected.json"


@pytest.mark.parametrize("case,variant,backend", _params())
def test_program(case, variant, backend, guest_programs, tmp_path):
    binary = guest_programs.get(case.program, variant)
    run_dir = tmp_path / "pytrans"
    run_dir.mkdir()
    res = run_pytrans("run", *(["--backend", backend] if backend else []), binary, *case.argv(run_dir), stdin=case.stdin or b"",
                      env=case.env_dict or None, cwd=str(run_dir), timeout=TIMEOUT)
    status = progbuild.exit_status(res.returncode)
    stderr_tail = _text(res.stderr[-3000:])

    want_out, want_status, source = _run_reference(case, variant, binary, tmp_path / "ref")

    assert b"Traceback" not in res.stderr, f"pytrans raised a Python exception:\n{stderr_tail}"
    assert _text(res.stdout) == _text(want_out), (
        f"stdout differs from {source} (pytrans exit status {status}); pytrans stderr:\n{stderr_tail}")
    assert res.stdout == want_out, f"stdout bytes differ from {source}"
    assert status == want_status, (
        f"exit status {status} != {want_status} from {source}; pytrans stderr:\n{stderr_tail}")
    if case.fault and want_status > 128:
        assert any(line.startswith(SIGNAL_LINE) for line in res.stderr.splitlines()), (
            f"guest died by signal {want_status - 128} but pytrans stderr has no line "
            f"starting {SIGNAL_LINE.decode()!r}:\n{stderr_tail}")


@pytest.mark.parametrize("case,variant", [pytest.param(*p.values[:2], id=p.id)
                                          for p in _params() if p.values[2] is None])
def test_expected_matches_qemu(case, variant, guest_programs, tmp_path):
    """expected.json is still what qemu-user produces (re-record it with
    `python tests/programs/build.py --record` after changing a program)."""
    arch = progbuild.arch_of(variant)
    if not qemu_for(arch):
        pytest.skip(f"{progbuild.QEMU[arch]} is not installed (apt-get install qemu-user)")
    binary = guest_programs.get(case.program, variant)
    exp = EXPECTED.get(case.id, {}).get(variant)
    assert exp is not None, f"expected.json has no entry for {case.id} on {variant}: re-record it"
    out, status, _ = _run_reference(case, variant, binary, tmp_path / "ref")
    assert (_text(out), status) == (_text(exp[0]), exp[1]), (
        "qemu-user output no longer matches expected.json: re-record it with "
        "`python tests/programs/build.py --record`")


def test_expected_json_covers_all_cases():
    missing = [f"{c.id}.{v}" for c in progbuild.CASES for v in progbuild.VARIANTS
               if v not in EXPECTED.get(c.id, {})]
    assert not missing, f"expected.json lacks {missing}: run `python tests/programs/build.py --record`"
