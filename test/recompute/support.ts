// Shared helpers for the recompute integration tests (issue 4): event builders, putting
// facts straight into Postgres with applyEventBatch, the reference evaluation, reading the
// stored history/ledger/scorecards back, and `tierline workers --only recompute` children.
import { isDeepStrictEqual } from 'node:util';
import { sql } from 'kysely';
import { applyEventBatch, countOutcomes } from '../../services/ingest/batch.ts';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/types.ts';
import { dayOrThrow, formatDay } from '../../domain/dates.ts';
import { BatchEvaluation } from '../../domain/evaluation/batch.ts';
import { standingOf } from '../../domain/evaluation/next-change.ts';
import type { PartnerEvaluation, Scorecard } from '../../domain/evaluation/scorecard.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import { decimalToRatio } from '../../domain/money.ts';
import { versionIndexOn, type ProgramSet } from '../../domain/program/load.ts';
import { spawnTierline, type ChildWorker } from '../setup/children.ts';
import { track } from '../setup/leaks.ts';
import type { Pipeline } from '../setup/pipeline.ts';
import { pollUntil } from '../setup/wait.ts';

type Json = Record<string, unknown>;

export interface TestEvent {
  id: string;
  source: 'crm' | 'lms' | 'erp';
  type: string;
  occurredAt: string;
  partnerId: string;
  data: Json;
}

const OCCURRED = '2026-11-20T09:00:00Z';

export const partnerUpserted = (id: string, partnerId: string, data: Json = {}): TestEvent => ({
  id,
  source: 'crm',
  type: 'partner.upserted',
  occurredAt: OCCURRED,
  partnerId,
  data: {
    name: `Partner ${partnerId}`,
    partnerType: 'reseller',
    contacts: [{ email: 'ops@example.com', role: 'primary' }],
    status: 'active',
    version: 1,
    ...data,
  },
});

export const dealUpserted = (id: string, partnerId: string, data: Json): TestEvent => ({
  id,
  source: 'crm',
  type: 'deal.upserted',
  occurredAt: OCCURRED,
  partnerId,
  data: { stage: 'closed_won', currency: 'USD', customerId: 'C-1', version: 1, ...data },
});

export const certificationEarned = (id: string, partnerId: string, data: Json): TestEvent => ({
  id,
  source: 'lms',
  type: 'certification.earned',
  occurredAt: OCCURRED,
  partnerId,
  data: { certificationId: 'sales-expert', expiresAt: '2028-12-31', ...data },
});

export const personDeparted = (id: string, partnerId: string, data: Json): TestEvent => ({
  id,
  source: 'lms',
  type: 'person.departed',
  occurredAt: OCCURRED,
  partnerId,
  data,
});

/** Puts events into Postgres the way ingest does (applyEventBatch), in batches; none may be dead-lettered. */
export async function putFacts(pipeline: Pipeline, events: readonly unknown[], batchSize = 2_000): Promise<void> {
  const ctx = { currency: pipeline.program.currency, timezone: pipeline.program.timezone };
  for (let i = 0; i < events.length; i += batchSize) {
    const result = await applyEventBatch(
      pipeline.database.db,
      ctx,
      events.slice(i, i + batchSize).map((e) => ({ raw: JSON.stringify(e) })),
    );
    const counts = countOutcomes(result.outcomes);
    if (counts['dead-lettered'] > 0 || counts.conflict > 0)
      throw new Error(`events refused: ${JSON.stringify(counts)}`);
  }
}

/** The reference (`tierline evaluate`): the batch fold of the same events, in the same order. */
export function reference(program: ProgramSet, events: readonly unknown[]): BatchEvaluation {
  const batch = new BatchEvaluation(program);
  for (const e of events) batch.addObject(e);
  if (batch.counts.invalid > 0) throw new Error(`invalid events: ${JSON.stringify(batch.invalid.slice(0, 3))}`);
  return batch;
}

