// The worker counters (workers/metrics.ts) from job events, the worker-process metrics
// server, and the request serializer that keeps tokens out of request logs. No services.
import { afterEach, describe, expect, it } from 'vitest';
import { redactedRequest, sessionValue } from '../../workers/http/dashboard.ts';
import {
  bearerMatches,
  jobsFailed,
  jobsProcessed,
  recomputeLatency,
  recordCompleted,
  recordFailed,
  registry,
  startMetricsServer,
  tierChanges,
  eventsIngested,
  metricsTokensFromEnv,
  type MetricsServer,
} from '../../workers/metrics.ts';
import { track } from '../setup/leaks.ts';

type JobFacts = Parameters<typeof recordCompleted>[1];
const job = (name: string, extra: Partial<JobFacts> = {}): JobFacts =>
  ({
    name,
    timestamp: 1_000,
    processedOn: 1_500,
    finishedOn: 1_750,
    attemptsMade: 1,
    opts: { attempts: 12 },
    ...extra,
  }) as JobFacts;

async function value(
  metric: {
    get(): Promise<{ values: Array<{ labels: Record<string, unknown>; value: number; metricName?: string }> }>;
  },
  labels: Record<string, string>,
  metricName?: string,
): Promise<number> {
  const { values } = await metric.get();
  return values
    .filter(
      (v) =>
        (metricName === undefined || v.metricName === metricName) &&
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    )
    .reduce((sum, v) => sum + v.value, 0);
}

describe('worker counters', () => {
  it('count completed jobs, their durations, recompute latency and tier changes by kind', async () => {
    const before = await value(tierChanges, { kind: 'promoted' });
    recordCompleted('recompute', job('recompute-partner'), {
      partners: 1,
      changes: { promoted: 2, demoted: 1, override: 0, restarted: 0, track: 0 },
      ledgerEntries: 0,
      decisions: 3,
      notifications: 1,
    });
    recordCompleted('recompute', job('recompute-chunk'), {
      partners: 500,
      changes: { promoted: 1, demoted: 0, override: 0, restarted: 0, track: 0 },
    });
    // The nightly run's result sums its chunks: not counted again.
    recordCompleted('recompute', job('nightly-run'), { changes: { promoted: 99 } });
    expect((await value(tierChanges, { kind: 'promoted' })) - before).toBe(3);
    expect(await value(tierChanges, { kind: 'demoted' })).toBeGreaterThanOrEqual(1);
    expect(await value(jobsProcessed, { queue: 'recompute', job: 'nightly-run' })).toBe(1);
    // Enqueued at 1000, finished at 1750: 0.75 s, in the histogram's count and sum.
    expect(
      await value(recomputeLatency, { job: 'recompute-partner' }, 'tierline_recompute_latency_seconds_count'),
    ).toBe(1);
    expect(
      await value(recomputeLatency, { job: 'recompute-partner' }, 'tierline_recompute_latency_seconds_sum'),
    ).toBeCloseTo(0.75);
    expect(await value(recomputeLatency, { job: 'nightly-run' }, 'tierline_recompute_latency_seconds_count')).toBe(0);
  });

  it('count ingest outcomes', async () => {
    recordCompleted('crm', job('ingest-events'), {
      accepted: 480,
      duplicate: 15,
      stale: 2,
      conflict: 1,
      'dead-lettered': 2,
    });
    expect(await value(eventsIngested, { outcome: 'accepted' })).toBe(480);
    expect(await value(eventsIngested, { outcome: 'dead-lettered' })).toBe(2);
    expect(await value(jobsProcessed, { queue: 'crm', job: 'ingest-events' })).toBe(1);
  });

  it('tell a failed attempt that will be retried from a final failure', async () => {
    recordFailed('lms', job('ingest-events', { finishedOn: undefined, attemptsMade: 3 }), new Error('deadlock'));
    recordFailed('lms', job('ingest-events', { finishedOn: 9_000, attemptsMade: 12 }), new Error('deadlock'));
    recordFailed(
      'lms',
      job('ingest-events', { finishedOn: undefined, attemptsMade: 1 }),
      Object.assign(new Error('bad payload'), { name: 'UnrecoverableError' }),
    );
    expect(await value(jobsFailed, { queue: 'lms', final: 'false' })).toBe(1);
    expect(await value(jobsFailed, { queue: 'lms', final: 'true' })).toBe(2);
  });

  it('expose every tier-change kind from the start', async () => {
    const text = await registry.metrics();
    for (const kind of ['promoted', 'demoted', 'override', 'restarted', 'track'])
      expect(text).toMatch(new RegExp(`^tierline_tier_changes_total\\{kind="${kind}"\\} \\d+`, 'm'));
  });
});

