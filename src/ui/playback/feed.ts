import { TOUCHING_S } from "../../playback/runs.ts";
import { api } from "../api.ts";
import { mimeOf } from "./codecs.ts";
import { type Fragment, fragmentAtMedia, fragmentAtWall, readPlaylist } from "./playlist.ts";

// Feeds one <video> through Media Source from camkeep's playlists: one picture across segments.

/** Wall-clock seconds of footage asked for in one playlist (a playlist's first answer stays quick). */
const WINDOW_S = 600;
/** Media seconds appended ahead of the playhead, times the speed. */
const AHEAD_S = 20;
/** Media seconds kept behind the playhead; older footage leaves the buffer (memory stays bounded). */
const BEHIND_S = 30;
/** How often a feed with nothing to do looks again (the playhead moved; a live day grew). */
const IDLE_MS = 400;
const LIVE_RETRY_MS = 5000;
/** Footage this recent may not all be stored yet (the keeper stores a closed segment within seconds). */
const LIVE_MARGIN_S = 120;

/** What a feed asks of its player: how fast it plays and where its playhead is (media seconds). */
export interface FeedPlayer {
  speed(): number;
  position(): number;
}

const once = (target: EventTarget, type: string) =>
  new Promise<void>((resolve, reject) => {
    const ok = () => {
      target.removeEventListener("error", fail);
      resolve();
    };
    const fail = () => {
      target.removeEventListener(type, ok);
      reject(new Error(`${type} failed`));
    };
    target.addEventListener(type, ok, { once: true });
    target.addEventListener("error", fail, { once: true });
  });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A MediaSource, or on iPhones (iOS 17.1+, which have no MediaSource) its managed variant,
 * which works alike for a feed that removes what it played.
 */
function newMediaSource(): MediaSource {
  const managed = (globalThis as { ManagedMediaSource?: typeof MediaSource }).ManagedMediaSource;
  return typeof MediaSource === "function" ? new MediaSource() : new managed!();
}

/**
 * A camera's footage from a moment on, appended fragment by fragment into one SourceBuffer in
 * "segments" mode: each fragment's decode times are the run's clock (the wall clock, camkeep's
 * playlists say), so touching segments make one buffered range and a gap stays a gap (the
 * player jumps it). Media time is the run clock minus `origin` (the day's start), small
 * numbers for the <video>. `keys`: the keyframe view (trick play). Playlists are read a
 * window at a time, runs that continue across two windows chained as the server chains them
 * (docs/design.md#footage-back).
 */
