import { connectionsTo, watchResources } from "./fixtures/resources.ts";
import { afterAll, afterEach, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Cleanup } from "../src/cleanup/scheduler.ts";
import type { Config } from "../src/config/load.ts";
import { openDb, type Db } from "../src/db/open.ts";
import { ArchiveTotals } from "../src/db/totals.ts";
import { LoopWatch } from "../src/health/event-loop.ts";
import { HealthMonitor } from "../src/health/monitor.ts";
import { ArchiveWriter } from "../src/archive/writer.ts";
import { identitySource } from "../src/evidence/identity.ts";
import { Forecaster } from "../src/health/forecast.ts";
import { ActivityStore } from "../src/keeper/activity.ts";
import { Maintainer } from "../src/keeper/maintainer.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { MqttBridge } from "../src/mqtt/bridge.ts";
import { OnvifWatch } from "../src/onvif/watch.ts";
import { Recorders } from "../src/recorder/supervisor.ts";
import { StorageGate } from "../src/storage/gate.ts";
import { claimVolume } from "../src/storage/volume.ts";
import { FootageLocator } from "../src/tiers/footage.ts";
import { openTiers } from "../src/tiers/open.ts";
import { TierWorker } from "../src/tiers/worker.ts";
import { TestCamera } from "./fixtures/onvif-camera.ts";
import { configIn, freePort, startS3, tempDir, until } from "./helpers.ts";

/**
 * One lifecycle for every long-lived part (docs/design.md#stopping): start() then stop() at once
 * resolves within a second, and leaves no timer, child process, thread or connection behind;
 * nothing comes back afterwards.
 */

interface Component {
  start(): unknown;
  stop(): Promise<unknown> | unknown;
}

const GRACE_MS = 1_500; // long enough for a reconnect, a retry or a backoff to show itself

const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.$client.close(true);
});

function database(config: Config): Db {
  const db = openDb(config.database);
  dbs.push(db);
  claimVolume(db, config.recordingsDir, 0);
  return db;
}

/** Starts `make()`'s component (optionally waits for `ready`), stops it, and checks what is left. */
async function startThenStop(
  make: () => Component,
  opts: { ready?: () => Promise<void>; ports?: number[] } = {},
): Promise<void> {
  const watch = watchResources();
  try {
    const c = make();
    await c.start();
    await opts.ready?.();
    const t0 = performance.now();
    await c.stop();
    expect(performance.now() - t0).toBeLessThan(1_000);
    await Bun.sleep(GRACE_MS);
    expect(watch.left()).toEqual({ timers: [], children: [], workerThreads: 0 });
    for (const port of opts.ports ?? []) expect(connectionsTo(port)).toBe(0);
  } finally {
    watch.end();
  }
}

/** A stand-in for ffmpeg that runs until a signal ends it. */
function fakeFfmpeg(dir: string): string {
  const path = join(dir, "ffmpeg");
  writeFileSync(path, "#!/bin/sh\nexec sleep 30\n");
  chmodSync(path, 0o755);
  return path;
}

describe("the watcher of leftovers", () => {
  test("sees a timer left pending, a child left running and a worker thread left alive", async () => {
    const watch = watchResources();
    const timer = setTimeout(() => {}, 60_000);
    const child = Bun.spawn(["sleep", "30"]);
    // (kept alive until terminated: a worker whose script ends exits by itself, and on a busy
    // machine it was gone before the first look)
    const worker = new Worker(
      URL.createObjectURL(new Blob(["postMessage(1); setInterval(() => {}, 60_000)"])),
    );
    await new Promise((r) => (worker.onmessage = r));
    await until(() => watch.left().workerThreads > 0, 5_000, "the worker thread seen");
    const left = watch.left();
    expect(left.timers).toHaveLength(1);
    expect(left.children).toEqual([child.pid]);
    clearTimeout(timer);
    child.kill();
    await child.exited;
    worker.terminate();
    await until(() => watch.left().workerThreads === 0, 5_000, "the worker thread to end");
    expect(watch.left()).toEqual({ timers: [], children: [], workerThreads: 0 });
    watch.end();
  });
});

