// Payouts (ERP `payout.recorded`, docs/finance.md): what was paid per partner, benefit and
// accrual period. Keyed like deals (the highest version wins); read only by the finance report,
// never by the recompute.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `create table payouts (
    partner_id   text not null,
    payout_id    text not null,
    version      bigint not null check (version >= 0),
    benefit      text not null check (benefit in ('commission', 'mdf', 'rebate')),
    amount       numeric not null check (amount >= 0),
    currency     char(3) not null,
    fx_rate      numeric check (fx_rate > 0),
    paid_at      date not null,
    period       text not null check (period ~ '^[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?$'),
    source       text not null,
    event_id     text not null,
    received_seq bigint not null default nextval('event_received_seq'),
    updated_at   timestamptz not null default now(),
    primary key (partner_id, payout_id)
  )`,
  `create index payouts_period_idx on payouts (period, partner_id)`,
];

const downStatements = [`drop table payouts`];

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await run(db, upStatements);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await run(db, downStatements);
}
