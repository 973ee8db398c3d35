import type { Config } from "../config/load.ts";
import type { Db } from "../db/open.ts";
import {
  appendSeal,
  camerasWithFootage,
  firstRecordingStart,
  lateSegments,
  type LateSegment,
  sealedSegmentsBetween,
  sealHead,
  unhashedBetween,
} from "../db/seals.ts";
import { logger } from "../log/log.ts";
import { sleep } from "../time/sleep.ts";
import type { IdentitySource } from "./identity.ts";
import { type SealBody, sealHash, sealText, signSeal } from "./seal.ts";

// The sealer (docs/evidence.md#sealed-hours): every minute, each camera-hour that can no longer
// change is sealed, in order, and segments stored late into sealed hours get their amendment.

const log = logger("evidence");
const HOUR = 3600;
/** Seals made per camera and pass at most: an archive older than sealing catches up over passes. */
const HOURS_PER_PASS = 24;
const LATE_PER_PASS = 500;
/** Time after an hour's end beyond the commit interval and the camera's latency before it is sealed. */
const MARGIN = 60;
const EVERY_MS = 60_000;

export interface SealerDeps {
  db: Db;
  config: Pick<Config, "record" | "cameras" | "defaults">;
  identity: IdentitySource;
  /** Segments still waiting for their hash (older footage): an hour holding one waits while it runs. */
  hashingLeft: () => number;
}

export class Sealer {
  private readonly abort = new AbortController();
  private running?: Promise<void>;
  /** Seals made since start (hours and amendments). */
  made = 0;

  constructor(private readonly deps: SealerDeps) {}

  start(): void {
    if (this.abort.signal.aborted || this.running) return;
    this.running = (async () => {
      const signal = this.abort.signal;
      // The first pass a minute after start: a keeper started for a moment makes no key.
      for (await sleep(EVERY_MS, signal); !signal.aborted; await sleep(EVERY_MS, signal)) {
        try {
          await this.pass(Date.now() / 1000);
        } catch (e) {
          log.error(`sealing failed (tried again in a minute): ${(e as Error).message}`);
        }
      }
    })();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  /** One pass at `now` (epoch seconds): the hours due, then the amendments. */
  async pass(now: number): Promise<void> {
    const { db, config } = this.deps;
    const configured = Object.keys(config.cameras);
    const cameras = [...new Set([...configured, ...camerasWithFootage(db)])];
    // Asked once a pass: a count over what is still unhashed, which is large while an upgraded
    // archive is being hashed.
    const hashing = this.deps.hashingLeft() > 0;
    for (const camera of cameras) {
      const latency = (config.cameras[camera]?.record ?? config.defaults).max_latency;
      const due = Math.floor((now - config.record.commit_interval - latency - MARGIN) / HOUR) * HOUR;
      const head = sealHead(db, camera);
      const first = head?.sealed_until ?? firstRecordingStart(db, camera);
      if (first === undefined) continue;
      let hour = Math.floor(first / HOUR) * HOUR;
      for (let n = 0; hour < due && n < HOURS_PER_PASS; n++, hour += HOUR) {
        if (hashing && unhashedBetween(db, camera, hour, hour + HOUR)) break;
        await this.seal(camera, hour, "hour", sealedSegmentsBetween(db, camera, hour, hour + HOUR), []);
      }
    }
    const late = lateSegments(db, LATE_PER_PASS);
    const byHour = new Map<string, LateSegment[]>();
    for (const s of late) {
      const key = `${s.camera}\n${Math.floor(s.start_time / HOUR) * HOUR}`;
      const rows = byHour.get(key);
      if (rows) rows.push(s);
      else byHour.set(key, [s]);
    }
    for (const [key, rows] of byHour) {
      const [camera, hour] = key.split("\n") as [string, string];
      await this.seal(
        camera,
        Number(hour),
        "amendment",
        rows.map((r) => [r.start_time, r.end_time, r.segment_size, r.sha256]),
        rows.map((r) => r.id),
      );
    }
  }

  private async seal(
    camera: string,
    hour: number,
    kind: SealBody["kind"],
    segments: SealBody["segments"],
    amends: string[],
  ): Promise<void> {
    const { db } = this.deps;
    const identity = await this.deps.identity();
    const text = sealText({
      v: 1,
      camera,
      hour: new Date(hour * 1000).toISOString(),
      kind,
      previous: sealHead(db, camera)?.last_hash ?? null,
      made_at: new Date().toISOString(),
      certificate_sha256: identity.fingerprint,
      segments,
    });
    appendSeal(
      db,
      { camera, hour, body: text, hash: sealHash(text), signature: signSeal(text, identity.key) },
      kind === "hour" ? hour + HOUR : undefined,
      amends,
    );
    this.made++;
  }
}
