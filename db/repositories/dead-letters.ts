// The dead-letter store: invalid events kept whole (bytes), with the reason, until replayed.
import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { toJsonb } from '../json.ts';
import type { DB } from '../types.ts';

type Db = Kysely<DB> | Transaction<DB>;

export interface DeadLetterInput {
  raw: Buffer;
  source: string | null;
  eventId: string | null;
  reason: string;
  /** Where it came from: a file path, or a description of the request. */
  origin?: string | null | undefined;
  /** Its line in the file (1-based). */
  line?: number | null | undefined;
  /** The ingest run that saw it. */
  runId?: string | null | undefined;
}

export function rawHash(raw: Buffer): string {
  return createHash('sha256').update(raw).digest('hex');
}

/** Best-effort (source, id) of something that failed validation, for listing and replay. */
export function identify(raw: unknown): { source: string | null; eventId: string | null } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { source: null, eventId: null };
  const { source, id } = raw as Record<string, unknown>;
  const short = (v: unknown): string | null => (typeof v === 'string' && v.length <= 1000 ? v : null);
  return { source: short(source), eventId: short(id) };
}

/**
 * Text that Postgres can store in a text or jsonb column: the source, id and reason of a dead
 * letter come from hostile input, and a NUL character or a lone surrogate in them would make
 * the store refuse the very row that explains the refusal. The raw bytes are kept as they are.
 */
export function storableText(text: string): string {
  return text
    .replaceAll('\u0000', '\\u0000')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

const storableOrNull = (text: string | null): string | null => (text === null ? null : storableText(text));

/** Records dead letters; the same bytes seen again bump attempts and last_seen_at. Returns ids. */
export async function recordDeadLetters(db: Db, items: readonly DeadLetterInput[]): Promise<string[]> {
  if (items.length === 0) return [];
  // One row per distinct payload (a multi-row upsert may not touch a row twice), counting
  // every copy seen as an attempt.
  const unique = new Map<string, { item: DeadLetterInput; seen: number }>();
  for (const item of items) {
    const hash = rawHash(item.raw);
    unique.set(hash, { item, seen: (unique.get(hash)?.seen ?? 0) + 1 });
  }
  const rows = await db
    .insertInto('dead_letters')
    .values(
      [...unique]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([hash, { item: d, seen }]) => ({
          source: storableOrNull(d.source),
          event_id: storableOrNull(d.eventId),
          raw: d.raw,
          raw_hash: hash,
          reason: toJsonb({ message: storableText(d.reason), issues: storableText(d.reason).split('; ') }),
          attempts: seen,
          origin: storableOrNull(d.origin ?? null),
          origin_line: d.line ?? null,
          run_id: storableOrNull(d.runId ?? null),
        })),
    )
    .onConflict((oc) =>
      oc
        .column('raw_hash')
        .where('replayed_at', 'is', null)
        .doUpdateSet({
          attempts: sql`dead_letters.attempts + excluded.attempts`,
          last_seen_at: sql`now()`,
          reason: (eb) => eb.ref('excluded.reason'),
          // Where it was seen last; a sighting that does not know (a replay) keeps the old one.
          origin: sql`coalesce(excluded.origin, dead_letters.origin)`,
          origin_line: sql`case when excluded.origin is null then dead_letters.origin_line else excluded.origin_line end`,
          run_id: sql`coalesce(excluded.run_id, dead_letters.run_id)`,
        }),
    )
    .returning(['id'])
    .execute();
  return rows.map((r) => r.id);
}

export async function listDeadLetters(db: Db, options: { includeReplayed?: boolean; ids?: string[] } = {}) {
  let query = db.selectFrom('dead_letters').selectAll().orderBy('id');
  if (!options.includeReplayed) query = query.where('replayed_at', 'is', null);
  if (options.ids && options.ids.length > 0) query = query.where('id', 'in', options.ids);
  return query.execute();
}

export async function markReplayed(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .updateTable('dead_letters')
    .set({ replayed_at: sql`now()` })
    .where('id', 'in', [...ids])
    .execute();
}

/** The first dead letters an ingest run saw (in line order), and how many it saw in all. */
export async function deadLettersOfRun(db: Db, runId: string, limit: number) {
  const [rows, total] = await Promise.all([
    db
      .selectFrom('dead_letters')
      .select(['id', 'origin', 'origin_line', 'reason'])
      .where('run_id', '=', runId)
      .orderBy('origin_line')
      .orderBy('id')
      .limit(limit)
      .execute(),
    db
      .selectFrom('dead_letters')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('run_id', '=', runId)
      .executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

export interface DeadLetterFilter {
  ids?: readonly string[] | undefined;
  /** Last seen before this instant. */
  seenBefore?: Date | undefined;
  source?: string | undefined;
}

/** Deletes the dead letters matching every given filter (none given: all of them); returns their ids. */
export async function deleteDeadLetters(db: Db, filter: DeadLetterFilter): Promise<string[]> {
  let query = db.deleteFrom('dead_letters');
  if (filter.ids) query = query.where('id', 'in', filter.ids.length > 0 ? [...filter.ids] : ['0']);
  if (filter.seenBefore) query = query.where('last_seen_at', '<', filter.seenBefore);
  if (filter.source !== undefined) query = query.where('source', '=', filter.source);
  const rows = await query.returning('id').execute();
  return rows.map((r) => r.id);
}
