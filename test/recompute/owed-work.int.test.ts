// Owed work found again from Postgres: the reconciler re-enqueues recomputes whose wake-up
// job was lost, and loading a new program version makes every partner owe a recompute from
// its effectiveFrom (SPEC §2 "Versions", §8).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from 'bullmq';
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { dayOrThrow } from '../../domain/dates.ts';
import { loadProgramTexts } from '../../domain/program/load.ts';
import { loadPrograms } from '../../scripts/commands/program.ts';
import { ProgramCache } from '../../workers/program-cache.ts';
import type { WakePayload } from '../../queues/catalog.ts';
import { reconcileHandler } from '../../workers/recompute-jobs.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import { certificationEarned, cliEnv, dealUpserted, partnerUpserted, putFacts, reference } from './support.ts';
import { withEnv } from '../setup/env.ts';

const TODAY = '2026-11-23';

describeWithPostgres('owed recomputes', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    vi.stubEnv('TIERLINE_TODAY', TODAY);
    pipeline = await createPipeline();
  });

  afterAll(async () => {
    await pipeline?.stop();
    vi.unstubAllEnvs();
  });

  const events = [
    partnerUpserted('p1', 'P-OWED', { partnerType: 'reseller' }),
    dealUpserted('d1', 'P-OWED', {
      dealId: 'D1',
      stage: 'closed_won',
      amount: '260000.00',
      currency: 'USD',
      closedAt: '2026-08-01',
      version: 1,
    }),
    certificationEarned('c1', 'P-OWED', { personId: 'a', certificationId: 'sales-expert', earnedAt: '2026-01-10' }),
    certificationEarned('c2', 'P-OWED', { personId: 'b', certificationId: 'sales-associate', earnedAt: '2026-01-10' }),
  ];

  it('the reconciler re-enqueues a request whose job was lost, and the workers then clear it', async () => {
    await putFacts(pipeline, events);
    // As if Redis lost the wake-up job: the request is in Postgres, no job is queued.
    await pipeline.database.db
      .updateTable('recompute_requests')
      .set({ requested_at: sql`now() - interval '5 minutes'` })
      .execute();
    expect(await pipeline.queues.recompute.getJobCountByTypes('waiting', 'delayed')).toBe(0);
    const deps = {
      db: pipeline.database.db,
      queues: pipeline.queues,
      programs: new ProgramCache(pipeline.database.db),
      log: pino({ level: 'silent' }),
    };
    const result = await reconcileHandler(deps, 60_000)({ name: 'reconcile', data: {} } as Job);
    expect(result).toEqual({ requeued: 1 });
    const waiting = await pipeline.queues.recompute.getJobs(['waiting', 'delayed']);
    expect(waiting.flatMap((j) => (j.data as WakePayload).owed.map((o) => o.partnerId))).toEqual(['P-OWED']);
    await pipeline.startWorkers(['recompute']);
    try {
      await waitUntilDrained(pipeline);
    } finally {
      await pipeline.stopWorkers();
    }
    const stored = await pipeline.database.db
      .selectFrom('scorecards')
      .select('scorecard')
      .where('partner_id', '=', 'P-OWED')
      .executeTakeFirstOrThrow();
    expect((stored.scorecard as { effectiveTier: string }).effectiveTier).toBe('silver');
  });

  it('program load of a later version owes every partner a recompute from its effectiveFrom and queues a run', async () => {
    const v1 = JSON.parse(readFileSync('examples/acme/program.json', 'utf8')) as Record<string, unknown> & {
      tracks: Array<{ tiers: Array<{ criteria: { allOf: Array<{ atLeast?: string }> } | null }> }>;
    };
    const v2 = structuredClone(v1);
    v2.version = '2028.1';
    v2.effectiveFrom = '2026-10-01';
    // Silver now needs 300,000: the partner falls into grace from 2026-10-01.
    const silver = v2.tracks[0]?.tiers[1]?.criteria?.allOf[0];
    if (!silver) throw new Error('unexpected example program');
    silver.atLeast = '300000';
    const file = join(mkdtempSync(join(tmpdir(), 'tierline-v2-')), 'v2.json');
    writeFileSync(file, JSON.stringify(v2));

    await withEnv(cliEnv(pipeline, TODAY), () => loadPrograms([file], () => {}));
    const owed = await pipeline.database.db
      .selectFrom('recompute_requests')
      .select(['partner_id', 'from_day'])
      .execute();
    expect(owed).toEqual([{ partner_id: 'P-OWED', from_day: '2026-10-01' }]);
    expect(await pipeline.queues.recompute.getJobCountByTypes('waiting', 'delayed')).toBe(1);

    await pipeline.startWorkers(['recompute']);
    try {
      await waitUntilDrained(pipeline);
    } finally {
      await pipeline.stopWorkers();
    }
    const both = loadProgramTexts([
      { name: 'v1', text: JSON.stringify(v1) },
      { name: 'v2', text: JSON.stringify(v2) },
    ]);
    if (!both.ok) throw new Error(both.problems.join('\n'));
    const expected = reference(both.value, events).evaluate('P-OWED', dayOrThrow(TODAY))?.scorecard;
    const stored = await pipeline.database.db
      .selectFrom('scorecards')
      .select('scorecard')
      .where('partner_id', '=', 'P-OWED')
      .executeTakeFirstOrThrow();
    expect(stored.scorecard).toEqual(expected);
    expect(expected).toMatchObject({
      program: { version: '2028.1' },
      effectiveTier: 'silver',
      qualifiedTier: 'registered',
      status: 'grace',
    });
  });
});
