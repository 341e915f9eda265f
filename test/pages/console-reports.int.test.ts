// Console finance and what-if runs (issue 18 item 4): the result a recompute worker stores
// for a run equals what the CLI's services compute (services/finance.ts, services/whatif.ts);
// the same parameters submitted again reuse the run (one row, one job); a run that fails
// shows its error; an unfinished run's page reloads itself.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { insertConsoleReport } from '../../db/repositories/console-reports.ts';
import { parseAccrualPeriod } from '../../domain/accrual-period.ts';
import { dayOrThrow } from '../../domain/dates.ts';
import { financeTotals, type FinanceRow } from '../../domain/finance.ts';
import { WhatIfTally } from '../../domain/whatif.ts';
import { JOBS, QUEUES } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { submitFinance, submitWhatIf } from '../../services/console-reports.ts';
import { financeReport } from '../../services/finance.ts';
import type { FinanceView } from '../../services/pages/economics.ts';
import { whatIfFromDatabase } from '../../services/whatif.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  harderDraft,
  PERIOD,
  reportFinished,
  REVIEW_PROGRAM,
  REVIEW_TODAY,
  runIdOf,
  seedReviews,
} from './economics-support.ts';
import { ADMIN_TOKEN, startServer } from './support.ts';

const SLOW = 120_000;
const BEARER = { authorization: `Bearer ${ADMIN_TOKEN}` };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const today = () => dayOrThrow(REVIEW_TODAY);

