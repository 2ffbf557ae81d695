"""Guest root file systems (sysroots) for ``pytrans run -L``.

Two halves:

* :func:`resolve_in_root` looks a guest absolute path up inside a sysroot the way a
  ``chroot`` would: symbolic links met on the way, absolute ones included, are followed
  *inside* the sysroot instead of escaping to the host's files. The Linux layer
  (``Kernel.host_path``) and the interpreter lookup use it.
* :func:`build_debian_sysroot` (``pytrans sysroot debian ARCH DIR``) downloads a base set of
  Debian packages for ``armhf`` or ``arm64`` plus requested extras and their dependencies with
  ``apt-get download`` and unpacks them with ``dpkg -x`` into DIR. apt runs with a private
  configuration (its own sources.list, package lists, cache and an empty dpkg status), so the
  host's apt configuration and package database are never changed and any foreign
  architecture works without ``dpkg --add-architecture``.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from .errors import PytransError

MAX_SYMLINKS = 40       # the kernel's limit on links followed in one lookup (ELOOP)


# ---- lookups inside a sysroot -----------------------------------------------------------------
def resolve_in_root(root: str, path: str, follow: bool = True) -> str | None:
    """Host path of guest absolute ``path`` inside ``root``, or None if it is not there.

    Every symlink on the way is resolved relative to ``root`` (an absolute target restarts
    at ``root``, ``..`` never climbs above it). With ``follow=False`` a symlink in the last
    component is left alone (lstat, readlink, unlink). The result exists (possibly as a
    dangling symlink when ``follow`` is False).
    """
    root = root.rstrip("/") or "/"
    todo = [c for c in path.split("/") if c and c != "."]
    done: list[str] = []            # resolved components below root, none a symlink
    links = 0
    while todo:
        comp = todo.pop(0)
        if comp == "..":
            if done:
                done.pop()
            continue
        cur = os.path.join(root, *done, comp)
        try:
            st = os.lstat(cur)
        except OSError:
            return None
        if not _islink(st.st_mode) or (not todo and not follow):
            done.append(comp)
            continue
        links += 1
        if links > MAX_SYMLINKS:
            return None
        target = os.readlink(cur)
        if target.startswith("/"):
            done = []
        todo = [c for c in target.split("/") if c and c != "."] + todo
    return os.path.join(root, *done) if done else root


def _islink(mode: int) -> bool:
    return (mode & 0o170000) == 0o120000


def sysroot_path(root: str | None, path: str, follow: bool = True) -> str:
    """qemu ``-L`` semantics: an absolute guest path found in ``root`` is used from there,
    anything else (relative paths, absolute paths absent from the root) from the host."""
    if not root or not path.startswith("/"):
        return path
    found = resolve_in_root(root, path, follow)
    return found if found is not None else path


# ---- Debian sysroots ------------------------------------------------------------------------
DEBIAN_ARCHES = ("armhf", "arm64")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SUITE = "bookworm"
KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")
# The C and C++ runtimes and the libraries everyday command-line programs link against.
BASE_PACKAGES = (
    "libc6", "libgcc-s1", "libstdc++6", "zlib1g", "liblzma5", "libbz2-1.0", "libzstd1",
    "liblz4-1", "libacl1", "libattr1", "libselinux1", "libpcre2-8-0", "libgmp10", "libmd0",
    "libtinfo6", "libreadline8", "libcrypt1",
)


@dataclass
class SysrootResult:
    """What :func:`build_debian_sysroot` did."""

    root: Path
    installed: list[str] = field(default_factory=list)   # package_version entries unpacked
    missing: list[str] = field(default_factory=list)     # requested names apt does not know
    links_fixed: int = 0


def _run(cmd: list[str], cwd: str | None = None, timeout: float = 900) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL,
                              env=dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive"))
    except subprocess.TimeoutExpired as e:
        raise PytransError(f"`{' '.join(cmd[:2])} ...` timed out after {e.timeout:.0f}s") from None


def _tail(p: subprocess.CompletedProcess) -> str:
    lines = (p.stderr or p.stdout or "").strip().splitlines()
    return " | ".join(lines[-3:]) or f"status {p.returncode}"


def _mirror() -> str:
    """$PYTRANS_DEBIAN_MIRROR, else the first Debian archive in the host's apt sources."""
    env = os.environ.get("PYTRANS_DEBIAN_MIRROR")
    if env:
        return env.rstrip("/")
    files = [Path("/etc/apt/sources.list")]
    d = Path("/etc/apt/sources.list.d")
    if d.is_dir():
        files += sorted(d.iterdir())
    for f in files:
        try:
            text = f.read_text(errors="replace")
        except OSError:
            continue
        for u in re.findall(r"(?:^URIs:\s*|^deb\s+(?:\[[^\]]*\]\s*)?)(\S+)", text, re.M):
            u = u.rstrip("/")
            if u.endswith("/debian") and "security" not in u:
                return u
    return DEFAULT_MIRROR


