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
import { BENEFITS, ledgerLines, ledgerTotals, type LedgerLine } from './ledger.ts';
import type { ReviewDecision } from '../reviews.ts';
import { computeRisks, type Risk } from './risks.ts';
import { STATUS_CODES, walkTimeline, type OverrideRule, type Segment, type TierChange } from './timeline.ts';

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
  changes: TierChange[];
  ledger: LedgerLine[];
  /** First day of the walk; days before it are at the entry tier. */
  start: Day;
  /** The effective tier's runs from `start` to the as-of day. */
  history: HistorySegment[];
  /** The demotion review pending on the as-of day (SPEC §9), if any. */
  review: PendingReviewInfo | null;
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
): HistorySegment[] {
  const out: HistorySegment[] = [];
  const { version, tier, status } = timeline.days;
  for (let i = 0; i < tier.length; i++) {
    const v = versions[version[i] ?? 0];
    const track = partnerType === undefined ? undefined : v?.tracks.get(partnerType);
    const t = tier[i] ?? -1;
    const seg: HistorySegment = {
      from: timeline.start + i,
      to: timeline.start + i,
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
  const versions = compileProgramSet(set);
  const indexOn = (day: Day): number => versionIndexOn(set, day);
  const start = timelineStart(facts, asOf) ?? asOf;
  const mine = reviews.filter((r) => r.partnerId === facts.partnerId);
  const timeline = walkTimeline(versions, facts, start, asOf, overrides, indexOn, mine);
  const { segment, q, state } = timeline;
  const version = segment.version;
  const hasTrack = q !== null && segment.track !== undefined;

  const tierOn = (day: Day) => {
    const offset = day - start;
    const v = versions[timeline.days.version[offset] ?? 0] as CompiledVersion;
    const index = timeline.days.tier[offset] ?? -1;
    const track = facts.profile ? v.tracks.get(facts.profile.partnerType) : undefined;
    const tier = index >= 0 ? track?.track.tiers[index] : undefined;
    return { version: v, tierId: tier?.id ?? null, benefits: tier?.benefits ?? {} };
  };
  const ledger = facts.profile ? ledgerLines(facts, asOf, set.digits, tierOn) : [];
  const totals = ledgerTotals(ledger);

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
    history: historySegments(timeline, versions, facts.profile?.partnerType),
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
