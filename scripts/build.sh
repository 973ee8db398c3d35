#!/bin/sh
# Builds the single-file camkeep binaries into dist/ (also: npm run build):
#   dist/camkeep-linux-x64           current x86-64 CPUs
#   dist/camkeep-linux-x64-baseline  older x86-64 CPUs without AVX2 (many NAS boxes)
#   dist/camkeep-linux-arm64         Raspberry Pi OS 64-bit and other arm64 Linux
# each also xz-compressed (dist/camkeep-linux-*.xz: ~41 MB of the ~113 MB, which is mostly
# Bun's runtime), plus dist/SHA256SUMS of all of them. Bun fetches each target's runtime from
# the npm registry itself.
# Usage: scripts/build.sh [TARGET…]   (default: all three; TARGET as in the names above, e.g. linux-arm64)
#        CAMKEEP_XZ=0 scripts/build.sh …  the binaries only, no .xz (a test that only runs one)
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
mkdir -p dist
version=$(node -p 'require("./package.json").version')
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain 2>/dev/null)" ] || commit="$commit+dirty"
targets=${*:-"linux-x64 linux-x64-baseline linux-arm64"}
for target in $targets; do
  out="dist/camkeep-$target"
  # The watchdog's thread is an entry point of its own: a binary without it has no watchdog.
  node_modules/.bin/bun build src/main.ts src/health/watchdog-thread.ts --compile --bytecode --format=esm --minify \
    --target="bun-$target" \
    --define "process.env.CAMKEEP_COMMIT=\"$commit\"" \
    --define "process.env.CAMKEEP_TARGET=\"$target\"" \
    --outfile "$out" >/dev/null
  echo "built $out ($version, $commit)"
  # Compressed beside the next target's build (one thread each: the build uses about one core).
  if [ "${CAMKEEP_XZ:-1}" = 0 ]; then rm -f "$out.xz"; else xz -T1 -6 -k -f "$out" & fi
done
wait
for target in $targets; do
  [ "${CAMKEEP_XZ:-1}" = 0 ] && break
  out="dist/camkeep-$target"
  [ -s "$out.xz" ] || { echo "build.sh: $out.xz was not written" >&2; exit 1; }
  echo "compressed $out.xz ($(($(stat -c %s "$out.xz") / 1048576)) MB of $(($(stat -c %s "$out") / 1048576)) MB)"
done
(cd dist && sha256sum camkeep-linux-* > SHA256SUMS)
echo "wrote dist/SHA256SUMS"
