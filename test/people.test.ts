import { beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, writeFileSync } from "node:fs";
import { chromium } from "playwright-core";
import type { App } from "../src/app.ts";
import {
  configIn,
  keepers,
  putSegment,
  ffprobeDuration,
  recordingRows,
  runTool,
  segmentName,
  tempDir,
  until,
} from "./helpers.ts";

// Users, roles and share links (docs/security.md#users-and-roles, #share-links) on a real keeper:
// every route held to both roles, sessions that end at once, links that open without an account in
// ffmpeg, mpv, curl and Chromium and never after they stop holding.

const keeper = keepers();
let app: App;
const T0 = Math.floor(Date.now() / 1000) - 900;
const SEGMENTS = 4; // 2 s each, for each camera

/** A request as the token (default), as a session cookie, or as nobody. */
function call(path: string, init: RequestInit & { as?: string | null } = {}) {
  const headers = new Headers(init.headers);
  if (init.as === undefined) headers.set("authorization", `Bearer ${app.token}`);
  else if (init.as !== null) headers.set("cookie", init.as);
  return fetch(`${app.url}${path}`, { ...init, headers, redirect: "manual" });
}
const send = (path: string, method: string, body: unknown, as?: string | null) =>
  call(path, { method, body: JSON.stringify(body), headers: { "content-type": "application/json" }, as });

/** Logs in by name and password; the session's cookie. */
async function login(name: string, password: string): Promise<string> {
  const res = await send("/api/login", "POST", { name, password }, null);
  expect(res.status).toBe(204);
  return res.headers.get("set-cookie")!.split(";")[0]!;
}

beforeAll(async () => {
  const dir = tempDir();
  const yaml = `api: { listen: 127.0.0.1:0 }
record: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 0, pre_capture: 0, post_capture: 0 } }
cameras: { porch: {}, yard: {} }
`;
  const config = configIn(dir, yaml);
  writeFileSync(config.source, `data_dir: ${dir}\n${yaml}`); // for the command line, beside the keeper
  for (const camera of ["porch", "yard"])
    for (let i = 0; i < SEGMENTS; i++)
      await putSegment(config.cacheDir, segmentName(camera, T0 + i * 2), 2, (T0 + i * 2 + 2) * 1000);
  app = await keeper.start(config);
  await until(
    () => readdirSync(config.cacheDir).length === 0 && recordingRows(app.db).length === 2 * SEGMENTS,
    20_000,
    "the keeper to store the test segments",
  );
  for (const [name, role, cameras] of [
    ["ann", "admin", []],
    ["vic", "viewer", ["porch"]],
  ] as const) {
    const res = await send("/api/users", "POST", { name, role, cameras, password: `${name} the password` });
    expect(res.status).toBe(201);
  }
  for (const camera of ["porch", "yard"])
    expect(
      (await send("/api/events", "POST", { id: `ev-${camera}`, camera, label: "person", start_time: T0 + 1 }))
        .status,
    ).toBe(201);
});

