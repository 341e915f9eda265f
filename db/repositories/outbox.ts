// The outbox's statements. A row moves pending → claimed → sent | failed | skipped | withdrawn, or back
// to pending with a next_attempt_at after a transient failure. Every write after the claim
// is fenced on the claim (status 'claimed' and the claimed_at the notifier holds): a
// notifier presumed dead that wakes up again cannot overwrite the work of the one that
// re-claimed its row. Each fenced write also renews the claim (the lease).
import { sql, type ExpressionBuilder, type Insertable, type Kysely } from 'kysely';
import type { DB, Delivery, OutboxStatus, OutboxTable } from '../types.ts';

/** One statement may bind at most 65,535 parameters: multi-row inserts go in slices. */
const ROWS_PER_INSERT = 5_000;

const MS_NOW = sql<Date>`date_trunc('milliseconds', now())`;
const seconds = (ms: number): number => ms / 1000;

/**
 * Inserts outbox rows, skipping a dedup_key already there, except a withdrawn row asked for
 * again with status pending (its change was restored): that one is pending again, settling
 * from now. Returns the partner and status of each row inserted or revived.
 */
export async function insertOutbox(
  db: Kysely<DB>,
  rows: readonly Insertable<OutboxTable>[],
): Promise<{ partner_id: string; status: OutboxStatus }[]> {
  const inserted: { partner_id: string; status: OutboxStatus }[] = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    const done = await db
      .insertInto('outbox')
      .values(rows.slice(i, i + ROWS_PER_INSERT))
      .onConflict((oc) =>
        oc
          .column('dedup_key')
          .doUpdateSet({
            status: 'pending',
            skip_reason: null,
            payload: sql`excluded.payload`,
            created_at: sql<Date>`now()`,
            claimed_at: null,
            next_attempt_at: null,
            // A revived row belongs to the day it is asked for again, and to no digest yet.
            digest_day: sql`excluded.digest_day`,
            digest_id: null,
          })
          .where('outbox.status', '=', 'withdrawn')
          .where(sql<string>`excluded.status`, '=', 'pending'),
      )
      .returning(['partner_id', 'status'])
      .execute();
    inserted.push(...done);
  }
  return inserted;
}

/** When a row's re-check may happen: what makes a pending outbox row "settled". */
export interface Settle {
  /** How long a row waits after it was written (by Postgres' clock). */
  seconds: number;
  /**
   * When the oldest ingest job not yet finished was queued (queues/backlog.ts), if any: a
   * row is settled only if it settled before that, so no event accepted before it settled
   * is still on its way.
   */
  backlogSince?: Date | undefined;
}

/**
 * A pending row has settled: written `settle.seconds` ago, no accepted event queued since
 * before then is still unprocessed, and its partner owes no recompute (its state is about to
 * change, so the re-check before sending would look at a stale state).
 */
function owesNoRecompute(eb: ExpressionBuilder<DB, 'outbox'>) {
  return eb.not(
    eb.exists(
      eb
        .selectFrom('recompute_requests')
        .select(sql`1`.as('owed'))
        .whereRef('recompute_requests.partner_id', '=', 'outbox.partner_id'),
    ),
  );
}

export function settledRow(eb: ExpressionBuilder<DB, 'outbox'>, settle: Settle) {
  const settledAt = sql<Date>`outbox.created_at + make_interval(secs => ${settle.seconds})`;
  return eb.and([
    eb(settledAt, '<=', sql<Date>`now()`),
    ...(settle.backlogSince === undefined ? [] : [eb(settledAt, '<', settle.backlogSince)]),
    owesNoRecompute(eb),
  ]);
}

/**
 * Owed rows in id order, locked (SKIP LOCKED, so several notifiers claim side by side):
 * pending ones that are due (settled, see settledRow; a resend is due at once, while its
 * partner owes no recompute), and claimed ones whose claim is older than `claimTimeoutMs`.
 */
export async function owedRows(
  db: Kysely<DB>,
  limit: number,
  claimTimeoutMs: number,
  settle: Settle = { seconds: 0 },
  digestDaily = false,
) {
  let query = db
    .selectFrom('outbox')
    .select(['id', 'partner_id', 'quota_day'])
    .where('status', 'in', ['pending', 'claimed'])
    // A row carried by a digest is the digest's (db/repositories/digests.ts); under
    // alerts.digest "daily" a row with a digest day waits for its day's digest.
    .where('digest_id', 'is', null);
  if (digestDaily) query = query.where('digest_day', 'is', null);
  return query
    .where((eb) =>
      eb.or([
        eb.and([
          eb('status', '=', 'pending'),
          eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', sql<Date>`now()`)]),
          eb.or([settledRow(eb, settle), eb.and([eb(sql`payload->>'resendOf'`, 'is not', null), owesNoRecompute(eb)])]),
        ]),
        eb.and([
          eb('status', '=', 'claimed'),
          eb('claimed_at', '<', sql<Date>`now() - make_interval(secs => ${seconds(claimTimeoutMs)})`),
        ]),
      ]),
    )
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
}

