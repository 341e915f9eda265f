// Notifications that settle (docs/notifications.md#settle-and-withdraw, issue 15): a row the
// notifier re-checked against the partner's current stored state and found no longer true
// (the change was undone, the risk or the grace run is gone) ends 'withdrawn', never sent;
// skip_reason says why.
import { sql, type Kysely } from 'kysely';

const upStatements = [
  `alter table outbox drop constraint outbox_status_check`,
  `alter table outbox add constraint outbox_status_check
     check (status in ('pending', 'claimed', 'sent', 'skipped', 'failed', 'withdrawn'))`,
];

const downStatements = [
  // The older schema has no 'withdrawn': such rows were never sent, like skipped ones.
  `update outbox set status = 'skipped' where status = 'withdrawn'`,
  `alter table outbox drop constraint outbox_status_check`,
  `alter table outbox add constraint outbox_status_check
     check (status in ('pending', 'claimed', 'sent', 'skipped', 'failed'))`,
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