export function evaluateRef(
  batch: BatchEvaluation,
  partnerId: string,
  asOf: string,
  overrides: readonly OverrideRule[] = [],
): PartnerEvaluation {
  const evaluation = batch.evaluate(partnerId, dayOrThrow(asOf), overrides);
  if (!evaluation) throw new Error(`no reference evaluation for ${partnerId}`);
  return evaluation;
}

/** Exact minor units (cents for USD) of a decimal string such as Postgres numeric text. */
export function minor(text: string, digits = 2): bigint {
  const { num, den } = decimalToRatio(text);
  const scaled = num * 10n ** BigInt(digits);
  if (scaled % den !== 0n) throw new Error(`${text} has more than ${digits} decimals`);
  return scaled / den;
}

export interface HistoryRow {
  valid_from: string;
  valid_to: string | null;
  tier_id: string | null;
  status: string;
  program_version: string | null;
}

/** What the effective-tier history should hold (current rows) for an evaluation: its runs, contiguous, the last open-ended. */
export function expectedHistory(evaluation: PartnerEvaluation): HistoryRow[] {
  return evaluation.history.map((s, i) => ({
    valid_from: formatDay(s.from),
    valid_to: i === evaluation.history.length - 1 ? null : formatDay(s.to + 1),
    tier_id: s.tierId,
    status: s.status,
    program_version: s.programVersion,
  }));
}

export async function currentHistory(db: Kysely<DB>, partnerId: string): Promise<HistoryRow[]> {
  return db
    .selectFrom('effective_tier_history')
    .select(['valid_from', 'valid_to', 'tier_id', 'status', 'program_version'])
    .where('partner_id', '=', partnerId)
    .where('superseded_at', 'is', null)
    .orderBy('valid_from')
    .execute();
}

/** Every ledger entry, in id order. */
export async function ledgerEntries(db: Kysely<DB>, partnerId?: string) {
  let q = db
    .selectFrom('ledger_entries')
    .select(['id', 'partner_id', 'deal_id', 'benefit', 'amount', 'kind', 'closed_at', 'tier_id', 'rate']);
  if (partnerId !== undefined) q = q.where('partner_id', '=', partnerId);
  return q.orderBy('id').execute();
}

/** Sum of the stored entries per `partner|deal|benefit`, in minor units. */
export async function ledgerSums(
  db: Kysely<DB>,
  partnerId?: string,
): Promise<Map<string, { total: bigint; entries: number }>> {
  let q = db
    .selectFrom('ledger_entries')
    .select([
      'partner_id',
      'deal_id',
      'benefit',
      sql<string>`sum(amount)::text`.as('total'),
      sql<string>`count(*)::text`.as('entries'),
    ])
    .groupBy(['partner_id', 'deal_id', 'benefit']);
  if (partnerId !== undefined) q = q.where('partner_id', '=', partnerId);
  const rows = await q.execute();
  return new Map(
    rows.map((r) => [
      `${r.partner_id}|${r.deal_id}|${r.benefit}`,
      { total: minor(r.total), entries: Number(r.entries) },
    ]),
  );
}

/** The reference amount per `partner|deal|benefit` (lines of amount 0 left out: nothing to book). */
export function referenceLines(evaluation: PartnerEvaluation): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const line of evaluation.ledger)
    if (line.amountMinor !== 0n)
      out.set(`${evaluation.scorecard.partnerId}|${line.dealId}|${line.benefit}`, line.amountMinor);
  return out;
}

/** Non-zero sums only, for comparison with referenceLines. */
export function nonZero(sums: ReadonlyMap<string, { total: bigint }>): Map<string, bigint> {
  return new Map([...sums].filter(([, v]) => v.total !== 0n).map(([k, v]) => [k, v.total]));
}

export async function storedScorecard(db: Kysely<DB>, partnerId: string): Promise<unknown> {
  const row = await db
    .selectFrom('scorecards')
    .select('scorecard')
    .where('partner_id', '=', partnerId)
    .executeTakeFirst();
  return row?.scorecard;
}

