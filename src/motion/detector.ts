/**
 * Motion in small gray pictures (docs/motion.md), one camera's, in time order. Pure: pictures in,
 * boxes out; no I/O. The reference NVR's steps (blur, difference against a running
 * background, threshold, dilate, regions above an area, a whole-picture change re-learnt)
 * with two changes that make it quiet where it was not:
 * - lighting: the picture's overall brightness change against the background (the median
 *   difference) is taken out before differencing, so lights, an IR switch or a cloud do not
 *   light up the whole picture for the seconds a slowly averaged contrast stretch needs; a
 *   change that still covers most of the picture is a lighting change: re-learnt at once;
 * - noise: the threshold rises with the noise measured in each difference (its median
 *   absolute deviation), and single changed pixels are removed (an opening) before regions
 *   are counted, so a grainy night picture does not make regions.
 */

export interface MotionSettings {
  /** Luma change (1–255) that counts as changed, at the least. */
  threshold: number;
  /** Smallest changed region, in pixels of the analysis picture. */
  contour_area: number;
  /** Share of the picture changing at once that means a lighting change, not motion. */
  lightning_threshold: number;
}

export interface MotionResult {
  /** [x1, y1, x2, y2] of each moving region, inclusive, in analysis pixels. */
  boxes: number[][];
  /** The picture changed as a whole: the background was learnt again. */
  lighting: boolean;
}

/** How fast the background follows the picture (per analysed picture, about one a second). */
const LEARN = 0.2;
/**
 * Where motion is, the background follows slower, so a moving object does not smear into it. But
 * where the picture is the same as the last one (an object that stopped: a parked car, a box put
 * down), it follows at the full rate: otherwise what stopped stays "motion" for a minute or more,
 * until the slow rate has absorbed it (issue 35: a scene still for 30 s was still judged moving).
 */
const LEARN_UNDER_MOTION = 0.05;
/** Noise threshold: this many robust standard deviations of the difference. */
const NOISE_SIGMAS = 4;

export class MotionDetector {
  private background?: Float32Array;
  /** The last picture analysed (blurred): what did not change since is no longer moving. */
  private readonly previous: Float32Array;
  private readonly size: number;
  private readonly blurred: Float32Array;
  private readonly scratch: Float32Array;
  private readonly changed: Uint8Array;
  private readonly opened: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    private readonly settings: MotionSettings,
    /** 1 for pixels to ignore (the rasterised mask), or none. */
    private readonly mask?: Uint8Array,
  ) {
    this.size = width * height;
    this.blurred = new Float32Array(this.size);
    this.previous = new Float32Array(this.size);
    this.scratch = new Float32Array(this.size);
    this.changed = new Uint8Array(this.size);
    this.opened = new Uint8Array(this.size);
  }

  /** Forgets the background (after a gap, the next picture starts a new one). */
  reset(): void {
    this.background = undefined;
  }

  analyse(picture: Uint8Array): MotionResult {
    if (picture.length !== this.size)
      throw new Error(`picture of ${picture.length} bytes, expected ${this.size}`);
    const frame = this.blur(picture);
    const bg = this.background;
    if (!bg) {
      this.background = Float32Array.from(frame);
      this.previous.set(frame);
      return { boxes: [], lighting: false };
    }
    const { width, height, size, mask, changed } = this;

    // The overall shift (lighting) and the noise, both robustly, from the signed differences.
    const diffs = this.scratch;
    let counted = 0;
    for (let i = 0; i < size; i++) if (!mask?.[i]) diffs[counted++] = frame[i]! - bg[i]!;
    if (!counted) return { boxes: [], lighting: false };
    const shift = median(diffs.subarray(0, counted));
    for (let i = 0; i < counted; i++) diffs[i] = Math.abs(diffs[i]! - shift);
    const noise = 1.4826 * median(diffs.subarray(0, counted));
    const threshold = Math.max(this.settings.threshold, NOISE_SIGMAS * noise);

    let changedCount = 0;
    for (let i = 0; i < size; i++) {
      const c = !mask?.[i] && Math.abs(frame[i]! - bg[i]! - shift) > threshold ? 1 : 0;
      changed[i] = c;
      changedCount += c;
    }
    if (changedCount > this.settings.lightning_threshold * counted) {
      bg.set(frame); // a new lighting: learn it at once
      this.previous.set(frame);
      return { boxes: [], lighting: true };
    }

    // Opening (erode, then dilate) drops specks; one more dilation joins an object's parts.
    erode(changed, this.opened, width, height);
    dilate(this.opened, changed, width, height);
    dilate(changed, this.opened, width, height);
    const boxes = regions(this.opened, width, height, this.settings.contour_area);

    const previous = this.previous;
    for (let i = 0; i < size; i++) {
      const moving = this.opened[i] && Math.abs(frame[i]! - previous[i]! - shift) > threshold;
      bg[i] = bg[i]! + (moving ? LEARN_UNDER_MOTION : LEARN) * (frame[i]! - bg[i]!);
    }
    previous.set(frame);
    return { boxes, lighting: false };
  }

  /** A 3×3 box blur applied twice (close to a small Gaussian): compression blocks and grain soften. */
  private blur(picture: Uint8Array): Float32Array {
    const { width, height, blurred, scratch } = this;
    for (let i = 0; i < picture.length; i++) blurred[i] = picture[i]!;
    for (let pass = 0; pass < 2; pass++) {
      boxBlur(blurred, scratch, width, height);
      blurred.set(scratch);
    }
    return blurred;
  }
}

