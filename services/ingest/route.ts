// Which queue a received line goes to, or why it cannot go on any (not UTF-8, not JSON, no
// known source, oversize): such lines are dead-lettered where they arrive.
import { MAX_EVENT_BYTES } from '../../domain/events/parse.ts';
import type { Source } from '../../domain/events/schema.ts';
import { isSource } from '../../queues/catalog.ts';

const decoder = new TextDecoder('utf-8', { fatal: true });

export type Routed = { source: Source; text: string; partnerId?: string } | { reason: string; parsed?: unknown };

export function routeLine(line: Buffer): Routed {
  if (line.byteLength > MAX_EVENT_BYTES)
    return { reason: `event is ${line.byteLength} bytes, over the ${MAX_EVENT_BYTES}-byte limit` };
  let text: string;
  try {
    text = decoder.decode(line);
  } catch {
    return { reason: 'line is not valid UTF-8' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    // JSON.parse throws a SyntaxError, which has no code to add.
    return { reason: `not JSON: ${(error as Error).message}` };
  }
  const { source, partnerId } = (parsed ?? {}) as { source?: unknown; partnerId?: unknown };
  if (typeof source !== 'string' || !isSource(source))
    return { reason: `source: expected one of crm, lms, erp`, parsed };
  return typeof partnerId === 'string' ? { source, text, partnerId } : { source, text };
}
