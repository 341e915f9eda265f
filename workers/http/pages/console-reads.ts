// The console's read pages: thin adapters from a request to services/pages and a template.
import type { FastifyInstance } from 'fastify';
import { activeOverridesOf, latestLedgerEntries, partnerRow } from '../../../db/repositories/console.ts';
import { listActiveOverrides } from '../../../db/repositories/overrides.ts';
import * as reads from '../../../services/pages/console.ts';
import { partnerPage } from '../../../services/pages/partner-page.ts';
import { decisionTrail } from '../../../services/reads.ts';
import { Refusal } from '../../../services/errors.ts';
import type { ConsoleContext } from './console.ts';
import { CONSOLE_PATH } from './console-auth.ts';
import {
  AT_RISK,
  DEAD_LETTER,
  DEAD_LETTERS,
  MESSAGE,
  NEAR_PROMOTION,
  OVERRIDES,
  OVERVIEW,
  PARTNER_DETAIL,
  PARTNERS,
  PROGRAMS,
} from './console-templates.ts';
import { statusLine } from './partner.ts';

const STATUSES = ['qualified', 'grace', 'hold', 'review', 'override', 'none'];
const LEDGER_LIMIT = 50;
const iso = (d: Date | string | null): string => (d === null ? '' : d instanceof Date ? d.toISOString() : d);
const reasonText = (reason: unknown): string => (typeof reason === 'string' ? reason : JSON.stringify(reason, null, 2));

/** The query string of the list's filters, without the cursor (for the next link and the CSV). */
function filtersOf(query: Record<string, unknown>): string {
  const params = new URLSearchParams();
  for (const key of ['q', 'tier', 'status', 'risk', 'sort'])
    if (typeof query[key] === 'string' && query[key] !== '') params.set(key, String(query[key]).slice(0, 200));
  return params.toString();
}

export function registerConsoleReads(app: FastifyInstance, c: ConsoleContext): void {
  const { db } = c;

  app.get(CONSOLE_PATH, async (request, reply) => {
    const program = await c.program();
    const today = c.today(program?.timezone ?? 'UTC');
    const data = await reads.overview(db, today);
    const chart = { kind: 'bars', x: data.days.map((d) => d.day), y: data.days.map((d) => d.decisions) };
    return c.page(request, reply, OVERVIEW, { title: 'Overview', ...data, chart });
  });

  app.get(`${CONSOLE_PATH}/partners`, async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const { rows, next } = await reads.listPartners(db, reads.partnerQuery(query));
    return c.page(request, reply, PARTNERS, {
      title: 'Partners',
      rows,
      next,
      query,
      statuses: STATUSES,
      filters: filtersOf(query),
    });
  });

  app.get(`${CONSOLE_PATH}/partners.csv`, async (request, reply) => {
    const q = reads.partnerQuery(request.query as Record<string, unknown>);
    reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', 'attachment; filename="partners.csv"')
      .header('cache-control', 'no-store');
    let csv = '';
    for await (const chunk of reads.partnersCsv(db, q)) csv += chunk;
    return reply.send(csv);
  });

  app.get(`${CONSOLE_PATH}/partners/:id`, async (request, reply) => {
    const partnerId = (request.params as { id: string }).id;
    if (partnerId.length > 200 || !(await partnerRow(db, partnerId)))
      return c.page(
        request,
        reply,
        MESSAGE,
        { title: 'Not found', heading: 'Unknown partner', message: `No partner ${partnerId}.` },
        404,
      );
    return c.page(request, reply, PARTNER_DETAIL, await partnerDetailView(c, partnerId));
  });

  app.get(`${CONSOLE_PATH}/at-risk`, async (request, reply) =>
    c.page(request, reply, AT_RISK, { title: 'At risk', rows: await reads.atRisk(db) }),
  );
  app.get(`${CONSOLE_PATH}/near-promotion`, async (request, reply) =>
    c.page(request, reply, NEAR_PROMOTION, { title: 'Near promotion', rows: await reads.nearPromotion(db) }),
  );
  app.get(`${CONSOLE_PATH}/overrides`, async (request, reply) =>
    c.page(request, reply, OVERRIDES, { title: 'Overrides', rows: await listActiveOverrides(db), form: {} }),
  );

  app.get(`${CONSOLE_PATH}/dead-letters`, async (request, reply) => {
    const page = await reads.deadLetters(db, request.query as Record<string, unknown>);
    const rows = page.rows.map((r) => ({
      ...r,
      reasonText: reasonText(r.reason).slice(0, 300),
      lastSeen: iso(r.last_seen_at),
      replayedAt: iso(r.replayed_at),
    }));
    return c.page(request, reply, DEAD_LETTERS, { title: 'Dead letters', ...page, rows });
  });
  app.get(`${CONSOLE_PATH}/dead-letters/:id`, async (request, reply) => {
    const row = await reads.deadLetter(db, (request.params as { id: string }).id);
    if (!row)
      return c.page(
        request,
        reply,
        MESSAGE,
        { title: 'Not found', heading: 'Unknown dead letter', message: 'No such dead letter.' },
        404,
      );
    return c.page(request, reply, DEAD_LETTER, {
      title: `Dead letter ${row.id}`,
      row,
      reasonText: reasonText(row.reason),
      lastSeen: iso(row.last_seen_at),
      replayedAt: iso(row.replayed_at),
    });
  });

  app.get(`${CONSOLE_PATH}/programs`, async (request, reply) => {
    const rows = (await reads.programVersions(db)).map((r) => ({ ...r, loadedAt: iso(r.loaded_at) }));
    return c.page(request, reply, PROGRAMS, { title: 'Programs', rows });
  });
}

/** The partner detail view; `extra` adds a notice, an error or a fresh link. */
export async function partnerDetailView(c: ConsoleContext, partnerId: string, extra: object = {}) {
  const { db } = c;
  // All at once (the decision trail too: an unknown partner's Refusal reads as no decisions).
  const [row, page, overrides, ledger, program, decisions] = await Promise.all([
    partnerRow(db, partnerId),
    c.program().then((program) => partnerPage(db, partnerId, program)),
    activeOverridesOf(db, partnerId),
    latestLedgerEntries(db, partnerId, LEDGER_LIMIT),
    c.program(),
    decisionTrail(db, partnerId, { all: false }).catch((error: unknown) => {
      if (!(error instanceof Refusal)) throw error;
      return [];
    }),
  ]);
  const allTiers = program
    ? [
        ...new Map(
          program.versions.flatMap((v) => v.program.tracks.flatMap((t) => t.tiers)).map((t) => [t.id, t]),
        ).values(),
      ]
    : [];
  return {
    title: row?.name ?? partnerId,
    name: row?.name ?? partnerId,
    partnerId,
    page,
    statusLine: page ? statusLine(page.scorecard, page.effective?.name) : '',
    tiers: page && page.tiers.length > 0 ? page.tiers : allTiers.map((t) => ({ id: t.id, name: t.name })),
    overrides,
    ledger,
    ledgerLimit: LEDGER_LIMIT,
    decisions: decisions
      .toReversed()
      .map((d) => ({ ...d, detailsText: JSON.stringify({ metrics: d.metrics, criteria: d.criteria }, null, 2) })),
    ...extra,
  };
}
