// Daily digests (docs/notifications.md#daily-digest, issue 15 item 5): under the program option
// `alerts.digest: "daily"` a partner's settled notifications of one day go out as one email.
// The digest is recorded once per digest_key ("partner|day", unique), and carries the
// per-recipient delivery state the single-email path keeps on the outbox row; the rows it
// carries point at it (digest_id). digest_day is the business day a row belongs to: the day
// of the recompute that wrote (or revived) it; null for rows sent on their own (resends,
// the reviewers' kind, rows written before this migration).
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `create table outbox_digests (
    id              bigserial primary key,
    digest_key      text not null unique,
    partner_id      text not null,
    day             date not null,
    status          text not null default 'claimed'
                    check (status in ('pending', 'claimed', 'sent', 'skipped', 'failed', 'withdrawn')),
    created_at      timestamptz not null default now(),
    claimed_at      timestamptz,
    sent_at         timestamptz,
    message_id      text,
    attempts        integer not null default 0 check (attempts >= 0),
    last_error      text,
    skip_reason     text,
    next_attempt_at timestamptz,
    deliveries      jsonb not null default '{}'::jsonb,
    check (status <> 'sent' or sent_at is not null)
  )`,
  `create index outbox_digests_owed_idx on outbox_digests (id) where status in ('pending', 'claimed')`,
  `create index outbox_digests_partner_idx on outbox_digests (partner_id, day)`,
  `alter table outbox
     add column digest_day date,
     add column digest_id bigint references outbox_digests (id)`,
  // Assembling a day's digests looks at the pending rows of past days.
  `create index outbox_digest_day_idx on outbox (digest_day, partner_id) where status = 'pending' and digest_day is not null`,
  `create index outbox_digest_id_idx on outbox (digest_id) where digest_id is not null`,
];

const downStatements = [
  `drop index outbox_digest_id_idx`,
  `drop index outbox_digest_day_idx`,
  `alter table outbox drop column digest_id, drop column digest_day`,
  `drop table outbox_digests`,
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
