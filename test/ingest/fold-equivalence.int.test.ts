// Issue 3, "Done when": after `ingest FILE --wait` of an events file, the facts in Postgres
// fold to the same partner facts as `tierline evaluate` reads from that file — and so give
// the same scorecards. The file is a generated history of a few hundred partners, shuffled
// (deal versions out of order), with exact and re-keyed duplicates, a few conflicting
// copies and a few broken lines. The same holds for the bulk `--backfill` path, whose counts,
// applying the file in order, equal the fold's exactly.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPartnerFacts } from '../../services/facts.ts';
import { dayOrThrow } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { evaluatePartner } from '../../domain/evaluation/scorecard.ts';
import type { OutcomeCounts } from '../../services/ingest/batch.ts';
import { generateHistory, type GeneratedEvent } from '../../tools/generate/history.ts';
import { readLines } from '../../scripts/lib/lines.ts';
import { runIngest } from '../../scripts/commands/ingest.ts';
import type { WakePayload } from '../../queues/catalog.ts';
import { createPipeline, loadExampleProgram, type Pipeline } from '../setup/pipeline.ts';
import { normaliseAll, reorderKeys, withCliEnv } from './support.ts';
import { prng, shuffle } from '../setup/prng.ts';

const AS_OF = '2026-11-23';

/** The events file: shuffled history, duplicates, conflicting copies, broken lines. */
function buildLines(): string[] {
  const random = prng(20261123);
  const history: GeneratedEvent[] = [
    ...generateHistory({ partners: 300, seed: 5, until: AS_OF, months: 24, eventsPerPartner: 8 }),
  ];
  const lines = shuffle(
    history.map((e) => JSON.stringify(e)),
    random,
  );
  // About 5% delivered again: exact copies and copies with their keys in another order.
  const again = history.filter(() => random() < 0.05).map((e, i) => JSON.stringify(i % 2 === 0 ? e : reorderKeys(e)));
  for (const line of again) lines.splice(Math.floor(random() * (lines.length + 1)), 0, line);
  // Conflicting copies right after their originals, among the first crm lines, so that both
  // travel in the same job and arrive in file order on the queue path too.
  let crmSeen = 0;
  let conflicts = 0;
  for (let i = 0; i < lines.length && crmSeen < 300 && conflicts < 5; i++) {
    const e = JSON.parse(lines[i] as string) as GeneratedEvent;
    if (e.source !== 'crm') continue;
    crmSeen++;
    if (e.type === 'deal.upserted' && crmSeen % 40 === 0) {
      lines.splice(i + 1, 0, JSON.stringify({ ...e, data: { ...e.data, amount: '1.00' } }));
      conflicts++;
      i++;
      crmSeen++;
    }
  }
  // Broken lines: not JSON, an unknown type, a negative amount.
  lines.splice(10, 0, '{"id": "crm-broken-1", "source": "crm"');
  lines.splice(500, 0, JSON.stringify({ ...history[0], id: 'crm-broken-2', type: 'deal.deleted' }));
  const deal = history.find((e) => e.type === 'deal.upserted') as GeneratedEvent;
  lines.splice(900, 0, JSON.stringify({ ...deal, id: 'crm-broken-3', data: { ...deal.data, amount: '-10.00' } }));
  return lines;
}

async function writeEvents(lines: string[]): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'tierline-fold-'));
  const path = join(dir, 'events.jsonl');
  await writeFile(path, `${lines.join('\n')}\n`);
  return { dir, path };
}

/** What `tierline evaluate` folds from the file. */
async function evaluateFile(path: string): Promise<BatchEvaluation> {
  const batch = new BatchEvaluation(loadExampleProgram());
  for await (const line of readLines(path)) batch.addLine(line);
  return batch;
}

