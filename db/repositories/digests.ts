// The daily digests' statements (docs/notifications.md#daily-digest). A digest moves claimed →
// sent | failed | skipped | withdrawn, or back to pending after a transient failure, like an
// outbox row; its rows (outbox.digest_id) follow it. Every write after the claim is fenced on
// the digest's claim (status 'claimed' and the claimed_at the notifier holds) and renews it.
import { sql, type Kysely } from 'kysely';
import type { DB, Delivery } from '../types.ts';
import { settledRow, type Settle } from './outbox.ts';

const MS_NOW = sql<Date>`date_trunc('milliseconds', now())`;
const seconds = (ms: number): number => ms / 1000;

/** Serialises assembling digests across notifiers, for the transaction's length; false: another notifier is at it. */
export async function tryLockDigestAssembly(db: Kysely<DB>): Promise<boolean> {
  const { rows } = await sql<{
    locked: boolean;
  }>`select pg_try_advisory_xact_lock(hashtextextended('tierline-notifier-digests', 0)) as locked`.execute(db);
  return rows[0]?.locked === true;
}

/**
 * The pending rows of digest days before `today` that no digest carries yet, locked, with
 * whether each has settled (outbox.ts settledRow).
 */
export async function digestCandidates(db: Kysely<DB>, today: string, settle: Settle) {
  return db
    .selectFrom('outbox')
    .select((eb) => [
      'id',
      'partner_id',
      'kind',
      sql<string>`to_char(digest_day, 'YYYY-MM-DD')`.as('day'),
      settledRow(eb, settle).as('settled'),
    ])
    .where('status', '=', 'pending')
    .where('digest_day', 'is not', null)
    .where('digest_day', '<', sql<string>`${today}::date`)
    .where('digest_id', 'is', null)
    .orderBy('id')
    .forUpdate()
    .execute();
}

