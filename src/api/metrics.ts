import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { OnvifStatus } from "../onvif/watch.ts";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { lastRecordingStart } from "../db/recordings.ts";
import type { HealthSnapshot } from "../health/monitor.ts";
import type { TierStatus } from "../tiers/worker.ts";
import type { ApiDeps } from "./deps.ts";
import { knownCameras } from "../db/totals.ts";

/**
 * Prometheus metrics. Most values live in the keeper's own counters; each metric reads them
 * when scraped (collect), so nothing is counted twice and nothing runs between scrapes.
 */

/** One series' values at a scrape: label values and a number each (undefined: left out). */
type Rows = Iterable<readonly [Record<string, string>, number | undefined]>;
type Kind = "gauge" | "counter";

/** A bounded route name: the pattern Hono matched ("/api/recordings/:id/file"), or "unmatched". */
function routePath(c: Context): string {
  const p = c.req.routePath;
  return !p || p === "/*" || p.endsWith("*") ? (c.res.status === 404 ? "unmatched" : p || "unmatched") : p;
}

/** Adds a gauge or counter to `registry` whose values `rows` gives at each scrape. */
function series(
  registry: Registry,
  kind: Kind,
  name: string,
  help: string,
  labelNames: string[],
  rows: () => Rows,
): void {
  const collect = function (this: Gauge | Counter) {
    this.reset();
    for (const [labels, value] of rows()) {
      if (value === undefined) continue;
      if (this instanceof Gauge) this.set(labels, value);
      else this.inc(labels, value);
    }
  };
  const options = { name, help, labelNames, registers: [registry], collect };
  if (kind === "gauge") new Gauge(options);
  else new Counter(options);
}

/** A metric as a row of a table: its kind, name and help, and what it reads of an item `S` at a scrape. */
type Row<S> = readonly [kind: Kind, name: string, help: string, read: (item: S) => number | undefined];

/** A table's metrics: each a series per item `items` gives at a scrape (its labels, and the item read). */
function table<S>(
  r: Registry,
  labelNames: string[],
  items: () => Iterable<readonly [Record<string, string>, S]>,
  rows: readonly Row<S>[],
): void {
  for (const [kind, name, help, read] of rows)
    series(r, kind, name, help, labelNames, () =>
      Array.from(items(), ([labels, item]) => [labels, read(item)] as const),
    );
}

/** Series of counts by a label (a reason, a rule, a meaning): one per key of what `counts` gives. */
function byLabel(
  r: Registry,
  name: string,
  help: string,
  labelNames: string[],
  counts: () => Iterable<readonly [Record<string, string>, Record<string, number | undefined>]>,
): void {
  const key = labelNames.at(-1)!;
  series(r, "counter", name, help, labelNames, () =>
    Array.from(counts()).flatMap(([labels, map]) =>
      Object.entries(map).map(([k, n]) => [{ ...labels, [key]: k }, n ?? 0] as const),
    ),
  );
}

type CameraStats = ReturnType<ApiDeps["stats"]["camera"]>;

