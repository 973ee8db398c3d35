import { h } from "../dom.ts";
import { api, type Recording } from "../api.ts";
import { clock } from "../time.ts";

// The player of a day's footage.
/**
 * Plays the day's footage one segment after another from any moment. It loads the segments
 * of an hour at a time, the hour being played, and the next hour when it gets there.
 */
export class Player {
  readonly video = h("video", { controls: true, playsinline: true, preload: "metadata", muted: true });
  readonly label = h("p.now", { "aria-live": "polite" }, "Click the timeline to play.");
  readonly el = h("section.player", {}, this.video, this.label);
  private segments: Recording[] = [];
  private index = -1;
  onTime: (t: number) => void = () => {};
  /** Called with the segments of each hour loaded (the timeline shows their motion minute by minute). */
  onSegments: (segments: Recording[]) => void = () => {};

  constructor(
    private readonly camera: string,
    private readonly day: { start: number; end: number },
  ) {
    this.video.muted = true; // autoplay works everywhere when muted; the controls unmute
    this.video.addEventListener("ended", () => void this.next());
    this.video.addEventListener("timeupdate", () => {
      const seg = this.segments[this.index];
      if (!seg) return;
      const t = seg.start_time + this.video.currentTime;
      this.label.textContent = `${this.camera} · ${clock(t)}`;
      this.onTime(t);
    });
  }

  async playAt(t: number): Promise<void> {
    const from = Math.max(this.day.start, t);
    this.segments = await this.hourFrom(from);
    const i = this.segments.findIndex((s) => s.end_time > t);
    if (i < 0) return void (this.label.textContent = "No footage after that moment on this day.");
    this.load(i, Math.max(0, t - this.segments[i]!.start_time));
  }

  /** The segments from `t` to the end of its hour (or, with none there, of the next hours that have some). */
  private async hourFrom(t: number): Promise<Recording[]> {
    for (let from = t; from < this.day.end; from = Math.floor(from / 3600) * 3600 + 3600) {
      const until = Math.min(this.day.end, Math.floor(from / 3600) * 3600 + 3600);
      const found = (await api.recordings(this.camera, from, until)).filter((s) => s.end_time > from);
      if (found.length) {
        this.onSegments(found);
        return found;
      }
    }
    return [];
  }

  private async next(): Promise<void> {
    if (this.index + 1 < this.segments.length) return this.load(this.index + 1, 0);
    const last = this.segments[this.index];
    const more = last
      ? (await this.hourFrom(last.end_time)).filter((s) => s.start_time >= last.start_time + 0.001)
      : [];
    if (!more.length) return void (this.label.textContent = "End of the day's footage.");
    this.segments = more;
    this.load(0, 0);
  }

  private load(i: number, offset: number): void {
    const seg = this.segments[i]!;
    this.index = i;
    this.video.dataset.recording = seg.id;
    this.video.src = api.fileUrl(seg.id);
    this.video.addEventListener(
      "loadedmetadata",
      () => {
        if (offset > 0) this.video.currentTime = offset;
        void this.video.play().catch(() => {});
      },
      { once: true },
    );
  }
}
