import type { Subprocess } from "bun";
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config, RecorderConfig } from "../config/load.ts";
import { logger } from "../log/log.ts";
import { redact } from "../log/redact.ts";
import { streamAddress } from "../onvif/stream.ts";
import { recorderArgs, watchdogSeconds } from "./args.ts";
import { problemOf } from "./problem.ts";
import { StallWatch } from "./stall-watch.ts";
import { reapStray } from "./stray.ts";
import { type Clocks, realClocks } from "../time/clocks.ts";
import { sleep } from "../time/sleep.ts";
import { parseSegmentName } from "../keeper/segment-name.ts";

// Recorders: one ffmpeg per camera with an input, restarted with backoff; the watchdog that sees a
// stall is stall-watch.ts, the ending of a recorder an earlier camkeep left running stray.ts.

const log = logger("recorder");

export const BACKOFF_MIN_MS = 1_000;
export const BACKOFF_MAX_MS = 60_000;
/** Runs of a camera's ONVIF stream address before it is asked again. */
const ASK_AGAIN_AFTER = 3;
/** A recorder that ran this long was healthy: its next restart starts from the shortest backoff. */
export const HEALTHY_RUN_MS = 60_000;
/** How long ffmpeg gets after SIGINT to close its last segment before it is killed. */
export const STOP_TIMEOUT_MS = 10_000;

export interface RecorderStatus {
  camera: string;
  state: "recording" | "waiting to restart" | "stopped";
  /** The input, credentials hidden. */
  input: string;
  pid: number | null;
  restarts: number;
  /** Times the watchdog found no new segment for too long and restarted it. */
  stalls: number;
  /** No new segment written for longer than the watchdog allows, right now. */
  stalled: boolean;
  lastExit: { code: number | null; signal: string | null; at: number } | null;
  /** ffmpeg's last line (credentials hidden). */
  lastMessage: string | null;
  /** Its ffmpeg runs and has written a segment since it started: the camera answers. */
  connected: boolean;
  /** Since when it is stalled (epoch s), while it is. */
  stalledSince: number | null;
  /** Restarts (after exits and stalls) in the last hour. */
  restartsLastHour: number;
  /** What is wrong, in plain words, from ffmpeg's last error that meant something (docs/recorders.md); null once it records again. */
  problem: string | null;
}

export interface RecorderOptions {
  ffmpeg?: string;
  /** Folder for the recorders' pid files (default: <cache>/../run). */
  runDir?: string;
  /** Override the watchdog limit (tests); default max(120 s, 2 × segment_time + 30 s). */
  watchdogMs?: number;
  /** The clocks its waits and times are on (docs/design.md#time); real unless a test simulates them. */
  clocks?: Clocks;
}

/** One camera's ffmpeg, kept running: restarted with exponential backoff, watched for stalls. */
export class Recorder {
  private child?: Subprocess<"ignore", "ignore", "pipe">;
  /** Aborted by stop(): every wait of the run loop ends at once, and nothing starts after it. */
  private readonly life = new AbortController();
  private backoffMs = BACKOFF_MIN_MS;
  private startedAt = 0;
  private firstStartedAt = 0;
  private loop?: Promise<void>;
  private watchdog?: ReturnType<typeof setInterval>;
  private readonly watch: StallWatch;
  /** What status() reads; only the run loop, ffmpeg's output and the watchdog's timer write it. */
  private readonly current: Omit<RecorderStatus, "stalls" | "stalled" | "stalledSince" | "restartsLastHour">;
  private streamInput?: string;
  /** When it restarted, for the last hour's count (bounded: at most one a second). */
  private readonly restartTimes: number[] = [];
  private runsSinceAsked = 0;
  private readonly clocks: Clocks;

  constructor(
    readonly camera: string,
    private readonly rec: RecorderConfig,
    private readonly cacheDir: string,
    private readonly opts: RecorderOptions = {},
  ) {
    this.clocks = opts.clocks ?? realClocks;
    this.watch = new StallWatch(camera, cacheDir, opts.watchdogMs ?? watchdogSeconds(rec.segmentTime) * 1000);
    this.current = {
      camera,
      state: "stopped",
      input: rec.onvif ? `(the camera's ${rec.onvif.stream} stream, asked over ONVIF)` : redact(rec.input),
      pid: null,
      restarts: 0,
      lastExit: null,
      lastMessage: null,
      connected: false,
      problem: null,
    };
  }