export async function tableCounts(db: Kysely<DB>): Promise<Record<string, number>> {
  const { rows } = await sql<Record<string, string>>`
    select (select count(*) from ledger_entries)::text as ledger_entries,
           (select coalesce(max(id), 0) from ledger_entries)::text as ledger_max_id,
           (select count(*) from decisions)::text as decisions,
           (select count(*) from effective_tier_history)::text as history,
           (select count(*) from effective_tier_history where superseded_at is not null)::text as history_superseded,
           (select count(*) from scorecards)::text as scorecards,
           (select count(*) from outbox)::text as outbox`.execute(db);
  return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, Number(v)]));
}

/** The environment the CLI reads its services from, for this pipeline. */
export function cliEnv(pipeline: Pipeline, today: string): Record<string, string> {
  return {
    DATABASE_URL: pipeline.database.url,
    REDIS_URL: pipeline.settings.url,
    TIERLINE_QUEUE_PREFIX: pipeline.settings.prefix,
    TIERLINE_TODAY: today,
  };
}

export interface RecomputeWorker extends ChildWorker {
  name: string;
}

/**
 * `tierline workers --only recompute` as a child process on the pipeline's services. Its
 * Postgres sessions carry `application_name=name`, so rows it writes can be attributed to it.
 * Resolves once the process logs that its workers started.
 */
export async function spawnRecomputeWorker(pipeline: Pipeline, name: string, today: string): Promise<RecomputeWorker> {
  const url = new URL(pipeline.database.url);
  url.searchParams.set('application_name', name);
  const { child, output, exited } = spawnTierline(['workers', '--only', 'recompute'], {
    ...cliEnv(pipeline, today),
    DATABASE_URL: url.toString(),
    LOG_LEVEL: 'info',
    TIERLINE_SHUTDOWN_TIMEOUT_MS: '5000',
  });
  let gone = false;
  void exited.then(() => (gone = true));
  const release = track({
    kind: 'child-process',
    label: `${name} (pid ${child.pid})`,
    close: async () => void (child.kill('SIGKILL'), await exited),
  });
  void exited.then(release);
  const worker: RecomputeWorker = { name, child, output, exited };
  await pollUntil(
    `worker ${name} to start`,
    async () =>
      gone
        ? Promise.reject(new Error(`worker ${name} exited: ${output()}`))
        : output().includes('workers started')
          ? true
          : undefined,
    30_000,
    50,
  );
  return worker;
}

/**
 * Records which Postgres session (application_name) wrote each scorecard, with a trigger on
 * the test's own database: the proof of which worker process handled which partners.
 */
export async function recordScorecardWriters(db: Kysely<DB>): Promise<void> {
  await sql`create table test_scorecard_writers (partner_id text not null, app text not null, at timestamptz not null default clock_timestamp())`.execute(
    db,
  );
  await sql`create function test_record_scorecard_writer() returns trigger language plpgsql as $$
    begin
      insert into test_scorecard_writers (partner_id, app) values (new.partner_id, current_setting('application_name'));
      return new;
    end $$`.execute(db);
  await sql`create trigger test_scorecard_writers after insert or update on scorecards for each row execute function test_record_scorecard_writer()`.execute(
    db,
  );
}

/** partner id → the application names that wrote its scorecard since the last reset. */
export async function scorecardWriters(db: Kysely<DB>): Promise<Map<string, Set<string>>> {
  const { rows } = await sql<{
    partner_id: string;
    app: string;
  }>`select partner_id, app from test_scorecard_writers`.execute(db);
  const out = new Map<string, Set<string>>();
  for (const r of rows) out.set(r.partner_id, (out.get(r.partner_id) ?? new Set()).add(r.app));
  return out;
}

export async function resetScorecardWriters(db: Kysely<DB>): Promise<void> {
  await sql`truncate test_scorecard_writers`.execute(db);
}

