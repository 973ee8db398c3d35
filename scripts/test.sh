#!/bin/sh
# Runs the whole test suite, installing what it lacks first, and ends with the line
# "N passed, N failed" (bun test prints its own summary without one).
# Arguments go to `bun test` (e.g. a file name filter).
set -eu
cd "$(dirname "$0")/.."
# curl: a real slow HTTP client (export tests); systemd: systemd-analyze (unit tests);
# chromium: the browser the page is tested in (driven by playwright-core); mosquitto: the MQTT broker the MQTT tests start
sh scripts/ensure-deps.sh curl systemd chromium mosquitto
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
node_modules/.bin/bun test --timeout 120000 "$@" 2>&1 | tee "$out"
status=$?
set -e
passed=$(sed -n 's/^ *\([0-9][0-9]*\) pass$/\1/p' "$out" | tail -n 1)
failed=$(sed -n 's/^ *\([0-9][0-9]*\) fail$/\1/p' "$out" | tail -n 1)
passed=${passed:-0}
failed=${failed:-0}
# A run that crashed before its summary still counts as failed.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
