import type { Recording } from "../db/schema.ts";
import type { FootageLocator } from "../tiers/footage.ts";
import { firstPicture } from "./picture.ts";
import { Recent } from "./recent.ts";

// Preview pictures for the timeline: a small JPEG per stored segment, made when first asked, kept.

/** Pictures kept (about 4 KB each at PREVIEW_HEIGHT: ~2 MB). */
const KEEP = 500;
/** Pixels high: a thumbnail under the pointer, a picture in the review list. */
export const PREVIEW_HEIGHT = 90;
/** Pictures being made at once: more would only queue ffmpegs on a Pi's few cores. */
const AT_ONCE = 1;
/** Asked-for pictures waiting to be made; the oldest wish is dropped first (the pointer moved on). */
const MAX_WAITING = 8;

type Wish = { row: Recording; resolve: (jpeg: Uint8Array | undefined) => void };

/**
 * A segment's preview, made once by one ffmpeg run and kept (a stored segment's first picture
 * never changes). Requests for the same segment share one run; at most AT_ONCE run at a time
 * and at most MAX_WAITING wait, so a pointer swept across the timeline costs a handful of
 * runs, never one per move.
 */
export class Previews {
  private readonly made = new Recent<Uint8Array | null>(KEEP);
  private readonly pending = new Map<string, Promise<Uint8Array | undefined>>();
  private readonly waiting: Wish[] = [];
  private running = 0;
  /** ffmpeg runs made (status: what previews cost). */
  runs = 0;

  constructor(private readonly footage: FootageLocator) {}

  /** The picture, or undefined when none can be made (footage unreachable, ffmpeg failed, dropped). */
  of(row: Recording): Promise<Uint8Array | undefined> {
    const known = this.made.get(row.id);
    if (known !== undefined) return Promise.resolve(known ?? undefined);
    let p = this.pending.get(row.id);
    if (!p) {
      p = new Promise<Uint8Array | undefined>((resolve) => {
        this.waiting.push({ row, resolve });
        if (this.waiting.length > MAX_WAITING) this.waiting.shift()!.resolve(undefined);
        this.next();
      }).finally(() => this.pending.delete(row.id));
      this.pending.set(row.id, p);
    }
    return p;
  }

  private next(): void {
    if (this.running >= AT_ONCE) return;
    const wish = this.waiting.pop(); // the newest: where the pointer is now
    if (!wish) return;
    this.running++;
    const source = this.footage.source(wish.row);
    const making = source ? firstPicture(source, PREVIEW_HEIGHT) : Promise.resolve(undefined);
    if (source) this.runs++;
    void making
      .catch(() => undefined)
      .then((jpeg) => {
        // A segment ffmpeg could not picture is remembered too (null), not tried on every move;
        // footage out of reach (a tier down) is tried again next time.
        if (source) this.made.set(wish.row.id, jpeg ?? null);
        wish.resolve(jpeg);
      })
      .finally(() => {
        this.running--;
        this.next();
      });
  }
}
