// GET /p/{token}: the partner's own page (SPEC §12). The token is checked (one HMAC, constant
// time) before anything about the partner is read; a tampered, foreign, expired or
// unknown-partner token gets the same 404 page.
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import type { DB } from '../../../db/types.ts';
import { formatDay, type Day } from '../../../domain/dates.ts';
import type { Scorecard } from '../../../domain/evaluation/scorecard.ts';
import type { ProgramSet } from '../../../domain/program/load.ts';
import { verifyPartnerToken } from '../../../services/links.ts';
import { partnerPage, whatCounted, type PartnerPage } from '../../../services/pages/partner-page.ts';
import { sendHtml } from './headers.ts';
import { longDate, renderNotFound, renderPartner } from './templates.ts';

export interface PartnerPageOptions {
  db: Kysely<DB>;
  secret: string;
  today(timezone: string): Day;
  /** The stored program, cached. */
  program(): Promise<ProgramSet | undefined>;
}

export function statusLine(scorecard: Scorecard, tierName: string | undefined): string {
  const tier = tierName ?? 'No tier';
  switch (scorecard.status) {
    case 'qualified':
      return `${tier}: you meet its requirements.`;
    case 'grace':
      return scorecard.graceEndsOn
        ? `${tier} until ${longDate(scorecard.graceEndsOn)} unless you requalify.`
        : `${tier} in a grace period: requalify to keep it.`;
    case 'review':
      return `${tier} while the program reviews your standing.`;
    case 'hold':
      return `${tier}, held by the program's policy.`;
    case 'override':
      return `${tier}, set by your partner manager.`;
    case 'none':
      return 'No tier yet: the requirements of the first tier are below.';
  }
}

export function partnerView(page: PartnerPage, programName: string, counted?: unknown) {
  const labels = page.tiers.map((t) => t.name);
  const history = page.history.map((h) => ({ ...h, tierName: page.tiers[h.rank]?.name ?? h.tierId }));
  return {
    title: page.name,
    program: programName,
    statusLine: statusLine(page.scorecard, page.effective?.name),
    page: { ...page, history },
    counted,
    chart: { kind: 'tiers', labels, x: history.map((h) => h.month), y: history.map((h) => h.rank) },
  };
}

export function registerPartnerPage(app: FastifyInstance, options: PartnerPageOptions): void {
  app.get('/p/:token', async (request, reply) => {
    const program = await options.program();
    const today = program ? formatDay(options.today(program.timezone)) : '9999-12-31';
    const claims = verifyPartnerToken((request.params as { token?: unknown }).token, options.secret, today);
    const page = claims && program ? await partnerPage(options.db, claims.partnerId, program) : undefined;
    if (!page || !program || !claims) return sendHtml(reply, 404, renderNotFound());
    const latest = program.versions[program.versions.length - 1]?.program;
    const token = (request.params as { token: string }).token;
    const counted = await whatCounted(
      options.db,
      claims.partnerId,
      page.scorecard.asOf,
      (request.query as { deals?: unknown }).deals,
    );
    return sendHtml(
      reply,
      200,
      renderPartner(
        partnerView(page, latest?.name ?? program.id, { ...counted, self: `/p/${encodeURIComponent(token)}` }),
      ),
    );
  });
}
