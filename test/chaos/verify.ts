// The checks once the system has drained: every accepted event a fact exactly once, every
// partner's scorecard, history and ledger equal to `tierline evaluate` over the same events,
// no duplicated ledger accrual, one delivered email per notification and recipient, no email
// the final state contradicts (the settle window and re-check, issue 15), and the dead-letter
// store holding exactly the invalid events.
import { isDeepStrictEqual } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { loadPartnerFacts } from '../../services/facts.ts';
import type { DB } from '../../db/types.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import type { ProgramSet } from '../../domain/program/load.ts';
import { stableMessageId } from '../../workers/notifier/notifier.ts';
import { recheckStoredState } from '../../services/notifications/recheck.ts';
import { nearPromotion } from '../../domain/alerts.ts';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import type { Scorecard } from '../../domain/evaluation/scorecard.ts';
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
  emails: {
    sent: number;
    skipped: number;
    withdrawn: number;
    /** Sent, and no longer true of the final state (with why). */
    contradicted: string[];
    resent: number;
    delivered: number;
  };
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
    .select(['dedup_key', 'status', 'kind', 'partner_id', 'payload'])
    .select(sql<Deliveries>`deliveries`.as('deliveries'))
    .execute();
  const byId = new Map<string, number>();
  for (const d of delivered) byId.set(d.messageId, (byId.get(d.messageId) ?? 0) + 1);
  const owed = new Set<string>();
  const emailMismatches: string[] = [];
  let sent = 0;
  let skipped = 0;
  let withdrawn = 0;
  const contradicted: string[] = [];
  const within = program.versions[program.versions.length - 1]?.program.alerts.nearPromotionWithin ?? '0.10';
  for (const row of outbox) {
    if (row.status === 'skipped') {
      skipped++;
      continue;
    }
    if (row.status === 'withdrawn') {
      withdrawn++;
      continue;
    }
    if (row.status === 'sent') {
      const still = await recheckStoredState(
        db,
        row.partner_id,
        { kind: row.kind, payload: row.payload as Record<string, unknown> },
        within,
      );
      if (!still.stands) contradicted.push(`${row.dedup_key}: ${still.reason}`);
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
  // Issue 15: no more emails than the tier changes that survive in the final state (recent
  // enough to be emailed) plus the final state's at-risk and near-promotion notifications.
  // An email the final state contradicts is counted apart: a late event that came after the
  // settle window can undo what was true when it was sent.
  const bound = await finalNotifications(db, program, today);
  checks.push({
    name: 'emails sent ≤ surviving changes + final at-risk and near-promotion',
    checked: bound,
    mismatches: sent > bound ? [`${sent} sent, ${bound} in the final state`] : [],
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

  return {
    checks,
    emails: { sent, skipped, withdrawn, contradicted, resent, delivered: delivered.length },
    deadLetters: dead.length,
  };
}

/** The notifications the final state accounts for: recent tier changes in the history, grace runs, dated risks, near-promotions. */
async function finalNotifications(db: Kysely<DB>, program: ProgramSet, today: string): Promise<number> {
  const alerts = program.versions[program.versions.length - 1]?.program.alerts;
  const cutoff = formatDay(dayOrThrow(today) - (alerts?.notifyChangesWithinDays ?? 7));
  const runs = await db
    .selectFrom('effective_tier_history')
    .select(['partner_id', 'valid_from', 'tier_id'])
    .where('superseded_at', 'is', null)
    .orderBy('partner_id')
    .orderBy('valid_from')
    .execute();
  let n = 0;
  runs.forEach((r, i) => {
    const before = runs[i - 1];
    if (before?.partner_id === r.partner_id && before.tier_id !== r.tier_id && r.valid_from >= cutoff) n++;
  });
  const cards = await db.selectFrom('scorecards').select('scorecard').execute();
  for (const { scorecard } of cards) {
    const card = scorecard as unknown as Scorecard;
    if (card.status === 'grace') n++;
    if (card.status === 'qualified') n += card.risks.length;
    if (card.next && nearPromotion(card, alerts?.nearPromotionWithin ?? '0.10')) n++;
  }
  return n;
}