/** Serialises charging this partner's daily cap across notifiers, for the transaction's length. */
export async function lockPartnerCap(db: Kysely<DB>, partnerId: string): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtextextended(${`tierline-notifier-cap:${partnerId}`}, 0))`.execute(db);
}

/** Per partner, the rows charged to `day` that are pending, claimed or sent. */
export async function chargedOn(db: Kysely<DB>, partnerIds: readonly string[], day: string) {
  const used = new Map<string, number>();
  if (partnerIds.length === 0) return used;
  const rows = await db
    .selectFrom('outbox')
    .select(['partner_id', sql<string>`count(*)`.as('n')])
    .where('partner_id', 'in', [...partnerIds])
    .where('quota_day', '=', day)
    .where('status', 'in', ['pending', 'claimed', 'sent'])
    .groupBy('partner_id')
    .execute();
  for (const r of rows) used.set(r.partner_id, Number(r.n));
  return used;
}

/** Leaves these rows pending, due again in `delayMs`. */
export async function deferRows(db: Kysely<DB>, ids: readonly string[], delayMs: number): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('outbox')
    .set({ next_attempt_at: sql<Date>`now() + make_interval(secs => ${seconds(delayMs)})` })
    .where('id', 'in', [...ids])
    .execute();
}

/** Claims these rows, charging a row claimed for the first time to `day`. */
export async function claimByIds(db: Kysely<DB>, ids: readonly string[], day: string) {
  return db
    .updateTable('outbox')
    .set({
      status: 'claimed',
      claimed_at: MS_NOW,
      attempts: sql<number>`attempts + 1`,
      quota_day: sql<string>`coalesce(quota_day, ${day}::date)`,
      next_attempt_at: null,
    })
    .where('id', 'in', [...ids])
    .returning(['id', 'dedup_key', 'kind', 'partner_id', 'payload', 'attempts', 'deliveries', 'claimed_at'])
    .execute();
}

/** The lease after a fenced write, or undefined when the claim was lost (another notifier re-claimed the row). */
export type Lease = Date | undefined;

/** Records one recipient's delivery state and renews the claim. */
export async function writeDelivery(
  db: Kysely<DB>,
  row: { id: string },
  lease: Date,
  email: string,
  delivery: Delivery,
): Promise<Lease> {
  const updated = await db
    .updateTable('outbox')
    .set({
      deliveries: sql`deliveries || jsonb_build_object(${email}::text, ${JSON.stringify(delivery)}::jsonb)`,
      claimed_at: MS_NOW,
    })
    .where('id', '=', row.id)
    .where('status', '=', 'claimed')
    .where('claimed_at', '=', lease)
    .returning('claimed_at')
    .executeTakeFirst();
  return updated?.claimed_at ?? undefined;
}

export type Finish =
  | { status: 'sent'; messageIds: string[]; lastError: string | null }
  | { status: 'failed'; error: string }
  | { status: 'skipped'; reason: string }
  | { status: 'withdrawn'; reason: string }
  | { status: 'retry'; error: string; delayMs: number }
  | { status: 'release' };

/** Ends the claim on a row. Returns false when the claim had been lost. */
export async function finishRow(db: Kysely<DB>, row: { id: string }, lease: Date, finish: Finish): Promise<boolean> {
  const base = db
    .updateTable('outbox')
    .where('id', '=', row.id)
    .where('status', '=', 'claimed')
    .where('claimed_at', '=', lease);
  let query;
  switch (finish.status) {
    case 'sent':
      query = base.set({
        status: 'sent',
        sent_at: sql<Date>`now()`,
        message_id: finish.messageIds.join(' '),
        last_error: finish.lastError,
      });
      break;
    case 'failed':
      query = base.set({ status: 'failed', last_error: finish.error });
      break;
    case 'skipped':
      query = base.set({ status: 'skipped', skip_reason: finish.reason });
      break;
    case 'withdrawn':
      query = base.set({ status: 'withdrawn', skip_reason: finish.reason });
      break;
    case 'retry':
      query = base.set({
        status: 'pending',
        last_error: finish.error,
        next_attempt_at: sql<Date>`now() + make_interval(secs => ${seconds(finish.delayMs)})`,
      });
      break;
    case 'release':
      // Handed back unstarted at shutdown: another notifier may take it at once.
      query = base.set({ status: 'pending', claimed_at: null, attempts: sql<number>`greatest(attempts - 1, 0)` });
      break;
  }
  const result = await query.executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** Rows for `emails list`, newest first. */
export async function listOutboxRows(
  db: Kysely<DB>,
  filter: { partnerId?: string | undefined; status?: OutboxStatus | undefined; limit: number },
) {
  let query = db
    .selectFrom('outbox')
    .select([
      'id',
      'dedup_key',
      'kind',
      'partner_id',
      'status',
      'skip_reason',
      'last_error',
      'attempts',
      'created_at',
      'claimed_at',
      'sent_at',
      'message_id',
      sql<string | null>`payload->>'day'`.as('day'),
      sql<string | null>`payload->>'resendOf'`.as('resend_of'),
      'digest_id',
      'digest_day',
    ]);
  if (filter.partnerId !== undefined) query = query.where('partner_id', '=', filter.partnerId);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status);
  return query.orderBy('id', 'desc').limit(filter.limit).execute();
}

export async function outboxRow(db: Kysely<DB>, id: string) {
  return db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Locks a row (a resend of it is being decided). */
export async function lockOutboxRow(db: Kysely<DB>, id: string) {
  return db.selectFrom('outbox').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
}

/** A notification's row and its resends (rows keyed `<dedupKey>|resend:N`). */
export async function notificationAndResends(db: Kysely<DB>, dedupKey: string) {
  const prefix = `${dedupKey}|resend:`;
  return db
    .selectFrom('outbox')
    .select(['id', 'dedup_key', 'status'])
    .where((eb) =>
      eb.or([eb('dedup_key', '=', dedupKey), eb(sql<string>`left(dedup_key, ${prefix.length})`, '=', prefix)]),
    )
    .orderBy('id')
    .execute();
}

/** Inserts one row unless its dedup_key is taken; returns its id, or undefined. */
export async function insertOutboxRow(db: Kysely<DB>, row: Insertable<OutboxTable>): Promise<string | undefined> {
  const inserted = await db
    .insertInto('outbox')
    .values(row)
    .onConflict((oc) => oc.column('dedup_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted?.id;
}
