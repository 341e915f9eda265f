// The re-check before sending (docs/notifications.md#settle-and-withdraw): each kind against the
// partner's current stored state, and a property: a tier change stands exactly when the
// history has that boundary.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { recheckNotification, type StoredRun } from '../../domain/alerts-recheck.ts';
import type { Scorecard } from '../../domain/evaluation/scorecard.ts';

function card(overrides: Partial<Scorecard> = {}): Scorecard {
  return {
    partnerId: 'P-1',
    asOf: '2026-11-23',
    program: { id: 'acme', version: '2027.1' },
    track: 'resell',
    qualifiedTier: 'silver',
    effectiveTier: 'silver',
    status: 'qualified',
    graceEndsOn: null,
    metrics: {},
    next: null,
    risks: [],
    benefits: {},
    ledger: { commission: '0.00', mdf: '0.00', rebate: '0.00' },
    ...overrides,
  };
}

const run = (from: string, to: string | null, tierId: string | null, status = 'qualified'): StoredRun => ({
  from,
  to,
  tierId,
  status,
});
const promotedHistory = [run('2025-11-23', '2026-11-21', 'registered'), run('2026-11-21', null, 'silver')];
const check = (kind: string, payload: Record<string, unknown>, history: StoredRun[], scorecard = card()) =>
  recheckNotification({ kind, payload }, { history, scorecard }, '0.10');

describe('re-check before sending', () => {
  const promotion = { day: '2026-11-21', from: 'registered', to: 'silver' };

  it.each([
    ['the change is in the history', promotedHistory, true],
    ['a correction removed it', [run('2025-11-23', null, 'registered')], false],
    [
      'it moved to another day',
      [run('2025-11-23', '2026-11-22', 'registered'), run('2026-11-22', null, 'silver')],
      false,
    ],
    [
      'it now goes to another tier',
      [run('2025-11-23', '2026-11-21', 'registered'), run('2026-11-21', null, 'gold')],
      false,
    ],
  ])('a promotion stands when %s: %s', (_, history, stands) => {
    expect(check('tier.promoted', promotion, history).stands).toBe(stands);
  });

  it('says why a promotion is withdrawn', () => {
    expect(check('tier.promoted', promotion, [run('2025-11-23', null, 'registered')])).toEqual({
      stands: false,
      reason: 'the promotion from registered to silver on 2026-11-21 is no longer in the effective-tier history',
    });
  });

  it('a first tier (from no tier) stands when the history begins with it', () => {
    expect(
      check('tier.promoted', { day: '2026-11-21', from: null, to: 'silver' }, [run('2026-11-21', null, 'silver')]),
    ).toEqual({ stands: true });
  });

  const graceAtRisk = { reason: 'grace', day: '2026-11-10', scorecard: { effectiveTier: 'gold' } };
  it.each([
    [
      'the grace run is there',
      [run('2026-01-01', '2026-11-10', 'gold'), run('2026-11-10', null, 'gold', 'grace')],
      card(),
      true,
    ],
    // A late event moved the start to 8 November: the same grace for the partner.
    [
      'its start moved',
      [run('2026-01-01', '2026-11-08', 'gold'), run('2026-11-08', null, 'gold', 'grace')],
      card(),
      true,
    ],
    [
      'its start moved later and the partner is in grace now',
      [run('2026-01-01', '2026-11-12', 'gold'), run('2026-11-12', null, 'gold', 'grace')],
      card({ status: 'grace', effectiveTier: 'gold' }),
      true,
    ],
    ['the grace run is gone', [run('2026-01-01', null, 'gold')], card({ effectiveTier: 'gold' }), false],
  ])('a grace at-risk: %s', (_, history, scorecard, stands) => {
    expect(check('tier.at-risk', graceAtRisk, history, scorecard).stands).toBe(stands);
  });

  const risk = {
    kind: 'certification-expiring' as const,
    on: '2026-12-01',
    tier: 'silver',
    fallsTo: 'registered',
    metrics: [],
    certifications: [],
    detail: '',
  };
  const datedAtRisk = { reason: 'certification-expiring', on: '2026-12-01', scorecard: { effectiveTier: 'silver' } };
  it.each([
    ['still in the scorecard', card({ risks: [risk] }), true],
    ['gone (the certification was renewed)', card(), false],
    ['dated differently', card({ risks: [{ ...risk, on: '2026-12-05' }] }), false],
    ['about another tier now', card({ effectiveTier: 'gold', risks: [risk] }), false],
  ])('a dated at-risk: %s', (_, scorecard, stands) => {
    expect(check('tier.at-risk', datedAtRisk, promotedHistory, scorecard).stands).toBe(stands);
  });

  const unmet = (shortBy: string) => ({
    next: { tier: 'gold', unmet: [{ path: '0', metric: 'revenue12m', actual: '0', required: '1000000', shortBy }] },
  });
  it.each([
    ['still near', card(unmet('50000')), true],
    ['no longer near', card(unmet('500000')), false],
    ['promoted meanwhile (next is another tier)', card({ next: null }), false],
  ])('a near-promotion: %s', (_, scorecard, stands) => {
    expect(check('tier.near-promotion', { tier: 'gold' }, promotedHistory, scorecard).stands).toBe(stands);
  });

  it('a kind without a rule stands', () => {
    expect(check('tier.something-else', {}, [])).toEqual({ stands: true });
  });

  it('property: a tier change stands exactly when the history has that boundary', () => {
    const tiers = ['registered', 'silver', 'gold', null];
    const day = (n: number): string => new Date(Date.UTC(2026, 0, 1 + n)).toISOString().slice(0, 10);
    fc.assert(
      fc.property(
        fc.array(fc.record({ length: fc.integer({ min: 1, max: 20 }), tier: fc.constantFrom(...tiers) }), {
          minLength: 1,
          maxLength: 8,
        }),
        fc.integer({ min: 0, max: 120 }),
        fc.constantFrom(...tiers),
        fc.constantFrom(...tiers),
        (lengths, at, from, to) => {
          const history: StoredRun[] = [];
          let start = 0;
          lengths.forEach((l, i) => {
            const last = i === lengths.length - 1;
            history.push(run(day(start), last ? null : day(start + l.length), l.tier));
            start += l.length;
          });
          const boundary = history.some(
            (r, i) => r.from === day(at) && r.tierId === to && (history[i - 1]?.tierId ?? null) === from,
          );
          expect(check('tier.promoted', { day: day(at), from, to }, history).stands).toBe(boundary);
        },
      ),
    );
  });
});
