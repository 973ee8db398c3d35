/**
 * Fuzzes the native MP4 reader beyond what the test suite runs: real segments made by ffmpeg,
 * mutated by byte flips, truncations, inserted and deleted bytes, and rewritten box sizes.
 * Every mutant must be accepted or rejected with an Mp4Error within a time bound; an accepted
 * one must also be written. Exits 1 on the first defect, printing its seed.
 *   node_modules/.bin/bun scripts/fuzz-mp4.ts [ITERATIONS=100000] [SEED=1]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFaststart } from "../src/media/mp4/faststart.ts";
import { inspectMp4 } from "../src/media/mp4/inspect.ts";
import { bufferSource, fileSource, Mp4Error } from "../src/media/mp4/source.ts";

const iterations = Number(process.argv[2] ?? 100_000);
let seed = Number(process.argv[3] ?? 1);
const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
const pick = (n: number) => Math.floor(rand() * n);

const dir = mkdtempSync(join(tmpdir(), "camkeep-fuzz-"));
const made = (name: string, args: string[]) => {
  const path = join(dir, name);
  const p = Bun.spawnSync([
    "ffmpeg",
    "-v",
    "error",
    "-y",
    "-f",
    "lavfi",
    "-i",
    "testsrc2=size=128x96:rate=10:duration=2",
    ...args,
    path,
  ]);
  if (p.exitCode !== 0) throw new Error(p.stderr.toString());
  return new Uint8Array(readFileSync(path));
};
const seeds = [
  made("a.mp4", [
    "-f",
    "lavfi",
    "-i",
    "sine=duration=2",
    "-c:v",
    "libx264",
    "-preset",
    "ultrafast",
    "-c:a",
    "aac",
  ]),
  made("b.mp4", ["-c:v", "libx264", "-preset", "veryfast", "-movflags", "+faststart"]),
];

function mutate(base: Uint8Array): Uint8Array {
  const b = base.slice();
  switch (pick(5)) {
    case 0: // flips
      for (let i = 1 + pick(8); i > 0; i--) b[pick(b.length)] = pick(256);
      return b;
    case 1: // truncation
      return b.subarray(0, pick(b.length));
    case 2: {
      // inserted bytes
      const at = pick(b.length);
      const extra = Uint8Array.from({ length: 1 + pick(16) }, () => pick(256));
      return new Uint8Array([...b.subarray(0, at), ...extra, ...b.subarray(at)]);
    }
    case 3: {
      // deleted bytes
      const at = pick(b.length);
      return new Uint8Array([...b.subarray(0, at), ...b.subarray(at + 1 + pick(16))]);
    }
    default: {
      // a 32-bit word (often a box size or a table entry) set to an edge value
      const at = pick(b.length - 4) & ~3;
      new DataView(b.buffer).setUint32(at, [0, 1, 7, 8, 0x7fffffff, 0xffffffff, pick(2 ** 32)][pick(7)]!);
      return b;
    }
  }
}

const counts = { accepted: 0, rejected: 0 };
let slowest = 0;
for (let i = 0; i < iterations; i++) {
  const startSeed = seed;
  const bytes = mutate(seeds[i % seeds.length]!);
  const t = performance.now();
  try {
    await inspectMp4(bufferSource(bytes));
    counts.accepted++;
    if (counts.accepted % 50 === 1) {
      const file = join(dir, "mutant.mp4");
      await Bun.write(file, bytes);
      const s = await fileSource(file);
      await writeFaststart(s, await inspectMp4(s), join(dir, "mutant.out.mp4"));
      await s.close();
    }
  } catch (e) {
    if (!(e instanceof Mp4Error)) {
      console.error(`DEFECT at iteration ${i} (seed ${startSeed}): ${(e as Error).stack}`);
      process.exit(1);
    }
    counts.rejected++;
  }
  slowest = Math.max(slowest, performance.now() - t);
  if (slowest > 1000) {
    console.error(`DEFECT: iteration ${i} (seed ${startSeed}) took ${slowest.toFixed(0)} ms`);
    process.exit(1);
  }
}
console.log(
  `${iterations} mutants: ${counts.accepted} accepted, ${counts.rejected} rejected, none crashed; slowest ${slowest.toFixed(2)} ms; peak RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MB`,
);
rmSync(dir, { recursive: true, force: true });
