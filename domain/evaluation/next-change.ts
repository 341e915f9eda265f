// The next day on which time alone changes what is stored for a partner (issue #14 item 2):
// until then, with the same facts, overrides, reviews and program, evaluating on any later
// day gives the same scorecard (but for `asOf`), history runs, decisions, ledger totals and
// notification keys. The nightly run skips a partner whose next-change day has not come.
// Conservative by design: every candidate below is a day something *may* change; a missed
// candidate would be a wrong stored result, an extra one only a recompute that writes nothing.
import { nearPromotion } from '../alerts.ts';
import { dayOrThrow, nextPeriodStart, type Day } from '../dates.ts';
import { timelineStart, type PartnerFacts } from '../facts/types.ts';
import { buildContributions } from '../metrics/contributions.ts';
import { buildSeries } from '../metrics/series.ts';
import { versionIndexOn, type ProgramSet } from '../program/load.ts';
import type { ReviewDecision } from '../reviews.ts';
import { compileProgramSet, type CompiledVersion } from './compiled.ts';
import { computeRisks } from './risks.ts';
import type { PartnerEvaluation } from './scorecard.ts';
import type { OverrideRule } from './timeline.ts';

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
 * The first day after asOf on which one of the track's metrics changes value (a fact leaving a
 * trailing window, an expiry, a calendar window restarting). A contribution ending without
 * moving its metric (a person still certified by another certification, a customer still
 * counted by another deal) changes nothing stored: the risk walk counts only values too.
 */
function nextMetricChange(version: CompiledVersion, facts: PartnerFacts, asOf: Day): Day | null {
  const track = facts.profile ? version.tracks.get(facts.profile.partnerType) : undefined;
  let best: Day | null = null;
  for (const name of track?.metricNames ?? []) {
    const metric = version.program.metrics[name];
    if (!metric) continue;
    const day = buildSeries(metric, buildContributions(metric, facts)).days.find((d) => d > asOf);
    if (day !== undefined && (best === null || day < best)) best = day;
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
  // A metric moving: a fact leaving a trailing window, an expiry, a calendar window restarting.
  const edge = nextMetricChange(version, facts, asOf);
  add(edge);

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
    const until = earliestAfter(asOf, candidates) ?? edge ?? asOf + 1;
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
