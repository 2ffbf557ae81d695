#!/bin/sh
# Rebuild the bundled example binaries (static, stripped). Needs the Debian cross compilers:
#   apt-get install gcc-arm-linux-gnueabihf gcc-aarch64-linux-gnu
set -e
cd "$(dirname "$0")"
arm-linux-gnueabihf-gcc -static -O2 -mthumb -s -o hello-arm hello.c
aarch64-linux-gnu-gcc -static -O2 -s -o hello-aarch64 hello.c
