// Timestamps with an explicit offset, reduced to the business day in a program's timezone
// (docs/events.md#validation). Pure: the instant comes from the text, the zone rules from Intl.
import { daysFromCivil, parseDay, type Day } from './dates.ts';

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** Milliseconds since the epoch for an ISO timestamp that carries an offset; undefined otherwise. */
export function parseInstant(text: string): number | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [, date, hh, mm, ss, frac, zone] = match;
  const day = parseDay(date ?? '');
  const hours = Number(hh);
  const minutes = Number(mm);
  const seconds = Number(ss ?? 0);
  if (day === undefined || hours > 23 || minutes > 59 || seconds > 60) return undefined;
  const offsetMinutes = zone === 'Z' || zone === undefined ? 0 : parseOffset(zone);
  if (offsetMinutes === undefined) return undefined;
  const millis = frac ? Math.floor(Number(`0${frac}`) * 1000) : 0;
  return day * MS_PER_DAY + ((hours * 60 + minutes - offsetMinutes) * 60 + seconds) * 1000 + millis;
}

function parseOffset(zone: string): number | undefined {
  const digits = zone.slice(1).replace(':', '');
  const h = Number(digits.slice(0, 2));
  const m = Number(digits.slice(2, 4));
  if (h > 23 || m > 59) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (h * 60 + m);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'numeric', day: 'numeric' });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The calendar day of an instant in `timeZone`. */
export function dayInZone(instant: number, timeZone: string): Day {
  const parts = formatterFor(timeZone).formatToParts(instant);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  return daysFromCivil(get('year'), get('month'), get('day'));
}

/** A business date written as `YYYY-MM-DD` or as a timestamp with offset, as a day in `timeZone`. */
export function businessDay(text: string, timeZone: string): Day | undefined {
  const plain = parseDay(text);
  if (plain !== undefined) return plain;
  const instant = parseInstant(text);
  return instant === undefined ? undefined : dayInZone(instant, timeZone);
}