export interface Comparison {
  partners: number;
  /** Partner ids whose stored scorecard differs from the reference (or is missing). */
  scorecards: string[];
  /** Partner ids whose current history rows differ from the reference's runs. */
  history: string[];
  /** `partner|deal|benefit` keys whose stored sum differs from the reference line. */
  ledger: string[];
  /** Reference tier changes over all partners (each should have one decision row on a first computation). */
  changes: number;
  /** Reference ledger lines with a non-zero amount. */
  ledgerLines: number;
}

/**
 * Compares every partner's stored scorecard, current effective-tier history and ledger sums
 * with the reference evaluation, set-based (a few queries for all partners). `standing`: the
 * nightly run may leave a scorecard as of an earlier day (docs/architecture.md#the-nightly-run);
 * then it must equal the reference for its own as-of day, hold through `asOf` (next_change_day
 * after it), and its standing (`standingOf`) must equal the reference's on `asOf`.
 */
export async function compareWithReference(
  db: Kysely<DB>,
  batch: BatchEvaluation,
  asOf: string,
  options: { standing?: boolean } = {},
): Promise<Comparison> {
  const ids = batch.partnerIds();
  const [cards, history, sums] = await Promise.all([
    db.selectFrom('scorecards').select(['partner_id', 'scorecard', 'as_of', 'next_change_day']).execute(),
    db
      .selectFrom('effective_tier_history')
      .select(['partner_id', 'valid_from', 'valid_to', 'tier_id', 'status', 'program_version'])
      .where('superseded_at', 'is', null)
      .orderBy('partner_id')
      .orderBy('valid_from')
      .execute(),
    ledgerSums(db),
  ]);
  const cardOf = new Map(cards.map((c) => [c.partner_id, c.scorecard as unknown]));
  const rowOf = new Map(cards.map((c) => [c.partner_id, c]));
  const historyOf = new Map<string, HistoryRow[]>();
  for (const { partner_id, ...row } of history) historyOf.set(partner_id, [...(historyOf.get(partner_id) ?? []), row]);
  const out: Comparison = { partners: ids.length, scorecards: [], history: [], ledger: [], changes: 0, ledgerLines: 0 };
  const wantLines = new Map<string, bigint>();
  for (const id of ids) {
    const expected = evaluateRef(batch, id, asOf);
    out.changes += expected.changes.length;
    const row = rowOf.get(id);
    if (options.standing && row && row.as_of !== asOf) {
      const within = (set: ProgramSet, day: string): string =>
        set.versions[versionIndexOn(set, dayOrThrow(day))]?.program.alerts.nearPromotionWithin ?? '0';
      const own = evaluateRef(batch, id, row.as_of).scorecard;
      const exact = isDeepStrictEqual(row.scorecard, JSON.parse(JSON.stringify(own)));
      const holds = row.as_of < asOf && row.next_change_day !== null && row.next_change_day > asOf;
      const standing = isDeepStrictEqual(
        JSON.parse(JSON.stringify(standingOf(row.scorecard as unknown as Scorecard, within(batch.program, asOf)))),
        JSON.parse(JSON.stringify(standingOf(expected.scorecard, within(batch.program, asOf)))),
      );
      if (!exact || !holds || !standing) out.scorecards.push(id);
    } else if (!isDeepStrictEqual(cardOf.get(id), JSON.parse(JSON.stringify(expected.scorecard))))
      out.scorecards.push(id);
    if (!isDeepStrictEqual(historyOf.get(id) ?? [], expectedHistory(expected))) out.history.push(id);
    for (const [k, v] of referenceLines(expected)) wantLines.set(k, v);
  }
  out.ledgerLines = wantLines.size;
  const have = nonZero(sums);
  for (const key of new Set([...wantLines.keys(), ...have.keys()]))
    if (wantLines.get(key) !== have.get(key)) out.ledger.push(key);
  return out;
}
