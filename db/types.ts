// Kysely's view of the schema in db/migrations. Keep the two in step: a column
// added by a migration is added here in the same change.
//
// Value conventions (see db/type-parsers.ts): `date` → 'YYYY-MM-DD' string,
// `numeric` and `bigint` → exact decimal string, `timestamptz` → Date,
// `jsonb` → parsed value on read and JSON text on write (use toJsonb(): pg would
// turn a JS array into a Postgres array literal, not JSON).
import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable, Updateable } from 'kysely';

/** A business day, 'YYYY-MM-DD'. */
export type Day = string;
/** An exact decimal (money, rates) as a string; numbers are refused on write on purpose. */
export type Decimal = string;
/** A 64-bit integer, read as a decimal string. */
export type Int8 = ColumnType<string, string | number | bigint, string | number | bigint>;
/** bigserial: generated on insert, read as a decimal string. */
export type Serial = Generated<string>;
/** timestamptz with a `default now()`. */
export type CreatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** Nullable timestamptz. */
export type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** jsonb: T on read, JSON text on write. */
export type Jsonb<T> = ColumnType<T, string, string>;
/** jsonb with a database default. */
export type JsonbWithDefault<T> = ColumnType<T, string | undefined, string>;

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface Contact {
  email: string;
  name?: string;
  role?: string;
}

export interface ProgramVersionsTable {
  program_id: string;
  version: string;
  effective_from: Day;
  definition: Jsonb<JsonValue>;
  loaded_at: CreatedAt;
}

export interface PartnersTable {
  partner_id: string;
  name: string;
  partner_type: string;
  region: string | null;
  status: ColumnType<'active' | 'terminated', 'active' | 'terminated' | undefined, 'active' | 'terminated'>;
  version: Int8;
  contacts: JsonbWithDefault<Contact[]>;
  source_event_id: string;
  updated_at: CreatedAt;
}

export type InboxOutcome = 'accepted' | 'duplicate' | 'stale' | 'conflict';
export type EventSource = 'crm' | 'lms' | 'erp';

export interface InboxTable {
  source: EventSource;
  event_id: string;
  partner_id: string;
  type: string;
  payload: Jsonb<JsonValue>;
  payload_hash: string;
  outcome: InboxOutcome;
  received_at: CreatedAt;
  /** Arrival order shared with deals.received_seq (sequence event_received_seq). */
  received_seq: Generated<string>;
  deliveries: Generated<number>;
  last_delivered_at: CreatedAt;
}

export interface InboxConflictsTable {
  id: Serial;
  source: EventSource;
  event_id: string;
  payload: Jsonb<JsonValue>;
  payload_hash: string;
  received_at: CreatedAt;
}

export type DealStage = 'open' | 'closed_won' | 'closed_lost';

export interface DealsTable {
  partner_id: string;
  deal_id: string;
  version: Int8;
  stage: DealStage;
  amount: Decimal;
  currency: string;
  fx_rate: Decimal | null;
  customer_id: string | null;
  registered_at: Day | null;
  closed_at: Day | null;
  source: string;
  event_id: string;
  /** Tie-breaker for equal versions: defaults to the next arrival number; pass the inbox row's to keep them equal. */
  received_seq: ColumnType<string, string | undefined, string>;
  updated_at: CreatedAt;
}

export interface PayoutsTable {
  partner_id: string;
  payout_id: string;
  version: Int8;
  benefit: 'commission' | 'mdf' | 'rebate';
  amount: Decimal;
  currency: string;
  fx_rate: Decimal | null;
  paid_at: Day;
  period: string;
  source: string;
  event_id: string;
  received_seq: ColumnType<string, string | undefined, string>;
  updated_at: CreatedAt;
}

export interface CertificationsEarnedTable {
  source: string;
  event_id: string;
  partner_id: string;
  person_id: string;
  certification_id: string;
  earned_at: Day;
  expires_at: Day | null;
  received_at: CreatedAt;
}

export interface CertificationRevocationsTable {
  source: string;
  event_id: string;
  partner_id: string;
  person_id: string;
  certification_id: string;
  revoked_at: Day;
  received_at: CreatedAt;
}

export interface PersonDeparturesTable {
  source: string;
  event_id: string;
  partner_id: string;
  person_id: string;
  departed_at: Day;
  received_at: CreatedAt;
}

export interface InvoicesTable {
  partner_id: string;
  invoice_id: string;
  amount: Decimal;
  currency: string;
  fx_rate: Decimal | null;
  booked_at: Day;
  recurring: boolean;
  source: string;
  event_id: string;
  received_at: CreatedAt;
}