async function expectSameFacts(pipeline: Pipeline, batch: BatchEvaluation): Promise<void> {
  const ids = batch.partnerIds();
  expect(ids.length).toBeGreaterThan(250);
  // Every partner with a stored event, and no other.
  const stored = await pipeline.database.db
    .selectFrom('inbox')
    .select('partner_id')
    .distinct()
    .orderBy('partner_id')
    .execute();
  expect(stored.map((r) => r.partner_id)).toEqual(ids);
  const facts = await loadPartnerFacts(pipeline.database.db, ids, pipeline.program.currency);
  const fromDb = normaliseAll(facts);
  const fromFile = normaliseAll(batch.folder.partners);
  for (const id of ids) expect(fromDb[id], id).toEqual(fromFile[id]);
  // And so the same scorecards, for a sample of partners.
  const asOf = dayOrThrow(AS_OF);
  for (const id of ids.filter((_, i) => i % 10 === 0)) {
    const db = evaluatePartner(pipeline.program, facts.get(id) as NonNullable<ReturnType<typeof facts.get>>, asOf);
    expect(db.scorecard, id).toEqual(batch.evaluate(id, asOf)?.scorecard);
  }
}

describe('ingest: facts in Postgres fold like the events file', () => {
  let file: { dir: string; path: string };
  let batch: BatchEvaluation;

  beforeAll(async () => {
    file = await writeEvents(buildLines());
    batch = await evaluateFile(file.path);
    // The file exercises what it should.
    expect(batch.counts.duplicate).toBeGreaterThan(50);
    expect(batch.counts.stale).toBeGreaterThan(50);
    expect(batch.counts.conflict).toBe(5);
    expect(batch.counts.invalid).toBe(3);
  });
  afterAll(async () => {
    if (file) await rm(file.dir, { recursive: true, force: true });
  });

  describe('through the queues (ingest --wait)', () => {
    let pipeline: Pipeline;
    let counts: OutcomeCounts | undefined;

    beforeAll(async () => {
      pipeline = await createPipeline();
      await pipeline.startWorkers(['ingest']);
      counts = await withCliEnv(pipeline, () => runIngest(file.path, { wait: true }));
    }, 120_000);
    afterAll(async () => {
      await pipeline?.stop();
    });

    it('reports counts that add up to the file', () => {
      const c = batch.counts;
      expect(counts).toBeDefined();
      expect(counts?.duplicate).toBe(c.duplicate);
      expect(counts?.conflict).toBe(c.conflict);
      expect(counts?.['dead-lettered']).toBe(c.invalid);
      // Jobs run concurrently, so which of two versions lands first (stale or not) may differ.
      expect((counts?.accepted ?? 0) + (counts?.stale ?? 0)).toBe(c.accepted + c.stale);
    });

    it('stores the same partner facts as the fold of the file', async () => {
      await expectSameFacts(pipeline, batch);
    });

    it('keeps the broken lines in the dead-letter store', async () => {
      const rows = await pipeline.database.db.selectFrom('dead_letters').select(['event_id']).orderBy('id').execute();
      expect(rows).toHaveLength(3);
    });
  });

  describe('through the bulk path (ingest --backfill)', () => {
    let pipeline: Pipeline;
    let counts: OutcomeCounts | undefined;

    beforeAll(async () => {
      pipeline = await createPipeline();
      counts = await withCliEnv(pipeline, () => runIngest(file.path, { backfill: true }));
    }, 120_000);
    afterAll(async () => {
      await pipeline?.stop();
    });

    it('reports the same counts as the fold (it applies the file in order)', () => {
      const c = batch.counts;
      expect(counts).toEqual({
        accepted: c.accepted,
        duplicate: c.duplicate,
        stale: c.stale,
        conflict: c.conflict,
        'dead-lettered': c.invalid,
      });
    });

    it('stores the same partner facts as the fold of the file', async () => {
      await expectSameFacts(pipeline, batch);
    });

    it('asks for one recompute per affected partner, and wakes the workers for each once', async () => {
      const owed = await pipeline.database.db
        .selectFrom('recompute_requests')
        .select('partner_id')
        .orderBy('partner_id')
        .execute();
      expect(owed.map((r) => r.partner_id)).toEqual(batch.partnerIds());
      const jobs = await pipeline.queues.recompute.getJobs(['wait', 'delayed', 'prioritized']);
      const woken = jobs.flatMap((j) => (j.data as WakePayload).owed.map((o) => o.partnerId));
      expect(woken.sort()).toEqual(batch.partnerIds());
    });
  });
});
