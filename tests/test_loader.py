"""ELF parsing, image mapping, and the initial stack/auxv layout."""
from __future__ import annotations

import struct

import pytest

from conftest import ROOT
from frontends.aarch64 import abi as a64
from frontends.arm import abi as arm
from translator.elf import PT_LOAD, parse_elf
from translator.loader import (AT_ENTRY, AT_EXECFN, AT_HWCAP, AT_NULL, AT_PAGESZ, AT_PLATFORM,
                               AT_RANDOM, build_stack, load_image)
from translator.memory import PROT_EXEC, PROT_READ, PROT_WRITE, GuestMemory

ARM = ROOT / "examples" / "hello-arm"
A64 = ROOT / "examples" / "hello-aarch64"


def test_parse_arm_example():
    img = parse_elf(ARM)
    assert img.arch == "arm" and img.bits == 32 and img.interp is None
    assert img.entry & 1, "examples/hello-arm is built Thumb-2: entry has the Thumb bit"
    assert any(s.type == PT_LOAD and s.flags & 1 for s in img.segments)
    assert not img.exec_stack


def test_parse_aarch64_example():
    img = parse_elf(A64)
    assert img.arch == "aarch64" and img.bits == 64 and not img.is_pie


@pytest.mark.parametrize("path,abi", [(ARM, arm), (A64, a64)], ids=["arm", "aarch64"])
def test_load_image_maps_segments_with_permissions(path, abi):
    img = parse_elf(path)
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        li = load_image(mem, img, 0)
        for s in img.loads:
            v = mem.vma_at(s.vaddr)
            assert v is not None
            assert bool(v.prot & PROT_EXEC) == bool(s.flags & 1)
            assert bool(v.prot & PROT_WRITE) == bool(s.flags & 2)
            # file bytes copied...
            assert mem.read(s.vaddr, min(s.filesz, 64), force=True) == \
                img.data[s.offset:s.offset + min(s.filesz, 64)]
            # ...and the bss zeroed
            if s.memsz > s.filesz:
                n = min(s.memsz - s.filesz, 64)
                assert mem.read(s.vaddr + s.filesz, n, force=True) == bytes(n)
        assert li.phdr and mem.read(li.phdr, img.phentsize, force=True) == \
            img.data[img.phoff:img.phoff + img.phentsize]
    finally:
        mem.close()


@pytest.mark.parametrize("abi", [arm, a64], ids=["arm", "aarch64"])
def test_stack_layout(abi):
    mem = GuestMemory(abi.ADDRESS_SPACE)
    try:
        mem.map(abi.STACK_TOP - abi.STACK_SIZE, abi.STACK_SIZE, PROT_READ | PROT_WRITE)
        argv = [b"prog", b"one", b"two words"]
        envp = [b"A=1", b"PATH=/bin"]
        auxv = [(AT_HWCAP, abi.HWCAP), (AT_PAGESZ, 4096), (AT_ENTRY, 0x1234),
                (AT_RANDOM, None), (AT_EXECFN, None), (AT_PLATFORM, None)]
        st = build_stack(mem, abi, abi.STACK_TOP, argv, envp, auxv, b"/x/prog",
                         random_bytes=b"R" * 16)
        w = abi.BITS // 8
        fmt = "<" + abi.WORD
        word = lambda a: struct.unpack(fmt, mem.read(a, w))[0]  # noqa: E731
        assert st.sp % 16 == 0
        assert word(st.sp) == 3
        got_argv = [mem.read_cstring(word(st.sp + w * (1 + i))) for i in range(3)]
        assert got_argv == argv and word(st.sp + 4 * w) == 0
        env0 = st.sp + 5 * w
        assert [mem.read_cstring(word(env0 + i * w)) for i in range(2)] == envp
        assert word(env0 + 2 * w) == 0
        a = env0 + 3 * w
        aux = {}
        while True:
            k, v = word(a), word(a + w)
            aux[k] = v
            a += 2 * w
            if k == AT_NULL:
                break
        assert aux[AT_HWCAP] == abi.HWCAP and aux[AT_ENTRY] == 0x1234
        assert mem.read(aux[AT_RANDOM], 16) == b"R" * 16
        assert mem.read_cstring(aux[AT_EXECFN]) == b"/x/prog"
        assert mem.read_cstring(aux[AT_PLATFORM]) == abi.PLATFORM.encode()
        assert all(abi.STACK_TOP - 4096 < v < abi.STACK_TOP
                   for v in (aux[AT_RANDOM], aux[AT_EXECFN], aux[AT_PLATFORM]))
    finally:
        mem.close()


def test_arm_hwcap_is_honest_for_cortex_a15():
    names = set(arm.HWCAP_BITS)
    assert {"vfp", "vfpv3", "vfpv4", "neon", "idiva", "idivt", "tls", "vfpd32"} <= names
    assert arm.HWCAP2 == 0     # no ARMv8 crypto on an A15
    assert {"fp", "asimd"} <= set(a64.HWCAP_BITS)
