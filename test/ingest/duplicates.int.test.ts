// Exactly-once by (source, id) (SPEC §4, §3a rule 17): the same event delivered again —
// in another job, in the same job, with its keys in another order — is applied once and
// counted as a duplicate; the same (source, id) with different content is a conflict,
// recorded in inbox_conflicts and not applied; an invalid first delivery claims nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { certificationEvent, counts, dealEvent, fingerprint, ingestJobs, ingestOne, reorderKeys } from './support.ts';

describe('ingest: duplicates and conflicts', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await createPipeline();
    await pipeline.startWorkers(['ingest']);
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const inbox = (eventId: string) =>
    pipeline.database.db
      .selectFrom('inbox')
      .selectAll()
      .where('source', '=', 'crm')
      .where('event_id', '=', eventId)
      .execute();
  const deals = (partnerId: string) =>
    pipeline.database.db.selectFrom('deals').selectAll().where('partner_id', '=', partnerId).execute();

  it('applies an event delivered twice in separate jobs once: one inbox row, one fact, the second a duplicate', async () => {
    const raw = JSON.stringify(dealEvent('crm-dup-1', 'P-DUP-1'));
    expect(await ingestOne(pipeline, 'crm', [raw])).toEqual(counts({ accepted: 1 }));
    expect(await ingestOne(pipeline, 'crm', [raw])).toEqual(counts({ duplicate: 1 }));

    const rows = await inbox('crm-dup-1');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.outcome).toBe('accepted');
    expect(rows[0]?.deliveries).toBe(2);
    const stored = await deals('P-DUP-1');
    expect(stored).toHaveLength(1);
    expect(stored[0]?.event_id).toBe('crm-dup-1');
  });

  it('treats a redelivery with its keys in another order as the same event (a duplicate)', async () => {
    const event = dealEvent('crm-dup-2', 'P-DUP-2', { amount: '1000.00' });
    const reordered = JSON.stringify(reorderKeys(event));
    expect(reordered).not.toBe(JSON.stringify(event));
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(event)])).toEqual(counts({ accepted: 1 }));
    expect(await ingestOne(pipeline, 'crm', [reordered])).toEqual(counts({ duplicate: 1 }));

    expect(await inbox('crm-dup-2')).toHaveLength(1);
    expect(await deals('P-DUP-2')).toHaveLength(1);
    const conflicts = await pipeline.database.db
      .selectFrom('inbox_conflicts')
      .selectAll()
      .where('event_id', '=', 'crm-dup-2')
      .execute();
    expect(conflicts).toEqual([]);
  });

  it('applies copies within one job (and in concurrent jobs) once', async () => {
    const event = certificationEvent('lms-dup-3', 'P-DUP-3');
    const raw = JSON.stringify(event);
    const reordered = JSON.stringify(reorderKeys(event));
    expect(await ingestOne(pipeline, 'lms', [raw, reordered, raw])).toEqual(counts({ accepted: 1, duplicate: 2 }));

    // Five jobs at once, each carrying the same event: still one fact.
    const event4 = certificationEvent('lms-dup-4', 'P-DUP-3', { personId: 'E-2' });
    const results = await ingestJobs(
      pipeline,
      'lms',
      Array.from({ length: 5 }, (_, i) => [
        JSON.stringify(event4),
        JSON.stringify(certificationEvent(`lms-dup-4-${i}`, 'P-DUP-3', { personId: `E-${10 + i}` })),
      ]),
    );
    const total = results.reduce(
      (sum, c) => ({ accepted: sum.accepted + c.accepted, duplicate: sum.duplicate + c.duplicate }),
      { accepted: 0, duplicate: 0 },
    );
    expect(total).toEqual({ accepted: 6, duplicate: 4 });

    const certs = await pipeline.database.db
      .selectFrom('certifications_earned')
      .select(['event_id'])
      .where('partner_id', '=', 'P-DUP-3')
      .orderBy('event_id')
      .execute();
    expect(certs.map((c) => c.event_id)).toEqual([
      'lms-dup-3',
      'lms-dup-4',
      'lms-dup-4-0',
      'lms-dup-4-1',
      'lms-dup-4-2',
      'lms-dup-4-3',
      'lms-dup-4-4',
    ]);
    const row = await pipeline.database.db
      .selectFrom('inbox')
      .selectAll()
      .where('source', '=', 'lms')
      .where('event_id', '=', 'lms-dup-3')
      .executeTakeFirstOrThrow();
    expect(row.deliveries).toBe(3);
  });

  it('records the same (source, id) with different content as a conflict and does not apply it', async () => {
    const first = dealEvent('crm-conf-1', 'P-CONF-1', { amount: '500.00', version: 1 });
    const changed = dealEvent('crm-conf-1', 'P-CONF-1', { amount: '999999.00', version: 7 });
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(first)])).toEqual(counts({ accepted: 1 }));
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(changed)])).toEqual(counts({ conflict: 1 }));
    // Delivered again, the conflicting version is still a conflict, recorded once.
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(reorderKeys(changed))])).toEqual(counts({ conflict: 1 }));

    const stored = await deals('P-CONF-1');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ amount: '500.00', version: '1' });
    const rows = await inbox('crm-conf-1');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.payload_hash).toBe(fingerprint(first));

    const conflicts = await pipeline.database.db
      .selectFrom('inbox_conflicts')
      .selectAll()
      .where('source', '=', 'crm')
      .where('event_id', '=', 'crm-conf-1')
      .execute();
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.payload_hash).toBe(fingerprint(changed));
    expect(conflicts[0]?.payload).toEqual(changed);
  });

  it('marks a conflicting copy within one job as a conflict too', async () => {
    const first = dealEvent('crm-conf-2', 'P-CONF-2', { amount: '10.00' });
    const changed = dealEvent('crm-conf-2', 'P-CONF-2', { amount: '20.00' });
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(first), JSON.stringify(changed)])).toEqual(
      counts({ accepted: 1, conflict: 1 }),
    );
    expect(await deals('P-CONF-2')).toMatchObject([{ amount: '10.00' }]);
    const conflicts = await pipeline.database.db
      .selectFrom('inbox_conflicts')
      .selectAll()
      .where('source', '=', 'crm')
      .where('event_id', '=', 'crm-conf-2')
      .execute();
    expect(conflicts.map((c) => c.payload_hash)).toEqual([fingerprint(changed)]);
    expect((await inbox('crm-conf-2'))[0]?.deliveries).toBe(2);
  });

  it('judges copies in a later job against what was stored, not against each other', async () => {
    const stored = dealEvent('crm-conf-3', 'P-CONF-3', { amount: '10.00' });
    const changed = dealEvent('crm-conf-3', 'P-CONF-3', { amount: '30.00' });
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(stored)])).toEqual(counts({ accepted: 1 }));
    // The changed copy comes first in the job; the stored one after it is still a duplicate.
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(changed), JSON.stringify(reorderKeys(stored))])).toEqual(
      counts({ conflict: 1, duplicate: 1 }),
    );
    expect(await deals('P-CONF-3')).toMatchObject([{ amount: '10.00' }]);
    const conflicts = await pipeline.database.db
      .selectFrom('inbox_conflicts')
      .selectAll()
      .where('source', '=', 'crm')
      .where('event_id', '=', 'crm-conf-3')
      .execute();
    expect(conflicts.map((c) => c.payload_hash)).toEqual([fingerprint(changed)]);
    expect((await inbox('crm-conf-3'))[0]?.deliveries).toBe(3);
  });

  it('lets a corrected redelivery claim an id whose first delivery was invalid', async () => {
    const broken = dealEvent('crm-fix-1', 'P-FIX-1', { amount: '-5.00' });
    const fixed = dealEvent('crm-fix-1', 'P-FIX-1', { amount: '5.00' });
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(broken)])).toEqual(counts({ 'dead-lettered': 1 }));
    expect(await inbox('crm-fix-1')).toEqual([]);
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(fixed)])).toEqual(counts({ accepted: 1 }));
    expect(await deals('P-FIX-1')).toMatchObject([{ amount: '5.00' }]);
  });
});
