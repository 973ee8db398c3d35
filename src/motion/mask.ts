/**
 * Mask polygons (SPEC 10): "x1,y1,x2,y2,..." in coordinates relative to the picture (0–1), as
 * the reference NVR's later versions write them. Parsed once; rasterised for an analysis size.
 */
export type Polygon = [number, number][];

/** A polygon from its text, or the reason it is not one. */
export function parsePolygon(text: string): Polygon | string {
  const values = text.split(",").map((v) => v.trim());
  if (values.some((v) => !/^-?\d+(\.\d+)?$/.test(v))) return "must be numbers separated by commas, e.g. \"0,0,0.5,0,0.5,0.3\"";
  if (values.length % 2) return `has ${values.length} values: x and y come in pairs`;
  const numbers = values.map(Number);
  if (numbers.some((n) => n < 0 || n > 1)) return "values must be between 0 and 1 (relative to the picture)";
  if (numbers.length < 6) return "needs at least 3 points";
  const points: Polygon = [];
  for (let i = 0; i < numbers.length; i += 2) points.push([numbers[i]!, numbers[i + 1]!]);
  return points;
}

/** 1 where a pixel's centre lies inside any polygon (even-odd rule), for a width × height picture. */
export function rasterise(polygons: readonly Polygon[], width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height);
  for (const poly of polygons) {
    for (let y = 0; y < height; y++) {
      const py = (y + 0.5) / height;
      // Where the polygon's edges cross this row, sorted: pixels between pairs are inside.
      const xs: number[] = [];
      for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
        const [xi, yi] = poly[i]!, [xj, yj] = poly[j]!;
        if ((yi > py) !== (yj > py)) xs.push(xi + ((py - yi) / (yj - yi)) * (xj - xi));
      }
      xs.sort((a, b) => a - b);
      for (let k = 0; k + 1 < xs.length; k += 2) {
        const from = Math.max(0, Math.ceil(xs[k]! * width - 0.5)), to = Math.min(width - 1, Math.floor(xs[k + 1]! * width - 0.5));
        for (let x = from; x <= to; x++) out[y * width + x] = 1;
      }
    }
  }
  return out;
}
