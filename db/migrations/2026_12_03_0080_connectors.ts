// Connectors (SPEC §13, issue 17): the FX rates foreign amounts are converted with, and what a
// connector must remember of earlier records (a Stripe invoice's partner for its credit notes,
// an xAPI statement that may later be voided, a Salesforce record's last state for CDC).
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `create table fx_rates (
     currency text not null check (currency ~ '^[A-Z]{3}$'),
     day date not null,
     rate numeric not null check (rate > 0),
     loaded_at timestamptz not null default now(),
     primary key (currency, day)
   )`,
  `create table connector_records (
     kind text not null,
     record_id text not null,
     state jsonb not null,
     updated_at timestamptz not null default now(),
     primary key (kind, record_id)
   )`,
];

const downStatements = [`drop table connector_records`, `drop table fx_rates`];

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await run(db, upStatements);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await run(db, downStatements);
}