/** How many digests this partner has for `day` already. */
export async function digestsOfDay(db: Kysely<DB>, partnerId: string, day: string): Promise<number> {
  const row = await db
    .selectFrom('outbox_digests')
    .select(sql<string>`count(*)`.as('n'))
    .where('partner_id', '=', partnerId)
    .where('day', '=', day)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Records a digest, claimed by the caller; undefined when its key is taken. */
export async function insertDigest(db: Kysely<DB>, digest: { key: string; partnerId: string; day: string }) {
  return db
    .insertInto('outbox_digests')
    .values({
      digest_key: digest.key,
      partner_id: digest.partnerId,
      day: digest.day,
      status: 'claimed',
      claimed_at: MS_NOW,
      attempts: 1,
    })
    .onConflict((oc) => oc.column('digest_key').doNothing())
    .returning(['id', 'digest_key', 'partner_id', 'day', 'attempts', 'deliveries', 'claimed_at'])
    .executeTakeFirst();
}

/** Links pending rows to their digest, claimed under its lease. Returns how many were linked. */
export async function linkRows(db: Kysely<DB>, ids: readonly string[], digestId: string, lease: Date) {
  const result = await db
    .updateTable('outbox')
    .set({ status: 'claimed', digest_id: digestId, claimed_at: lease, attempts: sql<number>`attempts + 1` })
    .where('id', 'in', [...ids])
    .where('status', '=', 'pending')
    .where('digest_id', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** Digests owed again, locked: pending ones that are due, and claimed ones whose claim is older than `claimTimeoutMs`. */
export async function owedDigests(db: Kysely<DB>, limit: number, claimTimeoutMs: number) {
  return db
    .selectFrom('outbox_digests')
    .select('id')
    .where((eb) =>
      eb.or([
        eb.and([
          eb('status', '=', 'pending'),
          eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', sql<Date>`now()`)]),
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

/** Claims these digests (again) and their rows. */
export async function claimDigestsByIds(db: Kysely<DB>, ids: readonly string[]) {
  if (ids.length === 0) return [];
  const digests = await db
    .updateTable('outbox_digests')
    .set({ status: 'claimed', claimed_at: MS_NOW, attempts: sql<number>`attempts + 1`, next_attempt_at: null })
    .where('id', 'in', [...ids])
    .returning(['id', 'digest_key', 'partner_id', 'day', 'attempts', 'deliveries', 'claimed_at'])
    .execute();
  await db
    .updateTable('outbox')
    .set({ status: 'claimed', claimed_at: MS_NOW, attempts: sql<number>`attempts + 1` })
    .where('digest_id', 'in', [...ids])
    .where('status', 'in', ['pending', 'claimed'])
    .execute();
  return digests;
}

/** The rows a digest still carries (claimed), in id order. */
export async function digestRows(db: Kysely<DB>, digestId: string) {
  return db
    .selectFrom('outbox')
    .select(['id', 'dedup_key', 'kind', 'partner_id', 'payload'])
    .where('digest_id', '=', digestId)
    .where('status', '=', 'claimed')
    .orderBy('id')
    .execute();
}

/** Renews the digest's claim; undefined when it was lost (another notifier re-claimed it). */
export async function renewDigest(db: Kysely<DB>, digestId: string, lease: Date): Promise<Date | undefined> {
  const updated = await db
    .updateTable('outbox_digests')
    .set({ claimed_at: MS_NOW })
    .where('id', '=', digestId)
    .where('status', '=', 'claimed')
    .where('claimed_at', '=', lease)
    .returning('claimed_at')
    .executeTakeFirst();
  return updated?.claimed_at ?? undefined;
}

/** Records one recipient's delivery of a digest and renews the claim. */
export async function writeDigestDelivery(
  db: Kysely<DB>,
  digestId: string,
  lease: Date,
  email: string,
  delivery: Delivery,
): Promise<Date | undefined> {
  const updated = await db
    .updateTable('outbox_digests')
    .set({
      deliveries: sql`deliveries || jsonb_build_object(${email}::text, ${JSON.stringify(delivery)}::jsonb)`,
      claimed_at: MS_NOW,
    })
    .where('id', '=', digestId)
    .where('status', '=', 'claimed')
    .where('claimed_at', '=', lease)
    .returning('claimed_at')
    .executeTakeFirst();
  return updated?.claimed_at ?? undefined;
}

/** Ends one row of a digest without sending it (withdrawn, skipped or failed); the caller holds the digest's fence. */
export async function endDigestRow(
  db: Kysely<DB>,
  digestId: string,
  rowId: string,
  end: { status: 'withdrawn' | 'skipped'; reason: string } | { status: 'failed'; error: string },
): Promise<void> {
  await db
    .updateTable('outbox')
    .set(
      end.status === 'failed'
        ? { status: 'failed', last_error: end.error }
        : { status: end.status, skip_reason: end.reason },
    )
    .where('id', '=', rowId)
    .where('digest_id', '=', digestId)
    .where('status', '=', 'claimed')
    .execute();
}

/** Marks rows of a digest sent, with the Message-IDs of the messages that carried them. */
export async function markDigestRowsSent(
  db: Kysely<DB>,
  digestId: string,
  rows: ReadonlyArray<{ id: string; messageIds: readonly string[] }>,
  lastError: string | null,
): Promise<void> {
  for (const r of rows)
    await db
      .updateTable('outbox')
      .set({ status: 'sent', sent_at: sql<Date>`now()`, message_id: r.messageIds.join(' '), last_error: lastError })
      .where('id', '=', r.id)
      .where('digest_id', '=', digestId)
      .where('status', '=', 'claimed')
      .execute();
}

export type DigestFinish =
  | { status: 'sent'; messageIds: string[]; lastError: string | null }
  | { status: 'failed'; error: string }
  | { status: 'skipped'; reason: string }
  | { status: 'withdrawn'; reason: string }
  | { status: 'retry'; error: string; delayMs: number }
  | { status: 'release' };

/** Ends the claim on a digest (fenced); the rows it still holds follow it. Returns false when the claim was lost. */
export async function finishDigestRow(
  db: Kysely<DB>,
  digestId: string,
  lease: Date,
  finish: DigestFinish,
): Promise<boolean> {
  const base = db
    .updateTable('outbox_digests')
    .where('id', '=', digestId)
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
    case 'withdrawn':
      query = base.set({ status: finish.status, skip_reason: finish.reason });
      break;
    case 'retry':
      query = base.set({
        status: 'pending',
        last_error: finish.error,
        next_attempt_at: sql<Date>`now() + make_interval(secs => ${seconds(finish.delayMs)})`,
      });
      break;
    case 'release':
      query = base.set({ status: 'pending', claimed_at: null, attempts: sql<number>`greatest(attempts - 1, 0)` });
      break;
  }
  const result = await query.executeTakeFirst();
  if (result.numUpdatedRows === 0n) return false;
  const rows = db.updateTable('outbox').where('digest_id', '=', digestId).where('status', '=', 'claimed');
  switch (finish.status) {
    case 'sent':
      // Rows not marked sent by the caller were in no message that went out.
      await rows.set({ status: 'failed', last_error: finish.lastError ?? 'in no message sent' }).execute();
      break;
    case 'failed':
      await rows.set({ status: 'failed', last_error: finish.error }).execute();
      break;
    case 'skipped':
    case 'withdrawn':
      await rows.set({ status: finish.status, skip_reason: finish.reason }).execute();
      break;
    case 'retry':
      await rows.set({ status: 'pending', last_error: finish.error }).execute();
      break;
    case 'release':
      await rows.set({ status: 'pending', attempts: sql<number>`greatest(attempts - 1, 0)` }).execute();
      break;
  }
  return true;
}

/** A digest's record, for `emails list/show`. */
export async function digestById(db: Kysely<DB>, id: string) {
  return db.selectFrom('outbox_digests').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Digests by id, for `emails list`. */
export async function digestsByIds(db: Kysely<DB>, ids: readonly string[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('outbox_digests')
    .select(['id', 'digest_key', 'status', 'sent_at'])
    .where('id', 'in', [...ids])
    .execute();
}

/** The rows a digest carried, in id order. */
export async function rowsOfDigest(db: Kysely<DB>, digestId: string) {
  return db
    .selectFrom('outbox')
    .select(['id', 'kind', 'status', 'payload', 'skip_reason'])
    .where('digest_id', '=', digestId)
    .orderBy('id')
    .execute();
}
