import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, defaultConfig, parseConfig } from "../src/config/load.ts";
import { BUN, ROOT, tempDir } from "./helpers.ts";

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml, "/etc/camkeep/config.yml");
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected the configuration to be rejected");
}

describe("configuration (docs/configuration.md)", () => {
  test("no file gives a working box under ./data, recording a demo camera", () => {
    const c = defaultConfig("/srv/x");
    expect(Object.keys(c.cameras)).toEqual(["demo"]);
    expect(c.cameras.demo!.recorder).toMatchObject({ segmentTime: 10, inputArgs: ["-re", "-f", "lavfi"] });
    expect(c.cameras.demo!.record.continuous).toEqual([{ days: 1, mode: "all", recheck: false }]);
    expect(c).toMatchObject({
      dataDir: "/srv/x/data",
      cacheDir: "/srv/x/data/cache",
      recordingsDir: "/srv/x/data/recordings",
      database: "/srv/x/data/camkeep.db",
      api: { host: "127.0.0.1", port: 5050, tokenFile: "/srv/x/data/api-token" },
      storage: { minFree: { kind: "auto" } },
    });
    // The global defaults stay the documented ones; only the demo camera overrides them.
    expect(c.record).toMatchObject({
      enabled: true,
      scan_interval: 5,
      max_cache_segments: 5,
      cache_timezone: "UTC",
      expire_interval: 60,
    });
    expect(c.defaults).toEqual({
      enabled: true,
      max_cache_segments: 5,
      cache_timezone: "UTC",
      max_latency: 60,
      max_event_length: 600,
      shape: "0.12",
      continuous: [{ days: 0, mode: "all", recheck: false }],
      events: [
        {
          pre_capture: 5,
          post_capture: 5,
          days: 10,
          mode: "motion",
          objects: {},
          labels: undefined,
          zones: [],
        },
      ],
    });
  });
  test("a configuration file replaces the demo entirely", () => {
    expect(parseConfig("record: { enabled: true }\n", "/c.yml").cameras).toEqual({});
  });
  test("recorder settings are validated", () => {
    expect(
      problems("cameras:\n  c: { input: rtsp://x/y, segment_time: 61, input_args: oops }\n").join("\n"),
    ).toMatch(/segment_time[\s\S]*input_args|input_args[\s\S]*segment_time/);
  });
  test("relative paths are relative to the configuration file", () => {
    const c = parseConfig("data_dir: ./d\ncache_dir: /dev/shm/cache\n", "/etc/camkeep/config.yml");
    expect(c.dataDir).toBe("/etc/camkeep/d");
    expect(c.cacheDir).toBe("/dev/shm/cache");
    expect(c.recordingsDir).toBe("/etc/camkeep/d/recordings");
  });
  test("cameras inherit global record settings and override what they name", () => {
    const c = parseConfig(
      `
record:
  retain: { days: 7, mode: motion }
  events: { pre_capture: 3, retain: { default: 10, objects: { person: 30 } } }
cameras:
  front_door:
    record: { retain: { days: 3 }, events: { retain: { objects: { car: 2 } } } }
  back-yard: {}
`,
      "/c.yml",
    );
    expect(c.cameras.front_door!.record.continuous).toEqual([{ days: 3, mode: "motion", recheck: false }]);
    expect(c.cameras.front_door!.record.events[0]!.objects).toEqual({ person: 30, car: 2 });
    expect(c.cameras.front_door!.record.events[0]!.pre_capture).toBe(3);
    expect(c.cameras["back-yard"]!.record.continuous).toEqual([{ days: 7, mode: "motion", recheck: false }]);
  });
  test("every bad key is named with its path and reason", () => {
    const p = problems(`
recrod: {}
api: { listen: "5050" }
storage: { min_free: lots }
record: { cache_timezone: Mars/Olympus, retain: { days: -1, mode: moton } }
cameras:
  "front door": {}
  ok_cam: { record: { retian: {} } }
`);
    const text = p.join("\n");
    for (const needle of [
      "recrod: unknown key",
      "api.listen: must be host:port",
      "storage.min_free",
      "record.cache_timezone: must be an IANA time zone",
      "record.retain.days",
      "record.retain.mode",
      "cameras.front door: camera names",
      "cameras.ok_cam.record.retian: unknown key",
    ]) {
      expect(text).toContain(needle);
    }
  });
  test("the reference's 0.12 record block is taken verbatim (events.objects, required_zones)", () => {
    const c = parseConfig(
      `
record:
  enabled: true
  expire_interval: 60
  retain: { days: 7, mode: motion }
  events:
    pre_capture: 5
    post_capture: 5
    objects: [person, car]
    required_zones: [driveway]
    retain: { default: 14, mode: active_objects, objects: { person: 30 } }
cameras: { a: {} }
`,
      "/c.yml",
    );
    expect(c.cameras.a!.record).toMatchObject({
      shape: "0.12",
      continuous: [{ days: 7, mode: "motion", recheck: false }],
      events: [
        {
          pre_capture: 5,
          post_capture: 5,
          days: 14,
          mode: "active_objects",
          objects: { person: 30 },
          labels: ["person", "car"],
          zones: ["driveway"],
        },
      ],
    });
  });
  test("the reference's 0.15-0.17 record block is taken verbatim (continuous, motion, alerts, detections)", () => {
    const c = parseConfig(
      `
record:
  enabled: true
  sync_recordings: true
  continuous: { days: 3 }
  motion: { days: 7 }
  alerts: { pre_capture: 10, post_capture: 10, retain: { days: 30, mode: motion } }
  detections: { retain: { days: 14, mode: all } }
cameras:
  a: {}
  b: { record: { alerts: { retain: { days: 60 } } } }
  c: { record: { retain: { days: 1 } } }
`,
      "/c.yml",
    );
    expect(c.cameras.a!.record).toMatchObject({
      shape: "0.15",
      continuous: [
        { days: 3, mode: "all", recheck: false },
        { days: 7, mode: "motion", recheck: true },
      ],
      events: [
        { severity: "alert", pre_capture: 10, post_capture: 10, days: 30, mode: "motion" },
        { severity: "detection", pre_capture: 5, post_capture: 5, days: 14, mode: "all" },
      ],
    });
    expect(c.cameras.b!.record.events[0]).toMatchObject({
      severity: "alert",
      pre_capture: 10,
      days: 60,
      mode: "motion",
    }); // key by key
    expect(c.cameras.c!.record).toMatchObject({ shape: "0.12", continuous: [{ days: 1, mode: "all" }] }); // its own shape stands alone
  });
  test("mixing the two shapes in one block is an error naming the clashing keys", () => {
    const text = problems(
      "record: { retain: { days: 3 }, continuous: { days: 1 }, events: { pre_capture: 3 } }\ncameras: { a: { record: { motion: { days: 2 }, events: { objects: [person] } } } }\n",
    ).join("\n");
    expect(text).toContain(
      "record: mixes the reference's 0.12 keys (retain, events.pre_capture) with its 0.15+ keys (continuous)",
    );
    expect(text).toContain(
      "cameras.a.record: mixes the reference's 0.12 keys (events.objects) with its 0.15+ keys (motion)",
    );
    // camkeep's own events.max_latency goes with either shape
    expect(
      parseConfig(
        "record: { continuous: { days: 1 }, events: { max_latency: 10 } }\ncameras: { a: {} }\n",
        "/c.yml",
      ).cameras.a!.record.max_latency,
    ).toBe(10);
  });
  test("record.expire_at must be a cron pattern", () => {
    expect(problems("record: { expire_at: 'at three' }\n").join("\n")).toContain(
      "record.expire_at: must be a cron pattern",
    );
    expect(parseConfig("record: { expire_at: '15 3 * * *' }\n", "/x.yml").record.expire_at).toBe(
      "15 3 * * *",
    );
  });
  test("a YAML syntax error names its line", () => {
    expect(problems("record:\n  enabled: true\n  retain: [1, 2\n")[0]).toMatch(
      /^YAML syntax error at line 3/,
    );
  });
  test("a YAML syntax error after a multi-line flow mapping names its own line, not the mapping's", () => {
    const text = "record: {\n  enabled: true,\n  scan_interval: 5\n}\ncameras: { a: {} }\n  - b\n";
    expect(problems(text)[0]).toMatch(/^YAML syntax error at line 6\b/);
  });
  test("a file that is not a mapping is refused clearly", () => {
    expect(problems("- a\n- b\n")[0]).toContain("mapping");
  });
  test("min_free accepts auto, sizes and shares", () => {
    expect(parseConfig("storage: { min_free: 20GB }", "/c.yml").storage.minFree).toEqual({
      kind: "bytes",
      bytes: 20e9,
    });
    expect(parseConfig("storage: { min_free: 1 GiB }", "/c.yml").storage.minFree).toEqual({
      kind: "bytes",
      bytes: 2 ** 30,
    });
    expect(parseConfig("storage: { min_free: 10% }", "/c.yml").storage.minFree).toEqual({
      kind: "percent",
      percent: 10,
    });
    expect(problems("storage: { min_free: 100% }")[0]).toContain("storage.min_free");
  });

  test("viewer mode: each site a bucket tier of storage.tiers, named once, with no recorder beside it", () => {
    const tiers = `storage:
  tiers:
    - { name: nas, path: /mnt/nas, after: 2d }
    - { name: offsite, s3: { endpoint: "http://s3", bucket: b, prefix: home/, access_key_id: k, secret_access_key: s }, copy: true }
`;
    const ok = parseConfig(
      `${tiers}cameras: {}\nviewer:\n  sites:\n    - { name: home, tier: offsite }\n    - { name: shop, tier: offsite, prefix: shop-1/ }\n`,
      "/c.yml",
    );
    expect(ok.viewer!.refresh).toBe(60);
    expect(
      ok.viewer!.sites.map((s) => [s.name, s.tier.name, (s.tier.target as { prefix: string }).prefix]),
    ).toEqual([
      ["home", "home", "home/"],
      ["shop", "shop", "shop-1/"],
    ]);
    expect(
      problems(
        `${tiers}cameras:\n  door: { input: rtsp://x/y }\nviewer:\n  sites:\n    - { name: home, tier: nas }\n    - { name: home, tier: gone }\n    - { name: a-b, tier: offsite }\n`,
      ),
    ).toEqual([expect.stringContaining("viewer.sites.2.name")]);
    expect(
      problems(
        `${tiers}cameras:\n  door: { input: rtsp://x/y }\nviewer:\n  sites:\n    - { name: home, tier: nas }\n    - { name: home, tier: gone }\n`,
      ),
    ).toEqual([
      "viewer.sites[0].tier: nas is a folder; a site is read from a bucket (s3) tier",
      'viewer.sites[1].tier: no tier "gone" in storage.tiers',
      'viewer.sites[1].name: "home" is given twice',
      "cameras.door: a viewer records nothing (no input or onvif); its cameras come from the sites",
    ]);
  });
});

