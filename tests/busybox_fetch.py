"""Fetch Debian's ``busybox-static`` for armhf / arm64 and return the static binary.

Usage from tests::

    from busybox_fetch import fetch_busybox, BusyboxUnavailable
    try:
        path = fetch_busybox("armhf")
    except BusyboxUnavailable as e:
        pytest.skip(str(e))

Usage as a script::

    python tests/busybox_fetch.py armhf arm64      # prints the binary paths

How it works
------------
* Cache: ``$PYTRANS_TEST_CACHE/busybox/<arch>/`` (default base:
  ``$XDG_CACHE_HOME/pytrans-tests`` or ``~/.cache/pytrans-tests``) holds ``busybox``
  and ``info.json`` (package version, .deb name, sha256 of the binary).  When both
  are there and the sha256 matches, the path is returned at once: no apt call at all.
* ``PYTRANS_BUSYBOX_ARMHF`` / ``PYTRANS_BUSYBOX_ARM64`` may name an existing
  binary to use instead (nothing is downloaded then).
* Otherwise apt is run with a *private* configuration in a temporary directory
  inside the cache (its own sources.list, lists, archives cache and an empty dpkg
  status file, ``APT::Architecture=<arch>``), so the system's apt configuration is
  never changed and root is not needed::

      apt-get -o Dir::Etc::SourceList=$T/sources.list ... -o APT::Architecture=armhf update
      apt-get ... download busybox-static
      dpkg -x busybox-static_*.deb $T/x     (pure-Python .deb extraction if no dpkg)

  The sources.list has ``deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]
  MIRROR bookworm main``; MIRROR is ``$PYTRANS_DEBIAN_MIRROR`` if set, then the Debian
  mirrors named in the system's own sources, then ``http://deb.debian.org/debian``.
  The suite is pinned (``$PYTRANS_DEBIAN_SUITE``, default ``bookworm``) so every
  machine gets the same busybox the expected outputs were recorded with.
  The system's apt.conf(.d) is still read, so proxies configured there apply.
* Fallbacks: the system apt itself (``apt-get download busybox-static:armhf``,
  which only works when the architecture was already added; changes nothing); and,
  only when ``PYTRANS_ALLOW_ADD_ARCH=1`` and running as root,
  ``dpkg --add-architecture <arch> && apt-get update`` (a permanent change).
* Anything that fails raises :class:`BusyboxUnavailable` with the reason.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

if __package__ in (None, ""):      # run as a script: the repository root holds translator/
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from translator.sysroot import apt_options  # noqa: E402 - same private apt set-up as `pytrans sysroot`

PACKAGE = "busybox-static"
ARCHES = ("armhf", "arm64")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEFAULT_SUITE = "bookworm"
APT_TIMEOUT = 600  # seconds, for one apt-get call


class BusyboxUnavailable(RuntimeError):
    """busybox-static for the requested architecture cannot be had (no apt, no network, ...)."""


# --------------------------------------------------------------------------- cache

def cache_base() -> Path:
    env = os.environ.get("PYTRANS_TEST_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "pytrans-tests"


def cache_dir(arch: str) -> Path:
    return cache_base() / "busybox" / arch


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _cached(arch: str) -> Path | None:
    d = cache_dir(arch)
    binary, info = d / "busybox", d / "info.json"
    try:
        meta = json.loads(info.read_text())
        if binary.is_file() and meta.get("sha256") == _sha256(binary):
            return binary
    except (OSError, ValueError):
        pass
    return None


def cached_info(arch: str) -> dict | None:
    """The info.json of the cached binary (version, sha256, ...), or None."""
    try:
        return json.loads((cache_dir(arch) / "info.json").read_text())
    except (OSError, ValueError):
        return None


@contextlib.contextmanager
def _locked(d: Path):
    """Serialize concurrent fetches (e.g. pytest-xdist workers) of one arch."""
    d.mkdir(parents=True, exist_ok=True)
    with open(d / ".lock", "w") as f:
        try:
            import fcntl
            fcntl.flock(f, fcntl.LOCK_EX)
        except ImportError:  # pragma: no cover - non-POSIX
            pass
        yield


# --------------------------------------------------------------------------- apt

def _system_debian_mirrors() -> list[str]:
    """Debian (non-security) archive URIs named in the system's apt sources."""
    uris: list[str] = []
    etc = Path("/etc/apt")
    files = [etc / "sources.list"]
    if (etc / "sources.list.d").is_dir():
        files += sorted((etc / "sources.list.d").iterdir())
    for f in files:
        try:
            text = f.read_text(errors="replace")
        except OSError:
            continue
        if f.suffix == ".sources":  # deb822
            found = re.findall(r"^URIs:\s*(.+)$", text, re.M)
            cands = [u for line in found for u in line.split()]
        else:
            cands = []
            for line in text.splitlines():
                line = re.sub(r"\[[^\]]*\]", " ", line.split("#", 1)[0]).split()
                if len(line) >= 2 and line[0] == "deb":
                    cands.append(line[1])
        for u in cands:
            u = u.rstrip("/")
            if u.endswith("/debian") and "security" not in u and u not in uris:
                uris.append(u)
    return uris