/** What the keeper did with segments, per camera, and what it kept. */
function keeperMetrics(r: Registry, deps: ApiDeps): void {
  const { stats, totals, db } = deps;
  const cameras = () => knownCameras(deps).map((camera) => [{ camera }, camera] as const);
  const s = (c: string): CameraStats => stats.camera(c);
  const lastAge = (c: string) => {
    const last = lastRecordingStart(db, c);
    return last === undefined ? undefined : Date.now() / 1000 - last;
  };
  // biome-ignore format: a table reads best a metric a line
  table<string>(r, ["camera"], cameras, [
    ["counter", "camkeep_segments_stored_total", "Segments stored since start", (c) => s(c).stored],
    ["counter", "camkeep_segments_corrupt_total", "Corrupt cache segments discarded since start", (c) => s(c).corrupt],
    ["counter", "camkeep_segments_unjudged_total", "Segments kept because no activity was reported for them", (c) => s(c).unjudgedKept],
    ["counter", "camkeep_store_failures_total", "Failed attempts to store a segment", (c) => s(c).storeFailures],
    ["counter", "camkeep_probe_failures_total", "Probes that failed for their own reasons (timeout, tool missing), not the file's", (c) => s(c).probeFailures],
    ["counter", "camkeep_motion_frames_analysed_total", "Pictures analysed for motion from the footage", (c) => s(c).motionFrames],
    ["counter", "camkeep_motion_analysis_failures_total", "Segments whose motion could not be analysed (judged without it)", (c) => s(c).motionFailures],
    ["counter", "camkeep_segments_stored_at_stop_total", "Segments stored unjudged while stopping, before their activity was known", (c) => s(c).storedAtStop],
    ["counter", "camkeep_segments_quarantined_total", "Segments moved aside after repeated store failures", (c) => s(c).quarantined],
    ["gauge", "camkeep_motion_analysis_lag_seconds", "Seconds from a segment's end to its motion analysis, last segment", (c) => s(c).motionLagS],
    ["gauge", "camkeep_cache_backlog_segments", "Segments in the cache that could have been decided but were not", (c) => s(c).backlog],
    ["gauge", "camkeep_stored_bytes", "Bytes of footage kept in storage", (c) => totals.camera(c).bytes],
    ["gauge", "camkeep_stored_seconds", "Seconds of footage kept in storage", (c) => totals.camera(c).seconds],
    ["gauge", "camkeep_last_segment_age_seconds", "Age of the newest stored segment's start", lastAge],
  ]);
  byLabel(
    r,
    "camkeep_segments_dropped_total",
    "Cache segments deleted without storing, by reason",
    ["camera", "reason"],
    () => knownCameras(deps).map((camera) => [{ camera }, s(camera).dropped] as const),
  );
  // biome-ignore format: a table reads best a metric a line
  table(r, [], () => [[{}, stats]], [
    ["counter", "camkeep_invalid_cache_files_total", "Files in the cache that are not segments", (x) => x.invalidCacheFiles],
    ["counter", "camkeep_segments_unknown_camera_total", "Cache segments of cameras not configured, deleted", (x) => x.unknownCameraSegments],
    ["counter", "camkeep_activity_ignored_frames_total", "Activity frames for cameras not configured or not recording", (x) => x.ignoredActivityFrames],
  ]);
  const passes = new Histogram({
    name: "camkeep_maintainer_pass_seconds",
    help: "Duration of maintainer passes",
    registers: [r],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
  });
  stats.passListeners.push((ms) => passes.observe(ms / 1000));
}

/** The recorders camkeep runs. */
function recorderMetrics(r: Registry, { recorders }: ApiDeps): void {
  // biome-ignore format: a table reads best a metric a line
  table(r, ["camera"], () => recorders.all().map((s) => [{ camera: s.camera }, s] as const), [
    ["gauge", "camkeep_recorder_up", "1 while the camera's recorder (ffmpeg) runs", (s) => (s.state === "recording" ? 1 : 0)],
    ["gauge", "camkeep_recorder_stalled", "1 while the camera's recorder wrote no segment for too long", (s) => (s.stalled ? 1 : 0)],
    ["counter", "camkeep_recorder_restarts_total", "Recorder restarts after ffmpeg exited", (s) => s.restarts],
    ["counter", "camkeep_recorder_stalls_total", "Recorder restarts by the watchdog", (s) => s.stalls],
  ]);
}

/** The cameras' own events (docs/onvif.md). */
function onvifMetrics(r: Registry, { onvif }: ApiDeps): void {
  const cameras = () => onvif.all().map(([camera, s]) => [{ camera }, s] as const);
  // biome-ignore format: a table reads best a metric a line
  table<OnvifStatus>(r, ["camera"], cameras, [
    ["gauge", "camkeep_onvif_subscribed", "1 while camkeep hears the camera's events (its subscription is live)", (s) => (s.state === "live" ? 1 : 0)],
    ["counter", "camkeep_onvif_messages_total", "Event messages received from the camera", (s) => s.messages],
    ["counter", "camkeep_onvif_errors_total", "Failed attempts to hear the camera's events", (s) => s.errors],
  ]);
  byLabel(
    r,
    "camkeep_onvif_heard_total",
    "States turned on (and pulses) heard from the camera, by meaning",
    ["camera", "meaning"],
    () => onvif.all().map(([camera, s]) => [{ camera }, s.heard] as const),
  );
}

