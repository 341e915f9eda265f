// A tier change is recorded as a decision once: a recompute that finds the same change
// (day, from, to) already recorded for the partner does not record it again.
import { formatDay } from '../dates.ts';
import type { TierChange } from './timeline.ts';

/** A decision already stored for the partner. */
export interface RecordedChange {
  day: string;
  previousTier: string | null;
  newTier: string | null;
}

const key = (day: string, from: string | null, to: string | null): string => `${day}|${from}|${to}`;

/** The changes of one partner not recorded yet, in their order. */
export function unrecordedChanges(changes: readonly TierChange[], recorded: readonly RecordedChange[]): TierChange[] {
  if (changes.length === 0) return [];
  const seen = new Set(recorded.map((d) => key(d.day, d.previousTier, d.newTier)));
  return changes.filter((c) => !seen.has(key(formatDay(c.day), c.from, c.to)));
}
