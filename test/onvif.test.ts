import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { App } from "../src/app.ts";
import { events as eventsTable } from "../src/db/schema.ts";
import { openDb } from "../src/db/open.ts";
import { ActivityStore } from "../src/keeper/activity.ts";
import { parseConfig } from "../src/config/load.ts";
import { OnvifWatch, type WatchTimings } from "../src/onvif/watch.ts";
import { normaliseTopic, onvifBoolean } from "../src/onvif/topics.ts";
import { type Dialect, TestCamera } from "./fixtures/onvif-camera.ts";
import {
  ROOT,
  configIn,
  keepers,
  putSegment,
  recordingRows,
  segmentName,
  tempDir,
  until,
} from "./helpers.ts";

/**
 * The cameras' own events (docs/onvif.md) against a test ONVIF camera of our own
 * (test/fixtures/onvif-camera.ts): a real HTTP server answering as makers' cameras do.
 */
const cameras: TestCamera[] = [];
const watches: OnvifWatch[] = [];
afterAll(async () => {
  for (const w of watches) await w.stop();
  for (const c of cameras) c.stop();
});
const camera = (o: ConstructorParameters<typeof TestCamera>[0] = {}) => {
  const c = new TestCamera({ user: "admin", password: "secret", ...o });
  cameras.push(c);
  return c;
};
/** Quick waits: a pull of a second, a backoff of at most two. */
const QUICK: WatchTimings = {
  pullSeconds: 1,
  subscriptionSeconds: 600,
  maxBackoffSeconds: 2,
  callSeconds: 2,
};

/** A watch of one camera `cam` on `c`, with a real database and activity store. */
function watch(
  c: TestCamera,
  opts: { password?: string; timings?: Partial<WatchTimings>; maxLength?: number } = {},
) {
  const dir = tempDir();
  const config = parseConfig(
    `data_dir: ${dir}\nrecord: { events: { max_length: ${opts.maxLength ?? 600} } }\ncameras:\n  cam:\n    onvif: { host: 127.0.0.1, port: ${c.port}, user: admin, password: ${opts.password ?? "secret"} }\n`,
    join(dir, "c.yml"),
  );
  const db = openDb(join(dir, "camkeep.db"));
  const activity = new ActivityStore();
  const w = new OnvifWatch(Object.values(config.cameras), { db, activity }, { ...QUICK, ...opts.timings });
  watches.push(w);
  w.start();
  const live = () => until(() => w.status("cam")?.state === "live", 10_000, "the subscription to be live");
  const events = () => db.select().from(eventsTable).all();
  return { w, db, activity, live, events, status: () => w.status("cam")! };
}

/** The event loop's worst lag (ms) from now until `worst()` is asked, sampled every 20 ms. */
function loopLag() {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    worst = Math.max(worst, performance.now() - last - 20);
    last = performance.now();
  }, 20);
  return {
    worst: () => {
      clearInterval(timer);
      return worst;
    },
  };
}

describe("topics (pure)", () => {
  test("prefixes and trailing marks go; true/false and 1/0 are states", () => {
    expect(normaliseTopic("tns1:RuleEngine/tnsaxis:CellMotionDetector/Motion//.")).toBe(
      "RuleEngine/CellMotionDetector/Motion",
    );
    expect(normaliseTopic("tns1:RuleEngine/PeopleDetector/People/")).toBe("RuleEngine/PeopleDetector/People");
    expect([
      onvifBoolean("true"),
      onvifBoolean("1"),
      onvifBoolean("False"),
      onvifBoolean("0"),
      onvifBoolean("maybe"),
    ]).toEqual([true, true, false, false, undefined]);
  });
});