describe('worker metrics server (--metrics-port)', () => {
  let server: MetricsServer | undefined;
  let release: (() => void) | undefined;
  afterEach(async () => {
    release?.();
    await server?.close();
    server = undefined;
  });

  const start = async (tokens: string[], ok = true): Promise<MetricsServer> => {
    server = await startMetricsServer({
      port: 0,
      host: '127.0.0.1',
      tokens,
      health: async () => ({ ok, redis: ok ? 'ok' : 'unavailable', postgres: 'ok' }),
    });
    const s = server;
    release = track({ kind: 'metrics-server', label: s.address, close: () => s.close() });
    return s;
  };

  it('serves this process registry on /metrics and the health report on /healthz', async () => {
    const s = await start([]);
    const metrics = await fetch(`${s.address}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await metrics.text()).toMatch(/^# TYPE tierline_jobs_processed_total counter$/m);
    const health = await fetch(`${s.address}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', redis: 'ok', postgres: 'ok' });
    expect((await fetch(`${s.address}/other`)).status).toBe(404);
    expect((await fetch(`${s.address}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  it('answers 503 when a dependency is down', async () => {
    const s = await start([], false);
    const health = await fetch(`${s.address}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', redis: 'unavailable' });
  });

  it('wants a bearer token on /metrics when one is configured, never on /healthz', async () => {
    const s = await start(['scrape-token-0123456789']);
    expect((await fetch(`${s.address}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.address}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    expect(
      (await fetch(`${s.address}/metrics`, { headers: { authorization: 'Bearer scrape-token-0123456789' } })).status,
    ).toBe(200);
    expect((await fetch(`${s.address}/healthz`)).status).toBe(200);
  });
});

describe('tokens', () => {
  it('metrics accept TIERLINE_METRICS_TOKEN and TIERLINE_ADMIN_TOKEN; blank ones count as unset', () => {
    expect(metricsTokensFromEnv({})).toEqual([]);
    expect(metricsTokensFromEnv({ TIERLINE_METRICS_TOKEN: ' ', TIERLINE_ADMIN_TOKEN: '' })).toEqual([]);
    expect(metricsTokensFromEnv({ TIERLINE_METRICS_TOKEN: 'm', TIERLINE_ADMIN_TOKEN: 'a' })).toEqual(['m', 'a']);
    expect(bearerMatches('Bearer a', ['m', 'a'])).toBe(true);
    expect(bearerMatches('bearer  a ', ['a'])).toBe(true);
    expect(bearerMatches('Basic a', ['a'])).toBe(false);
    expect(bearerMatches(undefined, ['a'])).toBe(false);
  });

  it('the dashboard cookie holds a hash of the admin token, not the token', () => {
    expect(sessionValue('s3cret-admin')).not.toContain('s3cret-admin');
    expect(sessionValue('s3cret-admin')).toBe(sessionValue('s3cret-admin'));
    expect(sessionValue('s3cret-admin')).not.toBe(sessionValue('s3cret-admim'));
  });

  it('request logs carry URLs without token values', () => {
    const request = {
      method: 'GET',
      url: '/unsubscribe?kind=x&token=abc.def&token=again#frag',
      socket: { remotePort: 1 },
    } as unknown as Parameters<typeof redactedRequest>[0];
    expect(redactedRequest(request)).toMatchObject({
      method: 'GET',
      url: '/unsubscribe?kind=x&token=[redacted]&token=[redacted]#frag',
    });
    expect(redactedRequest({ ...request, url: '/admin/queues?TOKEN=abc' } as typeof request).url).toBe(
      '/admin/queues?TOKEN=[redacted]',
    );
  });
});
