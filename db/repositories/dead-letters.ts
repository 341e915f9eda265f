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
