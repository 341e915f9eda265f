// Issue 8 part 2, the receiver side: every case of the hostile corpus (test/fixtures/hostile)
// is POSTed, correctly signed, to `tierline serve` (in process, through inject) and runs
// through the ingest, recompute and notifier workers. Per case: the status, stored exactly
// once or dead-lettered with a reason naming the problem; then no polluted prototype,
// promotion emails without header injection or live markup, signature attacks refused, and
// the receiver and workers still serving.
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../workers/http/server.ts';
import { signBody } from '../../workers/http/signature.ts';
import { HOSTILE_CASES, caseBytes, outcomeOf } from '../fixtures/hostile/cases.ts';
import { pollUntil } from '../setup/wait.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { track } from '../setup/leaks.ts';
import { itHandlesTheCorpus, startHostilePipeline, type HostilePipeline } from './hostile-support.ts';

const SECRETS = {
  crm: 'hostile-crm-secret-0123456789abcdef',
  lms: 'hostile-lms-secret-0123456789abcdef',
  erp: 'hostile-erp-secret-0123456789abcdef',
};
/** Small enough that the corpus's 140 KB body is over it. */
const BODY_LIMIT = 128 * 1024;
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

function signed(
  source: keyof typeof SECRETS,
  body: Buffer | string,
  signature = signBody(SECRETS[source], body, nowSeconds()),
): InjectOptions {
  return {
    method: 'POST',
    url: `/events/${source}`,
    headers: { 'content-type': 'application/json', 'x-tierline-signature': signature },
    payload: body,
  };
}

const canary = (id: string) =>
  JSON.stringify({
    id,
    source: 'crm',
    type: 'deal.upserted',
    occurredAt: '2026-11-20T10:00:00Z',
    partnerId: 'P-HOSTILE-CANARY',
    data: { dealId: id, stage: 'open', amount: '1.00', currency: 'USD', version: 1 },
  });

describeWithPostgres('hostile corpus through the HTTP receiver', () => {
  let h: HostilePipeline;
  let app: FastifyInstance;
  let release: () => void;
  const statuses = new Map<string, number>();

  beforeAll(async () => {
    h = await startHostilePipeline();
    app = buildServer({
      queues: h.pipeline.queues,
      db: h.pipeline.database.db,
      secrets: SECRETS,
      log: pino({ level: 'silent' }),
      bodyLimit: BODY_LIMIT,
      adminToken: null,
      metricsTokens: [],
    });
    release = track({ kind: 'fastify', label: 'hostile receiver', close: () => app.close() });
    await app.ready();
    for (const c of HOSTILE_CASES) statuses.set(c.file, (await app.inject(signed(c.source, caseBytes(c)))).statusCode);
    await waitUntilDrained(h.pipeline);
  }, 120_000);

  afterAll(async () => {
    release?.();
    await app?.close();
    await h?.stop();
  });

  it('answers each case with its status', () => {
    const wrong = HOSTILE_CASES.flatMap((c) => {
      const expected = outcomeOf(c, 'http');
      const status = expected.outcome === 'refused' ? expected.status : (c.status ?? 202);
      return statuses.get(c.file) === status ? [] : [`${c.file}: ${statuses.get(c.file)}, expected ${status}`];
    });
    expect(wrong).toEqual([]);
  });

  itHandlesTheCorpus(() => h, 'http');

  it('refuses signature attacks and stores nothing from them', async () => {
    const body = canary('hostile-sig-attack');
    const other = canary('hostile-sig-attack-altered');
    const t = nowSeconds();
    const attacks: Array<[string, InjectOptions]> = [
      ['wrong secret', signed('crm', body, signBody('not-the-crm-secret-at-all-000000', body, t))],
      ['another source’s secret', signed('crm', body, signBody(SECRETS.lms, body, t))],
      ['timestamp six minutes old', signed('crm', body, signBody(SECRETS.crm, body, t - 6 * 60))],
      ['timestamp six minutes ahead', signed('crm', body, signBody(SECRETS.crm, body, t + 6 * 60))],
      ['valid signature reused with an altered body', signed('crm', other, signBody(SECRETS.crm, body, t))],
      [
        'signature of the body under a changed timestamp',
        signed('crm', body, signBody(SECRETS.crm, body, t).replace(`t=${t}`, `t=${t - 1}`)),
      ],
      ['no signature', { ...signed('crm', body), headers: { 'content-type': 'application/json' } }],
    ];
    for (const [what, request] of attacks) expect((await app.inject(request)).statusCode, what).toBe(401);
    await waitUntilDrained(h.pipeline);
    const db = h.pipeline.database.db;
    expect(
      await db.selectFrom('inbox').select('event_id').where('event_id', 'like', 'hostile-sig-attack%').execute(),
    ).toEqual([]);
    expect(
      await db.selectFrom('dead_letters').select('event_id').where('event_id', 'like', 'hostile-sig-attack%').execute(),
    ).toEqual([]);
  });

  it('is still serving afterwards: healthz, and a new event is stored', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject(signed('crm', canary('hostile-canary-after')))).statusCode).toBe(202);
    await pollUntil(
      'the canary event to be stored',
      async () =>
        (await h.pipeline.database.db
          .selectFrom('inbox')
          .select('event_id')
          .where('event_id', '=', 'hostile-canary-after')
          .executeTakeFirst()) ?? undefined,
      30_000,
      50,
    );
  });
});
