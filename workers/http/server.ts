// The HTTP receiver (`tierline serve`): signed webhooks from the source systems onto the
// ingest queues, and a health check. See README "HTTP receiver" for the contract.
//
// POST /events/{crm|lms|erp}, body one event or a JSON array of events:
//  - the signature header is checked as soon as the headers arrive (missing, malformed or
//    stale: 401 before the body is read), then the HMAC over the exact raw bytes (401);
//  - a body over the limit is 413, a content type other than application/json 415;
//  - a signed body that is not UTF-8 JSON is dead-lettered whole (source = the path's) and
//    answered 400: the sender learns it was refused, the operator sees it in `dlq list`;
//  - each element is re-serialised as one event's raw text and queued in jobs of up to 500.
//    Elements that could never be queued (over MAX_EVENT_BYTES, or nested too deeply to
//    serialise) are dead-lettered here, like the file importer does; everything else is
//    validated by the ingest worker, which dead-letters what is invalid;
//  - 202 only once addBulk has resolved (and the dead letters are committed). Redis or
//    Postgres failing on the way: 503, and the sender retries. The job ids derive from a hash
//    of the raw body, so a retried delivery of the same body is the same jobs.
// GET /healthz: Redis PING and Postgres `select 1`, each with a short timeout.
// GET /metrics (workers/http/metrics.ts) and the queue dashboard at /admin/queues
// (workers/http/dashboard.ts, only with an admin token).
import { DEVELOPMENT_UNSUBSCRIBE_SECRET } from '../notifier/config.ts';
import { registerUnsubscribe } from './unsubscribe.ts';
import { registerConnectorRoutes, type ConnectorSettings } from './connectors/routes.ts';
import { createHash } from 'node:crypto';
import { fastify, type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { identify, recordDeadLetters, type DeadLetterInput } from '../../db/repositories/dead-letters.ts';
import { readVariable } from '../../config/env.ts';
import type { DB } from '../../db/types.ts';
import { MAX_EVENT_BYTES } from '../../domain/events/parse.ts';
import { SOURCES, type Source } from '../../domain/events/schema.ts';
import { JOBS, MAX_EVENTS_PER_JOB, type IngestPayload } from '../../queues/catalog.ts';
import { Cluster, Redis } from 'ioredis';
import type { RedisConnection } from '../../queues/connection.ts';
import { enqueueMany, type Queues } from '../../queues/queues.ts';
import { DEFAULT_BODY_LIMIT, secretVariable, type SourceSecrets } from './config.ts';
import { adminTokenFromEnv, redactedRequest, registerDashboard } from './dashboard.ts';
import { registerMetrics } from './metrics.ts';
import { registerPages, type PagesOptions } from './pages/index.ts';
import { metricsTokensFromEnv } from '../metrics.ts';
import { pingDatabase } from '../../db/repositories/health.ts';
import {
  SIGNATURE_HEADER,
  checkFreshness,
  matchesBody,
  parseSignatureHeader,
  type ParsedSignature,
} from './signature.ts';
import { errorMessage } from '../../lib/errors.ts';
import { setTimeout as sleep } from 'node:timers/promises';

export interface ServerOptions {
  /** Verifies unsubscribe tokens; TIERLINE_UNSUBSCRIBE_SECRET (or the development secret) by default. */
  unsubscribeSecret?: string;
  queues: Queues;
  db: Kysely<DB>;
  /** One shared secret per source; a source without one refuses every request (401). */
  secrets: SourceSecrets;
  log: Logger;
  /** Largest request body in bytes (413 above it). Default 10 MiB. */
  bodyLimit?: number;
  /** The clock, in ms since the epoch (tests). */
  now?: () => number;
  /** The connection /healthz pings; default the queues' own. */
  redis?: RedisConnection;
  /** Per check, for /healthz. Default 1 s. */
  healthTimeoutMs?: number;
  /** Opens /admin/queues; TIERLINE_ADMIN_TOKEN by default; null or unset: no dashboard (404). */
  adminToken?: string | null;
  /** Bearer tokens for /metrics; TIERLINE_METRICS_TOKEN and TIERLINE_ADMIN_TOKEN by default; empty: open. */
  metricsTokens?: readonly string[];
  /** The live connectors (docs/connectors.md); each one without its settings answers 404. */
  connectors?: ConnectorSettings;
  /** The partner pages and the console (workers/http/pages/); the console opens with the admin token. */
  pages?: PagesOptions;
}

export interface AcceptedResponse {
  /** Events queued for the ingest worker (which still validates each one). */
  accepted: number;
  /** Elements refused here and kept in the dead-letter store (oversize, unserialisable). */
  deadLettered: number;
  jobs: string[];
}

type Check = 'ok' | 'unreachable' | 'timeout';

class TimeoutError extends Error {
  override name = 'TimeoutError';
}

async function withTimeout<T>(work: () => Promise<T>, ms: number): Promise<T> {
  const running = work();
  // The loser of the race must not surface later as an unhandled rejection.
  running.catch(() => {});
  const settled = new AbortController();
  try {
    return await Promise.race([
      running,
      sleep(ms, undefined, { signal: settled.signal }).then(() => {
        throw new TimeoutError(`timed out after ${ms} ms`);
      }),
    ]);
  } finally {
    settled.abort();
  }
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The job run id of a body: the same bytes delivered again are the same jobs. */
export function bodyRunId(raw: Uint8Array): string {
  return `http-${createHash('sha256').update(raw).digest('hex')}`;
}

type Split =
  { ok: true; events: string[]; dead: DeadLetterInput[] } | { ok: false; reason: string; dead: DeadLetterInput[] };

/** From the verified raw body to the events to queue and the dead letters to keep. */
export function splitBody(raw: Buffer, source: Source): Split {
  const whole = (reason: string): Split => ({ ok: false, reason, dead: [{ raw, source, eventId: null, reason }] });
  if (raw.byteLength === 0) return { ok: false, reason: 'body is empty', dead: [] };
  let text: string;
  try {
    text = decoder.decode(raw);
  } catch {
    return whole('body is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return whole(`body is not JSON: ${errorMessage(error)}`);
  }
  const elements: unknown[] = Array.isArray(value) ? value : [value];
  const events: string[] = [];
  const dead: DeadLetterInput[] = [];
  const unserialisable: number[] = [];
  elements.forEach((element, index) => {
    let text: string;
    try {
      text = JSON.stringify(element);
    } catch {
      unserialisable.push(index);
      return;
    }
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_EVENT_BYTES)
      dead.push({
        raw: Buffer.from(text, 'utf8'),
        reason: `event is ${bytes} bytes, over the ${MAX_EVENT_BYTES}-byte limit`,
        ...identify(element),
        source,
      });
    else events.push(text);
  });
  if (unserialisable.length > 0) {
    // The element's own text cannot be rebuilt: keep the whole body, naming the elements.
    const which =
      unserialisable.length > 10 ? `${unserialisable.slice(0, 10).join(', ')}, ...` : unserialisable.join(', ');
    dead.push({
      raw,
      source,
      eventId: null,
      reason: `element ${which} of the request body is nested too deeply to store (the other elements were queued)`,
    });
  }
  return { ok: true, events, dead };
}

export function buildServer(options: ServerOptions): FastifyInstance {
  const { queues, db, secrets, log } = options;
  const now = options.now ?? Date.now;
  const healthTimeoutMs = options.healthTimeoutMs ?? 1_000;
  // Request lines without query-string tokens (dashboard, unsubscribe links).
  const logger: FastifyBaseLogger = log.child({}, { serializers: { req: redactedRequest } });
  const app = fastify({
    loggerInstance: logger,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    // Webhook senders have their own ids; ours are in the logs.
    requestIdHeader: false,
    // Partner-page tokens and partner ids travel in the path (fastify's default is 100).
    routerOptions: { maxParamLength: 4096 },
  });

  // Only JSON, kept as the raw bytes: the signature is over them, and nothing is parsed
  // before it is verified.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  for (const source of SOURCES) {
    const secret = secrets[source];
    if (!secret)
      log.warn(
        { source, variable: secretVariable(source) },
        `no secret configured for ${source}: POST /events/${source} refuses every request (set ${secretVariable(source)})`,
      );
    else if (secret.length < 16)
      log.warn(
        { source, variable: secretVariable(source) },
        `the ${source} secret is shorter than 16 characters; use a long random one`,
      );
  }

  const signatures = new WeakMap<FastifyRequest, ParsedSignature>();

  const refuse = (reply: FastifyReply, request: FastifyRequest, source: Source, reason: string): FastifyReply => {
    // The reason only: never the header, the secret or the body.
    request.log.warn({ source, reason }, 'refused webhook');
    return reply.code(401).send({ error: 'Unauthorized', message: reason });
  };

  for (const source of SOURCES) {
    app.post(`/events/${source}`, {
      // Before the body is read: an unsigned or replayed request costs no buffering.
      onRequest: async (request, reply) => {
        const secret = secrets[source];
        if (!secret) return refuse(reply, request, source, `no secret is configured for ${source} on this receiver`);
        const parsed = parseSignatureHeader(request.headers[SIGNATURE_HEADER]);
        if (!parsed.ok) return refuse(reply, request, source, parsed.reason);
        const fresh = checkFreshness(parsed.value, Math.floor(now() / 1000));
        if (!fresh.ok) return refuse(reply, request, source, fresh.reason);
        signatures.set(request, parsed.value);
      },
      handler: async (request, reply) => {
        const secret = secrets[source];
        const parsed = signatures.get(request);
        if (!secret || !parsed) return refuse(reply, request, source, 'signature not checked');
        const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        if (!matchesBody(secret, raw, parsed))
          return refuse(reply, request, source, 'signature does not match the body');

        const split = splitBody(raw, source);
        // Where `dlq list` says a dead letter came from: a request has no file or line.
        const from = `POST /events/${source} (request ${request.id})`;
        try {
          if (split.dead.length > 0)
            await recordDeadLetters(
              db,
              split.dead.map((d) => ({ ...d, origin: from, runId: bodyRunId(raw) })),
            );
        } catch (error) {
          request.log.error({ source, err: error }, 'cannot store dead letters');
          return reply
            .code(503)
            .header('retry-after', '5')
            .send({ error: 'Service Unavailable', message: 'the event store is unavailable; retry later' });
        }
        if (!split.ok) {
          request.log.warn({ source, reason: split.reason, deadLettered: split.dead.length }, 'refused webhook body');
          return reply.code(400).send({ error: 'Bad Request', message: split.reason, deadLettered: split.dead.length });
        }

        const receivedAt = new Date(now()).toISOString();
        const runId = bodyRunId(raw);
        const payloads: IngestPayload[] = [];
        for (let i = 0; i < split.events.length; i += MAX_EVENTS_PER_JOB) {
          payloads.push({
            events: split.events.slice(i, i + MAX_EVENTS_PER_JOB).map((text) => ({ raw: text, receivedAt })),
            origin: 'http',
            from,
            runId,
          });
        }
        let jobs: string[];
        try {
          const added = await enqueueMany(queues, JOBS.ingestEvents, source, payloads);
          jobs = [...new Set(added.map((job) => job.id).filter((id): id is string => id !== undefined))];
        } catch (error) {
          request.log.error({ source, err: error }, 'cannot enqueue events');
          return reply
            .code(503)
            .header('retry-after', '5')
            .send({ error: 'Service Unavailable', message: 'the queue is unavailable; retry later' });
        }
        request.log.info(
          { source, accepted: split.events.length, deadLettered: split.dead.length, jobs: jobs.length },
          'events queued',
        );
        const body: AcceptedResponse = { accepted: split.events.length, deadLettered: split.dead.length, jobs };
        return reply.code(202).send(body);
      },
    });
  }

  registerUnsubscribe(app, {
    db,
    secret: options.unsubscribeSecret ?? readVariable('TIERLINE_UNSUBSCRIBE_SECRET') ?? DEVELOPMENT_UNSUBSCRIBE_SECRET,
  });

  registerConnectorRoutes(app, { db, queues, log, settings: options.connectors ?? {}, now });
  registerMetrics(app, { queues, db, log, tokens: options.metricsTokens ?? metricsTokensFromEnv() });
  const adminToken = options.adminToken === undefined ? adminTokenFromEnv() : (options.adminToken ?? undefined);
  registerDashboard(app, { queues, token: adminToken });
  registerPages(app, { db, queues, log, adminToken }, options.pages);

  app.get('/healthz', async (request, reply) => {
    const check = async (name: string, probe: () => Promise<unknown>): Promise<Check> => {
      try {
        await withTimeout(probe, healthTimeoutMs);
        return 'ok';
      } catch (error) {
        request.log.warn({ service: name, reason: errorMessage(error) }, 'health check failed');
        return error instanceof TimeoutError ? 'timeout' : 'unreachable';
      }
    };
    const [redis, postgres] = await Promise.all([
      check('redis', () => pingRedis(options.redis, queues)),
      check('postgres', () => pingDatabase(db)),
    ]);
    const ok = redis === 'ok' && postgres === 'ok';
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', redis, postgres });
  });

  // Fastify's own 4xx (413 too large, 415 media type, ...) keep their status; anything
  // unexpected is logged here and answered without details.
  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500)
      return reply.code(status).send({ error: httpName(status), message: error.message });
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: 'Internal Server Error', message: 'internal error' });
  });

  return app;
}

/** PING on the given connection, else on the one the queues were opened with. */
async function pingRedis(redis: RedisConnection | undefined, queues: Queues): Promise<void> {
  const shared: unknown = redis ?? queues.crm.opts.connection;
  if (shared instanceof Redis || shared instanceof Cluster) {
    await shared.ping();
    return;
  }
  // Queues opened from connection options: ask through BullMQ's own client.
  await (await queues.crm.client).info();
}

function httpName(status: number): string {
  const names: Record<number, string> = {
    400: 'Bad Request',
    404: 'Not Found',
    413: 'Payload Too Large',
    415: 'Unsupported Media Type',
  };
  return names[status] ?? 'Client Error';
}
