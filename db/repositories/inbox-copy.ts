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

interface Candidate {
  raw: unknown;
  hash: string;
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
  const fields = candidates.map((c) => c.raw as { source: string; id: string; partnerId: string; type: string });
  const { seqs, existing } = await seqsAndExisting(
    session.db,
    fields.map((f) => ({ source: f.source, eventId: f.id })),
  );
  const fresh = candidates.map((_, i) => i).filter((i) => !existing.has(i));
  if (fresh.length === 0) return [];
  const chunks = function* (): Generator<string> {
    let lines: string[] = [];
    for (const i of fresh) {
      const f = fields[i] as (typeof fields)[number];
      lines.push(
        `${escapeText(f.source)}\t${escapeText(f.id)}\t${escapeText(f.partnerId)}\t${escapeText(f.type)}\t` +
          `${escapeJson(toJsonb((candidates[i] as Candidate).raw as object))}\t${(candidates[i] as Candidate).hash}\taccepted\t${seqs[i]}\n`,
      );
      if (lines.length >= ROWS_PER_CHUNK) {
        yield lines.join('');
        lines = [];
      }
    }
    if (lines.length > 0) yield lines.join('');
  };
  await session.copy(
    'copy inbox (source, event_id, partner_id, type, payload, payload_hash, outcome, received_seq) from stdin',
    chunks(),
  );
  return fresh.map((i) => ({
    source: (fields[i] as (typeof fields)[number]).source,
    eventId: (fields[i] as (typeof fields)[number]).id,
  }));
}