describeWithPostgres('console finance and what-if runs', () => {
  let pipeline: Pipeline;
  let app: FastifyInstance;
  const db = () => pipeline.database.db;
  const get = (url: string) => app.inject({ method: 'GET', url, headers: BEARER });
  const post = (url: string, form: Record<string, string>) =>
    app.inject({ method: 'POST', url, headers: { ...BEARER, ...FORM }, payload: new URLSearchParams(form).toString() });
  const reports = async () => db().selectFrom('console_reports').selectAll().orderBy('created_at').execute();

  beforeAll(async () => {
    pipeline = await createPipeline(REVIEW_PROGRAM);
    await seedReviews(pipeline);
    await pipeline.startWorkers(['recompute']);
    ({ app } = await startServer(pipeline, REVIEW_TODAY));
  }, SLOW);
  afterAll(async () => {
    await app?.close();
    await pipeline?.stop();
  }, SLOW);

  it('a finance run stores what financeReport computes (view, totals, every row as CSV); resubmitting reuses it', async () => {
    const rows: FinanceRow[] = [];
    const cli = await financeReport(db(), parseAccrualPeriod(PERIOD)!, dayOrThrow(REVIEW_TODAY), {
      onRows: (r) => rows.push(...r),
    });
    expect(rows.length).toBeGreaterThan(0);

    const first = await submitFinance(db(), pipeline.queues, { period: PERIOD, by: 'Ana (console)' }, today);
    expect(first.created).toBe(true);
    await reportFinished(pipeline, first.id);
    const [row] = await reports();
    expect(row).toMatchObject({ id: first.id, kind: 'finance', status: 'done', error: null });
    expect(row?.params).toEqual({ period: PERIOD, asOf: REVIEW_TODAY });
    const view = row?.result as unknown as FinanceView;
    expect(view).toEqual({
      period: PERIOD,
      asOf: REVIEW_TODAY,
      programId: cli.program.id,
      currency: cli.program.currency,
      rows,
      count: rows.length,
      totals: financeTotals(rows, cli.program.digits),
    });
    expect(row?.csv?.split('\r\n').filter((l) => l !== '')).toEqual([
      'partnerId,period,benefit,entitled,paid,difference',
      ...rows.map((r) =>
        [r.partnerId, r.period, r.benefit, r.entitled, r.paid, r.difference].map((v) => `"${v}"`).join(','),
      ),
    ]);

    // The same parameters again (the as-of day spelled out, or left to today): the same run, not a new one.
    const again = await submitFinance(
      db(),
      pipeline.queues,
      { period: PERIOD, asOf: REVIEW_TODAY, by: 'Bo (console)' },
      today,
    );
    expect(again).toEqual({ id: first.id, kind: 'finance', created: false });
    const viaForm = await post('/console/finance', { period: PERIOD, asOf: REVIEW_TODAY });
    expect(viaForm.statusCode).toBe(303);
    expect(runIdOf(viaForm.headers.location)).toBe(first.id);
    expect(await reports()).toHaveLength(1);
    expect((await reports())[0]?.finished_at).toEqual(row?.finished_at);

    const page = await get(`/console/finance/runs/${first.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(`as of ${REVIEW_TODAY}, submitted by Ana (console).`);
    expect(page.body).not.toContain('http-equiv="refresh"');
    expect((await get(`/console/finance/runs/${first.id}/finance.csv`)).body).toBe(row?.csv);
    // A different day is a different run.
    const other = await submitFinance(db(), pipeline.queues, { period: PERIOD, asOf: '2026-01-31', by: 'x' }, today);
    expect(other.id).not.toBe(first.id);
    await reportFinished(pipeline, other.id);
  });

  it('a what-if run stores what whatIfFromDatabase computes; the same draft reformatted reuses the run', async () => {
    let tally = new WhatIfTally(2);
    await whatIfFromDatabase(db(), harderDraft(), dayOrThrow(REVIEW_TODAY), {
      onStart: (r) => (tally = new WhatIfTally(r.program.digits)),
      onLines: (lines) => lines.forEach((l) => tally.add(l)),
    });
    const summary = tally.summary();

    const res = await post('/console/programs/whatif', { draft: harderDraft() });
    expect(res.statusCode).toBe(303);
    const id = runIdOf(res.headers.location);
    await reportFinished(pipeline, id);
    const row = (await reports()).find((r) => r.id === id);
    const result = row?.result as {
      asOf: string;
      partners: number;
      movedCount: number;
      moved: Array<{ partnerId: string }>;
      ledger: Array<{ name: string; current: string; draft: string; difference: string }>;
    };
    expect(result.asOf).toBe(REVIEW_TODAY);
    expect(result.partners).toBe(summary.partners);
    expect(result.movedCount).toBe(summary.moved.length);
    expect(result.moved.map((m) => m.partnerId)).toEqual(summary.moved.map((m) => m.partnerId));
    for (const l of result.ledger) {
      const name = l.name as keyof typeof summary.current;
      expect([l.current, l.draft, l.difference]).toEqual([
        summary.current[name],
        summary.draft[name],
        summary.difference[name],
      ]);
    }

    const compact = JSON.stringify(JSON.parse(harderDraft()));
    const again = await submitWhatIf(db(), pipeline.queues, { draft: compact, asOf: REVIEW_TODAY, by: 'x' }, today);
    expect(again).toEqual({ id, kind: 'whatif', created: false });
    expect((await reports()).filter((r) => r.kind === 'whatif')).toHaveLength(1);
  });

  it('an unfinished run reloads itself; a failed run shows its error', async () => {
    // A run no worker has taken yet (inserted without a job).
    await insertConsoleReport(db(), {
      id: 'queued-run',
      kind: 'finance',
      params: { period: PERIOD, asOf: REVIEW_TODAY },
      requestedBy: 'console',
    });
    const queued = await get('/console/finance/runs/queued-run');
    expect(queued.statusCode).toBe(200);
    expect(queued.body).toContain('<meta http-equiv="refresh" content="2">');
    expect(queued.body).toContain('Queued since');
    expect(queued.body).not.toContain('id="finance-totals"');
    expect((await get('/console/finance/runs/queued-run/finance.csv')).statusCode).toBe(404);

    // A run whose computation is refused (parameters no submission would pass): failed for good.
    await insertConsoleReport(db(), {
      id: 'failing-run',
      kind: 'finance',
      params: { period: '2025-Q9', asOf: REVIEW_TODAY },
      requestedBy: 'console',
    });
    await enqueueMany(pipeline.queues, JOBS.consoleReport, QUEUES.recompute, [{ reportId: 'failing-run' }]);
    await expect(reportFinished(pipeline, 'failing-run')).rejects.toThrow();
    const failed = await get('/console/finance/runs/failing-run');
    expect(failed.statusCode).toBe(200);
    expect(failed.body).not.toContain('http-equiv="refresh"');
    expect(failed.body).toContain(
      '<span id="run-error">period: expected YYYY, YYYY-Qn or YYYY-MM, got &quot;2025-Q9&quot;</span>',
    );
    expect((await reports()).find((r) => r.id === 'failing-run')).toMatchObject({ status: 'failed' });
  });
});
