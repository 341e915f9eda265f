// domain/dates.ts: strict calendar dates, month arithmetic with clamping, quarter starts.
import { describe, expect, it } from 'vitest';
import {
  addMonths,
  daysInMonth,
  formatDay,
  isQuarterStart,
  MAX_DAY,
  MIN_DAY,
  nextPeriodStart,
  parseDay,
  periodStart,
  quarterStartOnOrAfter,
} from '../../domain/dates.ts';
import { day, str } from './fixtures.ts';

describe('parseDay', () => {
  it.each([
    '2026-02-30',
    '0000-00-00',
    '2026-13-01',
    '2026-1-01',
    '2026-01-1',
    '2026-00-10',
    '2026-04-31',
    '2026-02-29',
    '1900-02-29',
    '2100-02-29',
    '26-01-01',
    '2026/01/01',
    '2026-01-01T00:00:00Z',
    ' 2026-01-01',
    '',
  ])('rejects %j', (text) => {
    expect(parseDay(text)).toBeUndefined();
  });

  it.each([
    ['1970-01-01', 0],
    ['1970-01-02', 1],
    ['1969-12-31', -1],
    ['2000-01-01', 10957],
    // 56 years after 1970 with 14 leap days (1972..2024)
    ['2026-01-01', 20454],
  ])('%s is day %i since the epoch', (text, n) => {
    expect(parseDay(text)).toBe(n);
    expect(formatDay(n)).toBe(text);
  });

  it.each(['2024-02-29', '2000-02-29', '2400-02-29', '2026-12-31', '1900-01-01', '2999-12-31'])(
    'accepts %s and formats it back',
    (text) => {
      const d = parseDay(text);
      expect(d).toBeDefined();
      expect(formatDay(d as number)).toBe(text);
    },
  );

  it('knows leap years (day after 28 Feb)', () => {
    expect(str(day('2024-02-28') + 1)).toBe('2024-02-29');
    expect(str(day('2026-02-28') + 1)).toBe('2026-03-01');
    expect(str(day('2000-02-28') + 1)).toBe('2000-02-29');
    expect(str(day('1900-02-28') + 1)).toBe('1900-03-01');
    expect(day('2025-01-01') - day('2024-01-01')).toBe(366);
    expect(day('2027-01-01') - day('2026-01-01')).toBe(365);
  });

  it.each([
    [2024, 2, 29],
    [2026, 2, 28],
    [1900, 2, 28],
    [2000, 2, 29],
    [2026, 4, 30],
    [2026, 12, 31],
  ])('daysInMonth(%i, %i) = %i', (y, m, n) => {
    expect(daysInMonth(y, m)).toBe(n);
  });

  it('MIN_DAY and MAX_DAY are 1900-01-01 and 2999-12-31', () => {
    expect(str(MIN_DAY)).toBe('1900-01-01');
    expect(str(MAX_DAY)).toBe('2999-12-31');
  });
});

describe('addMonths', () => {
  it.each([
    ['2026-08-30', -6, '2026-02-28'],
    ['2024-08-31', -6, '2024-02-29'],
    ['2026-08-31', -6, '2026-02-28'],
    ['2026-03-31', -1, '2026-02-28'],
    ['2026-03-31', 1, '2026-04-30'],
    ['2026-01-31', -1, '2025-12-31'],
    ['2025-12-15', 1, '2026-01-15'],
    ['2026-11-23', -12, '2025-11-23'],
    ['2024-02-29', -12, '2023-02-28'],
    ['2024-02-29', 12, '2025-02-28'],
    ['2024-02-29', 48, '2028-02-29'],
    ['2026-05-31', -14, '2025-03-31'],
    ['2026-01-15', 0, '2026-01-15'],
  ])('%s %+i months = %s', (from, months, expected) => {
    expect(str(addMonths(day(from), months))).toBe(expected);
  });
});

describe('calendar periods and quarter starts', () => {
  it.each([
    ['2026-05-17', 'month', '2026-05-01', '2026-06-01'],
    ['2026-05-17', 'quarter', '2026-04-01', '2026-07-01'],
    ['2026-05-17', 'year', '2026-01-01', '2027-01-01'],
    ['2026-12-31', 'month', '2026-12-01', '2027-01-01'],
    ['2026-12-31', 'quarter', '2026-10-01', '2027-01-01'],
    ['2026-01-01', 'quarter', '2026-01-01', '2026-04-01'],
    ['2026-03-31', 'quarter', '2026-01-01', '2026-04-01'],
    ['2026-09-30', 'quarter', '2026-07-01', '2026-10-01'],
    ['2024-02-29', 'month', '2024-02-01', '2024-03-01'],
  ] as const)('%s in its %s: start %s, next start %s', (d, unit, start, next) => {
    expect(str(periodStart(day(d), unit))).toBe(start);
    expect(str(nextPeriodStart(day(d), unit))).toBe(next);
  });

  it.each([
    ['2026-01-01', true],
    ['2026-04-01', true],
    ['2026-07-01', true],
    ['2026-10-01', true],
    ['2026-02-01', false],
    ['2026-03-01', false],
    ['2026-04-02', false],
    ['2026-12-31', false],
  ])('isQuarterStart(%s) = %s', (d, expected) => {
    expect(isQuarterStart(day(d))).toBe(expected);
  });

  it.each([
    ['2026-04-01', '2026-04-01'],
    ['2026-04-02', '2026-07-01'],
    ['2026-03-31', '2026-04-01'],
    ['2026-12-31', '2027-01-01'],
    ['2026-01-01', '2026-01-01'],
    ['2026-01-02', '2026-04-01'],
    ['2026-08-15', '2026-10-01'],
  ])('quarterStartOnOrAfter(%s) = %s', (d, expected) => {
    expect(str(quarterStartOnOrAfter(day(d)))).toBe(expected);
  });

  it('quarterStartOnOrAfter is the first 1 Jan/Apr/Jul/Oct on or after the day (brute force, 2023–2027)', () => {
    const isStart = (d: number): boolean => {
      const [, m, dd] = str(d).split('-');
      return dd === '01' && ['01', '04', '07', '10'].includes(m ?? '');
    };
    for (let d = day('2023-01-01'); d <= day('2027-12-31'); d++) {
      let expected = d;
      while (!isStart(expected)) expected++;
      expect(quarterStartOnOrAfter(d)).toBe(expected);
      expect(isQuarterStart(d)).toBe(isStart(d));
    }
  });
});
