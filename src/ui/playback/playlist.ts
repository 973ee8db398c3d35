// camkeep's own HLS playlists read back in the page: which fragment plays when, and with which init. Pure.

/** One fragment of a playlist: its address, its init's, and its place on two clocks. */
export interface Fragment {
  uri: string;
  init: string;
  /** Where its first frame lies on the media clock (the run's clock: the `t` of its address), seconds. */
  at: number;
  /** Its wall-clock start (PROGRAM-DATE-TIME), epoch seconds. */
  start: number;
  duration: number;
}

/**
 * The fragments of a playlist camkeep wrote (src/playback/hls.ts), URIs resolved against
 * `base` (the playlist's own address). Lines it does not need are skipped.
 */
export function readPlaylist(text: string, base: string): Fragment[] {
  const out: Fragment[] = [];
  let init = "";
  let start = Number.NaN;
  let duration = Number.NaN;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#EXT-X-MAP:")) init = new URL(/URI="([^"]+)"/.exec(line)?.[1] ?? "", base).href;
    else if (line.startsWith("#EXT-X-PROGRAM-DATE-TIME:"))
      start = Date.parse(line.slice("#EXT-X-PROGRAM-DATE-TIME:".length)) / 1000;
    else if (line.startsWith("#EXTINF:")) duration = Number.parseFloat(line.slice("#EXTINF:".length));
    else if (line && !line.startsWith("#")) {
      const uri = new URL(line, base);
      const at = Number(uri.searchParams.get("t"));
      if (init && Number.isFinite(start) && duration > 0 && Number.isFinite(at))
        out.push({ uri: uri.href, init, at, start, duration });
      start = Number.NaN;
      duration = Number.NaN;
    }
  }
  return out;
}

/** The fragment showing wall-clock `t`, or else the first one after it; -1 when none is. */
export function fragmentAtWall(fragments: readonly Fragment[], t: number): number {
  return fragments.findIndex((f) => f.start + f.duration > t);
}

/** The fragment showing media time `m` (or the last one before it); -1 before the first. */
export function fragmentAtMedia(fragments: readonly Fragment[], m: number): number {
  let lo = 0;
  let hi = fragments.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (fragments[mid]!.at <= m + 1e-6) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
