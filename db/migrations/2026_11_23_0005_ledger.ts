// The incentive ledger (docs/scorecard.md): accruals and adjustments per deal and benefit,
// append-only so totals can always be explained entry by entry.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  // amount is signed (an adjustment may take money back); tier_id is null when the
  // partner had no tier on closed_at, rate is then 0.
  `create table ledger_entries (
    id         bigserial primary key,
    partner_id text not null,
    deal_id    text not null,
    benefit    text not null check (benefit in ('commission', 'mdf', 'rebate')),
    amount     numeric not null,
    currency   char(3) not null,
    kind       text not null check (kind in ('accrual', 'adjustment')),
    closed_at  date not null,
    tier_id    text,
    rate       numeric not null check (rate >= 0),
    created_at timestamptz not null default now()
  )`,
  `create index ledger_entries_partner_deal_idx on ledger_entries (partner_id, deal_id, benefit)`,
  `create index ledger_entries_partner_closed_idx on ledger_entries (partner_id, closed_at)`,
  // "Entries are never edited": enforced here, not only by convention.
  `create function ledger_entries_append_only() returns trigger language plpgsql as $$
   begin
     raise exception 'ledger_entries is append-only: % of entry % refused', tg_op, old.id;
   end $$`,
  `create trigger ledger_entries_append_only before update or delete on ledger_entries
     for each row execute function ledger_entries_append_only()`,
];

const downStatements = [`drop table ledger_entries`, `drop function ledger_entries_append_only()`];

async function run(db: Kysely<unknown>, statements: string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await run(db, upStatements);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await run(db, downStatements);
}
