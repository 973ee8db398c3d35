/**
 * Footage back (issue 24), one run, the same files: an hour of 10 s 1080p H.264+AAC segments
 * (4 Mbit/s, stored moov-first; hard links of one segment), served by a real camkeep on loopback.
 *   (1) clip.mp4 of the hour: time to first byte, and camkeep's CPU for the whole download
 *       (by curl, whose CPU is not counted) against ffmpeg's concat copy of the same hour;
 *   (2) CPU per served 10 s fragment against serving the raw file, same client;
 *   (3) camkeep's RSS while 4 viewers (ffmpeg HLS clients, other processes) play the hour;
 *   (4) the hour's playlist, cold (360 moovs read) and warm.
 * Targets: TTFB ≤ 100 ms, CPU ≤ 0.05× the ffmpeg copy; fragment ≤ 2× a raw file; RSS ≤ +20 MB.
 *   node_modules/.bin/bun bench/playback.ts [MINUTES=60]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startApp } from "../src/app.ts";
import { parseConfig } from "../src/config/load.ts";
import { storagePath } from "../src/storage/layout.ts";
import { indexLinkedFootage } from "./fixture.ts";

const MINUTES = Number(process.argv[2] ?? 60);
const N = MINUTES * 6;
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-playback-"));
const segment = join(dir, "seg.mp4");
console.log("making a 10 s 1080p H.264+AAC segment (4 Mbit/s)…");
const made = Bun.spawnSync([
  "ffmpeg",
  "-v",
  "error",
  "-y",
  "-f",
  "lavfi",
  "-i",
  "testsrc2=size=1920x1080:rate=15:duration=10",
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
  "-g",
  "15",
  "-c:a",
  "aac",
  "-movflags",
  "+faststart",
  segment,
]);
if (made.exitCode !== 0) throw new Error(`ffmpeg: ${made.stderr}`);
const size = statSync(segment).size;

const TOKEN = "bench-playback-token-0123";
const config = () =>
  parseConfig(
    `data_dir: ${dir}/data\napi: { listen: 127.0.0.1:0, token: ${TOKEN} }\nmotion: { enabled: false }\nrecord: { retain: { days: 30 } }\ncameras:\n  cam: {}\n`,
    join(dir, "c.yml"),
  );
// First start: the database and the volume marker; then an hour of footage indexed beside it.
await (await startApp(config())).stop();
const t0 = Math.floor(Date.now() / 1000 / 3600) * 3600 - 2 * 3600;
indexLinkedFootage(join(dir, "data/camkeep.db"), join(dir, "data/recordings"), segment, { t0, count: N });
const app = await startApp(config());
const auth = { authorization: `Bearer ${TOKEN}` };
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const mb = (b: number) => `${(b / 2 ** 20).toFixed(1)} MB`;
console.log(`${N} segments (${mb(size)} each, ${mb(size * N)} in all)\n`);

// (4) The playlist, cold then warm.
const span = `start=${t0}&end=${t0 + N * 10}`;
for (const label of ["cold", "warm"]) {
  const a = performance.now();
  const c = cpuMs();
  const text = await (await fetch(`${app.url}/api/cameras/cam/vod.m3u8?${span}`, { headers: auth })).text();
  console.log(
    `playlist of ${MINUTES} min, ${label}: ${(performance.now() - a).toFixed(0)} ms wall, ${(cpuMs() - c).toFixed(0)} ms CPU (${text.split("\n").filter((l) => l.startsWith("../")).length} fragments)`,
  );
}

// (1) The hour as one export: camkeep's CPU while curl takes it, against ffmpeg's concat copy.
{
  const url = `${app.url}/api/cameras/cam/clip.mp4?${span}`;
  const a = performance.now();
  const res = await fetch(url, { headers: auth });
  const reader = res.body!.getReader();
  await reader.read();
  const ttfb = performance.now() - a;
  await reader.cancel();
  const c = cpuMs();
  const w = performance.now();
  const curl = Bun.spawn(
    ["curl", "-s", "-o", "/dev/null", "-w", "%{size_download}", "-H", `Authorization: Bearer ${TOKEN}`, url],
    { stdout: "pipe" },
  );
  const got = Number(await new Response(curl.stdout).text());
  await curl.exited;
  const nativeCpu = cpuMs() - c;
  const nativeWall = performance.now() - w;
  const list = `ffconcat version 1.0\n${Array.from({ length: N }, (_, i) => `file '${storagePath(join(dir, "data/recordings"), "cam", t0 + i * 10)}'`).join("\n")}\n`;
  await Bun.write(join(dir, "list.txt"), list);
  const f = performance.now();
  const ff = Bun.spawn([
    "ffmpeg",
    "-v",
    "error",
    "-f",
    "concat",
    "-safe",
    "0",
    "-i",
    join(dir, "list.txt"),
    "-map",
    "0",
    "-c",
    "copy",
    "-movflags",
    "frag_keyframe+empty_moov+default_base_moof",
    "-f",
    "mp4",
    "-y",
    "/dev/null",
  ]);
  await ff.exited;
  const usage = ff.resourceUsage()!;
  const ffCpu = (Number(usage.cpuTime.user) + Number(usage.cpuTime.system)) / 1000;
  console.log(
    `\nclip.mp4 of ${MINUTES} min (${mb(got)}): first byte after ${ttfb.toFixed(0)} ms; camkeep ${nativeCpu.toFixed(0)} ms CPU, ${nativeWall.toFixed(0)} ms wall`,
  );
  console.log(
    `ffmpeg concat copy of the same: ${ffCpu.toFixed(0)} ms CPU, ${(performance.now() - f).toFixed(0)} ms wall → ${(nativeCpu / ffCpu).toFixed(3)}× (target ≤ 0.05×)`,
  );
  // The floor: the same hour's files as they are (no MP4 work), one curl taking them all.
  const files = Array.from(
    { length: N },
    (_, i) => `url = "${app.url}/api/recordings/${t0 + i * 10}-bench0/file"\noutput = "/dev/null"\n`,
  ).join("");
  await Bun.write(join(dir, "curl.txt"), files);
  const r = cpuMs();
  const raw = Bun.spawn(["curl", "-s", "-H", `Authorization: Bearer ${TOKEN}`, "-K", join(dir, "curl.txt")]);
  await raw.exited;
  console.log(
    `the same hour's files served raw, the floor of any export over a socket: camkeep ${(cpuMs() - r).toFixed(0)} ms CPU → ${((cpuMs() - r) / ffCpu).toFixed(3)}× ffmpeg's copy`,
  );
}

// (2) A fragment against the raw file, the same in-process client, warm.
{
  const text = await (await fetch(`${app.url}/api/cameras/cam/vod.m3u8?${span}`, { headers: auth })).text();
  const fragments = text
    .split("\n")
    .filter((l) => l.startsWith("../"))
    .map((u) => new URL(u, `${app.url}/api/cameras/cam/`).href);
  const files = fragments.map((u) => `${app.url}/api/recordings/${/recordings\/([^/]+)\//.exec(u)![1]}/file`);
  const cost = async (urls: string[]) => {
    for (const u of urls.slice(0, 20)) await (await fetch(u, { headers: auth })).arrayBuffer(); // warm-up
    const c = cpuMs();
    for (const u of urls) await (await fetch(u, { headers: auth })).arrayBuffer();
    return (cpuMs() - c) / urls.length;
  };
  const raw = await cost(files);
  const frag = await cost(fragments);
  console.log(
    `\nper 10 s segment (client included): raw file ${raw.toFixed(2)} ms CPU, fragment ${frag.toFixed(2)} ms → ${(frag / raw).toFixed(2)}× (target ≤ 2×)`,
  );
}

// (3) RSS with 4 viewers playing through HLS (ffmpeg clients: other processes): watching in
// real time for 30 s, and taking the whole span as fast as loopback allows.
for (const realTime of [true, false]) {
  Bun.gc(true);
  const before = process.memoryUsage().rss;
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const pace = realTime ? ["-re"] : [];
  const viewers = Array.from({ length: 4 }, () =>
    Bun.spawn(
      [
        "ffmpeg",
        "-v",
        "error",
        ...pace,
        "-headers",
        `Authorization: Bearer ${TOKEN}\r\n`,
        "-i",
        `${app.url}/api/cameras/cam/vod.m3u8?${span}`,
        ...(realTime ? ["-t", "30"] : []),
        "-c",
        "copy",
        "-f",
        "null",
        "-",
      ],
      { stderr: "ignore" },
    ),
  );
  const a = performance.now();
  await Promise.all(viewers.map((v) => v.exited));
  clearInterval(sampler);
  console.log(
    `\n4 viewers ${realTime ? "watching in real time, 30 s" : `taking ${MINUTES} min at full speed`}: ${((performance.now() - a) / 1000).toFixed(1)} s; camkeep RSS ${mb(before)} before, peak ${mb(peak)} (+${mb(peak - before)}${realTime ? "; target ≤ +20 MB" : ""})`,
  );
}

await app.stop();
rmSync(dir, { recursive: true, force: true });
process.exit(0);
