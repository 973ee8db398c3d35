#!/bin/sh
# install.sh — installs camkeep as a systemd service (Raspberry Pi OS 64-bit, Debian, a NAS).
#
#   sudo sh install.sh [--binary PATH] [--cache-size SIZE] [--no-start] [--root DIR]
#   sudo sh install.sh --uninstall [--purge] [--root DIR]
#
#   --binary PATH     install this binary, or its .xz form (default: dist/camkeep-linux-<arch>
#                     beside this script, built first when run from a source checkout); with a
#                     SHA256SUMS beside it, its checksum is checked first
#   --cache-size SIZE size of the tmpfs holding the segment cache (default 256M; "disk" keeps
#                     the cache on disk, e.g. when RAM is short)
#   --no-start        install and enable, but do not (re)start the service
#   --root DIR        install into DIR instead of / (for tests and images); no systemctl, no apt
#   --uninstall       remove the binary and units; data and configuration stay
#   --purge           with --uninstall: remove data, configuration and the camkeep user too
#
# Re-running it upgrades in place: the binary and units are replaced, the configuration and
# the API token are kept, the service is restarted.
set -eu

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "camkeep: $*"; }

ROOT="" BINARY="" START=1 MODE=install PURGE=0 CACHE_SIZE=256M
while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || die "--binary needs a path"; BINARY=$2; shift 2 ;;
    --root) [ $# -ge 2 ] || die "--root needs a folder"; ROOT=$(cd "$2" && pwd) || die "no folder $2"; shift 2 ;;
    --cache-size) [ $# -ge 2 ] || die "--cache-size needs a size such as 512M"; CACHE_SIZE=$2; shift 2 ;;
    --no-start) START=0; shift ;;
    --uninstall) MODE=uninstall; shift ;;
    --purge) PURGE=1; shift ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[ "$(id -u)" = 0 ] || die "run as root: sudo sh install.sh"
echo "$CACHE_SIZE" | grep -Eq '^([0-9]+[KMG]?|disk)$' || die "--cache-size: \"$CACHE_SIZE\" is not a size such as 512M, nor \"disk\""

HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$ROOT/usr/local/bin/camkeep
ETC=$ROOT/etc/camkeep
DATA=$ROOT/var/lib/camkeep
CACHE=$ROOT/var/cache/camkeep
UNITS=$ROOT/etc/systemd/system
UNIT=$UNITS/camkeep.service
MOUNT=$UNITS/var-cache-camkeep.mount

# On this machine (not into a folder) with systemd running?
live() { [ -z "$ROOT" ]; }
systemd_up() { live && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }
sysctl() {
  if systemd_up; then systemctl "$@"; else say "(systemd not running here: skipped systemctl $*)"; fi
}

arch() {
  case "$(uname -m)" in
    x86_64|amd64) if grep -qw avx2 /proc/cpuinfo 2>/dev/null; then echo x64; else echo x64-baseline; fi ;;
    aarch64|arm64) echo arm64 ;;
    armv7l|armv6l) die "this is a 32-bit ARM system: camkeep needs a 64-bit OS (Raspberry Pi OS 64-bit)" ;;
    *) die "unsupported architecture $(uname -m): camkeep ships for x86-64 and arm64" ;;
  esac
}

uninstall() {
  sysctl disable --now camkeep.service || true
  rm -f "$UNIT" "$MOUNT" "$BIN"
  sysctl daemon-reload || true
  say "removed the binary and the service"
  if [ "$PURGE" = 1 ]; then
    if mountpoint -q "$CACHE" 2>/dev/null; then umount "$CACHE" || true; fi
    rm -rf "$DATA" "$ETC" "$CACHE"
    if live; then userdel camkeep 2>/dev/null || true
    elif grep -q '^camkeep:' "$ROOT/etc/passwd" 2>/dev/null; then userdel --prefix "$ROOT" camkeep; fi
    say "purged data, configuration and the camkeep user"
  else
    say "kept data in ${DATA} and configuration in ${ETC} (--purge removes them)"
  fi
}

