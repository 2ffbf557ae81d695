"""Guest accesses checked by the host MMU (translator/jit/hostfault.py, memory.py's mirrored
host protection): a marker instead of a software probe before each native load and store,
a guest signal at the exact address when one faults, faults elsewhere passed on."""
from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from translator.jit import hostfault
from translator.memory import PROT_EXEC, PROT_NONE, PROT_READ, PROT_WRITE, GuestMemory

from test_jit_codegen import _lift, _probes, _run_code, _x86

ROOT = Path(__file__).resolve().parent.parent
keystone = pytest.importorskip("keystone", reason="keystone-engine not installed")


def _markers(code: list[str]) -> list[int]:
    return [k for k, line in enumerate(code) if line.startswith("nop dword ptr [rax +")]


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_each_access_has_a_marker_and_no_probe(thumb):
    """Five accesses (two loads, a store, a two-word push): five markers, each right before
    its access to guest memory (r15-based), and no page probe at all."""
    code = _x86(_lift("ldr r0, [r9]; str r0, [r9, #8]; ldrb r1, [r9, #3]; push {r4, lr}",
                      thumb), mmu=True)
    marks = _markers(code)
    assert len(marks) == 5 and _probes(code) == 0
    assert all("[r15 +" in code[k + 1] for k in marks)


def test_accesses_in_an_it_block_have_markers_and_fault_with_their_itstate():
    """Accesses inside an IT block fault to the interpreter too: the stub hands it the
    instruction's ITSTATE (ITE NE: 0x14 at the first, 0x08 at the second), so the guest's
    signal comes from the right instruction, with the IT state a handler's return needs."""
    src = "cmp r0, #0; ite ne; ldrne r1, [r9]; ldreq r2, [r9, #4]"
    code = _x86(_lift(src, True), mmu=True)
    assert _probes(code) == 0 and len(_markers(code)) == 2
    for r0, want in ((1, (0x20000, 0)), (0, (0, 0x20004))):
        end, r, _, _ = _run_code(src, {"r0": r0, "r1": 0, "r2": 0, "r9": 0x20000}, True)
        assert end.signal == 0 and (r[1], r[2]) == want
    for r0, pc, addr, it in ((1, 0x10004, 0x1F000, 0x14), (0, 0x10008, 0x1F004, 0x08)):
        end, r, _, stats = _run_code(src, {"r0": r0, "r1": 0, "r2": 0, "r9": 0x1F000}, True)
        assert (end.signal, end.addr, end.pc) == (11, addr, pc)
        assert stats["itstate"] == it and (r[1], r[2]) == (0, 0)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
@pytest.mark.parametrize("src, regs, addr", [
    ("ldr r0, [r9, #4]", {"r9": 0x1EFFC}, 0x1F000),               # below the data page
    ("ldrh r0, [r9]", {"r9": 0x21000}, 0x21000),                  # above it
    ("ldr r0, [r9]", {"r9": 0x20FFE}, 0x21000),                   # straddles its end
    ("strb r1, [r9]", {"r9": 0x10010, "r1": 7}, 0x10010),         # read-only code page
    ("ldr r0, [r9]", {"r9": 0xFFFFFFFE}, 0xFFFFFFFE),             # the window's last bytes
])
@pytest.mark.parametrize("mmu", [True, False], ids=["mmu", "probes"])
def test_native_access_fault_is_a_guest_sigsegv_at_the_exact_address(thumb, src, regs, addr, mmu,
                                                                     monkeypatch):
    """The same faults with the host MMU checking and with software probes
    ($PYTRANS_JIT_HWFAULT=0)."""
    monkeypatch.setenv("PYTRANS_JIT_HWFAULT", "1" if mmu else "0")
    end, r, data, stats = _run_code(src, dict(regs, r0=0x55), thumb)
    assert stats["mmu_checks"] == mmu
    assert (end.signal, end.addr) == (11, addr)
    assert end.pc == 0x10000 and r[0] == 0x55 and stats["native_instructions"] == 0


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_ldm_faulting_midway_changes_no_register(thumb):
    """LDM with write-back, its third word on an unmapped page: the first two loads ran
    natively, but no register was written before the fault (the interpreter reran the
    whole instruction and faulted at the third word)."""
    init = {"r0": 1, "r1": 2, "r2": 3, "r9": 0x20FF8}
    end, r, _, _ = _run_code("ldm r9!, {r0, r1, r2}", init, thumb)
    assert (end.signal, end.addr) == (11, 0x21000)
    assert (r[0], r[1], r[2], r[9]) == (1, 2, 3, 0x20FF8)


@pytest.mark.parametrize("thumb", [False, True], ids=["arm", "thumb"])
def test_regression_owed_flags_are_stored_by_the_fault_stub(thumb):
    """A CMP's flags are still owed (not stored) at a load the host MMU checks; when that
    load faults, its stub stores them from the x86 flags the kernel handed back, so the
    guest's signal context has the CMP's NZCV."""
    end, _, _, stats = _run_code("cmp r0, r1; ldr r2, [r9]",
                                 {"r0": 1, "r1": 2, "r9": 0x1F000}, thumb)
    assert (end.signal, end.addr) == (11, 0x1F000)
    assert stats["nzcv"] == (1, 0, 0, 0)               # 1 - 2: negative, a borrow


