// `tierline reviews list [--json]`, `reviews approve ID [--on D] --by NAME [--reason TEXT]`,
// `reviews reject ID [--on D] --by NAME --reason TEXT` (SPEC §9): demotion reviews, decided by
// a person, audited, applied by the timeline from the next recompute.
import type { Command } from 'commander';
import { formatDay } from '../../domain/dates.ts';
import * as reviews from '../../services/reviews.ts';
import { today } from '../../workers/clock.ts';
import { refusalsAsCliErrors } from '../lib/errors.ts';
import { reportMissingOptionsTogether } from '../lib/required-options.ts';
import { openDatabase } from '../lib/services.ts';
import { wakeRecompute } from '../lib/wake.ts';

interface DecideOptions {
  on?: string;
  by: string;
  reason?: string;
}

const PAST = { approve: 'approved', reject: 'rejected' } as const;

export async function decide(
  decision: 'approve' | 'reject',
  partnerId: string,
  options: DecideOptions,
  out: (line: string) => void = console.log,
): Promise<void> {
  const request = { partnerId, decision, ...options };
  await refusalsAsCliErrors(async () => reviews.checkReviewRequest(request));
  const db = await openDatabase();
  try {
    const d = await refusalsAsCliErrors(() => reviews.decideReview(db, request, { today }));
    const why = d.reason === null ? '' : ` (${d.reason})`;
    if (!d.created) {
      out(
        `the demotion review of ${partnerId} was already ${PAST[d.decision]} on ${d.on} by ${d.by}${why}; nothing stored`,
      );
      return;
    }
    const effect =
      decision === 'approve'
        ? `${d.fromTier} → ${d.toTier ?? 'none'} from ${d.on}`
        : `stays ${d.fromTier}; a new grace period starts on ${d.on}`;
    out(`review ${PAST[decision]}: ${partnerId} ${effect} (by ${d.by}${why})`);
    await wakeRecompute(db, partnerId, out);
  } finally {
    await db.destroy();
  }
}

export async function listReviews(options: { json?: boolean }, out: (line: string) => void = console.log) {
  const db = await openDatabase();
  try {
    const pending = await refusalsAsCliErrors(() => reviews.pendingReviews(db));
    for (const r of pending) {
      const row = {
        partnerId: r.partnerId,
        fromTier: r.fromTier,
        toTier: r.toTier,
        since: formatDay(r.since),
        autoApprovesOn: formatDay(r.autoApprovesOn),
      };
      out(
        options.json
          ? JSON.stringify(row)
          : `${row.partnerId} ${row.fromTier} → ${row.toTier} since ${row.since}, auto-approves on ${row.autoApprovesOn}`,
      );
    }
    if (pending.length === 0 && !options.json) out('no pending demotion reviews');
  } finally {
    await db.destroy();
  }
}

export function registerReviews(program: Command): void {
  const cmd = program
    .command('reviews')
    .description('demotion reviews: approve or reject a pending demotion (audited)');
  cmd
    .command('list')
    .description('the pending reviews: partner, fromTier, toTier, since, auto-approval day')
    .option('--json', 'JSON Lines')
    .action(async (o: { json?: boolean }) => listReviews(o));
  const approve = cmd
    .command('approve')
    .description('let the pending demotion take effect on the decision day')
    .argument('<partnerId>')
    .option('--on <date>', 'the decision day (default today)')
    .requiredOption('--by <name>', 'who decides')
    .option('--reason <text>', 'why')
    .action(async (id: string, o: DecideOptions) => decide('approve', id, o));
  reportMissingOptionsTogether(approve);
  const reject = cmd
    .command('reject')
    .description('keep the tier; the partner gets a full grace period again from the decision day')
    .argument('<partnerId>')
    .option('--on <date>', 'the decision day (default today)')
    .requiredOption('--by <name>', 'who decides')
    .requiredOption('--reason <text>', 'why')
    .action(async (id: string, o: DecideOptions) => decide('reject', id, o));
  reportMissingOptionsTogether(reject);
}
