#!/bin/sh
# Installs what camkeep needs to run from source and is missing: ffmpeg (Debian packages)
# and the npm packages (Bun among them). Safe to run again: it does nothing when all is there.
set -eu
cd "$(dirname "$0")/.."

apt_install() {
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "camkeep: $* missing and this is not a Debian-like system: install it with your package manager" >&2
    exit 1
  fi
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "camkeep: installing $* (apt-get)..." >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! command -v ffmpeg >/dev/null 2>&1 || ! command -v ffprobe >/dev/null 2>&1; then
  apt_install ffmpeg
fi
for pkg in "$@"; do # extra Debian packages a caller needs (the tests ask for some)
  dpkg -s "$pkg" >/dev/null 2>&1 || apt_install "$pkg"
done

if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "camkeep: installing npm packages (npm ci)..." >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
