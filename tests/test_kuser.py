"""ARM kernel user helpers and TLS: the page at 0xffff0000 behaves like the kernel's."""
from __future__ import annotations

import struct

import pytest

from conftest import GuestBuilder, run_pytrans, run_qemu
from frontends.arm import abi

EXPECTED = """version>=5 1
tls matches 1
cmpxchg ok 0 -> 9
cmpxchg fail 1 -> 9
cmpxchg64 ok 0 -> 200000003
cmpxchg64 fail 1 -> 200000003
"""


@pytest.fixture(scope="module")
def kuser_prog(tmp_path_factory):
    build = GuestBuilder(tmp_path_factory.mktemp("kuser"), ("-O2",))
    return {mode: build("kuser", "arm", mode) for mode in ("-marm", "-mthumb")}


@pytest.mark.parametrize("mode", ["-marm", "-mthumb"])
def test_kuser_helpers(kuser_prog, mode):
    r = run_pytrans("run", kuser_prog[mode])
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode() == EXPECTED


def test_kuser_helpers_match_qemu(kuser_prog):
    q = run_qemu("arm", kuser_prog["-marm"])
    assert q.stdout.decode() == EXPECTED


def test_kuser_page_words_reassemble():
    """The hard-coded helper words are what keystone assembles from the kernel's sequences."""
    from keystone import KS_ARCH_ARM, KS_MODE_ARM, Ks
    ks = Ks(KS_ARCH_ARM, KS_MODE_ARM)
    page = abi.kuser_page()
    sources = {
        0xFE0: "mrc p15, 0, r0, c13, c0, 3; bx lr",
        0xFA0: "dmb ish; bx lr",
        0xFC0: "l1: ldrex r3, [r2]; subs r3, r3, r0; strexeq r3, r1, [r2]; teqeq r3, #1;"
               " beq l1; rsbs r0, r3, #0; bx lr",
        0xF60: "push {r4, r5, r6, r7}; ldrd r4, r5, [r0]; ldrd r6, r7, [r1];"
               " l1: ldrexd r0, r1, [r2]; eors r3, r0, r4; eorseq r3, r1, r5;"
               " strexdeq r3, r6, r7, [r2]; teqeq r3, #1; beq l1; rsbs r0, r3, #0;"
               " pop {r4, r5, r6, r7}; bx lr",
    }
    for off, src in sources.items():
        code = bytes(ks.asm(src, 0xFFFF0000 + off)[0])
        assert page[off:off + len(code)] == code, hex(off)
    assert struct.unpack_from("<I", page, 0xFFC)[0] == 5