def test_loads_from_write_only_and_exec_only_pages_succeed():
    """As on ARM Linux, any access right implies read: the JIT, the interpreter and
    pytrans's own reads agree."""
    for prot in (PROT_WRITE, PROT_EXEC):
        end, r, _, _ = _run_code("ldr r0, [r9]; ldr r1, [r9, #4]", {"r9": 0x20000}, False,
                                 data_prot=prot)
        assert end.signal == 0 and (r[0], r[1]) == (0x20000, 0x20004)


def _host_perms(mem: GuestMemory, addr: int) -> str:
    host = mem.base + addr
    for line in Path("/proc/self/maps").read_text().splitlines():
        lo, hi = (int(x, 16) for x in line.split()[0].split("-"))
        if lo <= host < hi:
            return line.split()[1][:3]
    return "unmapped"


def test_host_protection_mirrors_the_guest():
    mem = GuestMemory(1 << 32)
    try:
        mem.map(0x10000, 0x3000, PROT_READ | PROT_WRITE)
        assert _host_perms(mem, 0x10000) == "rw-"
        mem.protect(0x11000, 0x1000, PROT_READ | PROT_EXEC)
        mem.protect(0x12000, 0x1000, PROT_NONE)
        assert [_host_perms(mem, a) for a in (0x10000, 0x11000, 0x12000)] == \
            ["rw-", "r--", "---"]
        assert _host_perms(mem, 0x13000) == "---"                 # unmapped: the reservation
        assert _host_perms(mem, 1 << 32) == "---"                 # the guard page past it
        # pytrans's forced accesses (the loader, mremap) open and close them again
        mem.write(0x11ffe, b"abcd", force=True)
        assert mem.read(0x11ffe, 4, force=True) == b"abcd"
        assert [_host_perms(mem, a) for a in (0x11000, 0x12000)] == ["r--", "---"]
        mem.protect(0x12000, 0x1000, PROT_WRITE)                  # write implies read
        assert _host_perms(mem, 0x12000) == "rw-" and mem.read(0x12000, 2) == b"cd"
    finally:
        mem.close()


_CHILD = """
import ctypes, faulthandler, sys
sys.path.insert(0, {root!r})
if {before}:
    faulthandler.enable()
from translator.jit.codecache import CodeCache
cache = CodeCache()
assert cache.mmu_checks
if {after}:
    faulthandler.enable()          # replaces ours: a JIT run would install it again
    from translator.jit import hostfault
    hostfault.handler().install()
ctypes.string_at(16)               # a host fault outside translated code
"""


@pytest.mark.parametrize("before, after", [(False, False), (True, False), (False, True)],
                         ids=["default", "faulthandler-first", "faulthandler-later"])
def test_foreign_faults_go_to_the_previous_handler(before, after):
    """A fault outside translated code is not ours: the handler installed before (Python's
    faulthandler) reports it, else the default action kills the process by SIGSEGV."""
    child = textwrap.dedent(_CHILD.format(root=str(ROOT), before=before, after=after))
    r = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, PYTHONFAULTHANDLER=""))
    assert r.returncode == -11
    assert ("Fatal Python error: Segmentation fault" in r.stderr) == (before or after)


def test_handler_is_installed_and_reinstalled_by_a_run():
    """A JIT run makes the handler current again if something replaced it (faulthandler
    enabled after the JIT was set up): a guest fault is still a guest signal."""
    import faulthandler
    _run_code("nop", {}, False)
    code = hostfault.handler().code
    faulthandler.disable()                   # (pytest's own, enabled again: replaces ours)
    faulthandler.enable()
    cur = hostfault._Sigaction()
    hostfault._libc.sigaction(11, None, ctypes.byref(cur))
    assert cur.handler != code
    end, _, _, _ = _run_code("ldr r0, [r9]", {"r9": 0x1F000}, False)
    assert (end.signal, end.addr) == (11, 0x1F000)
    hostfault._libc.sigaction(11, None, ctypes.byref(cur))
    assert cur.handler == code


@pytest.mark.parametrize("mmu", [True, False], ids=["mmu", "probes"])
def test_regression_straddling_word_faults_at_its_first_bad_byte(mmu, monkeypatch):
    """A word at 0x20ffe whose last two bytes are on an unmapped page: the fault address is
    0x21000, the first byte that cannot be read (as the interpreter and Linux report it),
    and no instruction of the block counts as run. The software probes reported 0x20ffe
    and counted the whole block."""
    monkeypatch.setenv("PYTRANS_JIT_HWFAULT", "1" if mmu else "0")
    end, _, _, stats = _run_code("ldr r0, [r9]; add r1, r1, #1", {"r9": 0x20FFE}, False)
    assert (end.signal, end.addr, end.pc) == (11, 0x21000, 0x10000)
    assert stats["native_instructions"] == 0 and stats["mmu_checks"] == mmu
