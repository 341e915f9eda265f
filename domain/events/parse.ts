// From a line of bytes or a decoded JSON value to a canonical event, or a reason. Never throws:
// an invalid event is a value the caller dead-letters, not an exception (SPEC §3a rule 17).
import { issueLines } from '../program/issues.ts';
import { dataSchemas, envelopeSchema, TYPES_BY_SOURCE, type CanonicalEvent, type EventContext, type EventType } from './schema.ts';

export const MAX_EVENT_BYTES = 65_536;

export type EventResult = { ok: true; event: CanonicalEvent; raw: unknown } | { ok: false; reason: string; raw: unknown };

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

export function validateEvent(raw: unknown, ctx: EventContext): EventResult {
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
  if (bytes > MAX_EVENT_BYTES) return invalid(`event is ${bytes} bytes, over the ${MAX_EVENT_BYTES}-byte limit`, textLine);
  let raw: unknown;
  try {
    raw = JSON.parse(textLine);
  } catch (error) {
    return invalid(`not JSON: ${error instanceof Error ? error.message : String(error)}`, textLine);
  }
  return validateEvent(raw, ctx);
}

/** Canonical JSON for "the same event?" comparisons: key order ignored (rule 17). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}