function boxBlur(src: Float32Array, dst: Float32Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    const y0 = Math.max(0, y - 1),
      y1 = Math.min(h - 1, y + 1);
    for (let x = 0; x < w; x++) {
      const x0 = Math.max(0, x - 1),
        x1 = Math.min(w - 1, x + 1);
      let sum = 0;
      for (let yy = y0; yy <= y1; yy++) for (let xx = x0; xx <= x1; xx++) sum += src[yy * w + xx]!;
      dst[y * w + x] = sum / ((y1 - y0 + 1) * (x1 - x0 + 1));
    }
  }
}

function erode(src: Uint8Array, dst: Uint8Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let keep = 1;
      for (let yy = Math.max(0, y - 1); keep && yy <= Math.min(h - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++)
          if (!src[yy * w + xx]) {
            keep = 0;
            break;
          }
      }
      dst[y * w + x] = keep;
    }
  }
}

function dilate(src: Uint8Array, dst: Uint8Array, w: number, h: number): void {
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let set = 0;
      for (let yy = Math.max(0, y - 1); !set && yy <= Math.min(h - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++)
          if (src[yy * w + xx]) {
            set = 1;
            break;
          }
      }
      dst[y * w + x] = set;
    }
  }
}

/** Bounding boxes of the 8-connected regions of at least `minArea` pixels. */
function regions(bits: Uint8Array, w: number, h: number, minArea: number): number[][] {
  const seen = new Uint8Array(bits.length);
  const stack: number[] = [];
  const boxes: number[][] = [];
  for (let start = 0; start < bits.length; start++) {
    if (!bits[start] || seen[start]) continue;
    let area = 0,
      x1 = w,
      y1 = h,
      x2 = -1,
      y2 = -1;
    seen[start] = 1;
    stack.push(start);
    while (stack.length) {
      const p = stack.pop()!;
      const x = p % w,
        y = (p - x) / w;
      area++;
      if (x < x1) x1 = x;
      if (x > x2) x2 = x;
      if (y < y1) y1 = y;
      if (y > y2) y2 = y;
      for (let yy = Math.max(0, y - 1); yy <= Math.min(h - 1, y + 1); yy++) {
        for (let xx = Math.max(0, x - 1); xx <= Math.min(w - 1, x + 1); xx++) {
          const q = yy * w + xx;
          if (bits[q] && !seen[q]) {
            seen[q] = 1;
            stack.push(q);
          }
        }
      }
    }
    if (area >= minArea) boxes.push([x1, y1, x2, y2]);
  }
  return boxes;
}

/** The median of values (reordered in place), by selection: linear time. */
function median(values: Float32Array): number {
  const k = values.length >> 1;
  let lo = 0,
    hi = values.length - 1;
  while (lo < hi) {
    const pivot = values[(lo + hi) >> 1]!;
    let i = lo,
      j = hi;
    while (i <= j) {
      while (values[i]! < pivot) i++;
      while (values[j]! > pivot) j--;
      if (i <= j) {
        const t = values[i]!;
        values[i] = values[j]!;
        values[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return values[k]!;
}
