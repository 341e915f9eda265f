// A tier change is recorded as a decision once per timeline (docs/notifications.md#decisions-and-keys):
// a recompute records a change unless the latest decision recorded for the partner on that day
// is the same change (from, to). The effective tier changes at most once a day, so the day's
// latest record is what the stored timeline said last: a change undone by a correction and
// then restored (gold, corrected to silver, the correction undone) is recorded again, after
// the silver one, instead of being taken for the first gold record.
import { formatDay } from '../dates.ts';
import type { TierChange } from './timeline.ts';

/** A decision already stored for the partner. */
export interface RecordedChange {
  day: string;
  previousTier: string | null;
  newTier: string | null;
}

const same = (d: RecordedChange, c: TierChange): boolean => d.previousTier === c.from && d.newTier === c.to;

/** The changes of one partner not recorded yet, in their order; `recorded` in the order it was recorded. */
export function unrecordedChanges(changes: readonly TierChange[], recorded: readonly RecordedChange[]): TierChange[] {
  if (changes.length === 0) return [];
  const latest = new Map<string, RecordedChange>();
  for (const d of recorded) latest.set(d.day, d);
  return changes.filter((c) => {
    const last = latest.get(formatDay(c.day));
    return last === undefined || !same(last, c);
  });
}
