import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import type { App } from "../../src/app.ts";
import { cameraSegment, configIn, keepers, recordingRows, segmentName, tempDir, until } from "../helpers.ts";

/**
 * The page in Firefox ESR (Debian's firefox-esr, driven over WebDriver BiDi by puppeteer-core),
 * over footage as cameras make it: H.264 with B-frames and AAC, 2 s segments, a 6 s gap.
 */
const keeper = keepers();
const T0 = Math.floor(Date.now() / 1000) - 3600;
const STARTS = [0, 2, 4, 6, 14, 16, 18, 20].map((s) => T0 + s);
let app: App;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!process.env.CAMKEEP_BROWSERS) return;
  app = await keeper.start(
    configIn(
      tempDir(),
      "api: { listen: 127.0.0.1:0 }\nrecord: { retain: { days: 1 }, commit_interval: 0, scan_interval: 1 }\nmotion: { enabled: false }\ncameras:\n  gate: {}\n",
    ),
  );
  mkdirSync(app.config.cacheDir, { recursive: true });
  for (const start of STARTS) cameraSegment(join(app.config.cacheDir, segmentName("gate", start)));
  await until(() => recordingRows(app.db).length === STARTS.length, 30_000, "the segments stored");
  browser = await puppeteer.launch({
    browser: "firefox",
    executablePath: "/usr/bin/firefox-esr",
    headless: true,
  });
  page = await browser.newPage();
  await page.goto(`${app.url}/#token=${encodeURIComponent(app.token)}`);
  await page.waitForSelector(".cameras li", { timeout: 15_000 });
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

/** The seconds of the day the player's label shows (local time, as the page writes it). */
async function shown(): Promise<number | undefined> {
  const text = await page.evaluate(() => document.querySelector("p.now")?.textContent ?? "");
  const m = /(\d\d):(\d\d):(\d\d)/.exec(text);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}
const secondsOfDay = (t: number) => {
  const d = new Date(t * 1000);
  return d.getHours() * 3600 + d.getMinutes() * 60 + d.getSeconds();
};

// Only when asked (CAMKEEP_BROWSERS=1 npm test): see scripts/test.sh.
describe.skipIf(!process.env.CAMKEEP_BROWSERS)("the page in Firefox (docs/page.md)", () => {
  test("at 2x it plays on across segments and over the gap, the speed kept", async () => {
    await page.goto(`${app.url}/#/camera/gate/${new Date(T0 * 1000).toISOString().slice(0, 19)}Z`);
    await page.waitForFunction(() => (document.querySelector("video")?.currentTime ?? 0) > 0, {
      timeout: 15_000,
    });
    await page.click('.speed[data-speed="2"]');
    await until(
      async () => ((await shown()) ?? 0) >= secondsOfDay(T0 + 20),
      25_000,
      "the footage after the gap",
      200,
    );
    expect(await page.evaluate(() => document.querySelector("video")!.playbackRate)).toBe(2);
  }, 60_000);

  test("trick play at 8x moves through the key frames", async () => {
    await page.goto(`${app.url}/#/camera/gate/${new Date(T0 * 1000).toISOString().slice(0, 19)}Z`);
    await page.waitForFunction(() => (document.querySelector("video")?.currentTime ?? 0) > 0, {
      timeout: 15_000,
    });
    await page.click('.speed[data-speed="8"]');
    await until(
      async () => ((await shown()) ?? 0) >= secondsOfDay(T0 + 16),
      10_000,
      "trick play past the gap",
      200,
    );
    expect(await page.evaluate(() => document.querySelector("video")!.dataset.view)).toBe("keys");
  }, 60_000);
});
