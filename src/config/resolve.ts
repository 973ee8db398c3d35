import { resolve } from "node:path";
import { parsePolygon, type Polygon } from "../domain/geometry.ts";
import { effectiveRetention, shapeOf } from "./retention.ts";
import type { MotionConfig, ParsedConfig, RecordConfig } from "./schema.ts";
import { parseMinFree, parseSize, type MinFree } from "./size.ts";
import { resolveTiers, type TierConfig } from "./tiers.ts";
import {
  ConfigError,
  type CameraConfig,
  type CameraMotion,
  type CameraRecord,
  type Config,
} from "./types.ts";

/** A validated configuration made effective: paths absolute (relative to `baseDir`), cameras merged with the global settings. */
export function resolveConfig(c: ParsedConfig, source: string, baseDir: string): Config {
  const dataDir = resolve(baseDir, c.data_dir);
  const inData = (given: string | undefined, name: string) =>
    given === undefined ? resolve(dataDir, name) : resolve(baseDir, given);
  const problems: string[] = [];

  const [host, port] = splitListen(c.api.listen);
  let minFree: MinFree = { kind: "auto" };
  try {
    minFree = parseMinFree(c.storage.min_free);
  } catch (e) {
    problems.push(`storage.min_free: ${(e as Error).message}`);
  }
  problems.push(...shapeProblems(c));
  const recordingsDir = inData(c.recordings_dir, "recordings");
  const tiers = resolveTiers(c.storage.tiers, baseDir, recordingsDir);
  problems.push(...tiers.problems);
  for (const [name, cam] of Object.entries(c.cameras)) {
    const o = cam?.onvif;
    if (o?.stream && cam?.input !== undefined)
      problems.push(`cameras.${name}: give either input or onvif.stream (the camera's own stream), not both`);
    if (o && o.password !== undefined && o.password_file !== undefined)
      problems.push(`cameras.${name}.onvif: give either password or password_file, not both`);
  }
  const ev = c.evidence;
  if ((ev.key_file === undefined) !== (ev.cert_file === undefined))
    problems.push(
      "evidence: give both key_file and cert_file (your own key and its certificate), or neither",
    );
  problems.push(...viewerProblems(c, tiers.tiers));
  if (c.api.http_redirect !== undefined && c.api.tls === undefined)
    problems.push("api.http_redirect: redirects to HTTPS, so it needs api.tls");
  if (problems.length) throw new ConfigError(source, problems);

  const cameras: Record<string, CameraConfig> = {};
  for (const [name, cam] of Object.entries(c.cameras)) {
    const own = cam ?? { segment_time: 10, input_args: [], output_args: [] };
    const onvif = own.onvif && {
      host: own.onvif.host,
      port: own.onvif.port,
      user: own.onvif.user,
      password: own.onvif.password,
      passwordFile: own.onvif.password_file && resolve(baseDir, own.onvif.password_file),
      events: own.onvif.events,
      stream: own.onvif.stream,
    };
    const stream = onvif?.stream;
    cameras[name] = {
      name,
      recorder:
        own.input === undefined && !stream
          ? undefined
          : {
              input: own.input ?? "",
              onvif: onvif && stream ? { ...onvif, stream } : undefined,
              segmentTime: own.segment_time,
              inputArgs: own.input_args,
              outputArgs: own.output_args,
            },
      record: mergeRecord(c.record, own.record ?? {}),
      motion: mergeMotion(c.motion, own.motion ?? {}),
      onvif,
    };
  }
  return {
    source,
    dataDir,
    cacheDir: inData(c.cache_dir, "cache"),
    recordingsDir,
    database: inData(c.database, "camkeep.db"),
    log: c.log,
    api: {
      host,
      port,
      token: c.api.token,
      tokenFile: inData(c.api.token_file, "api-token"),
      allowedHosts: c.api.allowed_hosts,
      maxExports: c.api.max_exports,
      exportStallTimeout: c.api.export_stall_timeout,
      tls:
        c.api.tls === undefined
          ? undefined
          : c.api.tls === "self-signed"
            ? {
                certFile: inData(undefined, "tls/cert.pem"),
                keyFile: inData(undefined, "tls/key.pem"),
                selfSigned: true,
              }
            : {
                certFile: resolve(baseDir, c.api.tls.cert_file),
                keyFile: resolve(baseDir, c.api.tls.key_file),
                selfSigned: false,
              },
      httpRedirect:
        c.api.http_redirect === undefined
          ? undefined
          : (([h, p]) => ({ host: h, port: p }))(splitListen(c.api.http_redirect)),
    },
    storage: { minFree, tiers: tiers.tiers },
    health: c.health,
    media: c.media,
    evidence: {
      keyFile: inData(ev.key_file, "evidence/box-key.pem"),
      certFile: inData(ev.cert_file, "evidence/box-cert.pem"),
      own: ev.key_file !== undefined,
      hashRate: parseSize(ev.hash_rate),
      scrubAt: ev.scrub_at,
      scrubRate: parseSize(ev.scrub_rate),
    },
    record: c.record,
    mqtt: c.mqtt && {
      ...c.mqtt,
      password_file: c.mqtt.password_file && resolve(baseDir, c.mqtt.password_file),
    },
    defaults: mergeRecord(c.record, {}),
    cameras,
    viewer: c.viewer && {
      refresh: c.viewer.refresh,
      sites: c.viewer.sites.map((site) => {
        const tier = tiers.tiers.find((t) => t.name === site.tier)!;
        const target = tier.target as Extract<TierConfig["target"], { kind: "s3" }>;
        return {
          name: site.name,
          tier: { ...tier, name: site.name, target: { ...target, prefix: site.prefix ?? target.prefix } },
        };
      }),
    },
  };
}

