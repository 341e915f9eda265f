// "Incremental from a checkpoint = full re-evaluation": a history is evaluated (taking
// checkpoints), late events arrive, and the walk resumed from any checkpoint before the earliest
// day they affect — with only the facts factWindows says can matter — gives exactly the whole
// walk's scorecard, review, history, changes, ledger and checkpoints.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonths, dayOrThrow, formatDay, type Day } from '../../domain/dates.ts';
import {
  checkpointDays,
  factWindows,
  loadCheckpoint,
  storeCheckpoint,
  type FactWindows,
} from '../../domain/evaluation/checkpoint.ts';
import { evaluatePartnerWith, type HistorySegment } from '../../domain/evaluation/scorecard.ts';
import type { OverrideRule } from '../../domain/evaluation/timeline.ts';
import { validateEvent } from '../../domain/events/parse.ts';
import { FactFolder } from '../../domain/facts/fold.ts';
import type { PartnerFacts } from '../../domain/facts/types.ts';
import { loadProgramTexts, type ProgramSet } from '../../domain/program/load.ts';
import type { ReviewDecision } from '../../domain/reviews.ts';
import { generateHistory, type GeneratedEvent } from '../../tools/generate/history.ts';

const AS_OF = dayOrThrow('2026-11-23');

function load(path: string): ProgramSet {
  const loaded = loadProgramTexts([{ name: path, text: readFileSync(path, 'utf8') }]);
  if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
  return loaded.value;
}

const PROGRAMS = [
  'examples/acme/program.json',
  'examples/aws-style/program.json',
  'examples/microsoft-style/program.yaml',
  'examples/review-style/program.json',
].map(load);

/** Facts of each partner after folding `events`, every partner on the program's first track. */
function fold(set: ProgramSet, events: readonly GeneratedEvent[]): Map<string, PartnerFacts> {
  const folder = new FactFolder(set.currency);
  const type = set.versions[0]?.program.tracks[0]?.partnerTypes[0];
  for (const raw of events) {
    const e = raw.type === 'partner.upserted' ? { ...raw, data: { ...raw.data, partnerType: type } } : raw;
    const result = validateEvent(e, { currency: set.currency, timezone: set.timezone });
    if (result.ok) folder.add(result.event, result.raw);
  }
  return folder.partners;
}

