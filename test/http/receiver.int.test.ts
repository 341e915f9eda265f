// The HTTP receiver against the real Redis and Postgres, through Fastify's inject() (no port):
// what is refused enqueues nothing, what is accepted is on the queue before the 202, and
// the ingest workers turn it into facts.
import net from 'node:net';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_EVENT_BYTES } from '../../domain/events/parse.ts';
import { QUEUES, type QueueName } from '../../queues/catalog.ts';
import { openRedis } from '../../queues/connection.ts';
import { closeQueues, openQueues, type Queues } from '../../queues/queues.ts';
import { waitForJobs } from '../../queues/wait.ts';
import { buildServer, type AcceptedResponse } from '../../workers/http/server.ts';
import { signBody } from '../../workers/http/signature.ts';
import { REDACT_PATHS } from '../../workers/logger.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { track } from '../setup/leaks.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';

const SECRETS = { crm: 'crm-secret-0123456789abcdef', lms: 'lms-secret-0123456789abcdef' };
const BODY_LIMIT = 1024 * 1024;
const EMAIL = 'alice.primary@contoso.example';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

const partner = {
  id: 'crm-p-1-v1',
  source: 'crm',
  type: 'partner.upserted',
  occurredAt: '2026-10-01T09:00:00Z',
  partnerId: 'P-HTTP-1',
  data: {
    name: 'Contoso Resell',
    partnerType: 'reseller',
    contacts: [{ email: EMAIL, name: 'Alice', role: 'primary' }],
    version: 1,
  },
};

const deal = (i: number) => ({
  id: `crm-d-${i}-v1`,
  source: 'crm',
  type: 'deal.upserted',
  occurredAt: '2026-10-02T10:00:00Z',
  partnerId: 'P-HTTP-1',
  data: {
    dealId: `D-${i}`,
    stage: 'closed_won',
    amount: '1000.00',
    currency: 'USD',
    customerId: `C-${i}`,
    closedAt: '2026-10-02',
    version: 1,
  },
});

const certification = {
  id: 'lms-c-1',
  source: 'lms',
  type: 'certification.earned',
  occurredAt: '2026-10-03T10:00:00Z',
  partnerId: 'P-HTTP-1',
  data: { personId: 'person-1', certificationId: 'sales-expert', earnedAt: '2026-10-03' },
};

function signed(source: string, body: string | Buffer, secret = SECRETS.crm, t = nowSeconds()): InjectOptions {
  return {
    method: 'POST',
    url: `/events/${source}`,
    headers: { 'content-type': 'application/json', 'x-tierline-signature': signBody(secret, body, t) },
    payload: body,
  };
}

async function waitingJobs(queues: Queues): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const name of [QUEUES.crm, QUEUES.lms, QUEUES.erp]) {
    const c = await queues[name].getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized');
    counts[name] = Object.values(c).reduce((a, b) => a + b, 0);
  }
  return counts;
}