  start(): void {
    if (this.stopping) return;
    mkdirSync(this.cacheDir, { recursive: true });
    this.loop ??= this.run();
    this.watchdog ??= setInterval(() => this.checkStall(), this.watch.everyMs);
  }

  /** SIGINT so ffmpeg closes its last segment as a valid file; SIGKILL if it does not in time. */
  async stop(timeoutMs = STOP_TIMEOUT_MS): Promise<void> {
    this.life.abort();
    clearInterval(this.watchdog);
    const child = this.child;
    if (child && child.exitCode === null && !child.killed) {
      child.kill("SIGINT");
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
      await child.exited;
      clearTimeout(timer);
    }
    await this.loop;
  }

  private get stopping(): boolean {
    return this.life.signal.aborted;
  }

  /** True while its ffmpeg runs: the camera's newest segment is then being written. */
  isRunning(): boolean {
    return this.current.state === "recording";
  }

  isStalled(): boolean {
    return this.watch.stalled;
  }

  /** How the recorder is, as the watchdog last saw it: a read, nothing changed. */
  status(): RecorderStatus {
    const hourAgo = this.nowMs() - 3_600_000;
    return {
      ...this.current,
      stalls: this.watch.stalls,
      stalled: this.watch.stalled,
      stalledSince: this.watch.stalledSince,
      restartsLastHour: this.restartTimes.filter((t) => t >= hourAgo).length,
    };
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const input = await this.input();
      if (this.stopping) break;
      if (input === undefined) {
        await this.backoff();
        continue;
      }
      const argv = recorderArgs(this.camera, { ...this.rec, input }, this.cacheDir, this.opts.ffmpeg);
      this.startedAt = this.nowMs();
      this.firstStartedAt ||= this.startedAt;
      await reapStray(this.camera, this.pidFile(), argv.at(-1)!, STOP_TIMEOUT_MS, this.life.signal);
      await this.pastLastSegment();
      // stop() may have come during either wait: it found no child to signal, so none may start.
      if (this.stopping) break;
      try {
        // Its own session: a Ctrl-C or a signal to camkeep's process group does not reach it,
        // so it gets exactly one SIGINT from stop() and closes its last segment properly
        // (a second signal makes ffmpeg abandon the file).
        this.child = Bun.spawn(argv, {
          stdin: "ignore",
          stdout: "ignore",
          stderr: "pipe",
          env: { ...process.env, TZ: "UTC" },
          detached: true,
        });
        writeFileSync(this.pidFile(), String(this.child.pid));
      } catch (e) {
        this.current.lastMessage = redact((e as Error).message);
        log.error(`${this.camera}: cannot start ffmpeg: ${this.current.lastMessage}`);
        await this.backoff();
        continue;
      }
      this.current.state = "recording";
      this.current.pid = this.child.pid;
      log.info(`${this.camera}: recording ${this.current.input} (pid ${this.child.pid})`);
      void this.relay(this.child.stderr);
      const code = await this.child.exited;
      const signal = this.child.signalCode === null ? null : String(this.child.signalCode);
      this.current.lastExit = { code: signal ? null : code, signal, at: this.nowMs() / 1000 };
      this.current.pid = null;
      rmSync(this.pidFile(), { force: true });
      if (this.stopping) break;
      log.warn(
        `${this.camera}: ffmpeg exited (${signal ?? `code ${code}`}); restarting in ${this.nextDelayMs() / 1000} s`,
      );
      this.current.restarts++;
      this.current.connected = false;
      const now = this.nowMs();
      this.restartTimes.push(now);
      while (this.restartTimes[0]! < now - 3_600_000) this.restartTimes.shift();
      await this.backoff();
    }
    this.current.state = "stopped";
  }

  /**
   * What ffmpeg reads: the configured input, or the camera's own stream address, asked over
   * ONVIF at the first start and again after ASK_AGAIN_AFTER failed runs (a camera's address
   * may change with a firmware update or a new profile). Undefined when it cannot be asked now.
   */
  private async input(): Promise<string | undefined> {
    const o = this.rec.onvif;
    if (!o) return this.rec.input;
    if (this.streamInput !== undefined && this.runsSinceAsked < ASK_AGAIN_AFTER) {
      this.runsSinceAsked++;
      return this.streamInput;
    }
    try {
      this.streamInput = await streamAddress(o, this.life.signal);
      this.runsSinceAsked = 1;
      this.current.input = redact(this.streamInput);
      return this.streamInput;
    } catch (e) {
      if (this.stopping) return undefined;
      this.current.lastMessage = `ONVIF: ${redact((e as Error).message)}`;
      log.warn(
        `${this.camera}: cannot ask the camera for its ${o.stream} stream: ${this.current.lastMessage}`,
      );
      return this.streamInput; // the last address known, if any
    }
  }

  private pidFile(): string {
    return join(this.opts.runDir ?? join(this.cacheDir, "..", "run"), `recorder-${this.camera}.pid`);
  }

  /**
   * ffmpeg names a segment by the second it starts, and opens that name for writing: a run that
   * starts within the second of the camera's newest segment in the cache (a stray recorder just
   * ended, a quick restart) would write over it. Waits for the next second of the real clock (the
   * names' clock), a little over a second at most.
   */
  private async pastLastSegment(): Promise<void> {
    let newest = Number.NEGATIVE_INFINITY;
    for (const name of readdirSync(this.cacheDir)) {
      const parsed = parseSegmentName(name);
      if (parsed.kind === "segment" && parsed.camera === this.camera)
        newest = Math.max(newest, parsed.wallMs);
    }
    const wait = newest + 1000 - Date.now();
    if (wait > 0) await sleep(Math.min(wait, 1000) + 20, this.life.signal);
  }

  private nowMs(): number {
    return this.clocks.now() * 1000;
  }

  private nextDelayMs(): number {
    return this.nowMs() - this.startedAt >= HEALTHY_RUN_MS ? BACKOFF_MIN_MS : this.backoffMs;
  }

  private async backoff(): Promise<void> {
    const delay = this.nextDelayMs();
    this.backoffMs = Math.min(delay * 2, BACKOFF_MAX_MS);
    this.current.state = "waiting to restart";
    await this.clocks.sleep(delay, this.life.signal);
  }

  /** ffmpeg's stderr, line by line, into the log with the camera's name and no credentials. */
  private async relay(stream: ReadableStream<Uint8Array>): Promise<void> {
    let pending = "";
    const decoder = new TextDecoder();
    for await (const bytes of stream) {
      const lines = (pending + decoder.decode(bytes, { stream: true })).split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const line of lines) this.logFfmpeg(line);
    }
    this.logFfmpeg(pending);
  }

  private logFfmpeg(line: string): void {
    if (!line.trim()) return;
    this.current.lastMessage = redact(line.trim()).slice(0, 500);
    this.current.problem = problemOf(line) ?? this.current.problem;
    log.warn(`${this.camera}: ffmpeg: ${this.current.lastMessage}`);
  }

  /**
   * The watchdog's look (stall-watch.ts), on its timer: the camera answers once its ffmpeg has
   * written since it started (what was wrong is then over); a running ffmpeg gone too long without
   * writing is restarted.
   */
  private checkStall(): void {
    if (this.stopping) return;
    const now = this.nowMs();
    const running = this.current.state === "recording";
    const restart = this.watch.look(now, this.firstStartedAt, this.startedAt, running);
    this.current.connected = running && this.watch.newest >= this.startedAt;
    if (this.current.connected) this.current.problem = null;
    if (!restart) return;
    log.error(
      `${this.camera}: stalled — no new segment for ${Math.round(this.watch.idleMs(now, this.startedAt) / 1000)} s; restarting the recorder`,
    );
    this.child?.kill("SIGKILL");
  }
}

/** The recorders of every camera with an `input` and recording enabled. */
export class Recorders {
  private readonly byCamera = new Map<string, Recorder>();

  constructor(config: Config, opts: RecorderOptions = {}) {
    for (const cam of Object.values(config.cameras)) {
      if (cam.recorder && cam.record.enabled)
        this.byCamera.set(cam.name, new Recorder(cam.name, cam.recorder, config.cacheDir, opts));
    }
  }

  start(): void {
    for (const r of this.byCamera.values()) r.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.byCamera.values()].map((r) => r.stop()));
  }

  isRunning(camera: string): boolean {
    return this.byCamera.get(camera)?.isRunning() ?? false;
  }

  status(camera: string): RecorderStatus | undefined {
    return this.byCamera.get(camera)?.status();
  }

  all(): RecorderStatus[] {
    return [...this.byCamera.values()].map((r) => r.status());
  }

  /** For the health checks, on their timer: from the watchdog's own flag, without reading the cache. */
  stalledCount(): number {
    return [...this.byCamera.values()].filter((r) => r.isStalled()).length;
  }
}
