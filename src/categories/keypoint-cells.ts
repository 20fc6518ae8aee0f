import type { CellProblem } from './types.js';

/** The source columns of keypoint_detection besides filename and label. */
export const ANNOTATION_COLUMN = 'Annotation';
export const VISIBILITY_COLUMN = 'Visibility';

export interface Keypoint {
  readonly name: string;
  readonly x: number;
  readonly y: number;
}

/**
 * Parses an `Annotation` cell: a JSON object of keypoint name → `[x, y]` or `{"x": x, "y": y}`,
 * with finite numbers >= 0. Returns the points in the cell's order and the cell as compact JSON,
 * or a problem description that names positions, never names or values.
 */
export function parseAnnotation(text: string | null): { points: Keypoint[]; compact: string } | string {
  const value = parseJsonObject(text, ANNOTATION_COLUMN);
  if (typeof value === 'string') return value;
  const entries = Object.entries(value);
  if (entries.length === 0) return `${ANNOTATION_COLUMN} holds no keypoints`;
  const points: Keypoint[] = [];
  for (const [i, [name, point]] of entries.entries()) {
    const xy = coordinates(point);
    if (xy === null) return `keypoint ${i + 1} of ${ANNOTATION_COLUMN} must be [x, y] or {"x": x, "y": y} with two numbers`;
    if (!Number.isFinite(xy[0]) || !Number.isFinite(xy[1]) || xy[0] < 0 || xy[1] < 0) {
      return `keypoint ${i + 1} of ${ANNOTATION_COLUMN} must have finite coordinates >= 0`;
    }
    points.push({ name, x: xy[0], y: xy[1] });
  }
  return { points, compact: JSON.stringify(value) };
}

/** Checks a `Visibility` cell: a JSON object with exactly the annotation's names, each 0 or 1. */
export function checkVisibility(text: string | null, names: readonly string[]): string | null {
  const value = parseJsonObject(text, VISIBILITY_COLUMN);
  if (typeof value === 'string') return value;
  const keys = Object.keys(value);
  const expected = new Set(names);
  if (keys.length !== expected.size || !keys.every((k) => expected.has(k))) {
    return `${VISIBILITY_COLUMN} must have the same keypoint names as ${ANNOTATION_COLUMN} (it has ${keys.length}, ${ANNOTATION_COLUMN} has ${expected.size})`;
  }
  const bad = Object.values(value).findIndex((v) => v !== 0 && v !== 1);
  if (bad >= 0) return `entry ${bad + 1} of ${VISIBILITY_COLUMN} must be 0 or 1`;
  return null;
}

/**
 * The keypoint_detection cell checks (pure, per row): both JSON shapes. The count against
 * `number_of_keypoints`, the names across rows and the coordinates against the image are the
 * file handler's (keypoint-files.ts), which knows the plan and the image.
 * Returns the annotation as compact JSON for the `annotation` column.
 */
export function checkKeypointCells(extras: readonly (string | null)[]): CellProblem[] | { annotation: string | null } {
  const [annotation = null, visibility = null] = extras;
  const parsed = parseAnnotation(annotation);
  if (typeof parsed === 'string') return [{ code: 'ANNOTATION_INVALID', message: parsed, field: ANNOTATION_COLUMN }];
  const problem = checkVisibility(visibility, parsed.points.map((p) => p.name));
  if (problem !== null) return [{ code: 'ANNOTATION_INVALID', message: problem, field: VISIBILITY_COLUMN }];
  return { annotation: parsed.compact };
}

function parseJsonObject(text: string | null, column: string): Record<string, unknown> | string {
  if (text === null || text.trim() === '') return `${column} is empty; it must be a JSON object`;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `${column} is not valid JSON`;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${column} must be a JSON object of keypoint name to value`;
  return value as Record<string, unknown>;
}

function coordinates(point: unknown): [number, number] | null {
  if (Array.isArray(point)) {
    return point.length === 2 && typeof point[0] === 'number' && typeof point[1] === 'number' ? [point[0], point[1]] : null;
  }
  if (point !== null && typeof point === 'object') {
    const o = point as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 2 && typeof o['x'] === 'number' && typeof o['y'] === 'number') return [o['x'], o['y']];
  }
  return null;
}
