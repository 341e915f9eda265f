// One partner on one day: the scorecard of docs/scorecard.md, plus what the pipeline stores beside it
// (tier changes for the audit trail, ledger lines).
import { formatDay, type Day } from '../dates.ts';
import { timelineStart, type PartnerFacts } from '../facts/types.ts';
import { formatMinor } from '../money.ts';
import { seriesValueOn } from '../metrics/series.ts';
import { versionIndexOn, type ProgramSet } from '../program/load.ts';
import type { Benefits } from '../program/schema.ts';
import { compileProgramSet, formatValue, type CompiledVersion } from './compiled.ts';
import { unmet } from './criteria.ts';
import { BENEFITS, ledgerLines, ledgerTotals, type LedgerLine, type LedgerTotals } from './ledger.ts';
import type { ReviewDecision } from '../reviews.ts';
import { computeRisks, type Risk } from './risks.ts';
import {
  STATUS_CODES,
  walkTimeline,
  type OverrideRule,
  type Segment,
  type TierChange,
  type WalkPoint,
} from './timeline.ts';

export interface UnmetEntry {
  path: string;
  metric: string;
  actual: string;
  required: string;
  shortBy: string;
}

export interface Scorecard {
  partnerId: string;
  asOf: string;
  program: { id: string; version: string };
  track: string | null;
  qualifiedTier: string | null;
  effectiveTier: string | null;
  status: 'qualified' | 'grace' | 'hold' | 'review' | 'override' | 'none';
  graceEndsOn: string | null;
  metrics: Record<string, string>;
  next: { tier: string; unmet: UnmetEntry[] } | null;
  risks: Risk[];
  benefits: Benefits;
  ledger: Record<'commission' | 'mdf' | 'rebate', string>;
}

export interface PartnerEvaluation {
  scorecard: Scorecard;
  /** The tier changes (on or after `resumedAt` when resumed). */
  changes: TierChange[];
  /** The ledger lines (of deals closed on or after `resumedAt` when resumed). */
  ledger: LedgerLine[];
  /** First day of the walk; days before it are at the entry tier. */
  start: Day;
  /** The effective tier's runs from `start` to the as-of day (when resumed: from the run in force on the checkpoint's day). */
  history: HistorySegment[];
  /** The demotion review pending on the as-of day (SPEC §9), if any. */
  review: PendingReviewInfo | null;
  /** The first day walked when resumed from a checkpoint; null for the whole history. */
  resumedAt: Day | null;
  /** The checkpoints taken on the days `checkpointOn` chose (none without it). */
  checkpoints: TimelineCheckpoint[];
}

/**
 * The walk at the end of `day` with what the evaluation of the days after it needs from the
 * days up to it: the first day of the history, the history run in force on `day` (from its
 * first day) and the ledger totals of the deals closed up to `day`. Valid as long as nothing
 * dated on or before `day` changes (docs/architecture.md#incremental-recompute).
 */
export interface TimelineCheckpoint extends WalkPoint {
  start: Day;
  run: HistorySegment;
  ledger: LedgerTotals;
}

export interface EvaluateOptions {
  overrides?: readonly OverrideRule[];
  reviews?: readonly ReviewDecision[];
  /** Resume after this checkpoint: `facts` need hold only what `factWindows` says can matter after it. */
  resume?: TimelineCheckpoint | undefined;
  /** Days to take checkpoints on (only once the history has a first fact). */
  checkpointOn?: ((day: Day) => boolean) | undefined;
}

export interface PendingReviewInfo {
  fromTier: string;
  /** The qualified tier on the as-of day: where an approval would take the partner today. */
  toTier: string;
  /** Day X, when the review opened. */
  since: Day;
  autoApprovesOn: Day;
}

export interface HistorySegment {
  from: Day;
  /** Last day of the run (inclusive). */
  to: Day;
  tierId: string | null;
  status: Scorecard['status'];
  programVersion: string;
}

function historySegments(
  timeline: ReturnType<typeof walkTimeline>,
  versions: readonly CompiledVersion[],
  partnerType: string | undefined,
  prior: HistorySegment | undefined,
): HistorySegment[] {
  const out: HistorySegment[] = prior ? [{ ...prior }] : [];
  const { version, tier, status } = timeline.days;
  for (let i = 0; i < tier.length; i++) {
    const v = versions[version[i] ?? 0];
    const track = partnerType === undefined ? undefined : v?.tracks.get(partnerType);
    const t = tier[i] ?? -1;
    const seg: HistorySegment = {
      from: timeline.first + i,
      to: timeline.first + i,
      tierId: t >= 0 ? (track?.track.tiers[t]?.id ?? null) : null,
      status: STATUS_CODES[status[i] ?? 0] ?? 'none',
      programVersion: v?.program.version ?? '',
    };
    const last = out[out.length - 1];
    if (last && last.tierId === seg.tierId && last.status === seg.status && last.programVersion === seg.programVersion)
      last.to = seg.to;
    else out.push(seg);
  }
  return out;
}

function metricsOn(segment: Segment, day: Day): Map<string, bigint> {
  return new Map([...segment.series].map(([name, s]) => [name, seriesValueOn(s, day)]));
}

function nextTier(segment: Segment, q: number, values: Map<string, bigint>): Scorecard['next'] {
  const tier = segment.track?.track.tiers[q + 1];
  if (!tier?.criteria) return null;
  const leaves = unmet(tier.criteria, values, segment.version.units);
  return {
    tier: tier.id,
    unmet: leaves.map(({ path, metric, actual, required, shortBy }) => ({ path, metric, actual, required, shortBy })),
  };
}

