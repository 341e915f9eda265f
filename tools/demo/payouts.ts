// The demo's payouts: finance paid last quarter the way a yearly spreadsheet does it — every
// deal of the quarter at the rates of the tier on record when the quarter began — instead of at
// the tier of each deal's close day, as the ledger accrues. Partners demoted within the quarter
// come out overpaid (promoted ones underpaid), which `tierline finance` then shows.
import type { Kysely } from 'kysely';
import { partnerIdsAfter } from '../../db/repositories/partners.ts';
import type { DB } from '../../db/types.ts';
import { civilFromDays, dayOrThrow, formatDay, periodStart, type Day } from '../../domain/dates.ts';
import { BENEFITS } from '../../domain/evaluation/ledger.ts';
import { evaluatePartner } from '../../domain/evaluation/scorecard.ts';
import { formatMinor, multiplyMinor } from '../../domain/money.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import { applyEventBatch } from '../../services/ingest/batch.ts';
import { loadPartnerFacts } from '../../services/facts.ts';
import { financeReport } from '../../services/finance.ts';
import { parseAccrualPeriod } from '../../domain/accrual-period.ts';
import { financeTotals, type FinanceRow } from '../../domain/finance.ts';

const CHUNK = 500;
/** Days after the quarter's end on which finance pays. */
const PAID_AFTER_DAYS = 15;

/** The last full quarter before `today`: its text (YYYY-Qn), first and last day. */
export function lastQuarter(today: Day): { text: string; from: Day; to: Day } {
  const to = periodStart(today, 'quarter') - 1;
  const { y, m } = civilFromDays(to);
  const text = `${y}-Q${Math.ceil(m / 3)}`;
  const period = parseAccrualPeriod(text);
  if (!period) throw new Error(`no quarter ${text}`);
  return { text, from: period.from, to: period.to };
}

/** Records last quarter's payouts for every partner; returns the period and how many were recorded. */
export async function recordQuarterPayouts(
  db: Kysely<DB>,
  program: ProgramSet,
  today: string,
): Promise<{ period: string; payouts: number }> {
  const quarter = lastQuarter(dayOrThrow(today));
  const paidAt = formatDay(Math.min(quarter.to + PAID_AFTER_DAYS, dayOrThrow(today)));
  const ctx = { currency: program.currency, timezone: program.timezone };
  let recorded = 0;
  let after: string | null = null;
  for (;;) {
    const ids: string[] = await partnerIdsAfter(db, after, CHUNK);
    if (ids.length === 0) break;
    after = ids[ids.length - 1] ?? null;
    const facts = await loadPartnerFacts(db, ids, program.currency);
    const events: { raw: string }[] = [];
    for (const [partnerId, f] of facts) {
      const atQuarterEnd = evaluatePartner(program, f, quarter.to);
      const rates = evaluatePartner(program, f, quarter.from - 1).scorecard.benefits;
      const dealAmounts = new Map<string, bigint>();
      for (const line of atQuarterEnd.ledger)
        if (line.closedAt >= quarter.from) dealAmounts.set(line.dealId, line.dealAmountMinor);
      for (const { name, rate } of BENEFITS) {
        let paid = 0n;
        for (const amount of dealAmounts.values())
          paid += multiplyMinor(amount, program.digits, rates[rate] ?? '0', program.digits);
        if (paid === 0n) continue;
        events.push({
          raw: JSON.stringify({
            id: `demo-payout-${partnerId}-${quarter.text}-${name}`,
            source: 'erp',
            type: 'payout.recorded',
            occurredAt: `${paidAt}T09:00:00Z`,
            partnerId,
            data: {
              payoutId: `PAY-${quarter.text}-${partnerId}-${name}`,
              benefit: name,
              amount: formatMinor(paid, program.digits),
              currency: program.currency,
              paidAt,
              period: quarter.text,
              version: 1,
            },
          }),
        });
      }
    }
    if (events.length > 0) await applyEventBatch(db, ctx, events);
    recorded += events.length;
  }
  return { period: quarter.text, payouts: recorded };
}

export interface FinanceSummary {
  period: string;
  entitled: string;
  paid: string;
  overpaid: string;
  underpaid: string;
  overpaidPartners: number;
}

/** The finance report's totals for the period as of today (what `tierline finance --period P` ends with). */
export async function financeSummary(db: Kysely<DB>, period: string, today: string): Promise<FinanceSummary> {
  const p = parseAccrualPeriod(period);
  if (!p) throw new Error(`bad period ${period}`);
  const rows: FinanceRow[] = [];
  const run = await financeReport(db, p, dayOrThrow(today), { onRows: (r) => rows.push(...r) });
  const totals = financeTotals(rows, run.program.digits);
  const over = new Set(
    rows.filter((r) => !r.difference.startsWith('-') && /[1-9]/.test(r.difference)).map((r) => r.partnerId),
  );
  return { period, ...totals, overpaidPartners: over.size };
}
