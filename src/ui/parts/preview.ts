import { h } from "../dom.ts";
import { api } from "../api.ts";
import { clock } from "../time.ts";

// The picture under the pointer on the timeline: one request at a time, the latest wish next.

/** Moments this close share a picture (the server has one per segment; segments are ~10 s). */
const QUANTUM_S = 10;

/**
 * A small picture and the time under the pointer. While one picture loads, further moves only
 * note where the pointer is; when it has loaded, the latest noted moment is asked for — so a
 * sweep across the day makes a few requests, not one per move.
 */
export class PreviewPopup {
  private readonly img = h("img", { alt: "", width: 160, height: 90 });
  private readonly time = h("span", {});
  readonly el = h("div.preview", { hidden: true, "aria-hidden": "true" }, this.img, this.time);
  private shownT?: number;
  private wanted?: number;
  private loading = false;

  constructor(private readonly camera: string) {
    const done = () => {
      this.loading = false;
      if (this.wanted !== undefined && this.wanted !== this.shownT) this.load(this.wanted);
    };
    this.img.addEventListener("load", () => {
      this.img.style.visibility = "visible";
      done();
    });
    this.img.addEventListener("error", () => {
      this.img.style.visibility = "hidden";
      done();
    });
  }

  /** Shows moment `t` at `x` (0–1 across the track), with its picture if `footage` is there. */
  show(t: number, x: number, footage: boolean): void {
    this.el.hidden = false;
    this.el.style.left = `${(Math.min(1, Math.max(0, x)) * 100).toFixed(2)}%`;
    this.time.textContent = clock(t);
    this.img.hidden = !footage;
    if (!footage) return void (this.wanted = undefined);
    const q = Math.floor(t / QUANTUM_S) * QUANTUM_S;
    this.wanted = q;
    if (!this.loading && q !== this.shownT) this.load(q);
  }

  hide(): void {
    this.el.hidden = true;
    this.wanted = undefined;
  }

  private load(q: number): void {
    this.loading = true;
    this.shownT = q;
    this.img.src = api.previewUrl(this.camera, q);
  }
}
