// Issue 8 part 2, the importer side: the whole hostile corpus (test/fixtures/hostile) as one
// JSON Lines file, one case per line, through `tierline ingest FILE --wait` (runIngest, on
// the pipeline's services) and the ingest, recompute and notifier workers. Per case: stored
// exactly once or dead-lettered with a reason naming the problem; over-limit lines do not stop
// the lines after them; no polluted prototype; promotion emails without header injection or
// live markup; the workers still serving afterwards.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OutcomeCounts } from '../../services/ingest/batch.ts';
import { runIngest } from '../../scripts/commands/ingest.ts';
import { HOSTILE_CASES, caseBytes, outcomeOf } from '../fixtures/hostile/cases.ts';
import { counts, ingestOne, withCliEnv } from '../ingest/support.ts';
import { waitUntilDrained } from '../pipeline/drain.ts';
import { describeWithPostgres } from '../setup/db.ts';
import { itHandlesTheCorpus, startHostilePipeline, type HostilePipeline } from './hostile-support.ts';

const canary = (id: string) =>
  JSON.stringify({
    id,
    source: 'crm',
    type: 'deal.upserted',
    occurredAt: '2026-11-20T10:00:00Z',
    partnerId: 'P-HOSTILE-CANARY',
    data: { dealId: id, stage: 'open', amount: '1.00', currency: 'USD', version: 1 },
  });

describeWithPostgres('hostile corpus through the file importer', () => {
  let h: HostilePipeline;
  let dir: string;
  let result: OutcomeCounts | undefined;

  beforeAll(async () => {
    h = await startHostilePipeline();
    dir = await mkdtemp(join(tmpdir(), 'tierline-hostile-file-'));
    const file = join(dir, 'hostile.jsonl');
    // Every case on its own line (CRLF after one of them), a canary after each over-limit line.
    const lines: Buffer[] = [];
    for (const c of HOSTILE_CASES) {
      lines.push(caseBytes(c));
      if (c.file.startsWith('oversized')) lines.push(Buffer.from(canary(`hostile-canary-after-${c.file}`)));
    }
    await writeFile(file, Buffer.concat(lines.flatMap((line, i) => [line, Buffer.from(i === 1 ? '\r\n' : '\n')])));
    const quiet = console.log;
    console.log = () => {};
    try {
      result = await withCliEnv(h.pipeline, () => runIngest(file, { wait: true }));
    } finally {
      console.log = quiet;
    }
    await waitUntilDrained(h.pipeline);
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('counts every line: the stored ones accepted, the rest dead-lettered', () => {
    const stored = HOSTILE_CASES.filter((c) => outcomeOf(c, 'file').outcome === 'stored').length;
    const canaries = HOSTILE_CASES.filter((c) => c.file.startsWith('oversized')).length;
    expect(result).toEqual(counts({ accepted: stored + canaries, 'dead-lettered': HOSTILE_CASES.length - stored }));
  });

  itHandlesTheCorpus(() => h, 'file');

  it('goes on after an over-limit line', async () => {
    const after = await h.pipeline.database.db
      .selectFrom('inbox')
      .select('event_id')
      .where('event_id', 'like', 'hostile-canary-after-%')
      .orderBy('event_id')
      .execute();
    expect(after.map((r) => r.event_id)).toEqual([
      'hostile-canary-after-oversized-body.json',
      'hostile-canary-after-oversized-event.json',
    ]);
  });

  it('is still serving afterwards: a new event is stored', async () => {
    expect(await ingestOne(h.pipeline, 'crm', [canary('hostile-canary-last')])).toEqual(counts({ accepted: 1 }));
  });
});
