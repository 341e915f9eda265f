// ISO 8601 date periods for trailing windows (docs/program.md#windows): years and months are
// subtracted first and clamped to the month's end, then weeks and days.
import { addMonths, type Day } from './dates.ts';

export interface Period {
  months: number;
  days: number;
}

const PERIOD = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$/;

export function parsePeriod(text: string): Period | undefined {
  const match = PERIOD.exec(text);
  if (!match || text === 'P') return undefined;
  const [, y, m, w, d] = match;
  const months = Number(y ?? 0) * 12 + Number(m ?? 0);
  const days = Number(w ?? 0) * 7 + Number(d ?? 0);
  if (months === 0 && days === 0) return undefined;
  return { months, days };
}

/** D − period. Non-decreasing in D, which `firstDayOutside` relies on. */
export function subtractPeriod(day: Day, period: Period): Day {
  return addMonths(day, -period.months) - period.days;
}

/**
 * The first day D on which a fact dated `day` has left the trailing window (D − P, D],
 * i.e. the smallest D with D − P ≥ day.
 */
export function firstDayOutside(day: Day, period: Period): Day {
  let candidate = addMonths(day + period.days, period.months);
  while (subtractPeriod(candidate, period) < day) candidate += 1;
  while (subtractPeriod(candidate - 1, period) >= day) candidate -= 1;
  return candidate;
}
