import { vValidator } from "@hono/valibot-validator";
import { Hono } from "hono";
import { caseById, changeCase, createCase, listCases } from "../db/cases.ts";
import { exportCase } from "../evidence/case-export.ts";
import { clientAddress } from "./auth.ts";
import { whoOf } from "./access.ts";
import type { ApiDeps } from "./deps.ts";
import { apiError, onInvalid } from "./errors.ts";
import { CaseChangeBody, CaseParam, NewCaseBody } from "./schemas.ts";

// Cases (docs/evidence.md#cases): spans on several cameras with a note, that no rule deletes.

export function caseRoutes({
  db,
  config,
  playback,
  identity,
  audit,
}: Pick<ApiDeps, "db" | "config" | "playback" | "identity" | "audit">) {
  const unknownCameras = (spans: readonly { camera: string }[] = []) =>
    [...new Set(spans.map((s) => s.camera))].filter((c) => !config.cameras[c]);
  return new Hono()
    .get("/", (c) => c.json(listCases(db)))
    .post("/", vValidator("json", NewCaseBody, onInvalid), (c) => {
      const body = c.req.valid("json");
      const unknown = unknownCameras(body.spans);
      if (unknown.length)
        return apiError(c, 400, "invalid request", { spans: `no camera ${unknown.join(", ")}` });
      const id = Buffer.from(crypto.getRandomValues(new Uint8Array(8))).toString("hex");
      createCase(db, { id, ...body }, Date.now() / 1000);
      return c.json(caseById(db, id)!, 201);
    })
    .get("/:id", vValidator("param", CaseParam, onInvalid), (c) => {
      const found = caseById(db, c.req.valid("param").id);
      return found ? c.json(found) : apiError(c, 404, "no such case");
    })
    .get("/:id/export.tar", vValidator("param", CaseParam, onInvalid), async (c) => {
      const found = caseById(db, c.req.valid("param").id);
      if (!found) return apiError(c, 404, "no such case");
      audit.record({
        actor: whoOf(c).name,
        address: clientAddress(c),
        action: "case exported",
        detail: { case: found.id },
      });
      audit.flush(); // the export's own entry is in the file
      const tar = await exportCase(
        { db, playback, identity: await identity() },
        found,
        `${whoOf(c).name} from ${clientAddress(c)}`,
        Date.now() / 1000,
      );
      return new Response(tar.stream(), {
        headers: {
          "content-type": "application/x-tar",
          "content-disposition": `attachment; filename="${tar.name}"`,
          "content-length": String(tar.size),
          "cache-control": "no-store",
        },
      });
    })
    .patch(
      "/:id",
      vValidator("param", CaseParam, onInvalid),
      vValidator("json", CaseChangeBody, onInvalid),
      (c) => {
        const { id } = c.req.valid("param");
        if (!caseById(db, id)) return apiError(c, 404, "no such case");
        const body = c.req.valid("json");
        const unknown = unknownCameras(body.add_spans);
        if (unknown.length)
          return apiError(c, 400, "invalid request", { add_spans: `no camera ${unknown.join(", ")}` });
        changeCase(
          db,
          id,
          {
            title: body.title,
            note: body.note,
            addSpans: body.add_spans,
            removeSpans: body.remove_spans,
            closed: body.closed,
          },
          Date.now() / 1000,
        );
        return c.json(caseById(db, id)!);
      },
    );
}
