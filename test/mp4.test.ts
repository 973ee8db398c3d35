import { beforeAll, describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, statSync, writeSync } from "node:fs";
import { join } from "node:path";
import { childBoxes, type Box } from "../src/media/mp4/boxes.ts";
import { writeFaststart } from "../src/media/mp4/faststart.ts";
import { inspectMp4, NEXT_ON_PATH } from "../src/media/mp4/inspect.ts";
import { bufferSource, fileSource, Mp4Error } from "../src/media/mp4/source.ts";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { nativeEngine } from "../src/media/native.ts";
import { mediaEngine } from "../src/media/choose.ts";
import { parseConfig } from "../src/config/load.ts";
import { boxOrder, tempDir } from "./helpers.ts";

/**
 * The native MP4 path against ffmpeg itself (issue 7): on real samples made here, the duration
 * must equal ffprobe's, and the moov-first copy must probe, decode and hash (packet by packet)
 * exactly like the input. Then hostile input: nothing may crash, hang or blow up.
 */
const dir = tempDir("camkeep-mp4-");
const ff = (...args: string[]) => {
  const p = Bun.spawnSync(["ffmpeg", "-v", "error", "-y", ...args], { stderr: "pipe" });
  if (p.exitCode !== 0) throw new Error(`ffmpeg ${args.join(" ")}: ${p.stderr}`);
};
const probe = (path: string) =>
  Bun.spawnSync(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path])
    .stdout.toString()
    .trim();
const packetHashes = (path: string) =>
  Bun.spawnSync(["ffmpeg", "-v", "error", "-i", path, "-map", "0", "-c", "copy", "-f", "framemd5", "-"])
    .stdout.toString()
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .join("\n");
const decodeErrors = (path: string) =>
  Bun.spawnSync(["ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"], {
    stderr: "pipe",
  }).stderr.toString();

const samples: Record<string, string> = {};
const V = ["-f", "lavfi", "-i", "testsrc2=size=160x120:rate=15:duration=3"];
const A = ["-f", "lavfi", "-i", "sine=frequency=300:duration=3"];

beforeAll(async () => {
  const at = (name: string) => (samples[name] = join(dir, `${name}.mp4`));
  // H.264 + AAC remuxed from MPEG-TS with -c copy: interleaved chunks, as from a camera.
  ff(
    ...V,
    ...A,
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-g",
    "15",
    "-c:a",
    "aac",
    "-f",
    "mpegts",
    join(dir, "cam.ts"),
  );
  ff("-i", join(dir, "cam.ts"), "-c", "copy", at("ts-h264-aac"));
  ff(
    ...V,
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-x264-params",
    "bframes=3",
    "-g",
    "30",
    at("bframes-editlist"),
  );
  ff(...V, "-c:v", "libx265", "-preset", "ultrafast", "-x265-params", "log-level=error", at("h265"));
  ff(...V, "-c:v", "libx264", "-preset", "ultrafast", at("video-only"));
  ff(
    ...V,
    ...A,
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-c:a",
    "aac",
    "-movflags",
    "+faststart",
    at("already-faststart"),
  );
  samples["co64-forced"] = await nearFourGiB(samples["ts-h264-aac"]!, join(dir, "co64-forced.mp4"));
}, 120_000);

/**
 * A copy of `src` (moov at the end) whose media sits just under 4 GiB, behind a sparse 'free'
 * box: its stco offsets still fit in 32 bits, but once the moov moves in front they do not.
 */
async function nearFourGiB(src: string, out: string): Promise<string> {
  const bytes = new Uint8Array(readFileSync(src));
  const s = await fileSource(src);
  const layout = await inspectMp4(s);
  await s.close();
  const ftyp = layout.boxes[0]!;
  const mdat = layout.mdats[0]!;
  const last = Math.max(...offsetTables(layout.moovBytes).flatMap((t) => t.offsets));
  const newMdatStart = 2 ** 32 - (last - mdat.box.start) - Math.floor(layout.moov.size / 2);
  const delta = newMdatStart - mdat.box.start;
  const moov = layout.moovBytes.slice();
  for (const t of offsetTables(moov))
    for (const [i, o] of t.offsets.entries()) new DataView(moov.buffer).setUint32(t.at + i * 4, o + delta);
  const fd = openSync(out, "w");
  writeSync(fd, bytes.subarray(ftyp.start, ftyp.size), 0, ftyp.size, 0);
  const free = new Uint8Array(16);
  const view = new DataView(free.buffer);
  view.setUint32(0, 1);
  free.set([0x66, 0x72, 0x65, 0x65], 4); // 'free' with a 64-bit size: a hole up to the mdat
  view.setBigUint64(8, BigInt(newMdatStart - ftyp.size));
  writeSync(fd, free, 0, 16, ftyp.size);
  writeSync(
    fd,
    bytes.subarray(mdat.box.start, mdat.box.start + mdat.box.size),
    0,
    mdat.box.size,
    newMdatStart,
  );
  writeSync(fd, moov, 0, moov.length, newMdatStart + mdat.box.size);
  closeSync(fd);
  return out;
}

