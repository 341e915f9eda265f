// Accrual periods of payouts and the finance report (docs/finance.md): a year `YYYY`, a
// quarter `YYYY-Qn` or a month `YYYY-MM`, as calendar days [from, to].
import { daysFromCivil, daysInMonth, type Day } from './dates.ts';

export interface AccrualPeriod {
  /** As written: payouts match a period by this exact string. */
  text: string;
  from: Day;
  to: Day;
}

const YEAR = /^(\d{4})$/;
const QUARTER = /^(\d{4})-Q([1-4])$/;
const MONTH = /^(\d{4})-(0[1-9]|1[0-2])$/;

function range(text: string, year: number, firstMonth: number, months: number): AccrualPeriod {
  const lastMonth = firstMonth + months - 1;
  return {
    text,
    from: daysFromCivil(year, firstMonth, 1),
    to: daysFromCivil(year, lastMonth, daysInMonth(year, lastMonth)),
  };
}

export function parseAccrualPeriod(text: string): AccrualPeriod | undefined {
  let m = YEAR.exec(text);
  if (m) return range(text, Number(m[1]), 1, 12);
  m = QUARTER.exec(text);
  if (m) return range(text, Number(m[1]), (Number(m[2]) - 1) * 3 + 1, 3);
  m = MONTH.exec(text);
  if (m) return range(text, Number(m[1]), Number(m[2]), 1);
  return undefined;
}

export const isAccrualPeriod = (text: string): boolean => parseAccrualPeriod(text) !== undefined;

export const inPeriod = (period: AccrualPeriod, day: Day): boolean => day >= period.from && day <= period.to;
