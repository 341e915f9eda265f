// Notification rules (SPEC §6): which requests a recompute makes, with which keys, and
// which are only recorded.
import { describe, expect, it } from 'vitest';
import { atRiskAfterPromotion, notificationRequests, nearPromotion, promotedToday } from '../../domain/alerts.ts';
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
    // The old one says why it is not sent (the outbox row's skip_reason, `emails list`).
    expect(requests.map((r) => r.skipReason)).toEqual([
      undefined,
      `change of 2025-10-19 is older than notifyChangesWithinDays (${program.alerts.notifyChangesWithinDays} days)`,
    ]);
  });

  const seg = (from: number, to: number, tierId: string, status: 'qualified' | 'grace') => ({
    from: today + from,
    to: today + to,
    tierId,
    status,
    programVersion: '2027.1',
  });
  const graceKey = (history: ReturnType<typeof seg>[]) =>
    notificationRequests({
      ...base,
      scorecard: card({ status: 'grace', effectiveTier: 'gold', graceEndsOn: '2027-02-03' }),
      history,
    }).map((r) => [r.dedupKey, r.day]);

  it('warns once per grace run, keyed by the day the partner took the tier and which grace it is', () => {
    const history = [
      seg(-300, -11, 'silver', 'qualified'),
      seg(-10, -6, 'gold', 'qualified'),
      seg(-5, 0, 'gold', 'grace'),
    ];
    expect(graceKey(history)).toEqual([['tier.at-risk|grace|P-1|gold|2026-11-13|1', '2026-11-18']]);
  });

  it('keeps the grace key when a late event moves the grace start', () => {
    const before = [
      seg(-300, -11, 'silver', 'qualified'),
      seg(-10, -6, 'gold', 'qualified'),
      seg(-5, 0, 'gold', 'grace'),
    ];
    const moved = [
      seg(-300, -11, 'silver', 'qualified'),
      seg(-10, -8, 'gold', 'qualified'),
      seg(-7, 0, 'gold', 'grace'),
    ];
    expect(graceKey(moved)[0]?.[0]).toBe(graceKey(before)[0]?.[0]);
    // The payload's day is the grace start as it stands now.
    expect(graceKey(moved)[0]?.[1]).toBe('2026-11-16');
  });

  it('a second grace in the same tenure is a new grace run', () => {
    const history = [
      seg(-40, -31, 'gold', 'qualified'),
      seg(-30, -21, 'gold', 'grace'),
      seg(-20, -6, 'gold', 'qualified'),
      seg(-5, 0, 'gold', 'grace'),
    ];
    expect(graceKey(history)).toEqual([['tier.at-risk|grace|P-1|gold|2026-10-14|2', '2026-11-18']]);
  });

  it('asks again for recent changes of the evaluation (a restored change revives its withdrawn row), not for old ones', () => {
    const promoted = {
      day: today - 2,
      from: 'registered',
      to: 'silver',
      qualified: 'silver',
      kind: 'promoted' as const,
      versionIndex: 0,
    };
    const old = { ...promoted, day: today - 400 };
    const requests = notificationRequests({ ...base, scorecard: card(), changes: [], current: [old, promoted] });
    expect(requests.map((r) => [r.dedupKey, r.send])).toEqual([
      ['tier.promoted|P-1|2026-11-21|registered|silver', true],
    ]);
    // Fresh and current at once: asked for once.
    expect(notificationRequests({ ...base, scorecard: card(), changes: [promoted], current: [promoted] })).toHaveLength(
      1,
    );
  });

  it('warns of a dated risk when q equals e', () => {
    const requests = notificationRequests({
      ...base,
      scorecard: card({
        risks: [
          {
            kind: 'certification-expiring',
            on: '2026-12-10',
            tier: 'silver',
            fallsTo: 'registered',
            metrics: [],
            certifications: [],
            detail: 'x',
          },
        ],
      }),
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
    expect(requests.map((r) => [r.send, r.skipReason])).toEqual([[false, 'partner terminated']]);
  });
});

