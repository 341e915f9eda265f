// The re-check of a settled notification before it is sent (docs/notifications.md#settle-and-withdraw):
// the partner's current history and scorecard, read in one snapshot (a recompute writes both
// in one transaction), judged by the pure domain/alerts-recheck.ts.
import type { Kysely } from 'kysely';
import { storedScorecard } from '../../db/repositories/reads.ts';
import { currentHistory } from '../../db/repositories/recompute.ts';
import type { DB } from '../../db/types.ts';
import { recheckNotification, type NotificationClaim, type Recheck } from '../../domain/alerts-recheck.ts';
import type { Scorecard } from '../../domain/evaluation/scorecard.ts';

/**
 * Whether the notification is still true of the partner's stored state. A resend (the
 * operator asked for it) and a partner with no stored scorecard (a row not written by a
 * recompute) are not re-checked.
 */
export async function recheckStoredState(
  db: Kysely<DB>,
  partnerId: string,
  claim: NotificationClaim & { payload: { resendOf?: unknown } },
  nearPromotionWithin: string,
): Promise<Recheck> {
  if (claim.payload.resendOf !== undefined) return { stands: true };
  const state = await db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      const scorecard = await storedScorecard(trx, partnerId);
      return { scorecard, history: await currentHistory(trx, [partnerId]) };
    });
  if (state.scorecard === undefined) return { stands: true };
  return recheckNotification(
    claim,
    {
      scorecard: state.scorecard as Scorecard,
      history: state.history.map((r) => ({ from: r.valid_from, to: r.valid_to, tierId: r.tier_id, status: r.status })),
    },
    nearPromotionWithin,
  );
}
