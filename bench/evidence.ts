/**
 * Proof's costs (issue 33), one run, the same files: a 10 s 1080p H.264+AAC segment (4 Mbit/s)
 * as a recorder writes it (index at the end).
 *   (1) the store path per segment: the moov-first copy with its SHA-256 (as camkeep stores)
 *       against the same copy less the hashing (the hash of the same bytes measured alone);
 *       target: hashing at most doubles it; the hashing's MB/s;
 *   (2) an hour of those segments exported signed, against sha256sum of the same bytes
 *       (target ≤ 1.1×) and against the unsigned export; camkeep's CPU while curl downloads.
 *   (3) sealing: the hours of those segments (360 segments an hour at 10 s), ms per seal.
 *   node_modules/.bin/bun bench/evidence.ts [MINUTES=60]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp } from "../src/app.ts";
import { parseConfig } from "../src/config/load.ts";
import { indexLinkedFootage } from "./fixture.ts";
import { sha256OfFile } from "../src/media/hash.ts";
import { inspectMp4 } from "../src/media/mp4/inspect.ts";
import { writeFaststart } from "../src/media/mp4/faststart.ts";
import { fileSource } from "../src/media/mp4/source.ts";

const MINUTES = Number(process.argv[2] ?? 60);
const N = MINUTES * 6;
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-evidence-"));
const recorded = join(dir, "recorded.mp4");
console.log("making a 10 s 1080p H.264+AAC segment (4 Mbit/s, index at the end)…");
const made = Bun.spawnSync(
  "ffmpeg -v error -y -f lavfi -i testsrc2=size=1920x1080:rate=15:duration=10 -f lavfi -i sine=duration=10 -c:v libx264 -preset ultrafast -b:v 4M -g 15 -c:a aac"
    .split(" ")
    .concat(recorded),
);
if (made.exitCode !== 0) throw new Error(`ffmpeg: ${made.stderr}`);
const size = statSync(recorded).size;
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// (1) The store path, 40 times each way.
{
  const ROUNDS = 40;
  const stored = join(dir, "stored.mp4");
  let withHash = 0;
  let hashAlone = 0;
  for (let i = 0; i < ROUNDS; i++) {
    const c = cpuMs();
    const src = await fileSource(recorded);
    try {
      await writeFaststart(src, await inspectMp4(src), stored);
    } finally {
      await src.close();
    }
    withHash += cpuMs() - c;
    // The hashing alone: the same bytes, in memory, in the copy's 1 MB chunks.
    const bytes = new Uint8Array(await Bun.file(stored).arrayBuffer());
    const h = cpuMs();
    const hasher = new Bun.CryptoHasher("sha256");
    for (let at = 0; at < bytes.length; at += 1 << 20) hasher.update(bytes.subarray(at, at + (1 << 20)));
    hasher.digest("hex");
    hashAlone += cpuMs() - h;
  }
  // (the copy is checked once: the hash it answers is the file's)
  const src = await fileSource(recorded);
  const answered = await writeFaststart(src, await inspectMp4(src), stored).finally(() => src.close());
  if (answered !== (await sha256OfFile(stored))) throw new Error("the copy's hash is not its file's");
  const per = (ms: number) => `${(ms / ROUNDS).toFixed(2)} ms`;
  const without = withHash - hashAlone;
  console.log(
    `(1) store path per segment (${mb(size)}): ${per(withHash)} CPU with its SHA-256, ${per(without)} without (${(withHash / without).toFixed(2)}×; target ≤ 2×); hashing ${((size * ROUNDS) / 2 ** 20 / (hashAlone / 1000)).toFixed(0)} MB/s`,
  );
}

// (2) An hour exported signed and unsigned, and sha256sum of the signed file.
const TOKEN = "bench-evidence-token-0123";
const config = () =>
  parseConfig(
    `data_dir: ${dir}/data\napi: { listen: 127.0.0.1:0, token: ${TOKEN} }\nmotion: { enabled: false }\nrecord: { retain: { days: 30 } }\ncameras:\n  cam: {}\n`,
    join(dir, "c.yml"),
  );
await (await startApp(config())).stop();
const segment = join(dir, "stored.mp4");
const t0 = Math.floor(Date.now() / 1000 / 3600) * 3600 - 2 * 3600;
const segmentHash = await sha256OfFile(segment);
indexLinkedFootage(join(dir, "data/camkeep.db"), join(dir, "data/recordings"), segment, {
  t0,
  count: N,
  sha256: segmentHash,
});
const app = await startApp(config());
const span = `start=${t0}&end=${t0 + N * 10}`;
/** camkeep's CPU (this process) while curl, another process, downloads `url` into `out`. */
async function download(url: string, out: string) {
  const c = cpuMs();
  const w = performance.now();
  const curl = Bun.spawn(["curl", "-sf", "-o", out, "-H", `Authorization: Bearer ${TOKEN}`, url]);
  if ((await curl.exited) !== 0) throw new Error(`curl ${url} failed`);
  return { cpu: cpuMs() - c, wall: performance.now() - w, bytes: statSync(out).size };
}
const plain = await download(`${app.url}/api/cameras/cam/clip.mp4?${span}`, join(dir, "plain.mp4"));
const signed = await download(
  `${app.url}/api/cameras/cam/clip.mp4?${span}&signed=1`,
  join(dir, "signed.mp4"),
);
const sum = Bun.spawn(["sha256sum", join(dir, "signed.mp4")], { stdout: "ignore" });
await sum.exited;
const usage = sum.resourceUsage()!;
const sumCpu = Number(usage.cpuTime.user + usage.cpuTime.system) / 1000;
const sealStart = performance.now();
await app.sealer.pass(t0 + 24 * 3600); // every hour of the footage is over by then
const sealMs = performance.now() - sealStart;
const sealed = app.sealer.made;
await app.stop();
console.log(
  `(2) ${MINUTES} min export (${mb(signed.bytes)}): signed ${signed.cpu.toFixed(0)} ms CPU (${signed.wall.toFixed(0)} ms wall), unsigned ${plain.cpu.toFixed(0)} ms, sha256sum of the same bytes ${sumCpu.toFixed(0)} ms; signed − unsigned = ${(signed.cpu - plain.cpu).toFixed(0)} ms = ${((signed.cpu - plain.cpu) / sumCpu).toFixed(2)}× sha256sum; signed ÷ sha256sum = ${(signed.cpu / sumCpu).toFixed(2)}× (target ≤ 1.1×)`,
);
console.log(
  `(3) sealing: ${sealed} seals (hours with up to 360 segments, and the empty hours up to a day on) in ${sealMs.toFixed(0)} ms: ${(sealMs / sealed).toFixed(1)} ms a seal`,
);
rmSync(dir, { recursive: true, force: true });
