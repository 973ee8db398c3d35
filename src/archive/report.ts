import type { RestoreReport } from "./restore.ts";

/**
 * What a restore says, a line each; a line of what could not be verified is indented (the
 * command's exit status tells whether there is any).
 */
export function restoreLines(r: RestoreReport): string[] {
  const lines = [
    `restored ${r.segments} segments in ${r.hours} camera-hours, ${r.seals} seals, ${r.events} events, ${r.cases} cases`,
    `certificates: ${r.certificates.length ? r.certificates.join(", ") : "none (nothing was sealed)"}`,
  ];
  for (const c of r.cameras) {
    const deleted = Object.entries(c.deleted).map(([rule, n]) => `${n} deleted by ${rule}`);
    lines.push(
      `${c.camera}: ${c.seals} seals, ${c.listed} segments sealed: ${[`${c.stored} restored as sealed`, ...deleted, `${c.altered} altered`, `${c.missing} missing`].join(", ")}`,
    );
    for (const p of [...c.problems, ...c.examples]) lines.push(`  ${p}`);
  }
  if (r.unreadable.length) lines.push(`could not be read (not restored): ${r.unreadable.length}`);
  for (const u of r.unreadable.slice(0, 50)) lines.push(`  ${u}`);
  if (!r.unreadable.length && r.cameras.every((c) => !c.problems.length && !c.altered && !c.missing))
    lines.push(
      "every seal's chain and signature holds, and what each lists is restored or was deleted by a rule",
    );
  return lines;
}
