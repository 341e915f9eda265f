// The notifier's bookkeeping on the outbox (issue 5): when a row may be tried again after a
// transient SMTP failure or a rate cap, which day's per-partner cap it was charged to, the
// state of each recipient's message, and why a row was skipped.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  // next_attempt_at: null = due now. quota_day: the day (program timezone) whose per-partner
  // cap this notification counts against, set on its first claim and kept after.
  // deliveries: { "<email>": { status: sending|sent|failed|retry, messageId, attempts, ... } },
  // so a re-claimed row never re-sends to a recipient already marked sent.
  `alter table outbox
     add column next_attempt_at timestamptz,
     add column quota_day date,
     add column deliveries jsonb not null default '{}'::jsonb,
     add column skip_reason text`,
  // The claim scans what is owed in id order; sent and skipped rows never enter this index.
  `create index outbox_owed_id_idx on outbox (id) where status in ('pending', 'claimed')`,
  // Counting a partner's notifications charged to a day.
  `create index outbox_quota_idx on outbox (partner_id, quota_day) where quota_day is not null`,
];

const downStatements = [
  `drop index outbox_quota_idx`,
  `drop index outbox_owed_id_idx`,
  `alter table outbox
     drop column skip_reason,
     drop column deliveries,
     drop column quota_day,
     drop column next_attempt_at`,
];

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await run(db, upStatements);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await run(db, downStatements);
}
