// The seeded history, loaded through the backfill path: the generator's events go straight
// into Postgres in batches of 2,000 with the same batch writer `tierline ingest --backfill`
// uses (applyEventBatch), then one recompute per partner is queued. Stops between batches on
// Ctrl-C. A progress bar on a terminal.
import cliProgress from 'cli-progress';
import type { Kysely } from 'kysely';
import {
  applyEventBatch,
  countOutcomes,
  pendingRecomputes,
  type Incoming,
  type OutcomeCounts,
  type OwedRecompute,
} from '../../services/ingest/batch.ts';
import type { DB } from '../../db/types.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import { enqueueRecomputes, type Queues } from '../../queues/queues.ts';
import { generateHistory } from '../generate/history.ts';
import type { Stop } from './output.ts';

export interface BackfillOptions {
  partners: number;
  seed: number;
  until: string;
  months: number;
  eventsPerPartner: number;
}

export interface BackfillResult {
  events: number;
  counts: OutcomeCounts;
  /** Recompute jobs queued (one per partner). */
  queued: number;
  complete: boolean;
}

const BATCH = 2_000;

function progressBar(total: number): { update(partners: number, events: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    {
      format: 'history  [{bar}] {value}/{total} partners | {events} events | {eta_formatted} left',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total, 0, { events: 0 });
  let last = 0;
  return {
    update(partners, events) {
      const now = performance.now();
      if (now - last < 100) return;
      last = now;
      bar.update(partners, { events });
    },
    stop() {
      bar.stop();
    },
  };
}

export async function backfillHistory(
  db: Kysely<DB>,
  program: ProgramSet,
  queues: Queues,
  options: BackfillOptions,
  stop: Stop,
): Promise<BackfillResult> {
  const ctx = { currency: program.currency, timezone: program.timezone };
  const counts: OutcomeCounts = { accepted: 0, duplicate: 0, stale: 0, conflict: 0, 'dead-lettered': 0 };
  const owed = new Map<string, OwedRecompute>();
  const bar = progressBar(options.partners);
  let batch: Incoming[] = [];
  let events = 0;
  let partners = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const result = await applyEventBatch(db, ctx, batch);
    batch = [];
    const c = countOutcomes(result.outcomes);
    for (const k of Object.keys(counts) as (keyof OutcomeCounts)[]) counts[k] += c[k];
    for (const r of result.recompute) owed.set(r.partnerId, r);
  };
  try {
    for (const event of generateHistory(options)) {
      if (event.type === 'partner.upserted') partners++;
      batch.push({ raw: JSON.stringify(event) });
      events++;
      if (batch.length >= BATCH) {
        await flush();
        bar.update(partners, events);
        if (stop.stopped) return { events, counts, queued: 0, complete: false };
      }
    }
    await flush();
  } finally {
    bar.stop();
  }
  // The requests are in Postgres already; these jobs only wake the recompute workers.
  const latest = await pendingRecomputes(db, [...owed.keys()]);
  await enqueueRecomputes(queues, latest);
  return { events, counts, queued: latest.length, complete: true };
}