// Issue 21 item 7: a partner promoted today got "Congratulations" and "at risk" in the same second.
describe('no at-risk email on the day of a promotion to the same tier', () => {
  const promoted = {
    day: today,
    from: 'registered',
    to: 'silver',
    qualified: 'silver',
    kind: 'promoted' as const,
    versionIndex: 0,
  };
  const risk = (on: string) => ({
    kind: 'certification-expiring' as const,
    on,
    tier: 'silver',
    fallsTo: 'registered',
    metrics: [],
    certifications: [],
    detail: 'x',
  });
  const kinds = (input: Parameters<typeof notificationRequests>[0]) =>
    notificationRequests(input).map((r) => [r.kind, r.payload['on'] ?? null]);

  it.each([
    // promotedTo, tier at risk, risk day (days after today), asked for?
    { promotedTo: null, tier: 'silver', after: 20, asked: true, why: 'no promotion today' },
    {
      promotedTo: 'silver',
      tier: 'silver',
      after: 20,
      asked: false,
      why: 'promoted to the tier at risk, risk not imminent',
    },
    {
      promotedTo: 'silver',
      tier: 'silver',
      after: 1,
      asked: true,
      why: 'risk falls tomorrow: waiting would be too late',
    },
    { promotedTo: 'silver', tier: 'silver', after: 0, asked: true, why: 'risk falls today' },
    {
      promotedTo: 'silver',
      tier: 'silver',
      after: 2,
      asked: false,
      why: 'risk the day after tomorrow: the next recompute warns',
    },
    { promotedTo: 'gold', tier: 'silver', after: 20, asked: true, why: 'promoted to another tier' },
  ])('$why → $asked', ({ promotedTo, tier, after, asked }) => {
    expect(atRiskAfterPromotion({ promotedTo, tier, today, riskOn: today + after })).toBe(asked);
  });

  it('holds back the dated risk when this recompute promoted the partner today, and keeps the promotion', () => {
    const input = { ...base, changes: [promoted], scorecard: card({ risks: [risk('2026-12-10')] }) };
    expect(kinds(input)).toEqual([['tier.promoted', null]]);
  });

  it('holds it back too when an earlier recompute today made the promotion (the history says so)', () => {
    const history = [
      { from: today - 30, to: today - 1, tierId: 'registered', status: 'qualified' as const, programVersion: '2027.1' },
      { from: today, to: today, tierId: 'silver', status: 'qualified' as const, programVersion: '2027.1' },
    ];
    expect(promotedToday({ ...base, history, scorecard: card() })).toBe('silver');
    expect(kinds({ ...base, history, scorecard: card({ risks: [risk('2026-12-10')] }) })).toEqual([]);
    // A demotion today is not a promotion: the risk is warned of.
    const demoted = [
      { ...history[0]!, tierId: 'gold' },
      { ...history[1]!, tierId: 'silver' },
    ];
    expect(promotedToday({ ...base, history: demoted, scorecard: card() })).toBeNull();
    expect(kinds({ ...base, history: demoted, scorecard: card({ risks: [risk('2026-12-10')] }) })).toEqual([
      ['tier.at-risk', '2026-12-10'],
    ]);
  });

  it('warns at once of a risk that falls tomorrow, and the next day of one that does not', () => {
    const input = { ...base, changes: [promoted], scorecard: card({ risks: [risk('2026-11-24')] }) };
    expect(kinds(input)).toEqual([
      ['tier.promoted', null],
      ['tier.at-risk', '2026-11-24'],
    ]);
    // The day after the promotion, the same risk is asked for under the same key as it would have been.
    const nextDay = notificationRequests({
      ...base,
      today: today + 1,
      scorecard: card({ asOf: '2026-11-24', risks: [risk('2026-12-10')] }),
    });
    expect(nextDay.map((r) => r.dedupKey)).toEqual(['tier.at-risk|certification-expiring|P-1|2026-12-10|silver']);
  });
});