describe("users and roles", () => {
  test("every route, as an admin and as a viewer granted porch: the viewer reaches porch's footage and events only, nothing an admin does", async () => {
    const ann = await login("ann", "ann the password");
    const vic = await login("vic", "vic the password");
    const rec = (camera: string) => recordingRows(app.db).find((r) => r.camera === camera)!;
    const init = async (camera: string) => {
      const playlist = await (await call(`/api/cameras/${camera}/vod.m3u8?start=${T0}&end=${T0 + 8}`)).text();
      return /init\/([^"?]+)\?from=([^"&]+)/.exec(playlist)!;
    };
    // What a viewer may do, written here apart from the code's own table (people/access.ts).
    const VIEWER_MAY = [
      /^GET \/api\/cameras$/,
      /^GET \/api\/cameras\/:camera\//,
      /^GET \/api\/recordings\/:id\/(file|fragment\.m4s)$/,
      /^GET \/api\/init\/:name$/,
      /^GET \/api\/events$/,
      /^GET \/api\/events\/:id$/,
      /^GET \/api\/evidence\/certificate$/,
    ];
    const PUBLIC = /^\/(healthz|share|share\.css|:file.*|api\/login|api\/logout)?($|\/)/;
    const routes = app.server.routes.filter((r) => !PUBLIC.test(r.path));
    expect(routes.length).toBeGreaterThan(35);
    const seen: string[] = [];
    for (const { method, path } of routes) {
      for (const camera of ["porch", "yard"]) {
        const [, initName, initFrom] = await init(camera);
        const fill = (missing: boolean) =>
          path
            .replace(":camera", camera)
            .replace(/:id\b/, () =>
              path.startsWith("/api/recordings")
                ? rec(camera).id
                : path.startsWith("/api/events")
                  ? missing
                    ? "no-such-event"
                    : `ev-${camera}`
                  : path.startsWith("/api/shares")
                    ? "0000000000000000"
                    : "0000000000000000",
            )
            .replace(":name", path.startsWith("/api/init") ? initName! : missing ? "nobody" : "vic") +
          (path === "/api/init/:name"
            ? `?from=${initFrom}`
            : path === "/api/events"
              ? `?camera=${camera}`
              : `?start=${T0}&end=${T0 + 4}&t=0&seq=0&speed=100`);
        const as = async (cookie: string | undefined, missing: boolean) => {
          const url = fill(missing);
          const res = await call(url, {
            method,
            as: cookie,
            ...(method === "GET" ? {} : { body: "{}", headers: { "content-type": "application/json" } }),
          });
          await res.arrayBuffer();
          return { route: `${method} ${path}`, url, status: res.status };
        };
        const key = `${method} ${path}`;
        const touchesCamera = path.includes(":") || path === "/api/events";
        const refused = !VIEWER_MAY.some((p) => p.test(key)) || (camera === "yard" && touchesCamera);
        const asViewer = await as(vic, false);
        seen.push(`${asViewer.route} ${camera}: ${asViewer.status}`);
        // The viewer: refused (403) exactly where the table says; elsewhere answered as asked.
        if (refused) expect(asViewer).toEqual({ ...asViewer, status: 403 });
        else
          expect(asViewer).toEqual({ ...asViewer, status: asViewer.status === 403 ? -1 : asViewer.status });
        // An admin user and the token: never refused (what changes things is asked of what does not exist).
        for (const who of [ann, undefined]) {
          const r = await as(who, method !== "GET");
          expect(r).toEqual({ ...r, status: r.status === 401 || r.status === 403 ? -1 : r.status });
        }
      }
    }
    // Not a route walked unanswered: the viewer reached porch's footage.
    expect(seen).toContain("GET /api/cameras/:camera/clip.mp4 porch: 200");
    expect(seen).toContain("GET /api/cameras/:camera/clip.mp4 yard: 403");
    expect(seen).toContain("GET /api/status porch: 403");
    expect(seen).toContain("GET /api/users porch: 403");
  }, 120_000);

  test("a viewer's list of cameras is theirs; an event of another camera is not listed or read", async () => {
    const vic = await login("vic", "vic the password");
    const list = (await (await call("/api/cameras", { as: vic })).json()) as {
      me: unknown;
      cameras: Record<string, unknown>;
    };
    expect(list.me).toEqual({ name: "vic", role: "viewer" });
    expect(Object.keys(list.cameras)).toEqual(["porch"]);
    expect((await call("/api/events", { as: vic })).status).toBe(403); // a viewer names the camera
    expect((await call("/api/events/ev-yard", { as: vic })).status).toBe(403);
    expect((await call("/api/events/ev-porch", { as: vic })).status).toBe(200);
    await expect((await call("/api/cameras")).json()).resolves.toMatchObject({ me: { role: "admin" } });
  });

  test("a removed user's session is refused at once, a changed password ends the old sessions", async () => {
    const add = async (cameras: string[], password: string) =>
      (await send("/api/users", "POST", { name: "tmp", role: "viewer", cameras, password })).status;
    expect(await add(["porch"], "short")).toBe(400);
    expect(await add(["nowhere"], "long enough")).toBe(400);
    expect(await add(["porch"], "long enough")).toBe(201);
    const first = await login("tmp", "long enough");
    expect((await call("/api/cameras", { as: first })).status).toBe(200);
    expect((await send("/api/users/tmp", "PATCH", { password: "another one" })).status).toBe(200);
    expect((await call("/api/cameras", { as: first })).status).toBe(401);
    expect((await send("/api/login", "POST", { name: "tmp", password: "long enough" }, null)).status).toBe(
      401,
    );
    const second = await login("tmp", "another one");
    expect((await call("/api/cameras", { as: second })).status).toBe(200);
    expect((await call("/api/users/tmp", { method: "DELETE" })).status).toBe(204);
    expect((await call("/api/cameras", { as: second })).status).toBe(401);
    const audit = (await (await call("/api/audit")).json()) as { actor: string; action: string }[];
    expect(audit.map((e) => `${e.actor}: ${e.action}`)).toEqual(
      expect.arrayContaining(["admin (token): user added", "tmp: login", "admin (token): user removed"]),
    );
  });

  test("added, listed, given a password and removed from the command line, beside the running keeper", async () => {
    const cli = async (args: string[], stdin = "") => {
      const p = Bun.spawn(
        ["node_modules/.bin/bun", "src/main.ts", "users", ...args, "--config", app.config.source],
        {
          stdin: new Blob([stdin]),
          stdout: "pipe",
          stderr: "pipe",
        },
      );
      return {
        code: await p.exited,
        out: await new Response(p.stdout).text(),
        err: await new Response(p.stderr).text(),
      };
    };
    expect(await cli(["add", "pat", "--cameras", "porch,attic"], "pat's password\n")).toMatchObject({
      code: 2,
      err: expect.stringContaining("no camera attic"),
    });
    expect(await cli(["add", "pat", "--cameras", "porch"], "short\n")).toMatchObject({
      code: 2,
      err: "the password must be at least 8 characters\n",
    });
    expect(await cli(["add", "pat", "--cameras", "porch,yard"], "pat's password\n")).toMatchObject({
      code: 0,
    });
    expect((await cli(["list"])).out).toMatch(/^pat {2}viewer {2}cameras: porch, yard/m);
    const session = await login("pat", "pat's password");
    expect(await cli(["passwd", "pat"], "a new one for pat\n")).toMatchObject({ code: 0 });
    expect((await call("/api/cameras", { as: session })).status).toBe(401);
    await login("pat", "a new one for pat");
    expect(await cli(["remove", "pat"])).toMatchObject({ code: 0, out: "removed pat and its sessions\n" });
    expect(
      (await send("/api/login", "POST", { name: "pat", password: "a new one for pat" }, null)).status,
    ).toBe(401);
  }, 60_000);

  test("the page: a viewer logs in by name and sees only their cameras and no admin action; an admin makes a share link and revokes it (in a browser that knows no time zone)", async () => {
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu"],
      // A machine without a zone: the browser says "Etc/Unknown", which the page must not send on.
      env: { ...process.env, TZ: "undefined" },
    });
    try {
      const page = await browser.newPage();
      const logIn = async (name: string, password: string, then = ".cameras li") => {
        await page.goto(`${app.url}/`);
        await page.fill("#name", name);
        await page.fill("#password", password);
        await page.click("button[type=submit]");
        await page.waitForSelector(then);
      };
      await logIn("vic", "wrong password", "text=That name and password do not match.");
      await logIn("vic", "vic the password");
      expect(
        await page.$$eval(".cameras li", (els) => els.map((e) => e.getAttribute("data-camera"))),
      ).toEqual(["porch"]);
      expect(await page.textContent("[data-me]")).toBe("vic");
      expect(await page.$("section.storage")).toBeNull();
      await page.goto(`${app.url}/#/camera/porch`);
      await page.waitForSelector("section.export");
      expect(await page.$("#clip-download")).not.toBeNull();
      for (const admins of ["#share-make", "#case-add", "button.keep"])
        expect(await page.$(admins)).toBeNull();

      await page.click("text=Log out");
      await logIn("ann", "ann the password");
      expect(
        await page.$$eval(".cameras li", (els) => els.map((e) => e.getAttribute("data-camera"))),
      ).toEqual(["porch", "yard"]);
      await page.waitForSelector("section.storage");
      await page.goto(`${app.url}/#/camera/porch`);
      await page.waitForSelector("#share-make");
      // The span typed into the export panel's fields (local time, as the page shows it).
      await page.evaluate(
        ([a, b]) => {
          const local = (t: number) => {
            const d = new Date(t * 1000);
            return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
          };
          for (const [id, t] of [
            ["clip-start", a],
            ["clip-end", b],
          ] as const) {
            const input = document.getElementById(id) as HTMLInputElement;
            input.value = local(t!);
            input.dispatchEvent(new Event("input"));
          }
        },
        [T0 + 2, T0 + 6],
      );
      await page.fill("#share-uses", "3");
      await page.click("#share-make");
      await page.waitForSelector("#share-url:not([hidden])");
      const url = await page.inputValue("#share-url");
      const opened = await fetch(url);
      expect(opened.status).toBe(200);
      expect(await opened.text()).toContain("3 of 3 downloads left");
      await page.goto(`${app.url}/#/`);
      const id = /share\/([0-9a-f]{16})\./.exec(url)![1]!;
      await page.click(`[data-revoke="${id}"]`);
      await page.waitForSelector(`[data-share="${id}"][data-status="revoked"]`);
      expect((await fetch(url)).status).toBe(410);
    } finally {
      await browser.close();
    }
  }, 90_000);

  test("failed logins are limited per user (from many addresses) and per address (for many names)", async () => {
    // Each attempt from its own loopback address, so the address's limit is not what refuses.
    let address = 20;
    const attempt = async (name: string, password: string, from = `127.0.0.${address++}`) =>
      (
        await runTool([
          "curl",
          "-s",
          "-o",
          "/dev/null",
          "-w",
          "%{http_code}",
          "--interface",
          from,
          "-H",
          "content-type: application/json",
          "-d",
          JSON.stringify({ name, password }),
          `${app.url}/api/login`,
        ])
      ).out;
    const untilRefused = async (next: () => Promise<string>) => {
      const said: string[] = [];
      while (!said.includes("429") && said.length < 14) said.push(await next());
      return said;
    };
    const perUser = await untilRefused(() => attempt("ann", "not it"));
    expect(perUser.slice(0, 5)).toEqual(["401", "401", "401", "401", "401"]);
    expect(perUser.at(-1)).toBe("429");
    expect(await attempt("ann", "ann the password")).toBe("429"); // the right password waits too
    expect(await attempt("vic", "vic the password")).toBe("204"); // another user is not held
    const perAddress = await untilRefused(() => attempt(`someone${address}`, "wrong", "127.0.0.99"));
    expect(perAddress.at(-1)).toBe("429");
    expect(await attempt("vic", "vic the password", "127.0.0.99")).toBe("429");
  }, 60_000);
});