describe("command line", () => {
  const cli = (...args: string[]) => Bun.spawnSync([BUN, join(ROOT, "src/main.ts"), ...args]);
  test("check-config prints the effective configuration", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "c.yml"), "cameras:\n  gate: { record: { retain: { days: 2 } } }\n");
    const p = cli("check-config", join(dir, "c.yml"));
    expect(p.exitCode).toBe(0);
    const out = p.stdout.toString();
    // In camkeep's own terms: what the block means, rule by rule.
    expect(JSON.parse(out.slice(out.indexOf("{"))).cameras.gate.record).toMatchObject({
      shape: "0.12",
      continuous: [{ days: 2, mode: "all", recheck: false }],
      events: [{ days: 10, mode: "motion", pre_capture: 5 }],
    });
  });
  test("check-config exits 1 and lists the errors", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "c.yml"), "record: { scan_interval: 0 }\n");
    const p = cli("check-config", join(dir, "c.yml"));
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toContain("record.scan_interval");
  });
  test("check-config of a missing file says so", () => {
    const p = cli("check-config", "/nonexistent/camkeep.yml");
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toContain("cannot read the file");
  });
  test("version and unknown commands", () => {
    expect(cli("version").stdout.toString()).toMatch(/^camkeep \d+\.\d+\.\d+/);
    expect(cli("frobnicate").exitCode).toBe(2);
  });
});