# A release file as given: checked against SHA256SUMS when one lies beside it, and
# uncompressed when it is the .xz form (into a temporary file, removed on exit).
release_binary() {
  f=$1
  sums="$(dirname "$f")/SHA256SUMS"
  if [ -f "$sums" ]; then
    name=$(basename "$f")
    line=$(grep " [* ]\{0,1\}$name\$" "$sums" | head -n 1) || true
    [ -n "$line" ] || die "$sums does not list $name: not installing a file it cannot check"
    (cd "$(dirname "$f")" && echo "$line" | sha256sum -c --status -) || die "$name does not match its checksum in $sums: download it again"
    say "checked $name against $sums" >&2
  else
    say "no SHA256SUMS beside $f: its checksum is not checked" >&2
  fi
  case "$f" in
    *.xz)
      command -v xz >/dev/null 2>&1 || die "xz is needed to unpack $f (Debian: apt-get install xz-utils)"
      UNPACKED=$(mktemp)
      xz -dc "$f" > "$UNPACKED" || die "$f is not a valid .xz file"
      chmod 0755 "$UNPACKED"
      echo "$UNPACKED" ;;
    *) echo "$f" ;;
  esac
}

pick_binary() {
  [ -n "$BINARY" ] && { [ -f "$BINARY" ] || die "no binary at $BINARY"; release_binary "$BINARY"; return; }
  a=$(arch)
  [ -f "$HERE/dist/camkeep-linux-$a" ] && { echo "$HERE/dist/camkeep-linux-$a"; return; }
  [ -f "$HERE/src/main.ts" ] || die "no dist/camkeep-linux-$a here: pass --binary PATH"
  say "building camkeep-linux-$a from source..." >&2
  sh "$HERE/scripts/build.sh" "linux-$a" >&2
  echo "$HERE/dist/camkeep-linux-$a"
}

ensure_ffmpeg() {
  if ! live; then say "(installing into a folder: not checking for ffmpeg)"; return; fi
  command -v ffmpeg >/dev/null 2>&1 && command -v ffprobe >/dev/null 2>&1 && return
  command -v apt-get >/dev/null 2>&1 || die "ffmpeg is missing and this is not a Debian-like system: install ffmpeg with your package manager, then run install.sh again"
  say "installing ffmpeg (apt-get)..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ffmpeg
}

ensure_user() {
  if live; then
    getent passwd camkeep >/dev/null 2>&1 || useradd --system --user-group --home-dir /var/lib/camkeep --no-create-home --shell /usr/sbin/nologin camkeep
    ids=$(id -u camkeep):$(id -g camkeep)
  else
    mkdir -p "$ROOT/etc"
    [ -e "$ROOT/etc/passwd" ] || echo "root:x:0:0:root:/root:/bin/sh" > "$ROOT/etc/passwd"
    [ -e "$ROOT/etc/group" ] || echo "root:x:0:" > "$ROOT/etc/group"
    [ -e "$ROOT/etc/shadow" ] || { echo "root:*:19000:0:99999:7:::" > "$ROOT/etc/shadow"; chmod 0640 "$ROOT/etc/shadow"; }
    [ -e "$ROOT/etc/gshadow" ] || { echo "root:*::" > "$ROOT/etc/gshadow"; chmod 0640 "$ROOT/etc/gshadow"; }
    grep -q '^camkeep:' "$ROOT/etc/passwd" || useradd --prefix "$ROOT" --system --user-group --home-dir /var/lib/camkeep --no-create-home --shell /usr/sbin/nologin camkeep
    ids=$(awk -F: '$1 == "camkeep" { print $3 ":" $4 }' "$ROOT/etc/passwd")
  fi
  [ -n "$ids" ] || die "could not create the camkeep user"
  echo "$ids"
}

write_config() {
  [ -e "$ETC/config.yml" ] && { say "kept your configuration $ETC/config.yml"; return; }
  cat > "$ETC/config.yml" <<'YAML'
# camkeep configuration (every key: docs/configuration.md in camkeep's source).
# Check it with:  camkeep check-config /etc/camkeep/config.yml
# Then:           systemctl restart camkeep
data_dir: /var/lib/camkeep
cache_dir: /var/cache/camkeep          # a tmpfs sized by install.sh --cache-size
recordings_dir: /var/lib/camkeep/recordings
# On a NAS share or USB disk, e.g. /mnt/nvr/camkeep: also run `systemctl edit camkeep`
# and add  [Service] ReadWritePaths=/mnt/nvr/camkeep  and  [Unit] RequiresMountsFor=/mnt/nvr/camkeep
# A folder tier (storage.tiers, e.g. /mnt/nas/camkeep) needs [Service] ReadWritePaths=-/mnt/nas/camkeep
# (the "-": camkeep starts while the share is away).
database: /var/lib/camkeep/camkeep.db
api:
  listen: 127.0.0.1:5050               # 0.0.0.0:5050 to reach it from other machines
  token_file: /var/lib/camkeep/api-token
storage:
  min_free: auto                       # one hour of footage, at least 1 GiB
record:
  retain: { days: 7, mode: all }       # a week of continuous footage
  events:
    retain: { default: 30, mode: motion }
cameras: {}
#  front_door:
#    input: rtsp://user:password@192.168.1.20:554/stream1
#    record: { retain: { days: 14 } }
YAML
  chmod 0640 "$ETC/config.yml"
  chown "0:${IDS#*:}" "$ETC/config.yml"
  say "wrote an example configuration $ETC/config.yml"
}

