// Business days as integer day numbers (days since 1970-01-01). All policy arithmetic
// ("S + N − 1", windows, quarter starts) is integer arithmetic on these; strings only
// appear at the boundaries. Civil-date conversion after H. Hinnant's days_from_civil.

export type Day = number;

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

export const MIN_DAY_STRING = '1900-01-01';
export const MAX_DAY_STRING = '2999-12-31';

export function daysFromCivil(y: number, m: number, d: number): Day {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export interface Civil {
  y: number;
  m: number;
  d: number;
}

export function civilFromDays(day: Day): Civil {
  const z = day + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Parses a strict calendar date; undefined for anything else (2026-02-30, 0000-00-00, ...). */
export function parseDay(text: string): Day | undefined {
  const match = ISO_DAY.exec(text);
  if (!match) return undefined;
  const y = Number(match[1]);
  const m = Number(match[2]);
  const d = Number(match[3]);
  if (m < 1 || m > 12 || d < 1 || d > daysInMonth(y, m)) return undefined;
  return daysFromCivil(y, m, d);
}

export function formatDay(day: Day): string {
  const { y, m, d } = civilFromDays(day);
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

export function dayOrThrow(text: string): Day {
  const day = parseDay(text);
  if (day === undefined) throw new Error(`not a calendar date: ${JSON.stringify(text)}`);
  return day;
}

export const MIN_DAY = dayOrThrow(MIN_DAY_STRING);
export const MAX_DAY = dayOrThrow(MAX_DAY_STRING);

/** Adds months, clamping to the end of the target month (2026-08-31 + P-6M → 2026-02-28). */
export function addMonths(day: Day, months: number): Day {
  const { y, m, d } = civilFromDays(day);
  const index = y * 12 + (m - 1) + months;
  const ny = Math.floor(index / 12);
  const nm = index - ny * 12 + 1;
  return daysFromCivil(ny, nm, Math.min(d, daysInMonth(ny, nm)));
}

export type CalendarUnit = 'month' | 'quarter' | 'year';

export function periodStart(day: Day, unit: CalendarUnit): Day {
  const { y, m } = civilFromDays(day);
  switch (unit) {
    case 'month':
      return daysFromCivil(y, m, 1);
    case 'quarter':
      return daysFromCivil(y, m - ((m - 1) % 3), 1);
    case 'year':
      return daysFromCivil(y, 1, 1);
  }
}

export function nextPeriodStart(day: Day, unit: CalendarUnit): Day {
  const start = periodStart(day, unit);
  const months = unit === 'month' ? 1 : unit === 'quarter' ? 3 : 12;
  return addMonths(start, months);
}

export function isQuarterStart(day: Day): boolean {
  return periodStart(day, 'quarter') === day;
}

/** The first 1 Jan / 1 Apr / 1 Jul / 1 Oct on or after `day`. */
export function quarterStartOnOrAfter(day: Day): Day {
  return isQuarterStart(day) ? day : nextPeriodStart(day, 'quarter');
}