/** stco tables of a moov held in memory: where their entries are, and their values. */
function offsetTables(moov: Uint8Array): { at: number; offsets: number[] }[] {
  const found: { at: number; offsets: number[] }[] = [];
  const walk = (box: Box) => {
    for (const c of childBoxes(moov, box.start + box.header, box.start + box.size)) {
      if (box.type === "stbl" && c.type === "stco") {
        const view = new DataView(moov.buffer, moov.byteOffset);
        const n = view.getUint32(c.start + 12);
        found.push({
          at: c.start + 16,
          offsets: Array.from({ length: n }, (_, i) => view.getUint32(c.start + 16 + i * 4)),
        });
      } else if (c.type === NEXT_ON_PATH[box.type]) walk(c);
    }
  };
  walk({ type: "moov", start: 0, header: 8, size: moov.length });
  return found;
}

describe("native MP4 path against ffmpeg", () => {
  const engine = nativeEngine(ffmpegEngine());
  for (const name of [
    "ts-h264-aac",
    "bframes-editlist",
    "h265",
    "video-only",
    "already-faststart",
    "co64-forced",
  ]) {
    test(name, async () => {
      const src = samples[name]!;
      const inputDuration = probe(src);
      expect(inputDuration).not.toBe("");
      const probed = await engine.probeDuration(src);
      expect(probed.kind).toBe("ok");
      expect(probed.kind === "ok" && probed.duration.toFixed(6)).toBe(inputDuration);

      const out = join(dir, `${name}.out.mp4`);
      await engine.faststartCopy(src, out);
      expect(engine.counters.fallbackCopies).toBe(0); // done natively
      const boxes = await boxOrder(out);
      expect(boxes.indexOf("moov")).toBeLessThan(boxes.indexOf("mdat"));
      expect(probe(out)).toBe(inputDuration);
      expect(decodeErrors(out)).toBe("");
      expect(packetHashes(out)).toBe(packetHashes(src));
      if (name === "already-faststart") expect(readFileSync(out).equals(readFileSync(src))).toBe(true);
      if (name === "co64-forced") {
        const s = await fileSource(out);
        const layout = await inspectMp4(s);
        await s.close();
        expect(offsetTables(layout.moovBytes)).toEqual([]); // every track upgraded to co64
        expect(statSync(out).blocks * 512).toBeLessThan(50 << 20); // still sparse: 4 GiB apparent, little real
      }
    }, 120_000);
  }

  test("fragmented MP4 is declined and goes through ffmpeg, counted", async () => {
    const frag = join(dir, "fragmented.mp4");
    ff(...V, "-c:v", "libx264", "-preset", "ultrafast", "-movflags", "frag_keyframe+empty_moov", frag);
    const e = nativeEngine(ffmpegEngine());
    expect(await e.probeDuration(frag)).toMatchObject({ kind: "ok", duration: expect.any(Number) });
    await e.faststartCopy(frag, join(dir, "fragmented.out.mp4"));
    expect(e.counters).toEqual({ nativeProbes: 0, nativeCopies: 0, fallbackProbes: 1, fallbackCopies: 1 });
  });

  test("a recorder killed mid-write leaves a file that is rejected (no moov)", async () => {
    const killed = join(dir, "killed.mp4");
    const rec = Bun.spawn([
      "ffmpeg",
      "-v",
      "error",
      "-y",
      "-re",
      ...V,
      "-c:v",
      "libx264",
      "-preset",
      "ultrafast",
      killed,
    ]);
    await Bun.sleep(1500); // half way through its 3 s source: killed mid-write
    rec.kill("SIGKILL");
    await rec.exited;
    const s = await fileSource(killed);
    await expect(inspectMp4(s)).rejects.toThrow(/no moov box/);
    await s.close();
    expect(await nativeEngine(ffmpegEngine()).probeDuration(killed)).toMatchObject({ kind: "invalid" }); // ffprobe agrees: corrupt
  });
});

