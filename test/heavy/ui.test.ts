import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync, readdirSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startApp, type App } from "../../src/app.ts";
import { events as eventsTable, recordings } from "../../src/db/schema.ts";
import { motionPerMinute } from "../../src/ui/time.ts";
import { TestCamera } from "../fixtures/onvif-camera.ts";
import {
  BUN,
  ROOT,
  cameraSegment,
  configIn,
  ffprobeDuration,
  putSegment,
  segmentName,
  tempDir,
  until,
} from "../helpers.ts";

/**
 * The page in a real browser (Debian's chromium, driven by playwright-core) against a real
 * camkeep whose maintainer stored the footage. Screenshots go to test-artifacts/.
 */
const ZONE = "Europe/Berlin";
const ARTIFACTS = join(ROOT, "test-artifacts");
const T0 = Math.floor(Date.now() / 1000) - 200; // recent enough for "recording" (a segment within 5 minutes)
const SEGMENTS = 14; // 2 s each: a continuous run across 13 boundaries
const DRIVE = [T0, T0 + 2, T0 + 4, T0 + 12, T0 + 14];
let app: App;
let browser: Browser;
let porchCamera: TestCamera;
let page: Page;
const problems: string[] = [];

/** Wall-clock text in ZONE, as a datetime-local input shows it. */
function local(t: number, form: "day" | "input"): string {
  const s = new Intl.DateTimeFormat("sv-SE", {
    timeZone: ZONE,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hourCycle: "h23",
  }).format(t * 1000);
  return form === "day" ? s.slice(0, 10) : s.replace(" ", "T");
}

beforeAll(async () => {
  porchCamera = new TestCamera({ user: "admin", password: "secret" }); // its own events, over ONVIF
  const dir = tempDir();
  const config = configIn(
    dir,
    `api: { listen: 127.0.0.1:0 }
record: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 0, pre_capture: 0, post_capture: 0 } }
cameras:
  front-door: {}
  back_yard: {}
  drive: {}
  attic: {}
  porch:
    onvif: { host: 127.0.0.1, port: ${porchCamera.port}, user: admin, password: secret }
storage:
  tiers: [{ name: backup, path: ${dir}/backup, copy: true }]
`,
  );
  app = await startApp(config); // no detector: camkeep judges the motion of the (moving) test picture itself
  for (let i = 0; i < SEGMENTS; i++)
    await putSegment(config.cacheDir, segmentName("front-door", T0 + i * 2), 2, (T0 + i * 2 + 2) * 1000);
  // Another camera's footage with a gap of 6 s in it (its recorder was down).
  for (const at of DRIVE) await putSegment(config.cacheDir, segmentName("drive", at), 2, (at + 2) * 1000);
  // An H.265 camera: Chromium's Media Source has no H.265.
  const hevc = join(dir, "hevc.mp4");
  cameraSegment(hevc, { hevc: true });
  for (const at of [T0, T0 + 2]) {
    const to = join(config.cacheDir, segmentName("attic", at));
    copyFileSync(hevc, to);
    utimesSync(to, at + 2, at + 2);
  }
  await until(
    () => readdirSync(config.cacheDir).length === 0,
    10_000,
    "the keeper to store the test segments",
  );
  app.db
    .insert(eventsTable)
    .values([
      { id: "person-1", camera: "front-door", label: "person", start_time: T0 + 3, end_time: T0 + 5 },
      {
        id: "car-1",
        camera: "front-door",
        label: "car",
        start_time: T0 + 8,
        end_time: T0 + 9,
        retain_indefinitely: true,
      },
    ])
    .run();

  mkdirSync(ARTIFACTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    timezoneId: ZONE,
    acceptDownloads: true,
  });
  page = await context.newPage();
  await page.addInitScript(`window.shownClock = ${shownClock.toString()}`);
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page: ${e.message}`));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
  porchCamera?.stop();
});

/**
 * Opens a camera's day or moment and waits until that camera's view is drawn. Not just any
 * timeline or video: the view before (another camera's) has them too, and a test that typed into
 * it before this camera's answer came would type into a panel about to be replaced (failed so in
 * CI under load).
 */
async function openCamera(camera: string, dayOrMoment: string): Promise<void> {
  await page.goto(`${app.url}/#/camera/${camera}/${dayOrMoment}`);
  await page.waitForFunction(
    (name) =>
      document.querySelector("main h1")?.textContent === name && !!document.querySelector(".timeline"),
    camera,
    { timeout: 15_000 },
  );
}

