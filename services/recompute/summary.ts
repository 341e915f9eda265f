// What a recompute changed, per partner or summed over a run.
import type { TierChange } from '../../domain/evaluation/timeline.ts';

export interface RecomputeSummary {
  partners: number;
  changes: Record<TierChange['kind'], number>;
  ledgerEntries: number;
  decisions: number;
  notifications: number;
  /** Notifications recorded as skipped (the change is older than alerts.notifyChangesWithinDays). */
  notificationsSkipped: number;
}

export function emptySummary(): RecomputeSummary {
  return {
    partners: 0,
    changes: { promoted: 0, demoted: 0, override: 0, restarted: 0, track: 0 },
    ledgerEntries: 0,
    decisions: 0,
    notifications: 0,
    notificationsSkipped: 0,
  };
}

export function mergeSummaries(into: RecomputeSummary, more: RecomputeSummary): RecomputeSummary {
  into.partners += more.partners;
  into.ledgerEntries += more.ledgerEntries;
  into.decisions += more.decisions;
  into.notifications += more.notifications ?? 0;
  into.notificationsSkipped += more.notificationsSkipped ?? 0;
  for (const k of Object.keys(into.changes) as TierChange['kind'][]) into.changes[k] += more.changes[k];
  return into;
}
