// Issue 3, "Done when": a worker killed mid-batch (SIGKILL of a child process) loses nothing
// and double-applies nothing once restarted. A few thousand events are queued with
// `ingest FILE` (no --wait); a `tierline workers --only ingest` child is killed once some
// facts exist but not all; a second child picks up the stalled jobs once their locks expire.
// When the queues are drained, every (source, id) of the file has exactly one inbox row and
// the stored facts equal the fold of the file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPartnerFacts } from '../../services/facts.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { runIngest } from '../../scripts/commands/ingest.ts';
import { generateHistory, type GeneratedEvent } from '../../tools/generate/history.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { countRows, ingestQueuesDrained, normaliseAll, reorderKeys, spawnIngestWorker, withCliEnv } from './support.ts';
import { stopChild, type ChildWorker } from '../setup/children.ts';
import { prng, shuffle } from '../setup/prng.ts';
import { pollUntil } from '../setup/wait.ts';

describe('ingest: a worker killed mid-batch', () => {
  let pipeline: Pipeline;
  let dir: string | undefined;
  let first: ChildWorker | undefined;
  let second: ChildWorker | undefined;

  beforeAll(async () => {
    pipeline = await createPipeline();
  });
  afterAll(async () => {
    first?.child.kill('SIGKILL');
    await stopChild(second);
    await pipeline?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loses nothing and double-applies nothing once restarted', async () => {
    const random = prng(99);
    const history: GeneratedEvent[] = [
      ...generateHistory({ partners: 120, seed: 3, until: '2026-11-23', months: 24, eventsPerPartner: 50 }),
    ];
    const lines = shuffle(
      history.map((e) => JSON.stringify(e)),
      random,
    );
    for (const e of history.filter(() => random() < 0.03))
      lines.splice(Math.floor(random() * lines.length), 0, JSON.stringify(reorderKeys(e)));
    expect(lines.length).toBeGreaterThan(4_000);
    dir = await mkdtemp(join(tmpdir(), 'tierline-kill-'));
    const path = join(dir, 'events.jsonl');
    await writeFile(path, `${lines.join('\n')}\n`);

    const expected = new BatchEvaluation(pipeline.program);
    for (const line of lines) expected.addLine(line);
    expect(expected.counts.invalid).toBe(0);
    const keys = new Set(history.map((e) => `${e.source}\u0000${e.id}`));

    // Queue everything first, then let a worker at it.
    const queued = await withCliEnv(pipeline, () => runIngest(path, {}));
    expect(queued).toBeUndefined();
    first = spawnIngestWorker(pipeline);
    const seenAtKill = await pollUntil(
      'the first worker to store some facts',
      async () => {
        const n = await countRows(pipeline, 'inbox');
        return n > 0 ? n : undefined;
      },
      30_000,
      5,
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    const afterKill = await countRows(pipeline, 'inbox');
    expect(afterKill, `the worker finished before it was killed (${seenAtKill} at kill)`).toBeLessThan(keys.size);
    // Jobs it held are still active: their locks have to expire before anyone retries them.
    const active = (
      await Promise.all((['crm', 'lms', 'erp'] as const).map((q) => pipeline.queues[q].getActiveCount()))
    ).reduce((a, b) => a + b, 0);
    expect(active).toBeGreaterThan(0);

    second = spawnIngestWorker(pipeline);
    const drained = await pollUntil(
      'the restarted worker to drain the queues',
      async () => {
        const queues = await ingestQueuesDrained(pipeline);
        return queues && (await countRows(pipeline, 'inbox')) === keys.size ? queues : undefined;
      },
      75_000,
      250,
    );
    await stopChild(second);
    expect(drained.failed, second.output()).toBe(0);

    // Every event exactly once: one inbox row per (source, id) of the file, no dead letters.
    const inbox = await pipeline.database.db.selectFrom('inbox').select(['source', 'event_id', 'outcome']).execute();
    expect(new Set(inbox.map((r) => `${r.source}\u0000${r.event_id}`))).toEqual(keys);
    expect(await countRows(pipeline, 'dead_letters')).toBe(0);
    expect(await countRows(pipeline, 'inbox_conflicts')).toBe(0);
    // Event-keyed facts are there once each (a double apply would add rows).
    const byType = (type: string) => history.filter((e) => e.type === type).length;
    expect(await countRows(pipeline, 'certifications_earned')).toBe(byType('certification.earned'));
    expect(await countRows(pipeline, 'certification_revocations')).toBe(byType('certification.revoked'));
    expect(await countRows(pipeline, 'person_departures')).toBe(byType('person.departed'));
    expect(await countRows(pipeline, 'invoices')).toBe(byType('invoice.booked'));
    expect(await countRows(pipeline, 'invoice_credits')).toBe(byType('invoice.credited'));
    expect(await countRows(pipeline, 'partners')).toBe(byType('partner.upserted'));

    // And the facts are what the file folds to.
    const ids = expected.partnerIds();
    const facts = await loadPartnerFacts(pipeline.database.db, ids, pipeline.program.currency);
    const fromDb = normaliseAll(facts);
    const fromFile = normaliseAll(expected.folder.partners);
    for (const id of ids) expect(fromDb[id], id).toEqual(fromFile[id]);
  }, 120_000);
});
