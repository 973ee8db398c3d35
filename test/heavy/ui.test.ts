import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startApp, type App } from "../../src/app.ts";
import { events as eventsTable, recordings } from "../../src/db/schema.ts";
import { motionPerMinute } from "../../src/ui/time.ts";
import { ROOT, configIn, ffprobeDuration, putSegment, segmentName, tempDir, until } from "../helpers.ts";

/**
 * The page in a real browser (Debian's chromium, driven by playwright-core) against a real
 * camkeep whose maintainer stored the footage. Screenshots go to test-artifacts/.
 */
const ZONE = "Europe/Berlin";
const ARTIFACTS = join(ROOT, "test-artifacts");
const T0 = Math.floor(Date.now() / 1000) - 200; // recent enough for "recording" (a segment within 5 minutes)
const SEGMENTS = 6; // 2 s each
let app: App;
let browser: Browser;
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
  const dir = tempDir();
  const config = configIn(
    dir,
    `api: { listen: 127.0.0.1:0 }
record: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 0, pre_capture: 0, post_capture: 0 } }
cameras:
  front-door: {}
  back_yard: {}
storage:
  tiers: [{ name: backup, path: ${dir}/backup, copy: true }]
`,
  );
  app = await startApp(config); // no detector: camkeep judges the motion of the (moving) test picture itself
  for (let i = 0; i < SEGMENTS; i++)
    await putSegment(config.cacheDir, segmentName("front-door", T0 + i * 2), 2, (T0 + i * 2 + 2) * 1000);
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
  page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
  page.on("pageerror", (e) => problems.push(`page: ${e.message}`));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await app?.stop();
});

const shot = (name: string) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

describe("the page", () => {
  test("a wrong token is refused at the login form", async () => {
    await page.goto(`${app.url}/`);
    await page.fill("#token", "not-the-token-at-all");
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
      ["back_yard", "no recent footage"],
      ["front-door", "recording"],
    ]);
    expect(await page.textContent("[data-health]")).toBe("healthy");
    expect(await page.textContent(".storage")).toContain("free");
    // The copy tier (docs/tiers.md): every segment the keeper stored was copied; the page says so.
    await until(
      () => (app.db.$client.query("SELECT count(*) AS n FROM copies").get() as { n: number }).n === SEGMENTS,
      15_000,
      "the stored segments to be copied to the backup tier",
    );
    await page.reload();
    await page.waitForSelector('.tiers li[data-tier="backup"]');
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
    await page.goto(`${app.url}/#/camera/front-door/${local(T0, "day")}`);
    await page.waitForSelector(".timeline .span");
    // The day comes from the quarter-hour rollups (no segment list): the footage's quarter hours, merged.
    const spans = await page.$$eval(".span", (els) =>
      els.map((e) => [Number(e.getAttribute("data-start")), Number(e.getAttribute("data-end"))]),
    );
    const first = Math.floor(T0 / 900) * 900,
      last = Math.floor((T0 + SEGMENTS * 2 - 2) / 900) * 900;
    expect(spans).toEqual([[first, last + 900]]);
    // Motion per quarter hour, from the motion camkeep judged in each stored segment.
    const rows = app.db.select().from(recordings).all();
    expect(rows.every((r) => r.motion > 0 && !r.unjudged)).toBe(true);
    const quarters = await page.$$eval(".motion.quarter", (els) =>
      els.map((e) => Number(e.getAttribute("data-quarter"))),
    );
    expect(quarters).toEqual([...new Set(rows.map((r) => Math.floor(r.start_time / 900) * 900))].sort());
    expect(await page.$$eval(".motion.minute", (els) => els.length)).toBe(0); // minute by minute only for the hour being played
    expect(
      await page.$$eval(".event", (els) =>
        els.map((e) => [e.getAttribute("data-event"), e.classList.contains("kept")]),
      ),
    ).toEqual([
      ["person-1", false],
      ["car-1", true],
    ]);
    expect(await page.$eval("#day", (s) => (s as HTMLSelectElement).value)).toBe(local(T0, "day"));
    expect(await page.$$eval(".ticks span", (els) => els.length)).toBeGreaterThanOrEqual(23);
  });

  test("a click plays from that moment, and playback continues into the next segment", async () => {
    const track = (await page.$(".track"))!;
    const box = (await track.boundingBox())!;
    const [start, end] = await page.evaluate(() => [
      Number(document.querySelector(".timeline")!.getAttribute("aria-valuemin")),
      Number(document.querySelector(".timeline")!.getAttribute("aria-valuemax")),
    ]);
    const x = box.x + ((T0 - start!) / (end! - start!)) * box.width - 1; // just before the footage: plays from its start
    await page.mouse.click(x, box.y + box.height / 2);
    await page.waitForFunction(
      () => (document.querySelector("video") as HTMLVideoElement).currentTime > 0.5,
      undefined,
      { timeout: 15_000 },
    );
    const first = await page.$eval("video", (v) => (v as HTMLVideoElement).dataset.recording);
    await page.waitForFunction(
      (id) =>
        (document.querySelector("video") as HTMLVideoElement).dataset.recording !== id &&
        (document.querySelector("video") as HTMLVideoElement).currentTime > 0.2,
      first,
      { timeout: 15_000 },
    );
    expect(await page.textContent(".now")).toContain("front-door");
    expect(await page.isVisible(".playhead")).toBe(true);
    // The hour being played: its segments loaded, its motion shown minute by minute.
    const rows = app.db.select().from(recordings).all();
    const minutes = await page.$$eval(".motion.minute", (els) =>
      els.map((e) => Number(e.getAttribute("data-minute"))),
    );
    expect(minutes).toEqual(motionPerMinute(rows).map((m) => m.minute));
    await shot("camera-desktop");
    await page.setViewportSize({ width: 390, height: 844 });
    await shot("camera-phone");
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  test("an export typed as a range downloads an MP4 that ffprobe reads", async () => {
    await page.fill("#clip-start", local(T0 + 1, "input"));
    await page.fill("#clip-end", local(T0 + 7, "input"));
    expect(await page.getAttribute("#clip-download", "aria-disabled")).toBe("false");
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#clip-download")]);
    const file = join(tempDir(), "clip.mp4");
    await download.saveAs(file);
    expect(Math.abs((await ffprobeDuration(file)) - 6)).toBeLessThanOrEqual(2);
  });

  test("an event can be marked to keep forever", async () => {
    await page.click("[data-keep=person-1]");
    await page.waitForSelector("[data-keep=person-1][aria-pressed=true]");
    const res = await fetch(`${app.url}/api/events/person-1`, {
      headers: { authorization: `Bearer ${app.token}` },
    });
    expect((await res.json()).retain_indefinitely).toBe(true);
  });

  test("the timeline is reachable and playable from the keyboard", async () => {
    await page.focus(".timeline");
    await page.keyboard.press("ArrowRight");
    expect(await page.getAttribute(".timeline", "aria-valuetext")).toMatch(/^\d\d:\d\d:\d\d$/);
  });

  test("no errors in the browser console", () => {
    expect(problems).toEqual([]);
  });
});