describe("hostile input", () => {
  let base: Uint8Array;
  beforeAll(() => {
    base = new Uint8Array(readFileSync(samples["ts-h264-aac"]!));
  });

  /** Inspects bytes; anything but a layout or an Mp4Error is a defect. Returns what happened. */
  async function judge(bytes: Uint8Array): Promise<"accepted" | "rejected"> {
    const t = performance.now();
    try {
      await inspectMp4(bufferSource(bytes));
      return "accepted";
    } catch (e) {
      if (!(e instanceof Mp4Error)) throw new Error(`not an Mp4Error: ${(e as Error).stack}`);
      return "rejected";
    } finally {
      expect(performance.now() - t).toBeLessThan(1000);
    }
  }

  test("truncated at every 97th byte: always rejected", async () => {
    for (let n = 0; n < base.length; n += 97) expect(await judge(base.subarray(0, n))).toBe("rejected");
  });

  test("3000 random byte flips: accepted or rejected, never a crash; accepted ones copy", async () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const moov = base.length - (await inspectMp4(bufferSource(base))).moov.size;
    const verdicts = { accepted: 0, rejected: 0 };
    for (let i = 0; i < 3000; i++) {
      const bytes = base.slice();
      const flips = 1 + Math.floor(rand() * 4);
      // Mostly in the moov and the box headers, where the parsing is.
      for (let f = 0; f < flips; f++)
        bytes[rand() < 0.8 ? moov + Math.floor(rand() * (base.length - moov)) : Math.floor(rand() * 64)] =
          Math.floor(rand() * 256);
      const verdict = await judge(bytes);
      verdicts[verdict]++;
      if (verdict === "accepted" && verdicts.accepted <= 50) {
        // What is accepted must also be written without error.
        const file = join(dir, "mutant.mp4");
        await Bun.write(file, bytes);
        const s = await fileSource(file);
        await writeFaststart(s, await inspectMp4(s), join(dir, "mutant.out.mp4"));
        await s.close();
      }
    }
    expect(verdicts.rejected).toBeGreaterThan(100);
    expect(verdicts.accepted).toBeGreaterThan(100);
  });

  test("huge declared sizes and 64-bit sizes past the end are rejected", async () => {
    for (const size of [0xffffffff, 0x7fffffff, 9]) {
      const bytes = base.slice();
      new DataView(bytes.buffer).setUint32(0, size); // the ftyp box
      expect(await judge(bytes)).toBe("rejected");
    }
    const big = base.slice();
    new DataView(big.buffer).setUint32(0, 1);
    expect(await judge(big)).toBe("rejected");
  });

  test("deep nesting and boxes inside boxes forever are bounded", async () => {
    // moov → trak → trak → trak … 5000 deep, sizes consistent.
    const depth = 5000;
    const bytes = new Uint8Array(8 * (depth + 1) + 8);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, bytes.length);
    bytes.set([0x6d, 0x6f, 0x6f, 0x76], 4);
    for (let d = 1; d <= depth; d++) {
      view.setUint32(d * 8, bytes.length - d * 8);
      bytes.set([0x74, 0x72, 0x61, 0x6b], d * 8 + 4);
    }
    expect(await judge(bytes)).toBe("rejected");
  });

  test("a moov claiming millions of samples is refused before it is read", async () => {
    const s = await fileSource(samples["ts-h264-aac"]!);
    const layout = await inspectMp4(s);
    await s.close();
    const bytes = base.slice();
    const moovAt = layout.moov.start;
    // Find the first stsz and declare 100 million samples of variable size.
    const text = new TextDecoder("latin1").decode(bytes.subarray(moovAt));
    const stsz = moovAt + text.indexOf("stsz") - 4;
    new DataView(bytes.buffer).setUint32(stsz + 12, 0);
    new DataView(bytes.buffer).setUint32(stsz + 16, 100_000_000);
    expect(await judge(bytes)).toBe("rejected");
  });
});

describe("engine choice", () => {
  test("media.engine: native by default (ffmpeg only for what it declines); ffmpeg forces the spawn path", () => {
    expect(parseConfig("", "/c.yml").media).toEqual({ engine: "native" });
    expect(mediaEngine(parseConfig("", "/c.yml")).counters).toBeDefined();
    expect(mediaEngine(parseConfig("media: { engine: ffmpeg }", "/c.yml")).counters).toBeUndefined();
  });
});

describe("writing", () => {
  test("the copy streams: a file written from a 1 MB buffer, whatever its size", async () => {
    const src = samples["ts-h264-aac"]!;
    const s = await fileSource(src);
    await writeFaststart(s, await inspectMp4(s), join(dir, "w.mp4"));
    await s.close();
    expect(statSync(join(dir, "w.mp4")).size).toBe(statSync(src).size);
  });
});