/** The earliest day on which `a` and `b` differ (what ingest records as a request's from_day); null: undated (the profile). */
function earliestDifference(a: PartnerFacts, b: PartnerFacts): Day | null | undefined {
  if (JSON.stringify(a.profile) !== JSON.stringify(b.profile)) return null;
  let first: Day | undefined;
  const see = (...days: Array<Day | undefined>): void => {
    for (const d of days) if (d !== undefined && (first === undefined || d < first)) first = d;
  };
  const same = (x: unknown, y: unknown): boolean =>
    JSON.stringify(x, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) ===
    JSON.stringify(y, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  for (const id of new Set([...a.deals.keys(), ...b.deals.keys()])) {
    const x = a.deals.get(id);
    const y = b.deals.get(id);
    if (!same(x, y)) see(x?.registeredAt, x?.closedAt, y?.registeredAt, y?.closedAt);
  }
  const listed = <T>(xs: readonly T[], ys: readonly T[], day: (t: T) => Day): void => {
    const keys = new Set(xs.map((x) => JSON.stringify(x)));
    for (const y of ys) if (!keys.has(JSON.stringify(y))) see(day(y));
  };
  listed(a.certifications, b.certifications, (c) => c.earnedAt);
  listed(a.revocations, b.revocations, (r) => r.revokedAt);
  listed(a.departures, b.departures, (d) => d.departedAt);
  for (const id of new Set([...a.invoices.keys(), ...b.invoices.keys()])) {
    const x = a.invoices.get(id);
    const y = b.invoices.get(id);
    if (same(x, y)) continue;
    see(x?.bookedAt, y?.bookedAt);
    // Credits take `recurring` from their invoice whatever its date.
    for (const c of b.credits.values()) if (c.invoiceId === id) see(c.creditedAt);
  }
  for (const id of new Set([...a.credits.keys(), ...b.credits.keys()])) {
    const x = a.credits.get(id);
    const y = b.credits.get(id);
    if (!same(x, y)) see(x?.creditedAt, y?.creditedAt);
  }
  return first;
}

/** What the recompute reads (db/repositories/fact-rows.ts readWindowedFacts, in SQL). */
function limitFacts(f: PartnerFacts, w: FactWindows): PartnerFacts {
  const after = (day: Day | undefined, bound: Day | null): boolean =>
    bound === null || (day !== undefined && day >= bound);
  const credits = [...f.credits].filter(([, c]) => after(c.creditedAt, w.invoices));
  const credited = new Set(credits.map(([, c]) => c.invoiceId));
  return {
    ...f,
    deals: new Map([...f.deals].filter(([, d]) => after(d.closedAt, w.closed) || after(d.registeredAt, w.registered))),
    invoices: new Map([...f.invoices].filter(([id, i]) => after(i.bookedAt, w.invoices) || credited.has(id))),
    credits: new Map(credits),
  };
}

const fromRun = (h: readonly HistorySegment[], from: Day): HistorySegment[] => h.filter((s) => s.to >= from);

describe('incremental evaluation from a checkpoint', () => {
  it('equals the full re-evaluation after late events', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: PROGRAMS.length - 1 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
        fc.integer({ min: 0, max: 40 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: 0, max: 730 }),
        fc.array(fc.integer({ min: 0, max: 700 }), { maxLength: 6 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.integer({ min: 0, max: 60 }), fc.nat()), {
          maxLength: 2,
        }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.nat(), fc.boolean()), { maxLength: 4 }),
        (p, seed, late, back, earlier, pick, cut, extraDays, overrideSpecs, reviewSpecs) => {
          const set = PROGRAMS[p] as ProgramSet;
          const events = [
            ...generateHistory({ partners: 2, seed, until: '2026-11-23', months: 24, eventsPerPartner: 60 }),
          ];
          // Late events: a random part of the events after a random day arrives after the first recompute.
          const begin = addMonths(AS_OF, -24);
          const lateFrom = formatDay(begin + cut);
          const before = events.filter(
            (e, i) => e.type === 'partner.upserted' || e.occurredAt < lateFrom || !(late[i % late.length] ?? false),
          );
          const prevAsOf = AS_OF - back;
          const extra = new Set(extraDays.map((d) => begin + d));
          const tiers = set.versions[0]?.program.tracks[0]?.tiers.map((t) => t.id) ?? [];
          const overrides: OverrideRule[] = overrideSpecs.map(([from, length, tier]) => ({
            tier: tiers[tier % tiers.length] ?? '',
            from: begin + from,
            until: begin + from + length,
          }));
          const oldFacts = fold(set, before);
          const newFacts = fold(set, events);
          for (const [id, now] of newFacts) {
            const reviews: ReviewDecision[] = reviewSpecs.map(([on, tier, approve]) => ({
              partnerId: id,
              fromTier: tiers[tier % tiers.length] ?? '',
              decision: approve ? 'approve' : 'reject',
              on: begin + on,
              by: 'test',
              reason: 'test',
            }));
            const was = oldFacts.get(id);
            const previous = was
              ? evaluatePartnerWith(set, was, prevAsOf, {
                  overrides,
                  reviews,
                  checkpointOn: (d) => checkpointDays(prevAsOf)(d) || extra.has(d),
                })
              : undefined;
            const changed = was ? earliestDifference(was, now) : null;
            if (changed === null || !previous) continue;
            // The request's day may be earlier than the first difference; time alone affects prevAsOf + 1 on.
            const bound = Math.min((changed ?? Infinity) - earlier, prevAsOf + 1, AS_OF);
            const usable = previous.checkpoints.filter((c) => c.day < bound);
            // The recompute takes the latest; any earlier one must do as well.
            const checkpoint = usable[usable.length - 1 - (pick % Math.max(usable.length, 1))];
            if (!checkpoint) continue;
            const resumeAt = checkpoint.day + 1;
            const checkpointOn = (d: Day): boolean => checkpointDays(AS_OF)(d) || extra.has(d);
            const full = evaluatePartnerWith(set, now, AS_OF, { overrides, reviews, checkpointOn });
            const resumed = evaluatePartnerWith(set, limitFacts(now, factWindows(set, resumeAt, AS_OF)), AS_OF, {
              overrides,
              reviews,
              checkpointOn,
              resume: loadCheckpoint(JSON.parse(JSON.stringify(storeCheckpoint(checkpoint)))),
            });
            expect(resumed.scorecard).toEqual(full.scorecard);
            expect(resumed.review).toEqual(full.review);
            expect(resumed.start).toBe(full.start);
            expect(resumed.resumedAt).toBe(resumeAt);
            expect(resumed.changes).toEqual(full.changes.filter((c) => c.day >= resumeAt));
            expect(resumed.ledger).toEqual(full.ledger.filter((l) => l.closedAt >= resumeAt));
            expect(resumed.history).toEqual(fromRun(full.history, checkpoint.day));
            expect(resumed.history[0]?.from).toBe(checkpoint.run.from);
            expect(resumed.checkpoints).toEqual(full.checkpoints.filter((c) => c.day >= resumeAt));
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it('the full walk’s checkpoints survive being stored as JSON', () => {
    const set = PROGRAMS[0] as ProgramSet;
    const events = [
      ...generateHistory({ partners: 3, seed: 7, until: '2026-11-23', months: 24, eventsPerPartner: 60 }),
    ];
    for (const facts of fold(set, events).values()) {
      const e = evaluatePartnerWith(set, facts, AS_OF, { checkpointOn: checkpointDays(AS_OF) });
      expect(e.checkpoints.length).toBeGreaterThan(0);
      for (const c of e.checkpoints) expect(loadCheckpoint(JSON.parse(JSON.stringify(storeCheckpoint(c))))).toEqual(c);
    }
  });
});
