// The MIME type with codecs (RFC 6381) that Media Source needs for an init segment. Pure.

/** Where a 4-character box type first occurs in `bytes` (its size field is 4 bytes before), or -1. */
function find(bytes: Uint8Array, type: string): number {
  const [a, b, c, d] = [...type].map((ch) => ch.charCodeAt(0));
  for (let i = 4; i + 4 <= bytes.length; i++)
    if (bytes[i] === a && bytes[i + 1] === b && bytes[i + 2] === c && bytes[i + 3] === d) return i;
  return -1;
}

const hex = (n: number) => n.toString(16).padStart(2, "0");

/**
 * `video/mp4; codecs="…"` of an init segment: H.264 from its avcC (profile, constraints,
 * level), H.265 named generically (a browser that plays it accepts that), AAC-LC, Opus.
 */
export function mimeOf(init: Uint8Array): string {
  const codecs: string[] = [];
  const avcC = find(init, "avcC");
  if (avcC >= 0) codecs.push(`avc1.${hex(init[avcC + 5]!)}${hex(init[avcC + 6]!)}${hex(init[avcC + 7]!)}`);
  else if (find(init, "hvcC") >= 0) codecs.push("hvc1.1.6.L93.B0");
  if (find(init, "mp4a") >= 0) codecs.push("mp4a.40.2");
  else if (find(init, "Opus") >= 0) codecs.push("opus");
  return `video/mp4; codecs="${codecs.join(",")}"`;
}
