// Shared helpers for the example tests: run the real CLI as a child process and compare
// its JSON Lines against scorecards computed by hand from SPEC.md (see each test file).
import { spawnSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { repoRoot } from '../setup/paths.ts';

export interface Unmet {
  path: string;
  metric: string;
  actual: string;
  required: string;
  shortBy: string;
}

export interface Scorecard {
  partnerId: string;
  asOf: string;
  program: { id: string; version: string };
  track: string | null;
  qualifiedTier: string | null;
  effectiveTier: string | null;
  status: string;
  graceEndsOn: string | null;
  metrics: Record<string, string> | null;
  next: { tier: string; unmet: Unmet[] } | null;
  risks: { kind: string; on: string; detail: string }[] | null;
  benefits: Record<string, string> | null;
  ledger: Record<string, string> | null;
}

/** The hand-computed part of a scorecard (risk `detail` is free text and not compared). */
export interface Expected {
  track: string;
  qualifiedTier: string;
  effectiveTier: string;
  status: 'qualified' | 'grace' | 'hold' | 'review' | 'override';
  graceEndsOn: string | null;
  metrics: Record<string, string>;
  next: { tier: string; unmet: Unmet[] } | null;
  risks: { kind: string; on: string }[];
  benefits: Record<string, string>;
  ledger: { commission: string; mdf: string; rebate: string };
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
  cards: Scorecard[];
}

export function evaluate(args: string[]): CliRun {
  const r = spawnSync(process.execPath, ['bin/tierline.js', 'evaluate', ...args], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const stdout = r.stdout ?? '';
  const cards = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Scorecard);
  return { status: r.status, stdout, stderr: r.stderr ?? '', cards };
}

const byPath = (a: Unmet, b: Unmet) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
const byKindThenDay = (a: { kind: string; on: string }, b: { kind: string; on: string }) =>
  a.kind === b.kind ? (a.on < b.on ? -1 : 1) : a.kind < b.kind ? -1 : 1;

/**
 * One `it` per scorecard field so a disagreement names the partner and the field.
 * `get` is called at test time (the CLI runs in beforeAll).
 */
export function scorecardTests(
  partnerId: string,
  expected: Expected,
  get: () => Scorecard | undefined,
  program: { id: string; version: string },
  asOf: string,
): void {
  const card = (): Scorecard => {
    const c = get();
    expect(c, `no scorecard printed for ${partnerId}`).toBeDefined();
    return c as Scorecard;
  };
  it('asOf and program (the as-of day version)', () => {
    expect(card().asOf).toBe(asOf);
    expect(card().program).toEqual(program);
  });
  it('track', () => expect(card().track).toBe(expected.track));
  it('qualifiedTier', () => expect(card().qualifiedTier).toBe(expected.qualifiedTier));
  it('effectiveTier', () => expect(card().effectiveTier).toBe(expected.effectiveTier));
  it('status', () => expect(card().status).toBe(expected.status));
  it('graceEndsOn', () => expect(card().graceEndsOn).toBe(expected.graceEndsOn));
  it('metrics', () => expect(card().metrics).toEqual(expected.metrics));
  it('next', () => {
    const n = card().next;
    if (expected.next === null) {
      expect(n).toBeNull();
      return;
    }
    expect(n).not.toBeNull();
    expect(n?.tier).toBe(expected.next.tier);
    expect([...(n?.unmet ?? [])].sort(byPath)).toEqual([...expected.next.unmet].sort(byPath));
  });
  it('risks (kind and day; detail is free text)', () => {
    const rs = (card().risks ?? []).map((r) => ({ kind: r.kind, on: r.on })).sort(byKindThenDay);
    expect(rs).toEqual([...expected.risks].sort(byKindThenDay));
    for (const r of card().risks ?? []) expect(typeof r.detail).toBe('string');
  });
  it('benefits (the effective tier of the as-of day, as written in the program)', () =>
    expect(card().benefits).toEqual(expected.benefits));
  it('ledger totals', () => expect(card().ledger).toEqual(expected.ledger));
}

/** A partner with status "none": no track, no tier, nothing accrued. */
export function noTrackTests(partnerId: string, get: () => Scorecard | undefined): void {
  const card = (): Scorecard => {
    const c = get();
    expect(c, `no scorecard printed for ${partnerId}`).toBeDefined();
    return c as Scorecard;
  };
  it('status none with null track and tiers', () => {
    const c = card();
    expect(c.status).toBe('none');
    expect(c.track).toBeNull();
    expect(c.qualifiedTier).toBeNull();
    expect(c.effectiveTier).toBeNull();
    expect(c.graceEndsOn).toBeNull();
  });
  it('no next tier and no risks', () => {
    expect(card().next).toBeNull();
    expect(card().risks ?? []).toEqual([]);
  });
  it('a zero ledger (every total present is 0)', () => {
    const ledger = card().ledger ?? {};
    for (const [k, v] of Object.entries(ledger)) {
      expect(['commission', 'mdf', 'rebate']).toContain(k);
      expect(v).toMatch(/^0(\.0+)?$/);
    }
  });
}