describe("start() then stop() at once leaves nothing behind", () => {
  test("the keeper's pass loop", async () => {
    const config = configIn(tempDir(), "record: { scan_interval: 30 }\ncameras:\n  cam: {}\n");
    const db = database(config);
    const media = ffmpegEngine();
    await startThenStop(
      () =>
        new Maintainer({
          config,
          db,
          media,
          activity: new ActivityStore(),
          storage: new StorageGate(db, media, config.recordingsDir),
        }),
    );
  });

  test("a recorder whose ffmpeg runs", async () => {
    const dir = tempDir();
    const config = configIn(dir, "cameras:\n  cam:\n    input: rtsp://127.0.0.1:9/stream\n");
    let recorders: Recorders | undefined;
    await startThenStop(() => (recorders = new Recorders(config, { ffmpeg: fakeFfmpeg(dir) })), {
      ready: () => until(() => recorders!.status("cam")?.pid != null, 5_000, "ffmpeg to start"),
    });
  });

  test("a recorder waiting for the camera's stream address over ONVIF: stopped, it starts no ffmpeg afterwards", async () => {
    const dir = tempDir();
    // A camera that takes the call and never answers it.
    const silent = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      idleTimeout: 0,
      fetch: () => new Promise(() => {}),
    });
    try {
      const config = configIn(
        dir,
        `cameras:\n  cam:\n    onvif: { host: 127.0.0.1, port: ${silent.port}, user: admin, password: x, stream: main }\n`,
      );
      let asked = false;
      await startThenStop(() => new Recorders(config, { ffmpeg: fakeFfmpeg(dir) }), {
        ready: async () => {
          await until(() => connectionsTo(silent.port!) > 0, 5_000, "the recorder to ask the camera");
          asked = true;
        },
        ports: [silent.port!],
      });
      expect(asked).toBe(true);
    } finally {
      silent.stop(true);
    }
  });

  test("the MQTT bridge, stopped while it connects and once connected: it never connects again", async () => {
    const port = freePort();
    const conf = join(tempDir(), "mosquitto.conf");
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
    const broker = Bun.spawn(["mosquitto", "-c", conf], { stdout: "ignore", stderr: "ignore" });
    try {
      await until(async () => (await tcpOpen(port)) === true, 5_000, "mosquitto to listen");
      const config = configIn(
        tempDir(),
        `mqtt: { host: 127.0.0.1, port: ${port}, client_id: lifecycle }\ncameras:\n  cam: {}\n`,
      );
      const db = database(config);
      const bridge = () => {
        const media = ffmpegEngine();
        const storage = new StorageGate(db, media, config.recordingsDir);
        const maintainer = new Maintainer({ config, db, media, activity: new ActivityStore(), storage });
        const totals = new ArchiveTotals(db);
        const health = new HealthMonitor({
          config,
          db,
          stats: maintainer.stats,
          storage,
          clock: () => ({ sane: true }),
          startedAtMs: Date.now(),
          stalledCameras: () => 0,
        });
        return new MqttBridge({
          config,
          db,
          activity: new ActivityStore(),
          totals,
          health,
          recording: () => false,
          footage: new FootageLocator(config.recordingsDir, new Map()),
          forecast: new Forecaster({ db, config, totals, space: () => health.snapshot().space }),
        });
      };
      await startThenStop(bridge, { ports: [port] });
      let connected: MqttBridge | undefined;
      await startThenStop(() => (connected = bridge()), {
        ready: () => until(() => connected!.state.connected, 5_000, "the bridge to connect"),
        ports: [port],
      });
    } finally {
      broker.kill("SIGKILL");
    }
  });

  test("the ONVIF watch, stopped while it asks a camera that does not answer", async () => {
    const camera = new TestCamera({ user: "admin", password: "secret" });
    camera.mode = "hang";
    try {
      const config = configIn(
        tempDir(),
        `cameras:\n  cam:\n    onvif: { host: 127.0.0.1, port: ${camera.port}, user: admin, password: secret }\n`,
      );
      const db = database(config);
      await startThenStop(
        () => new OnvifWatch(Object.values(config.cameras), { db, activity: new ActivityStore() }),
        {
          ready: () => until(() => camera.counts.calls > 0, 5_000, "the watch to call the camera"),
          ports: [camera.port],
        },
      );
    } finally {
      camera.stop();
    }
  });

  test("the tier worker, its start-up comparison with the index under way", async () => {
    const dir = tempDir();
    const config = configIn(
      dir,
      `cameras:\n  cam: {}\nstorage:\n  tiers:\n    - { name: nas, path: ${dir}/nas, after: 1d }\n`,
    );
    const db = database(config);
    await startThenStop(() => new TierWorker({ config, db, targets: openTiers(config.storage.tiers, db) }));
  });

  test("the archive writer, a bucket's documents under way (s3rver)", async () => {
    const s3 = await startS3("lifecycle");
    try {
      const dir = tempDir();
      const config = configIn(
        dir,
        `cameras:\n  cam: {}\nstorage:\n  tiers:\n    - { name: offsite, s3: { endpoint: "${s3.endpoint}", bucket: lifecycle, access_key_id: S3RVER, secret_access_key: S3RVER }, copy: true }\n`,
      );
      const db = database(config);
      const targets = openTiers(config.storage.tiers, db);
      // (no count of connections to the store: Bun's fetch keeps its own pool of them)
      await startThenStop(() => new ArchiveWriter({ config, db, targets, identity: identitySource(config) }));
    } finally {
      await s3.kill();
    }
  });

  test("the cleanup scheduler", async () => {
    const config = configIn(tempDir(), "record: { max_size: 1GB }\ncameras:\n  cam: {}\n");
    const db = database(config);
    await startThenStop(
      () =>
        new Cleanup({
          config,
          db,
          storageProblem: () => undefined,
          clock: () => ({ sane: true }),
          space: () => ({ total: 1e12, free: 1e12, bandwidth: 0, minFree: 0 }),
          schedules: { expiry: { everySeconds: 1 }, disk: { everySeconds: 1 }, clips: { everySeconds: 1 } },
        }),
    );
  });

  test("the event-loop watchdog, stopped before its thread answered", async () => {
    const dir = tempDir();
    let started: Promise<void> | undefined;
    await startThenStop(() => {
      const w = new LoopWatch(60, join(dir, "stall.json"));
      return {
        start: () => void (started = w.start()),
        stop: async () => {
          w.stop();
          await started; // start() ends too, at once
        },
      };
    });
  });
});

afterAll(() => {
  for (const db of dbs.splice(0)) db.$client.close(true);
});

async function tcpOpen(port: number): Promise<boolean> {
  try {
    const s = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    s.end();
    return true;
  } catch {
    return false;
  }
}
