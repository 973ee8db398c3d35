#!/bin/sh
# Runs the tests, installing what they lack first, and ends with the line "N passed, N failed"
# (bun test prints its own summary without one).
#   sh scripts/test.sh           everything (npm test); the soak (test/heavy/soak-*), and the real
#                                RTSP camera, browser, MQTT and tier-aging tests (test/heavy/rtsp*, …) run
#                                beside the rest, each set in its own process, since they mostly wait
#                                (ten and about five minutes)
#   sh scripts/test.sh unit      the fast set: no build, install, browser or long runs (npm run test:unit)
#   sh scripts/test.sh heavy     the heavy set alone: test/heavy/ (npm run test:heavy)
#   sh scripts/test.sh ARGS…     bun test with those arguments (e.g. a file name filter)
set -eu
cd "$(dirname "$0")/.."
# curl: a real slow HTTP client (export tests); systemd: systemd-analyze (unit tests);
# chromium: the browser the page is tested in (driven by playwright-core); mosquitto: the MQTT broker the MQTT tests start;
# prometheus: its promtool checks contrib/prometheus; GStreamer's RTSP server (and python3-gi to run it): a real camera for the recorder tests
# mpv, VLC: players nobody here wrote, over playlists, exports and share links; awscli, s3cmd: S3 clients nobody here wrote, reading the bucket back
sh scripts/ensure-deps.sh curl systemd chromium mosquitto prometheus mpv vlc-bin vlc-plugin-base awscli s3cmd \
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
# The page in Firefox ESR and in WebKitGTK (Safari's engine) only when asked (CAMKEEP_BROWSERS=1): on
# a busy 2-core machine WebKit's driver hangs now and then and Firefox falls behind, and a test that
# passes only when the machine is idle is not one for CI.
if [ -n "${CAMKEEP_BROWSERS:-}" ]; then
  sh scripts/ensure-deps.sh firefox-esr webkit2gtk-driver xvfb gstreamer1.0-libav gstreamer1.0-plugins-bad
fi
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
bun_test() { node_modules/.bin/bun test --timeout 120000 "$@"; }

soak=""
rtsp=""
case "${1:-all}" in
  all)
    bun_test test/heavy/soak- > "$logs/soak" 2>&1 &
    soak=$!
    # (With them the tests that mostly wait on a broker's ticks or a tier's moves: MQTT, footage aging.)
    bun_test test/heavy/rtsp test/heavy/webkit test/heavy/firefox test/mqtt test/heavy/tiers-aging > "$logs/rtsp" 2>&1 &
    rtsp=$!
    set -- --path-ignore-patterns 'test/heavy/soak-*' --path-ignore-patterns 'test/heavy/rtsp*' \
      --path-ignore-patterns 'test/heavy/webkit*' --path-ignore-patterns 'test/heavy/firefox*' \
      --path-ignore-patterns 'test/mqtt*' --path-ignore-patterns 'test/heavy/tiers-aging*' ;;
  unit) set -- --path-ignore-patterns 'test/heavy/**' ;;
  # What a developer runs on every change (docs/development.md): the decisions, the database, MP4,
  # the configuration and the API's routes over real databases — no recorder, camera or broker.
  fast) set -- test/expiry-verdict test/segment-verdict test/commit-batch test/clocks test/segment-name test/activity test/health \
    test/log test/ui-time test/layers test/rollups test/quota test/expire test/reconcile test/config \
    test/media test/mp4 test/api test/cases test/keeper-lock test/contrib test/tier-contract test/forecast test/routes ;;
  heavy) set -- test/heavy ;;
esac

set +e
# (The pipe's status is tee's: bun's own is passed on through a file.)
{ bun_test "$@" 2>&1; echo $? > "$logs/status"; } | tee "$logs/main"
status=$(cat "$logs/status")
for beside in soak rtsp; do
  eval "pid=\$$beside"
  [ -n "$pid" ] || continue
  wait "$pid"
  beside_status=$?
  echo "--- test/heavy/$beside*, run beside the rest:"
  cat "$logs/$beside"
  [ "$beside_status" -eq 0 ] || status=$beside_status
done
set -e

# The names of failed tests again at the end, each with the lines bun printed before it (its error),
# so a log read from its tail (CI keeps the last part) still says what failed.
for log in "$logs/main" "$logs/soak" "$logs/rtsp"; do
  [ -f "$log" ] && grep -q '^(fail)' "$log" || continue
  echo "--- failed in $(basename "$log"):"
  grep -B 12 '^(fail)' "$log" | grep -v '^(pass)'
done
count() { cat "$logs/main" "$logs/soak" "$logs/rtsp" 2>/dev/null | sed -n "s/^ *\([0-9][0-9]*\) $1\$/\1/p" | awk '{ n += $1 } END { print n + 0 }'; }
passed=$(count pass)
failed=$(count fail)
# A run that crashed before its summary still counts as failed.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "${passed} passed, ${failed} failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
