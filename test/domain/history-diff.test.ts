// domain/evaluation/history-diff.ts and decisions-diff.ts: what a recompute supersedes and
// appends in the effective-tier history, and which tier changes it records.
import { describe, expect, it } from 'vitest';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import { unrecordedChanges, type RecordedChange } from '../../domain/evaluation/decisions-diff.ts';
import { diffHistory, historyRuns, type HistoryRun } from '../../domain/evaluation/history-diff.ts';
import type { HistorySegment } from '../../domain/evaluation/scorecard.ts';
import type { TierChange } from '../../domain/evaluation/timeline.ts';

const seg = (from: string, to: string, tierId: string | null, status: HistorySegment['status'] = 'qualified') => ({
  from: dayOrThrow(from),
  to: dayOrThrow(to),
  tierId,
  status,
  programVersion: 'v1',
});

const run = (validFrom: string, validTo: string | null, tierId: string | null, extra: Partial<HistoryRun> = {}) => ({
  validFrom,
  validTo,
  tierId,
  status: 'qualified' as const,
  programVersion: 'v1',
  ...extra,
});

describe('historyRuns', () => {
  it('ends each run the day after its last day; the last run stays open', () => {
    expect(
      historyRuns([seg('2026-01-01', '2026-02-28', null, 'none'), seg('2026-03-01', '2026-11-23', 'gold')]),
    ).toEqual([run('2026-01-01', '2026-03-01', null, { status: 'none' }), run('2026-03-01', null, 'gold')]);
  });

  it('no segments, no runs', () => {
    expect(historyRuns([])).toEqual([]);
  });
});

describe('diffHistory', () => {
  const a = run('2026-01-01', '2026-03-01', null);
  const b = run('2026-03-01', null, 'gold');
  const bClosed = run('2026-03-01', '2026-06-01', 'gold');
  const c = run('2026-06-01', null, 'silver');
  const stored = (runs: HistoryRun[]) => runs.map((r, i) => ({ ...r, id: String(i + 1) }));

  it.each([
    { name: 'nothing stored: append all', have: [], want: [a, b], superseded: [], added: [a, b] },
    { name: 'the same runs: nothing to do', have: [a, b], want: [a, b], superseded: [], added: [] },
    {
      name: 'a run closed and a new one: supersede from the first difference',
      have: [a, b],
      want: [a, bClosed, c],
      superseded: ['2'],
      added: [bClosed, c],
    },
    {
      name: 'a first run that differs supersedes everything',
      have: [b],
      want: [a, b],
      superseded: ['1'],
      added: [a, b],
    },
    {
      name: 'fewer runs wanted: supersede the extra ones',
      have: [a, bClosed, c],
      want: [a],
      superseded: ['2', '3'],
      added: [],
    },
    {
      name: 'another program version is a difference',
      have: [a, b],
      want: [a, { ...b, programVersion: 'v2' }],
      superseded: ['2'],
      added: [{ ...b, programVersion: 'v2' }],
    },
    {
      name: 'another status is a difference',
      have: [a, b],
      want: [a, { ...b, status: 'grace' as const }],
      superseded: ['2'],
      added: [{ ...b, status: 'grace' as const }],
    },
  ])('$name', ({ have, want, superseded, added }) => {
    const diff = diffHistory(stored(have), want);
    expect(diff.superseded.map((r) => r.id)).toEqual(superseded);
    expect(diff.added).toEqual(added);
  });
});

describe('unrecordedChanges', () => {
  const change = (day: string, from: string | null, to: string | null): TierChange => ({
    day: dayOrThrow(day),
    from,
    to,
    qualified: to,
    kind: 'promoted',
    versionIndex: 0,
  });
  const recorded = (day: string, previousTier: string | null, newTier: string | null): RecordedChange => ({
    day,
    previousTier,
    newTier,
  });

  it.each([
    {
      name: 'nothing recorded: every change',
      changes: [change('2026-03-01', null, 'gold')],
      have: [],
      fresh: ['2026-03-01'],
    },
    {
      name: 'the same (day, from, to) recorded: none',
      changes: [change('2026-03-01', null, 'gold')],
      have: [recorded('2026-03-01', null, 'gold')],
      fresh: [],
    },
    {
      name: 'another day: new',
      changes: [change('2026-03-02', null, 'gold')],
      have: [recorded('2026-03-01', null, 'gold')],
      fresh: ['2026-03-02'],
    },
    {
      name: 'another tier the same day: new',
      changes: [change('2026-03-01', null, 'silver')],
      have: [recorded('2026-03-01', null, 'gold')],
      fresh: ['2026-03-01'],
    },
    {
      name: 'in order, recorded ones left out',
      changes: [
        change('2026-01-01', null, 'gold'),
        change('2026-02-01', 'gold', 'silver'),
        change('2026-03-01', 'silver', 'gold'),
      ],
      have: [recorded('2026-02-01', 'gold', 'silver')],
      fresh: ['2026-01-01', '2026-03-01'],
    },
    { name: 'no changes', changes: [], have: [recorded('2026-02-01', 'gold', 'silver')], fresh: [] },
    {
      // Gold on 1 March, corrected to Silver, then the correction undone: the restored
      // timeline gets its own record, after the Silver one.
      name: 'a restored change: recorded again when the day’s latest record is another change',
      changes: [change('2026-03-01', 'registered', 'gold')],
      have: [recorded('2026-03-01', 'registered', 'gold'), recorded('2026-03-01', 'registered', 'silver')],
      fresh: ['2026-03-01'],
    },
    {
      name: 'the day’s latest record is this change: none',
      changes: [change('2026-03-01', 'registered', 'gold')],
      have: [recorded('2026-03-01', 'registered', 'silver'), recorded('2026-03-01', 'registered', 'gold')],
      fresh: [],
    },
  ])('$name', ({ changes, have, fresh }) => {
    expect(unrecordedChanges(changes, have).map((c) => formatDay(c.day))).toEqual(fresh);
  });
});
