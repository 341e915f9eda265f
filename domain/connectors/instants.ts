// Epoch milliseconds as ISO text, without the Date global (domain/ has no clock).
import { civilFromDays } from '../dates.ts';

const MS_PER_DAY = 86_400_000;
const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** 1732111391000 → "2024-11-20T14:03:11.000Z". */
export function isoInstant(ms: number): string {
  const day = Math.floor(ms / MS_PER_DAY);
  const rest = ms - day * MS_PER_DAY;
  const { y, m, d } = civilFromDays(day);
  const [h, min, s, milli] = [
    Math.floor(rest / 3_600_000),
    Math.floor(rest / 60_000) % 60,
    Math.floor(rest / 1000) % 60,
    rest % 1000,
  ];
  return `${pad(y, 4)}-${pad(m)}-${pad(d)}T${pad(h)}:${pad(min)}:${pad(s)}.${pad(milli, 3)}Z`;
}

/** The UTC calendar date of epoch ms: Salesforce date fields are midnight UTC. */
export function isoDate(ms: number): string {
  return isoInstant(ms).slice(0, 10);
}
