import type { Run, RunSegment } from "./runs.ts";

// An HLS media playlist (fMP4) of runs of stored segments. Pure.

export interface PlaylistUris {
  init(run: Run): string;
  fragment(segment: RunSegment, sequence: number): string;
}

/**
 * The playlist: an EXT-X-MAP per run, a PROGRAM-DATE-TIME per fragment (the camera's clock),
 * a DISCONTINUITY between runs, and ENDLIST once the span is over (`ended`).
 */
export function mediaPlaylist(runs: readonly Run[], uris: PlaylistUris, ended: boolean): string {
  const all = runs.flatMap((r) => r.segments);
  const target = Math.max(1, ...all.map((s) => Math.ceil(s.duration)));
  const lines = [
    "#EXTM3U",
    "#EXT-X-VERSION:7",
    `#EXT-X-TARGETDURATION:${target}`,
    "#EXT-X-MEDIA-SEQUENCE:0",
    `#EXT-X-PLAYLIST-TYPE:${ended ? "VOD" : "EVENT"}`,
    "#EXT-X-INDEPENDENT-SEGMENTS",
  ];
  let sequence = 0;
  for (const [i, run] of runs.entries()) {
    if (i > 0) lines.push("#EXT-X-DISCONTINUITY");
    lines.push(`#EXT-X-MAP:URI="${uris.init(run)}"`);
    for (const s of run.segments) {
      lines.push(
        `#EXT-X-PROGRAM-DATE-TIME:${new Date(s.start * 1000).toISOString()}`,
        `#EXTINF:${s.duration.toFixed(6)},`,
        uris.fragment(s, sequence++),
      );
    }
  }
  if (ended) lines.push("#EXT-X-ENDLIST");
  return `${lines.join("\n")}\n`;
}
