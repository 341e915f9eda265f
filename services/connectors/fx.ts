// FX rates in Postgres (`tierline fx load`) and their lookup for the live connectors: the rate
// of the latest day on or before each amount's business date.
import type { Kysely } from 'kysely';
import { latestRates, upsertRates } from '../../db/repositories/connectors.ts';
import type { DB } from '../../db/types.ts';
import { parseRatesCsv, type FxLookup } from '../../domain/connectors/fx.ts';
import type { FxNeed } from '../../domain/connectors/outcome.ts';
import { Refusal } from '../errors.ts';

/** Validates a rates file and stores it whole (nothing stored when a line is bad). */
export async function loadRatesFile(db: Kysely<DB>, text: string, file: string): Promise<{ rates: number }> {
  const parsed = parseRatesCsv(text);
  if (parsed.problems.length > 0)
    throw new Refusal(`rates refused, nothing stored:\n  ${parsed.problems.map((p) => `${file}:${p}`).join('\n  ')}`);
  if (parsed.rates.length === 0) throw new Refusal(`${file}: no rates`);
  await db.transaction().execute((tx) => upsertRates(tx, parsed.rates));
  return { rates: parsed.rates.length };
}

/** A lookup answering exactly the asked (currency, day) pairs from the stored rates. */
export async function storedRates(db: Kysely<DB>, needs: readonly FxNeed[]): Promise<FxLookup> {
  const unique = [...new Map(needs.map((n) => [`${n.currency} ${n.day}`, n])).values()];
  const found = await latestRates(db, unique);
  const answers = new Map(found.map((f) => [`${f.currency} ${f.day}`, f.rate ?? undefined]));
  return (currency, day) => answers.get(`${currency} ${day}`);
}
