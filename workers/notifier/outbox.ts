// The notifier's reads and writes on the outbox. A row moves pending → claimed → sent |
// failed | skipped, or back to pending with a next_attempt_at after a transient failure.
// Every write after the claim is fenced on the claim (status 'claimed' and the claimed_at
// this notifier set): a notifier presumed dead that wakes up again cannot overwrite the work
// of the one that re-claimed its row. Each fenced write also renews the claim (the lease).
import { sql, type ColumnType, type Kysely } from 'kysely';
import type { DB, JsonbWithDefault, NotificationKind, NullableTimestamp, OutboxTable } from '../../db/types.ts';

export type DeliveryStatus = 'sending' | 'sent' | 'failed' | 'retry';

/** One recipient's message of one notification. */
export interface Delivery {
  status: DeliveryStatus;
  messageId: string;
  /** Sends tried (a 'sending' left by a crash counts). */
  attempts: number;
  /** ISO timestamp of the last change. */
  at: string;
  /** The server's reply to a sent message. */
  response?: string;
  /** File mode: where the message was written. */
  path?: string;
  error?: string;
}

export type Deliveries = Record<string, Delivery>;

/** Columns added by migration 2026_11_23_0007_notifier (db/types.ts does not list them yet). */
export interface NotifierOutboxColumns {
  next_attempt_at: NullableTimestamp;
  quota_day: ColumnType<string | null, string | null | undefined, string | null>;
  deliveries: JsonbWithDefault<Deliveries>;
  skip_reason: string | null;
}

export type NotifierDB = Omit<DB, 'outbox'> & { outbox: OutboxTable & NotifierOutboxColumns };

export const notifierDb = (db: Kysely<DB>): Kysely<NotifierDB> => db as unknown as Kysely<NotifierDB>;

export interface ClaimedRow {
  id: string;
  dedupKey: string;
  kind: NotificationKind;
  partnerId: string;
  payload: unknown;
  /** Claims so far, this one included. */
  attempts: number;
  deliveries: Deliveries;
  /** The lease: the claimed_at this notifier holds. */
  claimedAt: Date;
}

export interface ClaimOptions {
  limit: number;
  claimTimeoutMs: number;
  perPartnerPerDay: number;
  /** 'YYYY-MM-DD' in the program's timezone: the day a newly claimed row is charged to. */
  today: string;
  capRecheckMs: number;
}

export interface ClaimResult {
  claimed: ClaimedRow[];
  /** Rows left pending because their partner reached today's cap. */
  deferred: number;
}

const MS_NOW = sql<Date>`date_trunc('milliseconds', now())`;
const seconds = (ms: number): number => ms / 1000;

/**
 * Claims owed rows in id order: pending ones that are due, and claimed ones whose claim is
 * older than the timeout (a crashed notifier's). SKIP LOCKED lets several notifiers claim
 * side by side; a per-partner advisory lock makes the daily cap exact across them. A row is
 * charged to the cap once, on its first claim; rows over the cap stay pending and are looked
 * at again after capRecheckMs.
 */
export async function claimRows(db: Kysely<DB>, options: ClaimOptions): Promise<ClaimResult> {
  return notifierDb(db)
    .transaction()
    .execute(async (trx) => {
      const candidates = await trx
        .selectFrom('outbox')
        .select(['id', 'partner_id', 'quota_day'])
        .where('status', 'in', ['pending', 'claimed'])
        .where((eb) =>
          eb.or([
            eb.and([
              eb('status', '=', 'pending'),
              eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', sql<Date>`now()`)]),
            ]),
            eb.and([
              eb('status', '=', 'claimed'),
              eb('claimed_at', '<', sql<Date>`now() - make_interval(secs => ${seconds(options.claimTimeoutMs)})`),
            ]),
          ]),
        )
        .orderBy('id')
        .limit(options.limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (candidates.length === 0) return { claimed: [], deferred: 0 };

      const charging = [...new Set(candidates.filter((c) => c.quota_day === null).map((c) => c.partner_id))].sort();
      // Sorted, so two notifiers never wait on each other's locks in opposite orders.
      for (const partnerId of charging)
        await sql`select pg_advisory_xact_lock(hashtextextended(${`tierline-notifier-cap:${partnerId}`}, 0))`.execute(
          trx,
        );
      const used = new Map<string, number>();
      if (charging.length > 0) {
        const rows = await trx
          .selectFrom('outbox')
          .select(['partner_id', sql<string>`count(*)`.as('n')])
          .where('partner_id', 'in', charging)
          .where('quota_day', '=', options.today)
          .where('status', 'in', ['pending', 'claimed', 'sent'])
          .groupBy('partner_id')
          .execute();
        for (const r of rows) used.set(r.partner_id, Number(r.n));
      }
      const take: string[] = [];
      const defer: string[] = [];
      for (const c of candidates) {
        if (c.quota_day !== null) {
          take.push(c.id);
          continue;
        }
        const n = used.get(c.partner_id) ?? 0;
        if (n < options.perPartnerPerDay) {
          used.set(c.partner_id, n + 1);
          take.push(c.id);
        } else defer.push(c.id);
      }
      if (defer.length > 0) {
        await trx
          .updateTable('outbox')
          .set({ next_attempt_at: sql<Date>`now() + make_interval(secs => ${seconds(options.capRecheckMs)})` })
          .where('id', 'in', defer)
          .execute();
      }
      if (take.length === 0) return { claimed: [], deferred: defer.length };
      const rows = await trx
        .updateTable('outbox')
        .set({
          status: 'claimed',
          claimed_at: MS_NOW,
          attempts: sql<number>`attempts + 1`,
          quota_day: sql<string>`coalesce(quota_day, ${options.today}::date)`,
          next_attempt_at: null,
        })
        .where('id', 'in', take)
        .returning(['id', 'dedup_key', 'kind', 'partner_id', 'payload', 'attempts', 'deliveries', 'claimed_at'])
        .execute();
      const claimed = rows
        .map((r) => ({
          id: r.id,
          dedupKey: r.dedup_key,
          kind: r.kind,
          partnerId: r.partner_id,
          payload: r.payload as unknown,
          attempts: r.attempts,
          deliveries: r.deliveries ?? {},
          claimedAt: r.claimed_at as Date,
        }))
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
      return { claimed, deferred: defer.length };
    });
}

/** The lease after a fenced write, or undefined when the claim was lost (another notifier re-claimed the row). */
export type Lease = Date | undefined;

/** Records one recipient's delivery state and renews the claim. */
export async function writeDelivery(
  db: Kysely<DB>,
  row: ClaimedRow,
  lease: Date,
  email: string,
  delivery: Delivery,
): Promise<Lease> {
  const updated = await notifierDb(db)
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

type Finish =
  | { status: 'sent'; messageIds: string[]; lastError: string | null }
  | { status: 'failed'; error: string }
  | { status: 'skipped'; reason: string }
  | { status: 'retry'; error: string; delayMs: number }
  | { status: 'release' };

/** Ends this notifier's claim on a row. Returns false when the claim had been lost. */
export async function finishRow(db: Kysely<DB>, row: ClaimedRow, lease: Date, finish: Finish): Promise<boolean> {
  const ndb = notifierDb(db);
  const base = ndb
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
