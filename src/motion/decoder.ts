import type { Subprocess } from "bun";
import { logger } from "../log/log.ts";

// One long-lived ffmpeg per camera that decodes key frames to small gray pictures.

const log = logger("motion");

/** An access unit delimiter: tells the stream parser a frame is complete. */
const AUD = {
  h264: Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0),
  hevc: Uint8Array.of(0, 0, 0, 1, 0x46, 0x01, 0x50),
};
/** Most frames a decoder may hold back (reordering plus the parser's one); more means it is stuck. */
const MAX_DELAY = 8;
/** How long to wait for a frame while learning the decoder's delay. */
const SETTLE_MS = 300;

type Pending = { filler: boolean; resolve: (frame: Uint8Array | undefined) => void };

/**
 * One long-lived ffmpeg per camera that turns key frames (Annex-B, each with its parameter
 * sets) into small gray pictures: only decoding is left to ffmpeg, once per camera rather than
 * once per segment (a spawn costs more than decoding a segment's key frames). The loop filter
 * is skipped: motion does not need its polish.
 *
 * A decoder holds a few frames back (B-frame reordering, the parser waiting for the next
 * frame). Frames come out in the order they went in, so each output is matched to the oldest
 * frame still waiting; to get a segment's last frames out without waiting for the next
 * segment, copies of its last key frame follow it as fillers, whose pictures are dropped.
 * How many are needed is learnt on the first segment.
 */
export class KeyframeDecoder {
  private proc?: Subprocess<"pipe", "pipe", "pipe">;
  private waiting: Pending[] = [];
  private buffer = new Uint8Array(0);
  private delay?: number;
  readonly frameBytes: number;

  constructor(
    readonly codec: "h264" | "hevc",
    readonly width: number,
    readonly height: number,
    private readonly timeoutMs = 10_000,
  ) {
    this.frameBytes = width * height;
  }

  /** Gray pictures (width × height bytes each) of the key frames, in order; undefined when decoding failed. */
  async decode(keyframes: readonly Uint8Array[]): Promise<Uint8Array[] | undefined> {
    if (!keyframes.length) return [];
    const proc = this.start();
    const frames = keyframes.map(() => this.expect(false));
    for (const k of keyframes) proc.stdin.write(k);
    proc.stdin.write(AUD[this.codec]);
    // The cheapest key frame to decode again as a filler: the smallest.
    const filler = keyframes.reduce((a, b) => (b.length < a.length ? b : a));
    const sendFiller = () => {
      void this.expect(true);
      proc.stdin.write(filler);
      proc.stdin.write(AUD[this.codec]);
    };
    for (let i = 0; i < (this.delay ?? 0); i++) sendFiller();
    await proc.stdin.flush();
    // The first time (and should the decoder hold more than learnt), add fillers one at a
    // time until the segment's last frame is out.
    let added = 0;
    while (!(await settled(frames.at(-1)!, SETTLE_MS)) && (this.delay ?? 0) + added < MAX_DELAY) {
      sendFiller();
      await proc.stdin.flush();
      added++;
    }
    this.delay = (this.delay ?? 0) + added;
    const out = await Promise.race([
      Promise.all(frames),
      Bun.sleep(this.timeoutMs).then(() => "timeout" as const),
    ]);
    if (out === "timeout" || out.some((f) => f === undefined)) {
      log.warn(
        `${this.codec} decoder gave no picture for ${out === "timeout" ? `${this.timeoutMs} ms` : "some frames"}; restarting it`,
      );
      this.close();
      return undefined;
    }
    return out as Uint8Array[];
  }

  close(): void {
    this.proc?.kill("SIGKILL");
    this.proc = undefined;
    for (const p of this.waiting.splice(0)) p.resolve(undefined);
    this.buffer = new Uint8Array(0);
    this.delay = undefined;
  }

  private expect(filler: boolean): Promise<Uint8Array | undefined> {
    return new Promise((resolve) => this.waiting.push({ filler, resolve }));
  }

  private start() {
    if (this.proc) return this.proc;
    const proc = Bun.spawn(
      [
        "ffmpeg",
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-threads",
        "1",
        "-flags",
        "low_delay",
        "-skip_loop_filter",
        "all",
        "-probesize",
        "32",
        "-analyzeduration",
        "0",
        "-f",
        this.codec,
        "-i",
        "pipe:0",
        "-vf",
        `scale=${this.width}:${this.height}:flags=area,format=gray`,
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-flush_packets",
        "1",
        "pipe:1",
      ],
      // Its own session, like the recorders: a Ctrl-C to camkeep's group must not end it before
      // the last segments are judged at stop. It ends when camkeep closes it, or with its input.
      { stdin: "pipe", stdout: "pipe", stderr: "pipe", detached: true },
    );
    this.proc = proc;
    void this.readPictures(proc);
    void new Response(proc.stderr).text().then((text) => {
      if (text.trim()) log.debug(`${this.codec} decoder said: ${text.trim().slice(-500)}`);
    });
    void proc.exited.then(() => {
      if (this.proc === proc) this.close();
    });
    return proc;
  }

  private async readPictures(proc: Subprocess<"pipe", "pipe", "pipe">): Promise<void> {
    for await (const chunk of proc.stdout) {
      if (this.proc !== proc) return;
      const joined = new Uint8Array(this.buffer.length + chunk.length);
      joined.set(this.buffer);
      joined.set(chunk, this.buffer.length);
      let at = 0;
      for (; joined.length - at >= this.frameBytes; at += this.frameBytes) {
        const next = this.waiting.shift();
        if (!next) break; // a picture nobody waits for: the decoder is out of step
        next.resolve(next.filler ? undefined : joined.slice(at, at + this.frameBytes));
      }
      this.buffer = joined.slice(at);
    }
  }
}

/** Whether a promise settles within `ms`. */
async function settled(p: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([p.then(() => true), Bun.sleep(ms).then(() => false)]);
}
