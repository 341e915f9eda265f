// Issue 8 part 2, the burst case: 10,000 events for one partner within about a second, half
// as signed webhooks (ten concurrent requests of 500) and half through `tierline ingest FILE`
// at the same time. All are stored, nothing is dead-lettered, and the one partner's stored
// scorecard, history and ledger equal the reference evaluation of the same events
// (however many of its recomputes collapsed into one).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OutcomeCounts } from '../../services/ingest/batch.ts';
import { runIngest } from '../../scripts/commands/ingest.ts';
import { buildServer } from '../../workers/http/server.ts';
import { signBody } from '../../workers/http/signature.ts';
import { BURST_EVENTS, BURST_PARTNER, burstEvents } from '../fixtures/hostile/burst.ts';
import { counts, withCliEnv } from '../ingest/support.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import {
  currentHistory,
  evaluateRef,
  expectedHistory,
  ledgerSums,
  nonZero,
  reference,
  referenceLines,
  storedScorecard,
} from '../recompute/support.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { setEnv } from '../setup/env.ts';
import { track } from '../setup/leaks.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';

const TODAY = '2026-11-23';
const SECRETS = { crm: 'burst-crm-secret-0123456789abcdef', lms: 'burst-lms-secret-0123456789abcdef' };

describeWithPostgres('10,000 events for one partner in a second', () => {
  let pipeline: Pipeline;
  let app: FastifyInstance;
  let release: () => void;
  let restoreEnv: () => void;
  let dir: string;
  const events = burstEvents();
  const statuses: number[] = [];
  let fileCounts: OutcomeCounts | undefined;

  beforeAll(async () => {
    restoreEnv = setEnv({ TIERLINE_TODAY: TODAY });
    pipeline = await createPipeline();
    await pipeline.startWorkers(['ingest', 'recompute']);
    app = buildServer({
      queues: pipeline.queues,
      db: pipeline.database.db,
      secrets: SECRETS,
      log: pino({ level: 'silent' }),
      adminToken: null,
      metricsTokens: [],
    });
    release = track({ kind: 'fastify', label: 'burst receiver', close: () => app.close() });
    await app.ready();
    dir = await mkdtemp(join(tmpdir(), 'tierline-burst-'));
    const file = join(dir, 'burst.jsonl');
    // Odd events through the importer, even ones (crm by source, lms separately) as webhooks.
    await writeFile(
      file,
      events
        .filter((_, i) => i % 2 === 1)
        .map((e) => JSON.stringify(e))
        .join('\n'),
    );
    const webhook = events.filter((_, i) => i % 2 === 0);
    const bodies: Array<{ source: 'crm' | 'lms'; body: string }> = [];
    for (const source of ['crm', 'lms'] as const) {
      const mine = webhook.filter((e) => e.source === source);
      for (let i = 0; i < mine.length; i += 500) bodies.push({ source, body: JSON.stringify(mine.slice(i, i + 500)) });
    }
    const quiet = console.log;
    console.log = () => {};
    try {
      const t = Math.floor(Date.now() / 1000);
      const [posted, imported] = await Promise.all([
        Promise.all(
          bodies.map(({ source, body }) =>
            app.inject({
              method: 'POST',
              url: `/events/${source}`,
              headers: {
                'content-type': 'application/json',
                'x-tierline-signature': signBody(SECRETS[source], body, t),
              },
              payload: body,
            }),
          ),
        ),
        withCliEnv(pipeline, () => runIngest(file, { wait: true })),
      ]);
      statuses.push(...posted.map((r) => r.statusCode));
      fileCounts = imported;
    } finally {
      console.log = quiet;
    }
    await waitUntilDrained(pipeline);
  }, 120_000);

  afterAll(async () => {
    release?.();
    await app?.close();
    await pipeline?.stop();
    restoreEnv?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('accepts every request and every line', () => {
    expect(statuses.length).toBeGreaterThan(9);
    expect(statuses.every((s) => s === 202)).toBe(true);
    // A deal's first version arriving after its revision (on the other path) is stale, not lost.
    expect(fileCounts).toEqual(counts({ accepted: expect.any(Number) as number, stale: expect.any(Number) as number }));
    expect((fileCounts?.accepted ?? 0) + (fileCounts?.stale ?? 0)).toBe(BURST_EVENTS / 2);
  });

  it('stores all 10,000 events and dead-letters none', async () => {
    const db = pipeline.database.db;
    const inbox = await db
      .selectFrom('inbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('partner_id', '=', BURST_PARTNER)
      .where('outcome', '=', 'accepted')
      .executeTakeFirstOrThrow();
    const stale = await db
      .selectFrom('inbox')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('partner_id', '=', BURST_PARTNER)
      .where('outcome', '=', 'stale')
      .executeTakeFirstOrThrow();
    // A revision that arrives before the deal it revises leaves the older version stale.
    expect(Number(inbox.n) + Number(stale.n)).toBe(BURST_EVENTS);
    expect(await db.selectFrom('dead_letters').select('event_id').execute()).toEqual([]);
    const deals = new Set(
      events.filter((e) => e.type === 'deal.upserted').map((e) => (e.data as { dealId: string }).dealId),
    );
    const stored = await db
      .selectFrom('deals')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('partner_id', '=', BURST_PARTNER)
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(deals.size);
  });

  it('recomputes the partner to exactly the reference evaluation', async () => {
    const db = pipeline.database.db;
    const expected = evaluateRef(reference(pipeline.program, events), BURST_PARTNER, TODAY);
    expect(await storedScorecard(db, BURST_PARTNER)).toEqual(JSON.parse(JSON.stringify(expected.scorecard)));
    expect(await currentHistory(db, BURST_PARTNER)).toEqual(expectedHistory(expected));
    expect(nonZero(await ledgerSums(db, BURST_PARTNER))).toEqual(referenceLines(expected));
    expect(await db.selectFrom('recompute_requests').select('partner_id').execute()).toEqual([]);
  });
});
