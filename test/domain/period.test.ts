// domain/period.ts: ISO 8601 periods for trailing windows (SPEC §2 windows, §3a rule 15).
import { describe, expect, it } from 'vitest';
import { addMonths } from '../../domain/dates.ts';
import { firstDayOutside, parsePeriod, subtractPeriod, type Period } from '../../domain/period.ts';
import { day, str } from './fixtures.ts';

const P = (text: string): Period => {
  const p = parsePeriod(text);
  if (!p) throw new Error(`bad period ${text}`);
  return p;
};

describe('parsePeriod', () => {
  it.each([
    ['P12M', { months: 12, days: 0 }],
    ['P6M', { months: 6, days: 0 }],
    ['P90D', { months: 0, days: 90 }],
    ['P1Y', { months: 12, days: 0 }],
    ['P1Y2M3D', { months: 14, days: 3 }],
    ['P2W', { months: 0, days: 14 }],
    ['P1M1W1D', { months: 1, days: 8 }],
  ])('%s = %j', (text, expected) => {
    expect(parsePeriod(text)).toEqual(expected);
  });

  it.each(['P', 'P0D', 'P0M', '12M', 'PT1H', 'P1.5M', 'P-1M', 'p12m', 'P12', ''])('rejects %j', (text) => {
    expect(parsePeriod(text)).toBeUndefined();
  });
});

describe('subtractPeriod (D − period)', () => {
  it.each([
    ['2026-11-23', 'P12M', '2025-11-23'],
    ['2026-08-30', 'P6M', '2026-02-28'],
    ['2024-08-31', 'P6M', '2024-02-29'],
    ['2026-08-31', 'P6M', '2026-02-28'],
    ['2025-02-28', 'P12M', '2024-02-28'],
    ['2025-03-01', 'P12M', '2024-03-01'],
    ['2026-11-23', 'P90D', '2026-08-25'],
    ['2026-03-01', 'P1D', '2026-02-28'],
    ['2024-03-01', 'P1D', '2024-02-29'],
    ['2026-05-31', 'P1Y2M3D', '2025-03-28'],
    // months first (2026-04-30 − 14M = 2025-02-28, clamped), then days
    ['2026-04-30', 'P1Y2M3D', '2025-02-25'],
    ['2026-03-05', 'P2W', '2026-02-19'],
    // months first then days: 2026-03-31 − 1M = 2026-02-28, − 1D = 2026-02-27
    ['2026-03-31', 'P1M1D', '2026-02-27'],
    ['2027-01-01', 'P1Y', '2026-01-01'],
  ])('%s − %s = %s', (d, period, expected) => {
    expect(str(subtractPeriod(day(d), P(period)))).toBe(expected);
  });
});

describe('firstDayOutside: smallest D with D − P ≥ day', () => {
  it.each([
    // (D − 12M, D]: a fact on 2025-11-23 is out on 2026-11-23 and in the day before
    ['2025-11-23', 'P12M', '2026-11-23'],
    ['2024-02-29', 'P12M', '2025-03-01'],
    ['2026-02-28', 'P6M', '2026-08-28'],
    ['2025-08-28', 'P6M', '2026-02-28'],
    ['2025-08-29', 'P6M', '2026-03-01'],
    ['2025-08-31', 'P6M', '2026-03-01'],
    ['2026-08-25', 'P90D', '2026-11-23'],
    ['2026-02-19', 'P2W', '2026-03-05'],
  ])('a fact on %s leaves a %s window on %s', (factDay, period, expected) => {
    expect(str(firstDayOutside(day(factDay), P(period)))).toBe(expected);
  });

  const periods = ['P12M', 'P6M', 'P1M', 'P3M', 'P90D', 'P1Y2M3D', 'P2W', 'P1M1D', 'P1D'];
  it.each(periods)(
    'matches a brute-force search over subtractPeriod for %s (2023–2026, every day incl. month ends)',
    (text) => {
      const period = P(text);
      const from = day('2023-01-01');
      const to = day('2026-12-31');
      for (let d = from; d <= to; d++) {
        // brute force: scan forward from the fact day
        let outside = d;
        while (subtractPeriod(outside, period) < d) outside++;
        expect(firstDayOutside(d, period), `${str(d)} ${text}`).toBe(outside);
        // and the window really is (D − P, D]: in on the day before, out on that day
        expect(subtractPeriod(outside - 1, period) < d).toBe(true);
      }
    },
  );

  it('subtractPeriod is non-decreasing in D around month ends', () => {
    for (let d = day('2023-01-01'); d <= day('2026-12-31'); d++) {
      expect(subtractPeriod(d + 1, P('P6M'))).toBeGreaterThanOrEqual(subtractPeriod(d, P('P6M')));
      expect(subtractPeriod(d, P('P6M'))).toBe(addMonths(d, -6));
    }
  });
});