describe("makers' dialects", () => {
  const cases: [Dialect, "person" | "intrusion", string, object][] = [
    ["reolink", "person", "person", {}],
    ["tapo", "person", "person", {}], // 1/0 values, topics ending in "/"
    ["dahua", "person", "person", { httpDigest: true, epochTimes: true }], // HTTP digest; a clock never set
    ["axis", "person", "person", { referenceParameters: true }], // object analytics; reference parameters echoed
    ["hikvision", "intrusion", "intrusion", { doubledPort: true, skewSeconds: -7200 }], // host:port:port; a clock 2 h behind
  ];
  for (const [dialect, thing, label, options] of cases)
    test(`${dialect}: a ${thing} state opens an event "${label}" and closes it; motion counts as motion`, async () => {
      const c = camera({ dialect, skewSeconds: 3600, ...options });
      const { live, events, activity, status } = watch(c);
      await live();
      await Bun.sleep(1100); // a second heard with nothing in it
      const on = Date.now() / 1000;
      c.set(thing, true);
      await until(() => events().length === 1, 5000, "the event");
      c.set("motion", true);
      await Bun.sleep(1200);
      c.set(thing, false);
      c.set("motion", false);
      await until(() => events()[0]!.end_time !== null, 5000, "the event to end");
      const e = events()[0]!;
      expect(e).toMatchObject({ camera: "cam", label, severity: label === "person" ? "alert" : "detection" });
      // The camera's own time, its clock's offset taken off (or the arrival's, for a clock never set).
      expect(Math.abs(e.start_time - on)).toBeLessThan(1.5);
      expect(e.end_time! - e.start_time).toBeGreaterThan(0.8);
      expect(e.end_time! - e.start_time).toBeLessThan(3);
      activity.drain();
      const frames = activity.frames("cam");
      expect(frames.some((f) => f.objects > 0)).toBe(true);
      expect(frames.some((f) => f.motion > 0)).toBe(true);
      expect(frames.some((f) => f.motion === 0 && f.objects === 0)).toBe(true); // heard: nothing
      expect(status()).toMatchObject({ state: "live", errors: 0 });
      expect(
        Math.abs(status().clock_offset_s! - ((options as { skewSeconds?: number }).skewSeconds ?? 3600)),
      ).toBeLessThan(2);
      if (dialect === "axis") expect(c.addressingSeen.reference).toBeGreaterThan(0);
      expect(c.addressingSeen.action).toBeGreaterThan(0);
      expect(c.addressingSeen.messageId).toBe(c.addressingSeen.action);
    });

  test("hikvision: a line crossed is a moment: an event of a second", async () => {
    const c = camera({ dialect: "hikvision" });
    const { live, events } = watch(c);
    await live();
    c.set("line", true);
    await until(() => events().length === 1, 5000, "the event");
    expect(events()[0]).toMatchObject({ label: "line_crossing", severity: "detection" });
    expect(events()[0]!.end_time! - events()[0]!.start_time).toBe(1);
  });
});

describe("subscriptions that end, cameras that forget", () => {
  test("Renew before the end where pulls do not extend it; never where they do", async () => {
    const strict = camera({ renewRequired: true });
    const lenient = camera();
    const a = watch(strict, { timings: { subscriptionSeconds: 35 } });
    const b = watch(lenient, { timings: { subscriptionSeconds: 35 } });
    await a.live();
    await b.live();
    await Bun.sleep(6000);
    expect(strict.counts.renew).toBeGreaterThanOrEqual(1);
    expect(strict.counts.create).toBe(1);
    expect(lenient.counts.renew).toBe(0); // its pulls move the end: no Renew, which some cameras break on
    expect(a.status().state).toBe("live");
    expect(b.status().state).toBe("live");
  }, 20_000);

  test("a reboot forgets the subscription: a new one at once, the states again", async () => {
    const c = camera();
    const { live, status, events } = watch(c);
    await live();
    c.set("person", true);
    await until(() => events().length === 1, 5000, "the event");
    c.reboot();
    await until(() => c.counts.create === 2, 8000, "a new subscription");
    await live();
    expect(status().errors).toBe(1);
    // What was on before is unknown across the gap: the event ended there; the camera's state now opens a new one.
    await until(() => events().length === 2, 5000, "the state heard again");
    expect(events()[0]!.end_time).not.toBeNull();
  }, 20_000);

  test("a state that never clears ends after record.events.max_length", async () => {
    const c = camera();
    const { live, events } = watch(c, { maxLength: 2 });
    await live();
    c.set("person", true);
    await until(() => events()[0]?.end_time != null, 6000, "the event to be ended");
    expect(events()[0]!.end_time! - events()[0]!.start_time).toBe(2);
  });
});

