import type { Db } from "./open.ts";

// Cases in the index (docs/evidence.md#cases): spans of footage with a note, held while open.

export interface CaseSpan {
  id: number;
  camera: string;
  start: number;
  end: number;
}

export interface Case {
  id: string;
  title: string;
  note: string;
  created_at: number;
  updated_at: number;
  closed_at: number | null;
  spans: CaseSpan[];
}

type CaseRow = Omit<Case, "spans">;

function spansOf(db: Db, id: string): CaseSpan[] {
  return db.$client
    .query<CaseSpan, [string]>(
      "SELECT id, camera, start_time AS start, end_time AS end FROM case_spans WHERE case_id = ? ORDER BY start_time, camera",
    )
    .all(id);
}

export function caseById(db: Db, id: string): Case | undefined {
  const row = db.$client.query<CaseRow, [string]>("SELECT * FROM cases WHERE id = ?").get(id);
  return row ? { ...row, spans: spansOf(db, id) } : undefined;
}

/** Every case, newest first. */
export function listCases(db: Db): Case[] {
  return db.$client
    .query<CaseRow, []>("SELECT * FROM cases ORDER BY created_at DESC")
    .all()
    .map((row) => ({ ...row, spans: spansOf(db, row.id) }));
}

export function createCase(
  db: Db,
  c: { id: string; title: string; note: string; spans: Omit<CaseSpan, "id">[] },
  now: number,
): void {
  db.$client.transaction(() => {
    db.$client.run("INSERT INTO cases (id, title, note, created_at, updated_at) VALUES (?, ?, ?, ?, ?)", [
      c.id,
      c.title,
      c.note,
      now,
      now,
    ]);
    addSpans(db, c.id, c.spans);
  })();
}

function addSpans(db: Db, id: string, spans: readonly Omit<CaseSpan, "id">[]): void {
  for (const s of spans)
    db.$client.run("INSERT INTO case_spans (case_id, camera, start_time, end_time) VALUES (?, ?, ?, ?)", [
      id,
      s.camera,
      s.start,
      s.end,
    ]);
}

/** Changes a case in one transaction: its title or note, spans added or removed, closed or opened again. */
export function changeCase(
  db: Db,
  id: string,
  change: {
    title?: string;
    note?: string;
    addSpans?: Omit<CaseSpan, "id">[];
    removeSpans?: number[];
    closed?: boolean;
  },
  now: number,
): void {
  db.$client.transaction(() => {
    if (change.title !== undefined)
      db.$client.run("UPDATE cases SET title = ? WHERE id = ?", [change.title, id]);
    if (change.note !== undefined)
      db.$client.run("UPDATE cases SET note = ? WHERE id = ?", [change.note, id]);
    if (change.closed !== undefined)
      db.$client.run("UPDATE cases SET closed_at = ? WHERE id = ?", [change.closed ? now : null, id]);
    addSpans(db, id, change.addSpans ?? []);
    for (const span of change.removeSpans ?? [])
      db.$client.run("DELETE FROM case_spans WHERE case_id = ? AND id = ?", [id, span]);
    db.$client.run("UPDATE cases SET updated_at = ? WHERE id = ?", [now, id]);
  })();
}

/** Puts a case back as it was (restore from the bucket's archive): its id, times and spans kept; one already there is left. */
export function restoreCase(db: Db, c: Case): void {
  db.$client.transaction(() => {
    const added = db.$client.run(
      "INSERT OR IGNORE INTO cases (id, title, note, created_at, updated_at, closed_at) VALUES (?, ?, ?, ?, ?, ?)",
      [c.id, c.title, c.note, c.created_at, c.updated_at, c.closed_at],
    );
    if (added.changes) addSpans(db, c.id, c.spans);
  })();
}