/** Storage, health, the event loop and the API's guard. */
function healthMetrics(r: Registry, deps: ApiDeps, health: () => HealthSnapshot): void {
  // biome-ignore format: a table reads best a metric a line
  table(r, [], () => [[{}, health()]], [
    ["gauge", "camkeep_storage_free_bytes", "Free bytes on the storage volume", (h) => h.space.free],
    ["gauge", "camkeep_storage_min_free_bytes", "Free space the storage volume must keep (storage.min_free)", (h) => h.space.minFree],
    ["gauge", "camkeep_healthy", "1 when /healthz reports ok", (h) => (h.reasons.length ? 0 : 1)],
  ]);
  // biome-ignore format: a table reads best a metric a line
  table(r, [], () => [[{}, deps.eventLoop.status()]], [
    ["gauge", "camkeep_event_loop_lag_seconds", "The largest lag of the event loop's heartbeat in the last minute", (l) => l.lag_s],
    ["counter", "camkeep_event_loop_stalls_total", "Times the event loop was held for a second or more", (l) => l.stalls],
  ]);
  // biome-ignore format: a table reads best a metric a line
  table(r, [], () => [[{}, deps.loginGuard]], [
    ["counter", "camkeep_auth_failures_total", "Failed logins and requests with a wrong token or session", (g) => g.failures],
  ]);
}

/** Expiry, disk protection and the other cleanup jobs. */
function cleanupMetrics(r: Registry, { cleanup, startedAtMs, scrub }: ApiDeps): void {
  const c = cleanup.counters;
  // biome-ignore format: a table reads best a metric a line
  table(r, [], () => [[{}, cleanup]], [
    ["counter", "camkeep_expiry_runs_total", "Expiry runs completed", () => c.expiryRuns],
    ["gauge", "camkeep_expiry_last_run_timestamp_seconds", "When the last expiry run began, or camkeep started before its first (epoch seconds)", (x) => x.lastExpiry?.startedAt ?? startedAtMs / 1000],
    ["gauge", "camkeep_expiry_interval_seconds", "Seconds between expiry runs as scheduled (record.expire_interval, or between the next two runs of expire_at)", (x) => x.expiryIntervalSeconds()],
    ["counter", "camkeep_events_expired_total", "Events whose clip retention ended", () => c.eventsExpired],
    ["counter", "camkeep_disk_protection_deleted_total", "Recordings deleted to keep storage.min_free free", () => c.diskDeleted],
    ["gauge", "camkeep_storing_halted", "1 while new footage is not stored: storage is under storage.min_free and all footage left is kept forever or in an open case", (x) => (x.storingHalted ? 1 : 0)],
    ["counter", "camkeep_scrub_damaged_total", "Stored segments the scrub found not matching their hash (bit rot or tampering), repaired or not", () => scrub.total.mismatches],
    ["counter", "camkeep_scrub_quarantined_total", "Damaged segments no tier held a good copy of: quarantined, their rows removed", () => scrub.total.quarantined],
    ["counter", "camkeep_disk_protection_freed_bytes_total", "Bytes freed by disk protection", () => c.diskFreedBytes],
  ]);
  byLabel(r, "camkeep_recordings_expired_total", "Recordings deleted by expiry, by rule", ["rule"], () => [
    [{}, c.expired],
  ]);
  byLabel(r, "camkeep_cleanup_skipped_total", "Cleanup runs skipped, by reason", ["reason"], () => [
    [{}, c.skipped],
  ]);
}

