import { describe, expect, test } from "bun:test";
import { SimulatedClocks } from "../src/time/clocks.ts";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../src/app.ts";
import { redact } from "../src/log/redact.ts";
import {
  keepers,
  BUN,
  ROOT,
  childCommands,
  configIn,
  logged,
  putSegment,
  segmentName,
  tempDir,
  until,
} from "./helpers.ts";

/** docs/security.md: each point through a real camkeep on a loopback port. */
const keeper = keepers();
async function start(yaml = "", dir = tempDir()): Promise<App> {
  return await keeper.start(
    configIn(
      dir,
      `api: { listen: 127.0.0.1:0${yaml.includes("api:") ? "" : " }"}\n${yaml}`.replace(
        "api: { listen: 127.0.0.1:0\napi: {",
        "api: { listen: 127.0.0.1:0,",
      ),
    ),
  );
}
const bearer = (app: App) => ({ authorization: `Bearer ${app.token}` });
const login = async (app: App, headers: Record<string, string> = {}) =>
  fetch(`${app.url}/api/login`, {
    method: "POST",
    body: JSON.stringify({ token: app.token }),
    headers: { "content-type": "application/json", ...headers },
  });

describe("sessions", () => {
  test("Secure when served over TLS (a proxy saying https)", async () => {
    const app = await start();
    expect((await login(app, { "x-forwarded-proto": "https" })).headers.get("set-cookie")).toContain(
      "Secure",
    );
  });
  test("listed and revoked through the API; never listing their secrets", async () => {
    const app = await start();
    const session = (await login(app, { "user-agent": "test-browser" })).headers
      .get("set-cookie")!
      .split(";")[0]!;
    const list = (await (await fetch(`${app.url}/api/sessions`, { headers: bearer(app) })).json()) as {
      id: string;
      client: string;
      agent: string;
    }[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ client: "127.0.0.1", agent: "test-browser" });
    expect(JSON.stringify(list)).not.toContain(session.split("=")[1]!);
    expect(
      (await fetch(`${app.url}/api/sessions/${list[0]!.id}`, { method: "DELETE", headers: bearer(app) }))
        .status,
    ).toBe(204);
    expect((await fetch(`${app.url}/api/status`, { headers: { cookie: session } })).status).toBe(401);
  });
  test("listed and revoked from the command line, beside the running camkeep", async () => {
    const dir = tempDir();
    const app = await start("", dir);
    const session = (await login(app)).headers.get("set-cookie")!.split(";")[0]!;
    const cli = (...args: string[]) =>
      Bun.spawnSync([
        BUN,
        join(ROOT, "src/main.ts"),
        "sessions",
        "--config",
        join(dir, "camkeep.yml"),
        ...args,
      ]);
    writeFileSync(join(dir, "camkeep.yml"), `data_dir: ${dir}\n`);
    const listed = cli().stdout.toString();
    const id = /^([0-9a-f]{12}) {2}\(the token\) {2}from 127\.0\.0\.1/.exec(listed)?.[1];
    expect(id).toBeDefined();
    expect(cli("revoke", id!).exitCode).toBe(0);
    expect((await fetch(`${app.url}/api/status`, { headers: { cookie: session } })).status).toBe(401);
  });
});

describe("failed logins and bad tokens", () => {
  test("limited per address with a growing wait, logged without the token, counted", async () => {
    // On simulated clocks: the waits are exact, and a busy machine cannot let one pass unseen.
    const clocks = new SimulatedClocks(Date.now() / 1000);
    const app = await keeper.start(configIn(tempDir(), "api: { listen: 127.0.0.1:0 }\n"), { clocks });
    const statuses: number[] = [];
    const log = await logged(async () => {
      for (let i = 0; i < 7; i++)
        statuses.push(
          (
            await fetch(`${app.url}/api/status`, {
              headers: { authorization: "Bearer not-the-token-at-all-secret" },
            })
          ).status,
        );
    });
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401, 429]); // 5 free, the 6th starts a wait
    const refused = await fetch(`${app.url}/api/login`, {
      method: "POST",
      body: JSON.stringify({ token: app.token }),
      headers: { "content-type": "application/json" },
    });
    expect(refused.status).toBe(429); // even the right token waits
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(log).toContain("wrong token from 127.0.0.1");
    expect(log).not.toContain("not-the-token-at-all-secret");
    expect((await fetch(`${app.url}/metrics`, { headers: bearer(app) })).status).toBe(429); // this address is waiting: metrics too
    // The first wait is a second: not over a millisecond early; after it the right token works
    // again, and the failures are counted.
    expect(refused.headers.get("retry-after")).toBe("1");
    await clocks.advance(999);
    expect((await fetch(`${app.url}/metrics`, { headers: bearer(app) })).status).toBe(429);
    await clocks.advance(1);
    const metrics = await fetch(`${app.url}/metrics`, { headers: bearer(app) });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("camkeep_auth_failures_total 6");
  });
});

