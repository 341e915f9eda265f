// What differs between two definitions of a program version, by path, as `program load` and
// `program validate` show it: `tracks[0].tiers[1].criteria.allOf[0].atLeast: "250000" → "300000"`.
// Both sides are JSON values (a stored jsonb has its keys in another order than the file, so
// key order is ignored); a key whose value is undefined is absent, as in JSON.
import { formatPath } from './issues.ts';

export interface Difference {
  path: readonly (string | number)[];
  /** undefined: absent on that side. */
  before: unknown;
  after: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every leaf or subtree that differs, in the order of `after` (then what only `before` has). */
export function jsonDifferences(before: unknown, after: unknown): Difference[] {
  const out: Difference[] = [];
  walk(before, after, [], out);
  return out;
}

function walk(before: unknown, after: unknown, path: (string | number)[], out: Difference[]): void {
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) {
      walk(i < before.length ? before[i] : undefined, i < after.length ? after[i] : undefined, [...path, i], out);
    }
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = [...Object.keys(after), ...Object.keys(before).filter((k) => !Object.hasOwn(after, k))];
    for (const key of keys) walk(before[key], after[key], [...path, key], out);
    return;
  }
  if (before === undefined && after === undefined) return;
  if (before === null || after === null || typeof before !== 'object' || typeof after !== 'object') {
    if (!Object.is(before, after)) out.push({ path, before, after });
    return;
  }
  // An array on one side and an object on the other.
  out.push({ path, before, after });
}

const MAX_VALUE = 80;

function shown(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE - 1)}…` : text;
}

/** `path: before → after`, values as JSON, long ones cut. */
export function formatDifference(d: Difference): string {
  return `${formatPath(d.path) || '(root)'}: ${shown(d.before)} → ${shown(d.after)}`;
}

/** At most `limit` lines, then how many more differ. */
export function formatDifferences(differences: readonly Difference[], limit = 20): string[] {
  const lines = differences.slice(0, limit).map(formatDifference);
  if (differences.length > limit) lines.push(`… and ${differences.length - limit} more`);
  return lines;
}