export function evaluatePartner(
  set: ProgramSet,
  facts: PartnerFacts,
  asOf: Day,
  overrides: readonly OverrideRule[] = [],
  reviews: readonly ReviewDecision[] = [],
): PartnerEvaluation {
  return evaluatePartnerWith(set, facts, asOf, { overrides, reviews });
}

/**
 * evaluatePartner, optionally resumed from a checkpoint and taking checkpoints. Resumed, it
 * gives the same scorecard, review and checkpoints as the whole walk, and the whole walk's
 * changes, ledger lines and history from the resumed day on (history: from the run in force
 * on the checkpoint's day).
 */
export function evaluatePartnerWith(
  set: ProgramSet,
  facts: PartnerFacts,
  asOf: Day,
  options: EvaluateOptions = {},
): PartnerEvaluation {
  const { resume } = options;
  const versions = compileProgramSet(set);
  const indexOn = (day: Day): number => versionIndexOn(set, day);
  const factStart = resume ? resume.start : timelineStart(facts, asOf);
  const start = factStart ?? asOf;
  const mine = (options.reviews ?? []).filter((r) => r.partnerId === facts.partnerId);
  const pointOn = factStart === undefined ? undefined : options.checkpointOn;
  const timeline = walkTimeline(versions, facts, start, asOf, options.overrides ?? [], indexOn, {
    reviews: mine,
    resume,
    pointOn,
  });
  const { segment, q, state } = timeline;
  const version = segment.version;
  const hasTrack = q !== null && segment.track !== undefined;

  const tierOn = (day: Day) => {
    const offset = day - timeline.first;
    const v = versions[timeline.days.version[offset] ?? 0] as CompiledVersion;
    const index = timeline.days.tier[offset] ?? -1;
    const track = facts.profile ? v.tracks.get(facts.profile.partnerType) : undefined;
    const tier = index >= 0 ? track?.track.tiers[index] : undefined;
    return { version: v, tierId: tier?.id ?? null, benefits: tier?.benefits ?? {} };
  };
  const ledger = facts.profile ? ledgerLines(facts, asOf, set.digits, tierOn, timeline.first) : [];
  const totals = addTotals(resume?.ledger, ledgerTotals(ledger));
  const history = historySegments(timeline, versions, facts.profile?.partnerType, resume?.run);

  const values = metricsOn(segment, asOf);
  const metrics: Record<string, string> = {};
  for (const name of segment.track?.metricNames ?? [])
    metrics[name] = formatValue(values.get(name) ?? 0n, version.units.get(name));
  const tiers = segment.track?.track.tiers ?? [];

  const scorecard: Scorecard = {
    partnerId: facts.partnerId,
    asOf: formatDay(asOf),
    program: { id: set.id, version: version.program.version },
    track: hasTrack ? (segment.track?.track.id ?? null) : null,
    qualifiedTier: hasTrack && q !== null ? (tiers[q]?.id ?? null) : null,
    effectiveTier: hasTrack ? (tiers[state.e]?.id ?? null) : null,
    status: timeline.status,
    graceEndsOn: timeline.graceEndsOn === null ? null : formatDay(timeline.graceEndsOn),
    metrics,
    next: hasTrack && q !== null ? nextTier(segment, q, values) : null,
    risks:
      hasTrack && q !== null && segment.track
        ? computeRisks(version, segment.track, facts, asOf, q, version.program.alerts.atRiskHorizonDays)
        : [],
    benefits: hasTrack ? { ...(tiers[state.e]?.benefits ?? {}) } : {},
    ledger: Object.fromEntries(
      BENEFITS.map(({ name }) => [name, formatMinor(totals[name], set.digits)]),
    ) as Scorecard['ledger'],
  };
  return {
    scorecard,
    changes: timeline.changes,
    ledger,
    start,
    history,
    resumedAt: resume ? timeline.first : null,
    checkpoints: checkpointsOf(timeline.points, start, history, ledger, resume?.ledger),
    review:
      hasTrack && q !== null && state.review !== null && timeline.status === 'review'
        ? {
            fromTier: tiers[state.e]?.id ?? '',
            toTier: tiers[q]?.id ?? '',
            since: state.review.since,
            autoApprovesOn: state.review.endsOn,
          }
        : null,
  };
}

function addTotals(a: LedgerTotals | undefined, b: LedgerTotals): LedgerTotals {
  if (!a) return b;
  return { commission: a.commission + b.commission, mdf: a.mdf + b.mdf, rebate: a.rebate + b.rebate };
}

/** The walk's points with the history run in force and the ledger totals up to each. */
function checkpointsOf(
  points: readonly WalkPoint[],
  start: Day,
  history: readonly HistorySegment[],
  lines: readonly LedgerLine[],
  prior: LedgerTotals | undefined,
): TimelineCheckpoint[] {
  if (points.length === 0) return [];
  const byDay = [...lines].sort((a, b) => a.closedAt - b.closedAt);
  let totals: LedgerTotals = addTotals(prior, { commission: 0n, mdf: 0n, rebate: 0n });
  let next = 0;
  let run = 0;
  return points.map((point) => {
    totals = { ...totals };
    for (; next < byDay.length && (byDay[next]?.closedAt ?? Infinity) <= point.day; next++) {
      const line = byDay[next] as LedgerLine;
      totals[line.benefit] += line.amountMinor;
    }
    while ((history[run]?.to ?? Infinity) < point.day) run++;
    const seg = history[run] as HistorySegment;
    return { ...point, state: { ...point.state }, start, run: { ...seg, to: point.day }, ledger: totals };
  });
}
