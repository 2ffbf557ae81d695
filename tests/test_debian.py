"""The real Debian armhf and arm64 userland under ``pytrans run -L SYSROOT``.

The sysroot is assembled from Debian bookworm packages by pytrans's own helper
(``pytrans sysroot debian``, through tests/debian_fetch.py; cached, never committed):
coreutils, dash, busybox, gzip, bzip2, xz-utils, zstd, sed, grep, mawk, diffutils, lua5.4 and
the libraries they need. Every program here is dynamically linked: glibc's ld.so, libc and
the program's libraries all come from the sysroot.

Each case runs the program in a fresh copy of a small file tree and checks stdout bytes and
exit status against qemu-user with the same -L (when installed) and against known-good
output computed independently (Python's hashlib/gzip/..., or written out). Cases that need
a feature pytrans does not have yet are strict xfails naming it, so they flip when it lands.
"""
from __future__ import annotations

import bz2
import gzip
import hashlib
import lzma
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import qemu_for, run_pytrans, run_qemu, shell_status  # noqa: E402
from debian_fetch import DebianUnavailable, fetch_sysroot  # noqa: E402

ARCHES = ("armhf", "arm64")
QEMU_ARCH = {"armhf": "arm", "arm64": "aarch64"}
ENV = {"LC_ALL": "C", "LANG": "C", "TZ": "UTC", "PATH": "/usr/bin:/bin"}
FIXED_MTIME = 1_000_000_000            # 2001-09-09 01:46:40 UTC

# A deterministic text: 300 lines of words, some repeated.
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
TEXT = "".join(f"{WORDS[(i * 7) % 8]} {i % 13} {WORDS[(i * 3) % 8]}:{i}\n"
               for i in range(300)).encode()


@dataclass
class Case:
    id: str
    argv: list[str]
    stdin: bytes = b""
    expect: bytes | None = None        # known-good stdout (None: qemu-user is the reference)
    status: int = 0
    xfail: str = ""                    # strict xfail reason: the missing feature
    files: dict = field(default_factory=dict)   # extra files for this case


def _sorted_lines(data: bytes) -> bytes:
    return b"".join(sorted(data.splitlines(keepends=True)))


LUA = b"""
local t = {}
for i = 1, 20 do t[#t + 1] = string.format("%02d:%s", i * 7 % 20, string.rep("x", i % 4)) end
table.sort(t)
print(table.concat(t, ","))
local words = {}
for w in ("the quick brown fox jumps over the lazy dog the end"):gmatch("%a+") do
  words[w] = (words[w] or 0) + 1
end
local keys = {}
for k in pairs(words) do keys[#keys + 1] = k end
table.sort(keys)
for _, k in ipairs(keys) do io.write(k, "=", words[k], " ") end
print()
print(string.format("%.6f %d %s", math.sqrt(2), math.floor(-3.5), math.maxinteger))
print(("hello"):upper():reverse(), #"hello", ("a,b,,c"):gsub(",", ";"))
local function fib(n) if n < 2 then return n end return fib(n - 1) + fib(n - 2) end
print(fib(20), 2^10, 7 // 2, 7 % -3, 1e300 * 1e10)
"""
LUA_OUT = (b"00:,01:xxx,02:xx,03:x,04:,05:xxx,06:xx,07:x,08:,09:xxx,10:xx,11:x,12:,13:xxx,"
           b"14:xx,15:x,16:,17:xxx,18:xx,19:x\n"
           b"brown=1 dog=1 end=1 fox=1 jumps=1 lazy=1 over=1 quick=1 the=3 \n"
           b"1.414214 -4 9223372036854775807\n"
           b"OLLEH\t5\ta;b;;c\t3\n"
           b"6765\t1024.0\t3\t-2\tinf\n")

