// The diff `program load` prints when a version is already stored with another definition
// (issue #21 item 2): paths as in validation messages, old → new values, key order ignored.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatDifferences, jsonDifferences } from '../../domain/program/diff.ts';

const acme = (): Record<string, unknown> =>
  JSON.parse(readFileSync('examples/acme/program.json', 'utf8')) as Record<string, unknown>;

/** The same object with its keys in reverse order, at every depth (as jsonb may return them). */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reordered(v)]),
  );
}

const lines = (before: unknown, after: unknown): string[] => formatDifferences(jsonDifferences(before, after));

describe('jsonDifferences', () => {
  it('finds nothing between a definition and itself with its keys reordered', () => {
    const doc = acme();
    expect(jsonDifferences(reordered(doc), doc)).toEqual([]);
    expect(jsonDifferences(doc, reordered(doc))).toEqual([]);
  });

  it('names a changed threshold by its path, old → new', () => {
    const before = acme();
    const after = acme() as { tracks: { tiers: { criteria: { allOf: { atLeast: string }[] } }[] }[] };
    const leaf = after.tracks[0]?.tiers[1]?.criteria.allOf[0];
    if (!leaf) throw new Error('examples/acme/program.json changed shape');
    const old = leaf.atLeast;
    leaf.atLeast = '300000';
    expect(lines(reordered(before), after)).toEqual([
      `tracks[0].tiers[1].criteria.allOf[0].atLeast: ${JSON.stringify(old)} → "300000"`,
    ]);
  });

  it('shows added and removed keys and array elements as (absent)', () => {
    expect(lines({ a: 1, b: [1, 2], gone: true }, { a: 1, b: [1, 2, 3], added: 'x' })).toEqual([
      'b[2]: (absent) → 3',
      'added: (absent) → "x"',
      'gone: true → (absent)',
    ]);
  });

  it('treats a key whose value is undefined as absent, as JSON does', () => {
    expect(jsonDifferences({ a: 1 }, { a: 1, b: undefined })).toEqual([]);
  });

  it('reports a change of kind (object, array, scalar, null) whole', () => {
    expect(lines({ c: null, d: [1], e: { x: 1 } }, { c: { metric: 'm' }, d: { 0: 1 }, e: 'x' })).toEqual([
      'c: null → {"metric":"m"}',
      'd: [1] → {"0":1}',
      'e: {"x":1} → "x"',
    ]);
  });

  it('cuts long values and long lists of differences', () => {
    const long = 'x'.repeat(200);
    const [line] = lines({ a: long }, { a: 'y' });
    expect(line).toMatch(/^a: "x+… → "y"$/);
    expect(line?.length).toBeLessThan(100);
    const before = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`k${i}`, i]));
    const out = formatDifferences(jsonDifferences(before, {}), 20);
    expect(out).toHaveLength(21);
    expect(out.at(-1)).toBe('… and 5 more');
  });

  it('says (root) when the documents themselves differ', () => {
    expect(lines(1, 2)).toEqual(['(root): 1 → 2']);
  });
});
