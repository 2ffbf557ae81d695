"""Fetch a Debian armhf / arm64 userland (a sysroot for ``pytrans run -L``) for the tests.

Usage from tests::

    from debian_fetch import fetch_sysroot, DebianUnavailable
    try:
        root = fetch_sysroot("armhf")
    except DebianUnavailable as e:
        pytest.skip(str(e))

Usage as a script::

    python tests/debian_fetch.py armhf arm64      # prints the sysroot paths

The sysroot is built once by pytrans's own helper (``translator.sysroot``, the code behind
``pytrans sysroot debian ARCH DIR``: apt with a private configuration, so the host's apt is
never changed) from :data:`PACKAGES`, and cached in
``$PYTRANS_TEST_CACHE/debian/<arch>/root`` (default base ``~/.cache/pytrans-tests``; never
committed). ``info.json`` records the package list; a cache built from another list is
rebuilt. The suite is pinned to ``bookworm`` (``$PYTRANS_DEBIAN_SUITE``) so expected outputs
stay valid. ``PYTRANS_DEBIAN_ARMHF`` / ``PYTRANS_DEBIAN_ARM64`` may name an existing sysroot.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from translator.errors import PytransError  # noqa: E402
from translator.sysroot import DEBIAN_ARCHES, build_debian_sysroot  # noqa: E402

# The programs the corpus tests run, on top of the sysroot helper's base set.
PACKAGES = ("coreutils", "dash", "busybox", "gzip", "bzip2", "xz-utils", "zstd", "sed",
            "grep", "mawk", "diffutils", "lua5.4")
CACHE_VERSION = 1


class DebianUnavailable(RuntimeError):
    """The Debian userland cannot be had (no apt, no network, ...)."""


def cache_base() -> Path:
    env = os.environ.get("PYTRANS_TEST_CACHE")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "pytrans-tests"


def _wanted() -> dict:
    return {"version": CACHE_VERSION, "packages": list(PACKAGES),
            "suite": os.environ.get("PYTRANS_DEBIAN_SUITE", "bookworm")}


def _cached(d: Path) -> Path | None:
    try:
        info = json.loads((d / "info.json").read_text())
    except (OSError, ValueError):
        return None
    if all(info.get(k) == v for k, v in _wanted().items()) and (d / "root").is_dir():
        return d / "root"
    return None


def fetch_sysroot(arch: str) -> Path:
    """Path of the cached Debian sysroot for ``arch`` ('armhf' or 'arm64'), built once."""
    if arch not in DEBIAN_ARCHES:
        raise ValueError(f"arch must be one of {DEBIAN_ARCHES}, not {arch!r}")
    override = os.environ.get(f"PYTRANS_DEBIAN_{arch.upper()}")
    if override:
        if not Path(override).is_dir():
            raise DebianUnavailable(f"PYTRANS_DEBIAN_{arch.upper()}={override} is not a directory")
        return Path(override)
    d = cache_base() / "debian" / arch
    hit = _cached(d)
    if hit:
        return hit
    try:
        d.mkdir(parents=True, exist_ok=True)
        with open(d / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)        # one builder at a time (pytest-xdist)
            hit = _cached(d)
            if hit:
                return hit
            tmp = d / "root.new"
            shutil.rmtree(tmp, ignore_errors=True)
            try:
                result = build_debian_sysroot(arch, tmp, list(PACKAGES))
            except PytransError as e:
                raise DebianUnavailable(f"cannot build the Debian {arch} sysroot: {e}") from None
            if result.missing:
                raise DebianUnavailable(f"Debian {arch} lacks {' '.join(result.missing)}")
            shutil.rmtree(d / "root", ignore_errors=True)
            os.replace(tmp, d / "root")
            info = dict(_wanted(), arch=arch, installed=result.installed)
            (d / "info.json").write_text(json.dumps(info, indent=1) + "\n")
    except OSError as e:
        raise DebianUnavailable(f"cannot write the cache {d}: {e}") from None
    return d / "root"


def main(argv: list[str]) -> int:
    rc = 0
    for arch in argv or list(DEBIAN_ARCHES):
        try:
            print(f"{arch}\t{fetch_sysroot(arch)}")
        except (DebianUnavailable, ValueError) as e:
            print(f"{arch}: unavailable: {e}", file=sys.stderr)
            rc = 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
