// FX rates and connector record state (2026_12_03_0080). Query-only: validation and lookups'
// meaning live in domain/connectors and services/connectors.
import { sql, type Kysely, type Transaction } from 'kysely';
import { toJsonb } from '../json.ts';
import type { DB, JsonValue } from '../types.ts';

type Db = Kysely<DB> | Transaction<DB>;

export interface RateRow {
  currency: string;
  day: string;
  rate: string;
}

/** Upserts rates; a day loaded again takes the new rate. Returns how many rows were written. */
export async function upsertRates(db: Db, rates: readonly RateRow[]): Promise<number> {
  let written = 0;
  for (let i = 0; i < rates.length; i += 1000) {
    const chunk = rates.slice(i, i + 1000);
    // One row per (currency, day) per statement: a later line of the file wins.
    const unique = [...new Map(chunk.map((r) => [`${r.currency} ${r.day}`, r])).values()];
    const result = await db
      .insertInto('fx_rates')
      .values(unique.map((r) => ({ currency: r.currency, day: r.day, rate: r.rate })))
      .onConflict((oc) =>
        oc.columns(['currency', 'day']).doUpdateSet({ rate: (eb) => eb.ref('excluded.rate'), loaded_at: sql`now()` }),
      )
      .executeTakeFirst();
    written += Number(result.numInsertedOrUpdatedRows ?? 0n);
  }
  return written;
}

/** The rate of the latest day on or before `day`, per asked (currency, day). */
export async function latestRates(
  db: Db,
  asked: ReadonlyArray<{ currency: string; day: string }>,
): Promise<Array<{ currency: string; day: string; rate: string | null }>> {
  const out: Array<{ currency: string; day: string; rate: string | null }> = [];
  for (const { currency, day } of asked) {
    const row = await db
      .selectFrom('fx_rates')
      .select('rate')
      .where('currency', '=', currency)
      .where('day', '<=', day)
      .orderBy('day', 'desc')
      .limit(1)
      .executeTakeFirst();
    out.push({ currency, day, rate: row?.rate ?? null });
  }
  return out;
}

export async function countRates(
  db: Db,
): Promise<Array<{ currency: string; days: string; first: string; last: string }>> {
  return db
    .selectFrom('fx_rates')
    .select([
      'currency',
      sql<string>`count(*)::text`.as('days'),
      sql<string>`min(day)::text`.as('first'),
      sql<string>`max(day)::text`.as('last'),
    ])
    .groupBy('currency')
    .orderBy('currency')
    .execute();
}

export async function readRecords(db: Db, kind: string, ids: readonly string[]): Promise<Map<string, JsonValue>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('connector_records')
    .select(['record_id', 'state'])
    .where('kind', '=', kind)
    .where('record_id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.record_id, r.state]));
}

export async function writeRecords(
  db: Db,
  kind: string,
  records: ReadonlyArray<{ id: string; state: JsonValue }>,
): Promise<void> {
  const unique = [...new Map(records.map((r) => [r.id, r])).values()];
  if (unique.length === 0) return;
  await db
    .insertInto('connector_records')
    .values(unique.map((r) => ({ kind, record_id: r.id, state: toJsonb(r.state) })))
    .onConflict((oc) =>
      oc
        .columns(['kind', 'record_id'])
        .doUpdateSet({ state: (eb) => eb.ref('excluded.state'), updated_at: sql`now()` }),
    )
    .execute();
}
