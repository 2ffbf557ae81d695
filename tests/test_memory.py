"""GuestMemory: the window, VMAs, permissions and listener events."""
from __future__ import annotations

import errno

import pytest

from translator.memory import (PAGE_SIZE, PROT_EXEC, PROT_READ, PROT_WRITE, GuestFault,
                               GuestMemory)

RW = PROT_READ | PROT_WRITE


class Recorder:
    def __init__(self):
        self.events = []

    def on_map(self, s, n, p):
        self.events.append(("map", s, n, p))

    def on_unmap(self, s, n):
        self.events.append(("unmap", s, n))

    def on_protect(self, s, n, p):
        self.events.append(("protect", s, n, p))


@pytest.fixture
def mem():
    m = GuestMemory(1 << 32)
    yield m
    m.close()


def test_map_read_write_roundtrip(mem):
    mem.map(0x10000, 3 * PAGE_SIZE, RW)
    mem.write(0x10ffe, b"abcd")          # crosses a page boundary
    assert mem.read(0x10ffe, 4) == b"abcd"
    assert mem.read(0x12000, 4) == b"\0\0\0\0"   # fresh pages are zero


def test_unmapped_access_faults(mem):
    with pytest.raises(GuestFault) as e:
        mem.read(0x5000, 1)
    assert e.value.addr == 0x5000
    mem.map(0x10000, PAGE_SIZE, RW)
    with pytest.raises(GuestFault) as e:
        mem.read(0x10ff0, 0x20)          # runs off the end of the mapping
    assert e.value.addr == 0x11000


def test_permissions_are_checked_but_force_bypasses(mem):
    mem.map(0x20000, PAGE_SIZE, PROT_READ | PROT_EXEC)
    with pytest.raises(GuestFault):
        mem.write(0x20000, b"x")
    mem.write(0x20000, b"x", force=True)    # the loader may write read-only text
    assert mem.read(0x20000, 1) == b"x"


def test_partial_unmap_and_protect_split_vmas(mem):
    rec = Recorder()
    mem.listeners.append(rec)
    mem.map(0x100000, 4 * PAGE_SIZE, RW, name="blob")
    mem.unmap(0x101000, PAGE_SIZE)
    mem.protect(0x102000, PAGE_SIZE, PROT_READ)
    spans = [(v.start, v.end, v.prot) for v in mem.regions()]
    assert spans == [(0x100000, 0x101000, RW), (0x102000, 0x103000, PROT_READ),
                     (0x103000, 0x104000, RW)]
    assert rec.events == [("map", 0x100000, 0x4000, RW), ("unmap", 0x101000, 0x1000),
                          ("protect", 0x102000, 0x1000, PROT_READ)]
    with pytest.raises(GuestFault):
        mem.read(0x101000, 1)


def test_unmap_frees_contents(mem):
    mem.map(0x30000, PAGE_SIZE, RW)
    mem.write(0x30000, b"secret")
    mem.unmap(0x30000, PAGE_SIZE)
    mem.map(0x30000, PAGE_SIZE, RW)
    assert mem.read(0x30000, 6) == bytes(6)


def test_protect_unmapped_is_enomem(mem):
    mem.map(0x40000, PAGE_SIZE, RW)
    with pytest.raises(OSError) as e:
        mem.protect(0x40000, 2 * PAGE_SIZE, PROT_READ)
    assert e.value.errno == errno.ENOMEM


def test_find_free_is_top_down_and_skips_used(mem):
    top = 0x80000000
    mem.map(top - PAGE_SIZE, PAGE_SIZE, RW)
    got = mem.find_free(2 * PAGE_SIZE, top)
    assert got == top - 3 * PAGE_SIZE
    assert mem.is_free(got, 2 * PAGE_SIZE)
    assert not mem.is_free(top - 2 * PAGE_SIZE, 2 * PAGE_SIZE)


def test_map_fixed_replaces(mem):
    mem.map(0x50000, 2 * PAGE_SIZE, RW)
    mem.write(0x50000, b"old")
    mem.map(0x50000, PAGE_SIZE, PROT_READ)
    assert mem.read(0x50000, 3) == bytes(3)
    assert [(v.start, v.prot) for v in mem.regions()] == [(0x50000, PROT_READ), (0x51000, RW)]


def test_file_mapping_past_eof_is_zero_not_sigbus(mem, tmp_path):
    f = tmp_path / "data"
    f.write_bytes(b"hello")
    with open(f, "rb") as fh:
        mem.map(0x60000, 3 * PAGE_SIZE, PROT_READ, fd=fh.fileno(), file_size=5)
    assert mem.read(0x60000, 6) == b"hello\0"
    assert mem.read(0x62000, 4) == bytes(4)     # the kernel would SIGBUS; the host must not


def test_window_limits(mem):
    with pytest.raises(OSError):
        mem.map(0xFFFFF000, 2 * PAGE_SIZE, RW)
    with pytest.raises(GuestFault):
        mem.read(0xFFFFFFFF, 4)


def test_cstring(mem):
    mem.map(0x70000, PAGE_SIZE, RW)
    mem.write(0x70ff0, b"0123456789abcde\0")
    assert mem.read_cstring(0x70ff0) == b"0123456789abcde"
    mem.write(0x70ff0, b"x" * 16)                # runs into the unmapped next page
    with pytest.raises(GuestFault):
        mem.read_cstring(0x70ff0)
