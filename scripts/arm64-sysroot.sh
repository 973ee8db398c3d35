#!/bin/sh
# Makes an arm64 libc sysroot in DIR, for running the arm64 binary on an x86-64 machine:
#   qemu-aarch64-static -L DIR dist/camkeep-linux-arm64 version
# Installs qemu-user-static and enables Debian's arm64 packages when missing (root, apt).
set -eu
dir=${1:?usage: scripts/arm64-sysroot.sh DIR}
[ -e "$dir/lib/ld-linux-aarch64.so.1" ] && exit 0
if ! command -v qemu-aarch64-static >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends qemu-user-static >/dev/null
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  dpkg --add-architecture arm64
  apt-get update -qq >/dev/null
fi
tmp=$(mktemp -d)
chmod 0755 "$tmp" # apt's download sandbox user must be able to write there
(cd "$tmp" && apt-get download -qq libc6:arm64 >/dev/null 2>&1) || { apt-get update -qq >/dev/null; (cd "$tmp" && apt-get download -qq libc6:arm64 >/dev/null); }
mkdir -p "$dir"
dpkg -x "$tmp"/libc6_*_arm64.deb "$dir"
rm -rf "$tmp"