describe("share links", () => {
  /** A share of porch's footage, made by the token's admin. */
  async function share(body: Record<string, unknown> = {}) {
    const res = await send("/api/shares", "POST", { camera: "porch", start: T0 + 3, end: T0 + 7, ...body });
    expect(res.status).toBe(201);
    return (await res.json()) as { id: string; url: string; clip_url: string; playlist_url: string };
  }

  test("opens in ffmpeg, mpv, VLC and curl without any header, only the span and camera it names", async () => {
    const s = await share({ note: "for the insurer <b>" });
    expect(s.url).toMatch(new RegExp(`^${app.url}/share/[0-9a-f]{16}\\.[A-Za-z0-9_-]{22}/$`));
    const got = await runTool([
      "curl",
      "-sS",
      "-f",
      "-o",
      "/dev/null",
      "-w",
      "%{http_code} %{size_download}",
      s.clip_url,
    ]);
    expect(got.out).toMatch(/^200 \d{4,}$/);
    const duration = await ffprobeDuration(s.clip_url);
    expect(duration).toBeGreaterThan(3);
    expect(duration).toBeLessThan(9);
    const decoded = await runTool(["ffmpeg", "-v", "error", "-i", s.playlist_url, "-f", "null", "-"]);
    expect(decoded).toMatchObject({ code: 0, err: "" });
    const mpv = await runTool([
      "mpv",
      "--no-config",
      "--untimed",
      "--vo=null",
      "--ao=null",
      "--msg-level=all=error",
      s.playlist_url,
    ]);
    expect(mpv).toMatchObject({ code: 0, err: "" });
    // VLC (it refuses root: run as nobody), remuxing what it played of the clip and of the playlist to a file.
    const out = tempDir("camkeep-vlc-");
    chmodSync(out, 0o777);
    for (const [name, url] of [
      ["clip", s.clip_url],
      ["playlist", s.playlist_url],
    ] as const) {
      const played = await runTool([
        ...["runuser", "-u", "nobody", "--", "cvlc", "--play-and-exit", "--intf", "dummy"],
        ...["--sout", `#std{access=file,mux=ts,dst=${out}/${name}.ts}`, url],
      ]);
      const frames = await runTool([
        ...["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v"],
        ...["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", `${out}/${name}.ts`],
      ]);
      // Every frame of the span (20: 4 s at 5 fps) but at most the last, whose duration a remux may drop.
      expect({ name, vlc: played.code, frames: Number.parseInt(frames.out, 10) >= 19 }).toEqual({
        name,
        vlc: 0,
        frames: true,
      });
    }
    // The link's query cannot widen it, nor reach another camera or anything else of the API.
    const base = s.url;
    expect(
      (await fetch(`${base}cameras/porch/clip.mp4?start=${T0 - 900}&end=${T0 + 900}`)).headers.get(
        "content-length",
      ),
    ).toBe((await fetch(s.clip_url)).headers.get("content-length"));
    expect((await fetch(`${base}cameras/yard/clip.mp4`)).status).toBe(403);
    const yardRec = recordingRows(app.db).find((r) => r.camera === "yard")!;
    expect((await fetch(`${base}recordings/${yardRec.id}/fragment.m4s?t=0&seq=0`)).status).toBe(403);
    for (const other of ["status", "users", "shares", "cameras", "events?camera=porch", "audit"])
      expect({ other, status: (await fetch(`${base}${other}`)).status }).toEqual({ other, status: 404 });
    const porchRecs = recordingRows(app.db).filter((r) => r.camera === "porch");
    const outside = porchRecs.find((r) => r.end_time <= T0 + 3)!; // porch, but before the span
    expect((await fetch(`${base}recordings/${outside.id}/file`)).status).toBe(404);
    expect((await fetch(`${base}recordings/${outside.id}/fragment.m4s?t=0&seq=0`)).status).toBe(403);
    // The page says what it is, escaping the note.
    const page = await (await fetch(s.url)).text();
    expect(page).toContain("for the insurer &lt;b&gt;");
    expect(page).toContain('src="cameras/porch/clip.mp4"');
    // Each use in the audit log, under the link's name.
    const audit = (await (await call("/api/audit")).json()) as { actor: string; action: string }[];
    expect(audit.filter((e) => e.actor === `share ${s.id}`).map((e) => e.action)).toEqual(
      expect.arrayContaining(["export", "footage viewed"]),
    );
  }, 60_000);

  test("plays in Chromium on its page, with no login", async () => {
    const s = await share();
    const browser = await chromium.launch({
      executablePath: "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(s.url);
      await page.evaluate(() => {
        const v = document.querySelector("video")!;
        v.muted = true;
        return v.play();
      });
      await page.waitForFunction(() => document.querySelector("video")!.currentTime > 1, undefined, {
        timeout: 30_000,
      });
      expect(await page.title()).toContain("porch");
    } finally {
      await browser.close();
    }
  }, 60_000);

  test("an edited link is refused (403); an expired, revoked or used-up one is gone (410) — never footage", async () => {
    const s = await share({ uses: 1 });
    const link = /share\/([^/]+)\//.exec(s.url)![1]!;
    const edits = [0, 10, 17, 30, link.length - 1].map((i) => {
      const ch = link[i] === "a" ? "b" : link[i] === "." ? "-" : "a";
      return link.slice(0, i) + ch + link.slice(i + 1);
    });
    for (const edited of edits) {
      const res = await fetch(s.clip_url.replace(link, edited));
      expect({ edited, status: res.status }).toEqual({ edited, status: 403 });
      expect(res.headers.get("content-type")).toContain("json");
    }
    expect((await fetch(s.clip_url)).status).toBe(200); // the one use
    const used = await fetch(s.clip_url);
    expect(used.status).toBe(410);
    expect(await used.text()).toContain("used its 1 time");
    expect((await fetch(s.playlist_url)).status).toBe(410);

    const revoked = await share();
    expect((await call(`/api/shares/${revoked.id}`, { method: "DELETE" })).status).toBe(204);
    for (const url of [revoked.url, revoked.clip_url, revoked.playlist_url]) {
      const res = await fetch(url);
      expect({ url, status: res.status }).toEqual({ url, status: 410 });
      expect(await res.text()).toContain("revoked");
    }

    const expired = await share();
    app.db.$client.run("UPDATE shares SET expires_at = ? WHERE id = ?", [Date.now() / 1000 - 1, expired.id]);
    expect((await fetch(expired.clip_url)).status).toBe(410);
    expect(await (await fetch(expired.url)).text()).toContain("expired");

    const list = (await (await call("/api/shares")).json()) as { id: string; status: string }[];
    expect(Object.fromEntries(list.map((l) => [l.id, l.status]))).toMatchObject({
      [s.id]: "used up",
      [revoked.id]: "revoked",
      [expired.id]: "expired",
    });
    const cli = await runTool([
      "node_modules/.bin/bun",
      "src/main.ts",
      "shares",
      "--config",
      app.config.source,
    ]);
    expect(cli).toMatchObject({ code: 0, out: expect.stringContaining(`${revoked.id}  revoked  porch`) });
    const audit = (await (await call("/api/audit")).json()) as { action: string; detail: string }[];
    expect(audit.filter((e) => e.action === "share refused").map((e) => JSON.parse(e.detail).reason)).toEqual(
      expect.arrayContaining([expect.stringContaining("altered"), expect.stringContaining("revoked")]),
    );
  }, 60_000);

  test("made only by an admin, for a span of at most 24 h and at most 30 days", async () => {
    const vic = await login("vic", "vic the password");
    expect((await send("/api/shares", "POST", { camera: "porch", start: T0, end: T0 + 4 }, vic)).status).toBe(
      403,
    );
    const bad = await send("/api/shares", "POST", {
      camera: "porch",
      start: T0,
      end: T0 + 4,
      days: 31,
      uses: 0,
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/days.*at most 30.*uses|uses.*days/s);
    expect((await send("/api/shares", "POST", { camera: "porch", start: T0, end: T0 + 90_000 })).status).toBe(
      400,
    );
    expect((await send("/api/shares", "POST", { camera: "attic", start: T0, end: T0 + 4 })).status).toBe(404);
  });
});