def _mirrors() -> list[str]:
    out: list[str] = []
    env = os.environ.get("PYTRANS_DEBIAN_MIRROR")
    for u in ([env] if env else []) + _system_debian_mirrors() + [DEFAULT_MIRROR]:
        u = u.rstrip("/")
        if u not in out:
            out.append(u)
    return out


def _run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True,
                              timeout=APT_TIMEOUT, stdin=subprocess.DEVNULL,
                              env=dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive"))
    except subprocess.TimeoutExpired as e:
        raise BusyboxUnavailable(f"`{' '.join(cmd[:1] + cmd[-2:])}` timed out after {e.timeout}s") from e


def _tail(p: subprocess.CompletedProcess, n: int = 4) -> str:
    lines = (p.stderr or p.stdout or "").strip().splitlines()
    return " | ".join(lines[-n:])


def _download_private(arch: str, work: Path) -> Path:
    apt = shutil.which("apt-get")
    if apt is None:
        raise BusyboxUnavailable("apt-get is not installed")
    suite = os.environ.get("PYTRANS_DEBIAN_SUITE", DEFAULT_SUITE)
    errors = []
    for i, mirror in enumerate(_mirrors()):
        t = work / f"apt{i}"
        opts = apt_options(t, arch, mirror, suite)
        p = _run([apt, *opts, "update"])
        if p.returncode != 0 or not any(t.joinpath("lists").glob(f"*_binary-{arch}_Packages*")):
            errors.append(f"apt-get update from {mirror} {suite} failed: {_tail(p)}")
            continue
        dl = t / "dl"
        dl.mkdir()
        p = _run([apt, *opts, "download", PACKAGE], cwd=dl)
        debs = sorted(dl.glob("*.deb"))
        if p.returncode != 0 or not debs:
            errors.append(f"apt-get download {PACKAGE} ({arch}) from {mirror} failed: {_tail(p)}")
            continue
        return debs[0]
    raise BusyboxUnavailable("; ".join(errors))


def _download_system(arch: str, work: Path) -> Path:
    """System apt, only if `arch` is already configured there (changes nothing)."""
    apt = shutil.which("apt-get")
    dpkg = shutil.which("dpkg")
    if apt is None or dpkg is None:
        raise BusyboxUnavailable("apt-get/dpkg not installed")
    foreign = _run([dpkg, "--print-foreign-architectures"]).stdout.split()
    native = _run([dpkg, "--print-architecture"]).stdout.strip()
    if arch not in foreign and arch != native:
        if os.environ.get("PYTRANS_ALLOW_ADD_ARCH") == "1" and os.geteuid() == 0:
            p = _run([dpkg, "--add-architecture", arch])
            if p.returncode != 0:
                raise BusyboxUnavailable(f"dpkg --add-architecture {arch} failed: {_tail(p)}")
            _run([apt, "update"])
        else:
            raise BusyboxUnavailable(
                f"system apt does not know architecture {arch} (set PYTRANS_ALLOW_ADD_ARCH=1 "
                f"as root to allow `dpkg --add-architecture {arch}`)")
    dl = work / "sysdl"
    dl.mkdir()
    p = _run([apt, "download", f"{PACKAGE}:{arch}"], cwd=dl)
    debs = sorted(dl.glob("*.deb"))
    if p.returncode != 0 or not debs:
        raise BusyboxUnavailable(f"system `apt-get download {PACKAGE}:{arch}` failed: {_tail(p)}")
    return debs[0]


