// Demotion review decisions (SPEC §9, issue 16): who approved or rejected a partner's pending
// demotion, for which tier, on which day, and why. Append-only: the timeline reads them in id
// order (the later of two decisions of one day wins). The outbox also accepts the reviewers'
// notification `tier.review-pending`.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `create table review_decisions (
    id         bigserial primary key,
    partner_id text not null,
    from_tier  text not null,
    decision   text not null check (decision in ('approve', 'reject')),
    on_day     date not null,
    decided_by text not null check (decided_by <> ''),
    reason     text check (reason <> ''),
    created_at timestamptz not null default now(),
    check (decision <> 'reject' or reason is not null)
  )`,
  `create index review_decisions_partner_idx on review_decisions (partner_id, on_day, id)`,
  `alter table outbox drop constraint outbox_kind_check`,
  `alter table outbox add constraint outbox_kind_check
     check (kind in ('tier.promoted', 'tier.demoted', 'tier.at-risk', 'tier.near-promotion', 'tier.review-pending'))`,
];

const downStatements = [
  `alter table outbox drop constraint outbox_kind_check`,
  `alter table outbox add constraint outbox_kind_check
     check (kind in ('tier.promoted', 'tier.demoted', 'tier.at-risk', 'tier.near-promotion'))`,
  `drop table review_decisions`,
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