export interface InvoiceCreditsTable {
  partner_id: string;
  invoice_id: string;
  credit_id: string;
  amount: Decimal;
  currency: string;
  fx_rate: Decimal | null;
  credited_at: Day;
  source: string;
  event_id: string;
  received_at: CreatedAt;
}

export interface DeadLettersTable {
  id: Serial;
  source: string | null;
  event_id: string | null;
  /** The line exactly as received (bytea: it may not be valid UTF-8). */
  raw: Buffer;
  raw_hash: string;
  reason: Jsonb<JsonValue>;
  first_seen_at: CreatedAt;
  last_seen_at: CreatedAt;
  attempts: Generated<number>;
  replayed_at: NullableTimestamp;
  /** The file (or request) it came from, as last seen; null before 2026_12_03_0001. */
  origin: string | null;
  /** Its line in `origin` (1-based), for files. */
  origin_line: number | null;
  /** The `tierline ingest` run (or HTTP body) that saw it last. */
  run_id: string | null;
}

export interface OverridesTable {
  id: Serial;
  partner_id: string;
  tier_id: string;
  from_day: Day;
  until_day: Day;
  reason: string;
  created_by: string;
  created_at: CreatedAt;
  cleared_at: NullableTimestamp;
  cleared_by: string | null;
}

export interface ReviewDecisionsTable {
  id: Serial;
  partner_id: string;
  from_tier: string;
  decision: 'approve' | 'reject';
  on_day: Day;
  decided_by: string;
  reason: string | null;
  created_at: CreatedAt;
}

export type TierStatus = 'qualified' | 'grace' | 'hold' | 'review' | 'override' | 'none';

export interface EffectiveTierHistoryTable {
  id: Serial;
  partner_id: string;
  valid_from: Day;
  /** Exclusive end; null = still in force. */
  valid_to: Day | null;
  tier_id: string | null;
  status: TierStatus;
  program_id: string | null;
  program_version: string | null;
  recorded_at: CreatedAt;
  /** The only column ever updated, once, from null (a database trigger enforces it). */
  superseded_at: NullableTimestamp;
}

export interface DecisionsTable {
  id: Serial;
  partner_id: string;
  day: Day;
  previous_tier: string | null;
  new_tier: string | null;
  qualified_tier: string | null;
  program_id: string | null;
  program_version: string | null;
  metrics: JsonbWithDefault<JsonValue>;
  criteria: JsonbWithDefault<JsonValue>;
  trigger_event_ids: Generated<string[]>;
  created_at: CreatedAt;
}

export interface ScorecardsTable {
  partner_id: string;
  as_of: Day;
  scorecard: Jsonb<JsonValue>;
  computed_at: CreatedAt;
  /** First day after as_of on which time alone may change the stored result; null: due. */
  next_change_day: Day | null;
  /** Generated by Postgres from `scorecard` (track, effectiveTier, status, a dated risk); never written. */
  track: GeneratedAlways<string | null>;
  tier: GeneratedAlways<string | null>;
  status: GeneratedAlways<string | null>;
  at_risk: GeneratedAlways<boolean>;
  /** The pending demotion review on as_of ({fromTier, toTier, since, autoApprovesOn}); null: none, or not known. */
  review: ColumnType<JsonValue | null, string | null | undefined, string | null>;
}

/** Partners per (track, tier, status), kept by triggers on `scorecards` (migration 2026_12_04_0200). */
export interface ScorecardCountsTable {
  track: string | null;
  tier: string | null;
  status: string | null;
  partners: string;
}

/** Net changes to scorecard_counts not yet folded into it, appended by the triggers. */
export interface ScorecardCountDeltasTable {
  id: GeneratedAlways<string>;
  track: string | null;
  tier: string | null;
  status: string | null;
  partners: string;
}

/** Where a partner's timeline stood at the end of `day` (StoredCheckpoint in the domain's evaluation/checkpoint.ts). */
export interface TimelineCheckpointsTable {
  partner_id: string;
  day: Day;
  /** Digest of the undated inputs it was computed with (services/recompute/incremental.ts). */
  inputs: string;
  checkpoint: Jsonb<JsonValue>;
}

export interface RecomputeRequestsTable {
  partner_id: string;
  /** Earliest affected business day; null = from the start of the partner's history. */
  from_day: Day | null;
  trigger_event_ids: Generated<string[]>;
  requested_at: CreatedAt;
}

export type Benefit = 'commission' | 'mdf' | 'rebate';
export type LedgerKind = 'accrual' | 'adjustment';

export interface LedgerEntriesTable {
  id: Serial;
  partner_id: string;
  deal_id: string;
  benefit: Benefit;
  /** Signed: adjustments may be negative. */
  amount: Decimal;
  currency: string;
  kind: LedgerKind;
  closed_at: Day;
  tier_id: string | null;
  rate: Decimal;
  created_at: CreatedAt;
}

