// The checks once the system has drained: every accepted event a fact exactly once, every
// partner's scorecard, history and ledger equal to `tierline evaluate` over the same events,
// no duplicated ledger accrual, one delivered email per notification and recipient, and the
// dead-letter store holding exactly the invalid events.
import { isDeepStrictEqual } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { loadPartnerFacts } from '../../services/facts.ts';
import type { DB } from '../../db/types.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import { stableMessageId } from '../../workers/notifier/notifier.ts';
import type { Deliveries } from '../../db/types.ts';
import { normaliseFacts } from '../ingest/support.ts';
import { compareWithReference } from '../recompute/support.ts';
import { rawHash, type FeedData } from './feed.ts';
import type { Delivered } from './smtp.ts';

export interface Check {
  name: string;
  checked: number;
  mismatches: string[];
}

export interface Verification {
  checks: Check[];
  emails: { sent: number; skipped: number; resent: number; delivered: number };
  deadLetters: number;
}

/** A few of a check's mismatches, for the summary. */
export const sample = (xs: readonly string[]): string =>
  xs.length > 5 ? `${xs.slice(0, 5).join(', ')}, ... (${xs.length})` : xs.join(', ');

export async function verify(
  db: Kysely<DB>,
  program: ProgramSet,
  feed: FeedData,
  today: string,
  delivered: readonly Delivered[],
): Promise<Verification> {
  const checks: Check[] = [];
  const reference = new BatchEvaluation(program);
  for (const e of feed.valid) reference.addObject(e);
  if (reference.counts.invalid > 0) throw new Error(`reference: ${reference.counts.invalid} feed events invalid`);

  // 1. Every accepted event is in the inbox once, nothing else is; the facts are its fold.
  const expectedKeys = new Set(feed.valid.map((e) => `${e.source}:${e.id}`));
  const inbox = await db.selectFrom('inbox').select(['source', 'event_id']).execute();
  const seen = new Map<string, number>();
  for (const r of inbox) seen.set(`${r.source}:${r.event_id}`, (seen.get(`${r.source}:${r.event_id}`) ?? 0) + 1);
  const inboxMismatches = [
    ...[...expectedKeys].filter((k) => seen.get(k) !== 1).map((k) => `${k} in the inbox ${seen.get(k) ?? 0} times`),
    ...[...seen.keys()].filter((k) => !expectedKeys.has(k)).map((k) => `${k} in the inbox but never sent valid`),
  ];
  checks.push({
    name: 'accepted events in the inbox exactly once',
    checked: expectedKeys.size,
    mismatches: inboxMismatches,
  });
  const ids = reference.partnerIds();
  const stored = await loadPartnerFacts(db, ids, program.currency);
  const factMismatches = ids.filter((id) => {
    const mine = stored.get(id);
    const theirs = reference.folder.partners.get(id);
    return !mine || !theirs || !isDeepStrictEqual(normaliseFacts(mine), normaliseFacts(theirs));
  });
  checks.push({ name: 'stored facts equal the fold of the events', checked: ids.length, mismatches: factMismatches });

  // 2. Scorecards, current history and ledger sums equal the reference (`tierline evaluate`).
  const comparison = await compareWithReference(db, reference, today);
  checks.push({ name: 'scorecards equal evaluate', checked: comparison.partners, mismatches: comparison.scorecards });
  checks.push({
    name: 'effective-tier history equals evaluate',
    checked: comparison.partners,
    mismatches: comparison.history,
  });
  checks.push({ name: 'ledger sums equal evaluate', checked: comparison.ledgerLines, mismatches: comparison.ledger });

  // 3. No ledger entry duplicated: one accrual per deal and benefit; adjustments never repeat an entry.
  const dupAccruals = await db
    .selectFrom('ledger_entries')
    .select(['partner_id', 'deal_id', 'benefit', sql<string>`count(*)::text`.as('n')])
    .where('kind', '=', 'accrual')
    .groupBy(['partner_id', 'deal_id', 'benefit'])
    .having(sql`count(*)`, '>', 1)
    .execute();
  const ledgerRows = await db
    .selectFrom('ledger_entries')
    .select(sql<string>`count(*)::text`.as('n'))
    .executeTakeFirstOrThrow();
  checks.push({
    name: 'no duplicated ledger accrual',
    checked: Number(ledgerRows.n),
    mismatches: dupAccruals.map((r) => `${r.partner_id}|${r.deal_id}|${r.benefit} ×${r.n}`),
  });

  // 4. Each notification and recipient: one delivered email (resends carry the same Message-ID).
  const outbox = await db
    .selectFrom('outbox')
    .select(['dedup_key', 'status'])
    .select(sql<Deliveries>`deliveries`.as('deliveries'))
    .execute();
  const byId = new Map<string, number>();
  for (const d of delivered) byId.set(d.messageId, (byId.get(d.messageId) ?? 0) + 1);
  const owed = new Set<string>();
  const emailMismatches: string[] = [];
  let sent = 0;
  let skipped = 0;
  for (const row of outbox) {
    if (row.status === 'skipped') {
      skipped++;
      continue;
    }
    if (row.status !== 'sent') {
      emailMismatches.push(`${row.dedup_key}: ${row.status} after drain`);
      continue;
    }
    sent++;
    for (const [email, d] of Object.entries(row.deliveries ?? {})) {
      if (d.status !== 'sent') continue;
      const id = stableMessageId(row.dedup_key, email);
      owed.add(id);
      if ((byId.get(id) ?? 0) === 0) emailMismatches.push(`${row.dedup_key} → ${email}: marked sent, never delivered`);
    }
  }
  for (const id of byId.keys())
    if (!owed.has(id)) emailMismatches.push(`delivered ${id}, which no sent notification owes`);
  const resent = [...byId.values()].reduce((n, c) => n + c - 1, 0);
  checks.push({
    name: 'one delivered email per notification and recipient',
    checked: owed.size,
    mismatches: emailMismatches,
  });

  // 5. The dead-letter store holds exactly the invalid events.
  const dead = await db
    .selectFrom('dead_letters')
    .select(['raw', 'raw_hash'])
    .where('replayed_at', 'is', null)
    .execute();
  const want = new Set([...feed.invalidRaw].map(rawHash));
  const have = new Set(dead.map((d) => d.raw_hash));
  const deadMismatches = [
    ...[...want].filter((h) => !have.has(h)).map((h) => `invalid event ${h.slice(0, 12)} not dead-lettered`),
    ...dead
      .filter((d) => !want.has(d.raw_hash))
      .map((d) => `dead letter not sent invalid: ${Buffer.from(d.raw).toString('utf8').slice(0, 120)}`),
  ];
  if (dead.length !== have.size) deadMismatches.push(`${dead.length - have.size} dead letters stored twice`);
  checks.push({ name: 'dead letters are exactly the invalid events', checked: want.size, mismatches: deadMismatches });

  return { checks, emails: { sent, skipped, resent, delivered: delivered.length }, deadLetters: dead.length };
}
