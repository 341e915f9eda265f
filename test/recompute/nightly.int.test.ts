// Issue 4, "Done when": the nightly run over 10,000 partners with a year of facts is
// chunked across two worker processes, completes, and a second run for the same day changes
// nothing. Facts go in with applyEventBatch (the --backfill path) without waking any
// recompute job, two `tierline workers --only recompute` children share the chunks, and
// `recompute --all --as-of D --wait` returns the summary. Every stored scorecard, history and
// ledger then equals the reference (`tierline evaluate`'s BatchEvaluation) for that day.
// TIERLINE_NIGHTLY_PARTNERS=1000 runs it smaller (10,000 takes about a minute on 2 cores).
import type { Job } from 'bullmq';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { RecomputeSummary } from '../../services/recompute/summary.ts';
import { JOBS, type ChunkPayload } from '../../queues/catalog.ts';
import { runRecompute } from '../../scripts/commands/recompute.ts';
import { generateHistory } from '../../tools/generate/history.ts';
import type { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { setEnv } from '../setup/env.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  cliEnv,
  compareWithReference,
  putFacts,
  recordScorecardWriters,
  reference,
  resetScorecardWriters,
  scorecardWriters,
  spawnRecomputeWorker,
  tableCounts,
} from './support.ts';
import { stopChild, type ChildWorker } from '../setup/children.ts';

const AS_OF = '2026-11-23';
const PARTNERS = Number(process.env.TIERLINE_NIGHTLY_PARTNERS ?? 10_000);

type RunResult = RecomputeSummary & { asOf: string; chunks: number; seconds: number };

describeWithPostgres(`recompute: the nightly run over ${PARTNERS} partners`, () => {
  let pipeline: Pipeline;
  let batch: BatchEvaluation;
  let restoreEnv: (() => void) | undefined;
  const workers: ChildWorker[] = [];
  let events = 0;

  beforeAll(async () => {
    pipeline = await createPipeline();
    await recordScorecardWriters(pipeline.database.db);
    // A year of facts, about 25 events per partner (long-tailed sizes).
    const history = [
      ...generateHistory({ partners: PARTNERS, seed: 2026, until: AS_OF, months: 12, eventsPerPartner: 25 }),
    ];
    events = history.length;
    const started = performance.now();
    await putFacts(pipeline, history, 2_000);
    console.info(
      `nightly: ${events} events for ${PARTNERS} partners stored in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    batch = reference(pipeline.program, history);
    workers.push(
      await spawnRecomputeWorker(pipeline, 'recompute-a', AS_OF),
      await spawnRecomputeWorker(pipeline, 'recompute-b', AS_OF),
    );
    restoreEnv = setEnv(cliEnv(pipeline, AS_OF));
  }, 240_000);

  afterAll(async () => {
    await Promise.all(workers.map((w) => stopChild(w)));
    await pipeline?.stop();
    restoreEnv?.();
  });

  async function nightly(full = false): Promise<{ result: RunResult; seconds: number }> {
    const started = performance.now();
    // runRecompute prints the summary it returns; keep the test output to the timings below.
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const result = (await runRecompute({ all: true, asOf: AS_OF, wait: true, full })) as RunResult;
      return { result, seconds: (performance.now() - started) / 1000 };
    } finally {
      log.mockRestore();
    }
  }

  /** The chunk jobs of the runs so far, with the worker (application_name) that wrote each chunk's scorecards. */
  async function chunksByWorker(): Promise<Map<string, number>> {
    const writers = await scorecardWriters(pipeline.database.db);
    const jobs = (await pipeline.queues.recompute.getJobs(['completed'], 0, -1)) as Job<ChunkPayload>[];
    const perWorker = new Map<string, number>();
    for (const job of jobs.filter((j) => j.name === JOBS.recomputeChunk.name)) {
      const apps = new Set(job.data.partnerIds.flatMap((id) => [...(writers.get(id) ?? [])]));
      // A chunk is one job: exactly one process wrote all of its partners.
      expect([...apps], `chunk ${job.id}`).toHaveLength(1);
      const [app] = apps;
      if (app !== undefined) perWorker.set(app, (perWorker.get(app) ?? 0) + 1);
    }
    return perWorker;
  }

  it('is chunked across two worker processes, completes, and equals the reference', async () => {
    const { result, seconds } = await nightly();
    console.info(
      `nightly: first run over ${PARTNERS} partners: ${seconds.toFixed(1)} s wall (${result.seconds} s in the run job), ${result.chunks} chunks, ${JSON.stringify(result.changes)}`,
    );
    expect(result).toMatchObject({ asOf: AS_OF, partners: PARTNERS });
    expect(result.chunks).toBeGreaterThan(1);

    // Both processes took chunks, and each chunk was done by one of them.
    const writers = await scorecardWriters(pipeline.database.db);
    expect(writers.size).toBe(PARTNERS);
    const perWorker = await chunksByWorker();
    expect([...perWorker.keys()].sort()).toEqual(['recompute-a', 'recompute-b']);
    expect([...perWorker.values()].reduce((a, b) => a + b, 0)).toBe(result.chunks);

    const compared = await compareWithReference(pipeline.database.db, batch, AS_OF);
    expect(compared.partners).toBe(PARTNERS);
    expect(compared.scorecards).toEqual([]);
    expect(compared.history).toEqual([]);
    expect(compared.ledger).toEqual([]);
    // A first computation: one decision per tier change, one entry per non-zero ledger line.
    const counts = await tableCounts(pipeline.database.db);
    expect(counts).toMatchObject({
      scorecards: PARTNERS,
      decisions: compared.changes,
      ledger_entries: compared.ledgerLines,
      history_superseded: 0,
    });
    expect(result.decisions).toBe(compared.changes);
    expect(result.ledgerEntries).toBe(compared.ledgerLines);
    const owed = await pipeline.database.db.selectFrom('recompute_requests').select('partner_id').execute();
    expect(owed).toEqual([]);
  }, 300_000);

  it('changes nothing when forced to run again for the same day (--full)', async () => {
    const db = pipeline.database.db;
    const before = await tableCounts(db);
    const cards = await db.selectFrom('scorecards').select(['partner_id', 'scorecard']).orderBy('partner_id').execute();
    await resetScorecardWriters(db);

    const { result, seconds } = await nightly(true);
    console.info(`nightly: second run over ${PARTNERS} partners: ${seconds.toFixed(1)} s wall`);
    expect(result).toMatchObject({
      asOf: AS_OF,
      partners: PARTNERS,
      decisions: 0,
      ledgerEntries: 0,
      changes: { promoted: 0, demoted: 0, override: 0, restarted: 0, track: 0 },
    });
    expect(await tableCounts(db)).toEqual(before);
    expect(
      await db.selectFrom('scorecards').select(['partner_id', 'scorecard']).orderBy('partner_id').execute(),
    ).toEqual(cards);
    // It did run (every scorecard rewritten, by both processes again).
    const writers = await scorecardWriters(db);
    expect(writers.size).toBe(PARTNERS);
    expect(new Set([...writers.values()].flatMap((apps) => [...apps]))).toEqual(
      new Set(['recompute-a', 'recompute-b']),
    );
    for (const w of workers) expect(w.output()).not.toMatch(/"level":(40|50|60)/);
  }, 300_000);
});
