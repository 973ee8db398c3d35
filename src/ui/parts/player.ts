import { h } from "../dom.ts";
import { Feed } from "../playback/feed.ts";
import { nextBufferedStart, rangesOf, seekableAt } from "../playback/gaps.ts";
import { clock } from "../time.ts";

// The player: one <video> fed through Media Source, at any speed, across segments, hours and gaps.

/** Speeds offered. Up to 4× the <video> plays every frame; above, the keyframe view is stepped through. */
export const SPEEDS = [1, 2, 4, 8, 16, 32, 60] as const;
/** A playhead standing still this long while playing is stuck (a hole, a stalled pipeline). */
const STALL_MS = 1_500;
/** A trick-play seek still not done after this is replaced by the next. */
const SEEK_PATIENCE_MS = 1_000;
const TRICK_FROM = 8;
/** How often the moment shown is told to onShown. */
const ADDRESS_MS = 2000;
/** How often trick play shows the next key frame. */
const TRICK_TICK_MS = 100;

/**
 * Plays a camera's day from any moment, without a reload at segment boundaries: the chosen
 * speed stays. 1-4× set playbackRate; 8-60× step through the keyframe view (a picture per key
 * frame, trick play) at footage ÷ speed. A gap in the footage is jumped; the label and
 * `onTime` give the wall clock of what is shown.
 */
export class Player {
  readonly video = h("video", { controls: true, playsinline: true, muted: true });
  readonly label = h("p.now", { "aria-live": "polite" }, "Click the timeline to play.");
  private readonly speedButtons = SPEEDS.map((s) =>
    h("button.speed", { type: "button", "data-speed": s, "aria-pressed": String(s === 1) }, `${s}×`),
  );
  readonly el = h(
    "section.player",
    {},
    this.video,
    h("div.controls", { role: "group", "aria-label": "speed" }, ...this.speedButtons),
    this.label,
  );
  private feed?: Feed;
  private speed = 1;
  /** Trick play's playhead (media seconds) and its timer. */
  private trick?: { m: number; last: number; seekAt: number; timer: ReturnType<typeof setInterval> };
  /** Where playAt was asked and when: for the first frame's delay. */
  private asked?: number;
  onTime: (t: number) => void = () => {};
  /** Called with the moment shown, at most every ADDRESS_MS (the address bar follows it). */
  onShown: (t: number) => void = () => {};
  private lastShown = 0;
  private stallWatch?: ReturnType<typeof setInterval>;

  constructor(
    private readonly camera: string,
    private readonly day: { start: number; end: number },
  ) {
    this.video.muted = true; // autoplay works everywhere when muted; the controls unmute
    for (const b of this.speedButtons)
      b.addEventListener("click", () => void this.setSpeed(Number(b.dataset.speed)));
    this.video.addEventListener("timeupdate", () => this.shown());
    this.video.addEventListener("waiting", () => this.jumpGap());
    this.video.addEventListener("ended", () => (this.label.textContent = "End of the day's footage."));
  }

  /** The wall clock of what is shown now, if anything is. */
  now(): number | undefined {
    return this.feed?.wallAt(this.trick?.m ?? this.video.currentTime);
  }

  get currentSpeed(): number {
    return this.speed;
  }

  /** Plays from wall-clock `t` (the first footage after it, if none is at `t`). */
  async playAt(t: number): Promise<void> {
    this.asked = performance.now();
    this.watchStalls();
    this.stopTrick();
    this.feed?.close();
    const trick = this.speed >= TRICK_FROM;
    const feed = new Feed(this.video, this.camera, this.day, trick, {
      speed: () => this.speed,
      position: () => this.trick?.m ?? this.video.currentTime,
    });
    this.feed = feed;
    feed.onBreak = (wall) => void this.playAt(wall);
    feed.onError = (message) => (this.label.textContent = `Playback stopped: ${message}`);
    this.video.defaultPlaybackRate = trick ? 1 : this.speed; // a new source resets the rate to this
    this.video.dataset.view = trick ? "keys" : "all";
    let m: number | undefined;
    try {
      m = await feed.open(t);
    } catch (e) {
      if (feed === this.feed) this.label.textContent = `Playback failed: ${(e as Error).message}`;
      return;
    }
    if (feed !== this.feed) return; // asked again meanwhile
    if (m === undefined) return void (this.label.textContent = "No footage after that moment on this day.");
    this.video.currentTime = m;
    this.video.requestVideoFrameCallback?.(() => {
      if (this.asked !== undefined)
        this.video.dataset.firstFrameMs = String(Math.round(performance.now() - this.asked));
    });
    if (trick) this.startTrick(m);
    else {
      this.video.playbackRate = this.speed;
      await this.video.play().catch(() => {});
    }
  }

