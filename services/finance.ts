// The finance report from the database (docs/finance.md): the stored facts of every partner
// with an event or a payout for the period, evaluated as of the day with its overrides and
// review decisions (the ledger's own rules), against the stored payouts of the period; a chunk of partners at a time.
import type { Kysely } from 'kysely';
import { partnerIdsAfter } from '../db/repositories/partners.ts';
import { payoutPartnersAfter, payoutsOfPeriod } from '../db/repositories/payouts.ts';
import { activeOverrides } from '../db/repositories/recompute.ts';
import { storedReviewDecisions } from '../db/repositories/review-decisions.ts';
import type { DB } from '../db/types.ts';
import type { AccrualPeriod } from '../domain/accrual-period.ts';
import { dayOrThrow, type Day } from '../domain/dates.ts';
import { evaluatePartner } from '../domain/evaluation/scorecard.ts';
import { programMinor } from '../domain/facts/fold.ts';
import type { PayoutFact } from '../domain/facts/types.ts';
import { financeRows, type FinanceRow } from '../domain/finance.ts';
import type { ProgramSet } from '../domain/program/load.ts';
import { Refusal } from './errors.ts';
import { loadPartnerFacts } from './facts.ts';
import { loadProgramSet } from './programs.ts';

const CHUNK = 500;

export interface FinanceRun {
  program: ProgramSet;
  asOf: Day;
}

/** Every row of the report, in partner order, handed to `on.onRows` a chunk at a time. */
export async function financeReport(
  db: Kysely<DB>,
  period: AccrualPeriod,
  asOf: Day | ((timezone: string) => Day),
  on: { onStart?: (run: FinanceRun) => void; onRows: (rows: FinanceRow[]) => void },
): Promise<FinanceRun> {
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  const day = typeof asOf === 'function' ? asOf(program.timezone) : asOf;
  on.onStart?.({ program, asOf: day });
  for await (const ids of financePartners(db, period.text)) {
    const [facts, payouts, overrides, reviews] = await Promise.all([
      loadPartnerFacts(db, ids, program.currency),
      payoutsByPartner(db, ids, period.text, program.currency),
      db.transaction().execute((trx) => activeOverrides(trx, ids)),
      storedReviewDecisions(db, ids),
    ]);
    const rows: FinanceRow[] = [];
    for (const id of ids) {
      const f = facts.get(id);
      const ledger = f ? evaluatePartner(program, f, day, overrides.get(id) ?? [], reviews.get(id) ?? []).ledger : [];
      rows.push(...financeRows({ partnerId: id, ledger, payouts: payouts.get(id) ?? [] }, period, day, program.digits));
    }
    on.onRows(rows);
  }
  return { program, asOf: day };
}

/** Partners with an event, and partners with a payout for the period, merged in id order. */
async function* financePartners(db: Kysely<DB>, period: string): AsyncGenerator<string[]> {
  let after: string | null = null;
  for (;;) {
    const [named, paid]: [string[], string[]] = await Promise.all([
      partnerIdsAfter(db, after, CHUNK),
      payoutPartnersAfter(db, period, after, CHUNK),
    ]);
    const ids: string[] = [...new Set([...named, ...paid])]
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, CHUNK);
    if (ids.length === 0) return;
    after = ids[ids.length - 1] ?? null;
    yield ids;
  }
}

async function payoutsByPartner(
  db: Kysely<DB>,
  ids: readonly string[],
  period: string,
  programCurrency: string,
): Promise<Map<string, PayoutFact[]>> {
  const out = new Map<string, PayoutFact[]>();
  for (const r of await payoutsOfPeriod(db, ids, period)) {
    const fact: PayoutFact = {
      partnerId: r.partner_id,
      payoutId: r.payout_id,
      benefit: r.benefit,
      amountMinor: programMinor(r.amount, r.currency, r.fx_rate ?? undefined, programCurrency),
      currency: r.currency,
      fxRate: r.fx_rate ?? undefined,
      paidAt: dayOrThrow(r.paid_at),
      period: r.period,
      version: Number(r.version),
      eventId: r.event_id,
    };
    const list = out.get(r.partner_id);
    if (list) list.push(fact);
    else out.set(r.partner_id, [fact]);
  }
  return out;
}
