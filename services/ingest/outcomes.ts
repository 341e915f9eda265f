// What became of each received event, and the tally a job or a file run reports.
export type Outcome = 'accepted' | 'duplicate' | 'stale' | 'conflict' | 'dead-lettered';

export type OutcomeCounts = Record<Outcome, number>;

export const noOutcomes = (): OutcomeCounts => ({
  accepted: 0,
  duplicate: 0,
  stale: 0,
  conflict: 0,
  'dead-lettered': 0,
});

export function countOutcomes(outcomes: readonly Outcome[]): OutcomeCounts {
  const counts = noOutcomes();
  for (const o of outcomes) counts[o]++;
  return counts;
}

export function addOutcomes(into: OutcomeCounts, more: Partial<OutcomeCounts>): void {
  for (const key of Object.keys(into) as (keyof OutcomeCounts)[]) into[key] += more[key] ?? 0;
}
