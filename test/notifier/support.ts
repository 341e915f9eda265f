// Shared pieces of the notifier integration tests: partners and outbox rows written
// directly, a notifier configuration for a test SMTP server, and waiting for the outbox to
// settle.
import { sql, type Kysely } from 'kysely';
import { pino, type Logger } from 'pino';
import { toJsonb } from '../../db/json.ts';
import type { Contact, DB } from '../../db/types.ts';
import type { SampleNotification } from '../../email/samples.ts';
import { SAMPLE_NOTIFICATIONS } from '../../email/samples.ts';
import { notifierConfigFromEnv, type NotifierConfig } from '../../workers/notifier/config.ts';
import type { Notifier } from '../../workers/notifier/notifier.ts';
import type { Deliveries } from '../../db/types.ts';
import { pollUntil } from '../setup/wait.ts';

export const SECRET = 'notifier-test-secret';

export const silent: Logger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

/** Fast retries and polls; the claim timeout is set directly (the env check wants it above 3 × the SMTP timeout). */
export function testConfig(smtpUrl: string | undefined, overrides: Partial<NotifierConfig> = {}): NotifierConfig {
  return {
    ...notifierConfigFromEnv({ ...(smtpUrl ? { SMTP_URL: smtpUrl } : {}), TIERLINE_UNSUBSCRIBE_SECRET: SECRET }),
    pollMs: 20,
    retryBaseMs: 50,
    maxRetryMs: 200,
    smtpTimeoutMs: 5_000,
    perSecond: 1_000,
    settleSeconds: 0,
    ...overrides,
  };
}

export function sample(name: string): SampleNotification {
  const s = SAMPLE_NOTIFICATIONS.find((x) => x.name === name);
  if (!s) throw new Error(`no sample ${name}`);
  return s;
}

export async function addPartner(
  db: Kysely<DB>,
  partnerId: string,
  name: string,
  contacts: Contact[],
  status: 'active' | 'terminated' = 'active',
): Promise<void> {
  await db
    .insertInto('partners')
    .values({
      partner_id: partnerId,
      name,
      partner_type: 'reseller',
      contacts: toJsonb(contacts),
      status,
      version: 1,
      source_event_id: `test-${partnerId}`,
    })
    .onConflict((oc) => oc.column('partner_id').doUpdateSet({ name, contacts: toJsonb(contacts), status }))
    .execute();
}

/** An outbox row as the recompute writes it, for `partnerId`; returns its id. */
export async function addRow(
  db: Kysely<DB>,
  s: SampleNotification,
  partnerId: string,
  dedupSuffix = '',
): Promise<string> {
  const row = await db
    .insertInto('outbox')
    .values({
      dedup_key: `${s.dedupKey}|${partnerId}${dedupSuffix}`,
      kind: s.kind,
      partner_id: partnerId,
      payload: toJsonb(s.payload),
      status: 'pending',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

export interface OutboxView {
  id: string;
  dedup_key: string;
  status: string;
  attempts: number;
  message_id: string | null;
  last_error: string | null;
  skip_reason: string | null;
  deliveries: Deliveries;
  next_attempt_at: Date | null;
  quota_day: string | null;
  partner_id: string;
  payload: unknown;
}

export async function outboxRows(db: Kysely<DB>): Promise<OutboxView[]> {
  return db
    .selectFrom('outbox')
    .select([
      'id',
      'dedup_key',
      'status',
      'attempts',
      'message_id',
      'last_error',
      'skip_reason',
      'deliveries',
      'next_attempt_at',
      'quota_day',
      'partner_id',
      'payload',
    ])
    .orderBy('id')
    .execute() as Promise<OutboxView[]>;
}

export async function rowById(db: Kysely<DB>, id: string): Promise<OutboxView> {
  const row = (await outboxRows(db)).find((r) => r.id === id);
  if (!row) throw new Error(`no outbox row ${id}`);
  return row;
}

/** Rows a notifier could take within `soonMs`: pending and due by then (retries after a short backoff), or claimed. */
export async function owedNow(db: Kysely<DB>, soonMs = 5_000): Promise<number> {
  const { rows } = await sql<{ n: string }>`
    select count(*)::text as n from outbox
     where status = 'claimed'
        or (status = 'pending' and (next_attempt_at is null or next_attempt_at <= now() + make_interval(secs => ${soonMs / 1000})))`.execute(
    db,
  );
  return Number(rows[0]?.n ?? 0);
}

/** Runs rounds until nothing is owed now or within a few seconds (short test backoffs). */
export async function drain(notifier: Notifier, db: Kysely<DB>, timeoutMs = 20_000): Promise<void> {
  await pollUntil(
    'the outbox to settle',
    async () => {
      await notifier.runOnce();
      return (await owedNow(db)) === 0 ? true : undefined;
    },
    timeoutMs,
    20,
  );
}

/** Waits until a running notifier has left nothing owed (pending-but-due or claimed). */
export async function settled(db: Kysely<DB>, timeoutMs = 30_000): Promise<void> {
  // Three consecutive quiet looks: a row may be between claim and send for an instant.
  let quiet = 0;
  await pollUntil(
    'the outbox to settle',
    async () => ((quiet = (await owedNow(db)) === 0 ? quiet + 1 : 0) >= 3 ? true : undefined),
    timeoutMs,
    100,
  );
}
