// /metrics and /admin/queues on the receiver, against the real Redis and Postgres, with
// in-process workers feeding the process counters: queue depths from Redis, decisions and
// outbox from Postgres, jobs processed and tier changes from the workers; the dashboard
// only behind the admin token.
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JOBS } from '../../queues/catalog.ts';
import { enqueueMany } from '../../queues/queues.ts';
import { DASHBOARD_PATH } from '../../workers/http/dashboard.ts';
import { buildServer } from '../../workers/http/server.ts';
import { REDACT_PATHS } from '../../workers/logger.ts';
import { certificationEvent, dealEvent, ingestOne, partnerEvent } from '../ingest/support.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { track } from '../setup/leaks.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';

const ADMIN = 'admin-token-0123456789abcdef';
const SCRAPE = 'scrape-token-0123456789abcdef';

/** The value of one series in a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describeWithPostgres('operations endpoints', () => {
  let pipeline: Pipeline;
  const apps: FastifyInstance[] = [];
  const releases: Array<() => void> = [];
  const log = pino({ level: 'silent', redact: { paths: REDACT_PATHS, censor: '[redacted]' } });

  const server = async (
    options: { adminToken?: string | null; metricsTokens?: string[] } = {},
  ): Promise<FastifyInstance> => {
    const app = buildServer({
      queues: pipeline.queues,
      db: pipeline.database.db,
      secrets: {},
      log,
      adminToken: null,
      metricsTokens: [],
      ...options,
    });
    releases.push(track({ kind: 'fastify', label: 'ops', close: () => app.close() }));
    apps.push(app);
    await app.ready();
    return app;
  };

  beforeAll(async () => {
    vi.stubEnv('TIERLINE_TODAY', '2026-11-23');
    pipeline = await createPipeline();
  });
  afterEach(async () => {
    for (const release of releases.splice(0)) release();
    for (const app of apps.splice(0)) await app.close();
    await pipeline.stopWorkers();
  });
  afterAll(async () => {
    await pipeline?.stop();
    vi.unstubAllEnvs();
  });

  describe('/metrics', () => {
    it('reports queue depths per queue and state, read from Redis', async () => {
      const app = await server();
      const payloads = [1, 2, 3].map((i) => ({
        events: [{ raw: JSON.stringify(dealEvent(`m-${i}`, 'P-Q')), receivedAt: '2026-11-23T10:00:00Z' }],
        origin: 'replay',
        runId: `metrics-${i}`,
      }));
      await enqueueMany(pipeline.queues, JOBS.ingestEvents, 'crm', payloads);
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(sample(res.body, 'tierline_queue_jobs{queue="crm",state="waiting"}')).toBe(3);
      expect(sample(res.body, 'tierline_queue_jobs{queue="recompute",state="active"}')).toBe(0);
      expect(sample(res.body, 'tierline_metrics_source_up{source="redis"}')).toBe(1);
      expect(sample(res.body, 'tierline_metrics_source_up{source="postgres"}')).toBe(1);
      // The process's own registry is there too.
      expect(res.body).toMatch(/^process_cpu_user_seconds_total /m);
      await pipeline.queues.crm.obliterate({ force: true });
    });

    it('counts jobs processed, recompute latency and tier changes in the workers, and decisions and outbox rows in Postgres', async () => {
      const app = await server();
      await pipeline.startWorkers(['ingest', 'recompute']);
      // P-M1 reaches Silver on 2026-11-20 (revenue 300,000 and two sales certifications).
      await ingestOne(pipeline, 'crm', [
        JSON.stringify(partnerEvent('m-p1', 'P-M1', { contacts: [{ email: 'dana@example.com', role: 'primary' }] })),
        JSON.stringify(dealEvent('m-d1', 'P-M1', { dealId: 'D-M1', amount: '300000.00', closedAt: '2026-11-20' })),
      ]);
      await ingestOne(pipeline, 'lms', [
        JSON.stringify(certificationEvent('m-c1', 'P-M1', { personId: 'E-1', earnedAt: '2026-10-01' })),
        JSON.stringify(certificationEvent('m-c2', 'P-M1', { personId: 'E-2', earnedAt: '2026-10-01' })),
      ]);
      await waitUntilDrained(pipeline, 60_000);
      await pipeline.stopWorkers();

      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      const text = res.body;
      expect(sample(text, 'tierline_jobs_processed_total{queue="crm",job="ingest-events"}')).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'tierline_jobs_processed_total{queue="lms",job="ingest-events"}')).toBeGreaterThanOrEqual(1);
      expect(
        sample(text, 'tierline_jobs_processed_total{queue="recompute",job="recompute-wake"}'),
      ).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'tierline_events_ingested_total{outcome="accepted"}')).toBe(4);
      expect(sample(text, 'tierline_recompute_latency_seconds_count{job="recompute-wake"}')).toBeGreaterThanOrEqual(1);
      expect(
        sample(text, 'tierline_job_duration_seconds_count{queue="crm",job="ingest-events"}'),
      ).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'tierline_tier_changes_total{kind="promoted"}')).toBe(1);
      // From Postgres: the same promotion as a stored decision, and its notification.
      const stored = await pipeline.database.db.selectFrom('decisions').select('criteria').execute();
      expect(stored.map((d) => (d.criteria as { kind: string }).kind)).toEqual(['promoted']);
      expect(sample(text, 'tierline_decisions_stored{kind="promoted"}')).toBe(1);
      expect(sample(text, 'tierline_decisions_stored{kind="demoted"}')).toBe(0);
      const outbox = await pipeline.database.db.selectFrom('outbox').select('status').execute();
      expect(outbox.length).toBeGreaterThan(0);
      expect(sample(text, 'tierline_outbox_notifications{status="pending"}')).toBe(
        outbox.filter((o) => o.status === 'pending').length,
      );
      // Every status is reported, withdrawn included (issue 15), zero when there is none.
      expect(sample(text, 'tierline_outbox_notifications{status="withdrawn"}')).toBe(0);
      expect(sample(text, 'tierline_recompute_requests_owed')).toBe(0);
      expect(sample(text, 'tierline_dead_letters_stored{replayed="false"}')).toBe(0);
      expect(sample(text, 'tierline_queue_jobs{queue="recompute",state="completed"}')).toBeGreaterThanOrEqual(1);
    }, 90_000);

    it('wants a bearer token when tokens are configured', async () => {
      const app = await server({ metricsTokens: [SCRAPE, ADMIN] });
      expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
      expect(
        (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer nope' } })).statusCode,
      ).toBe(401);
      expect(
        (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${SCRAPE}` } }))
          .statusCode,
      ).toBe(200);
      expect(
        (await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${ADMIN}` } }))
          .statusCode,
      ).toBe(200);
    });
  });

  describe('/admin/queues', () => {
    it('is not there without an admin token', async () => {
      const app = await server({ adminToken: null });
      expect((await app.inject({ method: 'GET', url: DASHBOARD_PATH })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}?token=anything` })).statusCode).toBe(404);
      expect((await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}/api/queues` })).statusCode).toBe(404);
    });

    it('refuses without the token, opens with a bearer header or the cookie ?token= sets', async () => {
      const app = await server({ adminToken: ADMIN });
      const refused = await app.inject({ method: 'GET', url: DASHBOARD_PATH });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}/api/queues` })).statusCode).toBe(401);
      expect((await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}?token=wrong` })).statusCode).toBe(401);
      expect(
        (await app.inject({ method: 'GET', url: DASHBOARD_PATH, headers: { cookie: 'tierline_admin=forged' } }))
          .statusCode,
      ).toBe(401);
      expect(
        (await app.inject({ method: 'GET', url: DASHBOARD_PATH, headers: { cookie: `tierline_admin=${ADMIN}` } }))
          .statusCode,
      ).toBe(401);

      const bearer = await app.inject({
        method: 'GET',
        url: DASHBOARD_PATH,
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(bearer.statusCode).toBe(200);
      expect(bearer.body).toMatch(/<title>Tierline queues<\/title>/);

      const login = await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}?token=${ADMIN}` });
      expect(login.statusCode).toBe(302);
      expect(login.headers.location).toBe(DASHBOARD_PATH);
      const setCookie = String(login.headers['set-cookie']);
      expect(setCookie).toMatch(/^tierline_admin=[^;]+; Path=\/admin\/queues; HttpOnly; SameSite=Strict/);
      expect(setCookie).not.toContain(ADMIN);
      const cookie = setCookie.split(';')[0] as string;

      const page = await app.inject({ method: 'GET', url: DASHBOARD_PATH, headers: { cookie } });
      expect(page.statusCode).toBe(200);
      const api = await app.inject({
        method: 'GET',
        url: `${DASHBOARD_PATH}/api/queues`,
        headers: { cookie: `other=1; ${cookie}` },
      });
      expect(api.statusCode).toBe(200);
      expect((api.json() as { queues: Array<{ name: string }> }).queues.map((q) => q.name).sort()).toEqual([
        'crm',
        'erp',
        'lms',
        'recompute',
      ]);
      // Other query parameters survive the redirect.
      const deep = await app.inject({ method: 'GET', url: `${DASHBOARD_PATH}/queue/crm?status=failed&token=${ADMIN}` });
      expect(deep.headers.location).toBe(`${DASHBOARD_PATH}/queue/crm?status=failed`);
    });

    it('leaves the event endpoints and /healthz as they were', async () => {
      const app = await server({ adminToken: ADMIN });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
      const unsigned = await app.inject({
        method: 'POST',
        url: '/events/crm',
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(unsigned.statusCode).toBe(401);
    });
  });
});
