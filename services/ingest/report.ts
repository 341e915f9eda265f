// What an ingest run tells its operator once its events are processed: the first dead
// letters it saw with their reasons (file:line), and the partners its events name that no
// `partner.upserted` has described (a typo in an id loses that money from view).
import type { Kysely } from 'kysely';
import { deadLettersOfRun } from '../../db/repositories/dead-letters.ts';
import { partnersNeverUpserted } from '../../db/repositories/inbox.ts';
import type { DB } from '../../db/types.ts';
import type { PartnerTally } from './lines.ts';

export interface RunReport {
  deadLetters: {
    /** Dead letters stored for this run (the same bad bytes twice are one). */
    total: number;
    first: Array<{ where: string; reason: string }>;
  };
  unknownPartners: {
    partners: number;
    events: number;
    /** The first ids, sorted. */
    first: string[];
  };
}

const CHUNK = 10_000;

export async function reportRun(
  db: Kysely<DB>,
  runId: string,
  tally: PartnerTally | undefined,
  limit = 10,
): Promise<RunReport> {
  const { rows, total } = await deadLettersOfRun(db, runId, limit);
  const first = rows.map((r) => ({
    where: r.origin === null ? '?' : r.origin_line === null ? r.origin : `${r.origin}:${r.origin_line}`,
    reason: (r.reason as { message?: string } | null)?.message ?? JSON.stringify(r.reason),
  }));
  const ids = [...(tally?.events.keys() ?? [])];
  const unknown: string[] = [];
  for (let i = 0; i < ids.length; i += CHUNK)
    unknown.push(...(await partnersNeverUpserted(db, ids.slice(i, i + CHUNK))));
  unknown.sort();
  const events = unknown.reduce((n, id) => n + (tally?.events.get(id) ?? 0), 0);
  return {
    deadLetters: { total, first },
    unknownPartners: { partners: unknown.length, events, first: unknown.slice(0, limit) },
  };
}
