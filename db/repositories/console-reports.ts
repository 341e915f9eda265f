// Console finance and what-if runs (console_reports): created once per id (a resubmission
// of the same parameters finds the row), claimed by the job that computes them, finished
// with their result or their error.
import type { Kysely } from 'kysely';
import { toJsonb } from '../json.ts';
import type { DB, JsonValue } from '../types.ts';

export type ConsoleReportKind = 'finance' | 'whatif';

/** Inserts the run unless a run with this id exists; true when this call created it. */
export async function insertConsoleReport(
  db: Kysely<DB>,
  row: { id: string; kind: ConsoleReportKind; params: JsonValue; requestedBy: string },
): Promise<boolean> {
  const inserted = await db
    .insertInto('console_reports')
    .values({ id: row.id, kind: row.kind, params: toJsonb(row.params), requested_by: row.requestedBy })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The run without its CSV (what its page shows). */
export async function consoleReport(db: Kysely<DB>, id: string) {
  return db
    .selectFrom('console_reports')
    .select([
      'id',
      'kind',
      'params',
      'status',
      'error',
      'result',
      'requested_by',
      'created_at',
      'started_at',
      'finished_at',
    ])
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function consoleReportCsv(db: Kysely<DB>, id: string) {
  return db.selectFrom('console_reports').select(['kind', 'status', 'csv']).where('id', '=', id).executeTakeFirst();
}

/** Marks a queued (or re-run after a crash: running) run as running; false if it is finished. */
export async function startConsoleReport(db: Kysely<DB>, id: string): Promise<boolean> {
  const r = await db
    .updateTable('console_reports')
    .set({ status: 'running', started_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .returning('id')
    .executeTakeFirst();
  return r !== undefined;
}

export async function finishConsoleReport(
  db: Kysely<DB>,
  id: string,
  done: { result: JsonValue | object; csv: string | null },
): Promise<void> {
  await db
    .updateTable('console_reports')
    .set({ status: 'done', result: toJsonb(done.result), csv: done.csv, error: null, finished_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}

export async function failConsoleReport(db: Kysely<DB>, id: string, error: string): Promise<void> {
  await db
    .updateTable('console_reports')
    .set({ status: 'failed', error, finished_at: new Date() })
    .where('id', '=', id)
    .where('status', 'in', ['queued', 'running'])
    .execute();
}