const nothingQueued = { crm: 0, lms: 0, erp: 0 };

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describeWithPostgres('HTTP receiver', () => {
  let pipeline: Pipeline;
  let app: FastifyInstance;
  let release: () => void;
  const logs: string[] = [];

  beforeAll(async () => {
    pipeline = await createPipeline();
    const log = pino(
      { level: 'debug', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
      { write: (line: string) => void logs.push(line) },
    );
    app = buildServer({
      queues: pipeline.queues,
      db: pipeline.database.db,
      secrets: SECRETS,
      log,
      bodyLimit: BODY_LIMIT,
    });
    release = track({ kind: 'fastify', label: 'receiver', close: () => app.close() });
    await app.ready();
  });

  afterAll(async () => {
    release?.();
    await app?.close();
    await pipeline?.stop();
  });

  describe('refuses, enqueueing nothing', () => {
    const body = JSON.stringify(deal(1));

    it('an unsigned request: 401', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/events/crm',
        headers: { 'content-type': 'application/json' },
        payload: body,
      });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ error: 'Unauthorized' });
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it('a signature made with another secret: 401', async () => {
      const res = await app.inject(signed('crm', body, 'not-the-crm-secret-at-all'));
      expect(res.statusCode).toBe(401);
      expect(res.json().message).toMatch(/does not match/);
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it("another source's valid signature: 401 (secrets are per source)", async () => {
      const res = await app.inject(signed('crm', body, SECRETS.lms));
      expect(res.statusCode).toBe(401);
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it('a body changed after signing: 401', async () => {
      const request = signed('crm', body);
      const res = await app.inject({ ...request, payload: body.replace('1000.00', '9000.00') });
      expect(res.statusCode).toBe(401);
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it('every single-character change of a valid signature: 401', async () => {
      const header = signBody(SECRETS.crm, body, nowSeconds());
      const v1 = header.indexOf('v1=') + 3;
      for (let i = v1; i < header.length; i += 7) {
        const flipped = header.slice(0, i) + (header[i] === '0' ? '1' : '0') + header.slice(i + 1);
        const res = await app.inject({
          method: 'POST',
          url: '/events/crm',
          headers: { 'content-type': 'application/json', 'x-tierline-signature': flipped },
          payload: body,
        });
        expect(res.statusCode).toBe(401);
      }
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it('a stale timestamp, even correctly signed (replay): 401', async () => {
      const old = await app.inject(signed('crm', body, SECRETS.crm, nowSeconds() - 301));
      expect(old.statusCode).toBe(401);
      expect(old.json().message).toMatch(/timestamp/);
      const future = await app.inject(signed('crm', body, SECRETS.crm, nowSeconds() + 600));
      expect(future.statusCode).toBe(401);
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it('a malformed signature header: 401', async () => {
      for (const header of ['sha256=abc', `t=${nowSeconds()}`, `t=${nowSeconds()},v1=xyz`, `v1=${'a'.repeat(64)}`]) {
        const res = await app.inject({
          method: 'POST',
          url: '/events/crm',
          headers: { 'content-type': 'application/json', 'x-tierline-signature': header },
          payload: body,
        });
        expect(res.statusCode).toBe(401);
      }
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it('a source with no secret configured refuses everything: 401', async () => {
      const erp = JSON.stringify({ id: 'erp-1', source: 'erp', type: 'invoice.booked' });
      for (const secret of ['', 'anything', SECRETS.crm]) {
        const res = await app.inject({ ...signed('erp', erp, secret) });
        expect(res.statusCode).toBe(401);
      }
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
      const warnings = logs.filter((l) => l.includes('no secret configured for erp'));
      expect(warnings).toHaveLength(1);
    });

    it('an oversize body, even signed: 413', async () => {
      const events = Array.from({ length: 6_000 }, (_, i) => deal(i));
      const big = JSON.stringify(events);
      expect(Buffer.byteLength(big)).toBeGreaterThan(BODY_LIMIT);
      const res = await app.inject(signed('crm', big));
      expect(res.statusCode).toBe(413);
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it('an unknown source: 404', async () => {
      const res = await app.inject(signed('billing', body));
      expect(res.statusCode).toBe(404);
      const nested = await app.inject(signed('crm/extra', body));
      expect(nested.statusCode).toBe(404);
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it('a content type other than JSON: 415', async () => {
      const res = await app.inject({
        ...signed('crm', body),
        headers: { 'content-type': 'text/plain', 'x-tierline-signature': signBody(SECRETS.crm, body, nowSeconds()) },
      });
      expect(res.statusCode).toBe(415);
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
    });

    it('a signed body that is not JSON: 400, kept in the dead-letter store', async () => {
      const garbage = '{"id": "crm-broken", "source": "crm",';
      const res = await app.inject(signed('crm', garbage));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ message: expect.stringMatching(/not JSON/), deadLettered: 1 });
      const notUtf8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
      const res2 = await app.inject(signed('crm', notUtf8));
      expect(res2.statusCode).toBe(400);
      expect(res2.json().message).toMatch(/UTF-8/);
      const empty = await app.inject(signed('crm', ''));
      expect(empty.statusCode).toBe(400);
      expect(await waitingJobs(pipeline.queues)).toEqual(nothingQueued);
      const dead = await pipeline.database.db
        .selectFrom('dead_letters')
        .select(['source', 'raw', 'reason'])
        .orderBy('id')
        .execute();
      expect(dead.map((d) => d.raw.toString('latin1'))).toEqual([garbage, notUtf8.toString('latin1')]);
      expect(dead.every((d) => d.source === 'crm')).toBe(true);
    });
  });

  describe('accepts signed events', () => {
    const jobIds: Array<{ queue: QueueName; id: string }> = [];
    const array = [partner, ...Array.from({ length: 600 }, (_, i) => deal(i))];

    it('one event: 202 once its job is on the queue', async () => {
      const body = JSON.stringify(certification);
      const res = await app.inject(signed('lms', body, SECRETS.lms));
      expect(res.statusCode).toBe(202);
      const answer = res.json<AcceptedResponse>();
      expect(answer).toMatchObject({ accepted: 1, deadLettered: 0 });
      expect(answer.jobs).toHaveLength(1);
      const job = await pipeline.queues.lms.getJob(answer.jobs[0]!);
      expect(job?.data).toMatchObject({ origin: 'http', events: [{ raw: JSON.stringify(certification) }] });
      jobIds.push({ queue: 'lms', id: answer.jobs[0]! });
    });

    it('an array: 202 with its events in jobs of at most 500', async () => {
      const body = JSON.stringify(array);
      const res = await app.inject(signed('crm', body));
      expect(res.statusCode).toBe(202);
      const answer = res.json<AcceptedResponse>();
      expect(answer.accepted).toBe(601);
      expect(answer.jobs).toHaveLength(2);
      const jobs = await Promise.all(answer.jobs.map((id) => pipeline.queues.crm.getJob(id)));
      expect(jobs.map((j) => j?.data.events.length)).toEqual([500, 101]);
      expect(jobs[0]?.data.events[0].raw).toBe(JSON.stringify(partner));
      expect(new Set(jobs.map((j) => j?.data.runId)).size).toBe(1);
      for (const id of answer.jobs) jobIds.push({ queue: 'crm', id });
      expect((await waitingJobs(pipeline.queues)).crm).toBe(2);
    });

    it('the same body delivered again (new timestamp) is the same jobs', async () => {
      const body = JSON.stringify(array);
      const res = await app.inject(signed('crm', body, SECRETS.crm, nowSeconds() - 60));
      expect(res.statusCode).toBe(202);
      expect(res.json<AcceptedResponse>().jobs).toEqual(jobIds.filter((j) => j.queue === 'crm').map((j) => j.id));
      expect((await waitingJobs(pipeline.queues)).crm).toBe(2);
    });

    it('an element too large to be an event is dead-lettered here; the rest are queued', async () => {
      const huge = {
        ...deal(9_999),
        id: 'crm-huge',
        data: { ...deal(9_999).data, notes: 'x'.repeat(MAX_EVENT_BYTES) },
      };
      // A crm event sent to the lms endpoint: queued, and dead-lettered by the worker.
      const misrouted = { ...deal(7_777), id: 'crm-misrouted' };
      const body = JSON.stringify([certification, huge, misrouted]);
      const res = await app.inject(signed('lms', body, SECRETS.lms));
      expect(res.statusCode).toBe(202);
      const answer = res.json<AcceptedResponse>();
      expect(answer).toMatchObject({ accepted: 2, deadLettered: 1 });
      for (const id of answer.jobs) jobIds.push({ queue: 'lms', id });
      const dead = await pipeline.database.db
        .selectFrom('dead_letters')
        .select(['event_id', 'reason'])
        .where('event_id', '=', 'crm-huge')
        .executeTakeFirst();
      expect(JSON.stringify(dead?.reason)).toMatch(/over the 65536-byte limit/);
    });

    it('the workers store the facts in Postgres', async () => {
      await pipeline.startWorkers(['ingest']);
      const waiter = await waitForJobs(
        { queues: pipeline.queues, settings: pipeline.settings, connection: pipeline.connection },
        200,
      );
      try {
        await waiter.until(jobIds);
      } finally {
        await waiter.close();
      }
      await pipeline.stopWorkers();
      const db = pipeline.database.db;
      const inbox = await db.selectFrom('inbox').select(['source', 'event_id', 'outcome']).execute();
      expect(inbox).toHaveLength(602);
      expect(inbox.filter((r) => r.source === 'crm')).toHaveLength(601);
      expect(inbox.find((r) => r.event_id === 'lms-c-1')).toMatchObject({ source: 'lms', outcome: 'accepted' });
      const deals = await db
        .selectFrom('deals')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('partner_id', '=', 'P-HTTP-1')
        .executeTakeFirstOrThrow();
      expect(Number(deals.n)).toBe(600);
      const misrouted = await db
        .selectFrom('dead_letters')
        .select(['reason'])
        .where('event_id', '=', 'crm-misrouted')
        .executeTakeFirst();
      expect(JSON.stringify(misrouted?.reason)).toMatch(/lms queue/);
    });
  });

  describe('GET /healthz', () => {
    it('200 when Redis and Postgres answer', async () => {
      const res = await app.inject({ method: 'GET', url: '/healthz' });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ status: 'ok', redis: 'ok', postgres: 'ok' });
    });

    it('503 naming Redis when it cannot be reached; events are refused with 503, not 202', async () => {
      const port = await closedPort();
      const connection = openRedis(
        { url: `redis://127.0.0.1:${port}`, prefix: '{tltest-closed}', cluster: false },
        'producer',
      );
      connection.on('error', () => {});
      const queues = openQueues(connection, '{tltest-closed}');
      for (const q of Object.values(queues)) q.on('error', () => {});
      const down = buildServer({
        queues,
        db: pipeline.database.db,
        secrets: SECRETS,
        log: pino({ level: 'silent' }),
        healthTimeoutMs: 500,
      });
      const close = async (): Promise<void> => {
        await down.close();
        await closeQueues(queues).catch(() => {});
        connection.disconnect();
      };
      const releaseDown = track({ kind: 'fastify', label: 'receiver without redis', close });
      try {
        const res = await down.inject({ method: 'GET', url: '/healthz' });
        expect(res.statusCode).toBe(503);
        expect(res.json()).toMatchObject({
          status: 'unavailable',
          redis: expect.stringMatching(/unreachable|timeout/),
          postgres: 'ok',
        });
        const post = await down.inject(signed('crm', JSON.stringify(deal(1))));
        expect(post.statusCode).toBe(503);
        expect(post.headers['retry-after']).toBe('5');
      } finally {
        releaseDown();
        await close();
      }
    });
  });

  it('refuses events with 503 when fewer replicas than REDIS_ACK_REPLICAS hold them (resent, they count once)', async () => {
    // The shared Redis has no replica: WAIT 1 answers 0 once its timeout passes.
    const connection = openRedis(
      { url: pipeline.settings.url, prefix: pipeline.settings.prefix, cluster: false },
      'producer',
    );
    connection.on('error', () => {});
    const queues = openQueues(connection, pipeline.settings.prefix, { replicas: 1, timeoutMs: 50 });
    const strict = buildServer({ queues, db: pipeline.database.db, secrets: SECRETS, log: pino({ level: 'silent' }) });
    const close = async (): Promise<void> => {
      await strict.close();
      await closeQueues(queues).catch(() => {});
      connection.disconnect();
    };
    const release = track({ kind: 'fastify', label: 'receiver waiting for a replica', close });
    try {
      const body = JSON.stringify(deal(9_001));
      const refused = await strict.inject(signed('crm', body));
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      // The sender resends (here to a receiver that does not wait): the same job, not a second one.
      const accepted = await app.inject(signed('crm', body));
      expect(accepted.statusCode).toBe(202);
      const { jobs } = accepted.json<AcceptedResponse>();
      expect(jobs).toHaveLength(1);
      const job = await pipeline.queues.crm.getJob(jobs[0] as string);
      expect(job?.data.events).toHaveLength(1);
    } finally {
      release();
      await close();
    }
  });

  it('never logs secrets, signatures or email addresses', async () => {
    const body = JSON.stringify(partner);
    const header = signBody(SECRETS.crm, body, nowSeconds());
    await app.inject({
      method: 'POST',
      url: '/events/crm',
      headers: { 'content-type': 'application/json', 'x-tierline-signature': header },
      payload: body,
    });
    await app.inject({
      method: 'POST',
      url: '/events/crm',
      headers: { 'content-type': 'application/json', 'x-tierline-signature': header.replace(/v1=./, 'v1=0') },
      payload: body,
    });
    const all = logs.join('');
    expect(logs.length).toBeGreaterThan(10);
    expect(all).toContain('refused webhook');
    for (const secret of Object.values(SECRETS)) expect(all).not.toContain(secret);
    expect(all).not.toContain(header.split('v1=')[1]);
    expect(all).not.toContain(EMAIL);
    expect(all).not.toMatch(/[\w.+-]+@[\w-]+\.example/);
  });
});
