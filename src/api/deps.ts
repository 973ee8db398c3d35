import type { Cleanup } from "../cleanup/scheduler.ts";
import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import type { ArchiveTotals } from "../db/totals.ts";
import type { EventLoopStatus } from "../health/event-loop.ts";
import type { HealthMonitor } from "../health/monitor.ts";
import type { MediaEngine } from "../media/engine.ts";
import type { MediaCounters } from "../media/native.ts";
import type { ActivityStore } from "../keeper/activity.ts";
import type { LoginGuard } from "./login-guard.ts";
import type { Clocks } from "../time/clocks.ts";
import type { MaintainerStats } from "../keeper/stats.ts";
import type { Recorders } from "../recorder/supervisor.ts";
import type { OnvifWatch } from "../onvif/watch.ts";
import type { PlaybackMedia } from "../playback/media.ts";
import type { Previews } from "../playback/previews.ts";
import type { IdentitySource } from "../evidence/identity.ts";
import type { ScrubReport } from "../evidence/scrub.ts";
import type { ArchiveStatus } from "../archive/writer.ts";
import type { Forecast } from "../health/forecast.ts";
import type { SiteStatus } from "../archive/sites.ts";
import type { AuditLog } from "../evidence/audit-log.ts";
import type { FootageLocator } from "../tiers/footage.ts";
import type { TierWorker } from "../tiers/worker.ts";

/** What the HTTP API reads and feeds: the running keeper's parts. */
export interface ApiDeps {
  config: Config;
  db: Db;
  activity: ActivityStore;
  stats: MaintainerStats;
  totals: ArchiveTotals;
  health: HealthMonitor;
  cleanup: Cleanup;
  recorders: Recorders;
  media: MediaEngine & { counters?: MediaCounters };
  token: string;
  startedAtMs: number;
  loginGuard: LoginGuard;
  /** The clocks of every part (docs/design.md#time). */
  clocks: Clocks;
  /** Where each recording's footage is read from, whichever tier holds it. */
  footage: FootageLocator;
  /** Stored segments' media as playback needs it (tracks, init segments). */
  playback: PlaybackMedia;
  /** Preview pictures of stored segments, made when first asked. */
  previews: Previews;
  /** The storage tiers' worker (docs/tiers.md): queues and counters for status, metrics and health. */
  tiers: TierWorker;
  /** The event loop's lag and the watchdog that sees it. */
  eventLoop: { status(): EventLoopStatus };
  /** Present in viewer mode (docs/archive.md#viewer-mode): the sites followed, and how each is. */
  viewer?: { sites(): SiteStatus[] };
  /** HTTPS in use (docs/security.md#https): the certificate's SHA-256; absent for plain HTTP. */
  https?: { fingerprint: string; self_signed: boolean };
  /** Days left (docs/storage.md#days-left): how fast each camera fills storage, and what that leaves. */
  forecast: { get(): Forecast };
  /** The bucket's archive (docs/archive.md): what its writer has done and has left. */
  archive: { status(): ArchiveStatus };
  /** The cameras' own events over ONVIF (docs/onvif.md). */
  onvif: OnvifWatch;
  /** Present when MQTT is configured: its state for status and metrics. */
  mqtt?: { state: MqttStatus };
  /** The box's signing key and certificate (docs/evidence.md), made when first needed. */
  identity: IdentitySource;
  /** Older footage being hashed in the background: how many segments are left. */
  hashing: { left(): number };
  /** Seals made since start. */
  sealer: { made: number };
  /** The audit log (docs/evidence.md#the-audit-log). */
  audit: AuditLog;
  /** The scrub: what it found since start (docs/evidence.md#the-scrub). */
  scrub: { total: ScrubReport; lastRunEnded?: number };
}

/** What status and metrics show of the MQTT connection (kept here: MQTT builds on the API's schemas). */
export interface MqttStatus {
  connected: boolean;
  since: number; // epoch s
  received: number;
  rejected: Record<string, number>;
  /** The client id and topic prefix in use (configured, or this box's own). */
  clientId: string;
  topicPrefix: string;
  /** What is wrong with the connection, in plain words (another client with the same id), or null. */
  problem: string | null;
}