describe("bad cameras are their own problem", () => {
  test("a wrong password: a clear reason, and tries spaced out (no storm of attempts)", async () => {
    const c = camera();
    const { status } = watch(c, { password: "wrong" });
    await until(() => status().state === "down", 5000, "the watch to give up for now");
    expect(status().reason).toStartWith("the camera refused the user name or password");
    await Bun.sleep(5000);
    expect(c.counts.refused).toBeLessThanOrEqual(5); // 1 s, 2 s, 2 s …
  }, 15_000);

  for (const [mode, words] of [
    ["garbage", "not a SOAP envelope"],
    ["huge", "over the"],
    ["hang", "no answer within"],
    ["fault", "ActionNotSupported"],
  ] as const)
    test(`a camera answering ${mode}: down, saying "${words}"; the event loop never held`, async () => {
      const c = camera();
      c.mode = mode;
      const lag = loopLag();
      const { status } = watch(c);
      await until(() => status().state === "down", 8000, "the watch to say it is down");
      expect(status().reason).toContain(words);
      expect(lag.worst()).toBeLessThan(500); // (see the storm below for why not less)
    }, 15_000);

  test("a storm of thousands of messages: read without holding the loop, the state among them heard", async () => {
    const c = camera();
    const { live, status, events } = watch(c);
    await live();
    const lag = loopLag();
    c.storm(3000);
    c.set("person", true);
    await until(() => events().length === 1, 20_000, "the person among the storm");
    const worst = lag.worst();
    expect(status().ignored).toBeGreaterThanOrEqual(3000);
    // Never held for long: the storm comes 100 messages a pull. (500 ms, not less: on a busy
    // 2-core machine the scheduler alone makes a loop 200 ms late now and then.)
    expect(worst).toBeLessThan(500);
  }, 30_000);
});

