/** Shapes in pictures: mask polygons (relative coordinates) and motion boxes (pixels). Pure. */

/** A polygon's points, relative to the picture (0–1). */
export type Polygon = [number, number][];

/** A polygon from its text, or the reason it is not one. */
export function parsePolygon(text: string): Polygon | string {
  const values = text.split(",").map((v) => v.trim());
  if (values.some((v) => !/^-?\d+(\.\d+)?$/.test(v)))
    return 'must be numbers separated by commas, e.g. "0,0,0.5,0,0.5,0.3"';
  if (values.length % 2) return `has ${values.length} values: x and y come in pairs`;
  const numbers = values.map(Number);
  if (numbers.some((n) => n < 0 || n > 1)) return "values must be between 0 and 1 (relative to the picture)";
  if (numbers.length < 6) return "needs at least 3 points";
  const points: Polygon = [];
  for (let i = 0; i < numbers.length; i += 2) points.push([numbers[i]!, numbers[i + 1]!]);
  return points;
}

/** Box area with inclusive pixel corners, as the reference NVR computes it. */
export function boxArea([x1 = 0, y1 = 0, x2 = 0, y2 = 0]: number[]): number {
  return Math.max(0, x2 - x1 + 1) * Math.max(0, y2 - y1 + 1);
}
