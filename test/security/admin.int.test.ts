// Issue 8 part 3: the queue dashboard's every kind of route (page, assets, reads, and the
// actions that retry, clean, pause, empty or obliterate queues) and /metrics refuse a request
// without the token, with a wrong one, or with path tricks around the /admin/queues prefix;
// and a refused action changes nothing. test/ops/metrics.int.test.ts covers the happy paths
// (bearer, the ?token= login and its cookie).
import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DASHBOARD_PATH, sessionValue } from '../../workers/http/dashboard.ts';
import { buildServer } from '../../workers/http/server.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { track } from '../setup/leaks.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';

const ADMIN = 'admin-token-for-the-security-test-0123456789';
const METRICS = 'metrics-token-for-the-security-test-0123456789';

type Method = NonNullable<InjectOptions['method']>;

// One route of each kind bull-board serves (see @bull-board/api routes), read and write.
const ROUTES: Array<[Method, string]> = [
  ['GET', ''],
  ['GET', '/'],
  ['GET', '/queue/crm'],
  ['GET', '/static/index.html'],
  ['GET', '/api/queues'],
  ['GET', '/api/redis/stats'],
  ['GET', '/api/queues/crm/job-1'],
  ['PUT', '/api/queues/crm/retry/failed'],
  ['PUT', '/api/queues/crm/clean/waiting'],
  ['PUT', '/api/queues/crm/pause'],
  ['PUT', '/api/queues/pause'],
  ['PUT', '/api/queues/crm/empty'],
  ['PUT', '/api/queues/crm/obliterate'],
  ['PUT', '/api/queues/crm/job-1/promote'],
  ['PATCH', '/api/queues/crm/job-1/update-data'],
  ['POST', '/api/queues/crm/add'],
];

// Spellings of the prefix a router or proxy might normalise differently.
const PREFIXES = [
  DASHBOARD_PATH,
  `${DASHBOARD_PATH}/.`,
  '/admin/./queues',
  '/admin/x/../queues',
  '//admin/queues',
  '/admin//queues',
  '/ADMIN/QUEUES',
  '/admin/queues%2F',
  '/admin%2Fqueues',
  '/admin/queues;x=1',
];

describeWithPostgres('admin endpoints refuse without the token', () => {
  let pipeline: Pipeline;
  let app: FastifyInstance;
  let release: () => void;

  beforeAll(async () => {
    pipeline = await createPipeline();
    await pipeline.queues.crm.add(
      'ingest-events',
      { events: [], origin: 'replay', runId: 'security' },
      { jobId: 'job-1', delay: 3_600_000 },
    );
    app = buildServer({
      queues: pipeline.queues,
      db: pipeline.database.db,
      secrets: {},
      log: pino({ level: 'silent' }),
      adminToken: ADMIN,
      metricsTokens: [METRICS, ADMIN],
    });
    release = track({ kind: 'fastify', label: 'admin security', close: () => app.close() });
    await app.ready();
  });

  afterAll(async () => {
    release?.();
    await app?.close();
    await pipeline?.stop();
  });

  const ask = (method: Method, url: string, headers: Record<string, string> = {}) =>
    app.inject({
      method,
      url,
      headers: { ...headers, ...(method === 'GET' ? {} : { 'content-type': 'application/json' }) },
      ...(method === 'GET' ? {} : { payload: '{}' }),
    });

  it('refuses every dashboard route without a valid token, however the prefix is spelled', async () => {
    const wrong: Array<[string, Record<string, string>]> = [
      ['no credentials', {}],
      ['a wrong bearer token', { authorization: 'Bearer not-the-admin-token' }],
      ['the metrics token', { authorization: `Bearer ${METRICS}` }],
      ['the token as basic auth', { authorization: `Basic ${Buffer.from(`admin:${ADMIN}`).toString('base64')}` }],
      ['the token itself as the cookie', { cookie: `tierline_admin=${ADMIN}` }],
      ['the session of another token', { cookie: `tierline_admin=${sessionValue(`${ADMIN}x`)}` }],
      ['the token with a suffix', { authorization: `Bearer ${ADMIN}x` }],
      ['the token in lower case bearer with a space', { authorization: `bearer  ${ADMIN.slice(0, -1)}` }],
    ];
    const opened: string[] = [];
    for (const prefix of PREFIXES) {
      for (const [method, route] of ROUTES) {
        for (const [what, headers] of wrong) {
          const res = await ask(method, `${prefix}${route}`, headers);
          if (res.statusCode < 300 || res.statusCode >= 500)
            opened.push(`${method} ${prefix}${route} with ${what}: ${res.statusCode}`);
        }
        const query = await ask(method, `${prefix}${route}?token=${ADMIN.slice(0, -1)}`);
        if (query.statusCode < 300 || query.statusCode >= 500)
          opened.push(`${method} ${prefix}${route}?token=<wrong>: ${query.statusCode}`);
      }
    }
    expect(opened).toEqual([]);
  });

  it('left the queues as they were: nothing paused, emptied or obliterated', async () => {
    const crm = pipeline.queues.crm;
    expect(await crm.isPaused()).toBe(false);
    expect((await crm.getJob('job-1'))?.id).toBe('job-1');
    expect(await crm.getJobCounts('delayed')).toEqual({ delayed: 1 });
  });

  it('opens with the admin token (the refusals above are not a broken dashboard)', async () => {
    expect((await ask('GET', `${DASHBOARD_PATH}/api/queues`, { authorization: `Bearer ${ADMIN}` })).statusCode).toBe(
      200,
    );
  });

  it('refuses /metrics without one of its tokens', async () => {
    const refusals: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nope' },
      { authorization: `Bearer ${METRICS}x` },
      { cookie: `tierline_admin=${sessionValue(ADMIN)}` },
    ];
    for (const headers of refusals) expect((await ask('GET', '/metrics', headers)).statusCode).toBe(401);
    expect((await ask('GET', `/metrics?token=${METRICS}`)).statusCode).toBe(401);
    expect((await ask('GET', '/metrics', { authorization: `Bearer ${METRICS}` })).statusCode).toBe(200);
  });
});
