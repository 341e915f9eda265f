// The console's reviews, finance and what-if pages (SPEC §9–§12). A review decision goes
// through services/reviews.ts `decideReview`, exactly as `tierline reviews approve/reject`,
// audited with the form's name as "NAME (console)"; finance and what-if read through
// services/pages/economics.ts and store nothing. A refusal shows its one-line message (a
// refused draft every problem by path) with a 400, never a 500.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorMessage } from '../../../lib/errors.ts';
import { Refusal } from '../../../services/errors.ts';
import { wakePartner } from '../../../services/overrides.ts';
import * as economics from '../../../services/pages/economics.ts';
import { decideReview } from '../../../services/reviews.ts';
import { DraftRefused } from '../../../services/whatif.ts';
import type { ConsoleContext } from './console.ts';
import { actor, field, type Form } from './console-actions.ts';
import { CONSOLE_PATH } from './console-auth.ts';
import { FINANCE, REVIEWS, WHATIF } from './console-templates.ts';

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
    const period = queryText(query, 'period');
    const asOf = queryText(query, 'asOf');
    const shown = { period, asOf };
    if (period === undefined) return c.page(request, reply, FINANCE, { title: 'Finance', query: shown });
    try {
      const report = await economics.financeView(db, period, asOf, c.today);
      const csvQuery = new URLSearchParams({ period: report.period, ...(asOf ? { asOf: report.asOf } : {}) });
      return c.page(request, reply, FINANCE, {
        title: `Finance ${report.period}`,
        query: shown,
        report,
        csvQuery: csvQuery.toString(),
        more: report.count > report.rows.length,
        shown: report.rows.length,
      });
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return c.page(request, reply, FINANCE, { title: 'Finance', query: shown, error: error.message }, 400);
    }
  });

  app.get(`${CONSOLE_PATH}/finance.csv`, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    try {
      const csv = await economics.financeCsv(db, queryText(query, 'period') ?? '', queryText(query, 'asOf'), c.today);
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="finance.csv"')
        .header('cache-control', 'no-store')
        .send(csv);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return reply.code(400).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(error.message);
    }
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
      if (draft.trim() === '') throw new Refusal('paste a draft program version (JSON or YAML)');
      const result = await economics.whatIfView(db, draft, asOf, c.today);
      return c.page(request, reply, WHATIF, {
        ...view,
        result,
        moreMoved: result.movedCount > result.moved.length,
        movedShown: result.moved.length,
      });
    } catch (error) {
      if (error instanceof DraftRefused)
        return c.page(request, reply, WHATIF, { ...view, problems: error.problems }, 400);
      if (!(error instanceof Refusal)) throw error;
      return c.page(request, reply, WHATIF, { ...view, error: error.message }, 400);
    }
  });
}