describe("start-up failures are explained, and change nothing", () => {
  const run = (dir: string) =>
    Bun.spawnSync([BUN, join(ROOT, "src/main.ts"), "run", "--config", join(dir, "c.yml")], {
      stderr: "pipe",
      timeout: 30_000,
    });
  test("a database file that is not a database", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "c.yml"), `data_dir: ${dir}\napi: { listen: 127.0.0.1:0 }\n`);
    writeFileSync(join(dir, "camkeep.db"), "this is not sqlite, but it is somebody's file");
    const p = run(dir);
    expect(p.exitCode).toBe(1);
    expect(p.stderr.toString()).toMatch(/cannot start: .*camkeep\.db.*not a database/);
    expect(readFileSync(join(dir, "camkeep.db"), "utf8")).toBe(
      "this is not sqlite, but it is somebody's file",
    );
  });
  test("a port already in use", () => {
    const taken = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
    try {
      const dir = tempDir();
      writeFileSync(join(dir, "c.yml"), `data_dir: ${dir}\napi: { listen: 127.0.0.1:${taken.port} }\n`);
      const p = run(dir);
      expect(p.exitCode).toBe(1);
      expect(p.stderr.toString()).toContain(`cannot start: cannot listen on 127.0.0.1:${taken.port}`);
    } finally {
      taken.stop(true);
    }
  });
});
