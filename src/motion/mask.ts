/**
 * Mask polygons (docs/motion.md): "x1,y1,x2,y2,..." in coordinates relative to the picture (0–1), as
 * the reference NVR's later versions write them (parsed by domain/geometry.ts), rasterised for an
 * analysis size.
 */
import type { Polygon } from "../domain/geometry.ts";
/** 1 where a pixel's centre lies inside any polygon (even-odd rule), for a width × height picture. */
export function rasterise(polygons: readonly Polygon[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (const poly of polygons) {
    for (let y = 0; y < height; y++) {
      const py = (y + 0.5) / height;
      // Where the polygon's edges cross this row, sorted: pixels between pairs are inside.
      const xs: number[] = [];
      for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
        const [xi, yi] = poly[i]!,
          [xj, yj] = poly[j]!;
        if (yi > py !== yj > py) xs.push(xi + ((py - yi) / (yj - yi)) * (xj - xi));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.ceil(xs[k]! * width - 0.5)),
          to = Math.min(width - 1, Math.floor(xs[k + 1]! * width - 0.5));
        for (let x = from; x <= to; x++) out[y * width + x] = 1;
      }
    }
  }
  return out;
}