describe("what is kept", () => {
  const keeper = keepers();
  let app: App;
  let door: TestCamera;
  let yard: TestCamera;

  test("live: a person keeps its segment under active_objects and is an event; a quiet segment is judged and dropped; motion keeps under motion", async () => {
    door = camera({ dialect: "reolink" });
    yard = camera({ dialect: "dahua" });
    const dir = tempDir();
    const secret = join(dir, "door-password");
    writeFileSync(secret, "secret\n");
    chmodSync(secret, 0o600);
    app = await keeper.start(
      configIn(
        dir,
        `api: { listen: 127.0.0.1:0 }
record: { scan_interval: 1, commit_interval: 0, events: { max_latency: 3, pre_capture: 0, post_capture: 0 } }
motion: { enabled: false }
cameras:
  door:
    record: { retain: { days: 1, mode: active_objects } }
    onvif: { host: 127.0.0.1, port: ${door.port}, user: admin, password_file: ${secret} }
  yard:
    record: { retain: { days: 1, mode: motion } }
    onvif: { host: 127.0.0.1, port: ${yard.port}, user: admin, password: secret }
`,
      ),
      { onvif: QUICK },
    );
    await until(
      () => app.onvif.status("door")?.state === "live" && app.onvif.status("yard")?.state === "live",
      10_000,
      "both subscriptions",
    );
    const t = Math.floor(Date.now() / 1000) + 1;
    await until(() => Date.now() / 1000 >= t, 2000, "a whole second");
    door.set("person", true);
    yard.set("motion", true);
    await Bun.sleep(2500);
    door.set("person", false);
    yard.set("motion", false);
    // Segments from t (the state on) and from t+5 (quiet, heard), once both have ended.
    await until(() => Date.now() / 1000 >= t + 8, 10_000, "the quiet segment's end");
    for (const cam of ["door", "yard"]) {
      await putSegment(app.config.cacheDir, segmentName(cam, t), 2, (t + 2) * 1000);
      await putSegment(app.config.cacheDir, segmentName(cam, t + 5), 2, (t + 7) * 1000);
    }
    await until(() => readdirSync(app.config.cacheDir).length === 0, 15_000, "the keeper to decide all four");
    const rows = recordingRows(app.db);
    expect(rows.map((r) => [r.camera, r.start_time, !!r.unjudged]).sort()).toEqual([
      ["door", t, false],
      ["yard", t, false],
    ]);
    expect(rows.find((r) => r.camera === "door")!.objects).toBeGreaterThan(0);
    expect(rows.find((r) => r.camera === "yard")!.motion).toBeGreaterThan(0);
    const events = app.db.select().from(eventsTable).all();
    expect(events.map((e) => [e.camera, e.label, e.severity])).toEqual([["door", "person", "alert"]]);
    // Status and metrics say they are heard.
    const headers = { authorization: `Bearer ${app.token}` };
    const status = await (await fetch(`${app.url}/api/status`, { headers })).json();
    expect(status.cameras.door.onvif).toMatchObject({ state: "live", reason: null, errors: 0 });
    expect(status.cameras.door.onvif.heard.person).toBe(1);
    const metrics = await (await fetch(`${app.url}/metrics`, { headers })).text();
    expect(metrics).toContain('camkeep_onvif_subscribed{camera="door"} 1');
    expect(metrics).toContain('camkeep_onvif_heard_total{camera="door",meaning="person"} 1');
  }, 60_000);

  test("the camera gone: its segments are unjudged (the fail-safe keeps them) and status says why; /healthz unaffected", async () => {
    door.stop();
    await until(() => app.onvif.status("door")?.state === "down", 10_000, "the watch to see the camera gone");
    const t = Math.ceil(Date.now() / 1000);
    await until(() => Date.now() / 1000 >= t + 3, 5000, "the segment's end");
    await putSegment(app.config.cacheDir, segmentName("door", t), 2, (t + 2) * 1000);
    await until(() => recordingRows(app.db).some((r) => r.start_time === t), 15_000, "the segment stored");
    expect(recordingRows(app.db).find((r) => r.start_time === t)).toMatchObject({
      camera: "door",
      unjudged: 1,
    });
    const headers = { authorization: `Bearer ${app.token}` };
    const status = await (await fetch(`${app.url}/api/status`, { headers })).json();
    expect(status.cameras.door.onvif.state).toBe("down");
    expect(status.cameras.door.onvif.reason).toContain("cannot reach");
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  }, 30_000);
});