  /** Shows wall-clock `t` at once if its footage is in the buffer (scrubbing); true if it was. */
  showAt(t: number): boolean {
    const m = this.feed?.bufferedAt(t);
    if (m === undefined) return false;
    if (this.trick) this.trick.m = m;
    else this.video.currentTime = m;
    return true;
  }

  async setSpeed(speed: number): Promise<void> {
    const was = this.speed;
    this.speed = speed;
    for (const b of this.speedButtons)
      b.setAttribute("aria-pressed", String(Number(b.dataset.speed) === speed));
    const at = this.now();
    // Crossing between every frame and the keyframe view changes the footage fed: on from here.
    if (at !== undefined && was >= TRICK_FROM !== speed >= TRICK_FROM) return this.playAt(at);
    if (speed < TRICK_FROM) {
      this.video.defaultPlaybackRate = speed;
      this.video.playbackRate = speed;
    }
    this.shown();
  }

  toggle(): void {
    if (this.trick) this.stopTrick();
    else if (this.speed >= TRICK_FROM && this.feed) this.startTrick(this.video.currentTime);
    else if (this.video.paused) void this.video.play().catch(() => {});
    else this.video.pause();
  }

  private startTrick(m: number): void {
    this.video.pause();
    const trick = {
      m,
      last: performance.now(),
      seekAt: 0,
      timer: setInterval(() => this.step(), TRICK_TICK_MS),
    };
    this.trick = trick;
  }

  private stopTrick(): void {
    if (this.trick) clearInterval(this.trick.timer);
    this.trick = undefined;
  }

  /** Trick play: the playhead moves speed × the time passed, over the footage (gaps skipped). */
  private step(): void {
    const trick = this.trick;
    const feed = this.feed;
    if (!trick || !feed) return;
    const now = performance.now();
    let m = trick.m + (this.speed * (now - trick.last)) / 1000;
    trick.last = now;
    const gap = feed.gapAfter(m);
    if (gap) m = feed.toMedia(gap);
    const b = this.video.buffered;
    const end = b.length ? b.end(b.length - 1) : 0;
    if (m >= end - 0.05) {
      m = Math.max(trick.m, end - 0.05); // the feed has not caught up: wait here
      if (feed.complete) {
        this.stopTrick();
        this.label.textContent = "End of the day's footage.";
        return;
      }
    }
    trick.m = m;
    // On a key frame the browser holds; and a seek that never completes is given up for the next.
    if (!this.video.seeking || now - trick.seekAt > SEEK_PATIENCE_MS) {
      this.video.currentTime = seekableAt(rangesOf(b), m);
      trick.seekAt = now;
    }
    this.shown();
  }

  /**
   * At a hole in the buffer (a gap in the footage, or one the browser made): on to the footage
   * after it, where the buffered ranges say it goes on — or, before it is buffered, where the
   * playlist says. True when it jumped.
   */
  private jumpGap(near?: number): boolean {
    if (this.trick || !this.feed) return false;
    const t = this.video.currentTime;
    const next = nextBufferedStart(rangesOf(this.video.buffered), t, near);
    const listed = this.feed.gapAfter(t);
    const to = next ?? (listed && this.feed.toMedia(listed));
    if (to === undefined) return false;
    this.video.currentTime = to + 0.001;
    return true;
  }

  /**
   * The stall watch: while playing, a playhead that has not moved for STALL_MS is at a hole
   * (jumped) or in a stalled pipeline (nudged by a seek where it is). It ends itself once the
   * video has left the page.
   */
  private watchStalls(): void {
    if (this.stallWatch) return;
    let last = { m: Number.NaN, at: performance.now() };
    this.stallWatch = setInterval(() => {
      const v = this.video;
      if (!v.isConnected) {
        clearInterval(this.stallWatch);
        this.stallWatch = undefined;
        return;
      }
      const now = performance.now();
      if (v.paused || v.seeking || this.trick || v.currentTime !== last.m) {
        last = { m: v.currentTime, at: now };
        return;
      }
      if (now - last.at < STALL_MS) return;
      last.at = now;
      if (!this.jumpGap()) v.currentTime = v.currentTime + 0.001;
    }, 250);
  }

  private shown(): void {
    const t = this.now();
    if (t === undefined) return;
    this.label.textContent = `${this.camera} · ${clock(t)} · ${this.speed}×${this.speed >= TRICK_FROM ? " (key frames)" : ""}`;
    this.onTime(t);
    if (performance.now() - this.lastShown >= ADDRESS_MS) {
      this.lastShown = performance.now();
      this.onShown(t);
    }
    // While it plays, only at the very edge: a frame or two before a gap may still be shown.
    if (!this.trick) this.jumpGap(0.05);
  }
}