def apt_options(work: Path, arch: str, mirror: str, suite: str) -> list[str]:
    """``-o`` options giving apt a private state under ``work`` for ``arch``."""
    etc = work / "etc"
    for sub in ("sources.list.d", "preferences.d"):
        (etc / sub).mkdir(parents=True, exist_ok=True)
    for sub in ("lists/partial", "cache/archives/partial"):
        (work / sub).mkdir(parents=True, exist_ok=True)
    (work / "status").touch()
    signed = f"[signed-by={KEYRING}] " if KEYRING.is_file() else ""
    (etc / "sources.list").write_text(f"deb {signed}{mirror} {suite} main\n")
    opts = {
        "Dir::Etc::SourceList": etc / "sources.list",
        "Dir::Etc::SourceParts": etc / "sources.list.d",
        "Dir::Etc::Preferences": etc / "preferences",
        "Dir::Etc::PreferencesParts": etc / "preferences.d",
        "Dir::State::Lists": work / "lists",
        "Dir::State::status": work / "status",
        "Dir::Cache": work / "cache",
        "APT::Architecture": arch,
        "APT::Architectures": arch,
        "Debug::NoLocking": "1",
        "Acquire::Retries": "2",
        "Acquire::http::Timeout": "30",
        "Acquire::Languages": "none",
        "APT::Update::Error-Mode": "any",
    }
    if os.geteuid() == 0:
        opts["APT::Sandbox::User"] = "root"   # the _apt user cannot write into our dirs
    out: list[str] = []
    for k, v in opts.items():
        out += ["-o", f"{k}={v}"]
    return out


def resolve_packages(opts: list[str], names: list[str]) -> tuple[list[str], list[str]]:
    """Real packages ``names`` need (Depends and Pre-Depends, recursively) and the names apt
    does not know."""
    p = _run(["apt-cache", *opts, "depends", "--recurse", "--no-recommends", "--no-suggests",
              "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", *names])
    if p.returncode != 0:
        raise PytransError(f"apt-cache depends failed: {_tail(p)}")
    found = sorted({line.strip() for line in p.stdout.splitlines()
                    if line and not line[0].isspace() and not line.startswith("<")})
    missing = [n for n in names if n not in found]
    return found, missing


def make_links_relative(root: Path) -> int:
    """Rewrite absolute symlinks under ``root`` as relative ones pointing inside it, so the
    tree stays self-contained wherever it is used (also outside pytrans)."""
    fixed = 0
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                continue
            target = os.readlink(p)
            if not target.startswith("/"):
                continue
            rel = os.path.relpath(os.path.join(root, target.lstrip("/")), dirpath)
            os.unlink(p)
            os.symlink(rel, p)
            fixed += 1
    return fixed


