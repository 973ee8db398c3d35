import { Hono } from "hono";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { lastRecordingStart } from "../db/recordings.ts";
import type { HealthSnapshot } from "../health/monitor.ts";
import type { Recorders } from "../recorder/supervisor.ts";
import type { ApiDeps } from "./deps.ts";
import { knownCameras } from "./status.ts";
import type { TierStatus } from "../tiers/worker.ts";

/**
 * Prometheus metrics. Most values live in the keeper's own counters; each metric reads them
 * when scraped (collect), so nothing is counted twice and nothing runs between scrapes.
 */
export function metricsRegistry(deps: ApiDeps, health: () => HealthSnapshot): Registry {
  const { stats, totals, db, cleanup, recorders, media } = deps;
  const registers = [new Registry()];
  const registry = registers[0]!;
  const perCamera = <T>(fn: (camera: string) => T) => knownCameras(deps).map((camera) => [camera, fn(camera)] as const);

  const counter = (name: string, help: string, value: (camera: string) => number) =>
    new Counter({
      name, help, labelNames: ["camera"], registers,
      collect() {
        this.reset();
        for (const [camera, v] of perCamera(value)) this.inc({ camera }, v);
      },
    });
  counter("camkeep_segments_stored_total", "Segments stored since start", (c) => stats.camera(c).stored);
  if (deps.mqtt) {
    const mq = deps.mqtt.state;
    new Gauge({ name: "camkeep_mqtt_connected", help: "1 while connected to the MQTT broker", registers, collect() { this.set(mq.connected ? 1 : 0); } });
    new Counter({ name: "camkeep_mqtt_messages_total", help: "MQTT messages received", registers, collect() { this.reset(); this.inc(mq.received); } });
    new Counter({
      name: "camkeep_mqtt_rejected_total", help: "MQTT messages ignored, by reason", labelNames: ["reason"], registers,
      collect() { this.reset(); for (const [reason, n] of Object.entries(mq.rejected)) this.inc({ reason }, n); },
    });
  }
  if (deps.config.storage.tiers.length) {
    // Every tier metric reads the same status: one read (a few queries per tier) serves a scrape.
    let read: { at: number; tiers: TierStatus[] } | undefined;
    const tiers = () => {
      if (!read || Date.now() - read.at > 1_000) read = { at: Date.now(), tiers: deps.tiers.status() };
      return read.tiers;
    };
    const tierMetric = (kind: "gauge" | "counter", name: string, help: string, value: (t: TierStatus) => number) => {
      const collect = function (this: Gauge | Counter) {
        this.reset();
        for (const t of tiers()) {
          if (this instanceof Gauge) this.set({ tier: t.name }, value(t));
          else this.inc({ tier: t.name }, value(t));
        }
      };
      return kind === "gauge" ? new Gauge({ name, help, labelNames: ["tier"], registers, collect }) : new Counter({ name, help, labelNames: ["tier"], registers, collect });
    };
    tierMetric("gauge", "camkeep_tier_queue_length", "Transfers waiting for a storage tier", (t) => t.pending);
    tierMetric("gauge", "camkeep_tier_oldest_pending_seconds", "Age of the oldest transfer waiting for a tier (0: none)", (t) => t.oldest_pending_age_s ?? 0);
    tierMetric("gauge", "camkeep_tier_removals_pending", "Objects in a tier waiting to be removed", (t) => t.discards_pending);
    tierMetric("counter", "camkeep_tier_bytes_moved_total", "Bytes moved or copied to a tier since start", (t) => t.bytes_moved);
    tierMetric("counter", "camkeep_tier_segments_moved_total", "Segments moved to a tier since start", (t) => t.moved);
    tierMetric("counter", "camkeep_tier_segments_copied_total", "Segments copied to a tier since start", (t) => t.copied);
    tierMetric("counter", "camkeep_tier_failures_total", "Failed transfers and removals in a tier since start", (t) => t.failures);
  }
  new Counter({
    name: "camkeep_auth_failures_total", help: "Failed logins and requests with a wrong token or session", registers,
    collect() {
      this.reset();
      this.inc(deps.loginGuard.failures);
    },
  });
  counter("camkeep_segments_corrupt_total", "Corrupt cache segments discarded since start", (c) => stats.camera(c).corrupt);
  counter("camkeep_segments_unjudged_total", "Segments kept because no activity was reported for them", (c) => stats.camera(c).unjudgedKept);
  counter("camkeep_store_failures_total", "Failed attempts to store a segment", (c) => stats.camera(c).storeFailures);
  counter("camkeep_probe_failures_total", "Probes that failed for their own reasons (timeout, tool missing), not the file's", (c) => stats.camera(c).probeFailures);
  counter("camkeep_motion_frames_analysed_total", "Pictures analysed for motion from the footage", (c) => stats.camera(c).motionFrames);
  counter("camkeep_motion_analysis_failures_total", "Segments whose motion could not be analysed (judged without it)", (c) => stats.camera(c).motionFailures);
  counter("camkeep_segments_stored_at_stop_total", "Segments stored unjudged while stopping, before their activity was known", (c) => stats.camera(c).storedAtStop);
  counter("camkeep_segments_quarantined_total", "Segments moved aside after repeated store failures", (c) => stats.camera(c).quarantined);
  new Counter({
    name: "camkeep_segments_dropped_total", help: "Cache segments deleted without storing, by reason", labelNames: ["camera", "reason"], registers,
    collect() {
      this.reset();
      for (const [camera, dropped] of perCamera((c) => stats.camera(c).dropped)) {
        for (const [reason, n] of Object.entries(dropped)) this.inc({ camera, reason }, n);
      }
    },
  });

  const gauge = (name: string, help: string, value: (camera: string) => number | undefined) =>
    new Gauge({
      name, help, labelNames: ["camera"], registers,
      collect() {
        this.reset();
        for (const [camera, v] of perCamera(value)) if (v !== undefined) this.set({ camera }, v);
      },
    });
  gauge("camkeep_motion_analysis_lag_seconds", "Seconds from a segment's end to its motion analysis, last segment", (c) => stats.camera(c).motionLagS);
  gauge("camkeep_cache_backlog_segments", "Segments in the cache that could have been decided but were not", (c) => stats.camera(c).backlog);
  gauge("camkeep_stored_bytes", "Bytes of footage kept in storage", (c) => totals.camera(c).bytes);
  gauge("camkeep_stored_seconds", "Seconds of footage kept in storage", (c) => totals.camera(c).seconds);
  gauge("camkeep_last_segment_age_seconds", "Age of the newest stored segment's start", (c) => {
    const last = lastRecordingStart(db, c);
    return last === undefined ? undefined : Date.now() / 1000 - last;
  });

  const recorderSeries = (name: string, help: string, type: "gauge" | "counter", value: (s: ReturnType<Recorders["all"]>[number]) => number) => {
    const collect = function (this: Gauge | Counter) {
      this.reset();
      for (const s of recorders.all()) (this as Gauge).inc({ camera: s.camera }, value(s));
    };
    return type === "gauge"
      ? new Gauge({ name, help, labelNames: ["camera"], registers, collect })
      : new Counter({ name, help, labelNames: ["camera"], registers, collect });
  };
  recorderSeries("camkeep_recorder_up", "1 while the camera's recorder (ffmpeg) runs", "gauge", (s) => (s.state === "recording" ? 1 : 0));
  recorderSeries("camkeep_recorder_stalled", "1 while the camera's recorder wrote no segment for too long", "gauge", (s) => (s.stalled ? 1 : 0));
  recorderSeries("camkeep_recorder_restarts_total", "Recorder restarts after ffmpeg exited", "counter", (s) => s.restarts);
  recorderSeries("camkeep_recorder_stalls_total", "Recorder restarts by the watchdog", "counter", (s) => s.stalls);

  const single = (name: string, help: string, value: () => number, type: "gauge" | "counter" = "gauge") =>
    type === "gauge"
      ? new Gauge({ name, help, registers, collect() { this.set(value()); } })
      : new Counter({ name, help, registers, collect() { this.reset(); this.inc(value()); } });
  single("camkeep_storage_free_bytes", "Free bytes on the storage volume", () => health().space.free);
  single("camkeep_storage_min_free_bytes", "Free space the storage volume must keep (storage.min_free)", () => health().space.minFree);
  single("camkeep_healthy", "1 when /healthz reports ok", () => (health().reasons.length ? 0 : 1));
  single("camkeep_invalid_cache_files_total", "Files in the cache that are not segments", () => stats.invalidCacheFiles, "counter");
  single("camkeep_segments_unknown_camera_total", "Cache segments of cameras not configured, deleted", () => stats.unknownCameraSegments, "counter");
  single("camkeep_activity_ignored_frames_total", "Activity frames for cameras not configured or not recording", () => stats.ignoredActivityFrames, "counter");

  single("camkeep_event_loop_lag_seconds", "The largest lag of the event loop's heartbeat in the last minute", () => deps.eventLoop.status().lag_s);
  single("camkeep_event_loop_stalls_total", "Times the event loop was held for a second or more", () => deps.eventLoop.status().stalls, "counter");
  single("camkeep_expiry_runs_total", "Expiry runs completed", () => cleanup.counters.expiryRuns, "counter");
  single("camkeep_events_expired_total", "Events whose clip retention ended", () => cleanup.counters.eventsExpired, "counter");
  single("camkeep_disk_protection_deleted_total", "Recordings deleted to keep storage.min_free free", () => cleanup.counters.diskDeleted, "counter");
  single("camkeep_disk_protection_freed_bytes_total", "Bytes freed by disk protection", () => cleanup.counters.diskFreedBytes, "counter");
  new Counter({
    name: "camkeep_recordings_expired_total", help: "Recordings deleted by expiry, by rule", labelNames: ["rule"], registers,
    collect() {
      this.reset();
      for (const [rule, n] of Object.entries(cleanup.counters.expired)) this.inc({ rule }, n ?? 0);
    },
  });
  new Counter({
    name: "camkeep_cleanup_skipped_total", help: "Cleanup runs skipped, by reason", labelNames: ["reason"], registers,
    collect() {
      this.reset();
      for (const [reason, n] of Object.entries(cleanup.counters.skipped)) this.inc({ reason }, n);
    },
  });

  if (media.counters) {
    const c = media.counters;
    new Counter({
      name: "camkeep_media_segments_total", help: "Segments probed and copied, by step and path (native, or ffmpeg for what the native path declined)",
      labelNames: ["step", "path"], registers,
      collect() {
        this.reset();
        this.inc({ step: "probe", path: "native" }, c.nativeProbes);
        this.inc({ step: "probe", path: "ffmpeg" }, c.fallbackProbes);
        this.inc({ step: "copy", path: "native" }, c.nativeCopies);
        this.inc({ step: "copy", path: "ffmpeg" }, c.fallbackCopies);
      },
    });
  }

  const passes = new Histogram({
    name: "camkeep_maintainer_pass_seconds", help: "Duration of maintainer passes", registers,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
  });
  stats.passListeners.push((ms) => passes.observe(ms / 1000));
  return registry;
}

export function metricsRoutes(deps: ApiDeps) {
  // The health checks run once per scrape; every metric that needs them reads this one.
  let current: HealthSnapshot | undefined;
  const registry = metricsRegistry(deps, () => (current ??= deps.health.snapshot()));
  return new Hono().get("/", async (c) => {
    current = undefined;
    return c.body(await registry.metrics(), 200, { "content-type": registry.contentType });
  });
}
