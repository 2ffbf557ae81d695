#!/usr/bin/env bash
# Install everything the test suite uses: pytrans itself with its test extras, and (as root,
# with apt) the cross compilers and qemu-user that build and cross-check the guest programs.
# Without apt/root the tests that need those tools skip, each saying why.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install -q -e '.[test]'
pkgs=()
command -v qemu-arm >/dev/null || pkgs+=(qemu-user)
command -v arm-linux-gnueabihf-gcc >/dev/null || pkgs+=(gcc-arm-linux-gnueabihf)
command -v arm-linux-gnueabihf-g++ >/dev/null || pkgs+=(g++-arm-linux-gnueabihf)
command -v aarch64-linux-gnu-gcc >/dev/null || pkgs+=(gcc-aarch64-linux-gnu)
command -v aarch64-linux-gnu-g++ >/dev/null || pkgs+=(g++-aarch64-linux-gnu)
# tests/test_debian.py builds Debian armhf/arm64 sysroots with `pytrans sysroot debian`
# (apt-get download + dpkg -x with a private apt configuration; needs the archive keyring and
# network access to a Debian mirror) and checks zstd streams with the host's zstd.
[ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || pkgs+=(debian-archive-keyring)
command -v zstd >/dev/null || pkgs+=(zstd)
if [ ${#pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${pkgs[@]}" >/dev/null
  else
    echo "note: not installing ${pkgs[*]} (needs root and apt); tests needing them will skip" >&2
  fi
fi
