// Shared by the console's reviews, finance and what-if tests (issues 16 and 19 on the web
// pages): examples/review-style (reviews of opened on 2026-11-13, auto-approve
// on 2026-11-27), today 2026-11-18, with payouts for 2025-Q4 (one over, one under the ledger).
import { readFileSync } from 'node:fs';
import { dayOrThrow } from '../../domain/dates.ts';
import { jobKey, QUEUES } from '../../queues/catalog.ts';
import { waitForJobs } from '../../queues/wait.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import type { Pipeline } from '../setup/pipeline.ts';
import { putFacts } from '../recompute/support.ts';

export const REVIEW_PROGRAM = 'examples/review-style/program.json';
export const REVIEW_TODAY = '2026-11-18';
export const REVIEW_IDS = ['R-1', 'R-2', 'R-3', 'R-4', 'R-5'];
export const PERIOD = '2025-Q4';

const payout = (partnerId: string, payoutId: string, benefit: string, amount: string) => ({
  id: `pay-${partnerId}-${payoutId}`,
  source: 'erp',
  type: 'payout.recorded',
  occurredAt: '2026-01-10T09:00:00Z',
  partnerId,
  data: { payoutId, benefit, amount, currency: 'USD', paidAt: '2026-01-10', period: PERIOD, version: 1 },
});

export async function seedReviews(pipeline: Pipeline): Promise<void> {
  const events = readFileSync('examples/review-style/events.jsonl', 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  await putFacts(pipeline, [
    ...events,
    payout('R-1', 'PC-1', 'commission', '9000.00'),
    payout('R-2', 'PC-2', 'commission', '100.00'),
  ]);
  await recomputePartners(pipeline.database.db, pipeline.program, REVIEW_IDS, dayOrThrow(REVIEW_TODAY));
}

/** The review-style program as a draft with silver out of reach: every silver partner moves down. */
export function harderDraft(): string {
  const program = JSON.parse(readFileSync(REVIEW_PROGRAM, 'utf8')) as {
    version: string;
    tracks: Array<{ tiers: Array<{ id: string; criteria: { atLeast: string } | null }> }>;
  };
  program.version = '2026.2-draft';
  for (const tier of program.tracks[0]?.tiers ?? []) if (tier.criteria) tier.criteria.atLeast = '900000000';
  return JSON.stringify(program, null, 2);
}

/** Waits for the console-report job of run `id` (QueueEvents, not a sleep); throws if it failed. */
export async function reportFinished(pipeline: Pipeline, id: string): Promise<void> {
  const waiter = await waitForJobs(pipeline);
  try {
    await waiter.until([{ queue: QUEUES.recompute, id: jobKey('report', id) }]);
  } finally {
    await waiter.close();
  }
}

/** The run id in a 303's location (/console/…/runs/ID). */
export function runIdOf(location: string | string[] | number | undefined): string {
  const id = /\/runs\/([A-Za-z0-9_-]+)$/.exec(String(location))?.[1];
  if (id === undefined) throw new Error(`no run in location ${String(location)}`);
  return id;
}
