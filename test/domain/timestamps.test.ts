// domain/timestamps.ts: timestamps with an offset reduced to a business day in a zone (§3a rule 17).
import { describe, expect, it } from 'vitest';
import { businessDay, dayInZone, isValidTimeZone, parseInstant } from '../../domain/timestamps.ts';
import { str } from './fixtures.ts';

describe('parseInstant', () => {
  it.each([
    ['1970-01-01T00:00:00Z', 0],
    ['1970-01-01T00:00:01Z', 1000],
    ['1970-01-01T01:00:00+01:00', 0],
    ['1969-12-31T19:00:00-05:00', 0],
    ['1970-01-01T05:30:00+0530', 0],
    ['1970-01-01T00:00:00.250Z', 250],
    ['1970-01-01T00:00Z', 0],
  ])('%s = %i ms', (text, ms) => {
    expect(parseInstant(text)).toBe(ms);
  });

  it.each([
    '2026-11-20T14:03:11',
    '2026-11-20',
    '2026-02-30T00:00:00Z',
    '2026-11-20T24:00:00Z',
    '2026-11-20T10:60:00Z',
    '2026-11-20 14:03:11Z',
    'yesterday',
  ])('rejects %j (no offset or not a timestamp)', (text) => {
    expect(parseInstant(text)).toBeUndefined();
  });
});

describe('businessDay', () => {
  it.each([
    ['2026-11-20T23:30:00-05:00', 'UTC', '2026-11-21'],
    ['2026-11-20T23:30:00-05:00', 'America/New_York', '2026-11-20'],
    ['2026-11-20T23:30:00-05:00', 'Asia/Tokyo', '2026-11-21'],
    ['2026-11-21T02:00:00+02:00', 'UTC', '2026-11-21'],
    ['2026-11-21T01:00:00+02:00', 'UTC', '2026-11-20'],
    ['2026-11-21T00:30:00Z', 'America/Los_Angeles', '2026-11-20'],
    ['2026-06-30T23:30:00Z', 'Europe/Paris', '2026-07-01'],
    ['2026-11-20', 'America/New_York', '2026-11-20'],
    ['2026-11-20', 'Asia/Tokyo', '2026-11-20'],
  ])('%s is %s in %s', (text, zone, expected) => {
    const d = businessDay(text, zone);
    expect(d).toBeDefined();
    expect(str(d as number)).toBe(expected);
  });

  it('rejects a timestamp without offset and an impossible date', () => {
    expect(businessDay('2026-11-20T23:30:00', 'UTC')).toBeUndefined();
    expect(businessDay('2026-02-30', 'UTC')).toBeUndefined();
  });

  it('dayInZone uses the zone rules (DST in New York)', () => {
    // 2026-07-01T03:30Z is 23:30 on 30 June in New York (EDT, −04:00)
    expect(str(dayInZone(Date.UTC(2026, 6, 1, 3, 30), 'America/New_York'))).toBe('2026-06-30');
    // 2026-01-01T04:30Z is 23:30 on 31 Dec in New York (EST, −05:00)
    expect(str(dayInZone(Date.UTC(2026, 0, 1, 4, 30), 'America/New_York'))).toBe('2025-12-31');
    expect(str(dayInZone(Date.UTC(2026, 0, 1, 5, 30), 'America/New_York'))).toBe('2026-01-01');
  });

  it('isValidTimeZone', () => {
    expect(isValidTimeZone('UTC')).toBe(true);
    expect(isValidTimeZone('Europe/Paris')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
