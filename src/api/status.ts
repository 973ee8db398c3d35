import { Hono } from "hono";
import { lastRecordingStart } from "../db/recordings.ts";
import { knownCameras } from "../db/totals.ts";
import { VERSION } from "../version.ts";
import { siteOf } from "../archive/sites.ts";
import type { ApiDeps } from "./deps.ts";
import type { Forecast } from "../health/forecast.ts";

/** One camera's part of the status: its recorder, what was stored, judged and kept, its forecast. */
export function cameraStatus(deps: ApiDeps, name: string, now: number, forecast: Forecast) {
  const { config, db, stats, totals, recorders, onvif, cleanup } = deps;
  const s = stats.camera(name);
  const kept = totals.camera(name);
  const last = lastRecordingStart(db, name);
  return {
    configured: name in config.cameras,
    /** In viewer mode, the site the camera is of (its group on the page). */
    site: deps.viewer ? (siteOf(name) ?? null) : null,
    recording: config.cameras[name]?.record.enabled ?? false,
    recorder: recorders.status(name) ?? null,
    onvif: onvif.status(name) ?? null,
    last_segment_start: last ?? null,
    last_segment_age_s: last === undefined ? null : Math.round(now - last),
    cache_backlog: s.backlog,
    stored: s.stored,
    dropped: s.dropped,
    corrupt: s.corrupt,
    unjudged_kept: s.unjudgedKept,
    store_failures: s.storeFailures,
    probe_failures: s.probeFailures,
    stored_at_stop: s.storedAtStop,
    motion: {
      judged: config.cameras[name]?.motion.enabled ?? false,
      frames_analysed: s.motionFrames,
      failures: s.motionFailures,
      lag_s: s.motionLagS === undefined ? null : Math.round(s.motionLagS * 10) / 10,
      sparse_keyframes: s.motionSparse,
      problem: s.motionProblem,
    },
    quarantined: s.quarantined,
    segments_kept: kept.segments,
    bytes_kept: kept.bytes,
    hours_kept: Math.round((kept.seconds / 3600) * 100) / 100,
    quota_bytes: config.cameras[name]?.record.max_size ?? null,
    quota_held_over_bytes: cleanup.lastQuotas.get(name)?.heldOver ?? 0,
    forecast: forecast.cameras[name] ?? null,
  };
}

export function statusRoutes(deps: ApiDeps) {
  const { config, stats, totals, health, cleanup, startedAtMs } = deps;
  return new Hono().get("/", (c) => {
    const now = Date.now() / 1000;
    const forecast = deps.forecast.get();
    const cameras = Object.fromEntries(
      knownCameras(deps).map((name) => [name, cameraStatus(deps, name, now, forecast)]),
    );
    const { space, reasons } = health.snapshot();
    return c.json({
      version: VERSION,
      uptime_s: Math.round(now - startedAtMs / 1000),
      health: { status: reasons.length ? "unhealthy" : "ok", reasons },
      cameras,
      storage: {
        path: config.recordingsDir,
        bytes_kept: totals.bytes,
        volume_total_bytes: space.total,
        volume_free_bytes: space.free,
        min_free_bytes: space.minFree,
        bandwidth_bytes_per_s: Math.round(space.bandwidth),
        available: stats.storageAvailable,
        storing_halted: cleanup.storingHalted,
        forecast: forecast.storage,
      },
      maintainer: {
        passes: stats.passes,
        last_pass_end: stats.lastPassEnd === undefined ? null : stats.lastPassEnd / 1000,
        last_pass_ms: Math.round(stats.lastPassMs),
      },
      expiry: {
        last_run: cleanup.lastExpiry
          ? {
              at: cleanup.lastExpiry.startedAt,
              duration_ms: Math.round(cleanup.lastExpiry.durationMs),
              recordings: cleanup.lastExpiry.recordings,
              events: cleanup.lastExpiry.eventsExpired,
              leftover_files: cleanup.lastExpiry.leftoverFiles,
            }
          : null,
        runs: cleanup.counters.expiryRuns,
        skipped: cleanup.counters.skipped,
      },
      disk_protection: cleanup.lastDisk
        ? {
            deleted: cleanup.counters.diskDeleted,
            freed_bytes: cleanup.counters.diskFreedBytes,
            last_free_after: cleanup.lastDisk.freeAfter,
            last_by_rule: cleanup.lastDisk.byHold,
          }
        : null,
      tiers: deps.tiers.status().map((t) => {
        const { name: _, ...days } = forecast.tiers.find((f) => f.name === t.name) ?? {
          name: t.name,
          bytes_per_day: { last_day: null, last_week: null },
          free_bytes: null,
          days_until_full: { last_day: null, last_week: null },
        };
        return { ...t, forecast: days };
      }),
      archive: deps.archive.status(),
      viewer: deps.viewer ? { sites: deps.viewer.sites() } : null,
      https: deps.https ?? null,
      evidence: {
        unhashed: deps.hashing.left(),
        seals_made: deps.sealer.made,
        scrub: {
          last_run_ended: deps.scrub.lastRunEnded ?? null,
          checked: deps.scrub.total.checked,
          damaged: deps.scrub.total.mismatches,
          repaired: deps.scrub.total.repaired,
          quarantined: deps.scrub.total.quarantined,
          found: deps.scrub.total.found,
        },
      },
      mqtt: deps.mqtt
        ? {
            state: deps.mqtt.state.connected ? "connected" : "disconnected",
            since: deps.mqtt.state.since,
            received: deps.mqtt.state.received,
            rejected: deps.mqtt.state.rejected,
            client_id: deps.mqtt.state.clientId,
            topic_prefix: deps.mqtt.state.topicPrefix,
            problem: deps.mqtt.state.problem,
          }
        : null,
      event_loop: deps.eventLoop.status(),
      invalid_cache_files: stats.invalidCacheFiles,
      unknown_camera_segments: stats.unknownCameraSegments,
    });
  });
}