SH_PLAIN = ("x=6; y=7; echo $((x * y)); for w in one two three; do printf '%s.' \"$w\"; done; "
            "echo; case abc in a*) echo matched;; esac; set -- a b c; echo $# \"$2\"; "
            "f() { echo \"in f: $1\"; return 3; }; f arg; echo status=$?; "
            "read line < words.txt; echo \"first: $line\"")
SH_PLAIN_OUT = (b"42\none.two.three.\nmatched\n3 b\nin f: arg\nstatus=3\n"
                b"first: alpha 0 alpha:0\n")
SH_PIPE = "cat words.txt | sort | uniq -c | sort -rn | head -n 3"
SH_SUBST = 'n=$(wc -l < words.txt); echo "lines=$n"; (cd /; pwd); pwd | wc -c; echo $(echo a b)'


def _cases() -> list[Case]:
    t = TEXT
    lines = t.splitlines(keepends=True)
    uniq_c = b""
    keys = sorted(line.split(b" ")[0] for line in lines)
    for k in sorted(set(keys)):
        uniq_c += b"%7d %s\n" % (keys.count(k), k)
    cut = b"".join(line.split(b":")[1] for line in lines)
    return [
        Case("ls-la", ["/bin/ls", "-la", "--time-style=+%s", "tree/dir"],
             expect=None),
        Case("sort", ["/usr/bin/sort", "-k2,2n", "-k1,1", "words.txt"]),
        Case("sort-uniq", ["/usr/bin/sort", "-u", "words.txt"], expect=b"".join(sorted(set(lines)))),
        Case("uniq-c", ["/usr/bin/uniq", "-c"], stdin=b"".join(k + b"\n" for k in keys),
             expect=uniq_c),
        Case("wc", ["/usr/bin/wc", "words.txt"],
             expect=b"%*d %*d %d words.txt\n" % (len(str(len(t))), len(lines),
                                                  len(str(len(t))), len(t.split()), len(t))),
        Case("cut", ["/usr/bin/cut", "-d:", "-f2", "words.txt"], expect=cut),
        Case("tr", ["/usr/bin/tr", "a-z", "A-Z"], stdin=t[:200], expect=t[:200].upper()),
        Case("head-tail", ["/usr/bin/head", "-n", "3", "words.txt"], expect=b"".join(lines[:3])),
        Case("tail", ["/usr/bin/tail", "-n", "2", "words.txt"], expect=b"".join(lines[-2:])),
        Case("seq", ["/usr/bin/seq", "-s", ",", "1", "3", "20"], expect=b"1,4,7,10,13,16,19\n"),
        Case("cat-n", ["/bin/cat", "-n", "words.txt"],
             expect=b"".join(b"%6d\t%s" % (i + 1, line) for i, line in enumerate(lines))),
        Case("md5sum", ["/usr/bin/md5sum", "words.txt"],
             expect=hashlib.md5(t).hexdigest().encode() + b"  words.txt\n"),
        Case("sha256sum", ["/usr/bin/sha256sum", "-"], stdin=t,
             expect=hashlib.sha256(t).hexdigest().encode() + b"  -\n"),
        Case("date", ["/bin/date", "-u", "-d", "@0", "+%Y-%m-%d %H:%M:%S %A"],
             expect=b"1970-01-01 00:00:00 Thursday\n"),
        Case("basename-dirname", ["/usr/bin/basename", "-a", "/usr/lib/libc.so.6", "a/b/"],
             expect=b"libc.so.6\nb\n"),
        Case("dirname", ["/usr/bin/dirname", "/usr/lib/libc.so.6", "file"],
             expect=b"/usr/lib\n.\n"),
        Case("env", ["/usr/bin/env", "-i", "B=2", "A=1"], expect=b"B=2\nA=1\n"),
        Case("printf", ["/usr/bin/printf", "%5.2f|%x|%-4s|%03d|%e\n", "3.14159", "255", "hi",
                        "7", "12345.678"],
             expect=b" 3.14|ff|hi  |007|1.234568e+04\n"),
        Case("expr", ["/usr/bin/expr", "6", "*", "7"], expect=b"42\n"),
        Case("expr-false", ["/usr/bin/expr", "1", "=", "2"], expect=b"0\n", status=1),
        Case("stat", ["/usr/bin/stat", "-c", "%s %F %a %Y %n", "tree/dir/file1"],
             expect=b"6 regular file 640 1000000000 tree/dir/file1\n"),
        Case("false", ["/bin/false"], expect=b"", status=1),
        Case("ls-missing", ["/bin/ls", "no-such-file"], expect=b"", status=2),
        Case("dash", ["/bin/dash", "-c", SH_PLAIN], expect=SH_PLAIN_OUT),
        Case("busybox-sh", ["/bin/busybox", "sh", "-c", SH_PLAIN], expect=SH_PLAIN_OUT),
        Case("dash-pipeline", ["/bin/dash", "-c", SH_PIPE]),
        Case("dash-subst-subshell", ["/bin/dash", "-c", SH_SUBST]),
        Case("busybox-pipeline", ["/bin/busybox", "sh", "-c", SH_PIPE]),
        Case("busybox-subst-subshell", ["/bin/busybox", "sh", "-c", SH_SUBST]),
        Case("sed", ["/bin/sed", "-n", "-E", "s/^(golf|hotel) ([0-9]+) .*:([0-9]*5)$/\\3-\\1-\\2/p",
                     "words.txt"]),
        Case("grep", ["/bin/grep", "-c", "-E", "^(alpha|echo) 1[0-2]? ", "words.txt"]),
        Case("grep-none", ["/bin/grep", "zulu", "words.txt"], expect=b"", status=1),
        Case("mawk", ["/usr/bin/mawk", "-F", "[ :]",
                      "{ n[$1] += $2; s += $4 } END { for (k in n) print k, n[k]; "
                      "printf \"%d %.3f\\n\", s, s / NR }", "words.txt"]),
        Case("diff", ["/usr/bin/diff", "-u", "--label", "a", "--label", "b", "tree/dir/file1",
                      "tree/file2"], status=1,
             expect=b"--- a\n+++ b\n@@ -1 +1,2 @@\n hello\n+world\n"),
        Case("lua", ["/usr/bin/lua5.4", "script.lua"], expect=LUA_OUT),
    ]