write_token() {
  [ -s "$DATA/api-token" ] && return
  (umask 077; head -c 32 /dev/urandom | base64 | tr -d '/+=\n' | cut -c1-40 > "$DATA/api-token")
  chown "$IDS" "$DATA/api-token"
  chmod 0600 "$DATA/api-token"
  say "created the API token $DATA/api-token"
}

write_units() {
  mkdir -p "$UNITS"
  cat > "$UNIT.new" <<'UNIT'
# camkeep — written by install.sh, rewritten on upgrade. Local changes: `systemctl edit camkeep`.
[Unit]
Description=camkeep recording keeper
After=network-online.target
Wants=network-online.target
RequiresMountsFor=/var/lib/camkeep /var/cache/camkeep

[Service]
Type=simple
User=camkeep
Group=camkeep
ExecStart=/usr/local/bin/camkeep run --config /etc/camkeep/config.yml
WorkingDirectory=/var/lib/camkeep
Restart=on-failure
RestartSec=5
# SIGTERM to camkeep only: it stops its ffmpeg recorders itself (one SIGINT each, so their
# last segments close as valid files, at most 10 s), then stores every closed segment left in
# the cache (at most 20 s) so a reboot that empties the tmpfs cache loses nothing; whatever
# is left gets SIGKILL after the timeout.
KillMode=mixed
TimeoutStopSec=45
UMask=0027

# Hardening: camkeep needs its data and cache folders, the network, and nothing else.
NoNewPrivileges=yes
CapabilityBoundingSet=
AmbientCapabilities=
ProtectSystem=strict
ReadWritePaths=/var/lib/camkeep /var/cache/camkeep
ProtectHome=yes
PrivateTmp=yes
# A USB camera needs its device: `systemctl edit camkeep`, then
# [Service] PrivateDevices=no, DeviceAllow=/dev/video0 rw, SupplementaryGroups=video
PrivateDevices=yes
DevicePolicy=closed
PrivateUsers=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
RemoveIPC=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM
# Not set: MemoryDenyWriteExecute (the JavaScript engine's JIT needs it off).

[Install]
WantedBy=multi-user.target
UNIT
  mv "$UNIT.new" "$UNIT"
  if [ "$CACHE_SIZE" = disk ]; then
    rm -f "$MOUNT"
  else
    cat > "$MOUNT" <<MOUNTUNIT
# camkeep's segment cache in RAM (install.sh --cache-size; see docs/recorders.md for the size rule).
[Unit]
Description=camkeep segment cache (tmpfs)

[Mount]
What=tmpfs
Where=/var/cache/camkeep
Type=tmpfs
Options=size=$CACHE_SIZE,mode=0750,uid=${IDS%:*},gid=${IDS#*:},nodev,nosuid,noexec
MOUNTUNIT
  fi
  chmod 0644 "$UNIT"
  [ ! -e "$MOUNT" ] || chmod 0644 "$MOUNT"
}

install_camkeep() {
  src=$(pick_binary)
  "$src" version >/dev/null 2>&1 || die "$src does not run on this machine (wrong architecture?)"
  ensure_ffmpeg
  IDS=$(ensure_user)
  mkdir -p "$(dirname "$BIN")" "$ETC"
  cp "$src" "$BIN.new" && chmod 0755 "$BIN.new" && mv "$BIN.new" "$BIN"
  case "$BINARY" in *.xz) rm -f "$src" ;; esac # the unpacked copy
  install -d -m 0750 -o "${IDS%:*}" -g "${IDS#*:}" "$DATA" "$CACHE"
  chmod 0755 "$ETC"
  write_config
  write_token
  write_units
  sysctl daemon-reload
  sysctl enable camkeep.service
  if [ "$START" = 1 ]; then sysctl restart camkeep.service; fi
  say "installed $("$BIN" version)"
  say "health:  curl http://127.0.0.1:5050/healthz"
  say "status:  curl -H \"Authorization: Bearer \$(sudo cat /var/lib/camkeep/api-token)\" http://127.0.0.1:5050/api/status"
  say "logs:    journalctl -u camkeep -f"
}

if [ "$MODE" = uninstall ]; then uninstall; else install_camkeep; fi
