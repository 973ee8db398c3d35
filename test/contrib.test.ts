import { expect, test } from "bun:test";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT, configIn, keepers, tempDir } from "./helpers.ts";

/**
 * What users already run (docs/monitoring.md): the Prometheus rules checked and unit-tested by
 * promtool, and every metric the rules and the Grafana dashboard use exported by a real keeper.
 */
const RULES = join(ROOT, "contrib/prometheus/camkeep.rules.yml");
const DASHBOARD = join(ROOT, "contrib/grafana/camkeep.json");
const keeper = keepers();

async function promtool(...args: string[]) {
  const p = Bun.spawn(["promtool", ...args], {
    cwd: join(ROOT, "contrib/prometheus"),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { out: out + err, code };
}

/** Metric names in a PromQL expression (camkeep's own, and Prometheus's `up`). */
const metricsIn = (expr: string) =>
  [...expr.matchAll(/\b(camkeep_[a-z_]+|up)\b/g)].map((m) => m[1]!.replace(/_(bucket|sum|count)$/, ""));

test("promtool checks the rules and their unit tests pass", async () => {
  const check = await promtool("check", "rules", RULES);
  expect(check.out).toContain("SUCCESS");
  expect(check.code).toBe(0);
  const unit = await promtool("test", "rules", "camkeep.rules.test.yml");
  expect(unit.out).toContain("SUCCESS");
  expect(unit.code).toBe(0);
});

test("every rule says what is wrong and what to do", async () => {
  const rules = parse(await Bun.file(RULES).text()).groups.flatMap((g: { rules: unknown[] }) => g.rules) as {
    alert: string;
    labels: { severity: string };
    annotations: { summary: string; description: string };
  }[];
  expect(rules.map((r) => r.alert).sort()).toEqual([
    "CamkeepCameraEventsNotHeard",
    "CamkeepCameraStalled",
    "CamkeepDown",
    "CamkeepExpiryNotRunning",
    "CamkeepFootageDamaged",
    "CamkeepMotionAnalysisLagging",
    "CamkeepNoSegmentStored",
    "CamkeepStorageUnderFloor",
    "CamkeepStoringStopped",
    "CamkeepTierFailing",
    "CamkeepUnhealthy",
  ]);
  for (const r of rules) {
    expect(["critical", "warning"]).toContain(r.labels.severity);
    expect(r.annotations.summary.length).toBeGreaterThan(10);
    expect(r.annotations.description.length).toBeGreaterThan(120); // what happened, and what to do about it
  }
});

test("every metric the rules and the dashboard use is one camkeep exports", async () => {
  const app = await keeper.start(
    configIn(
      tempDir(),
      `api: { listen: 127.0.0.1:0 }\nstorage: { tiers: [{ name: nas, path: ${tempDir()}/nas, after: 1d }] }\ncameras:\n  cam: {}\n  gate: { onvif: { host: 127.0.0.1, port: 9, events: true } }\n`,
    ),
  );
  await fetch(`${app.url}/healthz`); // one request timed
  const text = await (
    await fetch(`${app.url}/metrics`, { headers: { authorization: `Bearer ${app.token}` } })
  ).text();
  const exported = new Set([...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
  exported.add("up"); // Prometheus's own, per scrape target
  const rules = parse(await Bun.file(RULES).text()).groups.flatMap(
    (g: { rules: { expr: string }[] }) => g.rules,
  );
  const dashboard = await Bun.file(DASHBOARD).json();
  const exprs: string[] = [
    ...rules.map((r: { expr: string }) => r.expr),
    ...dashboard.panels.flatMap((p: { targets: { expr: string }[] }) => p.targets.map((t) => t.expr)),
  ];
  expect(dashboard.panels.length).toBeGreaterThanOrEqual(10);
  for (const p of dashboard.panels) expect(p.targets.length).toBeGreaterThan(0);
  const used = new Set(exprs.flatMap(metricsIn));
  expect([...used].filter((m) => !exported.has(m))).toEqual([]);
  // The fleet view: every dashboard query is narrowed to the boxes chosen.
  for (const p of dashboard.panels)
    for (const t of p.targets) expect(t.expr).toContain('instance=~"$instance"');
  expect(dashboard.templating.list.map((v: { name: string }) => v.name)).toEqual(["datasource", "instance"]);
});
