/**
 * What judging motion from the footage costs (issue 11): CPU per 10 s segment at 720p and
 * 1080p for camkeep's analysis (key frames read in-process, one long-lived ffmpeg decoder,
 * the detector in TypeScript), against decoding every frame at 5 fps with ffmpeg (what a
 * detect pipeline pays), same run, same files. Target: ≤ 0.5× the full decode.
 * The decoder's share is measured from its own /proc stat; the detector's from this process.
 *   node_modules/.bin/bun bench/motion.ts [segments]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setLogLevel } from "../src/log/log.ts";
import { MotionAnalyser } from "../src/motion/analyser.ts";

setLogLevel("warn");
const SEGMENTS = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), "camkeep-bench-motion-"));
const TICKS = 100; // USER_HZ: /proc times are in 1/100 s

/** A camera-like segment: a textured scene with sensor noise and a person crossing it. */
function segment(name: string, size: string, fps: number, gop: number): string {
  const path = join(dir, `${name}.mp4`);
  const [w, h] = size.split("x").map(Number) as [number, number];
  const graph = `color=gray:s=${size}:r=${fps},geq=lum='128+50*sin(X/9)*cos(Y/7)':cb=128:cr=128,noise=alls=6:allf=t[bg];color=white:s=${Math.round(w / 25)}x${Math.round(h / 6)}:r=${fps}[p];[bg][p]overlay=x='t*${Math.round(w / 12)}':y=${Math.round(h / 2)}[out]`;
  const p = Bun.spawnSync([
    "ffmpeg",
    "-v",
    "error",
    "-y",
    "-filter_complex",
    graph,
    "-map",
    "[out]",
    "-t",
    "10",
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-g",
    String(gop),
    "-bf",
    "0",
    "-b:v",
    size === "1920x1080" ? "4M" : "2M",
    "-pix_fmt",
    "yuv420p",
    path,
  ]);
  if (p.exitCode !== 0) throw new Error(String(p.stderr));
  return path;
}

/** CPU seconds of a process from /proc (user + system). */
function cpuOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) / TICKS;
}
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

const settings = {
  enabled: true,
  threshold: 30,
  contour_area: 10,
  frame_height: 100,
  lightning_threshold: 0.8,
  mask: [],
};
for (const [label, size, fps, gop] of [
  ["720p 15 fps, key frame every 1 s", "1280x720", 15, 15],
  ["1080p 15 fps, key frame every 2 s", "1920x1080", 15, 30],
] as const) {
  const path = segment(label.slice(0, 5), size, fps, gop);

  // Baseline: every frame decoded, 5 fps kept, as a detect pipeline would.
  let baseline = 0;
  for (let i = 0; i < 3; i++) {
    const p = Bun.spawnSync([
      "ffmpeg",
      "-v",
      "error",
      "-threads",
      "1",
      "-i",
      path,
      "-vf",
      "fps=5",
      "-f",
      "null",
      "-",
    ]);
    const u = p.resourceUsage!;
    baseline += (Number(u.cpuTime.user) + Number(u.cpuTime.system)) / 1e6;
  }
  baseline /= 3;

  const analyser = new MotionAnalyser();
  await analyser.analyse("cam", path, 0, settings); // starts the decoder (once per camera, not per segment)
  const decoderPid = Number(
    Bun.spawnSync(["pgrep", "-n", "-P", String(process.pid), "ffmpeg"])
      .stdout.toString()
      .trim(),
  );
  const d0 = cpuOf(decoderPid),
    s0 = selfCpu();
  let moving = 0;
  for (let i = 1; i <= SEGMENTS; i++) {
    const r = await analyser.analyse("cam", path, i * 10, settings);
    if (r.ok && r.frames.some((f) => f.motion > 0)) moving++;
  }
  const decoder = (cpuOf(decoderPid) - d0) / SEGMENTS,
    detector = (selfCpu() - s0) / SEGMENTS;
  analyser.close();
  const ours = decoder + detector;
  console.log(
    `${label}: camkeep ${(ours * 1000).toFixed(0)} ms CPU per segment (decoder ${(decoder * 1000).toFixed(0)} ms, reading + detector ${(detector * 1000).toFixed(0)} ms) vs full decode at 5 fps ${(baseline * 1000).toFixed(0)} ms: ${(ours / baseline).toFixed(2)}× (motion found in ${moving}/${SEGMENTS})`,
  );
  console.log(`  per camera, one segment every 10 s: ${((ours / 10) * 100).toFixed(1)} % of one core here`);
}
rmSync(dir, { recursive: true, force: true });
