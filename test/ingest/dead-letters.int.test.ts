// The dead-letter store (SPEC §4, issue 3): a broken event in the middle of a batch is kept
// whole with its reason (zod issues by path) while the events around it are stored; the
// same broken bytes seen again bump `attempts`; `dlq replay` after a fix stores the event
// and marks it replayed, and a still-broken one stays.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawHash } from '../../db/repositories/dead-letters.ts';
import { replayDlq } from '../../scripts/commands/dlq.ts';
import { createPipeline, type Pipeline } from '../setup/pipeline.ts';
import { cliEnv, counts, dealEvent, ingestJobs, ingestOne, partnerEvent, withCliEnv } from './support.ts';
import { repoRoot } from '../setup/paths.ts';

const run = promisify(execFile);

describe('ingest: dead letters and replay', () => {
  let pipeline: Pipeline;

  beforeAll(async () => {
    pipeline = await createPipeline();
    await pipeline.startWorkers(['ingest']);
  });
  afterAll(async () => {
    await pipeline?.stop();
  });

  const db = () => pipeline.database.db;
  const deadLetter = (eventId: string) =>
    db().selectFrom('dead_letters').selectAll().where('event_id', '=', eventId).execute();
  const dealIds = async (partnerId: string) =>
    (
      await db().selectFrom('deals').select('deal_id').where('partner_id', '=', partnerId).orderBy('deal_id').execute()
    ).map((r) => r.deal_id);

  // A closed_won deal without closedAt, and an amount written with a thousands separator.
  const noCloseDate = dealEvent('crm-dl-3', 'P-DL', { dealId: 'D-3', closedAt: null });
  const badAmount = dealEvent('crm-dl-5', 'P-DL', { dealId: 'D-5', amount: '5,000.00' });

  it('dead-letters broken events in the middle of a batch with their reasons and stores the ones around them', async () => {
    const batch = [
      dealEvent('crm-dl-1', 'P-DL', { dealId: 'D-1' }),
      dealEvent('crm-dl-2', 'P-DL', { dealId: 'D-2' }),
      noCloseDate,
      dealEvent('crm-dl-4', 'P-DL', { dealId: 'D-4' }),
      badAmount,
      dealEvent('crm-dl-6', 'P-DL', { dealId: 'D-6' }),
    ].map((e) => JSON.stringify(e));
    expect(await ingestOne(pipeline, 'crm', batch)).toEqual(counts({ accepted: 4, 'dead-lettered': 2 }));
    expect(await dealIds('P-DL')).toEqual(['D-1', 'D-2', 'D-4', 'D-6']);

    const [closed] = await deadLetter('crm-dl-3');
    expect(closed).toMatchObject({ source: 'crm', event_id: 'crm-dl-3', attempts: 1, replayed_at: null });
    expect(closed?.raw.toString('utf8')).toBe(batch[2]);
    expect(closed?.raw_hash).toBe(rawHash(Buffer.from(batch[2] as string)));
    expect((closed?.reason as { message: string }).message).toContain(
      'data.closedAt: required when stage is closed_won',
    );
    expect(closed?.first_seen_at).toBeInstanceOf(Date);

    const [amount] = await deadLetter('crm-dl-5');
    expect((amount?.reason as { message: string }).message).toMatch(/^data\.amount: /);
    expect((amount?.reason as { issues: string[] }).issues).toEqual([expect.stringMatching(/^data\.amount: /)]);
    expect(
      await db().selectFrom('inbox').select('event_id').where('event_id', 'in', ['crm-dl-3', 'crm-dl-5']).execute(),
    ).toEqual([]);
  });

  it('dead-letters an event the database could not store (a NUL character) and still stores the rest of its batch', async () => {
    const batch = [
      partnerEvent('crm-nul-1', 'P-NUL-1'),
      partnerEvent('crm-nul-2', 'P-NUL-2', { name: 'Evil\u0000Corp' }),
      partnerEvent('crm-nul-3', 'P-NUL-3'),
    ].map((e) => JSON.stringify(e));
    expect(await ingestOne(pipeline, 'crm', batch)).toEqual(counts({ accepted: 2, 'dead-lettered': 1 }));
    const partners = await db()
      .selectFrom('partners')
      .select('partner_id')
      .where('partner_id', 'like', 'P-NUL-%')
      .orderBy('partner_id')
      .execute();
    expect(partners.map((p) => p.partner_id)).toEqual(['P-NUL-1', 'P-NUL-3']);
    const [row] = await deadLetter('crm-nul-2');
    expect(row?.raw.toString('utf8')).toBe(batch[1]);
    // Found by validation now (it used to be Postgres refusing the batch, retried event by event).
    expect((row?.reason as { message: string }).message).toMatch(/^data\.name: contains a NUL character/);
  });

  it('bumps attempts when the same broken bytes are seen again, in another job or the same one', async () => {
    const raw = JSON.stringify(dealEvent('crm-dl-again', 'P-DL-AGAIN', { amount: 'NaN' }));
    expect(await ingestOne(pipeline, 'crm', [raw])).toEqual(counts({ 'dead-lettered': 1 }));
    expect(await ingestOne(pipeline, 'crm', [raw])).toEqual(counts({ 'dead-lettered': 1 }));
    let rows = await deadLetter('crm-dl-again');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.attempts).toBe(2);
    expect((rows[0]?.last_seen_at as Date).getTime()).toBeGreaterThanOrEqual(
      (rows[0]?.first_seen_at as Date).getTime(),
    );

    expect(await ingestOne(pipeline, 'crm', [raw, JSON.stringify(dealEvent('crm-dl-ok', 'P-DL-AGAIN')), raw])).toEqual(
      counts({ accepted: 1, 'dead-lettered': 2 }),
    );
    rows = await deadLetter('crm-dl-again');
    expect(rows).toHaveLength(1);
    expect(rows[0]?.attempts).toBe(4);

    // Different bytes of the same broken event (another key order) are another dead letter.
    const [c] = await ingestJobs(pipeline, 'crm', [[raw.replace('{"id"', '{ "id"')]]);
    expect(c).toEqual(counts({ 'dead-lettered': 1 }));
    expect(await deadLetter('crm-dl-again')).toHaveLength(2);
  });

  it('`dlq list --json` shows each dead letter with its reason', async () => {
    const { stdout } = await run(process.execPath, ['bin/tierline.js', 'dlq', 'list', '--json'], {
      cwd: repoRoot,
      env: { ...process.env, ...cliEnv(pipeline) },
    });
    const listed = stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(
        (l) =>
          JSON.parse(l) as {
            eventId: string | null;
            reason: string;
            raw: string;
            attempts: number;
            source: string | null;
          },
      );
    const closed = listed.find((l) => l.eventId === 'crm-dl-3');
    expect(closed).toMatchObject({ source: 'crm', raw: JSON.stringify(noCloseDate), attempts: 1 });
    expect(closed?.reason).toContain('data.closedAt');
  });

  it('`dlq replay` stores a dead letter fixed in place and marks it replayed; still-broken ones stay', async () => {
    const [closed] = await deadLetter('crm-dl-3');
    const fixed = JSON.stringify({ ...noCloseDate, data: { ...noCloseDate.data, closedAt: '2026-11-21' } });
    await db()
      .updateTable('dead_letters')
      .set({ raw: Buffer.from(fixed) })
      .where('id', '=', closed?.id as string)
      .execute();
    const pendingBefore = await db()
      .selectFrom('dead_letters')
      .select(sql<string>`count(*)::text`.as('n'))
      .where('replayed_at', 'is', null)
      .executeTakeFirstOrThrow();

    const summary = await withCliEnv(pipeline, () => replayDlq({}));
    expect(summary).toEqual({ replayed: 1, stillBroken: Number(pendingBefore.n) - 1 });

    expect(await dealIds('P-DL')).toEqual(['D-1', 'D-2', 'D-3', 'D-4', 'D-6']);
    const deal = await db()
      .selectFrom('deals')
      .selectAll()
      .where('partner_id', '=', 'P-DL')
      .where('deal_id', '=', 'D-3')
      .executeTakeFirstOrThrow();
    expect(deal).toMatchObject({ closed_at: '2026-11-21', event_id: 'crm-dl-3', stage: 'closed_won' });
    expect(
      await db()
        .selectFrom('inbox')
        .select('outcome')
        .where('source', '=', 'crm')
        .where('event_id', '=', 'crm-dl-3')
        .execute(),
    ).toEqual([{ outcome: 'accepted' }]);
    const [replayed] = await deadLetter('crm-dl-3');
    expect(replayed?.replayed_at).toBeInstanceOf(Date);

    const [stillBroken] = await deadLetter('crm-dl-5');
    expect(stillBroken?.replayed_at).toBeNull();
    expect(await dealIds('P-DL')).not.toContain('D-5');

    // A replay owes the partner a recompute, like any stored event.
    const owed = await db()
      .selectFrom('recompute_requests')
      .selectAll()
      .where('partner_id', '=', 'P-DL')
      .executeTakeFirstOrThrow();
    expect(owed.trigger_event_ids).toContain('crm:crm-dl-3');

    // Replaying again finds nothing new to store.
    const again = await withCliEnv(pipeline, () => replayDlq({}));
    expect(again.replayed).toBe(0);
    expect(await dealIds('P-DL')).toEqual(['D-1', 'D-2', 'D-3', 'D-4', 'D-6']);
  });

  it('`dlq replay --id` replays only the named dead letter', async () => {
    const broken = dealEvent('crm-dl-7', 'P-DL', { dealId: 'D-7', currency: 'EUR' });
    expect(await ingestOne(pipeline, 'crm', [JSON.stringify(broken)])).toEqual(counts({ 'dead-lettered': 1 }));
    const [row] = await deadLetter('crm-dl-7');
    expect((row?.reason as { message: string }).message).toContain('data.fxRate: required');
    const fixed = JSON.stringify({ ...broken, data: { ...broken.data, fxRate: '1.0842' } });
    await db()
      .updateTable('dead_letters')
      .set({ raw: Buffer.from(fixed) })
      .where('id', '=', row?.id as string)
      .execute();

    expect(await withCliEnv(pipeline, () => replayDlq({ id: [row?.id as string] }))).toEqual({
      replayed: 1,
      stillBroken: 0,
    });
    const deal = await db()
      .selectFrom('deals')
      .selectAll()
      .where('partner_id', '=', 'P-DL')
      .where('deal_id', '=', 'D-7')
      .executeTakeFirstOrThrow();
    expect(deal).toMatchObject({ currency: 'EUR', fx_rate: '1.0842', amount: '48000.00' });
    expect((await deadLetter('crm-dl-5'))[0]?.replayed_at).toBeNull();
  });
});