# Compression round trips: compress stdin to stdout, then decompress that again.
COMPRESSORS = {
    "gzip": (["/bin/gzip", "-n", "-6", "-c"], ["/bin/gzip", "-d", "-c"], gzip.decompress),
    "bzip2": (["/bin/bzip2", "-c"], ["/bin/bzip2", "-d", "-c"], bz2.decompress),
    "xz": (["/usr/bin/xz", "-c", "-1"], ["/usr/bin/xz", "-d", "-c"], lzma.decompress),
    "zstd": (["/usr/bin/zstd", "-q", "-c"], ["/usr/bin/zstd", "-q", "-d", "-c"], None),
}


@pytest.fixture(scope="module", params=ARCHES)
def sysroot(request):
    try:
        root = fetch_sysroot(request.param)
    except DebianUnavailable as e:
        pytest.skip(str(e))
    return request.param, root


def _tree(base: Path) -> Path:
    """The working directory every case runs in (fixed names, modes and times)."""
    base.mkdir(parents=True, exist_ok=True)
    (base / "words.txt").write_bytes(TEXT)
    (base / "script.lua").write_bytes(LUA)
    d = base / "tree" / "dir"
    d.mkdir(parents=True)
    (d / "file1").write_bytes(b"hello\n")
    (d / "file1").chmod(0o640)
    (d / "sub").mkdir()
    (d / "link").symlink_to("file1")
    (base / "tree" / "file2").write_bytes(b"hello\nworld\n")
    for p in (d / "file1", d / "sub", d, base / "tree" / "file2", base / "tree"):
        os.utime(p, (FIXED_MTIME, FIXED_MTIME))
    os.utime(d / "link", (FIXED_MTIME, FIXED_MTIME), follow_symlinks=False)
    return base


