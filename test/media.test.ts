import { describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ffmpegEngine } from "../src/media/ffmpeg.ts";
import { nativeEngine } from "../src/media/native.ts";
import { boxOrder, ffprobeDuration, segmentFile, tempDir } from "./helpers.ts";

/** A real executable that hangs, standing in for an ffmpeg stuck on a bad file or disk. */
function hangingTool(): string {
  const path = join(tempDir(), "hang");
  writeFileSync(path, "#!/bin/sh\nexec sleep 60\n");
  chmodSync(path, 0o755);
  return path;
}

describe("ffmpeg media engine", () => {
  test("probes a real segment's duration and makes a moov-first copy", async () => {
    const engine = ffmpegEngine();
    const src = await segmentFile(2, { audio: true });
    const probe = await engine.probeDuration(src);
    expect(probe.kind === "ok" && probe.duration).toBeCloseTo(2, 1);
    expect((await boxOrder(src)).indexOf("moov")).toBeGreaterThan((await boxOrder(src)).indexOf("mdat"));
    const dst = join(tempDir(), "out.tmp");
    await engine.faststartCopy(src, dst);
    const boxes = await boxOrder(dst);
    expect(boxes.indexOf("moov")).toBeLessThan(boxes.indexOf("mdat"));
    expect(await ffprobeDuration(dst)).toBeCloseTo(2, 1);
  });
  test("a file that is not a segment probes as invalid", async () => {
    const bad = join(tempDir(), "bad.mp4");
    writeFileSync(bad, "garbage");
    expect(await ffmpegEngine().probeDuration(bad)).toMatchObject({ kind: "invalid" });
    expect(await nativeEngine(ffmpegEngine()).probeDuration(bad)).toMatchObject({ kind: "invalid" });
  });
  test("a hung ffprobe is killed at its timeout: failed, not invalid (docs/design.md#crash-safety)", async () => {
    const engine = ffmpegEngine({ ffprobe: hangingTool(), probeTimeoutMs: 300 });
    const started = performance.now();
    expect(await engine.probeDuration(await segmentFile(2))).toEqual({
      kind: "failed",
      reason: "ffprobe timed out after 300 ms",
    });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
  test("an ffprobe that cannot start is a failed probe", async () => {
    expect(
      await ffmpegEngine({ ffprobe: join(tempDir(), "no-such-ffprobe") }).probeDuration(await segmentFile(2)),
    ).toMatchObject({ kind: "failed" });
  });
  test("a file the native path cannot open is a failed probe, not an invalid one", async () => {
    const unreadable = join(tempDir(), "gone.mp4"); // opening fails before any byte is read
    expect(await nativeEngine(ffmpegEngine()).probeDuration(unreadable)).toMatchObject({ kind: "failed" });
  });
  test("a hung ffmpeg copy fails with a timeout error", async () => {
    const engine = ffmpegEngine({ ffmpeg: hangingTool(), copyTimeoutMs: 300 });
    await expect(engine.faststartCopy(await segmentFile(2), join(tempDir(), "x.tmp"))).rejects.toThrow(
      /timed out/,
    );
  });
});