/** The storage tiers: one status read (a few queries per tier) serves every tier metric of a scrape. */
function tierMetrics(r: Registry, deps: ApiDeps): void {
  let read: { at: number; tiers: TierStatus[] } | undefined;
  const tiers = () => {
    if (!read || Date.now() - read.at > 1_000) read = { at: Date.now(), tiers: deps.tiers.status() };
    return read.tiers.map((t) => [{ tier: t.name }, t] as const);
  };
  // biome-ignore format: a table reads best a metric a line
  table<TierStatus>(r, ["tier"], tiers, [
    ["gauge", "camkeep_tier_queue_length", "Transfers waiting for a storage tier", (t) => t.pending],
    ["gauge", "camkeep_tier_oldest_pending_seconds", "Age of the oldest transfer waiting for a tier (0: none)", (t) => t.oldest_pending_age_s ?? 0],
    ["gauge", "camkeep_tier_removals_pending", "Objects in a tier waiting to be removed", (t) => t.discards_pending],
    ["counter", "camkeep_tier_bytes_moved_total", "Bytes moved or copied to a tier since start", (t) => t.bytes_moved],
    ["counter", "camkeep_tier_segments_moved_total", "Segments moved to a tier since start", (t) => t.moved],
    ["counter", "camkeep_tier_segments_copied_total", "Segments copied to a tier since start", (t) => t.copied],
    ["counter", "camkeep_tier_failures_total", "Failed transfers and removals in a tier since start", (t) => t.failures],
  ]);
}

/** The bucket's archive (docs/archive.md): documents waiting to be written, and failures. */
function archiveMetrics(r: Registry, archive: ApiDeps["archive"]): void {
  table(r, [], () => [[{}, archive.status()]], [
    [
      "gauge",
      "camkeep_archive_pending",
      "Archive documents waiting to be written to the bucket tiers",
      (a) => a.pending,
    ],
    [
      "counter",
      "camkeep_archive_written_total",
      "Archive documents written to the bucket tiers since start",
      (a) => a.written,
    ],
    [
      "counter",
      "camkeep_archive_failures_total",
      "Failed writes of archive documents since start",
      (a) => a.failures,
    ],
  ]);
}

/** The rates days left are given by (a label of the forecast's metrics). */
const BASES = ["last_day", "last_week"] as const;

/** Days left (docs/storage.md#days-left), by the rate of the last day and of the last week. */
function forecastMetrics(r: Registry, forecast: ApiDeps["forecast"]): void {
  const bases = () => {
    const s = forecast.get().storage;
    return BASES.map((basis) => [{ basis }, { s, basis }] as const);
  };
  // biome-ignore format: a table reads best a metric a line
  table(r, ["basis"], bases, [
    ["gauge", "camkeep_storage_bytes_per_day", "Bytes a day all cameras store, at the rate of the last day or week", (x) => x.s.bytes_per_day[x.basis] ?? undefined],
    ["gauge", "camkeep_storage_days_held", "Days of footage the storage holds at that rate (what is kept and free, above the floor)", (x) => x.s.days_held[x.basis] ?? undefined],
    ["gauge", "camkeep_storage_days_until_full", "Days until free space reaches storage.min_free at that rate, if nothing were deleted", (x) => x.s.days_until_full[x.basis] ?? undefined],
  ]);
  const cameras = () =>
    Object.entries(forecast.get().cameras).flatMap(([camera, f]) =>
      BASES.map((basis) => [{ camera, basis }, f[basis].bytes_per_day] as const),
    );
  // biome-ignore format: a table reads best a metric a line
  table(r, ["camera", "basis"], cameras, [
    ["gauge", "camkeep_camera_bytes_per_day", "Bytes a day the camera stores, at the rate of the last day or week", (rate) => rate ?? undefined],
  ]);
  const quotas = () => Object.entries(forecast.get().cameras).map(([camera, f]) => [{ camera }, f] as const);
  // biome-ignore format: a table reads best a metric a line
  table(r, ["camera"], quotas, [
    ["gauge", "camkeep_camera_quota_days_left", "Days until the camera's quota (record.max_size) is full at its rate", (f) => f.quota_days_left ?? undefined],
  ]);
  const tiers = () =>
    forecast.get().tiers.flatMap((t) =>
      BASES.map(
        (basis) =>
          [
            { tier: t.name, basis },
            { t, basis },
          ] as const,
      ),
    );
  // biome-ignore format: a table reads best a metric a line
  table(r, ["tier", "basis"], tiers, [
    ["gauge", "camkeep_tier_bytes_per_day", "Bytes a day that reach the tier at the cameras' rates of the last day or week", (x) => x.t.bytes_per_day[x.basis] ?? undefined],
    ["gauge", "camkeep_tier_days_until_full", "Days until a folder tier's volume is full at that rate (none for a bucket)", (x) => x.t.days_until_full[x.basis] ?? undefined],
  ]);
}

