// Wake-ups gathered from the jobs running side by side, recomputed together: one batch per
// (day, onlyIfOwed), and a batch that fails is tried again partner by partner, so one
// partner whose recompute cannot succeed fails only its own wake-up.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { dayOrThrow } from '../../domain/dates.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import { recomputeEach } from './partners.ts';
import { emptySummary, mergeSummaries, type RecomputeSummary } from './summary.ts';

export interface Wake {
  partnerId: string;
  asOf: string;
  onlyIfOwed: boolean;
}

export type Outcome = { ok: true; summary: RecomputeSummary } | { ok: false; error: unknown };

/** The outcome of each wake-up, in order. */
export async function recomputeWakes(
  db: Kysely<DB>,
  program: ProgramSet,
  wakes: readonly Wake[],
  options: { afterCommit?: () => void } = {},
): Promise<Outcome[]> {
  const results = new Map<string, Outcome>();
  const groups = new Map<string, Wake[]>();
  for (const w of wakes) {
    const key = `${w.asOf}|${w.onlyIfOwed}`;
    groups.set(key, [...(groups.get(key) ?? []), w]);
  }
  for (const [key, group] of groups) {
    const first = group[0] as Wake;
    const ids = [...new Set(group.map((w) => w.partnerId))];
    /** Records each partner's outcome; false when the batch failed. */
    const attempt = async (partnerIds: string[]): Promise<boolean> => {
      try {
        const done = await recomputeEach(db, program, partnerIds, dayOrThrow(first.asOf), {
          onlyIfOwed: first.onlyIfOwed,
          ...options,
        });
        for (const [id, summary] of done) results.set(`${key}|${id}`, { ok: true, summary });
        return true;
      } catch (error) {
        for (const id of partnerIds) results.set(`${key}|${id}`, { ok: false, error });
        return false;
      }
    };
    if (!(await attempt(ids)) && ids.length > 1) for (const id of ids) await attempt([id]);
  }
  // The first wake-up of a partner answers for its recompute; the others (and a skipped one) for nothing.
  const answered = new Set<string>();
  return wakes.map((w) => {
    const key = `${w.asOf}|${w.onlyIfOwed}|${w.partnerId}`;
    const outcome = results.get(key);
    if (outcome && !outcome.ok) return outcome;
    if (!outcome || answered.has(key)) return { ok: true, summary: emptySummary() };
    answered.add(key);
    return outcome;
  });
}

/** The sum of the outcomes; throws the first failure's error. */
export function sumOutcomes(outcomes: readonly Outcome[]): RecomputeSummary {
  const failed = outcomes.find((o) => !o.ok);
  if (failed && !failed.ok) throw failed.error;
  return outcomes.reduce((sum, o) => (o.ok ? mergeSummaries(sum, o.summary) : sum), emptySummary());
}
