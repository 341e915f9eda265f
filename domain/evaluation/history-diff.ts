// The effective-tier history is superseded, never rewritten: a recompute keeps the stored
// runs up to the first one that differs from the evaluation, supersedes the rest and
// appends the evaluation's runs from there.
import { formatDay } from '../dates.ts';
import type { HistorySegment } from './scorecard.ts';

/** One stored run of the effective tier, as the history table holds it. */
export interface HistoryRun {
  validFrom: string;
  /** Exclusive end; null for the run still in force. */
  validTo: string | null;
  tierId: string | null;
  status: HistorySegment['status'];
  programVersion: string | null;
}

/** The evaluation's segments as stored runs: each ends the day after its last day, the last one is open. */
export function historyRuns(segments: readonly HistorySegment[]): HistoryRun[] {
  return segments.map((s, i) => ({
    validFrom: formatDay(s.from),
    validTo: i === segments.length - 1 ? null : formatDay(s.to + 1),
    tierId: s.tierId,
    status: s.status,
    programVersion: s.programVersion,
  }));
}

const sameRun = (a: HistoryRun, b: HistoryRun): boolean =>
  a.validFrom === b.validFrom &&
  a.validTo === b.validTo &&
  a.tierId === b.tierId &&
  a.status === b.status &&
  a.programVersion === b.programVersion;

export interface HistoryDiff<S> {
  /** Stored runs to supersede, in stored order. */
  superseded: S[];
  /** Runs to append, in order. */
  added: HistoryRun[];
}

/** `stored` in valid_from order (the runs not yet superseded); `wanted` the evaluation's runs. */
export function diffHistory<S extends HistoryRun>(stored: readonly S[], wanted: readonly HistoryRun[]): HistoryDiff<S> {
  let same = 0;
  while (same < wanted.length && same < stored.length && sameRun(wanted[same] as HistoryRun, stored[same] as S)) same++;
  return { superseded: stored.slice(same), added: wanted.slice(same) };
}
