/** Ids of recordings and of events that come without one: `<start>-<6 random chars>`, the reference NVR's shape. */
export function newId(start: number): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  const rand = crypto.getRandomValues(new Uint8Array(6));
  return `${start}-${Array.from(rand, (b) => alphabet[b % alphabet.length]).join("")}`;
}
