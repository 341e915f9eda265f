// A nightly chunk takes its partners' locks in one statement, in a fixed order. If, while it
// waits for one of them, a new event arrives for another partner of the chunk and the
// streaming recompute of that partner runs (and clears its owed request) first, the chunk
// must not write an older state over the newer one: no stale scorecard, no ledger
// adjustment taking the new deal's accrual back.
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { recomputePartners } from '../../services/recompute/partners.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import {
  certificationEarned,
  dealUpserted,
  evaluateRef,
  ledgerEntries,
  ledgerSums,
  nonZero,
  partnerUpserted,
  putFacts,
  reference,
  referenceLines,
  storedScorecard,
  type TestEvent,
} from './support.ts';
import { pollUntil } from '../setup/wait.ts';

const AS_OF = '2026-11-23';
const A = 'P-RACE-A';
const X = 'P-RACE-X';

describeWithPostgres('recompute: a chunk racing a streaming recompute', () => {
  let pipeline: Pipeline;
  let holder: pg.Client | undefined;

  beforeAll(async () => {
    pipeline = await createPipeline();
  });
  afterAll(async () => {
    await holder?.end().catch(() => {});
    await pipeline?.stop();
  });

  it('never writes its preloaded facts over a newer recompute of the same partner', async () => {
    const db = pipeline.database.db;
    const asOf = dayOrThrow(AS_OF);
    const events: TestEvent[] = [A, X].flatMap((p) => [
      partnerUpserted(`${p}-p`, p),
      certificationEarned(`${p}-c1`, p, { personId: 'E1', earnedAt: '2026-01-10' }),
      dealUpserted(`${p}-d1`, p, { dealId: 'D1', amount: '100000.00', closedAt: '2026-03-01' }),
    ]);
    await putFacts(pipeline, events);
    await recomputePartners(db, pipeline.program, [A, X], asOf);

    // Hold A's recompute lock, so the chunk [A, X] waits on A (A's key is taken first or X's is
    // still free: either way the streaming recompute of X below is not blocked by A).
    const lock = new pg.Client({ connectionString: pipeline.database.url });
    holder = lock;
    await lock.connect();
    await lock.query('begin');
    await lock.query('select pg_advisory_xact_lock(hashtextextended($1, 0))', [`recompute:${A}`]);
    const chunk = recomputePartners(db, pipeline.program, [A, X], asOf);
    await pollUntil('the chunk to wait for the lock of its first partner', async () => {
      const { rows } = await lock.query<{ n: string }>(
        `select count(*)::text as n from pg_locks where locktype = 'advisory' and not granted`,
      );
      return rows[0]?.n !== '0' ? true : undefined;
    });

    // Meanwhile a deal closes for X, and the streaming path recomputes X.
    const late = dealUpserted(`${X}-d2`, X, { dealId: 'D2', amount: '20000.00', closedAt: '2026-11-20' });
    events.push(late);
    await putFacts(pipeline, [late]);
    await recomputePartners(db, pipeline.program, [X], asOf);
    const expected = evaluateRef(reference(pipeline.program, events), X, AS_OF);
    expect(await storedScorecard(db, X)).toEqual(expected.scorecard);
    const entriesBefore = await ledgerEntries(db, X);

    // The chunk goes on.
    await lock.query('commit');
    await chunk;

    expect(await storedScorecard(db, X)).toEqual(expected.scorecard);
    expect(nonZero(await ledgerSums(db, X))).toEqual(referenceLines(expected));
    expect(await ledgerEntries(db, X)).toEqual(entriesBefore);
  });
});