# --------------------------------------------------------------------------- .deb extraction

def _deb_members(deb: Path) -> dict[str, bytes]:
    data = deb.read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise BusyboxUnavailable(f"{deb.name} is not a Debian package (no ar header)")
    pos, out = 8, {}
    while pos + 60 <= len(data):
        hdr = data[pos:pos + 60]
        name = hdr[:16].decode().strip().rstrip("/")
        size = int(hdr[48:58].decode().strip())
        out[name] = data[pos + 60:pos + 60 + size]
        pos += 60 + size + (size & 1)
    return out


def _extract_busybox(deb: Path, dest: Path) -> Path:
    """Extract ./bin/busybox from `deb` into dest/busybox."""
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / "busybox"
    dpkg = shutil.which("dpkg")
    if dpkg:
        x = dest / "x"
        p = _run([dpkg, "-x", str(deb), str(x)])
        src = x / "bin" / "busybox"
        if p.returncode == 0 and src.is_file():
            shutil.move(str(src), target)
            shutil.rmtree(x, ignore_errors=True)
            return target
    # Pure-Python fallback: ar archive holding data.tar.{xz,gz,bz2}.
    for name, blob in _deb_members(deb).items():
        if name.startswith("data.tar"):
            if name.endswith(".zst"):
                raise BusyboxUnavailable("data.tar.zst needs dpkg to extract")
            with tarfile.open(fileobj=io.BytesIO(blob), mode="r:*") as tf:
                for m in tf.getmembers():
                    if m.name.lstrip("./") == "bin/busybox" and m.isfile():
                        target.write_bytes(tf.extractfile(m).read())
                        target.chmod(0o755)
                        return target
    raise BusyboxUnavailable(f"bin/busybox not found in {deb.name}")


def _deb_version(deb: Path) -> str:
    m = re.match(r"[^_]+_([^_]+)_", deb.name)
    return m.group(1).replace("%3a", ":") if m else "?"


# --------------------------------------------------------------------------- API

def fetch_busybox(arch: str) -> Path:
    """Path of Debian's static busybox for `arch` ('armhf' or 'arm64'), downloading once."""
    if arch not in ARCHES:
        raise ValueError(f"arch must be one of {ARCHES}, not {arch!r}")
    override = os.environ.get(f"PYTRANS_BUSYBOX_{arch.upper()}")
    if override:
        p = Path(override).expanduser()
        if not p.is_file():
            raise BusyboxUnavailable(f"PYTRANS_BUSYBOX_{arch.upper()}={override} does not exist")
        return p
    hit = _cached(arch)
    if hit:
        return hit
    d = cache_dir(arch)
    try:
        with _locked(d):
            hit = _cached(arch)  # another process may have fetched it meanwhile
            if hit:
                return hit
            with tempfile.TemporaryDirectory(prefix="fetch-", dir=d) as tmp:
                work = Path(tmp)
                try:
                    deb = _download_private(arch, work)
                except BusyboxUnavailable as e1:
                    try:
                        deb = _download_system(arch, work)
                    except BusyboxUnavailable as e2:
                        raise BusyboxUnavailable(
                            f"cannot download Debian {PACKAGE} for {arch}: {e1}; "
                            f"fallback: {e2}") from None
                binary = _extract_busybox(deb, work / "out")
                info = {"package": PACKAGE, "arch": arch, "version": _deb_version(deb),
                        "deb": deb.name, "sha256": _sha256(binary)}
                os.replace(binary, d / "busybox")
                (d / "info.json.tmp").write_text(json.dumps(info, indent=1) + "\n")
                os.replace(d / "info.json.tmp", d / "info.json")
    except OSError as e:
        raise BusyboxUnavailable(f"cannot write the cache {d}: {e}") from e
    hit = _cached(arch)
    if hit is None:
        raise BusyboxUnavailable(f"fetched busybox for {arch} but the cache in {d} is unusable")
    return hit


def main(argv: list[str]) -> int:
    arches = argv or list(ARCHES)
    rc = 0
    for arch in arches:
        try:
            path = fetch_busybox(arch)
        except (BusyboxUnavailable, ValueError) as e:
            print(f"{arch}: unavailable: {e}", file=sys.stderr)
            rc = 1
            continue
        info = cached_info(arch) or {}
        print(f"{arch}\t{path}\t{info.get('version', '')}")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