describe("configuration", () => {
  const keeper = keepers({ after: "each" });
  test("onvif.stream with an input, or a password given twice, is an error naming the camera", () => {
    const dir = tempDir();
    const load = (cams: string) => () =>
      parseConfig(`data_dir: ${dir}\ncameras:\n${cams}`, join(dir, "c.yml"));
    expect(load("  gate: { input: rtsp://x/1, onvif: { host: cam.lan, stream: main } }\n")).toThrow(
      "cameras.gate: give either input or onvif.stream (the camera's own stream), not both",
    );
    expect(load("  gate: { onvif: { host: cam.lan, password: a, password_file: /x } }\n")).toThrow(
      "cameras.gate.onvif: give either password or password_file, not both",
    );
    expect(load("  gate: { onvif: { host: cam.lan, stream: best } }\n")).toThrow('must be "main" or "sub"');
    const ok = load("  gate: { onvif: { host: cam.lan, user: admin, password: pw, stream: sub } }\n")();
    expect(ok.cameras.gate!.onvif).toMatchObject({ host: "cam.lan", port: 80, events: true, stream: "sub" });
    expect(ok.cameras.gate!.recorder).toMatchObject({ input: "", onvif: { stream: "sub" } });
    expect(ok.cameras.gate!.record.max_event_length).toBe(600);
  });

  test("stream: main records the camera's largest profile at the address it gives (credentials hidden)", async () => {
    const c = camera({ dialect: "hikvision" });
    const app = await keeper.start(
      configIn(
        tempDir(),
        `api: { listen: 127.0.0.1:0 }\ncameras:\n  gate:\n    onvif: { host: 127.0.0.1, port: ${c.port}, user: admin, password: secret, events: false, stream: main }\n`,
      ),
    );
    await until(
      () => app.recorders.status("gate")!.input.startsWith("rtsp:"),
      10_000,
      "the recorder's address",
    );
    expect(app.recorders.status("gate")!.input).toBe("rtsp://***@127.0.0.1:8554/main");
    expect(app.onvif.status("gate")).toBeUndefined(); // events: false
  }, 20_000);
});

describe("camkeep onvif", () => {
  /** `camkeep onvif` against camera `c` with the password `password` (in a file), plus `extra`. */
  const command = (c: TestCamera, password: string, ...extra: string[]) => {
    const file = join(tempDir(), "pw");
    writeFileSync(file, password);
    chmodSync(file, 0o600);
    const args = [
      "--host",
      "127.0.0.1",
      "--port",
      String(c.port),
      "--user",
      "admin",
      "--password-file",
      file,
    ];
    return onvifCommand([...args, ...extra]);
  };
  const onvifCommand = (args: string[]) => {
    const p = Bun.spawn([join(ROOT, "node_modules/.bin/bun"), join(ROOT, "src/main.ts"), "onvif", ...args], {
      stdout: "pipe",
      stderr: "pipe",
    });
    return Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  };

  test("prints maker, firmware, clock, profiles (credentials hidden), topics, and the events seen", async () => {
    const c = camera({ dialect: "reolink", skewSeconds: 90 });
    const running = command(c, "secret", "--watch", "3");
    await until(() => c.subscriptions === 1, 10_000, "the command to subscribe");
    await Bun.sleep(300);
    c.set("person", true);
    const [out, err, code] = await running;
    expect(err).toBe("");
    expect(code).toBe(0);
    expect(out).toContain("camera:    Test reolink TC-1");
    expect(out).toContain("firmware:  1.2.3");
    expect(out).toMatch(/clock: +(89|90|91)\.\d s ahead of this machine/);
    expect(out).toContain("main (main_token): H264 1920x1080  rtsp://***@127.0.0.1:8554/main");
    expect(out).toContain("sub (sub_token): H264 640x360  rtsp://***@127.0.0.1:8554/sub");
    expect(out).not.toContain("secret");
    expect(out).toContain("  RuleEngine/MyRuleDetector/PeopleDetect\n");
    expect(out).toMatch(/RuleEngine\/MyRuleDetector\/PeopleDetect: person off \(its state now\)/);
    expect(out).toMatch(/RuleEngine\/MyRuleDetector\/PeopleDetect: person on\n/);
    expect(c.counts.unsubscribe).toBe(1);
  }, 30_000);

  test("a wrong password or no camera: one clear line, status 1", async () => {
    const [, wrong, code] = await command(camera(), "nope");
    expect(wrong.trim()).toMatch(
      /^camkeep onvif: the camera refused the user name or password \(.*NotAuthorized/,
    );
    expect(code).toBe(1);
    const [, missing, status] = await onvifCommand(["--port", "80"]);
    expect({ err: missing.trim(), code: status }).toEqual({
      err: "camkeep onvif: --host is needed (the camera's address)",
      code: 1,
    });
  }, 30_000);
});
