// Issue 4, "Done when": killing the recompute worker mid-chunk and restarting it leaves no
// partner half-written and no ledger entry duplicated. A nightly run is started over a few
// thousand partners that were never computed; the only `tierline workers --only recompute`
// child is SIGKILLed once some partners are written but not all; a second child takes the
// stalled chunks over when their locks expire. Once the run completes, every partner's
// scorecard, history and ledger equal the reference, and each (partner, deal, benefit) has
// exactly one entry, for exactly the reference amount.
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import type { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { JOBS } from '../../queues/catalog.ts';
import { runRecompute } from '../../scripts/commands/recompute.ts';
import { generateHistory } from '../../tools/generate/history.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { setEnv } from '../setup/env.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  cliEnv,
  compareWithReference,
  ledgerSums,
  putFacts,
  reference,
  spawnRecomputeWorker,
  tableCounts,
} from './support.ts';
import { stopChild, type ChildWorker } from '../setup/children.ts';
import { pollUntil } from '../setup/wait.ts';

const AS_OF = '2026-11-23';
const PARTNERS = 3_000;

describeWithPostgres('recompute: a worker killed mid-chunk', () => {
  let pipeline: Pipeline;
  let batch: BatchEvaluation;
  let restoreEnv: (() => void) | undefined;
  let first: ChildWorker | undefined;
  let second: ChildWorker | undefined;

  beforeAll(async () => {
    pipeline = await createPipeline();
    const history = [
      ...generateHistory({ partners: PARTNERS, seed: 77, until: AS_OF, months: 12, eventsPerPartner: 25 }),
    ];
    await putFacts(pipeline, history);
    batch = reference(pipeline.program, history);
    restoreEnv = setEnv(cliEnv(pipeline, AS_OF));
  }, 120_000);

  afterAll(async () => {
    first?.child.kill('SIGKILL');
    await stopChild(second);
    await pipeline?.stop();
    restoreEnv?.();
  });

  const scorecards = async () => (await tableCounts(pipeline.database.db)).scorecards ?? 0;

  it('leaves no partner half-written and no ledger entry duplicated', async () => {
    const db = pipeline.database.db;
    first = await spawnRecomputeWorker(pipeline, 'recompute-first', AS_OF);
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const run = runRecompute({ all: true, asOf: AS_OF, wait: true }).finally(() => log.mockRestore());
    // Kill it once its chunks are under way: some partners written, most not.
    const atKill = await pollUntil(
      'the first worker to write some partners',
      async () => {
        const n = await scorecards();
        return n >= PARTNERS * 0.1 ? n : undefined;
      },
      60_000,
      5,
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const afterKill = await scorecards();
    expect(afterKill, `the run finished before the kill (${atKill} written at the kill)`).toBeLessThan(PARTNERS);
    // Its chunks are still active: their locks must expire before anyone takes them over.
    expect(await pipeline.queues.recompute.getActiveCount()).toBeGreaterThan(0);

    const restarted = performance.now();
    second = await spawnRecomputeWorker(pipeline, 'recompute-second', AS_OF);
    const result = (await run) as { partners: number; notDue: number; chunks: number };
    console.info(
      `kill: ${atKill} of ${PARTNERS} partners written when killed (${afterKill} after), run completed ${((performance.now() - restarted) / 1000).toFixed(1)} s after the restart`,
    );
    // Partners the killed worker had committed owe nothing any more and are already as of the
    // day: the re-run leaves them (the nightly run recomputes only what is due); every other
    // partner is recomputed.
    expect(result.partners).toBeGreaterThanOrEqual(PARTNERS - afterKill);
    expect(result.partners + result.notDue).toBeLessThanOrEqual(PARTNERS);
    const chunks = (await pipeline.queues.recompute.getJobs(['completed'], 0, -1)).filter(
      (j) => j.name === JOBS.recomputeChunk.name,
    );
    expect(chunks).toHaveLength(result.chunks);
    // At least one chunk really was interrupted and run again.
    expect(chunks.filter((j) => j.attemptsStarted > 1 || j.stalledCounter > 0).length).toBeGreaterThan(0);
    await stopChild(second);
    expect(second.output()).not.toMatch(/"level":(50|60)/);

    // Nobody half-written: scorecard, history and ledger of every partner equal the reference.
    const compared = await compareWithReference(db, batch, AS_OF);
    expect(compared.scorecards).toEqual([]);
    expect(compared.history).toEqual([]);
    expect(compared.ledger).toEqual([]);
    const counts = await tableCounts(db);
    expect(counts).toMatchObject({ scorecards: PARTNERS, history_superseded: 0, decisions: compared.changes });

    // Nothing duplicated: one accrual per (partner, deal, benefit), for the reference amount.
    const sums = await ledgerSums(db);
    expect(counts.ledger_entries).toBe(compared.ledgerLines);
    expect([...sums].filter(([, v]) => v.entries !== 1).map(([k]) => k)).toEqual([]);
    const kinds = await db.selectFrom('ledger_entries').select('kind').distinct().execute();
    expect(kinds.map((k) => k.kind)).toEqual(['accrual']);
    const { rows: duplicateDecisions } = await sql<{ n: string }>`
      select count(*)::text as n from (
        select 1 from decisions group by partner_id, day, previous_tier, new_tier having count(*) > 1
      ) d`.execute(db);
    expect(duplicateDecisions[0]?.n).toBe('0');
    expect(await db.selectFrom('recompute_requests').select('partner_id').execute()).toEqual([]);
  }, 180_000);
});
