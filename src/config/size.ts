/** `storage.min_free`: how much free space the storage volume must keep. */
export type MinFree =
  | { kind: "auto" } // one hour of the cameras' measured bandwidth, never below a floor
  | { kind: "bytes"; bytes: number }
  | { kind: "percent"; percent: number };

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
};

export function parseMinFree(value: string | number): MinFree {
  if (value === "auto") return { kind: "auto" };
  if (typeof value === "number") return { kind: "bytes", bytes: value };
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%|[kmgt]i?b|b)?\s*$/i.exec(value);
  if (!m) throw new Error(`"${value}" is not "auto", a size or a percentage`);
  const amount = Number(m[1]);
  const unit = (m[2] ?? "b").toLowerCase();
  if (unit === "%") {
    if (amount <= 0 || amount >= 100) throw new Error(`"${value}" must be between 0% and 100%`);
    return { kind: "percent", percent: amount };
  }
  return { kind: "bytes", bytes: Math.round(amount * (UNITS[unit] ?? 1)) };
}

/** A size that the schema has already checked to be bytes or "200GB"-like (no "auto", no "%"). */
export function parseSize(value: string | number): number {
  const size = parseMinFree(value);
  if (size.kind !== "bytes") throw new Error(`"${value}" is not a size`);
  return size.bytes;
}
