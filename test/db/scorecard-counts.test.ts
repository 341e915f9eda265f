// The scorecards' plain columns and per-(track, tier, status) counts (migration
// 2026_12_04_0200): generated from the JSON by whatever statement writes it, counted by the
// triggers, so the overview's counts equal a full count however the scorecards were written.
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { foldScorecardCounts, tierCounts } from '../../db/repositories/console.ts';
import { toJsonb } from '../../db/json.ts';
import { upsertScorecards } from '../../db/repositories/recompute.ts';
import type { DB } from '../../db/types.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from '../setup/db.ts';

const card = (id: string, track: string | null, tier: string | null, status: string, risks: unknown = []) => ({
  partner_id: id,
  as_of: '2026-11-01',
  next_change_day: '2026-12-31',
  scorecard: toJsonb({ partnerId: id, track, effectiveTier: tier, status, risks }),
});

/** Partners per (track, tier) counted over every stored scorecard: what the overview used to read. */
async function fullCount(db: Kysely<DB>) {
  const { rows } = await sql<{ track: string | null; tier: string | null; partners: string }>`
    select scorecard->>'track' as track, scorecard->>'effectiveTier' as tier, count(*)::text as partners
    from scorecards group by 1, 2 order by 1, 2`.execute(db);
  return rows;
}

describeWithPostgres('scorecard columns and counts', () => {
  let fresh: FreshDatabase;
  let db: Kysely<DB>;

  beforeAll(async () => {
    fresh = await freshDatabase();
    db = fresh.db;
  });
  afterAll(() => fresh.drop());
  beforeEach(async () => {
    await sql`truncate scorecards`.execute(db);
  });

  it('generates track, tier, status and at_risk from the JSON in the writing statement', async () => {
    await upsertScorecards(db, [
      card('P-1', 'resell', 'gold', 'grace', [{ kind: 'x', on: '2026-12-01' }]),
      card('P-2', null, null, 'none'),
      { ...card('P-3', 'refer', 'member', 'qualified'), scorecard: toJsonb({ status: 'qualified' }) },
    ]);
    const rows = await db
      .selectFrom('scorecards')
      .select(['partner_id', 'track', 'tier', 'status', 'at_risk'])
      .orderBy('partner_id')
      .execute();
    expect(rows).toEqual([
      { partner_id: 'P-1', track: 'resell', tier: 'gold', status: 'grace', at_risk: true },
      { partner_id: 'P-2', track: null, tier: null, status: 'none', at_risk: false },
      { partner_id: 'P-3', track: null, tier: null, status: 'qualified', at_risk: false },
    ]);
  });

  it('counts inserts, upserts that change or keep the tier, an as-of move, deletes and truncation', async () => {
    await upsertScorecards(db, [
      card('P-1', 'resell', 'gold', 'qualified'),
      card('P-2', 'resell', 'gold', 'qualified'),
      card('P-3', 'resell', 'silver', 'grace'),
      card('P-4', 'refer', 'member', 'qualified'),
      card('P-5', null, null, 'none'),
    ]);
    expect(await tierCounts(db)).toEqual(await fullCount(db));
    // P-1 demoted, P-2 unchanged, P-6 new, in one upsert statement.
    await upsertScorecards(db, [
      card('P-1', 'resell', 'silver', 'grace'),
      card('P-2', 'resell', 'gold', 'qualified'),
      card('P-6', 'refer', 'elite', 'qualified'),
    ]);
    expect(await tierCounts(db)).toEqual(await fullCount(db));
    const before = await db
      .selectFrom('scorecard_count_deltas')
      .select(sql<string>`count(*)::text`.as('n'))
      .execute();
    await db
      .updateTable('scorecards')
      .set({ as_of: '2026-11-02' })
      .where('partner_id', 'in', ['P-1', 'P-2', 'P-3'])
      .execute();
    const after = await db
      .selectFrom('scorecard_count_deltas')
      .select(sql<string>`count(*)::text`.as('n'))
      .execute();
    expect(after).toEqual(before); // a write that changes no key appends nothing
    await foldScorecardCounts(db);
    expect(await db.selectFrom('scorecard_count_deltas').selectAll().execute()).toEqual([]);
    expect(await tierCounts(db)).toEqual(await fullCount(db));
    await db.deleteFrom('scorecards').where('partner_id', 'in', ['P-4', 'P-5']).execute();
    expect(await tierCounts(db)).toEqual(await fullCount(db));
    expect(await tierCounts(db)).toEqual([
      { track: 'refer', tier: 'elite', partners: '1' },
      { track: 'resell', tier: 'gold', partners: '1' },
      { track: 'resell', tier: 'silver', partners: '2' },
    ]);
    await sql`truncate scorecards`.execute(db);
    expect(await tierCounts(db)).toEqual([]);
  });

  it('a writer does not wait for another uncommitted writer of other partners (insert-only deltas)', async () => {
    await upsertScorecards(db, [
      card('P-1', 'resell', 'gold', 'qualified'),
      card('P-2', 'resell', 'gold', 'qualified'),
    ]);
    await foldScorecardCounts(db);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let wrote: () => void = () => undefined;
    const written = new Promise<void>((resolve) => (wrote = resolve));
    const first = db.transaction().execute(async (trx) => {
      await upsertScorecards(trx, [card('P-1', 'resell', 'silver', 'grace')]);
      wrote();
      await held;
    });
    await written;
    // Same keys, other partner, while the first transaction is open: commits without waiting.
    await upsertScorecards(db, [card('P-2', 'resell', 'silver', 'grace')]);
    await foldScorecardCounts(db);
    release();
    await first;
    expect(await tierCounts(db)).toEqual(await fullCount(db));
    expect(await tierCounts(db)).toEqual([{ track: 'resell', tier: 'silver', partners: '2' }]);
  });
});