/** The MQTT connection. */
function mqttMetrics(r: Registry, mq: NonNullable<ApiDeps["mqtt"]>["state"]): void {
  table(r, [], () => [[{}, mq]], [
    ["gauge", "camkeep_mqtt_connected", "1 while connected to the MQTT broker", (m) => (m.connected ? 1 : 0)],
    ["counter", "camkeep_mqtt_messages_total", "MQTT messages received", (m) => m.received],
  ]);
  byLabel(r, "camkeep_mqtt_rejected_total", "MQTT messages ignored, by reason", ["reason"], () => [
    [{}, mq.rejected],
  ]);
}

/** Which path the media step took. */
function mediaMetrics(r: Registry, c: NonNullable<ApiDeps["media"]["counters"]>): void {
  series(
    r,
    "counter",
    "camkeep_media_segments_total",
    "Segments probed and copied, by step and path (native, or ffmpeg for what the native path declined)",
    ["step", "path"],
    () => [
      [{ step: "probe", path: "native" }, c.nativeProbes],
      [{ step: "probe", path: "ffmpeg" }, c.fallbackProbes],
      [{ step: "copy", path: "native" }, c.nativeCopies],
      [{ step: "copy", path: "ffmpeg" }, c.fallbackCopies],
    ],
  );
}

export function metricsRegistry(deps: ApiDeps, health: () => HealthSnapshot): Registry {
  const registry = new Registry();
  keeperMetrics(registry, deps);
  recorderMetrics(registry, deps);
  onvifMetrics(registry, deps);
  healthMetrics(registry, deps, health);
  cleanupMetrics(registry, deps);
  forecastMetrics(registry, deps.forecast);
  if (deps.config.storage.tiers.length) tierMetrics(registry, deps);
  if (deps.archive.status().tiers.length) archiveMetrics(registry, deps.archive);
  if (deps.mqtt) mqttMetrics(registry, deps.mqtt.state);
  if (deps.media.counters) mediaMetrics(registry, deps.media.counters);
  return registry;
}

/**
 * The API's own latency: a histogram per route pattern (so its series are as many as the
 * routes, whatever is asked), method and status class, observed by `requestTimer`.
 */
function requestMetrics(r: Registry) {
  const h = new Histogram({
    name: "camkeep_http_request_duration_seconds",
    help: "Time to answer API requests (to the first byte of the body), by route, method and status class",
    labelNames: ["route", "method", "status"],
    buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10],
    registers: [r],
  });
  return (route: string, method: string, status: number, seconds: number) =>
    h.observe({ route, method, status: `${Math.floor(status / 100)}xx` }, seconds);
}

/**
 * `/metrics`, and the middleware that times every request into them (by the route pattern
 * matched, never the path asked).
 */
export function metricsRoutes(deps: ApiDeps) {
  // The health checks run once per scrape; every metric that needs them reads this one.
  let current: HealthSnapshot | undefined;
  const registry = metricsRegistry(deps, () => (current ??= deps.health.snapshot()));
  const observe = requestMetrics(registry);
  const timer: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    await next();
    observe(routePath(c), c.req.method, c.res.status, (performance.now() - started) / 1000);
  };
  const routes = new Hono().get("/", async (c) => {
    current = undefined;
    return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  });
  return { routes, timer };
}
