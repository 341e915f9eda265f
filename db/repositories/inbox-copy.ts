// The inbox claim of the bulk path (`ingest --backfill`): the same rows as claimInboxRows
// (db/repositories/inbox.ts), written by COPY instead of INSERT … ON CONFLICT, which costs
// Postgres about three times as much per row. Which keys are new is read first; a key that
// another transaction claims in between makes the COPY fail on the primary key, and the
// caller then applies the batch the ordinary way.
import { sql, type Kysely } from 'kysely';
import type { CopySession } from '../copy.ts';
import { toJsonb } from '../json.ts';
import type { DB } from '../types.ts';
import type { InboxKey } from './inbox.ts';

interface InboxFields {
  source: string;
  id: string;
  partnerId: string;
  type: string;
}

interface Candidate {
  raw: unknown;
  /** source, id, partnerId and type when the caller has them (the payload's own strings), else read from raw. */
  key?: InboxFields | undefined;
  hash: string;
  /** The line as received, when there is one: sent as it is when Postgres reads it as the same jsonb. */
  bytes?: Uint8Array | undefined;
}

/** Rows per chunk written to the COPY stream. */
const ROWS_PER_CHUNK = 500;

// COPY's text format: backslash, newline, carriage return and tab are the only bytes that
// need escaping. JSON text holds no raw control characters, so only its backslashes do.
const SPECIAL = /[\\\n\r\t]/;
const escapeText = (text: string): string =>
  SPECIAL.test(text)
    ? text.replace(/[\\\n\r\t]/g, (c) => (c === '\\' ? '\\\\' : c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'))
    : text;
const escapeJson = (json: string): string => (json.includes('\\') ? json.replaceAll('\\', '\\\\') : json);

const BACKSLASH = 0x5c;
const QUOTE = 0x22;

/**
 * Whether Postgres reads `line` as the same jsonb as JSON.stringify(JSON.parse(line)), the
 * payload the ordinary path stores, so the bytes can go to COPY as they are. Strings and
 * duplicate keys read alike (jsonb keeps the last duplicate too); numbers do not always:
 * `2.0`, `1e2` or a 17-digit integer survive as written in jsonb and not through a JS
 * number. So: an object first (no byte-order mark), no byte COPY would have to escape, and
 * outside strings (no backslash, so every quote opens or closes one) no `.`, no `e` or `E`
 * right after a digit (true and false pass) and no run of more than 15 digits.
 */
export function sendableAsIs(line: Uint8Array): boolean {
  if (line[0] !== 0x7b) return false;
  let inString = false;
  let digits = 0;
  for (let i = 0; i < line.length; i++) {
    const b = line[i] as number;
    if (b === QUOTE) inString = !inString;
    else if (b === BACKSLASH || b === 0x09 || b === 0x0a || b === 0x0d) return false;
    else if (!inString) {
      if (b >= 0x30 && b <= 0x39) {
        if (++digits > 15) return false;
        continue;
      }
      // A fraction, or an exponent (which follows a digit: the e of true and false does not).
      if (b === 0x2e || ((b === 0x45 || b === 0x65) && digits > 0)) return false;
    }
    digits = 0;
  }
  return !inString;
}

/** One COPY text row: the fields before the payload, the payload, the fields after it. */
function row(head: string, payload: Uint8Array | string, tail: string): Array<string | Uint8Array> {
  return [head, payload, tail];
}

/** Rows joined into one buffer per chunk (one write to the COPY stream). */
function* chunked(rows: Iterable<Array<string | Uint8Array>>): Generator<Buffer> {
  let parts: Array<string | Uint8Array> = [];
  let size = 0;
  let n = 0;
  const flush = (): Buffer => {
    const buffer = Buffer.allocUnsafe(size);
    let at = 0;
    for (const part of parts) {
      if (typeof part === 'string') at += buffer.write(part, at, 'utf8');
      else {
        buffer.set(part, at);
        at += part.byteLength;
      }
    }
    parts = [];
    size = 0;
    n = 0;
    return buffer.subarray(0, at);
  };
  for (const r of rows) {
    for (const part of r) {
      parts.push(part);
      size += typeof part === 'string' ? Buffer.byteLength(part, 'utf8') : part.byteLength;
    }
    if (++n >= ROWS_PER_CHUNK) yield flush();
  }
  if (n > 0) yield flush();
}

/**
 * For candidates in the order given: one value of event_received_seq each (as the INSERT
 * they replace draws one per candidate, claimed or not) and the positions of the keys the
 * inbox holds already.
 */
async function seqsAndExisting(
  db: Kysely<DB>,
  keys: readonly InboxKey[],
): Promise<{ seqs: string[]; existing: Set<number> }> {
  const { rows } = await sql<{ seqs: string[]; existing: number[] }>`
    select array(select nextval('event_received_seq')::text from generate_series(1, ${keys.length}::int) g order by g) as seqs,
           array(select (k.n - 1)::int
                 from unnest(${keys.map((k) => k.source)}::text[], ${keys.map((k) => k.eventId)}::text[])
                      with ordinality as k(source, event_id, n)
                 where exists (select 1 from inbox i where i.source = k.source and i.event_id = k.event_id)) as existing`.execute(
    db,
  );
  const row = rows[0];
  return { seqs: row?.seqs ?? [], existing: new Set(row?.existing ?? []) };
}

/**
 * Inserts the candidates whose key the inbox does not hold (in the order given, each with
 * the received_seq the INSERT would have drawn) and returns their keys. source, id,
 * partnerId and type are the payload's own (validated) strings.
 */
export async function copyInboxRows(session: CopySession, candidates: readonly Candidate[]): Promise<InboxKey[]> {
  if (candidates.length === 0) return [];
  const fields = candidates.map((c) => c.key ?? (c.raw as InboxFields));
  const { seqs, existing } = await seqsAndExisting(
    session.db,
    fields.map((f) => ({ source: f.source, eventId: f.id })),
  );
  const fresh = candidates.map((_, i) => i).filter((i) => !existing.has(i));
  if (fresh.length === 0) return [];
  const rows = function* (): Generator<Array<string | Uint8Array>> {
    for (const i of fresh) {
      const f = fields[i] as (typeof fields)[number];
      const c = candidates[i] as Candidate;
      const payload = c.bytes && sendableAsIs(c.bytes) ? c.bytes : escapeJson(toJsonb(c.raw as object));
      yield row(
        `${escapeText(f.source)}\t${escapeText(f.id)}\t${escapeText(f.partnerId)}\t${escapeText(f.type)}\t`,
        payload,
        `\t${c.hash}\taccepted\t${seqs[i]}\n`,
      );
    }
  };
  await session.copy(
    'copy inbox (source, event_id, partner_id, type, payload, payload_hash, outcome, received_seq) from stdin',
    chunked(rows()),
  );
  return fresh.map((i) => ({
    source: (fields[i] as (typeof fields)[number]).source,
    eventId: (fields[i] as (typeof fields)[number]).id,
  }));
}
