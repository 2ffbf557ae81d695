"""Sysroots (-L): lookups inside the guest root, the ELF interpreter from it, and the
`pytrans sysroot debian` helper (translator/sysroot.py)."""
from __future__ import annotations

import os
import shutil

import pytest

from conftest import CROSS_SYSROOT, GuestBuilder, run_pytrans

INTERP = {"arm": "ld-linux-armhf.so.3", "aarch64": "ld-linux-aarch64.so.1"}
ARCHES = ["arm", "aarch64"]


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    return GuestBuilder(tmp_path_factory.mktemp("sysroot"))


# ---- resolve_in_root ------------------------------------------------------------------------
@pytest.fixture
def tree(tmp_path):
    r = tmp_path / "root"
    (r / "data").mkdir(parents=True)
    (r / "data" / "real").write_text("inside\n")
    (r / "etc").mkdir()
    os.symlink("/data/real", r / "etc" / "abs")            # absolute: must stay inside r
    os.symlink("../data/real", r / "etc" / "rel")
    os.symlink("/data", r / "d")                            # a directory link mid-path
    os.symlink("../../../../../../data/real", r / "etc" / "climb")   # `..` stops at r
    os.symlink("/etc/loop2", r / "etc" / "loop1")
    os.symlink("/etc/loop1", r / "etc" / "loop2")
    os.symlink("/nowhere", r / "etc" / "dangling")
    return r


def test_resolve_in_root_keeps_links_inside(tree):
    from translator.sysroot import resolve_in_root
    real = str(tree / "data" / "real")
    for p in ("/etc/abs", "/etc/rel", "/d/real", "/etc/climb", "/etc/../d/./real", "/../data/real"):
        assert resolve_in_root(str(tree), p) == real, p
    assert resolve_in_root(str(tree), "/etc/abs", follow=False) == str(tree / "etc" / "abs")
    assert resolve_in_root(str(tree), "/d/real", follow=False) == real   # only the last stays
    assert resolve_in_root(str(tree), "/etc/loop1") is None                # ELOOP
    assert resolve_in_root(str(tree), "/etc/dangling") is None
    assert resolve_in_root(str(tree), "/etc/dangling", follow=False) == str(tree / "etc" / "dangling")
    assert resolve_in_root(str(tree), "/") == str(tree)


def test_sysroot_path_falls_back_to_the_host(tree):
    from translator.sysroot import sysroot_path
    assert sysroot_path(str(tree), "/etc/abs") == str(tree / "data" / "real")
    assert sysroot_path(str(tree), "/etc/hostname") == "/etc/hostname"     # not in the root
    assert sysroot_path(str(tree), "relative/path") == "relative/path"
    assert sysroot_path(None, "/etc/abs") == "/etc/abs"


def test_make_links_relative(tree):
    from translator.sysroot import make_links_relative, resolve_in_root
    assert make_links_relative(tree) == 5          # abs, d, loop1, loop2, dangling
    assert os.readlink(tree / "etc" / "abs") == "../data/real"
    assert (tree / "etc" / "abs").read_text() == "inside\n"       # host follows it inside now
    assert (tree / "d" / "real").read_text() == "inside\n"
    assert resolve_in_root(str(tree), "/etc/abs") == str(tree / "data" / "real")


# ---- guests on a sysroot ----------------------------------------------------------------------
@pytest.mark.parametrize("arch", ARCHES)
def test_regression_absolute_symlink_in_sysroot_stays_inside(build, arch, tree):
    """An absolute symlink inside the sysroot used to be followed on the host."""
    prog = build("sysroot_paths", arch)
    r = run_pytrans("run", "-L", tree, prog, "/etc/abs", "/d/real", "/etc/dangling",
                    "/etc/hostname")
    assert r.returncode == 0, r.stderr
    host_size = os.stat("/etc/hostname").st_size
    host_first = open("/etc/hostname").readline().rstrip("\n")
    assert r.stdout.decode().splitlines() == [
        "/etc/abs: link link=/data/real size=7 access=1 first=inside",
        "/d/real: file link=- size=7 access=1 first=inside",
        "/etc/dangling: link link=/nowhere size=-1 access=0 first=-",
        f"/etc/hostname: file link=- size={host_size} access=1 first={host_first}",
    ]


def _glibc_root(tmp_path, arch: str, how: str):
    """A sysroot whose loader and libc are reached through absolute symlinks (Debian's
    /lib/ld-linux-*.so.* style) into /opt/glibc, a directory the host does not have."""
    r = tmp_path / f"root-{arch}"
    lib = r / "lib"
    (r / "opt" / "glibc").mkdir(parents=True, exist_ok=True)
    lib.mkdir(parents=True, exist_ok=True)
    for name in (INTERP[arch], "libc.so.6"):
        src = os.path.join(CROSS_SYSROOT[arch], "lib", name)
        if not os.path.exists(src):
            pytest.skip(f"{src} missing (cross toolchain's libc)")
        if how == "good" or name != INTERP[arch]:
            shutil.copy(src, r / "opt" / "glibc" / name)
        os.symlink(f"/opt/glibc/{name}", lib / name)
    assert not os.path.exists("/opt/glibc"), "the test needs /opt/glibc absent on the host"
    return r


