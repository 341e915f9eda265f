// The work done in JavaScript before any statement: each event validated (domain/events)
// and the valid ones fingerprinted, so a caller can prepare the next batch while the
// previous one is in Postgres.
import * as crypto from 'node:crypto';
import { canonicalJson, parseEventLine, type EventResult } from '../../domain/events/parse.ts';
import type { CanonicalEvent, EventContext, Source } from '../../domain/events/schema.ts';

export interface Incoming {
  /** The queue (or path) it arrived on; the envelope's source must match. Absent: any. */
  source?: Source | undefined;
  raw: string | Buffer;
  /** Where it came from, kept with it if it is dead-lettered. */
  seen?: Sighting | undefined;
}

/** Where an event was seen: the file and line (or request), and the ingest run. */
export interface Sighting {
  origin?: string | undefined;
  line?: number | undefined;
  runId?: string | undefined;
}

/** A batch validated and fingerprinted. */
export interface PreparedBatch {
  items: Incoming[];
  results: EventResult[];
  /** The payload hash of each valid event (undefined for invalid ones). */
  hashes: Array<string | undefined>;
}

function validate(item: Incoming, ctx: EventContext): EventResult {
  const result = parseEventLine(item.raw, ctx);
  if (result.ok && item.source !== undefined && result.event.source !== item.source) {
    return {
      ok: false,
      reason: `source: "${result.event.source}" event received on the ${item.source} queue`,
      raw: result.raw,
    };
  }
  return result;
}

// crypto.hash (Node ≥ 20.12) hashes a string in one call, several times faster than a Hash object.
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;
const sha256 = (text: string): string =>
  oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
const fingerprint = (raw: unknown): string => sha256(canonicalJson(raw));

export const emptyBatch = (): PreparedBatch => ({ items: [], results: [], hashes: [] });

export function prepareEventBatch(ctx: EventContext, items: readonly Incoming[]): PreparedBatch {
  const batch = emptyBatch();
  for (const item of items) prepareEvent(batch, ctx, item);
  return batch;
}

/** Adds one event to a batch being prepared (so a caller can validate as it reads). */
export function prepareEvent(batch: PreparedBatch, ctx: EventContext, item: Incoming): void {
  const result = validate(item, ctx);
  batch.items.push(item);
  batch.results.push(result);
  batch.hashes.push(result.ok ? fingerprint(result.raw) : undefined);
}

/** What a preparation thread answers for a valid line (prepare-worker.ts). */
export interface PreparedLine {
  event: CanonicalEvent;
  hash: string;
}

/** prepareEvent's work on one line with no queue source: null when the line is invalid. */
export function prepareLine(line: Uint8Array, ctx: EventContext): PreparedLine | null {
  const result = parseEventLine(line, ctx);
  return result.ok ? { event: result.event, hash: fingerprint(result.raw) } : null;
}

/**
 * Adds an event that a thread prepared (prepareLine) to a batch: the same result as
 * prepareEvent, except that the parsed payload (`raw`) is parsed again here only when it is
 * read (the inbox COPY sends most lines as they are). An invalid line, or one with a queue
 * source to check, is prepared here as ever.
 */
export function addPrepared(batch: PreparedBatch, ctx: EventContext, item: Incoming, line: PreparedLine | null): void {
  if (line === null || item.source !== undefined) {
    prepareEvent(batch, ctx, item);
    return;
  }
  let raw: unknown;
  let parsed = false;
  batch.items.push(item);
  batch.results.push({
    ok: true,
    event: line.event,
    get raw(): unknown {
      if (!parsed) {
        raw = parseEventLine(item.raw, ctx).raw;
        parsed = true;
      }
      return raw;
    },
  });
  batch.hashes.push(line.hash);
}
