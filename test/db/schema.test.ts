// The schema's contract with the code: how values come back (days as strings,
// money as exact decimals), and the invariants the database itself enforces.
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toJsonb } from '../../db/json.ts';
import type { DB } from '../../db/types.ts';
import { describeWithPostgres, freshDatabase, type FreshDatabase } from '../setup/db.ts';

describeWithPostgres('schema', () => {
  let fresh: FreshDatabase;
  let db: Kysely<DB>;

  beforeAll(async () => {
    fresh = await freshDatabase();
    db = fresh.db;
  });
  afterAll(() => fresh.drop());

  const deal = {
    partner_id: 'P-1',
    deal_id: 'D-1',
    version: 4,
    stage: 'closed_won' as const,
    amount: '48000.10',
    currency: 'USD',
    closed_at: '2026-11-20',
    registered_at: '2026-08-02',
    source: 'crm',
    event_id: 'crm-1',
  };

  it('returns dates as YYYY-MM-DD, money and bigints as exact strings', async () => {
    await db
      .insertInto('deals')
      .values({ ...deal, amount: '12345678901234567890.123456789' })
      .execute();
    const row = await db.selectFrom('deals').selectAll().where('deal_id', '=', 'D-1').executeTakeFirstOrThrow();
    expect(row.closed_at).toBe('2026-11-20');
    expect(row.registered_at).toBe('2026-08-02');
    expect(row.amount).toBe('12345678901234567890.123456789');
    expect(row.version).toBe('4');
    expect(typeof row.received_seq).toBe('string');
    expect(row.updated_at).toBeInstanceOf(Date);
  });

  it('keeps jsonb arrays as JSON and text[] as arrays', async () => {
    const contacts = [{ email: 'a@example.com', role: 'primary' }];
    await db
      .insertInto('partners')
      .values({
        partner_id: 'P-1',
        name: 'Acme',
        partner_type: 'reseller',
        version: 1,
        contacts: toJsonb(contacts),
        source_event_id: 'crm-0',
      })
      .execute();
    const partner = await db.selectFrom('partners').selectAll().executeTakeFirstOrThrow();
    expect(partner.contacts).toEqual(contacts);
    expect(partner.status).toBe('active');

    await db
      .insertInto('decisions')
      .values({ partner_id: 'P-1', day: '2026-11-20', new_tier: 'gold', trigger_event_ids: ['crm-1', 'lms-2'] })
      .execute();
    const decision = await db.selectFrom('decisions').selectAll().executeTakeFirstOrThrow();
    expect(decision.trigger_event_ids).toEqual(['crm-1', 'lms-2']);
    expect(decision.metrics).toEqual({});
  });

  it('refuses a closed_won deal without closedAt, a negative amount and a zero fx rate', async () => {
    const bad = [
      { ...deal, deal_id: 'D-2', closed_at: null },
      { ...deal, deal_id: 'D-3', amount: '-1' },
      { ...deal, deal_id: 'D-4', fx_rate: '0' },
    ];
    for (const values of bad) {
      await expect(db.insertInto('deals').values(values).execute()).rejects.toThrow(/check constraint/);
    }
  });

  it('claims each (source, event_id) once in the inbox', async () => {
    const row = {
      source: 'crm' as const,
      event_id: 'crm-9',
      partner_id: 'P-1',
      type: 'deal.upserted',
      payload: toJsonb({ a: 1 }),
      payload_hash: 'h',
      outcome: 'accepted' as const,
    };
    await db.insertInto('inbox').values(row).execute();
    await expect(db.insertInto('inbox').values(row).execute()).rejects.toThrow(/duplicate key/);
    const inserted = await db
      .insertInto('inbox')
      .values(row)
      .onConflict((oc) => oc.columns(['source', 'event_id']).doNothing())
      .returning('event_id')
      .execute();
    expect(inserted).toEqual([]);
  });

  it('never edits or deletes ledger entries', async () => {
    const { id } = await db
      .insertInto('ledger_entries')
      .values({
        partner_id: 'P-1',
        deal_id: 'D-1',
        benefit: 'commission',
        amount: '3840.01',
        currency: 'USD',
        kind: 'accrual',
        closed_at: '2026-11-20',
        tier_id: 'gold',
        rate: '0.08',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await expect(db.updateTable('ledger_entries').set({ amount: '0' }).where('id', '=', id).execute()).rejects.toThrow(
      /append-only/,
    );
    await expect(db.deleteFrom('ledger_entries').where('id', '=', id).execute()).rejects.toThrow(/append-only/);
  });

  it('only ever supersedes effective tier history, once', async () => {
    const { id } = await db
      .insertInto('effective_tier_history')
      .values({ partner_id: 'P-1', valid_from: '2026-01-01', tier_id: 'gold', status: 'qualified' })
      .returning('id')
      .executeTakeFirstOrThrow();
    const row = () => db.updateTable('effective_tier_history').where('id', '=', id);
    await expect(row().set({ tier_id: 'silver' }).execute()).rejects.toThrow(/only superseded/);
    await row().set({ superseded_at: new Date() }).execute();
    await expect(row().set({ superseded_at: new Date() }).execute()).rejects.toThrow(/only superseded/);
  });

  it('sends each notification dedup key once', async () => {
    const row = {
      dedup_key: 'P-1:tier.promoted:gold:2026-11-20',
      kind: 'tier.promoted' as const,
      partner_id: 'P-1',
      payload: toJsonb({}),
    };
    await db.insertInto('outbox').values(row).execute();
    await expect(db.insertInto('outbox').values(row).execute()).rejects.toThrow(/duplicate key/);
  });

  it('keeps a dead letter byte for byte, even when it is not UTF-8', async () => {
    const raw = Buffer.from([0x7b, 0xff, 0x00, 0x7d]);
    await db
      .insertInto('dead_letters')
      .values({ raw, raw_hash: 'x', reason: toJsonb({ error: 'not UTF-8' }) })
      .execute();
    const stored = await db.selectFrom('dead_letters').select(['raw', 'attempts']).executeTakeFirstOrThrow();
    expect(Buffer.compare(stored.raw, raw)).toBe(0);
    expect(stored.attempts).toBe(1);
  });
});
