// What every live connector does once a request is authenticated and parsed: the program's
// currency and timezone, then the converted records onto the queues (services/connectors).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../../../db/types.ts';
import type { Mapping } from '../../../domain/connectors/mapping.ts';
import type { ConvertContext, Outcome } from '../../../domain/connectors/outcome.ts';
import type { Source } from '../../../domain/events/schema.ts';
import { deliverOutcomes, type Delivered } from '../../../services/connectors/deliver.ts';
import { loadProgramSet } from '../../../services/programs.ts';
import type { Queues } from '../../../queues/queues.ts';
import type { ConnectorSettings } from './settings.ts';

export interface ConnectorDeps {
  db: Kysely<DB>;
  queues: Queues;
  log: Logger;
  settings: ConnectorSettings;
  /** The clock in ms (tests). */
  now: () => number;
  /** HTTP client for the HubSpot API (tests may pass another). */
  fetch?: typeof fetch;
}

/** Equal strings, compared in constant time (over their hashes, so lengths leak nothing). */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export class Unavailable extends Error {
  override name = 'Unavailable';
}

export async function contextFor(deps: ConnectorDeps, mapping: Mapping): Promise<ConvertContext> {
  let set;
  try {
    set = await loadProgramSet(deps.db);
  } catch (error) {
    throw new Unavailable('the program store is unavailable', { cause: error });
  }
  if (!set) throw new Unavailable('no program is loaded (tierline program load)');
  return { mapping, currency: set.currency, timezone: set.timezone };
}

export const runIdOf = (kind: string, raw: Uint8Array | string): string =>
  `${kind}-${createHash('sha256').update(raw).digest('hex')}`;

export async function deliver(
  deps: ConnectorDeps,
  request: FastifyRequest,
  kind: string,
  source: Source,
  raw: Uint8Array | string,
  outcomes: readonly Outcome[],
  rawOf: (outcome: Outcome, index: number) => string,
): Promise<Delivered> {
  try {
    const delivered = await deliverOutcomes(deps.db, deps.queues, outcomes, {
      from: `${request.method} ${request.routeOptions.url ?? request.url} (request ${request.id})`,
      runId: runIdOf(kind, raw),
      source,
      receivedAt: new Date(deps.now()).toISOString(),
      rawOf,
    });
    request.log.info(
      {
        connector: kind,
        accepted: delivered.accepted,
        skipped: delivered.skipped,
        deadLettered: delivered.deadLettered,
        jobs: delivered.jobs.length,
      },
      'connector records queued',
    );
    return delivered;
  } catch (error) {
    throw new Unavailable('the queue or the event store is unavailable; retry later', { cause: error });
  }
}

/** 503 with Retry-After for what the sender should retry; other errors propagate. */
export function unavailable(reply: FastifyReply, request: FastifyRequest, error: unknown): FastifyReply {
  if (!(error instanceof Unavailable)) throw error;
  request.log.error({ err: error }, error.message);
  return reply.code(503).header('retry-after', '5').send({ error: 'Service Unavailable', message: error.message });
}

export const notFound = (reply: FastifyReply): FastifyReply =>
  reply.code(404).send({ error: 'Not Found', message: 'not found' });
