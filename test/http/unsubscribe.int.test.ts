// The unsubscribe endpoint: GET confirms, POST (the button or a one-click request) records
// the opt-out; a tampered token records nothing; the event endpoints stay JSON-only.
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildServer } from '../../workers/http/server.ts';
import { signUnsubscribeToken } from '../../workers/notifier/unsubscribe.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { track } from '../setup/leaks.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';

const SECRET = 'unsubscribe-test-secret';

describeWithPostgres('unsubscribe endpoint', () => {
  let pipeline: Pipeline;
  let app: FastifyInstance;
  let release: () => void;

  beforeAll(async () => {
    pipeline = await createPipeline();
    app = buildServer({
      queues: pipeline.queues,
      db: pipeline.database.db,
      secrets: { crm: 's', lms: 's', erp: 's' },
      log: pino({ level: 'silent' }),
      unsubscribeSecret: SECRET,
    });
    release = track({ kind: 'fastify', label: 'unsubscribe', close: () => app.close() });
    await app.ready();
  });

  afterAll(async () => {
    release?.();
    await app?.close();
    await pipeline?.stop();
  });

  const optOuts = () => pipeline.database.db.selectFrom('notification_preferences').selectAll().execute();

  it('GET shows a confirmation and records nothing', async () => {
    const token = signUnsubscribeToken({ partnerId: 'P-1', email: 'Ana@Example.com', kind: 'tier.at-risk' }, SECRET);
    const res = await app.inject({ method: 'GET', url: `/unsubscribe?token=${token}` });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('<form method="post"');
    expect(res.body).toContain('ana@example.com');
    expect(await optOuts()).toEqual([]);
  });

  it('a one-click POST records the opt-out for that partner, address and kind', async () => {
    const token = signUnsubscribeToken({ partnerId: 'P-1', email: 'ana@example.com', kind: 'tier.at-risk' }, SECRET);
    const res = await app.inject({
      method: 'POST',
      url: `/unsubscribe?token=${token}`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'List-Unsubscribe=One-Click',
    });
    expect(res.statusCode).toBe(200);
    const rows = await optOuts();
    expect(rows.map((r) => [r.partner_id, r.email, r.kind, r.opted_out_at !== null])).toEqual([
      ['P-1', 'ana@example.com', 'tier.at-risk', true],
    ]);
  });

  it('a tampered or foreign token is refused and records nothing', async () => {
    const forged = signUnsubscribeToken({ partnerId: 'P-2', email: 'bob@example.com', kind: '*' }, 'another-secret');
    for (const method of ['GET', 'POST'] as const) {
      const res = await app.inject({ method, url: `/unsubscribe?token=${forged}` });
      expect(res.statusCode).toBe(400);
    }
    expect((await optOuts()).some((r) => r.partner_id === 'P-2')).toBe(false);
  });

  it('the event endpoints still refuse form bodies', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/events/crm',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=b',
    });
    expect([401, 415]).toContain(res.statusCode);
  });
});
