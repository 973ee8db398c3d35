/**
 * Cost per segment of the media step (issue 7), one run, same files: 5 MB 1080p H.264+AAC
 * 10 s segments (moov at the end, as a recorder writes them), through
 *   (a) the spawn path: ffprobe for the duration + ffmpeg -c copy -movflags +faststart,
 *   (b) the native path: inspect + moov-first copy in-process,
 *   (c) plain copies, the floor: fs.copyFile (in-kernel) and a JS read/write loop.
 * CPU counts this process and its children. Targets: native ≤ 2× a plain copy's wall time,
 * and ≥ 50× less CPU than the spawn path.
 *   node_modules/.bin/bun bench/media.ts [SEGMENTS=40]
 */
import { copyFile, open } from "node:fs/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { nativeEngine } from "../src/media/native.ts";

const N = Number(process.argv[2] ?? 40);
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-media-"));
const segment = join(dir, "seg0.mp4");
console.log("making a 10 s 1080p H.264+AAC segment (~5 MB)…");
const made = Bun.spawnSync([
  "ffmpeg",
  "-v",
  "error",
  "-y",
  "-f",
  "lavfi",
  "-i",
  "testsrc2=size=1920x1080:rate=25:duration=10",
  "-f",
  "lavfi",
  "-i",
  "sine=duration=10",
  "-c:v",
  "libx264",
  "-preset",
  "ultrafast",
  "-b:v",
  "4M",
  "-maxrate",
  "4M",
  "-bufsize",
  "8M",
  "-g",
  "50",
  "-c:a",
  "aac",
  "-b:a",
  "64k",
  segment,
]);
if (made.exitCode !== 0) throw new Error(made.stderr.toString());
const files = [segment];
for (let i = 1; i < N; i++) {
  files.push(join(dir, `seg${i}.mp4`));
  await copyFile(segment, files[i]!);
}
console.log(`${N} segments of ${(Bun.file(segment).size / 1e6).toFixed(1)} MB`);

/**
 * Wall and CPU (this process + children reaped meanwhile) per segment, after WARM_UP
 * unmeasured runs of the same path: camkeep runs for months, so its code is compiled by the
 * JIT long before it matters (during the first few hundred segments JSC's compiler thread
 * adds ~0.5 ms of CPU per segment, measured per thread). Every path gets the same warm-up.
 */
const WARM_UP = 200;
async function measure(label: string, fn: (src: string, dst: string) => Promise<void>) {
  for (let i = 0; i < WARM_UP; i++) await fn(files[i % files.length]!, join(dir, "warm-up.out"));
  const childCpu0 = childrenCpu();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const [i, f] of files.entries()) await fn(f, join(dir, `${label.replace(/\W/g, "")}-${i}.out`));
  const wall = (performance.now() - t0) / N;
  const own = process.cpuUsage(cpu0);
  const cpu = ((own.user + own.system) / 1000 + (childrenCpu() - childCpu0)) / N;
  return { label, wall, cpu };
}

/** CPU ms of reaped children, from /proc/self/stat (cutime + cstime, in clock ticks). */
function childrenCpu(): number {
  const stat = require("node:fs").readFileSync("/proc/self/stat", "utf8") as string;
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[13]) + Number(fields[14])) * 10; // ticks of 10 ms (USER_HZ 100)
}

const spawnPath = ffmpegEngine();
const native = nativeEngine(ffmpegEngine());
const results = [
  await measure("spawn (ffprobe+ffmpeg)", async (src, dst) => {
    await spawnPath.probeDuration(src);
    await spawnPath.faststartCopy(src, dst);
  }),
  await measure("native", async (src, dst) => {
    await native.probeDuration(src);
    await native.faststartCopy(src, dst);
  }),
  await measure("copy: fs.copyFile", (src, dst) => copyFile(src, dst)),
  await measure("copy: JS read/write 1 MB", async (src, dst) => {
    const [i, o] = [await open(src, "r"), await open(dst, "w")];
    const buf = new Uint8Array(1 << 20);
    for (let n: number; (n = (await i.read(buf, 0, buf.length)).bytesRead); )
      await o.write(buf.subarray(0, n));
    await i.close();
    await o.close();
  }),
];
if (native.counters.fallbackCopies || native.counters.fallbackProbes)
  throw new Error("the native path fell back: not a fair measure");

const [spawn, nat, copy, jsCopy] = results as [
  (typeof results)[0],
  (typeof results)[0],
  (typeof results)[0],
  (typeof results)[0],
];
for (const r of results)
  console.log(
    `${r.label.padEnd(26)} wall ${r.wall.toFixed(1).padStart(7)} ms   CPU ${r.cpu.toFixed(1).padStart(7)} ms   per segment`,
  );
console.log(
  `native vs spawn: ${(spawn.cpu / nat.cpu).toFixed(0)}× less CPU, ${(spawn.wall / nat.wall).toFixed(1)}× faster`,
);
console.log(
  `native vs plain copy: ${(nat.wall / copy.wall).toFixed(2)}× fs.copyFile's wall time, ${(nat.wall / jsCopy.wall).toFixed(2)}× a JS copy's`,
);
rmSync(dir, { recursive: true, force: true });