def _run(kind: str, arch: str, root: Path, argv: list[str], cwd: Path, stdin: bytes):
    prog = str(root) + argv[0]
    if kind == "pytrans":
        r = run_pytrans("run", "-L", root, prog, *argv[1:], stdin=stdin, env=ENV, cwd=cwd,
                        timeout=300)
    else:
        r = run_qemu(QEMU_ARCH[arch], "-L", root, prog, *argv[1:], stdin=stdin,
                     env=dict(os.environ, **ENV), cwd=cwd)
    return r


CASES = _cases()


def _marks(c: Case) -> list:
    if c.xfail:
        return [pytest.mark.xfail(reason=c.xfail, strict=True)]
    return []


@pytest.mark.parametrize("case", [pytest.param(c, id=c.id, marks=_marks(c)) for c in CASES])
def test_debian_program(sysroot, case, tmp_path):
    arch, root = sysroot
    work = _tree(tmp_path / "p")
    r = _run("pytrans", arch, root, case.argv, work, case.stdin)
    assert b"Traceback" not in r.stderr, r.stderr.decode(errors="replace")
    assert b"pytrans: unsupported" not in r.stderr and b"pytrans: unknown" not in r.stderr, \
        r.stderr.decode(errors="replace")
    if case.expect is not None:
        assert r.stdout == case.expect, r.stderr.decode(errors="replace")
    assert shell_status(r.returncode) == case.status, r.stderr.decode(errors="replace")
    if qemu_for(QEMU_ARCH[arch]) is not None:
        q = _run("qemu", arch, root, case.argv, _tree(tmp_path / "q"), case.stdin)
        assert r.stdout == q.stdout
        assert shell_status(r.returncode) == shell_status(q.returncode)
    elif case.expect is None:
        pytest.skip("qemu-user is not installed and this case has no recorded output")


@pytest.mark.parametrize("tool", list(COMPRESSORS))
def test_debian_compression_round_trip(sysroot, tool, tmp_path):
    arch, root = sysroot
    pack, unpack, pydecomp = COMPRESSORS[tool]
    data = TEXT * 8 + bytes(range(256)) * 16
    c = _run("pytrans", arch, root, pack, tmp_path, data)
    assert c.returncode == 0 and c.stdout and len(c.stdout) < len(data), c.stderr
    if pydecomp is not None:
        assert pydecomp(c.stdout) == data             # a real, valid stream
    d = _run("pytrans", arch, root, unpack, tmp_path, c.stdout)
    assert d.returncode == 0 and d.stdout == data, d.stderr
    if qemu_for(QEMU_ARCH[arch]) is not None:
        q = _run("qemu", arch, root, pack, tmp_path, data)
        assert q.stdout == c.stdout                   # byte-identical compressed output
    if tool == "zstd" and shutil.which("zstd"):     # zstd 1.5 runs an I/O thread (threads)
        assert subprocess.run(["zstd", "-d", "-c"], input=c.stdout,
                              capture_output=True).stdout == data


def test_debian_tools_see_the_emulated_machine(sysroot, tmp_path):
    """uname, readlink and grep from the sysroot read pytrans's answers, not the host's."""
    arch, root = sysroot
    r = _run("pytrans", arch, root, ["/bin/uname", "-m"], tmp_path, b"")
    assert r.stdout == (b"armv7l\n" if arch == "armhf" else b"aarch64\n"), r.stderr
    r = _run("pytrans", arch, root, ["/bin/readlink", "/proc/self/exe"], tmp_path, b"")
    assert r.stdout == os.fsencode(f"{root}/bin/readlink\n"), r.stderr
    r = _run("pytrans", arch, root, ["/bin/grep", "-m1", "CPU part", "/proc/cpuinfo"],
             tmp_path, b"")
    assert r.stdout == (b"CPU part\t: 0xc0f\n" if arch == "armhf" else b"CPU part\t: 0xd08\n")