def build_debian_sysroot(arch: str, dest: str | os.PathLike, extras: list[str] = (),
                         *, base: bool = True, suite: str | None = None,
                         mirror: str | None = None,
                         progress: Callable[[str], None] | None = None) -> SysrootResult:
    """Download and unpack Debian packages for ``arch`` into ``dest``: the base set (unless
    ``base`` is False), ``extras``, and everything they depend on."""
    if arch not in DEBIAN_ARCHES:
        raise PytransError(f"unknown Debian architecture {arch!r} "
                           f"(choose {' or '.join(DEBIAN_ARCHES)})")
    for tool in ("apt-get", "apt-cache", "dpkg"):
        if shutil.which(tool) is None:
            raise PytransError(f"{tool} is not installed (needed to build a Debian sysroot)")
    say = progress or (lambda msg: None)
    root = Path(dest)
    root.mkdir(parents=True, exist_ok=True)
    names = list(dict.fromkeys((list(BASE_PACKAGES) if base else []) + list(extras)))
    if not names:
        raise PytransError("no packages requested")
    suite = suite or os.environ.get("PYTRANS_DEBIAN_SUITE", DEFAULT_SUITE)
    mirror = (mirror or _mirror()).rstrip("/")
    result = SysrootResult(root)
    with tempfile.TemporaryDirectory(prefix="pytrans-apt-") as tmp:
        work = Path(tmp)
        opts = apt_options(work, arch, mirror, suite)
        say(f"apt-get update ({mirror} {suite} main, {arch})")
        p = _run(["apt-get", *opts, "update"])
        if p.returncode != 0 or not any((work / "lists").glob(f"*_binary-{arch}_Packages*")):
            raise PytransError(f"apt-get update for {arch} failed: {_tail(p)}")
        pkgs, result.missing = resolve_packages(opts, names)
        if not pkgs:
            raise PytransError(f"none of the requested packages exist for {arch}: "
                               f"{' '.join(names)}")
        say(f"downloading {len(pkgs)} packages")
        dl = work / "debs"
        dl.mkdir()
        p = _run(["apt-get", *opts, "download", *pkgs], cwd=str(dl))
        if p.returncode != 0:
            raise PytransError(f"apt-get download failed: {_tail(p)}")
        debs = sorted(dl.glob("*.deb"))
        for deb in debs:
            say(f"unpacking {deb.name}")
            p = _run(["dpkg", "-x", str(deb), str(root)])
            if p.returncode != 0:
                raise PytransError(f"dpkg -x {deb.name} failed: {_tail(p)}")
            result.installed.append(deb.name.rsplit("_", 1)[0])
    result.links_fixed = make_links_relative(root)
    return result


def add_parser(sub, help_line: str) -> None:
    """``pytrans sysroot debian [options] ARCH DIR [PACKAGE...]``."""
    s = sub.add_parser("sysroot", help=help_line,
                       description="Build a guest root file system (sysroot) for `pytrans run -L`.")
    kinds = s.add_subparsers(dest="kind", metavar="KIND")
    d = kinds.add_parser("debian", help="download and unpack Debian packages",
                         description="Download a base set of Debian packages (C/C++ runtimes "
                         "and common libraries) plus PACKAGEs and their dependencies for ARCH "
                         "with apt-get (private configuration: the host's apt is not changed) "
                         "and unpack them into DIR with dpkg -x.")
    d.add_argument("arch", metavar="ARCH", help="armhf or arm64")
    d.add_argument("dir", metavar="DIR")
    d.add_argument("packages", nargs="*", metavar="PACKAGE", help="extra packages")
    d.add_argument("--no-base", action="store_true", help="only PACKAGEs and their dependencies")
    d.add_argument("--suite", help=f"Debian suite (default ${{PYTRANS_DEBIAN_SUITE}} or {DEFAULT_SUITE})")
    d.add_argument("--mirror", help="Debian mirror (default $PYTRANS_DEBIAN_MIRROR or the host's)")
    d.add_argument("-q", "--quiet", action="store_true")


def cmd_sysroot(a, err) -> int:
    """Run ``pytrans sysroot``; ``err`` receives progress and the summary."""
    if a.kind != "debian":
        raise PytransError("usage: pytrans sysroot debian ARCH DIR [PACKAGE...]")
    say = None if a.quiet else (lambda msg: print(f"pytrans: {msg}", file=err, flush=True))
    r = build_debian_sysroot(a.arch, a.dir, a.packages, base=not a.no_base, suite=a.suite,
                             mirror=a.mirror, progress=say)
    print(f"pytrans: {len(r.installed)} packages unpacked into {r.root}", file=err)
    if r.missing:
        print(f"pytrans: not found for {a.arch}: {' '.join(r.missing)}", file=err)
        return 1
    return 0
