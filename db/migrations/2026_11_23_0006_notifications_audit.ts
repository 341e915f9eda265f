// Notifications (docs/notifications.md) through a transactional outbox, contact opt-outs, and
// the audit log for manual actions (overrides, replays, program loads).
import { sql, type Kysely } from 'kysely';

const upStatements = [
  // dedup_key unique = each notification is recorded once, whatever retries happen.
  // 'skipped' = recorded but deliberately not emailed (old change, opted out, terminated).
  `create table outbox (
    id         bigserial primary key,
    dedup_key  text not null unique,
    kind       text not null
               check (kind in ('tier.promoted', 'tier.demoted', 'tier.at-risk', 'tier.near-promotion')),
    partner_id text not null,
    payload    jsonb not null,
    status     text not null default 'pending'
               check (status in ('pending', 'claimed', 'sent', 'skipped', 'failed')),
    created_at timestamptz not null default now(),
    claimed_at timestamptz,
    sent_at    timestamptz,
    message_id text,
    attempts   integer not null default 0 check (attempts >= 0),
    last_error text,
    check (status <> 'sent' or sent_at is not null)
  )`,
  // The notifier polls only what is still owed; sent rows never enter this index.
  `create index outbox_unsent_idx on outbox (created_at, id) where status in ('pending', 'claimed')`,
  `create index outbox_partner_idx on outbox (partner_id, created_at)`,

  // kind is a notification kind or '*' for all of them. opted_out_at null = opted back in.
  // Emails are stored lower-cased so one address has one row.
  `create table notification_preferences (
    partner_id   text not null,
    email        text not null check (email = lower(email)),
    kind         text not null,
    opted_out_at timestamptz,
    primary key (partner_id, email, kind)
  )`,
  `create index notification_preferences_email_idx on notification_preferences (email)`,

  `create table audit_log (
    id         bigserial primary key,
    at         timestamptz not null default now(),
    actor      text not null,
    action     text not null,
    partner_id text,
    details    jsonb not null default '{}'
  )`,
  `create index audit_log_partner_at_idx on audit_log (partner_id, at)`,
  `create index audit_log_at_idx on audit_log (at)`,
];

const downStatements = [`drop table audit_log`, `drop table notification_preferences`, `drop table outbox`];

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await run(db, upStatements);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await run(db, downStatements);
}
