// FX rates (SPEC §13): `date,currency,rate` = program-currency units per unit of `currency`. A
// foreign amount takes the rate of the latest day on or before its business date.
import { dayOrThrow, parseDay } from '../dates.ts';
import { canonicalDecimal, currencyDigits, isPositiveDecimal } from '../money.ts';
import { parseCsv } from './csv.ts';
import type { Outcome } from './outcome.ts';

export interface FxRate {
  day: string;
  currency: string;
  rate: string;
}

export interface FxParse {
  rates: FxRate[];
  /** "N: reason", N the 1-based line. */
  problems: string[];
}

/** Parses a rates file with a `date,currency,rate` header (columns in any order, extra ones ignored). */
export function parseRatesCsv(text: string): FxParse {
  const { header, rows } = parseCsv(text);
  const problems: string[] = [];
  const col = (name: string) => header.findIndex((h) => h.trim().toLowerCase() === name);
  const [d, c, r] = [col('date'), col('currency'), col('rate')];
  if (d < 0 || c < 0 || r < 0) return { rates: [], problems: ['1: the header must name date, currency and rate'] };
  const rates: FxRate[] = [];
  for (const { line, cells } of rows) {
    const day = (cells[d] ?? '').trim();
    const currency = (cells[c] ?? '').trim().toUpperCase();
    const rate = (cells[r] ?? '').trim();
    if (parseDay(day) === undefined) problems.push(`${line}: date ${JSON.stringify(day)} is not YYYY-MM-DD`);
    else if (currencyDigits(currency) === undefined)
      problems.push(`${line}: currency ${JSON.stringify(currency)} is not an ISO 4217 code`);
    else if (!isPositiveDecimal(rate)) problems.push(`${line}: rate ${JSON.stringify(rate)} is not a positive decimal`);
    else rates.push({ day, currency, rate: canonicalDecimal(rate) });
  }
  return { rates, problems };
}

export type FxLookup = (currency: string, day: string) => string | undefined;

/** An in-memory lookup: per currency, days sorted, the latest on or before the asked day. */
export function fxTable(rates: readonly FxRate[]): FxLookup {
  const byCurrency = new Map<string, Array<{ day: number; rate: string }>>();
  for (const r of rates) {
    const list = byCurrency.get(r.currency) ?? [];
    list.push({ day: dayOrThrow(r.day), rate: r.rate });
    byCurrency.set(r.currency, list);
  }
  for (const list of byCurrency.values()) list.sort((a, b) => a.day - b.day);
  return (currency, dayText) => {
    const list = byCurrency.get(currency);
    const day = parseDay(dayText);
    if (!list || day === undefined) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    let found: string | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const entry = list[mid];
      if (entry && entry.day <= day) {
        found = entry.rate;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  };
}

/** Sets the event's fxRate from the lookup; no rate → a problem naming currency and day. */
export function applyFx(outcome: Outcome, lookup: FxLookup): Outcome {
  if (outcome.kind !== 'event' || !outcome.fx) return outcome;
  const { currency, day } = outcome.fx;
  const rate = lookup(currency, day);
  if (rate === undefined)
    return { kind: 'problem', ref: outcome.ref, reason: `no FX rate for ${currency} on or before ${day}` };
  return {
    kind: 'event',
    ref: outcome.ref,
    event: { ...outcome.event, data: { ...outcome.event.data, fxRate: rate } },
  };
}
