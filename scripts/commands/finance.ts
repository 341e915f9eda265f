// `tierline finance --period P [--as-of D] [--json|--csv]`: entitled vs paid per partner and
// benefit for an accrual period, from the database; or pure with `--program/--events` like
// `evaluate` (then --as-of is required). Invalid events are listed on stderr and exit 1 after
// the report, as `evaluate` does.
import type { Command } from 'commander';
import { parseAccrualPeriod, type AccrualPeriod } from '../../domain/accrual-period.ts';
import { formatDay, parseDay, type Day } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { financeRows, financeTotals, type FinanceRow } from '../../domain/finance.ts';
import { financeReport } from '../../services/finance.ts';
import { today } from '../../workers/clock.ts';
import { CliError, refusalsAsCliErrors } from '../lib/errors.ts';
import { foldEventsFile, reportInvalidEvents } from '../lib/events-file.ts';
import { readProgramFiles } from '../lib/program-files.ts';
import { readOverrides, readReviews } from '../lib/side-files.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import type { ReviewDecision } from '../../domain/reviews.ts';
import { openDatabase } from '../lib/services.ts';
import { reportMissingOptionsTogether } from '../lib/required-options.ts';
import { csvLine } from '../lib/csv.ts';

interface FinanceOptions {
  period: string;
  asOf?: string;
  json?: boolean;
  csv?: boolean;
  program?: string[];
  events?: string;
  overrides?: string;
  reviews?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
const COLUMNS = ['partnerId', 'period', 'benefit', 'entitled', 'paid', 'difference'] as const;

/** Prints rows as they come (JSON Lines, CSV or a table) and the totals at the end (table only). */
class FinancePrinter {
  private readonly all: FinanceRow[] = [];
  constructor(
    private readonly options: FinanceOptions,
    private readonly out: NodeJS.WritableStream,
  ) {
    if (options.csv) out.write(csvLine(COLUMNS));
  }

  rows(rows: readonly FinanceRow[]): void {
    let text = '';
    for (const r of rows) {
      this.all.push(r);
      if (this.options.json) text += `${JSON.stringify(r)}\n`;
      else if (this.options.csv) text += csvLine(COLUMNS.map((c) => r[c]));
      else
        text += `${r.partnerId.padEnd(16)} ${r.benefit.padEnd(10)} ${r.entitled.padStart(14)} ${r.paid.padStart(14)} ${r.difference.padStart(14)}\n`;
    }
    this.out.write(text);
  }

  heading(period: AccrualPeriod, asOf: Day, programId: string, currency: string): void {
    if (this.options.json || this.options.csv) return;
    this.out.write(`Finance for ${period.text} as of ${formatDay(asOf)} (program ${programId}, ${currency})\n`);
    this.out.write(
      `${'partner'.padEnd(16)} ${'benefit'.padEnd(10)} ${'entitled'.padStart(14)} ${'paid'.padStart(14)} ${'difference'.padStart(14)}\n`,
    );
  }

  totals(digits: number): void {
    if (this.options.json || this.options.csv) return;
    const t = financeTotals(this.all, digits);
    if (this.all.length === 0) this.out.write('no entitlements or payouts for this period\n');
    this.out.write(
      `totals: entitled ${t.entitled}, paid ${t.paid}, overpaid ${t.overpaid}, underpaid ${t.underpaid}` +
        (t.overpaidShare === null ? '\n' : ` (overpaid ${t.overpaidShare}% of entitled)\n`),
    );
  }
}

function parseOptions(options: FinanceOptions): { period: AccrualPeriod; asOf: Day | undefined } {
  const period = parseAccrualPeriod(options.period);
  if (period === undefined)
    throw new CliError(`--period: expected YYYY, YYYY-Qn or YYYY-MM, got ${JSON.stringify(options.period)}`);
  const asOf = options.asOf === undefined ? undefined : parseDay(options.asOf);
  if (options.asOf !== undefined && asOf === undefined)
    throw new CliError(`--as-of: expected a date YYYY-MM-DD, got ${JSON.stringify(options.asOf)}`);
  if (options.json && options.csv) throw new CliError('--json and --csv: choose one output format');
  const pure = options.program !== undefined || options.events !== undefined;
  if (!pure && (options.overrides !== undefined || options.reviews !== undefined))
    throw new CliError('--overrides and --reviews go with --program/--events; the database has its own');
  if (pure && (options.program === undefined || options.events === undefined || asOf === undefined))
    throw new CliError('without the database, give --program, --events and --as-of together (as for evaluate)');
  return { period, asOf };
}

export async function runFinance(
  options: FinanceOptions,
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const { period, asOf } = parseOptions(options);
  const printer = new FinancePrinter(options, out);
  if (options.program && options.events && asOf !== undefined) {
    const program = await readProgramFiles(options.program);
    const overrides = options.overrides ? await readOverrides(options.overrides) : new Map<string, OverrideRule[]>();
    const reviews = options.reviews ? await readReviews(options.reviews) : new Map<string, ReviewDecision[]>();
    const batch = new BatchEvaluation(program);
    await foldEventsFile(batch, options.events);
    printer.heading(period, asOf, program.id, program.currency);
    const ids = [...new Set([...batch.partnerIds(), ...batch.folder.payouts.keys()])].sort((a, b) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    for (const id of ids) {
      const ledger = batch.evaluate(id, asOf, overrides.get(id) ?? [], reviews.get(id) ?? [])?.ledger ?? [];
      const payouts = batch.folder.payouts.get(id)?.values() ?? [];
      printer.rows(financeRows({ partnerId: id, ledger, payouts }, period, asOf, program.digits));
    }
    printer.totals(program.digits);
    return reportInvalidEvents(batch, options.events, err) ? 1 : 0;
  }
  const db = await openDatabase();
  try {
    const run = await refusalsAsCliErrors(() =>
      financeReport(db, period, asOf ?? ((tz: string) => today(tz)), {
        onStart: (r) => printer.heading(period, r.asOf, r.program.id, r.program.currency),
        onRows: (rows) => printer.rows(rows),
      }),
    );
    printer.totals(run.program.digits);
    return 0;
  } finally {
    await db.destroy();
  }
}

export function registerFinance(program: Command): void {
  const finance = program
    .command('finance')
    .description('entitled vs paid per partner and benefit for an accrual period (overpayment report)')
    .requiredOption('--period <period>', 'the accrual period: YYYY, YYYY-Qn or YYYY-MM')
    .option('--as-of <date>', 'the day the report is made as of, YYYY-MM-DD (default today)')
    .option('--json', 'one JSON object per row')
    .option('--csv', 'CSV with a header line')
    .option('--program <file>', 'without the database: program file(s), as for evaluate', collect)
    .option('--events <file>', 'without the database: events as JSON Lines, as for evaluate')
    .option('--overrides <file>', 'without the database: manual overrides as JSON Lines, as for evaluate')
    .option('--reviews <file>', 'without the database: demotion review decisions as JSON Lines, as for evaluate')
    .action(async (options: FinanceOptions) => {
      process.exitCode = await runFinance(options);
    });
  reportMissingOptionsTogether(finance);
}
