// The console's finance and what-if runs (issue 18 item 4): evaluating every partner takes
// minutes at 100,000 partners, so the console submits a run and a recompute worker computes
// it (job `console-report`) through the same services as `tierline finance` and `tierline
// whatif` (services/finance.ts, services/whatif.ts, via services/pages/economics.ts). The
// run's id is a digest of its kind and parameters (the as-of day resolved, the draft as
// canonical JSON): the same parameters submitted again reuse the run, done or not. Bad input
// is refused at submission, before any job exists.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  consoleReport,
  consoleReportCsv,
  failConsoleReport,
  finishConsoleReport,
  insertConsoleReport,
  startConsoleReport,
  type ConsoleReportKind,
} from '../db/repositories/console-reports.ts';
import type { DB, JsonValue } from '../db/types.ts';
import { formatDay, parseDay, type Day } from '../domain/dates.ts';
import { loadDraft } from '../domain/program/draft.ts';
import { parseProgramDocument } from '../domain/program/load.ts';
import { JOBS, QUEUES } from '../queues/catalog.ts';
import { enqueueMany, type Queues } from '../queues/queues.ts';
import { Refusal } from './errors.ts';
import { financePeriod, financeResult, whatIfView } from './pages/economics.ts';
import { loadProgramSet } from './programs.ts';
import { DraftRefused } from './whatif.ts';

type Today = (timezone: string) => Day;

export interface FinanceParams {
  period: string;
  asOf: string;
}

export interface WhatIfParams {
  asOf: string;
  draft: string;
}

/** JSON with object keys sorted: two spellings of the same document are one text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

export const reportId = (kind: ConsoleReportKind, params: FinanceParams | WhatIfParams): string =>
  createHash('sha256')
    .update(`${kind}\u0000${canonical(params)}`)
    .digest('base64url')
    .slice(0, 32);

async function programOrRefuse(db: Kysely<DB>) {
  const program = await loadProgramSet(db);
  if (!program) throw new Refusal('no program is loaded: run `tierline program load FILE` first');
  return program;
}

function asOfDay(text: string | undefined, today: Today, timezone: string): string {
  if (text === undefined) return formatDay(today(timezone));
  const day = parseDay(text);
  if (day === undefined)
    throw new Refusal(`as of: expected a date YYYY-MM-DD, got ${JSON.stringify(text.slice(0, 40))}`);
  return formatDay(day);
}

export interface Submitted {
  id: string;
  kind: ConsoleReportKind;
  /** False when the same parameters were submitted before: that run is reused. */
  created: boolean;
}

async function submit(
  db: Kysely<DB>,
  queues: Queues,
  kind: ConsoleReportKind,
  params: FinanceParams | WhatIfParams,
  by: string,
): Promise<Submitted> {
  const id = reportId(kind, params);
  const created = await insertConsoleReport(db, { id, kind, params: { ...params }, requestedBy: by });
  const row = await consoleReport(db, id);
  // Queued again while unfinished: the job id is the run's, so a job still in Redis is not
  // added twice, and one lost with Redis is added again. A finished run is only read.
  if (row && (row.status === 'queued' || row.status === 'running'))
    await enqueueMany(queues, JOBS.consoleReport, QUEUES.recompute, [{ reportId: id }]);
  return { id, kind, created };
}

/** A finance run for a period as of a day (default today in the program's timezone). */
export async function submitFinance(
  db: Kysely<DB>,
  queues: Queues,
  input: { period: string; asOf?: string | undefined; by: string },
  today: Today,
): Promise<Submitted> {
  const period = financePeriod(input.period);
  const program = await programOrRefuse(db);
  const asOf = asOfDay(input.asOf, today, program.timezone);
  return submit(db, queues, 'finance', { period: period.text, asOf }, input.by);
}

/** A what-if run of a draft; a draft that does not validate is refused here (DraftRefused), not run. */
export async function submitWhatIf(
  db: Kysely<DB>,
  queues: Queues,
  input: { draft: string; asOf?: string | undefined; by: string },
  today: Today,
): Promise<Submitted> {
  if (input.draft.trim() === '') throw new Refusal('paste a draft program version (JSON or YAML)');
  const asOfText = input.asOf;
  if (asOfText !== undefined && parseDay(asOfText) === undefined)
    throw new Refusal(`as of: expected a date YYYY-MM-DD, got ${JSON.stringify(asOfText.slice(0, 40))}`);
  const program = await programOrRefuse(db);
  const loaded = loadDraft(input.draft, program);
  if (!loaded.ok) throw new DraftRefused(loaded.problems);
  const parsed = parseProgramDocument(input.draft);
  const draft = parsed.ok ? canonical(parsed.value) : input.draft;
  return submit(db, queues, 'whatif', { asOf: asOfDay(asOfText, today, program.timezone), draft }, input.by);
}

/**
 * Computes a submitted run (the `console-report` job) and stores its result; a run already
 * finished is left alone. A Refusal (the program was removed meanwhile) is stored as the run's
 * error and thrown; other errors are thrown for the job to retry (failReport stores the last).
 */
export async function computeReport(db: Kysely<DB>, id: string): Promise<'done' | 'skipped'> {
  const row = await consoleReport(db, id);
  if (!row) throw new Refusal(`console report ${id} does not exist`);
  if (!(await startConsoleReport(db, id))) return 'skipped';
  const params = row.params as Record<string, string>;
  const fixed = (day: string) => () => parseDay(day) as Day;
  try {
    if (row.kind === 'finance') {
      const { view, csv } = await financeResult(db, params.period ?? '', params.asOf, fixed(params.asOf ?? ''));
      await finishConsoleReport(db, id, { result: view, csv });
    } else {
      const result = await whatIfView(db, params.draft ?? '', params.asOf, fixed(params.asOf ?? ''));
      await finishConsoleReport(db, id, { result, csv: null });
    }
  } catch (error) {
    if (error instanceof Refusal) await failConsoleReport(db, id, error.message);
    throw error;
  }
  return 'done';
}

/** Stores a run's last error once its job gives up. */
export async function failReport(db: Kysely<DB>, id: string, message: string): Promise<void> {
  await failConsoleReport(db, id, message.slice(0, 2_000));
}

export interface ReportPage {
  id: string;
  kind: ConsoleReportKind;
  status: 'queued' | 'running' | 'done' | 'failed';
  params: Record<string, string>;
  error: string | null;
  result: JsonValue | null;
  requestedBy: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** A run for its page (without the CSV), or undefined. */
export async function reportPage(db: Kysely<DB>, id: string): Promise<ReportPage | undefined> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
  const row = await consoleReport(db, id);
  if (!row) return undefined;
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    params: row.params as Record<string, string>,
    error: row.error,
    result: row.result,
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

/** A finished finance run's CSV, or undefined. */
export async function reportCsv(db: Kysely<DB>, id: string): Promise<string | undefined> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) return undefined;
  const row = await consoleReportCsv(db, id);
  return row?.kind === 'finance' && row.status === 'done' ? (row.csv ?? undefined) : undefined;
}
