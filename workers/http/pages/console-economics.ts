// The console's reviews, finance and what-if pages (SPEC §9–§12). A review decision goes
// through services/reviews.ts `decideReview`, exactly as `tierline reviews approve/reject`,
// audited with the form's name as "NAME (console)". Finance and what-if evaluate every
// partner, too slow for a request: the form submits a run (services/console-reports.ts), a
// recompute worker computes it, and the 303 lands on the run's page, which reloads itself
// until the result is stored. A refusal (a bad period, a refused draft: every problem by
// path) is the form again with a 400, never a job and never a 500.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorMessage } from '../../../lib/errors.ts';
import { Refusal } from '../../../services/errors.ts';
import { wakePartner } from '../../../services/overrides.ts';
import * as economics from '../../../services/pages/economics.ts';
import { decideReview } from '../../../services/reviews.ts';
import {
  reportCsv,
  reportPage,
  submitFinance,
  submitWhatIf,
  type ReportPage,
} from '../../../services/console-reports.ts';
import type { FinanceView } from '../../../services/pages/economics.ts';
import { DraftRefused } from '../../../services/whatif.ts';
import type { ConsoleContext } from './console.ts';
import { actor, field, type Form } from './console-actions.ts';
import { CONSOLE_PATH } from './console-auth.ts';
import { FINANCE, FINANCE_RUN, MESSAGE, REVIEWS, WHATIF, WHATIF_RUN } from './console-templates.ts';

const PAST = { approve: 'approved', reject: 'rejected' } as const;

/** A query-string value as text, cut short (anything longer cannot be a period or a day). */
const queryText = (query: Record<string, unknown>, name: string): string | undefined => {
  const v = query[name];
  return typeof v === 'string' && v.trim() !== '' ? v.trim().slice(0, 100) : undefined;
};

