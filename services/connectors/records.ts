// What a live connector remembers of earlier records (connector_records): a Stripe invoice's
// partner for its credit notes, an xAPI statement that a later one may void.
import type { Kysely } from 'kysely';
import { readRecords, writeRecords } from '../../db/repositories/connectors.ts';
import type { DB, JsonValue } from '../../db/types.ts';

export async function recall(db: Kysely<DB>, kind: string, ids: readonly string[]): Promise<Map<string, unknown>> {
  return readRecords(db, kind, ids);
}

export async function remember(
  db: Kysely<DB>,
  kind: string,
  records: ReadonlyArray<{ id: string; state: JsonValue }>,
): Promise<void> {
  await writeRecords(db, kind, records);
}