export type NotificationKind =
  'tier.promoted' | 'tier.demoted' | 'tier.at-risk' | 'tier.near-promotion' | 'tier.review-pending';
export type OutboxStatus = 'pending' | 'claimed' | 'sent' | 'skipped' | 'failed' | 'withdrawn';

export interface OutboxTable {
  id: Serial;
  dedup_key: string;
  kind: NotificationKind;
  partner_id: string;
  payload: Jsonb<JsonValue>;
  status: ColumnType<OutboxStatus, OutboxStatus | undefined, OutboxStatus>;
  created_at: CreatedAt;
  claimed_at: NullableTimestamp;
  sent_at: NullableTimestamp;
  message_id: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  /** When a row may be tried again (a transient failure, a rate cap); null = due now. */
  next_attempt_at: NullableTimestamp;
  /** The day (program timezone) whose per-partner cap the row counts against, set on its first claim. */
  quota_day: ColumnType<Day | null, Day | null | undefined, Day | null>;
  /** Each recipient's message, by lower-case email. */
  deliveries: JsonbWithDefault<Deliveries>;
  /** Why a skipped row is not sent, or why a withdrawn one is no longer true. */
  skip_reason: string | null;
  /** The business day whose daily digest the row belongs to (alerts.digest); null: sent on its own. */
  digest_day: ColumnType<Day | null, Day | null | undefined, Day | null>;
  /** The digest that carries the row (outbox_digests.id), once assembled. */
  digest_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** One daily digest (2026_12_04_0100): a partner's settled notifications of one day, one email per recipient. */
export interface OutboxDigestsTable {
  id: Serial;
  /** `partner|day` (a later digest of the same day: `partner|day|n`); unique. */
  digest_key: string;
  partner_id: string;
  day: Day;
  status: ColumnType<OutboxStatus, OutboxStatus | undefined, OutboxStatus>;
  created_at: CreatedAt;
  claimed_at: NullableTimestamp;
  sent_at: NullableTimestamp;
  message_id: string | null;
  attempts: Generated<number>;
  last_error: string | null;
  skip_reason: string | null;
  next_attempt_at: NullableTimestamp;
  deliveries: JsonbWithDefault<Deliveries>;
}

export type DeliveryStatus = 'sending' | 'sent' | 'failed' | 'retry';

/** One recipient's message of one notification (outbox.deliveries). */
export interface Delivery {
  status: DeliveryStatus;
  messageId: string;
  /** Sends tried (a 'sending' left by a crash counts). */
  attempts: number;
  /** ISO timestamp of the last change. */
  at: string;
  /** The server's reply to a sent message. */
  response?: string;
  /** File mode: where the message was written. */
  path?: string;
  error?: string;
}

export type Deliveries = Record<string, Delivery>;

export interface NotificationPreferencesTable {
  partner_id: string;
  /** Lower-case. */
  email: string;
  /** A NotificationKind, or '*' for all. */
  kind: string;
  opted_out_at: NullableTimestamp;
}

export interface AuditLogTable {
  id: Serial;
  at: CreatedAt;
  actor: string;
  action: string;
  partner_id: string | null;
  details: JsonbWithDefault<JsonValue>;
}

/** FX rates for the connectors (2026_12_03_0080): program-currency units per unit of `currency`. */
export interface FxRatesTable {
  currency: string;
  day: Day;
  rate: Decimal;
  loaded_at: CreatedAt;
}

/** What a connector remembers of a source record (2026_12_03_0080), e.g. a Stripe invoice's partner. */
export interface ConnectorRecordsTable {
  kind: string;
  record_id: string;
  state: Jsonb<JsonValue>;
  updated_at: CreatedAt;
}

/** Console finance and what-if runs (2026_12_04_0600): submitted by the console, computed by a job. */
export interface ConsoleReportsTable {
  id: string;
  kind: 'finance' | 'whatif';
  params: Jsonb<JsonValue>;
  status: ColumnType<
    'queued' | 'running' | 'done' | 'failed',
    'queued' | undefined,
    'queued' | 'running' | 'done' | 'failed'
  >;
  error: string | null;
  result: ColumnType<JsonValue | null, string | null | undefined, string | null>;
  csv: string | null;
  requested_by: string;
  created_at: CreatedAt;
  started_at: ColumnType<Date | null, never, Date | string | null>;
  finished_at: ColumnType<Date | null, never, Date | string | null>;
}

export interface DB {
  program_versions: ProgramVersionsTable;
  partners: PartnersTable;
  inbox: InboxTable;
  inbox_conflicts: InboxConflictsTable;
  deals: DealsTable;
  payouts: PayoutsTable;
  certifications_earned: CertificationsEarnedTable;
  certification_revocations: CertificationRevocationsTable;
  person_departures: PersonDeparturesTable;
  invoices: InvoicesTable;
  invoice_credits: InvoiceCreditsTable;
  dead_letters: DeadLettersTable;
  overrides: OverridesTable;
  review_decisions: ReviewDecisionsTable;
  effective_tier_history: EffectiveTierHistoryTable;
  decisions: DecisionsTable;
  scorecards: ScorecardsTable;
  scorecard_counts: ScorecardCountsTable;
  scorecard_count_deltas: ScorecardCountDeltasTable;
  recompute_requests: RecomputeRequestsTable;
  ledger_entries: LedgerEntriesTable;
  timeline_checkpoints: TimelineCheckpointsTable;
  outbox: OutboxTable;
  outbox_digests: OutboxDigestsTable;
  notification_preferences: NotificationPreferencesTable;
  audit_log: AuditLogTable;
  fx_rates: FxRatesTable;
  connector_records: ConnectorRecordsTable;
  console_reports: ConsoleReportsTable;
}

export type ProgramVersionRow = Selectable<ProgramVersionsTable>;
export type NewProgramVersion = Insertable<ProgramVersionsTable>;
export type PartnerRow = Selectable<PartnersTable>;
export type NewPartner = Insertable<PartnersTable>;
export type PartnerUpdate = Updateable<PartnersTable>;
export type InboxRow = Selectable<InboxTable>;
export type NewInboxRow = Insertable<InboxTable>;
export type InboxUpdate = Updateable<InboxTable>;
export type InboxConflictRow = Selectable<InboxConflictsTable>;
export type NewInboxConflict = Insertable<InboxConflictsTable>;
export type DealRow = Selectable<DealsTable>;
export type NewDeal = Insertable<DealsTable>;
export type DealUpdate = Updateable<DealsTable>;
export type CertificationEarnedRow = Selectable<CertificationsEarnedTable>;
export type NewCertificationEarned = Insertable<CertificationsEarnedTable>;
export type CertificationRevocationRow = Selectable<CertificationRevocationsTable>;
export type NewCertificationRevocation = Insertable<CertificationRevocationsTable>;
export type PersonDepartureRow = Selectable<PersonDeparturesTable>;
export type NewPersonDeparture = Insertable<PersonDeparturesTable>;
export type InvoiceRow = Selectable<InvoicesTable>;
export type NewInvoice = Insertable<InvoicesTable>;
export type InvoiceUpdate = Updateable<InvoicesTable>;
export type InvoiceCreditRow = Selectable<InvoiceCreditsTable>;
export type NewInvoiceCredit = Insertable<InvoiceCreditsTable>;
export type InvoiceCreditUpdate = Updateable<InvoiceCreditsTable>;
export type DeadLetterRow = Selectable<DeadLettersTable>;
export type NewDeadLetter = Insertable<DeadLettersTable>;
export type DeadLetterUpdate = Updateable<DeadLettersTable>;
export type OverrideRow = Selectable<OverridesTable>;
export type NewOverride = Insertable<OverridesTable>;
export type OverrideUpdate = Updateable<OverridesTable>;
export type ReviewDecisionRow = Selectable<ReviewDecisionsTable>;
export type EffectiveTierRow = Selectable<EffectiveTierHistoryTable>;
export type NewEffectiveTier = Insertable<EffectiveTierHistoryTable>;
export type EffectiveTierUpdate = Updateable<EffectiveTierHistoryTable>;
export type DecisionRow = Selectable<DecisionsTable>;
export type NewDecision = Insertable<DecisionsTable>;
export type ScorecardRow = Selectable<ScorecardsTable>;
export type NewScorecard = Insertable<ScorecardsTable>;
export type ScorecardUpdate = Updateable<ScorecardsTable>;
export type RecomputeRequestRow = Selectable<RecomputeRequestsTable>;
export type NewRecomputeRequest = Insertable<RecomputeRequestsTable>;
export type RecomputeRequestUpdate = Updateable<RecomputeRequestsTable>;
export type LedgerEntryRow = Selectable<LedgerEntriesTable>;
export type NewLedgerEntry = Insertable<LedgerEntriesTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;
export type OutboxUpdate = Updateable<OutboxTable>;
export type NotificationPreferenceRow = Selectable<NotificationPreferencesTable>;
export type NewNotificationPreference = Insertable<NotificationPreferencesTable>;
export type NotificationPreferenceUpdate = Updateable<NotificationPreferencesTable>;
export type AuditLogRow = Selectable<AuditLogTable>;
export type NewAuditLogRow = Insertable<AuditLogTable>;