export class Feed {
  readonly fragments: Fragment[] = [];
  private readonly source = newMediaSource();
  private readonly url = URL.createObjectURL(this.source);
  private readonly stop = new AbortController();
  private buffer?: SourceBuffer;
  private mime?: string;
  private appendedInit?: string;
  private next = 0;
  private readUntil = 0;
  private ended = false;
  private readonly inits = new Map<string, Uint8Array>();
  /** Bytes fetched (for the page's own figures). */
  fetched = 0;
  /** The next fragment needs another kind of buffer (audio came or went): play on from it anew. */
  onBreak: (wall: number) => void = () => {};
  onError: (message: string) => void = () => {};

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly camera: string,
    private readonly day: { start: number; end: number },
    private readonly keys: boolean,
    private readonly player: FeedPlayer,
  ) {}

  get origin(): number {
    return this.day.start;
  }
  /** All fragments to the end of the day are in the buffer. */
  get complete(): boolean {
    return this.ended;
  }
  toMedia(f: Fragment): number {
    return f.at - this.origin;
  }

  /** Opens at wall-clock `t`: the media time to show, or undefined when the day has no footage from `t` on. */
  async open(t: number): Promise<number | undefined> {
    this.video.disableRemotePlayback = true; // a managed MediaSource plays only so (no AirPlay of a blob)
    this.video.src = this.url;
    await once(this.source, "sourceopen");
    this.readUntil = Math.max(this.day.start, t);
    while (fragmentAtWall(this.fragments, t) < 0) if (!(await this.readMore(true))) return undefined;
    this.next = fragmentAtWall(this.fragments, t);
    const f = this.fragments[this.next]!;
    await this.appendNext();
    void this.pump();
    return this.toMedia(f) + Math.max(0, Math.min(f.duration - 0.05, t - f.start));
  }

  close(): void {
    this.stop.abort();
    this.ended = true;
    URL.revokeObjectURL(this.url);
  }

  /** The fragment after the one showing media time `m`, when a gap lies between them. */
  gapAfter(m: number): Fragment | undefined {
    const i = fragmentAtMedia(this.fragments, m + this.origin);
    const cur = this.fragments[i];
    const next = this.fragments[i + 1];
    return cur &&
      next &&
      next.at > cur.at + cur.duration + 0.05 &&
      m >= this.toMedia(cur) + cur.duration - 0.2
      ? next
      : undefined;
  }

  /** Wall-clock time at media time `m`. */
  wallAt(m: number): number | undefined {
    const f = this.fragments[fragmentAtMedia(this.fragments, m + this.origin)];
    return f && f.start + Math.max(0, Math.min(f.duration, m - this.toMedia(f)));
  }

  /** Media time of wall-clock `t` if its footage is in the buffer. */
  bufferedAt(t: number): number | undefined {
    const f = this.fragments[fragmentAtWall(this.fragments, t)];
    if (!f || !this.buffer || t < f.start - 0.05) return undefined; // before what was read, or in a gap
    const m = this.toMedia(f) + Math.max(0, t - f.start);
    const b = this.buffer.buffered;
    for (let i = 0; i < b.length; i++) if (b.start(i) <= m && m < b.end(i) - 0.05) return m;
    return undefined;
  }

  private async pump(): Promise<void> {
    try {
      while (!this.stop.signal.aborted) {
        const f = this.fragments[this.next];
        if (!f) {
          if (!(await this.readMore(false))) return this.finish();
          continue;
        }
        const pos = this.player.position();
        if (this.toMedia(f) > pos + AHEAD_S * Math.max(1, this.player.speed())) {
          await sleep(IDLE_MS);
          continue;
        }
        if (!(await this.appendNext())) return;
        await this.evict(pos);
      }
    } catch (e) {
      if (!this.stop.signal.aborted) this.onError((e as Error).message);
    }
  }

  /**
   * Reads the next window's playlist; false at the end of the day. A live day (today) is
   * followed: at its present, it waits and asks again. `seeking`: the caller looks for the
   * first footage, so empty stretches are skipped to the next stored segment at once.
   */
  private async readMore(seeking: boolean): Promise<boolean> {
    const now = Date.now() / 1000;
    const end = Math.min(this.day.end, now);
    if (this.readUntil >= this.day.end - 0.001) return false;
    if (this.readUntil >= end - 1) {
      if (seeking) return false;
      await sleep(LIVE_RETRY_MS);
      return !this.stop.signal.aborted;
    }
    const from = this.readUntil;
    const until = Math.min(end, from + WINDOW_S);
    const url = api.playlistUrl(this.camera, from, until, this.keys);
    const res = await fetch(url, { signal: this.stop.signal, credentials: "same-origin" });
    if (!res.ok) throw new Error(`the playlist answered ${res.status}`);
    const found = readPlaylist(await res.text(), new URL(url, location.href).href);
    const known = this.fragments.length;
    for (const f of found) this.add(f);
    if (until > now - LIVE_MARGIN_S) {
      // Near the present, segments are still being stored: read again from the last one's end.
      const last = this.fragments.at(-1);
      this.readUntil = Math.max(from, last ? last.start + last.duration : from);
      if (this.fragments.length === known) {
        if (seeking) return false;
        await sleep(LIVE_RETRY_MS);
      }
      return !this.stop.signal.aborted;
    }
    this.readUntil = until;
    if (!found.length && seeking) {
      // Nothing in this window: on to the next stored segment, wherever it is.
      const next = (await api.recordings(this.camera, until, this.day.end, 1))[0];
      this.readUntil = next ? Math.max(until, Math.floor(next.start_time)) : this.day.end;
    }
    return true;
  }

  /** Adds a fragment read from a playlist: one seen before is skipped, a run continued is chained. */
  private add(f: Fragment): void {
    const last = this.fragments.at(-1);
    if (last && f.start < last.start + 0.001) return;
    if (last && last.init === f.init && Math.abs(f.start - (last.start + last.duration)) < TOUCHING_S) {
      const at = last.at + last.duration;
      const uri = new URL(f.uri);
      uri.searchParams.set("t", at.toFixed(6));
      this.fragments.push({ ...f, at, uri: uri.href });
    } else this.fragments.push(f);
  }

  /** Appends the next fragment (its init first when it changes); false when the feed must stop. */
  private async appendNext(): Promise<boolean> {
    const f = this.fragments[this.next]!;
    if (f.init !== this.appendedInit) {
      const init = this.inits.get(f.init) ?? (await this.bytes(f.init));
      this.inits.set(f.init, init);
      const mime = mimeOf(init);
      // Said plainly, not an empty player: Chromium has no H.265 in Media Source.
      if (!(this.source.constructor as typeof MediaSource).isTypeSupported(mime))
        throw new Error(
          `this browser cannot play ${mime.includes("hvc1") ? "H.265 (HEVC)" : "this camera's"} footage (${mime}). Firefox and Safari play H.265; any browser can download it as an export`,
        );
      if (!this.buffer) {
        this.buffer = this.source.addSourceBuffer(mime);
        this.buffer.mode = "segments";
        this.buffer.timestampOffset = -this.origin;
      } else if (mime !== this.mime) {
        // Same tracks, other settings: the buffer changes type; other tracks: a new buffer.
        if (mime.split(",").length !== this.mime!.split(",").length || !this.buffer.changeType) {
          this.onBreak(f.start);
          return false;
        }
        this.buffer.changeType(mime);
      }
      this.mime = mime;
      await this.append(init);
      this.appendedInit = f.init;
    }
    await this.append(await this.bytes(f.uri));
    this.next++;
    return true;
  }

  private async bytes(url: string): Promise<Uint8Array> {
    const res = await fetch(url, { signal: this.stop.signal, credentials: "same-origin" });
    if (!res.ok) throw new Error(`${new URL(url).pathname} answered ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    this.fetched += bytes.length;
    return bytes;
  }

  private async append(bytes: Uint8Array): Promise<void> {
    const b = this.buffer!;
    try {
      b.appendBuffer(bytes as Uint8Array<ArrayBuffer>);
    } catch (e) {
      if ((e as DOMException).name !== "QuotaExceededError") throw e;
      await this.evict(this.player.position(), 2); // full: keep less behind, then once more
      b.appendBuffer(bytes as Uint8Array<ArrayBuffer>);
    }
    await once(b, "updateend");
  }

  private async evict(pos: number, keep = BEHIND_S): Promise<void> {
    const b = this.buffer;
    if (!b?.buffered.length || b.buffered.start(0) >= pos - keep - 5) return;
    b.remove(0, Math.max(0, pos - keep));
    await once(b, "updateend");
  }

  private finish(): void {
    this.ended = true;
    if (this.source.readyState === "open" && !this.buffer?.updating) this.source.endOfStream();
  }
}
