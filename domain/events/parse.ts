// From a line of bytes or a decoded JSON value to a canonical event, or a reason. Never throws:
// an invalid event is a value the caller dead-letters, not an exception (docs/events.md#validation).
import { issueLines } from '../program/issues.ts';
import { fastEvent } from './fast.ts';
import {
  dataSchemas,
  envelopeSchema,
  TYPES_BY_SOURCE,
  type CanonicalEvent,
  type EventContext,
  type EventType,
} from './schema.ts';
import { errorMessage } from '../../lib/errors.ts';

export const MAX_EVENT_BYTES = 65_536;

/**
 * How deeply an event's JSON may nest. Valid events nest four levels; the limit is far above
 * that, and far below what the recursive steps after validation (canonical JSON, hashes,
 * JSON.stringify, jsonb) survive: 64 KiB of brackets would overflow their stacks.
 */
export const MAX_EVENT_DEPTH = 64;

export type EventResult =
  { ok: true; event: CanonicalEvent; raw: unknown } | { ok: false; reason: string; raw: unknown };

const decoder = new TextDecoder('utf-8', { fatal: true });
const schemaCache = new Map<string, ReturnType<typeof dataSchemas>>();

function schemasFor(ctx: EventContext): ReturnType<typeof dataSchemas> {
  const key = `${ctx.currency}|${ctx.timezone}`;
  let schemas = schemaCache.get(key);
  if (!schemas) {
    schemas = dataSchemas(ctx);
    schemaCache.set(key, schemas);
  }
  return schemas;
}

function invalid(reason: string, raw: unknown): EventResult {
  return { ok: false, reason, raw };
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function textProblem(text: string): string | undefined {
  if (text.includes('\u0000')) return 'contains a NUL character (\\u0000), which cannot be stored';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate, which is not Unicode text';
  return undefined;
}

const pathOf = (parent: string, key: string | number): string =>
  typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key;

/**
 * What no schema can accept and Postgres cannot store, in any field (known or not) and in
 * keys: nesting deeper than `maxDepth`, NUL characters and lone surrogates. Iterative, so any
 * depth is safe to ask about; undefined when there is none.
 */
export function structuralProblem(value: unknown, maxDepth = MAX_EVENT_DEPTH): string | undefined {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 1, path: '' }];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const where = top.path || '(root)';
    if (typeof top.value === 'string') {
      const problem = textProblem(top.value);
      if (problem) return `${where}: ${problem}`;
      continue;
    }
    if (top.value === null || typeof top.value !== 'object') continue;
    if (top.depth > maxDepth) return `event is nested more than ${maxDepth} levels deep`;
    if (Array.isArray(top.value)) {
      for (let i = 0; i < top.value.length; i++)
        stack.push({ value: top.value[i], depth: top.depth + 1, path: pathOf(top.path, i) });
      continue;
    }
    for (const [key, child] of Object.entries(top.value as Record<string, unknown>)) {
      const problem = textProblem(key);
      if (problem) return `${where}: a key ${problem}`;
      stack.push({ value: child, depth: top.depth + 1, path: pathOf(top.path, key) });
    }
  }
  return undefined;
}

export function validateEvent(raw: unknown, ctx: EventContext): EventResult {
  const unstorable = structuralProblem(raw);
  if (unstorable !== undefined) return invalid(unstorable, raw);
  // The common, plainly valid event without the schemas' overhead; the same result (fast.ts).
  const event = fastEvent(raw, ctx);
  if (event) return { ok: true, event, raw };
  return validateWithSchemas(raw, ctx);
}

/** validateEvent's judgement by the zod schemas alone, once structuralProblem has passed the value. */
export function validateWithSchemas(raw: unknown, ctx: EventContext): EventResult {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) return invalid(issueLines(envelope.error.issues).join('; '), raw);
  const { source, type } = envelope.data;
  const allowed: readonly string[] = TYPES_BY_SOURCE[source];
  if (!allowed.includes(type)) {
    return invalid(`type: "${type}" is not a ${source} event type (expected one of ${allowed.join(', ')})`, raw);
  }
  const schema = schemasFor(ctx)[type as EventType];
  const data = schema.safeParse(envelope.data.data);
  if (!data.success) return invalid(issueLines(data.error.issues, ['data']).join('; '), raw);
  const event = { ...envelope.data, type, data: data.data } as CanonicalEvent;
  return { ok: true, event, raw };
}

/** Validates one JSON Lines line (without its line end), enforcing size and UTF-8 first. */
export function parseEventLine(line: Uint8Array | string, ctx: EventContext): EventResult {
  const bytes = typeof line === 'string' ? Buffer.byteLength(line, 'utf8') : line.byteLength;
  let textLine: string;
  if (typeof line === 'string') textLine = line;
  else {
    try {
      textLine = decoder.decode(line);
    } catch {
      return invalid('line is not valid UTF-8', Buffer.from(line).toString('latin1'));
    }
  }
  if (bytes > MAX_EVENT_BYTES)
    return invalid(`event is ${bytes} bytes, over the ${MAX_EVENT_BYTES}-byte limit`, textLine);
  let raw: unknown;
  try {
    raw = JSON.parse(textLine);
  } catch (error) {
    return invalid(`not JSON: ${errorMessage(error)}`, textLine);
  }
  return validateEvent(raw, ctx);
}

/** Printable ASCII without `"` and `\\`: JSON.stringify writes such a string between quotes as it is. */
const PLAIN_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
/** JSON.stringify of object keys seen so far: events repeat a few dozen keys (bounded). */
const quotedKeys = new Map<string, string>();
const QUOTED_KEYS_LIMIT = 4_096;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = JSON.stringify(key);
    if (quotedKeys.size < QUOTED_KEYS_LIMIT) quotedKeys.set(key, quoted);
  }
  return quoted;
}

/**
 * Canonical JSON for "the same event?" comparisons: key order ignored (rule 17). Keys
 * sorted by UTF-16 code units at every level, no whitespace, primitives as JSON.stringify
 * writes them. Built by appending to one string: it runs for every event ingested.
 */
export function canonicalJson(value: unknown): string {
  const text = canonical(value);
  // Appending builds a rope (V8 cons strings): one string per piece, several times the text's
  // size, kept alive by whoever holds the result (evaluate's fold holds one per event; 1 M
  // events took 2.5 GB). Reading a character flattens it into one string in place.
  text.charCodeAt(0);
  return text;
}

function canonical(value: unknown): string {
  if (typeof value === 'string') return PLAIN_STRING.test(value) ? `"${value}"` : JSON.stringify(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      // As Array.prototype.join writes an element that JSON.stringify leaves undefined: ''.
      out += (canonical(value[i]) as string | undefined) ?? '';
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    if (i > 0) out += ',';
    out += `${quotedKey(key)}:${canonical(record[key])}`;
  }
  return `${out}}`;
}
