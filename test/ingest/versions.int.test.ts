// Out-of-order versions (SPEC §4, §3a rule 12): deal.upserted and partner.upserted carry the
// whole state and the highest `version` wins whatever the arrival order — across jobs and
// within one batch; lower versions arriving later are stale (recorded, not applied); equal
// versions go to the one received last.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { counts, dealEvent, ingestJobs, ingestOne, partnerEvent } from './support.ts';

const stageOf = { 1: 'open', 2: 'open', 3: 'closed_won' } as const;

function dealVersion(partnerId: string, version: 1 | 2 | 3, idSuffix = ''): string {
  return JSON.stringify(
    dealEvent(`crm-${partnerId}-d-v${version}${idSuffix}`, partnerId, {
      dealId: 'D-9',
      version,
      stage: stageOf[version],
      amount: `${version}000.00`,
      closedAt: version === 3 ? '2026-11-20' : null,
      customerId: `C-${version}`,
    }),
  );
}

function partnerVersion(partnerId: string, version: number): string {
  return JSON.stringify(
    partnerEvent(`crm-${partnerId}-p-v${version}`, partnerId, {
      version,
      name: `Name v${version}`,
      partnerType: version === 3 ? 'msp' : 'referral',
    }),
  );
}

describe('ingest: versions out of order', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await createPipeline();
    await pipeline.startWorkers(['ingest']);
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const deal = (partnerId: string) =>
    pipeline.database.db.selectFrom('deals').selectAll().where('partner_id', '=', partnerId).executeTakeFirstOrThrow();
  const partner = (partnerId: string) =>
    pipeline.database.db
      .selectFrom('partners')
      .selectAll()
      .where('partner_id', '=', partnerId)
      .executeTakeFirstOrThrow();
  const inboxOutcomes = async (partnerId: string) => {
    const rows = await pipeline.database.db
      .selectFrom('inbox')
      .select(['event_id', 'outcome'])
      .where('partner_id', '=', partnerId)
      .orderBy('event_id')
      .execute();
    return Object.fromEntries(rows.map((r) => [r.event_id, r.outcome]));
  };

  function expectDealV3(row: Awaited<ReturnType<typeof deal>>, partnerId: string): void {
    expect(row).toMatchObject({
      version: '3',
      stage: 'closed_won',
      amount: '3000.00',
      closed_at: '2026-11-20',
      customer_id: 'C-3',
      event_id: `crm-${partnerId}-d-v3`,
    });
  }

  it('deal versions 3, 1, 2 in separate jobs end in version 3; 1 and 2 are stale', async () => {
    const id = 'P-V-SEP';
    expect(await ingestOne(pipeline, 'crm', [dealVersion(id, 3)])).toEqual(counts({ accepted: 1 }));
    expect(await ingestOne(pipeline, 'crm', [dealVersion(id, 1)])).toEqual(counts({ stale: 1 }));
    expect(await ingestOne(pipeline, 'crm', [dealVersion(id, 2)])).toEqual(counts({ stale: 1 }));
    expectDealV3(await deal(id), id);
    expect(await inboxOutcomes(id)).toEqual({
      [`crm-${id}-d-v1`]: 'stale',
      [`crm-${id}-d-v2`]: 'stale',
      [`crm-${id}-d-v3`]: 'accepted',
    });
  });

  it('deal versions 3, 1, 2 within one batch end in version 3; 1 and 2 are stale', async () => {
    const id = 'P-V-ONE';
    expect(await ingestOne(pipeline, 'crm', [dealVersion(id, 3), dealVersion(id, 1), dealVersion(id, 2)])).toEqual(
      counts({ accepted: 1, stale: 2 }),
    );
    expectDealV3(await deal(id), id);
    expect(await inboxOutcomes(id)).toEqual({
      [`crm-${id}-d-v1`]: 'stale',
      [`crm-${id}-d-v2`]: 'stale',
      [`crm-${id}-d-v3`]: 'accepted',
    });
  });

  it('deal versions 1, 3 then 2 (a batch, then a job) end in version 3', async () => {
    const id = 'P-V-MIX';
    expect(await ingestOne(pipeline, 'crm', [dealVersion(id, 1), dealVersion(id, 3)])).toEqual(counts({ accepted: 2 }));
    expect(await ingestOne(pipeline, 'crm', [dealVersion(id, 2)])).toEqual(counts({ stale: 1 }));
    expectDealV3(await deal(id), id);
  });

  it('deal versions 1, 2, then 3 and 1 in one batch end in version 3; the late 1 is stale', async () => {
    const id = 'P-V-UP';
    expect(await ingestOne(pipeline, 'crm', [dealVersion(id, 1)])).toEqual(counts({ accepted: 1 }));
    expect(await ingestOne(pipeline, 'crm', [dealVersion(id, 2)])).toEqual(counts({ accepted: 1 }));
    // A redelivery of version 1 under a new event id (a source re-sending an old state).
    expect(await ingestOne(pipeline, 'crm', [dealVersion(id, 3), dealVersion(id, 1, '-again')])).toEqual(
      counts({ accepted: 1, stale: 1 }),
    );
    expectDealV3(await deal(id), id);
    expect((await inboxOutcomes(id))[`crm-${id}-d-v1-again`]).toBe('stale');
  });

  it('equal versions: the one received last wins', async () => {
    const id = 'P-V-EQ';
    const a = JSON.stringify(dealEvent('crm-eq-a', id, { dealId: 'D-E', version: 5, amount: '100.00' }));
    const b = JSON.stringify(dealEvent('crm-eq-b', id, { dealId: 'D-E', version: 5, amount: '200.00' }));
    const c = JSON.stringify(dealEvent('crm-eq-c', id, { dealId: 'D-E', version: 5, amount: '300.00' }));
    expect(await ingestOne(pipeline, 'crm', [a])).toEqual(counts({ accepted: 1 }));
    expect(await ingestOne(pipeline, 'crm', [b])).toEqual(counts({ accepted: 1 }));
    expect(await deal(id)).toMatchObject({ amount: '200.00', event_id: 'crm-eq-b' });
    const d = JSON.stringify(dealEvent('crm-eq-d', id, { dealId: 'D-E', version: 5, amount: '400.00' }));
    expect(await ingestOne(pipeline, 'crm', [c, d])).toEqual(counts({ accepted: 2 }));
    expect(await deal(id)).toMatchObject({ amount: '400.00', event_id: 'crm-eq-d' });
  });

  it('equal versions within one batch: the one received last wins, whatever the event ids sort as', async () => {
    const id = 'P-V-EQ2';
    const z = JSON.stringify(dealEvent('crm-eq2-z', id, { dealId: 'D-E', version: 5, amount: '500.00' }));
    const y = JSON.stringify(dealEvent('crm-eq2-y', id, { dealId: 'D-E', version: 5, amount: '600.00' }));
    expect(await ingestOne(pipeline, 'crm', [z, y])).toEqual(counts({ accepted: 2 }));
    expect(await deal(id)).toMatchObject({ amount: '600.00', event_id: 'crm-eq2-y' });
  });

  it('partner.upserted versions 3, 1, 2 in separate jobs end in version 3', async () => {
    const id = 'P-PV-SEP';
    expect(await ingestOne(pipeline, 'crm', [partnerVersion(id, 3)])).toEqual(counts({ accepted: 1 }));
    expect(await ingestOne(pipeline, 'crm', [partnerVersion(id, 1)])).toEqual(counts({ stale: 1 }));
    expect(await ingestOne(pipeline, 'crm', [partnerVersion(id, 2)])).toEqual(counts({ stale: 1 }));
    expect(await partner(id)).toMatchObject({
      version: '3',
      name: 'Name v3',
      partner_type: 'msp',
      source_event_id: `crm-${id}-p-v3`,
    });
    expect(await inboxOutcomes(id)).toEqual({
      [`crm-${id}-p-v1`]: 'stale',
      [`crm-${id}-p-v2`]: 'stale',
      [`crm-${id}-p-v3`]: 'accepted',
    });
  });

  it('partner.upserted versions 3, 1, 2 within one batch end in version 3', async () => {
    const id = 'P-PV-ONE';
    expect(
      await ingestOne(pipeline, 'crm', [partnerVersion(id, 3), partnerVersion(id, 1), partnerVersion(id, 2)]),
    ).toEqual(counts({ accepted: 1, stale: 2 }));
    expect(await partner(id)).toMatchObject({ version: '3', name: 'Name v3', partner_type: 'msp' });
    expect(await inboxOutcomes(id)).toEqual({
      [`crm-${id}-p-v1`]: 'stale',
      [`crm-${id}-p-v2`]: 'stale',
      [`crm-${id}-p-v3`]: 'accepted',
    });
  });

  it('deals and partners mixed in concurrent jobs still end in the highest versions', async () => {
    const id = 'P-V-CONC';
    // Each version in its own job, all queued at once: the workers take them concurrently.
    const jobs = [3, 1, 2].flatMap((v) => [[dealVersion(id, v as 1 | 2 | 3)], [partnerVersion(id, v)]]);
    const results = await ingestJobs(pipeline, 'crm', jobs);
    const total = results.reduce((s, c) => s + c.accepted + c.stale, 0);
    expect(total).toBe(6);
    expectDealV3(await deal(id), id);
    expect(await partner(id)).toMatchObject({ version: '3', name: 'Name v3' });
  });
});