function mergeMotion(global: MotionConfig, own: Partial<MotionConfig>): CameraMotion {
  const merged = { ...global, ...Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined)) };
  const masks = typeof merged.mask === "string" ? [merged.mask] : merged.mask;
  return { ...merged, mask: masks.map((m) => parsePolygon(m) as Polygon) }; // validated by the schema
}

function splitListen(listen: string): [string, number] {
  const at = listen.lastIndexOf(":");
  const host = listen.slice(0, at).replace(/^\[(.*)\]$/, "$1");
  return [host, Number(listen.slice(at + 1))];
}

type CameraOverrides = NonNullable<NonNullable<ParsedConfig["cameras"][string]>["record"]>;

function mergeRecord(global: RecordConfig, own: CameraOverrides): CameraRecord {
  return {
    enabled: own.enabled ?? global.enabled,
    max_cache_segments: own.max_cache_segments ?? global.max_cache_segments,
    cache_timezone: own.cache_timezone ?? global.cache_timezone,
    max_latency: own.events?.max_latency ?? global.events?.max_latency ?? 60,
    max_event_length: own.events?.max_length ?? global.events?.max_length ?? 600,
    max_size: sizeInBytes(own.max_size ?? global.max_size),
    ...effectiveRetention(global, own),
  };
}

function sizeInBytes(size: string | number | undefined): number | undefined {
  if (size === undefined) return undefined;
  const parsed = parseMinFree(size); // the same units; the schema let no "auto" or "%" through
  return parsed.kind === "bytes" ? parsed.bytes : undefined;
}

/** Blocks that mix the reference's two shapes, named. */
function shapeProblems(c: ParsedConfig): string[] {
  const blocks: [string, CameraOverrides][] = [
    ["record", c.record],
    ...Object.entries(c.cameras).map(
      ([n, cam]) => [`cameras.${n}.record`, cam?.record ?? {}] as [string, CameraOverrides],
    ),
  ];
  return blocks.flatMap(([path, block]) => {
    const shape = shapeOf(block, path);
    return typeof shape === "object" ? [shape.problem] : [];
  });
}

/** What a viewer's sites name that is not there: a bucket tier each, one name each; no recorders beside them. */
function viewerProblems(c: ParsedConfig, tiers: readonly TierConfig[]): string[] {
  if (!c.viewer) return [];
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [i, site] of c.viewer.sites.entries()) {
    const tier = tiers.find((t) => t.name === site.tier);
    if (!tier) problems.push(`viewer.sites[${i}].tier: no tier "${site.tier}" in storage.tiers`);
    else if (tier.target.kind !== "s3")
      problems.push(
        `viewer.sites[${i}].tier: ${site.tier} is a folder; a site is read from a bucket (s3) tier`,
      );
    if (names.has(site.name)) problems.push(`viewer.sites[${i}].name: "${site.name}" is given twice`);
    names.add(site.name);
  }
  for (const [name, cam] of Object.entries(c.cameras))
    if (cam?.input !== undefined || cam?.onvif)
      problems.push(
        `cameras.${name}: a viewer records nothing (no input or onvif); its cameras come from the sites`,
      );
  return problems;
}
