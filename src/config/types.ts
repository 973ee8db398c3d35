import type { Polygon } from "../domain/geometry.ts";
import type { Retention } from "../domain/retain.ts";
import type { MotionConfig, ParsedConfig, RecordConfig } from "./schema.ts";
import type { MinFree } from "./size.ts";
import type { TierConfig } from "./tiers.ts";

// The effective configuration camkeep runs with, once loaded and resolved (load.ts).

/**
 * A camera's effective record settings: the global `record` with the camera's overrides, its
 * retention in camkeep's own terms (rules), whichever of the reference's shapes it came in.
 */
export interface CameraRecord extends Retention {
  enabled: boolean;
  max_cache_segments: number;
  cache_timezone: string;
  /** Seconds activity may lag behind the clock (record.events.max_latency). */
  max_latency: number;
  /** record.max_size in bytes: the camera's quota; undefined for none. */
  max_size?: number;
  /** Seconds after which an event its camera never ends is ended (record.events.max_length). */
  max_event_length: number;
}

/** A camera's ONVIF connection (docs/onvif.md). */
export interface OnvifConfig {
  host: string;
  port: number;
  user?: string;
  /** Given inline; otherwise read from passwordFile when the camera is first asked. */
  password?: string;
  passwordFile?: string;
  /** Subscribe to its events. */
  events: boolean;
  /** Record this profile's stream (when the camera has no `input`). */
  stream?: "main" | "sub";
}

export interface CameraConfig {
  name: string;
  /** Set when camkeep runs this camera's recorder. */
  recorder?: RecorderConfig;
  record: CameraRecord;
  motion: CameraMotion;
  onvif?: OnvifConfig;
}

/** A camera's effective motion settings (docs/motion.md), its mask parsed. */
export interface CameraMotion extends Omit<MotionConfig, "mask"> {
  mask: Polygon[];
}

export interface RecorderConfig {
  /** What ffmpeg reads; empty when it is asked of the camera (`onvif`). */
  input: string;
  /** The camera's own stream, asked over ONVIF at each start (docs/onvif.md). */
  onvif?: OnvifConfig & { stream: "main" | "sub" };
  segmentTime: number;
  inputArgs: string[];
  outputArgs: string[];
}

/** The effective configuration: every default filled, every path absolute. */
export interface Config {
  source: string; // the file it came from, or "built-in defaults"
  dataDir: string;
  cacheDir: string;
  recordingsDir: string;
  database: string;
  log: ParsedConfig["log"];
  api: {
    host: string;
    port: number;
    token?: string;
    tokenFile: string;
    allowedHosts: string[];
    maxExports: number;
    exportStallTimeout: number;
    /** HTTPS: the certificate and key files, made here at first start when `selfSigned`. */
    tls?: { certFile: string; keyFile: string; selfSigned: boolean };
    /** With tls: where plain HTTP is answered with a redirect to HTTPS (absent: plain HTTP gets no answer). */
    httpRedirect?: { host: string; port: number };
  };
  storage: { minFree: MinFree; tiers: TierConfig[] };
  health: ParsedConfig["health"];
  media: ParsedConfig["media"];
  evidence: {
    /** The signing key (PEM, mode 0600) and its certificate (PEM): made at first start unless `own`. */
    keyFile: string;
    certFile: string;
    /** The operator's own key and certificate (evidence.key_file, cert_file): never made or replaced. */
    own: boolean;
    /** Bytes per second the background hashing of older footage reads at most. */
    hashRate: number;
    /** When the scrub runs (cron, local time) and the bytes per second it reads at most. */
    scrubAt: string;
    scrubRate: number;
  };
  record: RecordConfig;
  mqtt?: ParsedConfig["mqtt"];
  /** The global record block's effective settings: what cameras no longer configured are kept by. */
  defaults: CameraRecord;
  cameras: Record<string, CameraConfig>;
  /** Viewer mode (docs/archive.md#viewer-mode): each site a bucket tier with its own prefix, named for the site. */
  viewer?: { refresh: number; sites: { name: string; tier: TierConfig }[] };
}

/** A configuration that cannot be used, with every problem named by its path. */
export class ConfigError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
}
