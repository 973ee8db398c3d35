import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import * as v from "valibot";

/** Every error the API returns: `{ error, details? }`, details naming the fields at fault. */
export function apiError<S extends ContentfulStatusCode>(
  c: Context,
  status: S,
  error: string,
  details?: Record<string, string>,
) {
  const body: { error: string; details?: Record<string, string> } = details ? { error, details } : { error };
  return c.json(body, status);
}

/** @hono/valibot-validator hook: a 400 naming each bad field. */
export function onInvalid(
  result: { success: boolean; issues?: readonly v.BaseIssue<unknown>[] },
  c: Context,
) {
  if (result.success) return;
  const details: Record<string, string> = {};
  for (const issue of result.issues ?? []) {
    const field = v.getDotPath(issue) ?? "(body)";
    details[field] ??=
      issue.expected === "never" && issue.kind === "schema" ? "unknown field" : issue.message;
  }
  return apiError(c, 400, "invalid request", details);
}
