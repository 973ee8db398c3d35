#!/bin/sh
# Starts camkeep from the source tree, installing what it lacks first.
# Extra arguments go to `camkeep run` (e.g. --config camkeep.yml).
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-deps.sh
exec node_modules/.bin/bun src/main.ts run "$@"