export function registerConsoleEconomics(app: FastifyInstance, c: ConsoleContext): void {
  const { db } = c;

  const reviewsPage = async (request: FastifyRequest, reply: FastifyReply, extra: object = {}, status = 200) => {
    let rows: Awaited<ReturnType<typeof economics.reviewList>> = [];
    let error: string | undefined;
    try {
      rows = await economics.reviewList(db);
    } catch (e) {
      if (!(e instanceof Refusal)) throw e;
      error = e.message;
    }
    return c.page(request, reply, REVIEWS, { title: 'Reviews', rows, error, ...extra }, status);
  };

  app.get(`${CONSOLE_PATH}/reviews`, async (request, reply) => reviewsPage(request, reply));

  app.post(`${CONSOLE_PATH}/reviews`, { preHandler: c.protect }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    try {
      const decision = field(form, 'decision');
      if (decision !== 'approve' && decision !== 'reject') throw new Refusal('choose approve or reject');
      const partnerId = field(form, 'partnerId');
      if (partnerId === undefined) throw new Refusal('the partner id is required');
      const reason = field(form, 'reason');
      if (decision === 'reject' && reason === undefined) throw new Refusal('a rejection needs a reason');
      const d = await decideReview(db, { partnerId, decision, by: actor(form), reason }, { today: c.today });
      const why = d.reason === null ? '' : ` (${d.reason})`;
      if (d.created)
        await wakePartner(db, c.queues, partnerId).catch((error: unknown) =>
          request.log.warn({ reason: errorMessage(error) }, 'console: stored; waking the workers failed'),
        );
      const notice = d.created
        ? `Review ${PAST[decision]}: ${partnerId} ${
            decision === 'approve'
              ? `${d.fromTier} → ${d.toTier ?? 'none'} from ${d.on}`
              : `stays ${d.fromTier}; a new grace period starts on ${d.on}`
          } (by ${d.by}${why}).`
        : `The demotion review of ${partnerId} was already ${PAST[d.decision]} on ${d.on} by ${d.by}${why}; nothing stored.`;
      return reviewsPage(request, reply, { notice });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return reviewsPage(request, reply, { error: error.message }, 400);
    }
  });

  app.get(`${CONSOLE_PATH}/finance`, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const shown = { period: queryText(query, 'period'), asOf: queryText(query, 'asOf') };
    return c.page(request, reply, FINANCE, { title: 'Finance', query: shown });
  });

  app.post(`${CONSOLE_PATH}/finance`, { preHandler: c.protect }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const shown = { period: field(form, 'period'), asOf: field(form, 'asOf') };
    try {
      const run = await submitFinance(
        db,
        c.queues,
        { period: shown.period ?? '', asOf: shown.asOf, by: requester(form) },
        c.today,
      );
      return reply.code(303).header('location', `${CONSOLE_PATH}/finance/runs/${run.id}`).send();
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return c.page(request, reply, FINANCE, { title: 'Finance', query: shown, error: error.message }, 400);
    }
  });

  app.get(`${CONSOLE_PATH}/finance/runs/:id`, async (request, reply) => {
    const run = await reportPage(db, (request.params as { id: string }).id);
    if (run?.kind !== 'finance') return notFound(request, reply);
    const report = run.status === 'done' ? (run.result as unknown as FinanceView) : undefined;
    return c.page(request, reply, FINANCE_RUN, {
      ...runView(run),
      title: `Finance ${run.params.period ?? ''}`,
      report,
      more: report ? report.count > report.rows.length : false,
      shown: report?.rows.length ?? 0,
    });
  });

  app.get(`${CONSOLE_PATH}/finance/runs/:id/finance.csv`, async (request, reply) => {
    const csv = await reportCsv(db, (request.params as { id: string }).id);
    if (csv === undefined)
      return reply
        .code(404)
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .send('no finished finance run with this id');
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="finance.csv"')
      .header('cache-control', 'no-store')
      .send(csv);
  });

  app.get(`${CONSOLE_PATH}/programs/whatif`, async (request, reply) =>
    c.page(request, reply, WHATIF, { title: 'What-if' }),
  );

  app.post(`${CONSOLE_PATH}/programs/whatif`, { preHandler: c.protect }, async (request, reply) => {
    const form = (request.body ?? {}) as Form;
    const raw = form.draft;
    const draft = (Array.isArray(raw) ? raw[0] : raw) ?? '';
    const asOf = field(form, 'asOf');
    const view = { title: 'What-if', draft, asOf };
    try {
      const run = await submitWhatIf(db, c.queues, { draft, asOf, by: requester(form) }, c.today);
      return reply.code(303).header('location', `${CONSOLE_PATH}/programs/whatif/runs/${run.id}`).send();
    } catch (error) {
      if (error instanceof DraftRefused)
        return c.page(request, reply, WHATIF, { ...view, problems: error.problems }, 400);
      if (!(error instanceof Refusal)) throw error;
      return c.page(request, reply, WHATIF, { ...view, error: error.message }, 400);
    }
  });

  app.get(`${CONSOLE_PATH}/programs/whatif/runs/:id`, async (request, reply) => {
    const run = await reportPage(db, (request.params as { id: string }).id);
    if (run?.kind !== 'whatif') return notFound(request, reply);
    const result = run.status === 'done' ? (run.result as unknown as WhatIfResult) : undefined;
    return c.page(request, reply, WHATIF_RUN, {
      ...runView(run),
      title: 'What-if',
      result,
      moreMoved: result ? result.movedCount > result.moved.length : false,
      movedShown: result?.moved.length ?? 0,
    });
  });

  const notFound = (request: FastifyRequest, reply: FastifyReply) =>
    c.page(
      request,
      reply,
      MESSAGE,
      { title: 'Not found', heading: 'No such run', message: 'There is no finance or what-if run with this id.' },
      404,
    );
}

type WhatIfResult = Awaited<ReturnType<typeof economics.whatIfView>>;

/** Who asked: the form's optional name, else "console" (a run reads, it changes nothing). */
const requester = (form: Form): string => {
  const by = field(form, 'by');
  return by === undefined ? 'console' : `${by.slice(0, 100)} (console)`;
};

const stamp = (d: Date | null): string | undefined =>
  d ? `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC` : undefined;

/** The status part of a run's page; unfinished runs reload themselves every two seconds. */
function runView(run: ReportPage) {
  const finished = run.status === 'done' || run.status === 'failed';
  return {
    id: run.id,
    status: run.status,
    params: run.params,
    requestedBy: run.requestedBy,
    done: run.status === 'done',
    failed: run.status === 'failed',
    error: undefined,
    runError: run.error,
    createdAt: stamp(run.createdAt),
    startedAt: stamp(run.startedAt),
    finishedAt: stamp(run.finishedAt),
    refresh: finished ? undefined : 2,
  };
}