describe("headers", () => {
  test("the page: a CSP fit for it, never framed, no sniffing, no referrer", async () => {
    const app = await start();
    const res = await fetch(`${app.url}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<div id="app">');
    const csp = res.headers.get("content-security-policy")!;
    for (const part of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ])
      expect(csp).toContain(part);
    expect(csp).not.toContain("unsafe-inline");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
  });
  test("answers behind the token are never cached", async () => {
    const app = await start();
    for (const path of ["/api/status", "/metrics", "/api/events"]) {
      const res = await fetch(`${app.url}${path}`, { headers: bearer(app) });
      expect(res.headers.get("cache-control")).toBe("no-store");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    }
  });
});

describe("the Host header (DNS rebinding)", () => {
  test("a name camkeep does not answer to is refused; loopback, IP addresses and allowed names are not", async () => {
    const app = await start("api: { allowed_hosts: [nas.lan] }\n");
    const port = new URL(app.url).port;
    const status = async (host: string, path = "/api/status") =>
      (await fetch(`${app.url}${path}`, { headers: { ...bearer(app), host } })).status;
    expect(await status(`evil.example:${port}`)).toBe(403);
    expect(await status(`evil.example:${port}`, "/")).toBe(403);
    expect(await status(`localhost:${port}`)).toBe(200);
    expect(await status(`127.0.0.1:${port}`)).toBe(200);
    expect(await status(`192.168.1.20:${port}`)).toBe(200);
    expect(await status(`nas.lan:${port}`)).toBe(200);
    expect(await status(`evil.example:${port}`, "/healthz")).toBe(200); // health names nothing: monitors may use any name
  });
});

describe("input bounds", () => {
  test("event ids '.' and '..' are refused (a URL cannot address them)", async () => {
    const app = await start("cameras:\n  cam: {}\n");
    for (const id of [".", ".."]) {
      const res = await fetch(`${app.url}/api/events`, {
        method: "POST",
        headers: { ...bearer(app), "content-type": "application/json" },
        body: JSON.stringify({ id, camera: "cam", label: "person", start_time: 1_790_000_000 }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { details: Record<string, string> }).details.id).toContain("'.' or '..'");
    }
  });
  test("activity boxes beyond any picture, or not finite, are refused with 400; motion stays a number", async () => {
    const app = await start("cameras:\n  cam: {}\n");
    const post = (boxes: unknown) =>
      fetch(`${app.url}/api/activity`, {
        method: "POST",
        headers: { ...bearer(app), "content-type": "application/json" },
        body: `{"camera":"cam","frames":[{"frame_time":1790000000,"motion_boxes":${boxes}}]}`,
      });
    expect((await post("[[0,0,1e308,1e308]]")).status).toBe(400);
    expect((await post("[[0,0,-5,10]]")).status).toBe(400);
    expect((await post("[[10,10,5,20]]")).status).toBe(400);
    expect((await post("[[0,0,1920,1080]]")).status).toBe(202);
  });
});

describe("clip exports", () => {
  test("bounded at once (429 beyond api.max_exports), and a client that stops reading is cut", async () => {
    const dir = tempDir();
    const app = await start(
      // (ffmpeg's exports are the bounded ones: media.engine ffmpeg makes every export one)
      "api: { max_exports: 1, export_stall_timeout: 2 }\nmedia: { engine: ffmpeg }\nrecord: { scan_interval: 1, commit_interval: 0, retain: { days: 1 }, events: { max_latency: 0, pre_capture: 0 } }\ncameras:\n  cam: {}\n",
      dir,
    );
    const t0 = Math.floor(Date.now() / 1000) - 600;
    for (let i = 0; i < 40; i++)
      await putSegment(app.config.cacheDir, segmentName("cam", t0 + i * 2), 2, (t0 + i * 2 + 2) * 1000);
    await until(
      () =>
        app.db.$client.query("SELECT count(*) AS n FROM recordings").get() !== null &&
        (app.db.$client.query("SELECT count(*) AS n FROM recordings").get() as { n: number }).n >= 39,
      20_000,
      "the segments to be stored",
    );
    const url = `${app.url}/api/cameras/cam/clip.mp4?start=${t0}&end=${t0 + 80}`;
    const exporters = () =>
      childCommands(process.pid).filter((c) => c.startsWith("ffmpeg") && c.includes("concat")).length;
    // A client that connects and then reads nothing (stopped), holding the one export.
    const client = Bun.spawn([
      "curl",
      "-sS",
      "--limit-rate",
      "1k",
      "-o",
      "/dev/null",
      "-H",
      `Authorization: Bearer ${app.token}`,
      url,
    ]);
    await until(() => exporters() === 1, 5_000, "the first export to start");
    client.kill("SIGSTOP");
    const second = await fetch(url, { headers: bearer(app) });
    expect(second.status).toBe(429);
    expect(second.headers.get("retry-after")).toBe("10");
    await until(() => exporters() === 0, 15_000, "the stalled export to be cut"); // today: held until the connection's 2-minute idle timeout
    client.kill("SIGKILL");
    await until(
      async () => {
        const again = await fetch(url, { headers: bearer(app) });
        await again.body?.cancel();
        return again.status === 200;
      },
      5_000,
      "room for an export again",
    );
  }, 60_000);
});

describe("secrets", () => {
  test("RTSP passwords holding '@' are hidden whole", () => {
    expect(redact("rtsp://admin:p@ss@w0rd@10.0.0.5:554/stream1")).toBe("rtsp://***@10.0.0.5:554/stream1");
    expect(redact("ffmpeg -i rtsp://u:a@b/x -f segment")).toBe("ffmpeg -i rtsp://***@b/x -f segment");
    expect(
      redact(
        "http://127.0.0.1:9000/b/k.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA%2F2026&X-Amz-Signature=abc123: 403",
      ),
    ).toBe(
      "http://127.0.0.1:9000/b/k.mp4?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=***&X-Amz-Signature=***: 403",
    );
  });
  test("check-config prints neither the API token, input passwords nor an S3 secret", () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "c.yml"),
      "api: { token: super-secret-token-123 }\ncameras:\n  door: { input: 'rtsp://admin:p@ss@10.0.0.5/s' }\n" +
        "storage:\n  tiers:\n    - { name: off, s3: { endpoint: 'https://s3.example.com', bucket: b, access_key_id: AKIAEXAMPLE, secret_access_key: s3-secret-value }, copy: true }\n",
    );
    const out = Bun.spawnSync([
      BUN,
      join(ROOT, "src/main.ts"),
      "check-config",
      join(dir, "c.yml"),
    ]).stdout.toString();
    expect(out).toContain('"door"');
    expect(out).not.toContain("super-secret-token-123");
    expect(out).not.toContain("p@ss");
    expect(out).toContain("rtsp://***@10.0.0.5/s");
    expect(out).toContain("AKIAEXAMPLE");
    expect(out).not.toContain("s3-secret-value");
  });
  test("an S3 secret file others can read is warned about, and its secret is used", async () => {
    const dir = tempDir();
    const secret = join(dir, "s3-secret");
    writeFileSync(secret, "not-a-real-secret\n");
    chmodSync(secret, 0o644);
    const log = await logged(() =>
      start(
        `storage:\n  tiers:\n    - { name: off, s3: { endpoint: "http://127.0.0.1:9", bucket: b, access_key_id: k, secret_access_key_file: ${secret} }, copy: true }\n`,
      ),
    );
    expect(log).toContain(`${secret} can be read by other users: chmod 600 ${secret}`);
    expect(log).not.toContain("not-a-real-secret");
  });
  test("a token file others can read is warned about; data folders are 0750 and the database 0640", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "data"), { recursive: true });
    const tokenFile = join(dir, "data", "api-token");
    writeFileSync(tokenFile, "a-token-of-enough-length-0123456789\n");
    chmodSync(tokenFile, 0o644);
    const log = await logged(() => start("", join(dir, "data")));
    expect(log).toContain("can be read by other users: chmod 600");
    const fresh = tempDir();
    const app = await start("", join(fresh, "data"));
    expect(statSync(join(fresh, "data")).mode & 0o777).toBe(0o750);
    expect(statSync(app.config.database).mode & 0o777).toBe(0o640);
    expect(statSync(app.config.recordingsDir).mode & 0o777).toBe(0o750);
  });
});
