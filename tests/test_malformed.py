"""Malformed programs: one `pytrans:` line, non-zero status, no traceback, no hang, no crash.

Each case starts from a real static ARM32 or AArch64 executable and breaks one thing.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Callable

import pytest

from conftest import ROOT, run_pytrans

ARM = ROOT / "examples" / "hello-arm"
A64 = ROOT / "examples" / "hello-aarch64"


def _phdr_off(data: bytes, i: int) -> int:
    if data[4] == 1:
        phoff, = struct.unpack_from("<I", data, 28)
        return phoff + 32 * i
    phoff, = struct.unpack_from("<Q", data, 32)
    return phoff + 56 * i


def _first_load(data: bytes) -> int:
    n = struct.unpack_from("<H", data, 44 if data[4] == 1 else 56)[0]
    for i in range(n):
        if struct.unpack_from("<I", data, _phdr_off(data, i))[0] == 1:
            return i
    raise AssertionError("no PT_LOAD")


def patch(fmt32: str, off32: int, fmt64: str, off64: int, value: int) -> Callable[[bytearray], None]:
    def f(d: bytearray) -> None:
        if d[4] == 1:
            struct.pack_into(fmt32, d, off32, value)
        else:
            struct.pack_into(fmt64, d, off64, value)
    return f


def patch_load(field32: int, field64: int, fmt32: str, fmt64: str, value) -> Callable:
    """Patch a field of the first PT_LOAD header (offsets within the phdr)."""
    def f(d: bytearray) -> None:
        off = _phdr_off(d, _first_load(d))
        v = value(d, off) if callable(value) else value
        if d[4] == 1:
            struct.pack_into(fmt32, d, off + field32, v)
        else:
            struct.pack_into(fmt64, d, off + field64, v)
    return f


def truncate(n: int) -> Callable[[bytearray], None]:
    def f(d: bytearray) -> None:
        del d[n:]
    return f


def _filesz_gt_memsz(d: bytearray, off: int) -> int:
    memsz = struct.unpack_from("<I" if d[4] == 1 else "<Q", d, off + (20 if d[4] == 1 else 40))[0]
    return memsz + 0x1000


CASES: dict[str, tuple[Callable[[bytearray], None], str]] = {
    "empty": (truncate(0), "not an ELF file"),
    "truncated-ident": (truncate(10), "truncated ELF header"),
    "truncated-header": (truncate(40), "truncated ELF header"),
    "bad-magic": (lambda d: d.__setitem__(slice(1, 4), b"ELG"), "not an ELF file"),
    "bad-class": (lambda d: d.__setitem__(4, 7), "invalid ELF class"),
    "wrong-class": (lambda d: d.__setitem__(4, 3 - d[4]), "machine in an ELF"),
    "big-endian": (lambda d: d.__setitem__(5, 2), "big-endian"),
    "bad-data": (lambda d: d.__setitem__(5, 9), "invalid ELF data"),
    "bad-version": (lambda d: d.__setitem__(6, 9), "invalid ELF version"),
    "x86-64-machine": (patch("<H", 18, "<H", 18, 62), "unsupported machine x86-64"),
    "et-rel": (patch("<H", 16, "<H", 16, 1), "ET_REL"),
    "et-core": (patch("<H", 16, "<H", 16, 4), "ET_CORE"),
    "bad-phentsize": (patch("<H", 42, "<H", 54, 17), "bad e_phentsize"),
    "zero-phnum": (patch("<H", 44, "<H", 56, 0), "no program headers"),
    "huge-phnum": (patch("<H", 44, "<H", 56, 0xFFFF), "too many program headers"),
    "phoff-past-eof": (patch("<I", 28, "<Q", 32, 0x7FFFFFF0), "past the end of the file"),
    "phoff-wraps": (patch("<I", 28, "<Q", 32, 0xFFFFFFFF), "past the end of the file"),
    "segment-past-eof": (patch_load(4, 8, "<I", "<Q", 0x7FFF0000), "past the end of the file"),
    "filesz-gt-memsz": (patch_load(16, 32, "<I", "<Q", _filesz_gt_memsz), "p_filesz"),
    "huge-memsz": (patch_load(20, 40, "<I", "<Q", lambda d, o: 0xFFFFF000 if d[4] == 1
                              else 0xFFFFFFFFFFFFF000), "does not fit"),
    "wrapping-vaddr": (patch_load(8, 16, "<I", "<Q", lambda d, o: 0xFFFFF000 if d[4] == 1
                                  else 0xFFFFFFFFFFFFF000), "does not fit"),
    "entry-outside": (patch("<I", 24, "<Q", 24, 0x1234), "entry point"),
    "misaligned-vaddr": (patch_load(8, 16, "<I", "<Q", lambda d, o: struct.unpack_from(
        "<I" if d[4] == 1 else "<Q", d, o + (8 if d[4] == 1 else 16))[0] + 4), "congruent"),
}


@pytest.mark.parametrize("base", [ARM, A64], ids=["arm", "aarch64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_elf(tmp_path: Path, base: Path, case: str) -> None:
    mutate, needle = CASES[case]
    data = bytearray(base.read_bytes())
    mutate(data)
    prog = tmp_path / f"{case}.elf"
    prog.write_bytes(bytes(data))
    prog.chmod(0o755)
    for cmd in ("run", "info"):
        r = run_pytrans(cmd, prog, timeout=30)
        err = r.stderr.decode()
        assert r.returncode > 0, (cmd, r.returncode, err)
        assert "Traceback" not in err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("pytrans: "), err
        assert needle in lines[0], (needle, lines[0])


def test_missing_file(tmp_path: Path) -> None:
    r = run_pytrans("run", tmp_path / "nope")
    assert r.returncode == 127
    assert r.stderr.decode().strip() == f"pytrans: {tmp_path / 'nope'}: No such file or directory"


def test_directory(tmp_path: Path) -> None:
    r = run_pytrans("run", tmp_path)
    assert r.returncode != 0
    assert r.stderr.decode().strip() == f"pytrans: {tmp_path}: Is a directory"


def test_not_executable(tmp_path: Path) -> None:
    prog = tmp_path / "hello"
    prog.write_bytes(ARM.read_bytes())
    prog.chmod(0o644)
    r = run_pytrans("run", prog)
    assert r.returncode == 126
    assert r.stderr.decode().startswith(f"pytrans: {prog}: Permission denied")
    # `info` only reads the file: a non-executable program can still be inspected.
    assert run_pytrans("info", prog).returncode == 0


@pytest.mark.parametrize("content", [b"hello world\n", b"#!/bin/sh\necho hi\n", os.urandom(64)],
                         ids=["text", "script", "random"])
def test_not_elf(tmp_path: Path, content: bytes) -> None:
    prog = tmp_path / "prog"
    prog.write_bytes(content if content[:1] != b"\x7f" else b"x" + content)
    prog.chmod(0o755)
    r = run_pytrans("run", prog)
    err = r.stderr.decode()
    assert r.returncode != 0 and "Traceback" not in err
    assert err.startswith("pytrans: ") and len(err.strip().splitlines()) == 1


def test_unknown_backend() -> None:
    r = run_pytrans("run", "--backend", "bogus", ARM)
    assert r.returncode == 2
    assert r.stderr.decode().startswith("pytrans: ")
    assert "Traceback" not in r.stderr.decode()


def test_missing_interpreter(tmp_path: Path) -> None:
    """A dynamic program whose interpreter is nowhere: clear error naming it."""
    data = bytearray(ARM.read_bytes())
    # Turn the first PT_NOTE (or any non-LOAD header) into a PT_INTERP pointing at a path
    # written over the end of the file.
    path = b"/lib/ld-nonexistent-armhf.so.3\0"
    off = len(data)
    data += path
    n = struct.unpack_from("<H", data, 44)[0]
    for i in range(n):
        po = _phdr_off(data, i)
        if struct.unpack_from("<I", data, po)[0] not in (1,):
            struct.pack_into("<IIIIIIII", data, po, 3, off, 0, 0, len(path), len(path), 4, 1)
            break
    prog = tmp_path / "dyn"
    prog.write_bytes(bytes(data))
    prog.chmod(0o755)
    r = run_pytrans("run", prog)
    err = r.stderr.decode().strip()
    assert r.returncode != 0 and "Traceback" not in err
    assert err.startswith("pytrans: ") and "/lib/ld-nonexistent-armhf.so.3" in err
