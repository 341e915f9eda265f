// Notification rules (SPEC §6): which requests a recompute makes, with which keys, and
// which are only recorded.
import { describe, expect, it } from 'vitest';
import { notificationRequests, nearPromotion } from '../../domain/alerts.ts';
import { dayOrThrow } from '../../domain/dates.ts';
import type { Scorecard } from '../../domain/evaluation/scorecard.ts';
import { loadExampleProgram } from './alerts-fixture.ts';

const program = loadExampleProgram();
const today = dayOrThrow('2026-11-23');

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

const base = { partnerId: 'P-1', program, today, terminated: false, changes: [], history: [] };

describe('notification rules', () => {
  it('asks for a promotion email for a recent change, and only records an old one', () => {
    const requests = notificationRequests({
      ...base,
      scorecard: card(),
      changes: [
        { day: today - 2, from: 'registered', to: 'silver', qualified: 'silver', kind: 'promoted', versionIndex: 0 },
        {
          day: today - 400,
          from: 'silver',
          to: 'registered',
          qualified: 'registered',
          kind: 'demoted',
          versionIndex: 0,
        },
      ],
    });
    expect(requests.map((r) => [r.kind, r.day, r.send, r.dedupKey])).toEqual([
      ['tier.promoted', '2026-11-21', true, 'tier.promoted|P-1|2026-11-21|registered|silver'],
      ['tier.demoted', '2025-10-19', false, 'tier.demoted|P-1|2025-10-19|silver|registered'],
    ]);
  });

  it('warns once per grace run, keyed by the day grace began', () => {
    const history = [
      { from: today - 10, to: today, tierId: 'gold', status: 'grace' as const, programVersion: '2027.1' },
    ];
    const requests = notificationRequests({
      ...base,
      scorecard: card({ status: 'grace', effectiveTier: 'gold', graceEndsOn: '2027-02-03' }),
      history,
    });
    expect(requests.map((r) => r.dedupKey)).toEqual(['tier.at-risk|grace|P-1|2026-11-13|gold']);
  });

  it('warns of a dated risk when q equals e', () => {
    const requests = notificationRequests({
      ...base,
      scorecard: card({ risks: [{ kind: 'certification-expiring', on: '2026-12-10', detail: 'x' }] }),
    });
    expect(requests.map((r) => [r.kind, r.dedupKey])).toEqual([
      ['tier.at-risk', 'tier.at-risk|certification-expiring|P-1|2026-12-10|silver'],
    ]);
  });

  it('near promotion: every unmet criterion within the fraction, at most once a month per tier', () => {
    const near = card({
      next: {
        tier: 'gold',
        unmet: [{ path: 'allOf[1]', metric: 'salesCertified', actual: '9', required: '10', shortBy: '1' }],
      },
    });
    const far = card({
      next: {
        tier: 'gold',
        unmet: [{ path: 'allOf[1]', metric: 'salesCertified', actual: '8', required: '10', shortBy: '2' }],
      },
    });
    expect(nearPromotion(near, '0.10')).toBe(true);
    expect(nearPromotion(far, '0.10')).toBe(false);
    expect(notificationRequests({ ...base, scorecard: near }).map((r) => r.dedupKey)).toEqual([
      'tier.near-promotion|P-1|gold|2026-11',
    ]);
    expect(notificationRequests({ ...base, scorecard: far })).toEqual([]);
  });

  it('records but never sends for a terminated partner', () => {
    const requests = notificationRequests({
      ...base,
      terminated: true,
      scorecard: card(),
      changes: [
        { day: today, from: 'registered', to: 'silver', qualified: 'silver', kind: 'promoted', versionIndex: 0 },
      ],
    });
    expect(requests.map((r) => r.send)).toEqual([false]);
  });
});