const openFrontDoorDay = () => openCamera("front-door", local(T0, "day"));
const isoAt = (t: number) => `${new Date(t * 1000).toISOString().slice(0, 19)}Z`;

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe("the page", () => {
  test("a wrong token is refused at the login form", async () => {
    await page.goto(`${app.url}/`);
    await page.fill("#password", "not-the-token-at-all");
    await page.click("button[type=submit]");
    await page.waitForSelector("text=That token is not right.");
    problems.length = 0; // the refused login's 401 is expected
  });

  test("a link carrying the token logs in, drops the token from the URL, and lists the cameras", async () => {
    await page.goto(`${app.url}/#token=${encodeURIComponent(app.token)}`);
    await page.waitForSelector(".cameras li");
    expect(page.url()).not.toContain(app.token);
    // In the browser: one HttpOnly, SameSite=Strict cookie of this camkeep's own name, holding a session id, not the token.
    const cookies = await page.context().cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/" });
    expect(cookies[0]!.name).toMatch(/^camkeep_[0-9a-f]{8}$/);
    expect(cookies[0]!.value).not.toBe(app.token);
    const cameras = await page.$$eval(".cameras li", (els) =>
      els.map((e) => [e.getAttribute("data-camera"), e.querySelector(".badge")?.textContent]),
    );
    expect(cameras).toEqual([
      ["attic", "recording"],
      ["back_yard", "no recent footage"],
      ["drive", "recording"],
      ["front-door", "recording"],
      ["porch", "no recent footage"],
    ]);
    expect(await page.textContent("[data-health]")).toBe("healthy");
    expect(await page.textContent(".storage")).toContain("free");
    const stored = SEGMENTS + DRIVE.length + 2; // and the attic's two
    // The copy tier (docs/tiers.md): every segment the keeper stored was copied; the page says so.
    await until(
      () => (app.db.$client.query("SELECT count(*) AS n FROM copies").get() as { n: number }).n === stored,
      15_000,
      "the stored segments to be copied to the backup tier",
    );
    await until(() => app.onvif.status("porch")?.state === "live", 10_000, "the porch camera's events");
    await page.reload();
    await page.waitForSelector('.tiers li[data-tier="backup"]');
    expect(await page.textContent('li[data-camera="porch"] [data-onvif="live"]')).toStartWith(
      "the camera's own events heard",
    );
    expect(await page.textContent('.tiers li[data-tier="backup"]')).toMatch(
      /^backup \(copy of everything\): 0 waiting · [\d.]+ [KM]B sent since start$/,
    );
    // The card's still: the newest stored footage's picture, made by camkeep, loaded.
    await page.waitForFunction(
      () =>
        ((document.querySelector('li[data-camera="front-door"] img.still') as HTMLImageElement | null)
          ?.naturalWidth ?? 0) > 0,
      undefined,
      { timeout: 15_000 },
    );
    expect(await page.$$eval('li[data-camera="back_yard"] img.still', (els) => els.length)).toBe(0); // no footage, no picture
    await shot("overview-desktop");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot("overview-phone");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test("the day timeline draws the stored span, motion and events", async () => {
    await openFrontDoorDay();
    // The whole day comes from the quarter-hour rollups (no segment list): the footage's quarter hours, merged.
    const spans = await page.$$eval(".span", (els) =>
      els.map((e) => [Number(e.getAttribute("data-start")), Number(e.getAttribute("data-end"))]),
    );
    const first = Math.floor(T0 / 900) * 900,
      last = Math.floor((T0 + SEGMENTS * 2 - 2) / 900) * 900;
    expect(spans).toEqual([[first, last + 900]]);
    // Motion per quarter hour, from the motion camkeep judged in each stored segment.
    const rows = app.db
      .select()
      .from(recordings)
      .all()
      .filter((r) => r.camera === "front-door");
    expect(rows.every((r) => r.motion > 0 && !r.unjudged)).toBe(true);
    const quarters = await page.$$eval(".motion.quarter", (els) =>
      els.map((e) => Number(e.getAttribute("data-quarter"))),
    );
    expect(quarters).toEqual([...new Set(rows.map((r) => Math.floor(r.start_time / 900) * 900))].sort());
    expect(await page.$$eval(".motion.minute", (els) => els.length)).toBe(0); // minute by minute only zoomed in
    expect(
      await page.$$eval(".event", (els) =>
        els.map((e) => [e.getAttribute("data-event"), e.classList.contains("kept")]),
      ),
    ).toEqual([
      ["person-1", false],
      ["car-1", true],
    ]);
    expect(await page.$eval("#day", (s) => (s as HTMLSelectElement).value)).toBe(local(T0, "day"));
    expect(await page.$$eval(".ticks span", (els) => els.length)).toBeGreaterThanOrEqual(8);
    // The review list: the two events and the motion period, each with its picture.
    expect(await page.$$eval(".review li", (els) => els.map((e) => e.getAttribute("data-kind")))).toEqual([
      "motion",
      "event",
      "event",
    ]);
    await page.waitForFunction(
      () => [...document.querySelectorAll<HTMLImageElement>(".review img")].every((i) => i.naturalWidth > 0),
      undefined,
      { timeout: 20_000 },
    );
  });

  test("one <video> plays on across segments at 4x: one buffered range, no waiting with footage buffered ahead, the speed kept", async () => {
    await page.click('.speed[data-speed="4"]');
    // Listen from before the click: every `waiting` (where, how much footage was buffered ahead
    // of it, and how long until it played again), and the speed as each boundary passes.
    type Waiting = { t: number; ahead: number; at: number; stalledMs?: number };
    await page.evaluate(() => {
      const v = document.querySelector("video")!;
      const w = window as unknown as { seen: { waiting: Waiting[]; rates: number[] } };
      w.seen = { waiting: [], rates: [] };
      v.addEventListener("waiting", () => {
        const b = v.buffered;
        let ahead = 0;
        for (let i = 0; i < b.length; i++)
          if (b.start(i) <= v.currentTime && v.currentTime <= b.end(i)) ahead = b.end(i) - v.currentTime;
        w.seen.waiting.push({ t: v.currentTime, ahead, at: performance.now() });
      });
      v.addEventListener("playing", () => {
        for (const x of w.seen.waiting) x.stalledMs ??= performance.now() - x.at;
      });
      v.addEventListener("timeupdate", () => w.seen.rates.push(v.playbackRate));
    });
    const clicked = performance.now();
    await clickAt(T0 - 70); // before the footage (a pixel of the day is ~67 s): plays from its start
    await page.waitForFunction(
      () => Number(document.querySelector("video")!.dataset.firstFrameMs) > 0,
      undefined,
      {
        timeout: 15_000,
      },
    );
    const firstFrame = Number(await page.$eval("video", (v) => (v as HTMLVideoElement).dataset.firstFrameMs));
    console.log(
      `click to first frame: ${firstFrame} ms in the page (${Math.round(performance.now() - clicked)} ms to the test seeing it; target ≤ 300 ms)`,
    );
    expect(await page.getAttribute("video", "src")).toStartWith("blob:"); // Media Source, not a file
    // Past 12 boundaries (24 s of footage at 4x: ~6 s).
    await page.waitForFunction(() => document.querySelector("video")!.currentTime - 0 > 0, undefined, {
      timeout: 10_000,
    });
    const start = await page.$eval("video", (v) => (v as HTMLVideoElement).currentTime);
    await page.waitForFunction((s) => document.querySelector("video")!.currentTime >= s + 25, start, {
      timeout: 30_000,
    });
    const state = await page.evaluate(() => {
      const v = document.querySelector("video")!;
      const b = v.buffered;
      const w = window as unknown as { seen: { waiting: Waiting[]; rates: number[] } };
      return {
        ranges: Array.from({ length: b.length }, (_, i) => [b.start(i), b.end(i)]),
        rate: v.playbackRate,
        // (one not yet played again: how long it has lasted so far)
        seen: {
          ...w.seen,
          waiting: w.seen.waiting.map((x) => ({ ...x, stalledMs: x.stalledMs ?? performance.now() - x.at })),
        },
      };
    });
    expect(state.ranges).toHaveLength(1);
    expect(state.ranges[0]![1]! - state.ranges[0]![0]!).toBeGreaterThanOrEqual(12 * 2 - 0.1);
    expect(state.rate).toBe(4);
    expect(state.seen.rates.length).toBeGreaterThan(10);
    expect(state.seen.rates.every((r) => r === 4)).toBe(true);
    // No stall at a boundary: never a `waiting` with footage buffered ahead of the playhead that
    // lasts (a player stuck at a boundary does not go on by itself). On a busy machine (CI's, a
    // core held by another job) Chromium's decoder says `waiting` for some milliseconds now and
    // then with footage ahead, and goes on: seen in a clean-clone run, 60 ms; that is no boundary
    // stall. Waiting at the end of what is buffered is a slow fetch, and not what this tests.
    expect(
      state.seen.waiting.filter((w) => w.t > start + 0.5 && w.ahead > 0.5 && w.stalledMs! > 2_000),
    ).toEqual([]);
    expect(await page.textContent(".now")).toMatch(/^front-door · \d\d:\d\d:\d\d · 4×$/);
    expect(await page.isVisible(".playhead")).toBe(true);
    // The address holds the moment shown: a link to it.
    expect(decodeURIComponent(new URL(page.url()).hash)).toMatch(
      /^#\/camera\/front-door\/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    await shot("camera-desktop");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot("camera-phone");
    // Phone width: nothing wider than the screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test("trick play at 8x steps through the keyframe view in footage / speed", async () => {
    await page.click('.speed[data-speed="8"]');
    await page.waitForFunction(() => document.querySelector("video")!.dataset.view === "keys");
    await page.click('.review li[data-kind="motion"] .moment'); // plays from the motion's start: T0
    // From the footage's first second shown to its last (the label is the wall clock shown).
    const clockNear = (t: number, slack: number) =>
      page.waitForFunction(
        ([want, d]) => Math.abs((window as unknown as { shownClock(): number }).shownClock() - want!) <= d!,
        [secondsOfDay(t), slack],
        { timeout: 20_000, polling: 20 },
      );
    await clockNear(T0, 1);
    const began = performance.now();
    await clockNear(T0 + SEGMENTS * 2 - 1, 0.5);
    const took = (performance.now() - began) / 1000;
    const expected = (SEGMENTS * 2) / 8;
    console.log(
      `trick play at 8x over ${SEGMENTS * 2} s of footage: ${took.toFixed(2)} s (footage/speed = ${expected} s)`,
    );
    expect(took).toBeGreaterThan(expected * 0.6);
    expect(took).toBeLessThan(expected * 2 + 1);
    expect(await page.textContent(".now")).toContain("8× (key frames)");
    await page.click('.speed[data-speed="1"]');
    await page.waitForFunction(() => document.querySelector("video")!.dataset.view === "all");
  });

  test("the timeline zooms to a minute and scrubs, the picture under the pointer shown", async () => {
    const span = () =>
      page.$eval(
        ".timeline",
        (e) => Number((e as HTMLElement).dataset.viewEnd) - Number((e as HTMLElement).dataset.viewStart),
      );
    expect(await span()).toBeGreaterThanOrEqual(23 * 3600);
    // Zoomed in: at three hours or less each segment and the motion per minute are read and drawn.
    for (let i = 0; i < 3; i++) await page.click('button[aria-label="zoom in"]');
    expect(await span()).toBeLessThanOrEqual(3 * 3600);
    await page.waitForSelector(".motion.minute");
    const rows = app.db
      .select()
      .from(recordings)
      .all()
      .filter((r) => r.camera === "front-door");
    const minutes = await page.$$eval(".motion.minute", (els) =>
      els.map((e) => Number(e.getAttribute("data-minute"))),
    );
    expect(minutes).toEqual(motionPerMinute(rows).map((m) => m.minute));
    // The wheel zooms too, around the pointer, down to a minute.
    const box = (await page.$(".track"))!;
    const b = (await box.boundingBox())!;
    const view = await page.$eval(".timeline", (e) => [
      Number((e as HTMLElement).dataset.viewStart),
      Number((e as HTMLElement).dataset.viewEnd),
    ]);
    await page.mouse.move(
      b.x + ((T0 + SEGMENTS - view[0]!) / (view[1]! - view[0]!)) * b.width,
      b.y + b.height / 2,
    );
    for (let i = 0; i < 40 && (await span()) > 60; i++) await page.mouse.wheel(0, -100);
    expect(await span()).toBe(60);
    const [vs, ve] = await page.$eval(".timeline", (e) => [
      Number((e as HTMLElement).dataset.viewStart),
      Number((e as HTMLElement).dataset.viewEnd),
    ]);
    // Around the pointer: T0 + SEGMENTS stays in view, give or take the pixel the pointer was put
    // on (at the scale it was put, seconds wide: a pointer's place is whole pixels).
    const pixel = (view[1]! - view[0]!) / b.width;
    expect(T0 + SEGMENTS).toBeGreaterThanOrEqual(vs! - pixel);
    expect(T0 + SEGMENTS).toBeLessThanOrEqual(ve! + pixel);
    await shot("camera-minute");
    // At a minute the segments show as one span, as stored.
    const spans = await page.$$eval(".span", (els) =>
      els.map((e) => [Number(e.getAttribute("data-start")), Number(e.getAttribute("data-end"))]),
    );
    expect(spans).toHaveLength(1);
    expect(spans[0]![0]).toBeCloseTo(rows[0]!.start_time, 0);
    // Scrub: press at 4 s into the footage, drag to 20 s; the picture under the pointer shows, the player follows.
    const runs = app.previews.runs;
    const xAt = (t: number) => b.x + ((t - vs!) / (ve! - vs!)) * b.width;
    await page.mouse.move(xAt(T0 + 4), b.y + b.height / 2);
    await page.mouse.down();
    for (let k = 1; k <= 16; k++) await page.mouse.move(xAt(T0 + 4 + k), b.y + b.height / 2);
    await page.waitForFunction(
      () => (document.querySelector<HTMLImageElement>(".preview img")?.naturalWidth ?? 0) > 0,
    );
    expect(await page.isVisible(".preview")).toBe(true);
    await page.mouse.up();
    await page.waitForFunction(
      (want) => Math.abs((window as unknown as { shownClock(): number }).shownClock() - want) <= 2,
      secondsOfDay(T0 + 20),
      { timeout: 15_000 },
    );
    // A sweep across 16 moments asked for a few pictures, not one per move.
    expect(app.previews.runs - runs).toBeLessThanOrEqual(4);
    await page.click('button[aria-label="whole day"]');
    expect(await span()).toBeGreaterThanOrEqual(23 * 3600);
  });

  test("a link to a moment opens its day and plays from it; next and previous step between moments", async () => {
    const moment = T0 + 20;
    await openCamera("front-door", isoAt(moment));
    const near = (t: number) =>
      page.waitForFunction(
        (want) => Math.abs((window as unknown as { shownClock(): number }).shownClock() - want) <= 2,
        secondsOfDay(t),
        { timeout: 15_000 },
      );
    await near(moment);
    // Back from T0+20: the car (T0+8), then the person (T0+3); forward again: the car; back to the motion's start.
    await page.click('[data-step="event-1"]');
    await near(T0 + 8);
    await page.click('[data-step="event-1"]');
    await near(T0 + 3);
    await page.click('[data-step="event1"]');
    await near(T0 + 8);
    await page.click('[data-step="motion-1"]');
    await near(T0);
  });

  test("H.265 footage, which this browser cannot play, is said so plainly instead of an empty player", async () => {
    await openCamera("attic", isoAt(T0 + 1));
    await page.waitForFunction(
      () => document.querySelector("p.now")?.textContent?.includes("H.265"),
      undefined,
      {
        timeout: 15_000,
      },
    );
    expect(await page.textContent("p.now")).toContain("this browser cannot play H.265 (HEVC) footage");
    await shot("h265-said");
  });

  test("a gap in the footage is jumped: playing on to the footage after it, at the speed chosen", async () => {
    await openCamera("drive", isoAt(T0 + 3));
    await page.waitForFunction(() => document.querySelector("video")!.currentTime > 0, undefined, {
      timeout: 15_000,
    });
    await page.click('.speed[data-speed="2"]');
    await page.waitForFunction(
      (want) => Math.abs((window as unknown as { shownClock(): number }).shownClock() - want) <= 1,
      secondsOfDay(T0 + 14),
      { timeout: 15_000 },
    );
    const b = await page.$eval("video", (v) => {
      const r = (v as HTMLVideoElement).buffered;
      return { ranges: r.length, rate: (v as HTMLVideoElement).playbackRate };
    });
    expect(b).toEqual({ ranges: 2, rate: 2 }); // the gap stays a gap in the buffer; the player went over it
    await openFrontDoorDay();
  });

  test("a playhead left in a hole of the buffer (as browsers halt at a gap) goes on by itself from the buffered ranges", async () => {
    await openCamera("drive", isoAt(T0 + 1));
    try {
      // Once two runs are buffered around the gap (or more: a busy player may hold a run in two
      // ranges), into the hole, as if the browser had stopped there — in the same look, so the
      // buffer seen is the buffer sought in: the page must find its way out.
      const after = (await (
        await page.waitForFunction(
          () => {
            const v = document.querySelector("video")!;
            if (!(v.currentTime > 0 && v.buffered.length >= 2)) return false;
            v.currentTime = v.buffered.end(0) + 2;
            return v.buffered.start(1);
          },
          undefined,
          { timeout: 15_000 },
        )
      ).jsonValue()) as number;
      await page.waitForFunction((to) => document.querySelector("video")!.currentTime > to, after, {
        timeout: 5_000,
      });
    } finally {
      // The tests after this one work on front-door's day.
      await openFrontDoorDay();
    }
  });

  test("an export typed as a range downloads an MP4 that ffprobe reads", async () => {
    await page.fill("#clip-start", local(T0 + 1, "input"));
    await page.fill("#clip-end", local(T0 + 7, "input"));
    await page.waitForSelector('#clip-download[aria-disabled="false"]', { timeout: 5_000 });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#clip-download")]);
    const file = join(tempDir(), "clip.mp4");
    await download.saveAs(file);
    expect(Math.abs((await ffprobeDuration(file)) - 6)).toBeLessThanOrEqual(2);
  });

  test("a signed export: the box ticked, the download is signed and camkeep verify says it is unaltered", async () => {
    await page.check("#clip-signed");
    await page.waitForSelector('#clip-download[href*="signed=1"]', { timeout: 5_000 });
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#clip-download")]);
    const file = join(tempDir(), "signed.mp4");
    await download.saveAs(file);
    const verify = Bun.spawn([BUN, join(ROOT, "src/main.ts"), "verify", file], {
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await new Response(verify.stdout).text()).toContain("signature valid");
    expect(await verify.exited).toBe(0);
    await page.uncheck("#clip-signed");
  });

  test("the span selected is kept in a new case, then in the same case again; the API lists it", async () => {
    await page.fill("#case-title", "Fence damage");
    await page.click("#case-add");
    await page.waitForFunction(
      () => document.querySelector("#case-said")?.textContent?.includes("Kept in case"),
      undefined,
      {
        timeout: 5_000,
      },
    );
    const list = async () =>
      (await (
        await fetch(`${app.url}/api/cases`, { headers: { authorization: `Bearer ${app.token}` } })
      ).json()) as {
        id: string;
        title: string;
        spans: { camera: string }[];
      }[];
    const [made] = await list();
    expect(made!.title).toBe("Fence damage");
    expect(made!.spans.map((s) => s.camera)).toEqual(["front-door"]);
    await page.selectOption("#case-choice", made!.id);
    await page.click("#case-add");
    await page.waitForFunction(
      () => document.querySelector("#case-said")?.textContent?.includes("2 spans"),
      undefined,
      {
        timeout: 5_000,
      },
    );
    expect((await list())[0]!.spans).toHaveLength(2);
  });

  test("an event can be marked to keep forever", async () => {
    await page.click("[data-keep=person-1]");
    await page.waitForSelector("[data-keep=person-1][aria-pressed=true]");
    const res = await fetch(`${app.url}/api/events/person-1`, {
      headers: { authorization: `Bearer ${app.token}` },
    });
    expect((await res.json()).retain_indefinitely).toBe(true);
  });

  test("the keyboard does it all: the timeline's cursor, zoom, speed, play and pause", async () => {
    await page.focus(".slider");
    const before = await page.getAttribute(".slider", "aria-valuenow");
    await page.keyboard.press("ArrowLeft"); // a step back: before the footage
    expect(await page.getAttribute(".slider", "aria-valuetext")).toMatch(/^\d\d:\d\d:\d\d$/);
    expect(await page.getAttribute(".slider", "aria-valuenow")).not.toBe(before);
    const span = () =>
      page.$eval(
        ".timeline",
        (e) => Number((e as HTMLElement).dataset.viewEnd) - Number((e as HTMLElement).dataset.viewStart),
      );
    const wide = await span();
    await page.keyboard.press("+");
    expect(await span()).toBeLessThan(wide);
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => !document.querySelector("video")!.paused, undefined, {
      timeout: 15_000,
    });
    await page.keyboard.press("]");
    expect(await page.getAttribute('.speed[aria-pressed="true"]', "data-speed")).toBe("2");
    await page.keyboard.press(" ");
    expect(await page.$eval("video", (v) => (v as HTMLVideoElement).paused)).toBe(true);
  });

  test("a view asked for later is shown, though one asked for before it is answered after it (a slow network)", async () => {
    const slow = "**/api/cameras/drive/recordings/summary**";
    await page.route(slow, async (route) => {
      await Bun.sleep(1_500);
      await route.continue();
    });
    try {
      await page.goto(`${app.url}/#/camera/drive`);
      await openFrontDoorDay();
      await Bun.sleep(2_500); // drive's answer came meanwhile
      expect(await page.textContent("main h1")).toBe("front-door");
    } finally {
      await page.unroute(slow);
    }
  });

  test("the page's CSP allows Media Source and nothing more; no errors in the browser console", async () => {
    const res = await fetch(`${app.url}/`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("media-src 'self' blob:");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe");
    expect(problems).toEqual([]);
  });
});

/** Seconds into the local day of `t`, in ZONE (what the player's label shows). */
function secondsOfDay(t: number): number {
  const [hh, mm, ss] = local(t, "input").slice(11).split(":").map(Number) as [number, number, number];
  return hh * 3600 + mm * 60 + ss;
}

/** In the page: the seconds into the day the player's label shows (-1e9 when it shows none). */
function shownClock(): number {
  const m = /(\d\d):(\d\d):(\d\d)/.exec(document.querySelector(".now")?.textContent ?? "");
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : -1e9;
}

/** Clicks the timeline at wall-clock `t` (in its current view). */
async function clickAt(t: number): Promise<void> {
  const box = (await (await page.$(".track"))!.boundingBox())!;
  const [start, end] = await page.$eval(".timeline", (e) => [
    Number((e as HTMLElement).dataset.viewStart),
    Number((e as HTMLElement).dataset.viewEnd),
  ]);
  await page.mouse.click(box.x + ((t - start!) / (end! - start!)) * box.width, box.y + box.height / 2);
}
