import { afterAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { App } from "../../src/app.ts";
import { configIn, freePort, keepers, recordingRows, tempDir, until } from "../helpers.ts";

/**
 * The page in WebKitGTK (Safari's engine): Debian's WebKitWebDriver driving its MiniBrowser under
 * Xvfb, over footage of a real recorder that was restarted mid-way. WebKit leaves holes of its
 * own in the buffer around a recorder's start; the page must play on through them and the gap.
 */
const keeper = keepers();
const procs: Subprocess[] = [];
afterAll(() => {
  for (const p of procs.splice(0)) p.kill("SIGKILL");
});

const AUDIO_VIDEO = `input: "testsrc2=size=320x240:rate=15[out0];sine=frequency=440:sample_rate=48000[out1]"
    input_args: ["-re", "-f", "lavfi"]
    output_args: ["-c:v", "libx264", "-preset", "ultrafast", "-g", "15", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k"]
    segment_time: 2`;

/** A WebDriver session in WebKitGTK's MiniBrowser, under its own Xvfb display. */
async function webkit(): Promise<{ run<T>(script: string): Promise<T>; go(url: string): Promise<void> }> {
  const display = `:${100 + Math.floor(Math.random() * 800)}`;
  procs.push(
    Bun.spawn(["Xvfb", display, "-screen", "0", "1280x900x24"], { stdout: "ignore", stderr: "ignore" }),
  );
  // No sound card here: ALSA's null device, so WebKit's audio sink opens (muted video still needs one).
  const home = tempDir();
  writeFileSync(join(home, ".asoundrc"), "pcm.!default { type null }\n");
  const port = freePort();
  procs.push(
    Bun.spawn(["WebKitWebDriver", `--port=${port}`], {
      env: { ...process.env, DISPLAY: display, HOME: home },
      stdout: "ignore",
      stderr: "ignore",
    }),
  );
  // Every command bounded: WebKit's driver can sit on one while a page loads.
  const call = async (method: string, path: string, body?: unknown) => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { "content-type": "application/json" },
      signal: AbortSignal.timeout(10_000),
    });
    return ((await r.json()) as { value: unknown }).value;
  };
  let session: { sessionId: string } | undefined;
  await until(
    async () => {
      try {
        session = (await call("POST", "/session", {
          capabilities: {
            alwaysMatch: {
              "webkitgtk:browserOptions": {
                binary: "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser",
                args: ["--automation"],
              },
            },
          },
        })) as { sessionId: string };
        return typeof session?.sessionId === "string";
      } catch {
        return false; // the driver not listening yet
      }
    },
    20_000,
    "a WebKit session",
    200,
  );
  const id = session!.sessionId;
  return {
    run: async <T>(script: string) => {
      try {
        return (await call("POST", `/session/${id}/execute/sync`, { script, args: [] })) as T;
      } catch {
        return undefined as T; // unanswered: the caller's wait asks again
      }
    },
    go: async (url: string) => void (await call("POST", `/session/${id}/url`, { url })),
  };
}

// Only when asked (CAMKEEP_BROWSERS=1 npm test): see scripts/test.sh.
describe.skipIf(!process.env.CAMKEEP_BROWSERS)("the page in WebKit (docs/page.md)", () => {
  let app: App;
  test("footage of a recorder restarted mid-way: its runs join exactly, and the page plays through the restart without freezing", async () => {
    app = await keeper.start(
      configIn(
        tempDir(),
        `api: { listen: 127.0.0.1:0 }\nrecord: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 1 } }\nmotion: { enabled: false }\ncameras:\n  cam:\n    ${AUDIO_VIDEO}\n`,
      ),
    );
    await until(() => recordingRows(app.db).length >= 4, 30_000, "four stored segments");
    const pid = app.recorders.status("cam")!.pid!;
    process.kill(pid, "SIGKILL"); // the recorder dies; camkeep starts another
    await until(() => (app.recorders.status("cam")?.restarts ?? 0) >= 1, 10_000, "the restart");
    const before = recordingRows(app.db).length;
    await until(() => recordingRows(app.db).length >= before + 4, 30_000, "four segments of the new run");
    const rows = recordingRows(app.db);
    // Within each run the segments touch exactly; the restart is one real gap.
    const breaks = rows
      .slice(1)
      .filter((r, i) => Math.abs(r.start_time - (rows[i]!.start_time + rows[i]!.duration)) > 0.001);
    expect(breaks).toHaveLength(1);
    expect(breaks[0]!.start_time - rows[rows.indexOf(breaks[0]!) - 1]!.end_time).toBeGreaterThan(0.9);

    const page = await webkit();
    await page.go(`${app.url}/#token=${encodeURIComponent(app.token)}`);
    await until(
      async () => (await page.run<number>("return document.querySelectorAll('.cameras li').length")) > 0,
      15_000,
      "the login",
    );
    const from = rows[0]!.start_time;
    const last = rows.at(-1)!;
    const moment = `${app.url}/#/camera/cam/${new Date(Math.ceil(from) * 1000).toISOString().slice(0, 19)}Z`;
    await page.go(moment);
    // Playing (a page still loading when it was asked is asked again).
    for (let tries = 1; ; tries++) {
      if (await page.run<boolean>("return (document.querySelector('video')?.currentTime ?? 0) > 0")) break;
      if (tries === 40) throw new Error("the page never began to play");
      if (tries % 10 === 0) await page.go(moment).catch(() => {});
      await Bun.sleep(500);
    }
    // Playing at 1×: past the restart, to the last stored segment, in about the footage's time.
    const target = last.start_time;
    await until(
      async () => {
        const shown = await page.run<string>("return document.querySelector('p.now')?.textContent ?? ''");
        if (process.env.DBG)
          console.log(
            shown,
            await page.run<string>(
              "const v=document.querySelector('video'); if(!v) return location.href; const b=v.buffered; const rs=[]; for(let i=0;i<b.length;i++) rs.push([b.start(i).toFixed(2),b.end(i).toFixed(2)]); return JSON.stringify({t:v.currentTime.toFixed(2), rs, ready:v.readyState, paused: v.paused, err: v.error && v.error.message})",
            ),
          );
        const m = /(\d\d):(\d\d):(\d\d)/.exec(shown);
        if (!m) return false;
        const d = new Date(target * 1000);
        const at = d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds();
        return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) >= at;
      },
      (last.end_time - from) * 1000 + 20_000,
      "the page to play past the restart to the last segment",
      250,
    );

    // Trick play at 8×, from the start again: key frames shown one after another, the clock running.
    await page.go(moment);
    const clockOf = async () => {
      const m = /(\d\d):(\d\d):(\d\d)/.exec(
        (await page.run<string>("return document.querySelector('p.now')?.textContent ?? ''")) ?? "",
      );
      return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
    };
    await until(async () => (await clockOf()) !== undefined, 15_000, "the page to show its clock");
    await page.run("document.querySelector('.speed[data-speed=\"8\"]').click(); return 1");
    const t0 = (await clockOf())!;
    await until(
      async () => ((await clockOf()) ?? 0) >= t0 + 8,
      10_000,
      "trick play to move 8 s of footage on",
    );
    expect(await page.run<string>("return document.querySelector('video').dataset.view")).toBe("keys");
  }, 180_000);
});
