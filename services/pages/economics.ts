// The console's reviews, finance and what-if reads (SPEC §9–§12): the same use cases as
// `tierline reviews list`, `tierline finance` and `tierline whatif`, shaped for a page (finance
// and what-if are computed by a background job: services/console-reports.ts).
// Input from forms and query strings is checked here; what does not parse is a Refusal
// with the CLI's one-line message.
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { parseAccrualPeriod, type AccrualPeriod } from '../../domain/accrual-period.ts';
import { formatDay, parseDay, type Day } from '../../domain/dates.ts';
import { financeTotals, type FinanceRow, type FinanceTotals } from '../../domain/finance.ts';
import { BENEFITS } from '../../domain/evaluation/ledger.ts';
import { matrixTiers, WhatIfTally, type WhatIfLine } from '../../domain/whatif.ts';
import { Refusal } from '../errors.ts';
import { financeReport } from '../finance.ts';
import { pendingReviews } from '../reviews.ts';
import { whatIfFromDatabase } from '../whatif.ts';
import { csvField } from './console.ts';

type Today = (timezone: string) => Day;

/** Rows shown on the finance page; the CSV has them all. */
export const FINANCE_SHOWN = 1000;
/** Moved partners listed on the what-if page. */
export const MOVED_SHOWN = 200;

export async function reviewList(db: Kysely<DB>) {
  return (await pendingReviews(db)).map((r) => ({
    partnerId: r.partnerId,
    fromTier: r.fromTier,
    toTier: r.toTier,
    since: formatDay(r.since),
    autoApprovesOn: formatDay(r.autoApprovesOn),
  }));
}

/** The as-of day of a form: absent is today (in the program's timezone). */
function asOfOf(text: string | undefined, today: Today): Day | Today {
  if (text === undefined) return today;
  const day = parseDay(text);
  if (day === undefined)
    throw new Refusal(`as of: expected a date YYYY-MM-DD, got ${JSON.stringify(text.slice(0, 40))}`);
  return day;
}

export function financePeriod(text: string): AccrualPeriod {
  const period = parseAccrualPeriod(text);
  if (period === undefined)
    throw new Refusal(`period: expected YYYY, YYYY-Qn or YYYY-MM, got ${JSON.stringify(text.slice(0, 40))}`);
  return period;
}

export interface FinanceView {
  period: string;
  asOf: string;
  programId: string;
  currency: string;
  rows: FinanceRow[];
  /** Rows in the report; only FINANCE_SHOWN are in `rows`. */
  count: number;
  totals: FinanceTotals;
}

const FINANCE_COLUMNS = ['partnerId', 'period', 'benefit', 'entitled', 'paid', 'difference'] as const;

/**
 * The finance report in one pass: the page's view (the first FINANCE_SHOWN rows, the totals of
 * all) and every row as CSV (the CLI's columns; partner ids that look like formulas defused).
 */
export async function financeResult(
  db: Kysely<DB>,
  periodText: string,
  asOfText: string | undefined,
  today: Today,
): Promise<{ view: FinanceView; csv: string }> {
  const period = financePeriod(periodText);
  const all: FinanceRow[] = [];
  const lines: string[] = [`${FINANCE_COLUMNS.join(',')}\r\n`];
  const run = await financeReport(db, period, asOfOf(asOfText, today), {
    onRows: (rows) => {
      all.push(...rows);
      for (const r of rows) lines.push(`${FINANCE_COLUMNS.map((c) => csvField(r[c])).join(',')}\r\n`);
    },
  });
  return {
    view: {
      period: period.text,
      asOf: formatDay(run.asOf),
      programId: run.program.id,
      currency: run.program.currency,
      rows: all.slice(0, FINANCE_SHOWN),
      count: all.length,
      totals: financeTotals(all, run.program.digits),
    },
    csv: lines.join(''),
  };
}

/** What-if of a draft's text against the stored history (the page's view). DraftRefused lists the problems. */
export async function whatIfView(db: Kysely<DB>, draftText: string, asOfText: string | undefined, today: Today) {
  let tally = new WhatIfTally(2);
  const run = await whatIfFromDatabase(db, draftText, asOfOf(asOfText, today), {
    onStart: (r) => (tally = new WhatIfTally(r.program.digits)),
    onLines: (lines) => lines.forEach((l) => tally.add(l)),
  });
  const summary = tally.summary();
  const sets = [run.program, run.draft];
  const tracks = [...summary.matrix]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([track, rows]) => {
      const tiers = matrixTiers(sets, track, rows);
      return {
        track,
        tiers,
        rows: tiers
          .filter((t) => rows.has(t))
          .map((from) => ({ from, counts: tiers.map((to) => rows.get(from)?.get(to) ?? 0) })),
      };
    });
  const side = (b: WhatIfLine['current']) => `${b.track ?? '(none)'} ${b.effectiveTier ?? '(none)'}`;
  return {
    asOf: formatDay(run.asOf),
    draftVersion: run.draft.versions[run.draft.versions.length - 1]?.program.version ?? '',
    partners: summary.partners,
    tracks,
    movedCount: summary.moved.length,
    moved: summary.moved
      .slice(0, MOVED_SHOWN)
      .map((m) => ({ partnerId: m.partnerId, from: side(m.current), to: side(m.draft) })),
    ledger: BENEFITS.map(({ name }) => ({
      name,
      current: summary.current[name],
      draft: summary.draft[name],
      difference: summary.difference[name],
    })),
  };
}
