// The next day on which time alone changes a partner's standing (issue #14 item 2): until
// then, with the same facts, overrides, reviews and program, evaluating on any later day gives
// the same standing (`standingOf`: the scorecard but for `asOf`, the metric values and the
// unmet criteria's figures), history runs, decisions, ledger totals and notification keys.
// The nightly run skips a partner whose next-change day has not come: its stored scorecard
// stays exact for its own as-of day, and its standing holds through the day before the next
// change (docs/architecture.md#the-nightly-run). A metric value that moves without moving the
// qualified tier or near-promotion (a deal leaving a trailing window) changes no standing.
// Conservative by design: every candidate below is a day something *may* change; a missed
// candidate would be a wrong stored result, an extra one only a recompute that writes nothing.
import { nearPromotion } from '../alerts.ts';
import { dayOrThrow, nextPeriodStart, type Day } from '../dates.ts';
import { timelineStart, type PartnerFacts } from '../facts/types.ts';
import { buildContributions } from '../metrics/contributions.ts';
import { SeriesCursor } from '../metrics/series.ts';
import { versionIndexOn, type ProgramSet } from '../program/load.ts';
import type { ReviewDecision } from '../reviews.ts';
import { compileProgramSet, type CompiledVersion } from './compiled.ts';
import { unmet } from './criteria.ts';
import { qualifiedIndex } from './qualify.ts';
import { computeRisks } from './risks.ts';
import type { PartnerEvaluation, Scorecard } from './scorecard.ts';
import { buildSegment, type OverrideRule, type Segment } from './timeline.ts';

/**
 * What of a scorecard holds from its as-of day to the day before its next-change day: all but
 * `asOf`, the metric values and the unmet criteria's figures (`next` keeps its tier and whether
 * near-promotion holds). The tests compare this on every skipped day.
 */
export function standingOf(scorecard: Scorecard, nearPromotionWithin: string) {
  const { asOf: _asOf, metrics: _metrics, next, ...rest } = scorecard;
  return { ...rest, next: next && { tier: next.tier, near: nearPromotion(scorecard, nearPromotionWithin) } };
}

/** The earliest day > asOf of `days` (null when none). */
function earliestAfter(asOf: Day, days: Iterable<Day | undefined>): Day | null {
  let best: Day | null = null;
  for (const d of days) if (d !== undefined && Number.isFinite(d) && d > asOf && (best === null || d < best)) best = d;
  return best;
}

/**
 * The days the partner's facts start to count (a deal registered or closed, a certification
 * earned, an invoice or credit booked): after asOf, each is a fact entering the walk, the
 * ledger or the risk walk's view of what is known (a second certification of a person changes
 * no metric but the day the person stops being certified). Days facts stop counting
 * (expiries, revocations, departures) matter only when they move a metric: nextMetricChange.
 */
function* factStarts(facts: PartnerFacts): Generator<Day | undefined> {
  for (const d of facts.deals.values()) {
    yield d.registeredAt;
    yield d.closedAt;
  }
  for (const c of facts.certifications) yield c.earnedAt;
  for (const i of facts.invoices.values()) yield i.bookedAt;
  for (const c of facts.credits.values()) yield c.creditedAt;
}

/**
 * The first day after asOf on which the track's metrics move the standing: the qualified tier
 * changes, or near-promotion starts or stops holding (checked on each day a metric changes
 * value; in between, values are constant). Other value changes move only the figures.
 */
function nextStandingChange(segment: Segment, asOf: Day): Day | null {
  const { track, version } = segment;
  if (!track) return null;
  const units = version.units;
  const cursors = [...segment.series].map(([name, s]) => [name, new SeriesCursor(s)] as const);
  const values = new Map<string, bigint>();
  const standing = (day: Day): string => {
    for (const [name, cursor] of cursors) values.set(name, cursor.at(day));
    const q = qualifiedIndex(track.track, values, units);
    const tier = track.track.tiers[q + 1];
    const criteria = tier?.criteria;
    const near =
      tier !== undefined &&
      criteria !== undefined &&
      criteria !== null &&
      nearPromotion(
        { next: { tier: tier.id, unmet: unmet(criteria, values, units) } },
        version.program.alerts.nearPromotionWithin,
      );
    return `${q}|${near}`;
  };
  const now = standing(asOf);
  for (const day of segment.changeDays) if (day > asOf && standing(day) !== now) return day;
  return null;
}

/**
 * The first day after asOf on which a contribution to one of the track's metrics stops for a
 * reason the risk walk does not apply (a calendar window restarting, a revocation, a
 * departure): from then on, the walk from a later day starts from other values than the walk
 * from asOf, so a dated risk found (or not) on asOf says nothing about it.
 */
