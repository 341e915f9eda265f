// Payout rows (docs/finance.md): written set-based by ingest like deals (the highest version
// wins, equal versions going to the later arrival), read per partner and period by the
// finance report.
import { sql, type Kysely } from 'kysely';
import type { EventOf } from '../../domain/events/schema.ts';
import type { DB } from '../types.ts';

type Payout = EventOf<'payout.recorded'>;

/** The stored version of each payout, locked until the transaction ends. */
export async function lockPayouts(db: Kysely<DB>, events: readonly Payout[]) {
  if (events.length === 0) return [];
  return db
    .selectFrom('payouts')
    .select(['partner_id', 'payout_id', 'version'])
    .where((eb) =>
      eb(
        eb.refTuple('partner_id', 'payout_id'),
        'in',
        events.map((e) => eb.tuple(e.partnerId, e.data.payoutId)),
      ),
    )
    .orderBy('partner_id')
    .orderBy('payout_id')
    .forUpdate()
    .execute();
}

/** Upserts payouts unless a higher version is stored; returns the (partner id, payout id) pairs written. */
export async function upsertPayouts(db: Kysely<DB>, events: readonly Payout[]) {
  if (events.length === 0) return [];
  return db
    .insertInto('payouts')
    .values(
      events.map((e) => ({
        partner_id: e.partnerId,
        payout_id: e.data.payoutId,
        version: e.data.version,
        benefit: e.data.benefit,
        amount: e.data.amount,
        currency: e.data.currency,
        fx_rate: e.data.fxRate ?? null,
        paid_at: e.data.paidAt,
        period: e.data.period,
        source: e.source,
        event_id: e.id,
      })),
    )
    .onConflict((oc) =>
      oc
        .columns(['partner_id', 'payout_id'])
        .doUpdateSet((eb) => ({
          version: eb.ref('excluded.version'),
          benefit: eb.ref('excluded.benefit'),
          amount: eb.ref('excluded.amount'),
          currency: eb.ref('excluded.currency'),
          fx_rate: eb.ref('excluded.fx_rate'),
          paid_at: eb.ref('excluded.paid_at'),
          period: eb.ref('excluded.period'),
          source: eb.ref('excluded.source'),
          event_id: eb.ref('excluded.event_id'),
          received_seq: sql<string>`nextval('event_received_seq')`,
          updated_at: sql<Date>`now()`,
        }))
        .where('excluded.version', '>=', (eb) => eb.ref('payouts.version')),
    )
    .returning(['partner_id', 'payout_id'])
    .execute();
}

/** The payouts of these partners for one period string. */
export async function payoutsOfPeriod(db: Kysely<DB>, partnerIds: readonly string[], period: string) {
  if (partnerIds.length === 0) return [];
  return db
    .selectFrom('payouts')
    .select([
      'partner_id',
      'payout_id',
      'version',
      'benefit',
      'amount',
      'currency',
      'fx_rate',
      'paid_at',
      'period',
      'event_id',
    ])
    .where('partner_id', 'in', [...partnerIds])
    .where('period', '=', period)
    .orderBy('partner_id')
    .orderBy('payout_id')
    .execute();
}

/** Partners with a payout for `period`, after `after` in id order, `limit` at a time. */
export async function payoutPartnersAfter(db: Kysely<DB>, period: string, after: string | null, limit: number) {
  let query = db.selectFrom('payouts').select('partner_id').distinct().where('period', '=', period);
  if (after !== null) query = query.where('partner_id', '>', after);
  const rows = await query.orderBy('partner_id').limit(limit).execute();
  return rows.map((r) => r.partner_id);
}
