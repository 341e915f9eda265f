// Fact tables: the current state of every valid event that feeds the metrics
// (docs/events.md). Money and rates are numeric, business days are date. Every table is
// indexed by (partner_id, business date) because evaluation reads one partner's
// facts up to a day.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  // One row per deal: its latest state (highest version, then latest received_seq)
  // rewrites every day of history (docs/events.md#dealupserted).
  `create table deals (
    partner_id    text not null,
    deal_id       text not null,
    version       bigint not null check (version >= 0),
    stage         text not null check (stage in ('open', 'closed_won', 'closed_lost')),
    amount        numeric not null check (amount >= 0),
    currency      char(3) not null,
    fx_rate       numeric check (fx_rate > 0),
    customer_id   text,
    registered_at date,
    closed_at     date,
    source        text not null,
    event_id      text not null,
    received_seq  bigint not null default nextval('event_received_seq'),
    updated_at    timestamptz not null default now(),
    primary key (partner_id, deal_id),
    check (stage <> 'closed_won' or closed_at is not null)
  )`,
  `create index deals_partner_closed_idx on deals (partner_id, closed_at)`,
  `create index deals_partner_registered_idx on deals (partner_id, registered_at)`,

  // Certification facts are events, not states: each earning counts on its own
  // (re-earning after a revocation counts again, docs/events.md#certificationearned).
  `create table certifications_earned (
    source           text not null,
    event_id         text not null,
    partner_id       text not null,
    person_id        text not null,
    certification_id text not null,
    earned_at        date not null,
    expires_at       date,
    received_at      timestamptz not null default now(),
    primary key (source, event_id)
  )`,
  `create index certifications_earned_partner_earned_idx on certifications_earned (partner_id, earned_at)`,
  // The nightly run and risks look for certifications expiring soon.
  `create index certifications_earned_partner_expires_idx on certifications_earned (partner_id, expires_at)`,

  `create table certification_revocations (
    source           text not null,
    event_id         text not null,
    partner_id       text not null,
    person_id        text not null,
    certification_id text not null,
    revoked_at       date not null,
    received_at      timestamptz not null default now(),
    primary key (source, event_id)
  )`,
  `create index certification_revocations_partner_revoked_idx on certification_revocations (partner_id, revoked_at)`,

  `create table person_departures (
    source      text not null,
    event_id    text not null,
    partner_id  text not null,
    person_id   text not null,
    departed_at date not null,
    received_at timestamptz not null default now(),
    primary key (source, event_id)
  )`,
  `create index person_departures_partner_departed_idx on person_departures (partner_id, departed_at)`,

  `create table invoices (
    partner_id  text not null,
    invoice_id  text not null,
    amount      numeric not null check (amount >= 0),
    currency    char(3) not null,
    fx_rate     numeric check (fx_rate > 0),
    booked_at   date not null,
    recurring   boolean not null,
    source      text not null,
    event_id    text not null,
    received_at timestamptz not null default now(),
    primary key (partner_id, invoice_id)
  )`,
  `create index invoices_partner_booked_idx on invoices (partner_id, booked_at)`,

  // No foreign key to invoices: a credit may name an invoice we have not seen
  // (it then matches no recurring filter, docs/events.md#invoicecredited).
  `create table invoice_credits (
    partner_id  text not null,
    invoice_id  text not null,
    credit_id   text not null,
    amount      numeric not null check (amount >= 0),
    currency    char(3) not null,
    fx_rate     numeric check (fx_rate > 0),
    credited_at date not null,
    source      text not null,
    event_id    text not null,
    received_at timestamptz not null default now(),
    primary key (partner_id, invoice_id, credit_id)
  )`,
  `create index invoice_credits_partner_credited_idx on invoice_credits (partner_id, credited_at)`,
];

const downStatements = [
  `drop table invoice_credits`,
  `drop table invoices`,
  `drop table person_departures`,
  `drop table certification_revocations`,
  `drop table certifications_earned`,
  `drop table deals`,
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