function nextRiskWalkChange(version: CompiledVersion, facts: PartnerFacts, asOf: Day): Day | null {
  const track = facts.profile ? version.tracks.get(facts.profile.partnerType) : undefined;
  let best: Day | null = null;
  for (const name of track?.metricNames ?? []) {
    const metric = version.program.metrics[name];
    if (!metric) continue;
    for (const c of buildContributions(metric, facts))
      if (c.endKind !== 'expiry' && c.endKind !== 'rolloff' && c.endKind !== 'never' && c.end > asOf && c.end > c.start)
        if (best === null || c.end < best) best = c.end;
  }
  return best;
}

export interface NextChangeInput {
  set: ProgramSet;
  facts: PartnerFacts;
  asOf: Day;
  overrides?: readonly OverrideRule[];
  reviews?: readonly ReviewDecision[];
  /** `evaluatePartner(set, facts, asOf, overrides, reviews)`. */
  evaluation: PartnerEvaluation;
}

/**
 * The first day > asOf on which evaluating the same inputs may store something different;
 * null when no day ever does (no dated input lies ahead and nothing is pending).
 */
export function nextChangeDay(input: NextChangeInput): Day | null {
  const { set, facts, asOf, evaluation } = input;
  const { scorecard, history } = evaluation;
  const versions = compileProgramSet(set);
  const version = versions[versionIndexOn(set, asOf)] as CompiledVersion;
  const policy = version.program.policy;
  const candidates: Array<Day | undefined> = [];
  const add = (d: Day | undefined | null): void => {
    if (d !== null) candidates.push(d);
  };

  // No fact on or before asOf: the walk (and the history's first run) starts on asOf itself.
  if (timelineStart(facts, asOf) === undefined) add(asOf + 1);
  // Inputs dated ahead: facts, program versions, override edges, review decisions.
  add(earliestAfter(asOf, factStarts(facts)));
  const overrideEdges = (input.overrides ?? []).flatMap((o) => [o.from, o.until + 1]);
  const reviewDays = (input.reviews ?? []).filter((r) => r.partnerId === facts.partnerId).map((r) => r.on);
  add(
    earliestAfter(
      asOf,
      versions.map((v) => v.effectiveFrom),
    ),
  );
  add(earliestAfter(asOf, overrideEdges));
  add(earliestAfter(asOf, reviewDays));
  // A metric moving the standing: the qualified tier or near-promotion changing. While a dated
  // risk is shown, any metric value change (a fact leaving a trailing window, an expiry, a
  // calendar window restarting): the risk's kinds and figures follow the values.
  const segment = buildSegment(version, facts);
  add(nextStandingChange(segment, asOf));
  if (scorecard.risks.length > 0) add(segment.changeDays.find((d) => d > asOf));

  // The policy with the qualified tier unchanged: a demotion (or review) falling due, a
  // review approving itself, a hold after promotion running out.
  if (scorecard.graceEndsOn !== null) {
    const ends = evaluation.review?.autoApprovesOn ?? dayOrThrow(scorecard.graceEndsOn);
    add(ends > asOf ? ends : asOf + 1);
  }
  if (scorecard.status === 'hold') {
    const promoted = [...evaluation.changes].reverse().find((c) => c.kind === 'promoted');
    add(promoted ? Math.max(promoted.day + policy.holdAfterPromotionDays, asOf + 1) : asOf + 1);
  }

  // Dated risks look atRiskHorizonDays ahead: with none today, a fall further ahead enters
  // the horizon on its day − horizon. computeRisks over a longer horizon finds that fall.
  const horizon = version.program.alerts.atRiskHorizonDays;
  const track = facts.profile ? version.tracks.get(facts.profile.partnerType) : undefined;
  const q = track?.track.tiers.findIndex((t) => t.id === scorecard.qualifiedTier) ?? -1;
  if (scorecard.risks.length === 0 && track && q > 0 && horizon > 0) {
    // The walk from any day before `until` sees what the walk from asOf sees (no fact starts,
    // no other version, the same qualified tier, no contribution ending outside the walk).
    const walk = nextRiskWalkChange(version, facts, asOf);
    add(walk);
    const until = earliestAfter(asOf, candidates) ?? asOf + 1;
    const ahead = computeRisks(version, track, facts, asOf, q, until - asOf + horizon);
    const fall = ahead[0] ? dayOrThrow(ahead[0].on) : undefined;
    if (fall !== undefined) add(Math.max(fall - horizon, asOf + 1));
  }
  // Notifications: a risk held back on a promotion day is asked for the next day; a
  // near-promotion key names the month.
  const last = history[history.length - 1];
  if (scorecard.risks.length > 0 && last?.from === asOf) add(asOf + 1);
  if (nearPromotion(scorecard, version.program.alerts.nearPromotionWithin)) add(nextPeriodStart(asOf, 'month'));

  return earliestAfter(asOf, candidates);
}