@pytest.mark.parametrize("arch", ARCHES)
def test_interpreter_through_absolute_symlinks(build, arch, tmp_path):
    root = _glibc_root(tmp_path, arch, "good")
    prog = build("procfs_self", arch, link="-no-pie")
    r = run_pytrans("run", "-L", root, prog)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert f"maps interp: r-xp {root}/opt/glibc/{INTERP[arch]}\n" in out


@pytest.mark.parametrize("arch", ARCHES)
def test_interpreter_placed_like_the_kernel(build, arch):
    """AT_BASE is the loader's load bias, page aligned, right below the mmap base (where
    the kernel's top-down mmap puts it), above the program and its break."""
    from frontends.aarch64 import abi as a64
    from frontends.arm import abi as arm
    abi = arm if arch == "arm" else a64
    r = run_pytrans("run", "-L", CROSS_SYSROOT[arch], build("auxv", arch, link="-no-pie"))
    assert r.returncode == 0, r.stderr
    base = int(r.stdout.decode().split("AT_BASE=")[1].split()[0], 16)
    assert base % 4096 == 0
    assert abi.MMAP_TOP - (4 << 20) <= base < abi.MMAP_TOP
    assert "AT_ENTRY=1" in r.stdout.decode()        # AT_ENTRY: the program's, not ld.so's


@pytest.mark.parametrize("arch", ARCHES)
@pytest.mark.parametrize("how", ["text", "wrong-arch", "missing-target"])
def test_broken_interpreter_is_a_clear_error(build, arch, how, tmp_path):
    prog = build("auxv", arch, link="-no-pie")
    r = tmp_path / "root"
    (r / "lib").mkdir(parents=True)
    target = r / "lib" / INTERP[arch]
    if how == "text":
        target.write_text("not an ELF file\n")
    elif how == "wrong-arch":
        other = "aarch64" if arch == "arm" else "arm"
        src = os.path.join(CROSS_SYSROOT[other], "lib", INTERP[other])
        if not os.path.exists(src):
            pytest.skip(f"{src} missing")
        shutil.copy(src, target)
    else:
        os.symlink("/lib/gone.so", target)         # dangling inside the root
    res = run_pytrans("run", "-L", r, prog)
    err = res.stderr.decode()
    assert res.returncode != 0 and res.stdout == b""
    assert err.startswith("pytrans: ") and len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    if how == "wrong-arch":
        assert "is for" in err
    if how == "missing-target":
        assert "needs its interpreter" in err


# ---- the Debian helper -----------------------------------------------------------------------
def test_sysroot_cli_bad_input(tmp_path):
    r = run_pytrans("sysroot", "debian", "mips", tmp_path / "x")
    assert r.returncode == 1
    assert r.stderr.decode() == "pytrans: unknown Debian architecture 'mips' (choose armhf or arm64)\n"
    r = run_pytrans("sysroot")
    assert r.returncode != 0 and r.stderr.decode().startswith("pytrans: ")
    assert b"Traceback" not in r.stderr


def test_sysroot_debian_downloads_and_unpacks(tmp_path):
    """`pytrans sysroot debian --no-base armhf DIR zlib1g NAME` (network: Debian mirror)."""
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        pytest.skip("apt-get/dpkg not installed")
    d = tmp_path / "sr"
    r = run_pytrans("sysroot", "debian", "--no-base", "-q", "armhf", d, "zlib1g",
                    "no-such-package-pytrans", timeout=600)
    err = r.stderr.decode()
    if "apt-get update for armhf failed" in err:
        pytest.skip(f"no Debian mirror reachable: {err.strip()}")
    assert r.returncode == 1, err                # one requested package does not exist
    assert "pytrans: not found for armhf: no-such-package-pytrans\n" in err
    assert "packages unpacked into" in err
    libz = [p for p in (d / "lib" / "arm-linux-gnueabihf" / "libz.so.1",
                        d / "usr" / "lib" / "arm-linux-gnueabihf" / "libz.so.1") if p.exists()]
    assert libz, "libz.so.1 not unpacked"
    libz = libz[0]
    with open(os.path.realpath(libz), "rb") as f:
        head = f.read(20)
    assert head[:4] == b"\x7fELF" and head[18] == 40          # EM_ARM
    assert (d / "lib" / "ld-linux-armhf.so.3").exists()           # libc6, zlib1g's dependency
    for dirpath, dirnames, filenames in os.walk(d):
        for n in dirnames + filenames:
            p = os.path.join(dirpath, n)
            if os.path.islink(p):
                assert not os.readlink(p).startswith("/"), p
