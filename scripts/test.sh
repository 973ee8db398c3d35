#!/bin/sh
# Runs the tests, installing what they lack first, and ends with the line "N passed, N failed"
# (bun test prints its own summary without one).
#   sh scripts/test.sh           everything (npm test); the soak (test/heavy/soak-*) runs beside
#                                the rest, since it mostly waits for ten minutes
#   sh scripts/test.sh unit      the fast set: no build, install, browser or long runs (npm run test:unit)
#   sh scripts/test.sh heavy     the heavy set alone: test/heavy/ (npm run test:heavy)
#   sh scripts/test.sh ARGS…     bun test with those arguments (e.g. a file name filter)
set -eu
cd "$(dirname "$0")/.."
# curl: a real slow HTTP client (export tests); systemd: systemd-analyze (unit tests);
# chromium: the browser the page is tested in (driven by playwright-core); mosquitto: the MQTT broker the MQTT tests start
sh scripts/ensure-deps.sh curl systemd chromium mosquitto
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
bun_test() { node_modules/.bin/bun test --timeout 120000 "$@"; }

soak=""
case "${1:-all}" in
  all)
    bun_test test/heavy/soak- > "$logs/soak" 2>&1 &
    soak=$!
    set -- --path-ignore-patterns 'test/heavy/soak-*' ;;
  unit) set -- --path-ignore-patterns 'test/heavy/**' ;;
  heavy) set -- test/heavy ;;
esac

set +e
# (The pipe's status is tee's: bun's own is passed on through a file.)
{ bun_test "$@" 2>&1; echo $? > "$logs/status"; } | tee "$logs/main"
status=$(cat "$logs/status")
if [ -n "$soak" ]; then
  wait "$soak"
  soak_status=$?
  echo "--- the soak, run beside the rest:"
  cat "$logs/soak"
  [ "$soak_status" -eq 0 ] || status=$soak_status
fi
set -e

count() { cat "$logs/main" "$logs/soak" 2>/dev/null | sed -n "s/^ *\([0-9][0-9]*\) $1\$/\1/p" | awk '{ n += $1 } END { print n + 0 }'; }
passed=$(count pass)
failed=$(count fail)
# A run that crashed before its summary still counts as failed.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
