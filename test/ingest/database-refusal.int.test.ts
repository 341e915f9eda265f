// Validation is the first guard; Postgres is the second. An event that passes validation
// but that Postgres refuses for its data (SQLSTATE class 22/23) must not sink its batch:
// the batch is retried event by event, that event is dead-lettered with the database's
// reason, and the others are stored. Validation catches everything we know of today, so
// the refused event is made by hand, after validation (a corrupted prepared result).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyPreparedBatch, prepareEventBatch } from '../../services/ingest/batch.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { dealEvent } from './support.ts';

describe('ingest: an event the database refuses after validation', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await createPipeline();
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  it('is dead-lettered with the database reason, and the rest of its batch is stored', async () => {
    const db = pipeline.database.db;
    const ctx = { currency: pipeline.program.currency, timezone: pipeline.program.timezone };
    const events = ['refusal-1', 'refusal-2', 'refusal-3'].map((id, i) =>
      dealEvent(id, `P-REFUSAL-${i}`, { dealId: `D-${i}` }),
    );
    const batch = prepareEventBatch(
      ctx,
      events.map((e) => ({ raw: JSON.stringify(e) })),
    );
    const middle = batch.results[1];
    if (!middle?.ok) throw new Error('the event should be valid');
    (middle.event.data as { amount: string }).amount = 'not a number';

    const result = await applyPreparedBatch(db, batch);

    expect(result.outcomes).toEqual(['accepted', 'dead-lettered', 'accepted']);
    expect([...new Set(result.partners)].sort()).toEqual(['P-REFUSAL-0', 'P-REFUSAL-2']);
    const deals = await db
      .selectFrom('deals')
      .select('partner_id')
      .where('partner_id', 'like', 'P-REFUSAL-%')
      .orderBy('partner_id')
      .execute();
    expect(deals.map((d) => d.partner_id)).toEqual(['P-REFUSAL-0', 'P-REFUSAL-2']);
    const dead = await db
      .selectFrom('dead_letters')
      .select(['event_id', 'reason'])
      .where('event_id', '=', 'refusal-2')
      .execute();
    expect(dead).toHaveLength(1);
    expect((dead[0]?.reason as { message: string }).message).toMatch(/^database refused the event: .*numeric/);
    const inbox = await db
      .selectFrom('inbox')
      .select('event_id')
      .where('event_id', 'like', 'refusal-%')
      .orderBy('event_id')
      .execute();
    expect(inbox.map((r) => r.event_id)).toEqual(['refusal-1', 'refusal-3']);
  });
});
