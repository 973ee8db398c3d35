import { expect, test } from "bun:test";
import { join } from "node:path";
import { Hono } from "hono";
import { publicShareRoutes, shareRoutes } from "../src/api/shares.ts";
import { userRoutes } from "../src/api/users.ts";
import { eventRoutes } from "../src/api/events.ts";
import { openDb } from "../src/db/open.ts";
import { ArchiveTotals } from "../src/db/totals.ts";
import { AuditLog } from "../src/evidence/audit-log.ts";
import { configIn, tempDir } from "./helpers.ts";

// Route factories take what they use (Pick<ApiDeps, …>): the API's routes over a real database,
// with no keeper started — what `npm run test:fast` runs on every change.

function routes() {
  const dir = tempDir();
  const config = configIn(dir, "cameras: { porch: {} }\n");
  const db = openDb(join(dir, "camkeep.db"));
  const deps = { db, config, totals: new ArchiveTotals(db), audit: new AuditLog(db) };
  const app = new Hono()
    .use(async (c, next) => {
      c.set("who", { kind: "admin", name: "tester" });
      await next();
    })
    .route("/api/users", userRoutes(deps))
    .route("/api/shares", shareRoutes(deps))
    .route("/api/events", eventRoutes(deps));
  app.route(
    "/share",
    publicShareRoutes(deps, (req, env) => app.fetch(req, env)),
  );
  const json = (path: string, method: string, body?: unknown) =>
    app.request(path, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
  return { json, deps };
}

test("users: added once (a name taken is 409), listed without a hash, a grant of an unknown camera named", async () => {
  const { json } = routes();
  const add = { name: "vic", role: "viewer", cameras: ["porch"], password: "a long password" };
  expect((await json("/api/users", "POST", add)).status).toBe(201);
  expect((await json("/api/users", "POST", add)).status).toBe(409);
  const bad = await json("/api/users", "POST", { ...add, name: "pat", cameras: ["attic"] });
  expect(await bad.json()).toMatchObject({ details: { cameras: "no camera attic" } });
  const list = await (await json("/api/users", "GET")).json();
  expect(list).toEqual([
    {
      name: "vic",
      role: "viewer",
      cameras: ["porch"],
      created_at: expect.any(Number),
      changed_at: expect.any(Number),
    },
  ]);
  expect((await json("/api/users/Vic", "DELETE")).status).toBe(400); // names are lower case
  expect((await json("/api/users/vic", "DELETE")).status).toBe(204);
});

test("shares: made by whoever is asking, with links whose MAC the public route checks", async () => {
  const { json } = routes();
  const made = await (
    await json("/api/shares", "POST", { camera: "porch", start: 1000, end: 1060, days: 1 })
  ).json();
  expect(made).toMatchObject({ created_by: "tester", kind: "clip", max_uses: null, status: "active" });
  const link = /\/share\/([^/]+)\//.exec(made.url)![1]!;
  const page = await json(`/share/${link}/`, "GET");
  expect(page.status).toBe(200);
  expect(await page.text()).toContain("1970-01-01 00:16:40 UTC");
  const edited = link.slice(0, -1) + (link.endsWith("x") ? "y" : "x");
  expect((await json(`/share/${edited}/`, "GET")).status).toBe(403);
  expect((await json(`/share/${link}/status`, "GET")).status).toBe(404);
  expect((await json(`/api/shares/${made.id}`, "DELETE")).status).toBe(204);
  expect((await json(`/share/${link}/`, "GET")).status).toBe(410);
});
